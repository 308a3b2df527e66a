//! `JdbcSourceConnector`: rows of PostgreSQL or MySQL/MariaDB tables into topics, with the keys
//! and semantics of Confluent's JDBC source connector.
//!
//! Tables come from `table.whitelist`/`table.blacklist` (names or `schema.table`; all tables of
//! the database when neither is set), or one `query`. Each table goes to topic
//! `<topic.prefix><table>` as a struct named after the table, with no key. `mode` picks the new
//! rows: `bulk` (everything, every `poll.interval.ms`), `incrementing`, `timestamp` or
//! `timestamp+incrementing`. Offsets are Confluent's, per table (`{"protocol":"1",
//! "table":"<db>.<schema>.<table>"}` → `{"incrementing", "timestamp", "timestamp_nanos"}`), so a
//! restart resumes after the last row Kafka acknowledged. Tables are split into contiguous
//! groups, one per task; new and dropped tables are noticed every `table.poll.interval.ms`.
//! A database that does not answer is tried `connection.attempts` times, `connection.backoff.ms`
//! apart, before the task fails with the cause.

mod query;
mod task;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::plugins::{ConnectorPlugin, TaskFactory};

use self::query::Mode;
use crate::jdbc::connection::{native_url, Database};
use crate::jdbc::types::NumericMapping;

pub(crate) const CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";
/// The task config key listing a task's tables (`schema.table`, comma-separated).
const TABLES: &str = "tables";

fn config_def() -> ConfigDef {
    crate::jdbc::connection_config_def()
        .define(ConfigKey::optional(
            "table.whitelist",
            ConfigType::List,
            "",
            "Tables to copy (names or schema.table); all when empty.",
        ))
        .define(ConfigKey::optional(
            "table.blacklist",
            ConfigType::List,
            "",
            "Tables not to copy.",
        ))
        .define(ConfigKey::optional(
            "query",
            ConfigType::String,
            "",
            "A query to run instead of copying tables; its rows go to topic.prefix.",
        ))
        .define(
            ConfigKey::required(
                "mode",
                ConfigType::String,
                "bulk, incrementing, timestamp or timestamp+incrementing.",
            )
            .check(|v| {
                Mode::parse(v)
                    .map(|_| ())
                    .ok_or_else(|| "must be one of bulk, incrementing, timestamp, timestamp+incrementing".into())
            }),
        )
        .define(ConfigKey::optional(
            "incrementing.column.name",
            ConfigType::String,
            "",
            "The strictly increasing integer column (incrementing modes).",
        ))
        .define(ConfigKey::optional(
            "timestamp.column.name",
            ConfigType::List,
            "",
            "The modification timestamp column(s); the first non-null counts (timestamp modes).",
        ))
        .define(ConfigKey::optional(
            "timestamp.delay.interval.ms",
            ConfigType::Long,
            "0",
            "How long after a timestamp a row is read, so transactions in flight can commit.",
        ))
        .define(ConfigKey::optional(
            "poll.interval.ms",
            ConfigType::Int,
            "5000",
            "How often each table is queried.",
        ))
        .define(ConfigKey::optional(
            "batch.max.rows",
            ConfigType::Int,
            "100",
            "Rows per batch handed to the worker.",
        ))
        .define(ConfigKey::required(
            "topic.prefix",
            ConfigType::String,
            "Prefix of the topics (the table name follows; in query mode, the whole topic).",
        ))
        .define(ConfigKey::optional(
            "table.poll.interval.ms",
            ConfigType::Long,
            "60000",
            "How often to look for new or dropped tables.",
        ))
        .define(
            ConfigKey::optional(
                "numeric.mapping",
                ConfigType::String,
                "none",
                "none, precision_only or best_fit: how NUMERIC columns are typed.",
            )
            .check(|v| {
                NumericMapping::parse(v)
                    .map(|_| ())
                    .ok_or_else(|| "must be none, precision_only or best_fit".into())
            }),
        )
}

/// A table: its schema (PostgreSQL schema, or MySQL database) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableRef {
    /// The schema.
    pub schema: String,
    /// The table's name.
    pub name: String,
}

impl TableRef {
    /// Parses `schema.table`.
    fn parse(value: &str) -> Option<Self> {
        let (schema, name) = value.split_once('.')?;
        Some(TableRef {
            schema: schema.to_string(),
            name: name.to_string(),
        })
    }

    fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Whether a `table.whitelist`/`table.blacklist` entry names this table.
    fn matches(&self, entry: &str) -> bool {
        entry == self.name || entry == self.qualified()
    }
}

/// What the table declares about a column.
#[derive(Debug, Clone, Default)]
pub struct ColumnMetadata {
    /// Whether it may be NULL.
    pub nullable: bool,
    /// NUMERIC precision.
    pub precision: Option<i32>,
    /// NUMERIC scale.
    pub scale: Option<i32>,
}

/// The tables of the database (all non-system schemas in PostgreSQL, the connection's
/// database in MySQL).
async fn list_tables(database: &Database) -> Result<Vec<TableRef>, sqlx::Error> {
    let rows: Vec<(String, String)> = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT table_schema::text, table_name::text FROM information_schema.tables \
                 WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') \
                 ORDER BY 1, 2",
            )
            .fetch_all(pool)
            .await?
        }
        Database::MySql(pool) => {
            sqlx::query_as(
                "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_type = 'BASE TABLE' AND table_schema = DATABASE() ORDER BY 1, 2",
            )
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(schema, name)| TableRef { schema, name })
        .collect())
}

/// The declared nullability, precision and scale of `table`'s columns.
async fn column_metadata(
    database: &Database,
    table: &TableRef,
) -> Result<HashMap<String, ColumnMetadata>, sqlx::Error> {
    type Row = (String, String, Option<i64>, Option<i64>);
    let rows: Vec<Row> = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT column_name::text, is_nullable::text, numeric_precision::int8, numeric_scale::int8 \
                 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_all(pool)
            .await?
        }
        Database::MySql(pool) => {
            sqlx::query_as(
                "SELECT CAST(column_name AS CHAR), CAST(is_nullable AS CHAR), CAST(numeric_precision AS SIGNED), \
                 CAST(numeric_scale AS SIGNED) FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(name, nullable, precision, scale)| {
            let metadata = ColumnMetadata {
                nullable: nullable == "YES",
                precision: precision.map(|p| p as i32),
                scale: scale.map(|s| s as i32),
            };
            (name, metadata)
        })
        .collect())
}

/// The tables the config selects, from those of the database.
fn selected(config: &ConfigMap, tables: Vec<TableRef>) -> Vec<TableRef> {
    let list = |key: &str| -> Vec<String> {
        config
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (whitelist, blacklist) = (list("table.whitelist"), list("table.blacklist"));
    tables
        .into_iter()
        .filter(|t| whitelist.is_empty() || whitelist.iter().any(|w| t.matches(w)))
        .filter(|t| !blacklist.iter().any(|b| t.matches(b)))
        .collect()
}

/// The connector object: finds the tables, splits them between tasks, and watches for tables
/// created or dropped.
#[derive(Default)]
pub struct JdbcSourceConnector {
    config: ConfigMap,
    tables: std::sync::Arc<std::sync::Mutex<Vec<TableRef>>>,
    monitor: Option<JoinHandle<()>>,
    database: Option<Database>,
}

#[async_trait]
impl Connector for JdbcSourceConnector {
    fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        let error = |key: &str, message: String| ValidationError {
            key: key.into(),
            message,
        };
        if let Err(message) = native_url(config.get("connection.url").map(String::as_str).unwrap_or_default()) {
            errors.push(error("connection.url", message));
        }
        let set = |key: &str| config.get(key).is_some_and(|v| !v.trim().is_empty());
        if set("query") && (set("table.whitelist") || set("table.blacklist")) {
            errors.push(error(
                "query",
                "query cannot be combined with table.whitelist or table.blacklist".into(),
            ));
        }
        if set("table.whitelist") && set("table.blacklist") {
            errors.push(error(
                "table.blacklist",
                "table.whitelist and table.blacklist cannot both be set".into(),
            ));
        }
        if let Some(mode) = config.get("mode").and_then(|m| Mode::parse(m)) {
            if mode.uses_incrementing() && !set("incrementing.column.name") {
                errors.push(error(
                    "incrementing.column.name",
                    format!("is required in mode {}", config["mode"]),
                ));
            }
            if mode.uses_timestamp() && !set("timestamp.column.name") {
                errors.push(error(
                    "timestamp.column.name",
                    format!("is required in mode {}", config["mode"]),
                ));
            }
        }
        errors
    }

    async fn start(&mut self, config: &ConfigMap, context: ConnectorContext) -> Result<(), ConnectError> {
        self.config = config.clone();
        if config.get("query").is_some_and(|q| !q.trim().is_empty()) {
            return Ok(());
        }
        let database = Database::from_config(config, 1)?;
        let tables = list_tables(&database)
            .await
            .map_err(|e| ConnectError::fatal(format!("cannot list the database's tables: {e}")))?;
        let tables = selected(config, tables);
        tracing::info!(connector = %context.name, tables = tables.len(), "tables to copy found");
        *crate::lock(&self.tables) = tables;
        let interval = Duration::from_millis(
            config
                .get("table.poll.interval.ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(60_000u64)
                .max(100),
        );
        self.monitor = Some(tokio::spawn(watch_tables(
            database.clone(),
            config.clone(),
            self.tables.clone(),
            interval,
            context,
        )));
        self.database = Some(database);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        if self.config.get("query").is_some_and(|q| !q.trim().is_empty()) {
            return Ok(vec![self.config.clone()]);
        }
        let tables = crate::lock(&self.tables).clone();
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let tasks = max_tasks.clamp(1, tables.len());
        // Contiguous groups, sizes differing by at most one (Confluent's grouping).
        let (size, extra) = (tables.len() / tasks, tables.len() % tasks);
        let mut start = 0;
        Ok((0..tasks)
            .map(|task| {
                let end = start + size + usize::from(task < extra);
                let mut config = self.config.clone();
                let names: Vec<String> = tables[start..end].iter().map(TableRef::qualified).collect();
                config.insert(TABLES.into(), names.join(","));
                start = end;
                config
            })
            .collect())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(monitor) = self.monitor.take() {
            monitor.abort();
        }
        if let Some(database) = self.database.take() {
            database.close().await;
        }
        Ok(())
    }
}

/// Lists the tables every `interval`; asks for new task configs when the selection changed.
async fn watch_tables(
    database: Database,
    config: ConfigMap,
    tables: std::sync::Arc<std::sync::Mutex<Vec<TableRef>>>,
    interval: Duration,
    context: ConnectorContext,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        ticks.tick().await;
        match list_tables(&database).await {
            Ok(found) => {
                let found = selected(&config, found);
                let changed = *crate::lock(&tables) != found;
                if changed {
                    tracing::info!(connector = %context.name, tables = found.len(), "the tables to copy changed");
                    *crate::lock(&tables) = found;
                    context.request_task_reconfiguration();
                }
            }
            Err(e) => tracing::warn!(connector = %context.name, "cannot list the database's tables: {e}"),
        }
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.jdbc.JdbcSourceConnector", "JdbcSource"],
        config_def,
        create: || Box::new(JdbcSourceConnector::default()),
        tasks: TaskFactory::Source(|| Box::new(task::JdbcSourceTask::default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(names: &[&str]) -> Vec<TableRef> {
        names.iter().map(|n| TableRef::parse(n).unwrap()).collect()
    }

    #[test]
    fn whitelists_and_blacklists_match_names_or_qualified_names() {
        let all = tables(&["public.a", "public.b", "sales.c"]);
        let config = |key: &str, value: &str| ConfigMap::from([(key.to_string(), value.to_string())]);
        assert_eq!(
            selected(&config("table.whitelist", "a, sales.c"), all.clone()),
            tables(&["public.a", "sales.c"])
        );
        assert_eq!(
            selected(&config("table.blacklist", "public.b"), all.clone()),
            tables(&["public.a", "sales.c"])
        );
        assert_eq!(selected(&ConfigMap::new(), all.clone()), all);
    }

    #[test]
    fn tables_are_split_into_contiguous_groups() {
        let mut connector = JdbcSourceConnector::default();
        *crate::lock(&connector.tables) = tables(&["s.a", "s.b", "s.c", "s.d", "s.e"]);
        connector.config.insert("mode".into(), "bulk".into());
        let groups: Vec<String> = connector
            .task_configs(2)
            .unwrap()
            .iter()
            .map(|c| c[TABLES].clone())
            .collect();
        assert_eq!(groups, ["s.a,s.b,s.c", "s.d,s.e"]);
        assert_eq!(connector.task_configs(10).unwrap().len(), 5);
    }
}
