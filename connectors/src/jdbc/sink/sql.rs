//! The SQL the sink runs: column types for `auto.create`/`auto.evolve` (Confluent's choices per
//! dialect), the table's current columns, and the statements that write a run ([`super::write`]
//! binds their values). PostgreSQL's bind every column as an array (`UNNEST`), so a batch of
//! any size is a single round trip; MySQL/MariaDB's are multi-row `INSERT`s (and `UPDATE`s of
//! one row in update mode, as Confluent's).

use std::collections::HashMap;

use tributary_runtime::data::{logical, SchemaType};

use super::plan::{ColumnData, ColumnSpec, InsertMode, Run, RunKind};
use crate::jdbc::connection::{Database, Dialect};

/// The column type `auto.create` and `auto.evolve` give `column`.
pub(super) fn sql_type(dialect: Dialect, column: &ColumnSpec) -> String {
    let (schema, key) = (&column.schema, column.key);
    let scale = schema.decimal_scale().unwrap_or(0);
    let name = schema.name.as_deref();
    if column.since_1970.is_some() {
        // A field of timestamp.fields.list, as Confluent's dialects type it.
        return match dialect {
            Dialect::Postgres => "TIMESTAMP".into(),
            Dialect::MySql => "DATETIME(6)".into(),
        };
    }
    match dialect {
        Dialect::Postgres => match (name, schema.schema_type) {
            (Some(logical::DECIMAL), _) => "DECIMAL".into(),
            (Some(logical::DATE), _) => "DATE".into(),
            (Some(logical::TIME), _) => "TIME".into(),
            (Some(logical::TIMESTAMP), _) => "TIMESTAMP".into(),
            (_, SchemaType::Int8 | SchemaType::Int16) => "SMALLINT".into(),
            (_, SchemaType::Int32) => "INT".into(),
            (_, SchemaType::Int64) => "BIGINT".into(),
            (_, SchemaType::Float32) => "REAL".into(),
            (_, SchemaType::Float64) => "DOUBLE PRECISION".into(),
            (_, SchemaType::Boolean) => "BOOLEAN".into(),
            (_, SchemaType::Bytes) => "BYTEA".into(),
            _ => "TEXT".into(),
        },
        Dialect::MySql => match (name, schema.schema_type) {
            (Some(logical::DECIMAL), _) => format!("DECIMAL(65,{scale})"),
            (Some(logical::DATE), _) => "DATE".into(),
            (Some(logical::TIME), _) => "TIME(3)".into(),
            (Some(logical::TIMESTAMP), _) => "DATETIME(3)".into(),
            (_, SchemaType::Int8) => "TINYINT".into(),
            (_, SchemaType::Int16) => "SMALLINT".into(),
            (_, SchemaType::Int32) => "INT".into(),
            (_, SchemaType::Int64) => "BIGINT".into(),
            (_, SchemaType::Float32) => "FLOAT".into(),
            (_, SchemaType::Float64) => "DOUBLE".into(),
            (_, SchemaType::Boolean) => "TINYINT".into(),
            (_, SchemaType::Bytes) if key => "VARBINARY(1024)".into(),
            (_, SchemaType::Bytes) => "BLOB".into(),
            _ if key => "VARCHAR(256)".into(),
            _ => "TEXT".into(),
        },
    }
}

/// One column's definition for CREATE TABLE / ALTER TABLE.
fn column_definition(dialect: Dialect, column: &ColumnSpec) -> String {
    let null = if column.key || !column.schema.optional {
        " NOT NULL"
    } else {
        " NULL"
    };
    format!("{} {}{null}", dialect.quote(&column.name), sql_type(dialect, column))
}

/// `CREATE TABLE` for `columns`, with their key columns as the primary key.
pub(super) fn create_table(dialect: Dialect, table: &str, columns: &[ColumnSpec]) -> String {
    let mut parts: Vec<String> = columns.iter().map(|c| column_definition(dialect, c)).collect();
    let keys: Vec<String> = columns
        .iter()
        .filter(|c| c.key)
        .map(|c| dialect.quote(&c.name))
        .collect();
    if !keys.is_empty() {
        parts.push(format!("PRIMARY KEY({})", keys.join(", ")));
    }
    format!("CREATE TABLE {} ({})", dialect.quote_table(table), parts.join(", "))
}

/// `ALTER TABLE … ADD` for one new column.
pub(super) fn add_column(dialect: Dialect, table: &str, column: &ColumnSpec) -> String {
    format!(
        "ALTER TABLE {} ADD {}",
        dialect.quote_table(table),
        column_definition(dialect, column)
    )
}

/// The columns `table` has now, with their types (PostgreSQL's `udt_name`, MySQL's
/// `data_type`); empty when it does not exist.
pub(super) async fn table_columns(database: &Database, table: &str) -> Result<HashMap<String, String>, sqlx::Error> {
    let (schema, name) = match table.split_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    };
    let columns: Vec<(String, String)> = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT column_name::text, udt_name::text FROM information_schema.columns \
                 WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2",
            )
            .bind(schema)
            .bind(name)
            .fetch_all(pool)
            .await?
        }
        Database::MySql(pool) => {
            sqlx::query_as(
                "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
            )
            .bind(schema)
            .bind(name)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(columns.into_iter().collect())
}

fn quoted_list(dialect: Dialect, columns: &[ColumnSpec], keys: bool) -> Vec<String> {
    columns
        .iter()
        .filter(|c| c.key == keys)
        .map(|c| dialect.quote(&c.name))
        .collect()
}

/// PostgreSQL: the array type each column's values are bound as.
fn array_type(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::Int(_) => "int8[]",
        ColumnData::Float(_) => "float8[]",
        ColumnData::Bool(_) => "bool[]",
        ColumnData::Text(_) => "text[]",
        ColumnData::Bytes(_) => "bytea[]",
        ColumnData::Decimal(_) => "numeric[]",
        ColumnData::Date(_) => "date[]",
        ColumnData::Time(_) => "time[]",
        ColumnData::Timestamp(_) => "timestamp[]",
    }
}

/// PostgreSQL: the statement writing `run` in `mode`, its columns bound as arrays `$1..$n`.
pub(super) fn postgres_statement(run: &Run<'_>, mode: InsertMode) -> String {
    let d = Dialect::Postgres;
    let table = d.quote_table(&run.table);
    let all: Vec<String> = run.columns.iter().map(|c| d.quote(&c.name)).collect();
    let keys = quoted_list(d, &run.columns, true);
    let values = quoted_list(d, &run.columns, false);
    let unnest = format!(
        "UNNEST({})",
        run.data
            .iter()
            .enumerate()
            .map(|(i, data)| format!("${}::{}", i + 1, array_type(data)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match (run.kind, mode) {
        (RunKind::Delete, _) => format!(
            "DELETE FROM {table} WHERE ({}) IN (SELECT * FROM {unnest})",
            keys.join(", ")
        ),
        (RunKind::Write, InsertMode::Insert) => {
            format!("INSERT INTO {table} ({}) SELECT * FROM {unnest}", all.join(", "))
        }
        (RunKind::Write, InsertMode::Upsert) => {
            let action = if values.is_empty() {
                "DO NOTHING".to_string()
            } else {
                let set: Vec<String> = values.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
                format!("DO UPDATE SET {}", set.join(", "))
            };
            format!(
                "INSERT INTO {table} ({}) SELECT * FROM {unnest} ON CONFLICT ({}) {action}",
                all.join(", "),
                keys.join(", ")
            )
        }
        (RunKind::Write, InsertMode::Update) => {
            let set: Vec<String> = values.iter().map(|c| format!("{c} = v.{c}")).collect();
            let on: Vec<String> = keys.iter().map(|c| format!("{table}.{c} = v.{c}")).collect();
            format!(
                "UPDATE {table} SET {} FROM {unnest} AS v({}) WHERE {}",
                set.join(", "),
                all.join(", "),
                on.join(" AND ")
            )
        }
    }
}

/// MySQL: a statement for `rows` rows of `run` in `mode` (update mode: one row).
pub(super) fn mysql_statement(run: &Run<'_>, mode: InsertMode, rows: usize) -> String {
    let d = Dialect::MySql;
    let table = d.quote_table(&run.table);
    let all: Vec<String> = run.columns.iter().map(|c| d.quote(&c.name)).collect();
    let keys = quoted_list(d, &run.columns, true);
    let values = quoted_list(d, &run.columns, false);
    let tuple = format!("({})", vec!["?"; run.columns.len()].join(", "));
    let tuples = vec![tuple; rows].join(", ");
    match (run.kind, mode) {
        (RunKind::Delete, _) => format!("DELETE FROM {table} WHERE ({}) IN ({tuples})", keys.join(", ")),
        (RunKind::Write, InsertMode::Insert) => format!("INSERT INTO {table} ({}) VALUES {tuples}", all.join(", ")),
        (RunKind::Write, InsertMode::Upsert) => {
            let set: Vec<String> = if values.is_empty() {
                keys.iter().map(|c| format!("{c} = {c}")).collect()
            } else {
                values.iter().map(|c| format!("{c} = VALUES({c})")).collect()
            };
            format!(
                "INSERT INTO {table} ({}) VALUES {tuples} ON DUPLICATE KEY UPDATE {}",
                all.join(", "),
                set.join(", ")
            )
        }
        (RunKind::Write, InsertMode::Update) => {
            // Values first, then keys: the order `bind_mysql_row` binds in for updates.
            let set: Vec<String> = values.iter().map(|c| format!("{c} = ?")).collect();
            let on: Vec<String> = keys.iter().map(|c| format!("{c} = ?")).collect();
            format!("UPDATE {table} SET {} WHERE {}", set.join(", "), on.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tributary_runtime::data::Schema;

    use super::*;
    use crate::jdbc::sink::plan::TimestampPrecision;

    fn run(kind: RunKind) -> Run<'static> {
        let column = |name: &str, schema: Arc<Schema>, key: bool| ColumnSpec::new(name, schema, key);
        Run {
            table: "public.orders".into(),
            kind,
            columns: vec![
                column("id", Schema::of(SchemaType::Int64), true),
                column("name", Schema::optional_string(), false),
            ],
            data: vec![ColumnData::Int(vec![Some(1)]), ColumnData::Text(vec![None])],
        }
    }

    #[test]
    fn postgres_statements_bind_columns_as_arrays() {
        assert_eq!(
            postgres_statement(&run(RunKind::Write), InsertMode::Upsert),
            "INSERT INTO \"public\".\"orders\" (\"id\", \"name\") SELECT * FROM UNNEST($1::int8[], $2::text[]) \
             ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\""
        );
        assert_eq!(
            postgres_statement(&run(RunKind::Write), InsertMode::Update),
            "UPDATE \"public\".\"orders\" SET \"name\" = v.\"name\" FROM UNNEST($1::int8[], $2::text[]) AS v(\"id\", \"name\") \
             WHERE \"public\".\"orders\".\"id\" = v.\"id\""
        );
        let mut delete = run(RunKind::Delete);
        delete.columns.truncate(1);
        delete.data.truncate(1);
        assert_eq!(
            postgres_statement(&delete, InsertMode::Upsert),
            "DELETE FROM \"public\".\"orders\" WHERE (\"id\") IN (SELECT * FROM UNNEST($1::int8[]))"
        );
    }

    #[test]
    fn mysql_statements_have_a_tuple_per_row() {
        assert_eq!(
            mysql_statement(&run(RunKind::Write), InsertMode::Upsert, 2),
            "INSERT INTO `public`.`orders` (`id`, `name`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)"
        );
        assert_eq!(
            mysql_statement(&run(RunKind::Write), InsertMode::Update, 1),
            "UPDATE `public`.`orders` SET `name` = ? WHERE `id` = ?"
        );
    }

    #[test]
    fn created_tables_follow_confluents_types_and_keys() {
        let columns = run(RunKind::Write).columns;
        assert_eq!(
            create_table(Dialect::MySql, "orders", &columns),
            "CREATE TABLE `orders` (`id` BIGINT NOT NULL, `name` TEXT NULL, PRIMARY KEY(`id`))"
        );
        assert_eq!(
            create_table(Dialect::Postgres, "orders", &columns),
            "CREATE TABLE \"orders\" (\"id\" BIGINT NOT NULL, \"name\" TEXT NULL, PRIMARY KEY(\"id\"))"
        );
        // A field of timestamp.fields.list.
        let mut at = ColumnSpec::new("at", Schema::of(SchemaType::Int64), false);
        at.since_1970 = Some(TimestampPrecision::Microseconds);
        assert_eq!(sql_type(Dialect::Postgres, &at), "TIMESTAMP");
        assert_eq!(sql_type(Dialect::MySql, &at), "DATETIME(6)");
    }
}
