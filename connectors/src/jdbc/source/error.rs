//! Why a read of a table failed: what was being done, and the database's error (kept as the
//! source, so the task's status trace shows the driver's own reason), and how the task retries
//! it ([`Failure`]).

use crate::jdbc::connection::Dialect;
use crate::jdbc::types::MySqlDriver;

/// A failed read.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    /// A statement the database refused or could not answer.
    #[error("{0}")]
    Query(String, #[source] sqlx::Error),
    /// A reason of the reader's own (a missing table or column, a row it cannot turn into a
    /// record): retrying cannot help.
    #[error("{0}")]
    Failed(String),
}

/// What a failed read is to the task, as Confluent's task tells it from the JDBC driver's
/// exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No connection, or it was lost (no answer from the database, or SQLSTATE class 08, 28,
    /// 3D, 57P01-03): retried after `connection.backoff.ms`, failing the task after
    /// `connection.attempts` in a row, as Confluent's connection provider retries.
    Connection,
    /// The database refused the statement with an error its JDBC driver raises as a plain
    /// (transient) `SQLException`: the table is queried again at its next poll, failing the
    /// task after `query.retry.attempts` in a row (never by default).
    Query,
    /// Anything else (a `SQLNonTransientException` of the driver, a reason of the reader's
    /// own): the task fails at once.
    Fatal,
}

impl ReadError {
    /// Wraps a statement's error with what the statement was for
    /// (`map_err(ReadError::query(…))`).
    pub(super) fn query(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let context = context.into();
        move |error| ReadError::Query(context, error)
    }

    /// What this failure is to a task reading through `dialect` (and, on MySQL, `driver`).
    /// pgjdbc raises every server error as a plain `SQLException`; MySQL Connector/J raises
    /// SQLSTATE classes 22, 23 and 42 as non-transient exceptions, MariaDB Connector/J
    /// classes 0A, 20-23, 25, 26, 2F, 42 and XA (each read in the driver's exception factory).
    pub(super) fn failure(&self, dialect: Dialect, driver: MySqlDriver) -> Failure {
        let code = match self {
            ReadError::Failed(_) => return Failure::Fatal,
            ReadError::Query(_, sqlx::Error::Database(error)) => error.code().unwrap_or_default().to_string(),
            ReadError::Query(..) => return Failure::Connection,
        };
        let class = code.get(..2).unwrap_or_default();
        let non_transient: &[&str] = match (dialect, driver) {
            (Dialect::Postgres, _) => &[],
            (Dialect::MySql, MySqlDriver::ConnectorJ) => &["22", "23", "42"],
            (Dialect::MySql, MySqlDriver::MariaDb) => &["0A", "20", "21", "22", "23", "25", "26", "2F", "42", "XA"],
        };
        if matches!(class, "08" | "28" | "3D") || matches!(code.as_str(), "57P01" | "57P02" | "57P03") {
            Failure::Connection
        } else if non_transient.contains(&class) {
            Failure::Fatal
        } else {
            Failure::Query
        }
    }
}

impl From<String> for ReadError {
    fn from(message: String) -> Self {
        ReadError::Failed(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database's error with SQLSTATE `code`.
    #[derive(Debug, thiserror::Error)]
    #[error("refused with {0}")]
    struct Refusal(&'static str);

    impl sqlx::error::DatabaseError for Refusal {
        fn message(&self) -> &str {
            "refused"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn failure(code: &'static str, dialect: Dialect, driver: MySqlDriver) -> Failure {
        ReadError::Query("query failed".into(), sqlx::Error::Database(Box::new(Refusal(code)))).failure(dialect, driver)
    }

    #[test]
    fn failures_are_told_apart_as_the_jdbc_drivers_raise_them() {
        use Dialect::{MySql, Postgres};
        use MySqlDriver::{ConnectorJ, MariaDb};
        // pgjdbc: every server error is a plain SQLException.
        assert_eq!(failure("42P01", Postgres, ConnectorJ), Failure::Query);
        assert_eq!(failure("57014", Postgres, ConnectorJ), Failure::Query);
        assert_eq!(failure("40001", Postgres, ConnectorJ), Failure::Query);
        // The connection's own.
        assert_eq!(failure("57P01", Postgres, ConnectorJ), Failure::Connection);
        assert_eq!(failure("28P01", Postgres, ConnectorJ), Failure::Connection);
        assert_eq!(failure("08S01", MySql, MariaDb), Failure::Connection);
        // Non-transient: Connector/J's classes 22, 23 and 42; MariaDB Connector/J's more.
        assert_eq!(failure("42S02", MySql, ConnectorJ), Failure::Fatal);
        assert_eq!(failure("23000", MySql, ConnectorJ), Failure::Fatal);
        assert_eq!(failure("0A000", MySql, ConnectorJ), Failure::Query);
        assert_eq!(failure("0A000", MySql, MariaDb), Failure::Fatal);
        assert_eq!(failure("HY000", MySql, MariaDb), Failure::Query);
        assert_eq!(failure("40001", MySql, MariaDb), Failure::Query);
        let lost = ReadError::Query("query failed".into(), sqlx::Error::PoolTimedOut);
        assert_eq!(lost.failure(Postgres, ConnectorJ), Failure::Connection);
        assert_eq!(
            ReadError::Failed("no layout".into()).failure(MySql, MariaDb),
            Failure::Fatal
        );
    }
}
