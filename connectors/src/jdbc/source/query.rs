//! What one table (or the configured query) is read with: the `mode`'s SQL, its position
//! (Confluent's offsets `{"incrementing", "timestamp", "timestamp_nanos"}`), and turning result
//! rows into records.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Timelike};
use tributary_runtime::data::{ConnectRecord, SchemaBuilder, SourceMap, SourceRecord, Struct, Value};

use crate::jdbc::connection::Dialect;
use crate::jdbc::identifiers::QuoteIdentifiers;
use crate::jdbc::types::{Column, DbRow};

/// `mode`: how new rows are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Mode {
    /// The whole table every poll interval (also what an absent `mode` reads as, though the key
    /// is required).
    #[default]
    Bulk,
    /// Rows with a larger value in `incrementing.column.name`.
    Incrementing,
    /// Rows with a later value in `timestamp.column.name` (new and updated rows).
    Timestamp,
    /// Both: later timestamp, or the same timestamp and a larger id.
    TimestampIncrementing,
}

impl Mode {
    /// Parses Confluent's mode names.
    pub(super) fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "bulk" => Some(Mode::Bulk),
            "incrementing" => Some(Mode::Incrementing),
            "timestamp" => Some(Mode::Timestamp),
            "timestamp+incrementing" => Some(Mode::TimestampIncrementing),
            _ => None,
        }
    }

    /// Whether the mode follows a timestamp column.
    pub(super) fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }

    /// Whether the mode follows an incrementing column.
    pub(super) fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }
}

/// Where reading a table has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    /// The largest incrementing value read.
    pub incrementing: i64,
    /// The latest timestamp read (UTC).
    pub timestamp: NaiveDateTime,
}

impl Default for Position {
    fn default() -> Self {
        Position {
            incrementing: -1,
            timestamp: DateTime::UNIX_EPOCH.naive_utc(),
        }
    }
}

impl Position {
    /// The position stored in `offset` (Confluent's keys), missing parts at their start.
    pub(super) fn from_offset(offset: Option<&SourceMap>) -> Self {
        let mut position = Position::default();
        let Some(offset) = offset else { return position };
        if let Some(incrementing) = offset.get("incrementing").and_then(serde_json::Value::as_i64) {
            position.incrementing = incrementing;
        }
        if let Some(millis) = offset.get("timestamp").and_then(serde_json::Value::as_i64) {
            let nanos = offset
                .get("timestamp_nanos")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or((millis.rem_euclid(1000)) * 1_000_000);
            if let Some(at) = DateTime::from_timestamp(millis.div_euclid(1000), nanos as u32) {
                position.timestamp = at.naive_utc();
            }
        }
        position
    }

    /// This position as the offset of a record read in `mode` (empty in bulk mode).
    pub(super) fn to_offset(self, mode: Mode) -> SourceMap {
        let mut offset = SourceMap::new();
        if mode.uses_incrementing() {
            offset.insert("incrementing".into(), self.incrementing.into());
        }
        if mode.uses_timestamp() {
            let at = self.timestamp.and_utc();
            offset.insert("timestamp".into(), at.timestamp_millis().into());
            offset.insert("timestamp_nanos".into(), at.nanosecond().into());
        }
        offset
    }
}

/// The settings a query is built from.
#[derive(Debug, Clone)]
pub(super) struct QuerySpec {
    /// The dialect.
    pub dialect: Dialect,
    /// The mode.
    pub mode: Mode,
    /// `SELECT * FROM <table>` or the configured query.
    pub base: String,
    /// `incrementing.column.name`.
    pub incrementing_column: String,
    /// `timestamp.column.name` (the first non-null one counts).
    pub timestamp_columns: Vec<String>,
    /// `query.suffix`, appended to the whole statement.
    pub suffix: String,
    /// `quote.sql.identifiers`: whether the columns' names are quoted.
    pub quoting: QuoteIdentifiers,
}

impl QuerySpec {
    fn timestamp_expression(&self) -> String {
        let quoted: Vec<String> = self
            .timestamp_columns
            .iter()
            .map(|c| self.quoting.name(self.dialect, c))
            .collect();
        match quoted.as_slice() {
            [one] => one.clone(),
            many => format!("COALESCE({})", many.join(", ")),
        }
    }

    /// The SQL for this mode, `query.suffix` after it as Confluent's appends it (a space
    /// between). Parameters, in order: bulk none; incrementing the last id; timestamp the last
    /// timestamp and the end timestamp; timestamp+incrementing the end timestamp, the last
    /// timestamp, the last id and the last timestamp again.
    pub(super) fn sql(&self) -> String {
        let statement = self.statement();
        match self.suffix.trim() {
            "" => statement,
            suffix => format!("{statement} {suffix}"),
        }
    }

    fn statement(&self) -> String {
        let p = |i| self.dialect.placeholder(i);
        let inc = self.quoting.name(self.dialect, &self.incrementing_column);
        let ts = self.timestamp_expression();
        match self.mode {
            Mode::Bulk => self.base.clone(),
            Mode::Incrementing => format!("{} WHERE {inc} > {} ORDER BY {inc} ASC", self.base, p(1)),
            Mode::Timestamp => format!(
                "{} WHERE {ts} > {} AND {ts} < {} ORDER BY {ts} ASC",
                self.base,
                p(1),
                p(2)
            ),
            Mode::TimestampIncrementing => format!(
                "{} WHERE {ts} < {} AND (({ts} = {} AND {inc} > {}) OR {ts} > {}) ORDER BY {ts}, {inc} ASC",
                self.base,
                p(1),
                p(2),
                p(3),
                p(4)
            ),
        }
    }
}

/// Turns the rows of one query into records, following the position row by row.
pub(super) struct RecordBuilder {
    /// The topic of every record.
    pub topic: Arc<str>,
    /// The source partition of every record.
    pub partition: Arc<SourceMap>,
    /// The mode.
    pub mode: Mode,
    /// Where the query started.
    pub position: Position,
    /// The value schema's name (the table's).
    pub schema_name: Option<String>,
    /// The columns and value schema, made from the first row.
    pub layout: Option<Layout>,
    /// Declared nullability, precision and scale of the table's columns, by name.
    pub metadata: std::collections::HashMap<String, super::ColumnMetadata>,
    /// `numeric.mapping`.
    pub numeric_mapping: crate::jdbc::types::NumericMapping,
    /// Whose reports of MySQL/MariaDB column types are followed (by `connection.url`).
    pub mysql_driver: crate::jdbc::types::MySqlDriver,
    /// How dates and times are read (`connection.url`'s zero dates, `db.timezone`).
    pub date_times: crate::jdbc::types::DateTimeRules,
    /// Column names of the incrementing and timestamp columns.
    pub spec: QuerySpec,
}

/// The columns of a result and the struct schema they make.
pub(super) struct Layout {
    columns: Vec<Column>,
    schema: Arc<tributary_runtime::data::Schema>,
    incrementing: Option<usize>,
    timestamps: Vec<usize>,
}

impl RecordBuilder {
    /// Makes the layout of the result from its first row (once).
    fn make_layout(&mut self, row: &DbRow<'_>) -> Result<(), String> {
        if self.layout.is_none() {
            let mut columns = Vec::new();
            for (index, (name, type_name, kind)) in row.column_kinds(self.mysql_driver).into_iter().enumerate() {
                let Some(mut kind) = kind else {
                    tracing::warn!(column = %name, r#type = %type_name, "skipping a column of a type with no Connect mapping");
                    continue;
                };
                let declared = self.metadata.get(&name);
                if let Some(declared) = declared {
                    kind = kind.declared(declared.precision, declared.scale, declared.text);
                }
                let optional = declared.is_none_or(|d| d.nullable);
                let Some(schema) = kind.schema(optional, self.numeric_mapping, self.date_times.timestamp_granularity)
                else {
                    tracing::warn!(column = %name, r#type = %type_name, "skipping a computed BIT column, whose length is unknown");
                    continue;
                };
                columns.push(Column {
                    schema,
                    name,
                    index,
                    kind,
                });
            }
            let find = |name: &str| columns.iter().position(|c| c.name == name);
            let incrementing = if self.mode.uses_incrementing() {
                Some(find(&self.spec.incrementing_column).ok_or_else(|| {
                    format!(
                        "incrementing column {:?} is not in the result",
                        self.spec.incrementing_column
                    )
                })?)
            } else {
                None
            };
            let timestamps = if self.mode.uses_timestamp() {
                self.spec
                    .timestamp_columns
                    .iter()
                    .map(|name| find(name).ok_or_else(|| format!("timestamp column {name:?} is not in the result")))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                Vec::new()
            };
            let schema = columns
                .iter()
                .fold(SchemaBuilder::structure(), |builder, column| {
                    builder.field(&column.name, column.schema.clone())
                })
                .name_opt(self.schema_name.clone())
                .build();
            self.layout = Some(Layout {
                columns,
                schema,
                incrementing,
                timestamps,
            });
        }
        Ok(())
    }

    /// The record for `row`, with no offset of its own ([`RecordBuilder::close_batch`] gives
    /// one to the last record of a batch); the builder's position moves past it.
    pub(super) fn record(&mut self, row: DbRow<'_>) -> Result<SourceRecord, String> {
        let mut position = self.position;
        self.make_layout(&row)?;
        let Some(layout) = &self.layout else {
            return Err("no layout".into());
        };
        let mut values = Vec::with_capacity(layout.columns.len());
        for column in &layout.columns {
            values.push(
                row.value(column, &self.date_times)
                    .map_err(|e| format!("column {}: {e}", column.name))?,
            );
        }
        if let Some(index) = layout.incrementing {
            position.incrementing = match &values[index] {
                Value::Int8(v) => i64::from(*v),
                Value::Int16(v) => i64::from(*v),
                Value::Int32(v) => i64::from(*v),
                Value::Int64(v) => *v,
                other => {
                    return Err(format!(
                        "incrementing column {} must be an integer, not {other:?}",
                        layout.columns[index].name
                    ))
                }
            };
        }
        for &index in &layout.timestamps {
            let column = &layout.columns[index];
            if let Some(at) = row
                .timestamp(column, &self.date_times)
                .map_err(|e| format!("column {}: {e}", column.name))?
            {
                position.timestamp = at;
                break;
            }
        }
        let schema = layout.schema.clone();
        let value = Struct::from_values(schema.clone(), values).ok_or("column count mismatch")?;
        self.position = position;
        Ok(SourceRecord {
            source_partition: self.partition.clone(),
            source_offset: SourceMap::new(),
            record: ConnectRecord::new(self.topic.clone(), Some(schema.into()), Value::Struct(value)),
        })
    }

    /// Gives the last record of `batch` the position after it as its offset. The worker commits
    /// the last offset of each partition in a batch, so the records before it need none, and
    /// each is spared a map of its own (the position's keys and values, allocated per row).
    pub(super) fn close_batch(&self, batch: &mut [SourceRecord]) {
        if let Some(last) = batch.last_mut() {
            last.source_offset = self.position.to_offset(self.mode);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dialect: Dialect, mode: Mode) -> QuerySpec {
        QuerySpec {
            dialect,
            mode,
            base: "SELECT * FROM \"orders\"".into(),
            incrementing_column: "id".into(),
            timestamp_columns: vec!["updated".into()],
            suffix: String::new(),
            quoting: QuoteIdentifiers::Always,
        }
    }

    #[test]
    fn each_mode_has_confluents_where_clause() {
        assert_eq!(spec(Dialect::Postgres, Mode::Bulk).sql(), "SELECT * FROM \"orders\"");
        assert_eq!(
            spec(Dialect::Postgres, Mode::Incrementing).sql(),
            "SELECT * FROM \"orders\" WHERE \"id\" > $1 ORDER BY \"id\" ASC"
        );
        assert_eq!(
            spec(Dialect::MySql, Mode::Timestamp).sql(),
            "SELECT * FROM \"orders\" WHERE `updated` > ? AND `updated` < ? ORDER BY `updated` ASC"
        );
        assert_eq!(
            spec(Dialect::Postgres, Mode::TimestampIncrementing).sql(),
            "SELECT * FROM \"orders\" WHERE \"updated\" < $1 AND ((\"updated\" = $2 AND \"id\" > $3) OR \"updated\" > $4) ORDER BY \"updated\", \"id\" ASC"
        );
        let mut two = spec(Dialect::Postgres, Mode::Timestamp);
        two.timestamp_columns.push("created".into());
        assert!(two.sql().contains("COALESCE(\"updated\", \"created\") > $1"));
        let mut suffixed = spec(Dialect::Postgres, Mode::Incrementing);
        suffixed.suffix = " FOR UPDATE SKIP LOCKED".into();
        assert!(suffixed.sql().ends_with("ORDER BY \"id\" ASC FOR UPDATE SKIP LOCKED"));
        // quote.sql.identifiers=never: the names as they are.
        let mut unquoted = spec(Dialect::Postgres, Mode::TimestampIncrementing);
        unquoted.quoting = QuoteIdentifiers::Never;
        assert!(
            unquoted.sql().ends_with("OR updated > $4) ORDER BY updated, id ASC"),
            "{}",
            unquoted.sql()
        );
    }

    #[test]
    fn positions_round_trip_through_confluents_offsets() {
        let position = Position {
            incrementing: 42,
            timestamp: DateTime::from_timestamp(1_700_000_000, 123_456_789)
                .unwrap()
                .naive_utc(),
        };
        let offset = position.to_offset(Mode::TimestampIncrementing);
        assert_eq!(offset["incrementing"], 42);
        assert_eq!(offset["timestamp"], 1_700_000_000_123i64);
        assert_eq!(offset["timestamp_nanos"], 123_456_789);
        assert_eq!(Position::from_offset(Some(&offset)), position);
        assert_eq!(Position::from_offset(None), Position::default());
        assert!(position.to_offset(Mode::Bulk).is_empty());
    }

    #[test]
    fn only_the_last_record_of_a_batch_carries_the_position() {
        let position = Position {
            incrementing: 7,
            ..Position::default()
        };
        let builder = RecordBuilder {
            topic: "orders".into(),
            partition: Arc::new(SourceMap::new()),
            mode: Mode::Incrementing,
            position,
            schema_name: None,
            layout: None,
            metadata: Default::default(),
            numeric_mapping: Default::default(),
            mysql_driver: Default::default(),
            date_times: Default::default(),
            spec: spec(Dialect::Postgres, Mode::Incrementing),
        };
        let record = || SourceRecord {
            source_partition: builder.partition.clone(),
            source_offset: SourceMap::new(),
            record: ConnectRecord::new("orders", None, Value::Int64(1)),
        };
        let mut batch = vec![record(), record(), record()];
        builder.close_batch(&mut batch);
        assert!(batch[..2].iter().all(|r| r.source_offset.is_empty()));
        assert_eq!(batch[2].source_offset, position.to_offset(Mode::Incrementing));
        builder.close_batch(&mut []);
    }
}
