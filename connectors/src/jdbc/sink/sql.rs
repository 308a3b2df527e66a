//! The SQL the sink runs: column types for `auto.create`/`auto.evolve` (Confluent's choices per
//! dialect), the table's current columns, and the statements that write a run ([`super::write`]
//! binds their values). PostgreSQL's bind every column as an array (`UNNEST`), so a batch of
//! any size is a single round trip; MySQL/MariaDB's are multi-row `INSERT`s (and `UPDATE`s of
//! one row in update mode, as Confluent's).

use std::borrow::Cow;

use tributary_runtime::data::{decimal_text, logical, SchemaType, Value};

use super::plan::{ColumnData, ColumnSpec, InsertMode, Run, RunKind};
use super::zone::WriteZones;
use crate::jdbc::connection::Dialect;

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

/// One column's definition for CREATE TABLE / ALTER TABLE, as Confluent's dialects write it:
/// with its schema's default as `DEFAULT` (and then no word on nulls), else `NULL` or
/// `NOT NULL`.
fn column_definition(
    dialect: Dialect,
    run: &Run<'_>,
    column: &ColumnSpec,
    zones: &WriteZones,
) -> Result<String, String> {
    let definition = format!(
        "{} {}",
        run.column_name(dialect, &column.name),
        sql_type(dialect, column)
    );
    Ok(match default_literal(dialect, column, zones)? {
        Some(literal) => format!("{definition} DEFAULT {literal}"),
        None if column.key || !column.schema.optional => format!("{definition} NOT NULL"),
        None => format!("{definition} NULL"),
    })
}

/// The literal of `column`'s schema default, as Confluent's dialects write one: numbers and
/// decimals as they are, booleans as PostgreSQL's `TRUE`/`FALSE` and MySQL's `1`/`0`, text,
/// dates and times quoted (those in the zones their values are written in), bytes in hex.
/// Where Confluent's statement would fail, one that works: quotes in text doubled, PostgreSQL's
/// bytes as `bytea` (Confluent's `x'…'` is a bit string there), its floats' NaN and infinities
/// quoted. A field of `timestamp.fields.list` gets none (its number is no timestamp literal).
fn default_literal(dialect: Dialect, column: &ColumnSpec, zones: &WriteZones) -> Result<Option<String>, String> {
    let schema = &column.schema;
    let Some(default) = schema.default.as_ref().filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    if column.since_1970.is_some() {
        return Ok(None);
    }
    let literal = match (schema.name.as_deref(), default) {
        (Some(logical::DECIMAL), Value::Bytes(unscaled)) => decimal_text(unscaled, schema.decimal_scale().unwrap_or(0)),
        (Some(logical::DATE | logical::TIME | logical::TIMESTAMP), _) => {
            let mut data = ColumnData::for_column(column, 1)?;
            data.push(Cow::Borrowed(default), 0, None)?;
            match zones.default_text(data)? {
                Some(text) => format!("'{text}'"),
                None => return Ok(None),
            }
        }
        (_, Value::Int8(x)) => x.to_string(),
        (_, Value::Int16(x)) => x.to_string(),
        (_, Value::Int32(x)) => x.to_string(),
        (_, Value::Int64(x)) => x.to_string(),
        (_, Value::Float32(x)) => float_literal(dialect, f64::from(*x), x.to_string())?,
        (_, Value::Float64(x)) => float_literal(dialect, *x, x.to_string())?,
        (_, Value::Boolean(x)) => match (dialect, x) {
            (Dialect::Postgres, true) => "TRUE".into(),
            (Dialect::Postgres, false) => "FALSE".into(),
            (Dialect::MySql, true) => "1".into(),
            (Dialect::MySql, false) => "0".into(),
        },
        (_, Value::String(text)) => string_literal(dialect, text),
        (_, Value::Bytes(bytes)) => {
            let hex = hex::encode(bytes);
            match dialect {
                Dialect::Postgres => format!("'\\x{hex}'::bytea"),
                Dialect::MySql => format!("x'{hex}'"),
            }
        }
        (_, other) => {
            return Err(format!(
                "column {}: its default {other:?} has no SQL literal",
                column.name
            ))
        }
    };
    Ok(Some(literal))
}

/// A float default: `text` where finite; PostgreSQL's quoted NaN and infinities (MySQL has none).
fn float_literal(dialect: Dialect, value: f64, text: String) -> Result<String, String> {
    match dialect {
        _ if value.is_finite() => Ok(text),
        Dialect::Postgres if value.is_nan() => Ok("'NaN'".into()),
        Dialect::Postgres if value > 0.0 => Ok("'Infinity'".into()),
        Dialect::Postgres => Ok("'-Infinity'".into()),
        Dialect::MySql => Err(format!("a default of {value} has no MySQL literal")),
    }
}

/// `text` as a quoted SQL string: quotes doubled, and MySQL's backslashes (its escape
/// character) too.
fn string_literal(dialect: Dialect, text: &str) -> String {
    let quoted = text.replace('\'', "''");
    match dialect {
        Dialect::Postgres => format!("'{quoted}'"),
        Dialect::MySql => format!("'{}'", quoted.replace('\\', "\\\\")),
    }
}

/// `CREATE TABLE` for `run`'s columns, with its key columns as the primary key.
pub(super) fn create_table(dialect: Dialect, run: &Run<'_>, zones: &WriteZones) -> Result<String, String> {
    let mut parts = run
        .columns
        .iter()
        .map(|c| column_definition(dialect, run, c, zones))
        .collect::<Result<Vec<_>, _>>()?;
    let keys = name_list(dialect, run, true);
    if !keys.is_empty() {
        parts.push(format!("PRIMARY KEY({})", keys.join(", ")));
    }
    Ok(format!(
        "CREATE TABLE {} ({})",
        run.table_name(dialect),
        parts.join(", ")
    ))
}

/// `ALTER TABLE … ADD` of `run`'s table for one new column.
pub(super) fn add_column(
    dialect: Dialect,
    run: &Run<'_>,
    column: &ColumnSpec,
    zones: &WriteZones,
) -> Result<String, String> {
    Ok(format!(
        "ALTER TABLE {} ADD {}",
        run.table_name(dialect),
        column_definition(dialect, run, column, zones)?
    ))
}

/// The names of `run`'s key columns (`keys`) or other columns, as its statements write them.
fn name_list(dialect: Dialect, run: &Run<'_>, keys: bool) -> Vec<String> {
    run.columns
        .iter()
        .filter(|c| c.key == keys)
        .map(|c| run.column_name(dialect, &c.name))
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
    let table = run.table_name(d);
    let all = run.column_names(d);
    let keys = name_list(d, run, true);
    let values = name_list(d, run, false);
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
    let table = run.table_name(d);
    let all = run.column_names(d);
    let keys = name_list(d, run, true);
    let values = name_list(d, run, false);
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
    use crate::jdbc::identifiers::QuoteIdentifiers;
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
            quoting: QuoteIdentifiers::Always,
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

    /// Under `quote.sql.identifiers=never`, names as they are, as Confluent's statements write them.
    #[test]
    fn unquoted_names_are_written_as_they_are() {
        let mut orders = run(RunKind::Write);
        orders.quoting = QuoteIdentifiers::Never;
        assert_eq!(
            postgres_statement(&orders, InsertMode::Upsert),
            "INSERT INTO public.orders (id, name) SELECT * FROM UNNEST($1::int8[], $2::text[]) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name"
        );
        assert_eq!(
            mysql_statement(&orders, InsertMode::Update, 1),
            "UPDATE public.orders SET name = ? WHERE id = ?"
        );
        assert_eq!(
            create_table(Dialect::Postgres, &orders, &WriteZones::default()).unwrap(),
            "CREATE TABLE public.orders (id BIGINT NOT NULL, name TEXT NULL, PRIMARY KEY(id))"
        );
    }

    #[test]
    fn created_tables_follow_confluents_types_and_keys() {
        let mut orders = run(RunKind::Write);
        orders.table = "orders".into();
        let zones = WriteZones::default();
        assert_eq!(
            create_table(Dialect::MySql, &orders, &zones).unwrap(),
            "CREATE TABLE `orders` (`id` BIGINT NOT NULL, `name` TEXT NULL, PRIMARY KEY(`id`))"
        );
        assert_eq!(
            create_table(Dialect::Postgres, &orders, &zones).unwrap(),
            "CREATE TABLE \"orders\" (\"id\" BIGINT NOT NULL, \"name\" TEXT NULL, PRIMARY KEY(\"id\"))"
        );
        // A field of timestamp.fields.list.
        let mut at = ColumnSpec::new("at", Schema::of(SchemaType::Int64), false);
        at.since_1970 = Some(TimestampPrecision::Microseconds);
        assert_eq!(sql_type(Dialect::Postgres, &at), "TIMESTAMP");
        assert_eq!(sql_type(Dialect::MySql, &at), "DATETIME(6)");
    }

    /// Schema defaults as Confluent's dialects write them (GenericDatabaseDialect's
    /// formatColumnValue, PostgreSqlDatabaseDialect's booleans), in the zones of the values.
    #[test]
    fn schema_defaults_are_column_defaults() {
        use tributary_runtime::data::SchemaBuilder;

        use crate::jdbc::time_zone::DbTimeZone;

        let column =
            |builder: SchemaBuilder, value: Value| ColumnSpec::new("c", builder.default_value(value).build(), false);
        let new_york = WriteZones {
            time_zone: DbTimeZone::parse("America/New_York").unwrap(),
            ..WriteZones::default()
        };
        let cases = [
            (column(SchemaBuilder::new(SchemaType::Int32), Value::Int32(3)), "3", "3"),
            (
                column(SchemaBuilder::new(SchemaType::Float32), Value::Float32(0.1)),
                "0.1",
                "0.1",
            ),
            (
                column(SchemaBuilder::new(SchemaType::Float64), Value::Float64(f64::NAN)),
                "'NaN'",
                "",
            ),
            (
                column(SchemaBuilder::new(SchemaType::Boolean), Value::Boolean(true)),
                "TRUE",
                "1",
            ),
            (
                column(
                    SchemaBuilder::new(SchemaType::String).optional(),
                    Value::String("it's a\\b".into()),
                ),
                "'it''s a\\b'",
                "'it''s a\\\\b'",
            ),
            (
                column(SchemaBuilder::new(SchemaType::Bytes), Value::bytes(vec![1, 0xab])),
                "'\\x01ab'::bytea",
                "x'01ab'",
            ),
            (
                column(SchemaBuilder::decimal(2), Value::bytes(vec![0xfb, 0x2e])),
                "-12.34",
                "-12.34",
            ),
            // 2024-03-01 UTC midnight is still February 29th in New York, as Confluent's default
            // date.timezone writes it.
            (
                column(SchemaBuilder::date(), Value::Int32(19783)),
                "'2024-02-29'",
                "'2024-02-29'",
            ),
            (
                column(SchemaBuilder::time(), Value::Int32(36_000_500)),
                "'05:00:00.500'",
                "'05:00:00.500'",
            ),
            (
                column(SchemaBuilder::timestamp(), Value::Int64(1_709_294_400_000)),
                "'2024-03-01 07:00:00.000'",
                "'2024-03-01 07:00:00.000'",
            ),
        ];
        for (column, postgres, mysql) in cases {
            let definition = |dialect| column_definition(dialect, &run(RunKind::Write), &column, &new_york);
            assert_eq!(
                definition(Dialect::Postgres).unwrap(),
                format!("\"c\" {} DEFAULT {postgres}", sql_type(Dialect::Postgres, &column))
            );
            match mysql {
                "" => assert!(definition(Dialect::MySql).is_err()),
                mysql => assert_eq!(
                    definition(Dialect::MySql).unwrap(),
                    format!("`c` {} DEFAULT {mysql}", sql_type(Dialect::MySql, &column))
                ),
            }
        }
        // A default of null is none.
        let none = column(SchemaBuilder::new(SchemaType::String).optional(), Value::Null);
        assert_eq!(
            column_definition(Dialect::Postgres, &run(RunKind::Write), &none, &new_york).unwrap(),
            "\"c\" TEXT NULL"
        );
    }
}
