//! From sink records to what is written: the destination table (`table.name.format`), its
//! columns (primary key by `pk.mode`/`pk.fields`, then the value's fields, `fields.whitelist`),
//! and runs of writes or deletes in record order, each held column by column. Within a run of
//! writes in upsert or update mode only the last record of each key is kept (one statement
//! cannot touch a row twice, and the last write wins anyway).

use std::collections::HashMap;
use std::sync::Arc;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use tributary_runtime::data::{logical, Schema, SchemaType, SinkRecord, Value};

/// `insert.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    /// Plain INSERT.
    Insert,
    /// INSERT, or UPDATE when the key exists.
    Upsert,
    /// UPDATE of existing rows only.
    Update,
}

impl InsertMode {
    /// Parses Confluent's names.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "insert" => Some(InsertMode::Insert),
            "upsert" => Some(InsertMode::Upsert),
            "update" => Some(InsertMode::Update),
            _ => None,
        }
    }
}

/// `pk.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    /// No primary key.
    None,
    /// The Kafka coordinates: `__connect_topic`, `__connect_partition`, `__connect_offset`.
    Kafka,
    /// The record key (a primitive named by `pk.fields`, or struct fields).
    RecordKey,
    /// Fields of the record value.
    RecordValue,
}

impl PkMode {
    /// Parses Confluent's names.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(PkMode::None),
            "kafka" => Some(PkMode::Kafka),
            "record_key" => Some(PkMode::RecordKey),
            "record_value" => Some(PkMode::RecordValue),
            _ => None,
        }
    }
}

/// The sink settings that shape what is written.
#[derive(Debug, Clone)]
pub struct Shape {
    /// `insert.mode`.
    pub insert_mode: InsertMode,
    /// `pk.mode`.
    pub pk_mode: PkMode,
    /// `pk.fields`.
    pub pk_fields: Vec<String>,
    /// `fields.whitelist` (all value fields when empty).
    pub fields_whitelist: Vec<String>,
    /// `delete.enabled`.
    pub delete_enabled: bool,
    /// `table.name.format`.
    pub table_format: String,
}

/// A column written, with the Connect schema its values have.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    /// The column's name.
    pub name: String,
    /// The schema of its values.
    pub schema: Arc<Schema>,
    /// Whether it is part of the primary key.
    pub key: bool,
}

/// The values of one column over a run of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Integers of any width.
    Int(Vec<Option<i64>>),
    /// Floats of any width.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Text.
    Text(Vec<Option<String>>),
    /// Binary.
    Bytes(Vec<Option<Vec<u8>>>),
    /// Decimal logical values.
    Decimal(Vec<Option<BigDecimal>>),
    /// Date logical values.
    Date(Vec<Option<NaiveDate>>),
    /// Time logical values.
    Time(Vec<Option<NaiveTime>>),
    /// Timestamp logical values (UTC).
    Timestamp(Vec<Option<NaiveDateTime>>),
}

impl ColumnData {
    /// An empty column for values of `schema`.
    pub fn for_schema(schema: &Schema) -> Result<Self, String> {
        Ok(match (schema.name.as_deref(), schema.schema_type) {
            (Some(logical::DECIMAL), _) => ColumnData::Decimal(Vec::new()),
            (Some(logical::DATE), _) => ColumnData::Date(Vec::new()),
            (Some(logical::TIME), _) => ColumnData::Time(Vec::new()),
            (Some(logical::TIMESTAMP), _) => ColumnData::Timestamp(Vec::new()),
            (_, SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64) => {
                ColumnData::Int(Vec::new())
            }
            (_, SchemaType::Float32 | SchemaType::Float64) => ColumnData::Float(Vec::new()),
            (_, SchemaType::Boolean) => ColumnData::Bool(Vec::new()),
            (_, SchemaType::String) => ColumnData::Text(Vec::new()),
            (_, SchemaType::Bytes) => ColumnData::Bytes(Vec::new()),
            (_, other) => return Err(format!("{other:?} values cannot be written to a column")),
        })
    }

    /// Appends `value` (of the column's schema, `scale` for decimals).
    fn push(&mut self, value: &Value, scale: i32) -> Result<(), String> {
        let mismatch = || format!("value {value:?} does not fit its column");
        match (self, value) {
            (ColumnData::Int(v), Value::Null) => v.push(None),
            (ColumnData::Float(v), Value::Null) => v.push(None),
            (ColumnData::Bool(v), Value::Null) => v.push(None),
            (ColumnData::Text(v), Value::Null) => v.push(None),
            (ColumnData::Bytes(v), Value::Null) => v.push(None),
            (ColumnData::Decimal(v), Value::Null) => v.push(None),
            (ColumnData::Date(v), Value::Null) => v.push(None),
            (ColumnData::Time(v), Value::Null) => v.push(None),
            (ColumnData::Timestamp(v), Value::Null) => v.push(None),
            (ColumnData::Int(v), Value::Int8(x)) => v.push(Some(i64::from(*x))),
            (ColumnData::Int(v), Value::Int16(x)) => v.push(Some(i64::from(*x))),
            (ColumnData::Int(v), Value::Int32(x)) => v.push(Some(i64::from(*x))),
            (ColumnData::Int(v), Value::Int64(x)) => v.push(Some(*x)),
            (ColumnData::Float(v), Value::Float32(x)) => v.push(Some(f64::from(*x))),
            (ColumnData::Float(v), Value::Float64(x)) => v.push(Some(*x)),
            (ColumnData::Bool(v), Value::Boolean(x)) => v.push(Some(*x)),
            (ColumnData::Text(v), Value::String(x)) => v.push(Some(x.clone())),
            (ColumnData::Bytes(v), Value::Bytes(x)) => v.push(Some(x.clone())),
            (ColumnData::Decimal(v), Value::Bytes(x)) => v.push(Some(BigDecimal::new(
                bigdecimal::num_bigint::BigInt::from_signed_bytes_be(x),
                scale.into(),
            ))),
            (ColumnData::Date(v), Value::Int32(days)) => {
                v.push(Some(NaiveDate::default() + chrono::Duration::days((*days).into())))
            }
            (ColumnData::Time(v), Value::Int32(millis)) => v.push(Some(
                NaiveTime::from_num_seconds_from_midnight_opt(
                    (*millis / 1000) as u32,
                    (*millis % 1000) as u32 * 1_000_000,
                )
                .ok_or_else(mismatch)?,
            )),
            (ColumnData::Timestamp(v), Value::Int64(millis)) => v.push(Some(
                DateTime::from_timestamp_millis(*millis)
                    .ok_or_else(mismatch)?
                    .naive_utc(),
            )),
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// The number of values.
    fn len(&self) -> usize {
        match self {
            ColumnData::Int(v) => v.len(),
            ColumnData::Float(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Bytes(v) => v.len(),
            ColumnData::Decimal(v) => v.len(),
            ColumnData::Date(v) => v.len(),
            ColumnData::Time(v) => v.len(),
            ColumnData::Timestamp(v) => v.len(),
        }
    }
}

/// What a run does to its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// Insert, upsert or update them (by `insert.mode`).
    Write,
    /// Delete them by key (tombstones).
    Delete,
}

/// Consecutive records of one table with one kind, column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The table.
    pub table: String,
    /// Write or delete.
    pub kind: RunKind,
    /// The columns (key columns only for a delete).
    pub columns: Vec<ColumnSpec>,
    /// Their values, one entry per column.
    pub data: Vec<ColumnData>,
}

impl Run {
    /// Rows in the run.
    pub fn rows(&self) -> usize {
        self.data.first().map_or(0, ColumnData::len)
    }
}

/// One record's columns and values before they are gathered into runs.
struct Row {
    table: String,
    kind: RunKind,
    columns: Vec<ColumnSpec>,
    values: Vec<Value>,
}

impl Shape {
    /// The table a record goes to.
    fn table(&self, record: &SinkRecord) -> String {
        self.table_format.replace("${topic}", &record.record.topic)
    }

    /// The key columns and values of `record`.
    fn key(&self, record: &SinkRecord) -> Result<Vec<(ColumnSpec, Value)>, String> {
        let column = |name: &str, schema: Arc<Schema>, value: Value| {
            (
                ColumnSpec {
                    name: name.to_string(),
                    schema,
                    key: true,
                },
                value,
            )
        };
        match self.pk_mode {
            PkMode::None => Ok(Vec::new()),
            PkMode::Kafka => {
                let names: Vec<&str> = if self.pk_fields.is_empty() {
                    vec!["__connect_topic", "__connect_partition", "__connect_offset"]
                } else {
                    self.pk_fields.iter().map(String::as_str).collect()
                };
                if names.len() != 3 {
                    return Err("pk.mode=kafka takes three pk.fields (topic, partition, offset columns)".into());
                }
                Ok(vec![
                    column(names[0], Schema::string(), Value::String(record.original_topic.clone())),
                    column(
                        names[1],
                        Schema::of(SchemaType::Int32),
                        Value::Int32(record.original_partition),
                    ),
                    column(
                        names[2],
                        Schema::of(SchemaType::Int64),
                        Value::Int64(record.kafka_offset),
                    ),
                ])
            }
            PkMode::RecordKey => {
                let schema = record
                    .record
                    .key_schema
                    .clone()
                    .ok_or("pk.mode=record_key needs records with a key schema")?;
                match (&record.record.key, schema.schema_type) {
                    (Value::Struct(key), SchemaType::Struct) => self.struct_fields(key, &self.pk_fields, true),
                    (Value::Null, _) => Err("pk.mode=record_key: the record has no key".into()),
                    (value, _) => match self.pk_fields.as_slice() {
                        [name] => Ok(vec![column(name, schema.clone(), value.clone())]),
                        _ => Err("pk.mode=record_key with a primitive key needs exactly one pk.fields name".into()),
                    },
                }
            }
            PkMode::RecordValue => match &record.record.value {
                Value::Struct(value) => self.struct_fields(value, &self.pk_fields, true),
                _ => Err("pk.mode=record_value needs a struct value".into()),
            },
        }
    }

    /// The fields of `value` named by `names` (all when empty), as columns.
    fn struct_fields(
        &self,
        value: &tributary_runtime::data::Struct,
        names: &[String],
        key: bool,
    ) -> Result<Vec<(ColumnSpec, Value)>, String> {
        let mut columns = Vec::new();
        for (field, field_value) in value.iter() {
            if names.is_empty() || names.contains(&field.name) {
                let spec = ColumnSpec {
                    name: field.name.clone(),
                    schema: field.schema.clone(),
                    key,
                };
                columns.push((spec, field_value.clone()));
            }
        }
        if let Some(missing) = names.iter().find(|n| !columns.iter().any(|(c, _)| &c.name == *n)) {
            return Err(format!("field {missing:?} is not in the record"));
        }
        Ok(columns)
    }

    /// What `record` does: `None` for a tombstone that is not a delete.
    fn row(&self, record: &SinkRecord) -> Result<Option<Row>, String> {
        let table = self.table(record);
        let key = self.key(record)?;
        let value = match &record.record.value {
            Value::Null if self.delete_enabled => {
                let (columns, values) = key.into_iter().unzip();
                return Ok(Some(Row {
                    table,
                    kind: RunKind::Delete,
                    columns,
                    values,
                }));
            }
            Value::Null => return Ok(None),
            Value::Struct(value) => value,
            other => {
                return Err(format!(
                    "the JDBC sink writes struct values with a schema (e.g. JsonConverter with schemas.enable=true), not {other:?}"
                ))
            }
        };
        let mut columns = key;
        let key_names: Vec<String> = columns.iter().map(|(c, _)| c.name.clone()).collect();
        for (spec, field_value) in self.struct_fields(value, &[], false)? {
            let wanted = self.fields_whitelist.is_empty() || self.fields_whitelist.contains(&spec.name);
            if wanted && !key_names.contains(&spec.name) {
                columns.push((spec, field_value));
            }
        }
        let (columns, values) = columns.into_iter().unzip();
        Ok(Some(Row {
            table,
            kind: RunKind::Write,
            columns,
            values,
        }))
    }

    /// The runs `records` make, in order.
    pub fn runs(&self, records: &[SinkRecord]) -> Result<Vec<Run>, String> {
        let mut rows: Vec<Row> = Vec::with_capacity(records.len());
        for record in records {
            let row = self.row(record).map_err(|e| {
                format!(
                    "record {}/{}@{}: {e}",
                    record.original_topic, record.original_partition, record.kafka_offset
                )
            })?;
            rows.extend(row);
        }
        let mut runs = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let first = &rows[start];
            let end = rows[start..]
                .iter()
                .position(|r| r.table != first.table || r.kind != first.kind || r.columns != first.columns)
                .map_or(rows.len(), |n| start + n);
            runs.push(self.gather(&rows[start..end])?);
            start = end;
        }
        Ok(runs)
    }

    /// One run from rows of one table, kind and columns; the last row per key only, where a
    /// key repeats and the mode allows it.
    fn gather(&self, rows: &[Row]) -> Result<Run, String> {
        let first = &rows[0];
        let key_columns: Vec<usize> = first
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key)
            .map(|(i, _)| i)
            .collect();
        let collapse =
            !key_columns.is_empty() && (first.kind == RunKind::Delete || self.insert_mode != InsertMode::Insert);
        let kept: Vec<&Row> = if collapse {
            let mut last: HashMap<String, usize> = HashMap::new();
            for (index, row) in rows.iter().enumerate() {
                let key: Vec<&Value> = key_columns.iter().map(|&i| &row.values[i]).collect();
                last.insert(format!("{key:?}"), index);
            }
            let mut indexes: Vec<usize> = last.into_values().collect();
            indexes.sort_unstable();
            indexes.into_iter().map(|i| &rows[i]).collect()
        } else {
            rows.iter().collect()
        };
        let mut data = first
            .columns
            .iter()
            .map(|c| ColumnData::for_schema(&c.schema).map_err(|e| format!("column {}: {e}", c.name)))
            .collect::<Result<Vec<_>, _>>()?;
        for row in kept {
            for ((column, spec), value) in data.iter_mut().zip(&first.columns).zip(&row.values) {
                column
                    .push(value, spec.schema.decimal_scale().unwrap_or(0))
                    .map_err(|e| format!("column {}: {e}", spec.name))?;
            }
        }
        Ok(Run {
            table: first.table.clone(),
            kind: first.kind,
            columns: first.columns.clone(),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_runtime::data::{ConnectRecord, SchemaBuilder, Struct, TimestampType};

    fn shape(insert_mode: InsertMode, pk_mode: PkMode, pk_fields: &[&str]) -> Shape {
        Shape {
            insert_mode,
            pk_mode,
            pk_fields: pk_fields.iter().map(|f| f.to_string()).collect(),
            fields_whitelist: Vec::new(),
            delete_enabled: true,
            table_format: "kafka_${topic}".into(),
        }
    }

    fn record(offset: i64, key: i64, name: Option<&str>) -> SinkRecord {
        let schema = SchemaBuilder::structure()
            .field("id", Schema::of(SchemaType::Int64))
            .field("name", Schema::optional_string())
            .build();
        let value = name.map_or(Value::Null, |name| {
            Value::Struct(Struct::new(schema.clone()).with("id", key).with("name", name))
        });
        SinkRecord {
            record: ConnectRecord {
                topic: "orders".into(),
                key_schema: Some(Schema::of(SchemaType::Int64)),
                key: Value::Int64(key),
                value_schema: Some(schema),
                value,
                ..Default::default()
            },
            kafka_offset: offset,
            timestamp_type: TimestampType::CreateTime,
            original_topic: "orders".into(),
            original_partition: 0,
        }
    }

    #[test]
    fn upserts_keep_the_last_record_per_key_and_deletes_split_runs() {
        let shape = shape(InsertMode::Upsert, PkMode::RecordKey, &["id"]);
        let records = [
            record(0, 1, Some("a")),
            record(1, 2, Some("b")),
            record(2, 1, Some("a2")),
            record(3, 2, None),
            record(4, 2, Some("b2")),
        ];
        let runs = shape.runs(&records).unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0].table, "kafka_orders");
        assert_eq!(runs[0].kind, RunKind::Write);
        assert_eq!(runs[0].data[0], ColumnData::Int(vec![Some(2), Some(1)]));
        assert_eq!(
            runs[0].data[1],
            ColumnData::Text(vec![Some("b".into()), Some("a2".into())])
        );
        assert_eq!(runs[1].kind, RunKind::Delete);
        assert_eq!(runs[1].data, vec![ColumnData::Int(vec![Some(2)])]);
        assert_eq!(runs[2].data[1], ColumnData::Text(vec![Some("b2".into())]));
    }

    #[test]
    fn kafka_coordinates_make_the_key_in_kafka_mode() {
        let shape = shape(InsertMode::Insert, PkMode::Kafka, &[]);
        let runs = shape.runs(&[record(7, 1, Some("a"))]).unwrap();
        let names: Vec<&str> = runs[0].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "__connect_topic",
                "__connect_partition",
                "__connect_offset",
                "id",
                "name"
            ]
        );
        assert_eq!(runs[0].data[2], ColumnData::Int(vec![Some(7)]));
    }

    #[test]
    fn a_value_without_a_schema_is_refused_with_the_reason() {
        let shape = shape(InsertMode::Insert, PkMode::None, &[]);
        let mut bad = record(0, 1, Some("a"));
        bad.record.value = Value::String("{}".into());
        let error = shape.runs(&[bad]).unwrap_err();
        assert!(
            error.contains("orders/0@0") && error.contains("schemas.enable=true"),
            "{error}"
        );
    }
}
