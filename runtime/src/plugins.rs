//! The plugin registry: every connector, converter, transformation and predicate registers
//! itself here with `inventory::submit!`, under its class name and aliases.
//!
//! A name matches a plugin when it equals its class, one of its aliases, or the simple name of
//! either (`FileStreamSource`, `FileStreamSourceConnector`), as Apache Kafka's plugin aliases do.
//! `GET /connector-plugins` and config validation read this same registry.

use std::sync::Arc;

use crate::config::{ConfigDef, ConfigMap};
use crate::connector::{Connector, SinkTask, SourceTask};
use crate::converter::{Converter, ConverterRole};
use crate::transforms::{Predicate, Transformation};

/// The version every built-in plugin reports.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Makes a connector's tasks.
#[derive(Clone, Copy)]
pub enum TaskFactory {
    /// A source connector's task.
    Source(fn() -> Box<dyn SourceTask>),
    /// A sink connector's task.
    Sink(fn() -> Box<dyn SinkTask>),
}

/// A registered connector.
pub struct ConnectorPlugin {
    /// Its class name, as `GET /connector-plugins` lists it.
    pub class: &'static str,
    /// Other names it answers to (Apache, Confluent, Debezium class names).
    pub aliases: &'static [&'static str],
    /// Its own config keys (the framework's keys are added by the worker).
    pub config_def: fn() -> ConfigDef,
    /// Makes the connector object.
    pub create: fn() -> Box<dyn Connector>,
    /// Makes its tasks; also says whether it is a source or a sink.
    pub tasks: TaskFactory,
}

impl ConnectorPlugin {
    /// The class its tasks have in the plugin it stands in for, as task configs name it
    /// (`task.class`): `…FileStreamSourceConnector` runs `…FileStreamSourceTask`.
    pub fn task_class(&self) -> String {
        match self.class {
            "io.confluent.connect.jdbc.JdbcSourceConnector" => "io.confluent.connect.jdbc.source.JdbcSourceTask".into(),
            "io.confluent.connect.jdbc.JdbcSinkConnector" => "io.confluent.connect.jdbc.sink.JdbcSinkTask".into(),
            "io.debezium.connector.postgresql.PostgresConnector" => {
                "io.debezium.connector.postgresql.PostgresConnectorTask".into()
            }
            class => format!("{}Task", class.strip_suffix("Connector").unwrap_or(class)),
        }
    }

    /// `"source"` or `"sink"`, as the REST API says.
    pub fn type_name(&self) -> &'static str {
        match self.tasks {
            TaskFactory::Source(_) => "source",
            TaskFactory::Sink(_) => "sink",
        }
    }
}

/// Makes a converter from its prefix-stripped settings.
pub type ConverterFactory = fn(&ConfigMap, ConverterRole) -> Result<Arc<dyn Converter>, String>;

/// A registered converter.
pub struct ConverterPlugin {
    /// Its class name.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Makes it from its prefix-stripped settings.
    pub create: ConverterFactory,
}

/// A registered single message transformation.
pub struct TransformPlugin {
    /// Its class name, e.g. `org.apache.kafka.connect.transforms.InsertField$Value`.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its config keys.
    pub config_def: fn() -> ConfigDef,
    /// Makes it from its settings (`transforms.<alias>.` stripped).
    pub create: fn(&ConfigMap) -> Result<Box<dyn Transformation>, String>,
}

/// A registered predicate.
pub struct PredicatePlugin {
    /// Its class name.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its config keys.
    pub config_def: fn() -> ConfigDef,
    /// Makes it from its settings (`predicates.<alias>.` stripped).
    pub create: fn(&ConfigMap) -> Result<Box<dyn Predicate>, String>,
}

inventory::collect!(ConnectorPlugin);
inventory::collect!(ConverterPlugin);
inventory::collect!(TransformPlugin);
inventory::collect!(PredicatePlugin);

/// A plugin that could not be found or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// No plugin of `kind` answers to `name`.
    #[error("Failed to find any class that implements {kind} and which name matches {name}")]
    NotFound {
        /// What was looked for (`Connector`, `Converter`, …).
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The plugin rejected its settings.
    #[error("{class}: {message}")]
    Config {
        /// The plugin's class.
        class: String,
        /// Why.
        message: String,
    },
}

/// A registered plugin's names.
trait Named: Sync + 'static {
    /// What it is, for "not found" messages (`Connector`, `Converter`, …).
    const KIND: &'static str;
    fn class(&self) -> &'static str;
    fn aliases(&self) -> &'static [&'static str];

    /// Whether `name` is the class, an alias, or the simple name of either (also without a
    /// `Connector` suffix).
    fn answers_to(&self, name: &str) -> bool {
        std::iter::once(self.class())
            .chain(self.aliases().iter().copied())
            .any(|candidate| {
                if candidate == name {
                    return true;
                }
                let simple = candidate.rsplit('.').next().unwrap_or(candidate);
                simple == name || simple.strip_suffix("Connector") == Some(name)
            })
    }
}

macro_rules! named {
    ($plugin:ty, $kind:literal) => {
        impl Named for $plugin {
            const KIND: &'static str = $kind;
            fn class(&self) -> &'static str {
                self.class
            }
            fn aliases(&self) -> &'static [&'static str] {
                self.aliases
            }
        }
    };
}

named!(ConnectorPlugin, "Connector");
named!(ConverterPlugin, "Converter");
named!(TransformPlugin, "Transformation");
named!(PredicatePlugin, "Predicate");

/// The registered plugin of type `P` that `name` designates.
fn find<P: Named>(name: &str) -> Result<&'static P, PluginError>
where
    inventory::iter<P>: IntoIterator<Item = &'static P>,
{
    let name = name.trim();
    inventory::iter::<P>
        .into_iter()
        .find(|p| p.answers_to(name))
        .ok_or_else(|| PluginError::NotFound {
            kind: P::KIND,
            name: name.to_string(),
        })
}

/// The connector plugin `name` designates.
pub fn find_connector(name: &str) -> Result<&'static ConnectorPlugin, PluginError> {
    find(name)
}

/// The converter plugin `name` designates.
pub fn find_converter(name: &str) -> Result<&'static ConverterPlugin, PluginError> {
    find(name)
}

/// The transformation plugin `name` designates.
pub fn find_transform(name: &str) -> Result<&'static TransformPlugin, PluginError> {
    find(name)
}

/// The predicate plugin `name` designates.
pub fn find_predicate(name: &str) -> Result<&'static PredicatePlugin, PluginError> {
    find(name)
}

/// One row of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginInfo {
    /// Class name.
    pub class: String,
    /// `source`, `sink`, `converter`, `header_converter`, `transformation` or `predicate`.
    #[serde(rename = "type")]
    pub plugin_type: String,
    /// Version.
    pub version: String,
}

/// Every registered plugin, connectors first, each group sorted by class, as
/// `GET /connector-plugins?connectorsOnly=false` lists them.
pub fn list_plugins(connectors_only: bool) -> Vec<PluginInfo> {
    let info = |class: &str, plugin_type: &str| PluginInfo {
        class: class.to_string(),
        plugin_type: plugin_type.to_string(),
        version: PLUGIN_VERSION.to_string(),
    };
    let mut connectors: Vec<_> = inventory::iter::<ConnectorPlugin>
        .into_iter()
        .map(|p| info(p.class, p.type_name()))
        .collect();
    connectors.sort_by(|a, b| a.class.cmp(&b.class));
    if connectors_only {
        return connectors;
    }
    let mut others: Vec<PluginInfo> = Vec::new();
    for p in inventory::iter::<ConverterPlugin> {
        // As Apache's: every converter is a header converter too, and SimpleHeaderConverter
        // only a header converter.
        if !p.class.ends_with("HeaderConverter") {
            others.push(info(p.class, "converter"));
        }
        others.push(info(p.class, "header_converter"));
    }
    others.extend(
        inventory::iter::<TransformPlugin>
            .into_iter()
            .map(|p| info(p.class, "transformation")),
    );
    others.extend(
        inventory::iter::<PredicatePlugin>
            .into_iter()
            .map(|p| info(p.class, "predicate")),
    );
    others.sort_by(|a, b| (&a.plugin_type, &a.class).cmp(&(&b.plugin_type, &b.class)));
    connectors.extend(others);
    connectors
}
