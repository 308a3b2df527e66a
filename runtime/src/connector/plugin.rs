//! How a connector registers itself: a [`ConnectorPlugin`] submitted with `inventory::submit!`
//! names its classes, its config keys and how its connector object and tasks are made.

use crate::config::ConfigDef;
use crate::plugins::{find, named, PluginError};

use super::{Connector, SinkTask, SourceTask};

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

inventory::collect!(ConnectorPlugin);
named!(ConnectorPlugin, "Connector");

/// The connector plugin `name` designates.
pub fn find_connector(name: &str) -> Result<&'static ConnectorPlugin, PluginError> {
    find(name)
}

/// Every registered connector plugin, in no particular order.
pub fn connector_plugins() -> impl Iterator<Item = &'static ConnectorPlugin> {
    inventory::iter::<ConnectorPlugin>.into_iter()
}
