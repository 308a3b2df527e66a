//! JDBC-style database connectors for PostgreSQL and MySQL/MariaDB over sqlx, with the config
//! keys of Confluent's JDBC connectors and their class names as aliases.
//!
//! - [`source`]: `JdbcSourceConnector`, tables or a query into topics (bulk, incrementing,
//!   timestamp, timestamp+incrementing).
//! - [`sink`]: `JdbcSinkConnector`, records into tables (insert, upsert, update, delete), with
//!   an exactly-once option.
//! - [`connection`]: `connection.url` (JDBC or native form), credentials, dialects.
//! - [`types`]: column types and their Connect schemas.

pub mod connection;
pub mod sink;
pub mod source;
pub mod types;

use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigType};

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 2] = [source::CLASS, sink::CLASS];

/// The connection settings every JDBC-style connector shares.
fn connection_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::required(
            "connection.url",
            ConfigType::String,
            "jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db (or postgres://, mysql://).",
        ))
        .define(ConfigKey::optional(
            "connection.user",
            ConfigType::String,
            "",
            "The database user (over the URL's).",
        ))
        .define(ConfigKey::optional(
            "connection.password",
            ConfigType::Password,
            "",
            "The user's password (use a config provider).",
        ))
        .define(ConfigKey::optional(
            "connection.attempts",
            ConfigType::Int,
            "3",
            "Failed attempts in a row before the task fails.",
        ))
        .define(ConfigKey::optional(
            "connection.backoff.ms",
            ConfigType::Long,
            "10000",
            "Wait between attempts.",
        ))
}
