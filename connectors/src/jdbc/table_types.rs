//! `table.types`: the kinds of tables the connectors read or write, by the names the JDBC
//! drivers give them in `DatabaseMetaData.getTables` (Confluent's connectors take those
//! names), and the kinds of the catalogs behind them: PostgreSQL's `pg_class.relkind` (pgjdbc
//! 42.7 calls an ordinary table or a partition TABLE, and a partitioned table itself
//! PARTITIONED TABLE), MySQL's and MariaDB's `information_schema.tables.table_type`.

use super::connection::Dialect;

/// A JDBC table type and the catalog's kind of it, per dialect.
const KINDS: &[(Dialect, &str, &str)] = &[
    (Dialect::Postgres, "TABLE", "r"),
    (Dialect::Postgres, "VIEW", "v"),
    (Dialect::Postgres, "MATERIALIZED VIEW", "m"),
    (Dialect::Postgres, "FOREIGN TABLE", "f"),
    (Dialect::Postgres, "PARTITIONED TABLE", "p"),
    (Dialect::MySql, "TABLE", "BASE TABLE"),
    (Dialect::MySql, "TABLE", "SYSTEM VERSIONED"),
    (Dialect::MySql, "VIEW", "VIEW"),
];

/// The catalog's kinds of the JDBC table type `name` (in any case) in `dialect`.
pub fn catalog_kinds(dialect: Dialect, name: &str) -> impl Iterator<Item = &'static str> {
    let name = name.trim().to_ascii_uppercase();
    KINDS
        .iter()
        .filter(move |(of, jdbc, _)| *of == dialect && *jdbc == name)
        .map(|(_, _, kind)| *kind)
}

/// The JDBC table type of the catalog's kind `kind` in `dialect`, where the drivers give one.
pub fn jdbc_name(dialect: Dialect, kind: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(of, _, catalog)| *of == dialect && *catalog == kind)
        .map(|(_, jdbc, _)| *jdbc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds_go_both_ways() {
        let kinds: Vec<_> = catalog_kinds(Dialect::MySql, " table").collect();
        assert_eq!(kinds, ["BASE TABLE", "SYSTEM VERSIONED"]);
        assert_eq!(catalog_kinds(Dialect::MySql, "PARTITIONED TABLE").count(), 0);
        assert_eq!(jdbc_name(Dialect::Postgres, "p"), Some("PARTITIONED TABLE"));
        assert_eq!(jdbc_name(Dialect::MySql, "SYSTEM VERSIONED"), Some("TABLE"));
        assert_eq!(jdbc_name(Dialect::MySql, "SEQUENCE"), None);
    }
}
