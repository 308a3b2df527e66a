//! The JDBC drivers Confluent's JDBC connectors read databases with (PostgreSQL's, MySQL
//! Connector/J and MariaDB Connector/J): their jars from Maven Central, cached once per
//! machine, for the Java programs that read a table beside Tributary.

use std::path::PathBuf;

use crate::{Database, HarnessError};

/// A JDBC driver, by the URL scheme that picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JdbcDriver {
    /// PostgreSQL's driver (pgjdbc), for `jdbc:postgresql:`.
    Postgres,
    /// MySQL Connector/J, for `jdbc:mysql:` (MariaDB servers too).
    MySqlConnectorJ,
    /// MariaDB Connector/J, for `jdbc:mariadb:`.
    MariaDbConnectorJ,
}

impl JdbcDriver {
    /// Maven group, artifact and version.
    fn coordinates(self) -> (&'static str, &'static str, &'static str) {
        match self {
            JdbcDriver::Postgres => ("org.postgresql", "postgresql", "42.7.13"),
            JdbcDriver::MySqlConnectorJ => ("com.mysql", "mysql-connector-j", "9.5.0"),
            JdbcDriver::MariaDbConnectorJ => ("org.mariadb.jdbc", "mariadb-java-client", "3.5.6"),
        }
    }

    /// The driver's jar, fetched on first use.
    pub fn jar(self) -> Result<PathBuf, HarnessError> {
        let (group, artifact, version) = self.coordinates();
        crate::maven_archive::jar(
            &format!("jdbc-{artifact}-{version}"),
            &format!("{group}:{artifact}:{version}"),
            &format!("{artifact}-{version}.jar"),
            &format!("the JDBC driver {artifact} {version}"),
        )
    }

    /// The JDBC URL of `database` that picks this driver.
    pub fn url(self, database: &Database) -> String {
        let url = database.jdbc_url();
        match self {
            JdbcDriver::MariaDbConnectorJ => url.replacen("jdbc:mysql:", "jdbc:mariadb:", 1),
            JdbcDriver::Postgres | JdbcDriver::MySqlConnectorJ => url,
        }
    }
}
