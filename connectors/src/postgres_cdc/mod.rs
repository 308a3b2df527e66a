//! `PostgresConnector`: PostgreSQL change data capture through logical replication
//! (`pgoutput`), with Debezium's config keys, topics, offsets and event envelope, so Debezium
//! consumers work unchanged. Debezium's class name is accepted as an alias.
//!
//! The connector creates (or reuses) publication `publication.name` and replication slot
//! `slot.name`. With `snapshot.mode=initial` (the default) a first start reads every published
//! table (`op` `r`) before streaming; then inserts, updates and deletes arrive in commit order
//! (`c`, `u`, `d`, each delete followed by a tombstone unless `tombstones.on.delete=false`), one
//! topic per table, `<topic.prefix>.<schema>.<table>`. Changes are streamed over a replication
//! connection (the user needs the REPLICATION attribute); the slot's confirmed position is
//! moved, every `status.update.interval.ms`, only up to what the worker committed the offsets
//! of, i.e. what Kafka acknowledged, so a crash re-reads from there (at-least-once).

mod config;
mod events;
mod pgoutput;
mod snapshot;
mod task;

use async_trait::async_trait;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use self::config::config_def;

pub(crate) const CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 1] = [CLASS];

/// The connector object: one task (a replication slot has one reader).
pub struct PostgresConnector {
    config: ConfigMap,
}

impl PostgresConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        config_def().parse(config).map_err(ConnectError::Config)?;
        Ok(PostgresConnector { config: config.clone() })
    }
}

#[async_trait]
impl Connector for PostgresConnector {
    async fn start(&mut self, _context: ConnectorContext) -> Result<(), ConnectError> {
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok(vec![self.config.clone()])
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.postgres.PostgresConnector"],
        config_def,
        validate: None,
        alter_offsets: None,
        create: |config| Ok(Box::new(PostgresConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(task::PostgresCdcTask::new(config)?))),
    }
}
