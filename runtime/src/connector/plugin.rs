//! How a connector registers itself: a [`ConnectorPlugin`] submitted with `inventory::submit!`
//! names its classes, its config keys and how its connector object and tasks are made.

use crate::config::{ConfigDef, ConfigMap, ValidationError};
use crate::plugins::{find, named, PluginError};

use super::{ConnectError, Connector, OffsetMap, SinkTask, SourceTask};

/// Makes a connector's tasks from their task config (provider references resolved): each task
/// parses its settings once, here, and a config it cannot run with is a
/// [`ConnectError::Config`] that fails the task before it starts.
#[derive(Clone, Copy)]
pub enum TaskFactory {
    /// A source connector's task.
    Source(MakeSourceTask),
    /// A sink connector's task.
    Sink(MakeSinkTask),
}

/// Makes a source task from its task config.
pub type MakeSourceTask = fn(&ConfigMap) -> Result<Box<dyn SourceTask>, ConnectError>;

/// Makes a sink task from its task config.
pub type MakeSinkTask = fn(&ConfigMap) -> Result<Box<dyn SinkTask>, ConnectError>;

/// A connector's check of the offsets a user asks to write: its config, then each source
/// partition with its new offset (`None` removes it).
pub type AlterOffsets = fn(&ConfigMap, &[(OffsetMap, Option<OffsetMap>)]) -> Result<bool, String>;

/// A registered connector.
pub struct ConnectorPlugin {
    /// Its class name, as `GET /connector-plugins` lists it.
    pub class: &'static str,
    /// Other names it answers to (Apache, Confluent, Debezium class names).
    pub aliases: &'static [&'static str],
    /// Its own config keys (the framework's keys are added by the worker).
    pub config_def: fn() -> ConfigDef,
    /// Its checks across keys, beyond what `config_def` checks of each key (Apache's
    /// `Connector.validate`); `None` when it has none.
    pub validate: Option<fn(&ConfigMap) -> Vec<ValidationError>>,
    /// Checks offsets a user asks to write (`PATCH`, or `DELETE` with every offset `None`)
    /// before anything is written, as Apache's `alterOffsets`: `Ok(true)` when the connector
    /// vouches for them (it keeps no offsets of its own elsewhere), and the reason for offsets
    /// it could never use, which refuses the request. `None`: it cannot tell, and only the
    /// framework's offsets change.
    pub alter_offsets: Option<AlterOffsets>,
    /// Makes the connector object from its config (provider references resolved), parsing
    /// its settings once; a config it cannot run with is a [`ConnectError::Config`].
    pub create: fn(&ConfigMap) -> Result<Box<dyn Connector>, ConnectError>,
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
