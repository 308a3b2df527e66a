//! How each connection's session is set up before it is used: PostgreSQL's clock zone
//! (`db.timezone`) and the source's `transaction.isolation.mode`, which Confluent's connector
//! sets on its connection (`Connection.setTransactionIsolation`: the JDBC drivers send the
//! statements [`IsolationMode::statement`] gives).

use tributary_runtime::config::{ConfigKey, ConfigType, Key};

use super::connection::Dialect;
use super::time_zone::DbTimeZone;

tributary_runtime::choice_key_value!(IsolationMode);

/// `transaction.isolation.mode`.
pub const TRANSACTION_ISOLATION_MODE: Key<IsolationMode> = Key::new(
    ConfigKey::optional(
        "transaction.isolation.mode",
        ConfigType::String,
        "DEFAULT",
        "The isolation level of the queries' transactions: DEFAULT (the database's), \
         READ_UNCOMMITTED, READ_COMMITTED, REPEATABLE_READ or SERIALIZABLE.",
    )
    .check(|value| match IsolationMode::parse(value) {
        Some(IsolationMode::SqlServerSnapshot) => {
            Err("Isolation mode of `SQL_SERVER_SNAPSHOT` can only be configured with a Sql Server Dialect".into())
        }
        Some(_) => Ok(()),
        None => Err("must be one of DEFAULT, READ_UNCOMMITTED, READ_COMMITTED, REPEATABLE_READ, SERIALIZABLE".into()),
    }),
);

/// A `transaction.isolation.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationMode {
    /// The database's own default.
    #[default]
    Default,
    /// READ UNCOMMITTED (PostgreSQL runs it as READ COMMITTED).
    ReadUncommitted,
    /// READ COMMITTED.
    ReadCommitted,
    /// REPEATABLE READ.
    RepeatableRead,
    /// SERIALIZABLE.
    Serializable,
    /// SQL Server's snapshot isolation, which the key refuses here.
    SqlServerSnapshot,
}

impl IsolationMode {
    /// Parses Confluent's names, in either case.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_uppercase().as_str() {
            "DEFAULT" => IsolationMode::Default,
            "READ_UNCOMMITTED" => IsolationMode::ReadUncommitted,
            "READ_COMMITTED" => IsolationMode::ReadCommitted,
            "REPEATABLE_READ" => IsolationMode::RepeatableRead,
            "SERIALIZABLE" => IsolationMode::Serializable,
            "SQL_SERVER_SNAPSHOT" => IsolationMode::SqlServerSnapshot,
            _ => return None,
        })
    }

    /// The statement setting the level for a session of `dialect`, as the JDBC drivers'
    /// `setTransactionIsolation` sends it; none for the database's default.
    pub fn statement(self, dialect: Dialect) -> Option<String> {
        let level = match self {
            IsolationMode::Default | IsolationMode::SqlServerSnapshot => return None,
            IsolationMode::ReadUncommitted => "READ UNCOMMITTED",
            IsolationMode::ReadCommitted => "READ COMMITTED",
            IsolationMode::RepeatableRead => "REPEATABLE READ",
            IsolationMode::Serializable => "SERIALIZABLE",
        };
        Some(match dialect {
            Dialect::Postgres => format!("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}"),
            Dialect::MySql => format!("SET SESSION TRANSACTION ISOLATION LEVEL {level}"),
        })
    }
}

/// What each session of a connector's pool is set up with.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// `db.timezone`: PostgreSQL's sessions run in it (MySQL's stay in UTC).
    pub time_zone: DbTimeZone,
    /// `transaction.isolation.mode`.
    pub isolation: IsolationMode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_set_as_the_jdbc_drivers_set_them() {
        assert_eq!(
            IsolationMode::parse("repeatable_read").and_then(|m| m.statement(Dialect::Postgres)),
            Some("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ".into())
        );
        assert_eq!(
            IsolationMode::Serializable.statement(Dialect::MySql),
            Some("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE".into())
        );
        assert_eq!(IsolationMode::Default.statement(Dialect::MySql), None);
        assert_eq!(IsolationMode::parse("snapshot"), None);
    }
}
