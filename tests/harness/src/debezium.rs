//! Debezium's PostgreSQL connector as a Kafka Connect plugin: its plugin archive from Maven
//! Central (the connector and the jars it needs, the PostgreSQL JDBC driver among them), cached
//! once per machine, for an Apache Connect worker's `plugin.path`.

use std::path::PathBuf;

use crate::HarnessError;

/// The Debezium version fetched.
pub const DEBEZIUM_VERSION: &str = "3.7.0.Final";

/// A folder to name in `plugin.path`: it holds the plugin's own folder,
/// `debezium-connector-postgres`.
pub fn debezium_postgres_plugin_path() -> Result<PathBuf, HarnessError> {
    crate::maven_archive::unpacked(
        &format!("debezium-connector-postgres-{DEBEZIUM_VERSION}"),
        &format!("io.debezium:debezium-connector-postgres:{DEBEZIUM_VERSION}:tar.gz:plugin"),
        &format!("debezium-connector-postgres-{DEBEZIUM_VERSION}-plugin.tar.gz"),
        "Debezium's PostgreSQL connector",
    )
}
