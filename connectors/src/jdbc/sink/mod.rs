//! `JdbcSinkConnector`: records into PostgreSQL or MySQL/MariaDB tables, with the keys and
//! semantics of Confluent's JDBC sink connector.
//!
//! Each record (a struct value with a schema) becomes a row of table `table.name.format`
//! (`${topic}` by default): `insert.mode` insert, upsert or update; the primary key from
//! `pk.mode` (`none`, `kafka` coordinates, `record_key`, `record_value`) and `pk.fields`;
//! tombstones delete by key with `delete.enabled`. `auto.create` creates a missing table and
//! `auto.evolve` adds columns for new fields (optional, or with a default), the fields'
//! defaults the columns' defaults; `table.types` names the kinds of tables written to and
//! `quote.sql.identifiers` whether names are quoted. Each `put` is one transaction, written in
//! statements of up to `batch.size` rows, which commits while the next `put` is planned: the
//! database and the worker work at once. A failing database is retried `max.retries` times,
//! `retry.backoff.ms` apart, before the task fails with the cause; a transaction's failure
//! shows at the next `put`, or at the worker's `flush` (which waits for the last one before
//! the worker commits consumer offsets), and it is run again before anything after it. With
//! a dead letter queue or `errors.log.enable` (the worker's errant record reporter), as with
//! Confluent's: each `put` waits for its transaction, and the records of a `put` that a table
//! refuses, or that still fails after the retries, are written one by one and those failing
//! reported (to the dead letter queue under `errors.tolerance=all`; else the task fails).
//!
//! Beyond Confluent, `exactly.once.enabled=true` stores the next Kafka offset of every
//! partition written in a table of the target database (`exactly.once.offsets.table`), in
//! the same transaction as the rows. Each transaction first reads and locks those offsets and
//! drops the records below them: after a crash the worker re-delivers what Kafka's committed
//! offsets do not cover, and no row is written twice, whichever task held the partition before.

mod config;
mod copy;
mod copy_binary;
mod plan;
mod sql;
mod table;
mod task;
mod write;
mod zone;

use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use self::config::{config_def, validate};
use crate::config_per_task::ConfigPerTask;

pub(crate) const CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.jdbc.JdbcSinkConnector", "JdbcSink"],
        config_def,
        validate: Some(validate),
        alter_offsets: None,
        create: |config| Ok(Box::new(ConfigPerTask::new(config))),
        tasks: TaskFactory::Sink(|config| Ok(Box::new(task::JdbcSinkTask::new(config)?))),
    }
}
