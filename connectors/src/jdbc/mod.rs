//! JDBC-style database connectors for PostgreSQL and MySQL/MariaDB over sqlx, with the config
//! keys of Confluent's JDBC connectors and their class names as aliases.
//!
//! - [`source`]: `JdbcSourceConnector`, tables or a query into topics (bulk, incrementing,
//!   timestamp, timestamp+incrementing).
//! - [`sink`]: `JdbcSinkConnector`, records into tables (insert, upsert, update, delete), with
//!   an exactly-once option.
//! - [`connection`]: `connection.url` (JDBC or native form), credentials, dialects.
//! - [`types`]: column types and their Connect schemas.
//! - [`time_zone`]: `db.timezone`, the zone of times without one.
//! - [`granularity`]: `timestamp.granularity`, how the source writes timestamps.
//! - [`calendar`]: `date.calendar.system`, the calendar of dates before 1582.
//! - [`session`]: how each connection's session is set up.
//! - [`identifiers`]: `quote.sql.identifiers`, whether the statements quote names.
//! - [`table_types`]: `table.types`, the kinds of tables read or written.

pub mod calendar;
pub mod connection;
pub mod granularity;
pub mod identifiers;
pub mod session;
pub mod sink;
pub mod source;
pub mod table_types;
pub mod time_zone;
pub mod types;

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 2] = [source::CLASS, sink::CLASS];
