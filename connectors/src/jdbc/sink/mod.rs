//! `JdbcSinkConnector`: records into PostgreSQL or MySQL/MariaDB tables, with the keys and
//! semantics of Confluent's JDBC sink connector.
//!
//! Each record (a struct value with a schema) becomes a row of table `table.name.format`
//! (`${topic}` by default): `insert.mode` insert, upsert or update; the primary key from
//! `pk.mode` (`none`, `kafka` coordinates, `record_key`, `record_value`) and `pk.fields`;
//! tombstones delete by key with `delete.enabled`. `auto.create` creates a missing table and
//! `auto.evolve` adds new optional columns. Each `put` is one transaction, written in
//! statements of up to `batch.size` rows. A failing database is retried `max.retries` times,
//! `retry.backoff.ms` apart, before the task fails with the cause.
//!
//! Beyond Confluent, `exactly.once.enabled=true` stores the next Kafka offset of every
//! partition written in a table of the target database (`exactly.once.offsets.table`), in
//! the same transaction as the rows. Each transaction first reads and locks those offsets and
//! drops the records below them: after a crash the worker re-delivers what Kafka's committed
//! offsets do not cover, and no row is written twice, whichever task held the partition before.

mod copy;
mod plan;
mod sql;
mod task;

use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, ValidationError};
use tributary_runtime::plugins::{ConnectorPlugin, TaskFactory};

use self::plan::{InsertMode, PkMode};
use crate::config_per_task::ConfigPerTask;
use crate::jdbc::connection::native_url;

pub(crate) const CLASS: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

fn config_def() -> ConfigDef {
    crate::jdbc::connection_config_def()
        .define(
            ConfigKey::optional("insert.mode", ConfigType::String, "insert", "insert, upsert or update.")
                .check(|v| {
                    InsertMode::parse(v)
                        .map(|_| ())
                        .ok_or_else(|| "must be one of insert, upsert, update".into())
                }),
        )
        .define(
            ConfigKey::optional(
                "pk.mode",
                ConfigType::String,
                "none",
                "none, kafka, record_key or record_value: where the primary key comes from.",
            )
            .check(|v| {
                PkMode::parse(v)
                    .map(|_| ())
                    .ok_or_else(|| "must be one of none, kafka, record_key, record_value".into())
            }),
        )
        .define(ConfigKey::optional(
            "pk.fields",
            ConfigType::List,
            "",
            "The primary key's columns (their meaning depends on pk.mode).",
        ))
        .define(ConfigKey::optional(
            "fields.whitelist",
            ConfigType::List,
            "",
            "The value fields to write; all when empty.",
        ))
        .define(ConfigKey::optional(
            "table.name.format",
            ConfigType::String,
            "${topic}",
            "The destination table; ${topic} is the record's topic.",
        ))
        .define(ConfigKey::optional(
            "delete.enabled",
            ConfigType::Boolean,
            "false",
            "Whether a tombstone deletes the row of its key (needs pk.mode=record_key).",
        ))
        .define(ConfigKey::optional(
            "auto.create",
            ConfigType::Boolean,
            "false",
            "Whether to create a missing table from the record schema.",
        ))
        .define(ConfigKey::optional(
            "auto.evolve",
            ConfigType::Boolean,
            "false",
            "Whether to add columns for new optional fields.",
        ))
        .define(ConfigKey::optional(
            "batch.size",
            ConfigType::Int,
            "3000",
            "Rows per statement.",
        ))
        .define(ConfigKey::optional(
            "max.retries",
            ConfigType::Int,
            "10",
            "Failed writes in a row before the task fails.",
        ))
        .define(ConfigKey::optional(
            "retry.backoff.ms",
            ConfigType::Int,
            "3000",
            "Wait between retries.",
        ))
        .define(ConfigKey::optional(
            "exactly.once.enabled",
            ConfigType::Boolean,
            "false",
            "Tributary only: store written Kafka offsets in the target database with the rows and skip what was written, so no row is written twice.",
        ))
        .define(ConfigKey::optional(
            "exactly.once.offsets.table",
            ConfigType::String,
            "__tributary_sink_offsets",
            "Tributary only: the table holding the offsets for exactly.once.enabled.",
        ))
}

/// The rules across keys: a usable URL, and a key for deletes, upserts and updates.
fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let error = |key: &str, message: &str| ValidationError {
        key: key.into(),
        message: message.into(),
    };
    if let Err(message) = native_url(config.get("connection.url").map(String::as_str).unwrap_or_default()) {
        errors.push(error("connection.url", &message));
    }
    let pk_mode = config
        .get("pk.mode")
        .and_then(|m| PkMode::parse(m))
        .unwrap_or(PkMode::None);
    let insert_mode = config
        .get("insert.mode")
        .and_then(|m| InsertMode::parse(m))
        .unwrap_or(InsertMode::Insert);
    if config.get("delete.enabled").is_some_and(|v| v.trim() == "true") && pk_mode != PkMode::RecordKey {
        errors.push(error("delete.enabled", "delete.enabled=true needs pk.mode=record_key"));
    }
    if insert_mode != InsertMode::Insert && pk_mode == PkMode::None {
        errors.push(error(
            "pk.mode",
            "insert.mode upsert and update need a primary key (pk.mode other than none)",
        ));
    }
    errors
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.jdbc.JdbcSinkConnector", "JdbcSink"],
        config_def,
        create: || Box::new(ConfigPerTask::validated_by(validate)),
        tasks: TaskFactory::Sink(|| Box::new(task::JdbcSinkTask::default())),
    }
}
