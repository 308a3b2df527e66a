//! Debezium's change events for PostgreSQL, shaped as Debezium 3.7 shapes them: per table, topic
//! `<topic.prefix>.<schema>.<table>`, key struct `<topic>.Key` (the primary key's columns), and
//! value `<topic>.Envelope` (version 2) with `before`, `after` (`<topic>.Value`, a field
//! required for each `NOT NULL` column), `source` (`io.debezium.connector.postgresql.Source`),
//! `transaction` (always null), `op` (`r`, `c`, `u`, `d`) and `ts_ms`/`ts_us`/`ts_ns`. Column values follow Debezium's defaults
//! (`decimal.handling.mode=precise`, `time.precision.mode=adaptive`): integers, floats and
//! booleans as such, NUMERIC as Decimal (or `io.debezium.data.VariableScaleDecimal` without a
//! declared scale), DATE as `io.debezium.time.Date`, TIME and TIMESTAMP as
//! `io.debezium.time.Time`/`Timestamp` (precision up to 3) or `MicroTime`/`MicroTimestamp`,
//! TIMESTAMPTZ as `io.debezium.time.ZonedTimestamp` text, UUID and JSON as
//! `io.debezium.data.Uuid`/`Json` text, BYTEA as bytes, anything else as text.

use std::sync::{Arc, OnceLock};

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use tributary_runtime::data::{
    logical, ConnectRecord, Header, Schema, SchemaBuilder, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

use super::pgoutput::{Datum, Relation, RelationColumn};

/// Debezium's connector version the `source` block reports: the version whose events these
/// are shaped as.
pub(super) const VERSION: &str = "3.7.0.Final-tributary";

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// Read by the snapshot.
    Read,
    /// Inserted.
    Create,
    /// Updated.
    Update,
    /// Deleted.
    Delete,
}

impl Op {
    fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
        }
    }
}

/// Where a change came from, for the `source` block.
#[derive(Debug, Clone)]
pub(super) struct SourceInfo {
    /// `topic.prefix`.
    pub name: String,
    /// The database's name.
    pub db: String,
    /// Commit (or snapshot) time, microseconds since the epoch.
    pub ts_us: i64,
    /// `false` for a streamed change; for a snapshot's, `first` (its first record),
    /// `first_in_data_collection` (a later table's first), `true`, `last_in_data_collection`
    /// (a table's last) or `last` (its last record).
    pub snapshot: &'static str,
    /// The transaction id.
    pub tx_id: Option<i64>,
    /// The change's LSN.
    pub lsn: Option<i64>,
    /// `["<last commit lsn>","<lsn>"]`, as Debezium writes it.
    pub sequence: Option<String>,
}

fn source_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let snapshot = SchemaBuilder::new(SchemaType::String)
            .name("io.debezium.data.Enum")
            .version(1)
            .parameter(
                "allowed",
                "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
            )
            .default_value(Value::String("false".into()))
            .optional()
            .build();
        SchemaBuilder::structure()
            .name("io.debezium.connector.postgresql.Source")
            .version(1)
            .field("version", Schema::string())
            .field("connector", Schema::string())
            .field("name", Schema::string())
            .field("ts_ms", Schema::of(SchemaType::Int64))
            .field("snapshot", snapshot)
            .field("db", Schema::string())
            .field("sequence", Schema::optional_string())
            .field("ts_us", Schema::optional_of(SchemaType::Int64))
            .field("ts_ns", Schema::optional_of(SchemaType::Int64))
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::optional_of(SchemaType::Int64))
            .field("lsn", Schema::optional_of(SchemaType::Int64))
            .field("xmin", Schema::optional_of(SchemaType::Int64))
            .field("origin", Schema::optional_string())
            .field("origin_lsn", Schema::optional_of(SchemaType::Int64))
            .build()
    })
}

/// The `transaction` block's schema (`provide.transaction.metadata`, which Tributary does
/// not write: the block is always null).
fn transaction_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("event.block")
            .version(1)
            .field("id", Schema::string())
            .field("total_order", Schema::of(SchemaType::Int64))
            .field("data_collection_order", Schema::of(SchemaType::Int64))
            .optional()
            .build()
    })
}

/// The Connect schema Debezium gives a column of type `oid` with modifier `modifier`.
fn column_schema(column: &RelationColumn) -> Arc<Schema> {
    let named = |schema_type, name: &str| SchemaBuilder::new(schema_type).name(name).version(1);
    let builder = match column.type_oid {
        16 => SchemaBuilder::new(SchemaType::Boolean),
        21 => SchemaBuilder::new(SchemaType::Int16),
        23 => SchemaBuilder::new(SchemaType::Int32),
        20 | 26 => SchemaBuilder::new(SchemaType::Int64),
        700 => SchemaBuilder::new(SchemaType::Float32),
        701 => SchemaBuilder::new(SchemaType::Float64),
        1700 => match numeric_scale(column.type_modifier) {
            Some(scale) => SchemaBuilder::decimal(scale).parameter(
                "connect.decimal.precision",
                &(((column.type_modifier - 4) >> 16) & 0xFFFF).to_string(),
            ),
            None => SchemaBuilder::structure()
                .name("io.debezium.data.VariableScaleDecimal")
                .version(1)
                .doc("Variable scaled decimal")
                .field("scale", Schema::of(SchemaType::Int32))
                .field("value", Schema::of(SchemaType::Bytes)),
        },
        17 => SchemaBuilder::new(SchemaType::Bytes),
        1082 => named(SchemaType::Int32, "io.debezium.time.Date"),
        1083 if precision(column.type_modifier) <= 3 => named(SchemaType::Int32, "io.debezium.time.Time"),
        1083 => named(SchemaType::Int64, "io.debezium.time.MicroTime"),
        1114 if precision(column.type_modifier) <= 3 => named(SchemaType::Int64, "io.debezium.time.Timestamp"),
        1114 => named(SchemaType::Int64, "io.debezium.time.MicroTimestamp"),
        1184 => named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
        2950 => named(SchemaType::String, "io.debezium.data.Uuid"),
        114 | 3802 => named(SchemaType::String, "io.debezium.data.Json"),
        _ => SchemaBuilder::new(SchemaType::String),
    };
    if column.optional {
        builder.optional().build()
    } else {
        builder.build()
    }
}

fn numeric_scale(modifier: i32) -> Option<i32> {
    (modifier >= 4).then(|| (modifier - 4) & 0xFFFF)
}

/// Fractional-second digits of a TIME/TIMESTAMP column (6 when undeclared).
fn precision(modifier: i32) -> i32 {
    if modifier < 0 {
        6
    } else {
        modifier
    }
}

/// A column value from its text form, for the column's schema.
fn convert(column: &RelationColumn, schema: &Schema, text: &str) -> Result<Value, String> {
    let bad = |e: &dyn std::fmt::Display| format!("column {} value {text:?}: {e}", column.name);
    let parse_time = |text: &str| NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|e| bad(&e));
    let parse_timestamp = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map_err(|e| bad(&e));
    Ok(match column.type_oid {
        16 => Value::Boolean(text == "t"),
        21 => Value::Int16(text.parse().map_err(|e| bad(&e))?),
        23 => Value::Int32(text.parse().map_err(|e| bad(&e))?),
        20 | 26 => Value::Int64(text.parse().map_err(|e| bad(&e))?),
        700 => Value::Float32(text.parse().map_err(|e| bad(&e))?),
        701 => Value::Float64(text.parse().map_err(|e| bad(&e))?),
        1700 if text == "NaN" => Value::Null,
        1700 => {
            let decimal: BigDecimal = text.parse().map_err(|e| bad(&e))?;
            match numeric_scale(column.type_modifier) {
                Some(scale) => {
                    let (unscaled, _) = decimal.with_scale(scale.into()).into_bigint_and_exponent();
                    Value::bytes(unscaled.to_signed_bytes_be())
                }
                None => {
                    let (unscaled, scale) = decimal.into_bigint_and_exponent();
                    let mut value = Struct::new(Arc::new(schema.clone()));
                    value.put("scale", Value::Int32(scale as i32));
                    value.put("value", Value::bytes(unscaled.to_signed_bytes_be()));
                    Value::Struct(value)
                }
            }
        }
        17 => {
            let hex = text.strip_prefix("\\x").ok_or_else(|| bad(&"not hex bytea"))?;
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| bad(&e))?;
            Value::bytes(bytes)
        }
        1082 => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| bad(&e))?;
            Value::Int32(date.signed_duration_since(NaiveDate::default()).num_days() as i32)
        }
        1083 => {
            let time = parse_time(text)?;
            let micros = i64::from(time.num_seconds_from_midnight()) * 1_000_000 + i64::from(time.nanosecond() / 1000);
            if schema.schema_type == SchemaType::Int32 {
                Value::Int32((micros / 1000) as i32)
            } else {
                Value::Int64(micros)
            }
        }
        1114 => {
            let at = parse_timestamp(text)?.and_utc();
            if schema.name.as_deref() == Some("io.debezium.time.Timestamp") {
                Value::Int64(at.timestamp_millis())
            } else {
                Value::Int64(at.timestamp_micros())
            }
        }
        1184 => {
            let at = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z").map_err(|e| bad(&e))?;
            Value::String(zoned_text(at.to_utc(), precision(column.type_modifier)))
        }
        _ => Value::String(text.to_string()),
    })
}

/// What Debezium puts in a required field that has no value: its type's zero (false, 0, an
/// empty text or byte string; a decimal 0 at the field's scale).
fn zero(schema: &Arc<Schema>) -> Value {
    match schema.schema_type {
        SchemaType::Boolean => Value::Boolean(false),
        SchemaType::Int8 => Value::Int8(0),
        SchemaType::Int16 => Value::Int16(0),
        SchemaType::Int32 => Value::Int32(0),
        SchemaType::Int64 => Value::Int64(0),
        SchemaType::Float32 => Value::Float32(0.0),
        SchemaType::Float64 => Value::Float64(0.0),
        SchemaType::Bytes if schema.name.as_deref() == Some(logical::DECIMAL) => Value::bytes(vec![0]),
        SchemaType::Bytes => Value::bytes(Vec::new()),
        SchemaType::Struct => {
            let mut decimal = Struct::new(schema.clone());
            decimal.put("scale", Value::Int32(0));
            decimal.put("value", Value::bytes(vec![0]));
            Value::Struct(decimal)
        }
        _ => Value::String(String::new()),
    }
}

/// `at` as Debezium's ZonedTimestamp writes it: ISO-8601 in UTC with as many fractional-second
/// digits as the column's precision (none for 0).
fn zoned_text(at: DateTime<chrono::Utc>, digits: i32) -> String {
    let seconds = at.format("%Y-%m-%dT%H:%M:%S");
    let digits = digits.clamp(0, 9) as usize;
    if digits == 0 {
        return format!("{seconds}Z");
    }
    let nanos = format!("{:09}", at.nanosecond() % 1_000_000_000);
    format!("{seconds}.{}Z", &nanos[..digits])
}

/// The headers Debezium puts on every record of a task (`extended.headers.enabled`):
/// `__debezium.context.connectorLogicalName` (`topic.prefix`), `.taskId`, `.connectorName`
/// (`postgresql`) and `.runId` (a new UUID each time the task starts), as text.
#[derive(Debug, Clone, Default)]
pub(super) struct ContextHeaders(Arc<[Header]>);

impl ContextHeaders {
    /// The headers of task `task` of a connector with `topic.prefix` `prefix`, or none.
    pub(super) fn new(enabled: bool, prefix: &str, task: u32) -> Self {
        if !enabled {
            return ContextHeaders::default();
        }
        let header = |key: &str, value: String| Header {
            key: format!("__debezium.context.{key}"),
            schema: Some(Schema::string()),
            value: Value::String(value),
        };
        ContextHeaders(Arc::from([
            header("connectorLogicalName", prefix.to_string()),
            header("taskId", task.to_string()),
            header("connectorName", "postgresql".to_string()),
            header("runId", uuid::Uuid::now_v7().to_string()),
        ]))
    }

    /// Adds them after a record's own headers.
    pub(super) fn append_to(&self, record: &mut ConnectRecord) {
        record.headers.extend(self.0.iter().cloned());
    }
}

/// The schemas and topic of one table's events.
#[derive(Debug)]
pub(super) struct TableEvents {
    /// The topic.
    pub topic: Arc<str>,
    relation: Relation,
    columns: Vec<Arc<Schema>>,
    key_schema: Option<Arc<Schema>>,
    value_schema: Arc<Schema>,
    envelope_schema: Arc<Schema>,
}

impl TableEvents {
    /// The events of `relation` under `prefix`.
    pub(super) fn new(prefix: &str, relation: Relation) -> Self {
        let topic = format!("{prefix}.{}.{}", relation.namespace, relation.name);
        let columns: Vec<Arc<Schema>> = relation.columns.iter().map(column_schema).collect();
        let keyed: Vec<usize> = (0..relation.columns.len())
            .filter(|&i| relation.columns[i].key)
            .collect();
        let key_schema = (!keyed.is_empty()).then(|| {
            keyed
                .iter()
                .fold(SchemaBuilder::structure().name(&format!("{topic}.Key")), |b, &i| {
                    b.field(&relation.columns[i].name, columns[i].clone())
                })
                .build()
        });
        let value_schema = relation
            .columns
            .iter()
            .zip(&columns)
            .fold(
                SchemaBuilder::structure().name(&format!("{topic}.Value")),
                |b, (c, s)| b.field(&c.name, s.clone()),
            )
            .optional()
            .build();
        let envelope_schema = SchemaBuilder::structure()
            .name(&format!("{topic}.Envelope"))
            .version(2)
            .field("before", value_schema.clone())
            .field("after", value_schema.clone())
            .field("source", source_schema().clone())
            .field("transaction", transaction_schema().clone())
            .field("op", Schema::string())
            .field("ts_ms", Schema::optional_of(SchemaType::Int64))
            .field("ts_us", Schema::optional_of(SchemaType::Int64))
            .field("ts_ns", Schema::optional_of(SchemaType::Int64))
            .build();
        TableEvents {
            topic: topic.into(),
            relation,
            columns,
            key_schema,
            value_schema,
            envelope_schema,
        }
    }

    /// The key's schema (none for a table without a key).
    pub(super) fn key_schema(&self) -> Option<Arc<Schema>> {
        self.key_schema.clone()
    }

    /// The envelope's schema.
    pub(super) fn envelope_schema(&self) -> Arc<Schema> {
        self.envelope_schema.clone()
    }

    /// A row as a `<topic>.Value` struct; unchanged TOASTed columns are null, and a required
    /// field without a value (a delete's old row carries only the replica identity's columns)
    /// holds its type's zero, as Debezium fills it.
    fn row(&self, datums: &[Datum]) -> Result<Value, String> {
        let mut values = Vec::with_capacity(self.columns.len());
        for ((column, schema), datum) in self.relation.columns.iter().zip(&self.columns).zip(datums) {
            values.push(match datum {
                Datum::Text(text) => convert(column, schema, text)?,
                Datum::Null | Datum::Unchanged if schema.optional => Value::Null,
                Datum::Null | Datum::Unchanged => zero(schema),
            });
        }
        values.resize(self.columns.len(), Value::Null);
        Struct::from_values(self.value_schema.clone(), values)
            .map(Value::Struct)
            .ok_or_else(|| "column count mismatch".to_string())
    }

    /// The key of a row (null for a table without a key).
    pub(super) fn key(&self, datums: &[Datum]) -> Result<Value, String> {
        let Some(schema) = &self.key_schema else {
            return Ok(Value::Null);
        };
        let mut values = Vec::new();
        for ((column, column_schema), datum) in self.relation.columns.iter().zip(&self.columns).zip(datums) {
            if column.key {
                values.push(match datum {
                    Datum::Text(text) => convert(column, column_schema, text)?,
                    Datum::Null | Datum::Unchanged => Value::Null,
                });
            }
        }
        Struct::from_values(schema.clone(), values)
            .map(Value::Struct)
            .ok_or_else(|| "key column count mismatch".to_string())
    }

    /// The envelope of a change made into an event at `now_us` (microseconds since the epoch).
    pub(super) fn envelope(
        &self,
        op: Op,
        before: Option<&[Datum]>,
        after: Option<&[Datum]>,
        source: &SourceInfo,
        now_us: i64,
    ) -> Result<Value, String> {
        let block = Struct::from_values(
            source_schema().clone(),
            vec![
                Value::String(VERSION.into()),
                Value::String("postgresql".into()),
                Value::String(source.name.clone()),
                Value::Int64(source.ts_us.div_euclid(1000)),
                Value::String(source.snapshot.into()),
                Value::String(source.db.clone()),
                source.sequence.clone().map_or(Value::Null, Value::String),
                Value::Int64(source.ts_us),
                Value::Int64(source.ts_us.saturating_mul(1000)),
                Value::String(self.relation.namespace.clone()),
                Value::String(self.relation.name.clone()),
                source.tx_id.map_or(Value::Null, Value::Int64),
                source.lsn.map_or(Value::Null, Value::Int64),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
        )
        .ok_or("source block mismatch")?;
        let before = before.map(|d| self.row(d)).transpose()?.unwrap_or(Value::Null);
        let after = after.map(|d| self.row(d)).transpose()?.unwrap_or(Value::Null);
        Struct::from_values(
            self.envelope_schema.clone(),
            vec![
                before,
                after,
                Value::Struct(block),
                Value::Null,
                Value::String(op.code().into()),
                Value::Int64(now_us.div_euclid(1000)),
                Value::Int64(now_us),
                Value::Int64(now_us.saturating_mul(1000)),
            ],
        )
        .map(Value::Struct)
        .ok_or_else(|| "envelope mismatch".to_string())
    }

    /// One change as a source record of `partition` at `offset`, keyed by the row's replica
    /// identity (taken from `after`, or from `before` for a delete).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &self,
        partition: &Arc<SourceMap>,
        op: Op,
        before: Option<&[Datum]>,
        after: Option<&[Datum]>,
        source: &SourceInfo,
        offset: SourceMap,
        now_us: i64,
    ) -> Result<SourceRecord, String> {
        Ok(SourceRecord {
            source_partition: partition.clone(),
            source_offset: offset,
            record: ConnectRecord {
                topic: self.topic.clone(),
                key_schema: self.key_schema(),
                key: self.key(after.or(before).unwrap_or_default())?,
                value_schema: Some(self.envelope_schema()),
                value: self.envelope(op, before, after, source, now_us)?,
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, type_oid: u32, type_modifier: i32, key: bool) -> RelationColumn {
        RelationColumn {
            key,
            optional: !key,
            name: name.into(),
            type_oid,
            type_modifier,
        }
    }

    fn value(column: &RelationColumn, text: &str) -> Value {
        convert(column, &column_schema(column), text).unwrap()
    }

    #[test]
    fn values_follow_debeziums_default_mappings() {
        // NUMERIC(10,2): modifier (10 << 16 | 2) + 4.
        let price = column("price", 1700, (10 << 16 | 2) + 4, false);
        assert_eq!(value(&price, "-12.5"), Value::bytes(vec![0xFB, 0x1E]));
        assert_eq!(column_schema(&price).decimal_scale(), Some(2));
        let any = column("any", 1700, -1, false);
        let Value::Struct(variable) = value(&any, "1.25") else {
            panic!()
        };
        assert_eq!(variable.get("scale"), Some(&Value::Int32(2)));
        assert_eq!(variable.get("value"), Some(&Value::bytes(vec![125])));
        let at = column("at", 1114, -1, false);
        assert_eq!(value(&at, "1970-01-01 00:00:01.5"), Value::Int64(1_500_000));
        let at_millis = column("at", 1114, 3, false);
        assert_eq!(value(&at_millis, "1970-01-01 00:00:01.5"), Value::Int64(1_500));
        // In UTC, as many fractional digits as the column's precision (6 undeclared).
        let zoned = column("z", 1184, -1, false);
        assert_eq!(
            value(&zoned, "2024-02-29 13:14:15.123+02"),
            Value::String("2024-02-29T11:14:15.123000Z".into())
        );
        let zoned_seconds = column("z", 1184, 0, false);
        assert_eq!(
            value(&zoned_seconds, "2024-02-29 13:14:15+02"),
            Value::String("2024-02-29T11:14:15Z".into())
        );
        assert_eq!(
            value(&column("b", 17, -1, false), "\\x01ff"),
            Value::bytes(vec![1, 255])
        );
        assert_eq!(value(&column("d", 1082, -1, false), "1970-01-11"), Value::Int32(10));
        assert_eq!(value(&column("f", 16, -1, false), "t"), Value::Boolean(true));
    }

    #[test]
    fn keys_and_envelopes_are_named_after_the_topic() {
        let relation = Relation {
            id: 1,
            namespace: "public".into(),
            name: "orders".into(),
            columns: vec![column("id", 23, -1, true), column("note", 25, -1, false)],
        };
        let events = TableEvents::new("shop", relation);
        assert_eq!(&*events.topic, "shop.public.orders");
        assert_eq!(
            events.key_schema().unwrap().name.as_deref(),
            Some("shop.public.orders.Key")
        );
        let row = [Datum::Text("7".into()), Datum::Text("hi".into())];
        let Value::Struct(key) = events.key(&row).unwrap() else {
            panic!()
        };
        assert_eq!(key.get("id"), Some(&Value::Int32(7)));
        let source = SourceInfo {
            name: "shop".into(),
            db: "db".into(),
            ts_us: 1_000,
            snapshot: "false",
            tx_id: Some(5),
            lsn: Some(6),
            sequence: None,
        };
        let Value::Struct(envelope) = events.envelope(Op::Create, None, Some(&row), &source, 2).unwrap() else {
            panic!()
        };
        assert_eq!(envelope.get("op"), Some(&Value::String("c".into())));
        assert_eq!(envelope.get("before"), Some(&Value::Null));
        assert_eq!(envelope.schema().name.as_deref(), Some("shop.public.orders.Envelope"));
    }
}
