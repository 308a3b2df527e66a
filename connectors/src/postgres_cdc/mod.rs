//! `PostgresConnector`: PostgreSQL change data capture through logical replication
//! (`pgoutput`), with Debezium's config keys, topics, offsets and event envelope, so Debezium
//! consumers work unchanged. Debezium's class name is accepted as an alias.
//!
//! The connector creates (or reuses) publication `publication.name` and replication slot
//! `slot.name`. With `snapshot.mode=initial` (the default) a first start reads every published
//! table (`op` `r`) before streaming (`always`, `initial_only`, `when_needed` and `no_data` as
//! in Debezium); then inserts, updates and deletes arrive in commit order
//! (`c`, `u`, `d`, each delete followed by a tombstone unless `tombstones.on.delete=false`), one
//! topic per table, `<topic.prefix>.<schema>.<table>`, keyed by the primary key or by the
//! columns `message.key.columns` names; heartbeats ([`heartbeat`]) when
//! `heartbeat.interval.ms` asks for them; logical decoding messages ([`messages`]) to
//! `<topic.prefix>.message`; incremental snapshots ([`incremental`]) that a signaling table's
//! rows ask for. Changes are streamed over a replication
//! connection (the user needs the REPLICATION attribute); the slot's confirmed position is
//! moved, every `status.update.interval.ms`, only up to what the worker committed the offsets
//! of, i.e. what Kafka acknowledged, so a crash re-reads from there (at-least-once).

mod catalog;
mod columns;
mod config;
mod error;
mod events;
mod geometry;
mod hash_mask;
mod heartbeat;
mod incremental;
mod messages;
mod naming;
mod pgoutput;
mod placeholder;
mod snapshot;
mod task;
mod transactions;

use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use crate::config_per_task::ConfigPerTask;

use self::config::{config_def, validate};

pub(crate) const CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 1] = [CLASS];

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.postgres.PostgresConnector"],
        config_def,
        validate: Some(validate),
        alter_offsets: None,
        // One task: a replication slot has one reader.
        create: |config| Ok(Box::new(ConfigPerTask::single(config))),
        tasks: TaskFactory::Source(|config| Ok(Box::new(task::PostgresCdcTask::new(config)?))),
    }
}
