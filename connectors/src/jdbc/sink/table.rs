//! A table the sink writes, as the database's catalog describes it: its kind (by the JDBC
//! table type Confluent's sink reads, see [`crate::jdbc::table_types`]) and its columns' types,
//! which decide what `table.types` lets the sink do with it, how its dates and times are
//! written and whether `COPY` loads it.

use std::collections::HashMap;

use crate::jdbc::connection::Database;
use crate::jdbc::table_types;

/// A table (or view) as its catalog describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Table {
    /// Its JDBC table type (`TABLE`, `VIEW`, `PARTITIONED TABLE`…), or the catalog's own kind
    /// where the drivers name none.
    pub kind: String,
    /// Its columns' types by name (PostgreSQL's `udt_name`, MySQL's `data_type`).
    pub columns: HashMap<String, String>,
}

impl Table {
    /// `table` (`name` or `schema.name`) as the catalog describes it now; `None` when there is
    /// no table or view of that name.
    pub(super) async fn describe(database: &Database, table: &str) -> Result<Option<Table>, sqlx::Error> {
        let (schema, name) = match table.split_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, table),
        };
        let (kind, columns): (Option<String>, Vec<(String, String)>) = match database {
            Database::Postgres(pool) => {
                let kind = sqlx::query_scalar(
                    "SELECT c.relkind::text FROM pg_catalog.pg_class c \
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = COALESCE($1, current_schema()) AND c.relname = $2",
                )
                .bind(schema)
                .bind(name)
                .fetch_optional(pool)
                .await?;
                let columns = sqlx::query_as(
                    "SELECT column_name::text, udt_name::text FROM information_schema.columns \
                     WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
                )
                .bind(schema)
                .bind(name)
                .fetch_all(pool)
                .await?;
                (kind, columns)
            }
            Database::MySql(pool) => {
                let kind = sqlx::query_scalar(
                    "SELECT CAST(table_type AS CHAR) FROM information_schema.tables \
                     WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
                )
                .bind(schema)
                .bind(name)
                .fetch_optional(pool)
                .await?;
                let columns = sqlx::query_as(
                    "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) FROM information_schema.columns \
                     WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
                )
                .bind(schema)
                .bind(name)
                .fetch_all(pool)
                .await?;
                (kind, columns)
            }
        };
        Ok(kind.filter(|_| !columns.is_empty()).map(|kind| Table {
            kind: table_types::jdbc_name(database.dialect(), &kind).map_or(kind, str::to_string),
            columns: columns.into_iter().collect(),
        }))
    }

    /// The type of the column of field `name`: the column of that name, else one whose name
    /// differs only in case, as Confluent's sink finds a field's column (so that under
    /// `quote.sql.identifiers=never` a field `Name` is the column PostgreSQL folded to `name`).
    pub(super) fn column_type(&self, name: &str) -> Option<&str> {
        self.columns
            .get(name)
            .or_else(|| {
                let name = name.to_lowercase();
                self.columns
                    .iter()
                    .find(|(column, _)| column.to_lowercase() == name)
                    .map(|(_, column_type)| column_type)
            })
            .map(String::as_str)
    }

    /// A TABLE whose columns have the types `columns` (name, type).
    #[cfg(test)]
    pub(super) fn of_columns<'a>(columns: impl IntoIterator<Item = (&'a str, &'a str)>) -> Table {
        Table {
            kind: "TABLE".into(),
            columns: columns
                .into_iter()
                .map(|(name, column_type)| (name.to_string(), column_type.to_string()))
                .collect(),
        }
    }

    /// Whether PostgreSQL's `COPY … FROM` loads it: a table, partitioned or foreign, not a view.
    pub(super) fn takes_copy(&self) -> bool {
        matches!(self.kind.as_str(), "TABLE" | "PARTITIONED TABLE" | "FOREIGN TABLE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_finds_its_column_in_any_case() {
        let table = Table::of_columns([("name", "text"), ("Name", "int4")]);
        assert_eq!(table.column_type("Name"), Some("int4"));
        assert_eq!(
            table.column_type("NAME").map(|t| t == "text" || t == "int4"),
            Some(true)
        );
        assert_eq!(table.column_type("other"), None);
        assert!(table.takes_copy());
        let view = Table {
            kind: "VIEW".into(),
            ..table
        };
        assert!(!view.takes_copy());
    }
}
