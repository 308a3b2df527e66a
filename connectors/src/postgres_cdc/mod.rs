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

mod events;
mod pgoutput;
mod snapshot;
mod task;

use async_trait::async_trait;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::plugins::{ConnectorPlugin, TaskFactory};

pub(crate) const CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 1] = [CLASS];

fn config_def() -> ConfigDef {
    let key = |name, default, doc| ConfigKey::optional(name, ConfigType::String, default, doc);
    ConfigDef::new()
        .define(ConfigKey::required(
            "database.hostname",
            ConfigType::String,
            "The server's host.",
        ))
        .define(ConfigKey::optional(
            "database.port",
            ConfigType::Int,
            "5432",
            "The server's port.",
        ))
        .define(ConfigKey::required(
            "database.user",
            ConfigType::String,
            "A user with the REPLICATION attribute.",
        ))
        .define(ConfigKey::optional(
            "database.password",
            ConfigType::Password,
            "",
            "Its password.",
        ))
        .define(ConfigKey::required(
            "database.dbname",
            ConfigType::String,
            "The database to capture.",
        ))
        .define(ConfigKey::required(
            "topic.prefix",
            ConfigType::String,
            "Topic prefix and logical server name: topics are <prefix>.<schema>.<table>.",
        ))
        .define(
            key("plugin.name", "pgoutput", "The logical decoding plugin: only pgoutput.").check(|v| {
                (v.trim() == "pgoutput")
                    .then_some(())
                    .ok_or_else(|| "only pgoutput is supported".into())
            }),
        )
        .define(key("slot.name", "debezium", "The replication slot."))
        .define(key("publication.name", "dbz_publication", "The publication."))
        .define(
            key(
                "publication.autocreate.mode",
                "all_tables",
                "all_tables, filtered or disabled: how a missing publication is created.",
            )
            .check(|v| {
                ["all_tables", "filtered", "disabled"]
                    .contains(&v.trim())
                    .then_some(())
                    .ok_or_else(|| "must be all_tables, filtered or disabled".into())
            }),
        )
        .define(ConfigKey::optional(
            "table.include.list",
            ConfigType::List,
            "",
            "Tables to capture (regexes over schema.table); all when empty.",
        ))
        .define(ConfigKey::optional(
            "table.exclude.list",
            ConfigType::List,
            "",
            "Tables not to capture (regexes over schema.table).",
        ))
        .define(
            key(
                "snapshot.mode",
                "initial",
                "initial (read the tables first) or never/no_data.",
            )
            .check(|v| {
                ["initial", "never", "no_data"]
                    .contains(&v.trim())
                    .then_some(())
                    .ok_or_else(|| "must be initial, never or no_data".into())
            }),
        )
        .define(ConfigKey::optional(
            "tombstones.on.delete",
            ConfigType::Boolean,
            "true",
            "Whether a delete is followed by a tombstone.",
        ))
        .define(ConfigKey::optional(
            "max.batch.size",
            ConfigType::Int,
            "2048",
            "Records per batch at most.",
        ))
        .define(ConfigKey::optional(
            "poll.interval.ms",
            ConfigType::Long,
            "500",
            "How long to wait when there are no new changes.",
        ))
        .define(
            key(
                "database.sslmode",
                "prefer",
                "TLS to the server: disable, prefer, require, verify-ca or verify-full.",
            )
            .check(|v| {
                ["disable", "prefer", "require", "verify-ca", "verify-full"]
                    .contains(&v.trim())
                    .then_some(())
                    .ok_or_else(|| "must be disable, prefer, require, verify-ca or verify-full".into())
            }),
        )
        .define(key(
            "database.sslrootcert",
            "",
            "A PEM file of the CA certificates to trust (verify-ca, verify-full); the public roots when empty.",
        ))
        .define(ConfigKey::optional(
            "status.update.interval.ms",
            ConfigType::Long,
            "10000",
            "How often the server is told the position it may confirm for the slot.",
        ))
        .define(ConfigKey::optional(
            "errors.max.retries",
            ConfigType::Int,
            "5",
            "Failed attempts in a row (database down) before the task fails.",
        ))
        .define(ConfigKey::optional(
            "retriable.restart.connector.wait.ms",
            ConfigType::Long,
            "10000",
            "Wait between attempts.",
        ))
}

/// The connector object: one task (a replication slot has one reader).
#[derive(Default)]
pub struct PostgresConnector {
    config: ConfigMap,
}

#[async_trait]
impl Connector for PostgresConnector {
    fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        for key in ["table.include.list", "table.exclude.list"] {
            if let Err(message) = task::patterns(config, key) {
                errors.push(ValidationError {
                    key: key.into(),
                    message,
                });
            }
        }
        errors
    }

    async fn start(&mut self, config: &ConfigMap, _context: ConnectorContext) -> Result<(), ConnectError> {
        self.config = config.clone();
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
        create: || Box::new(PostgresConnector::default()),
        tasks: TaskFactory::Source(|| Box::new(task::PostgresCdcTask::default())),
    }
}
