//! From sink records to what is written: the destination table (`table.name.format`), its
//! columns (primary key by `pk.mode`/`pk.fields`, then the value's fields, `fields.whitelist`),
//! and runs of writes or deletes in record order, each held column by column. Within a run of
//! writes in upsert or update mode only the last record of each key is kept (one statement
//! cannot touch a row twice, and the last write wins anyway).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use tributary_runtime::data::{logical, Schema, SchemaRef, SchemaType, SinkRecord, Value};

use crate::jdbc::connection::Dialect;
use crate::jdbc::identifiers::QuoteIdentifiers;

/// `insert.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum InsertMode {
    /// Plain INSERT.
    #[default]
    Insert,
    /// INSERT, or UPDATE when the key exists.
    Upsert,
    /// UPDATE of existing rows only.
    Update,
}

impl InsertMode {
    /// Parses Confluent's names.
    pub(super) fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "insert" => Some(InsertMode::Insert),
            "upsert" => Some(InsertMode::Upsert),
            "update" => Some(InsertMode::Update),
            _ => None,
        }
    }
}

/// `pk.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum PkMode {
    /// No primary key.
    #[default]
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
    pub(super) fn parse(value: &str) -> Option<Self> {
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
pub(super) struct Shape {
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
    /// `replace.null.with.default`: a null value field takes its schema's default (a key field
    /// always does).
    pub replace_null_with_default: bool,
    /// `string.output.value.column.name`: the column a string value (a String schema, as
    /// StringConverter's) is written to.
    pub string_value_column: String,
    /// `timestamp.fields.list`: fields whose numbers (INT64 or text) are timestamps.
    pub timestamp_fields: Vec<String>,
    /// `timestamp.precision.mode`: what those numbers count from 1970.
    pub timestamp_precision: TimestampPrecision,
    /// `quote.sql.identifiers`: how the statements write names.
    pub quoting: QuoteIdentifiers,
    /// Whether table names are taken in lower case (their last part, as Confluent's; see
    /// [`QuoteIdentifiers::lower_cases_tables`]).
    pub lower_case_tables: bool,
}

/// `timestamp.precision.mode`: the unit of the numbers of `timestamp.fields.list`'s fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum TimestampPrecision {
    /// Microseconds from 1970.
    #[default]
    Microseconds,
    /// Nanoseconds from 1970.
    Nanoseconds,
}

impl TimestampPrecision {
    /// Parses Confluent's names, in either case.
    pub(super) fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "microseconds" => Some(TimestampPrecision::Microseconds),
            "nanoseconds" => Some(TimestampPrecision::Nanoseconds),
            _ => None,
        }
    }

    /// The instant `count` of these units from 1970, if it is one.
    fn instant(self, count: i128) -> Option<NaiveDateTime> {
        let per_second: i128 = match self {
            TimestampPrecision::Microseconds => 1_000_000,
            TimestampPrecision::Nanoseconds => 1_000_000_000,
        };
        let seconds = i64::try_from(count.div_euclid(per_second)).ok()?;
        let nanos = u32::try_from(count.rem_euclid(per_second) * (1_000_000_000 / per_second)).ok()?;
        DateTime::from_timestamp(seconds, nanos).map(|at| at.naive_utc())
    }
}

/// A column written, with the Connect schema its values have.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ColumnSpec {
    /// The column's name.
    pub name: String,
    /// The schema of its values.
    pub schema: Arc<Schema>,
    /// Whether it is part of the primary key.
    pub key: bool,
    /// For a field of `timestamp.fields.list` (an INT64 or text): the unit its number counts
    /// from 1970 in; it is written as a timestamp.
    pub since_1970: Option<TimestampPrecision>,
}

impl ColumnSpec {
    /// A column of `schema`'s values.
    pub(super) fn new(name: impl Into<String>, schema: Arc<Schema>, key: bool) -> Self {
        ColumnSpec {
            name: name.into(),
            schema,
            key,
            since_1970: None,
        }
    }
}

/// The values of one column over a run of rows; text borrowed from the records where it can be.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ColumnData<'r> {
    /// Integers of any width.
    Int(Vec<Option<i64>>),
    /// Floats of any width.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Text.
    Text(Vec<Option<Cow<'r, str>>>),
    /// Binary.
    Bytes(Vec<Option<Vec<u8>>>),
    /// Decimal logical values.
    Decimal(Vec<Option<Decimal>>),
    /// Date logical values.
    Date(Vec<Option<NaiveDate>>),
    /// Time logical values.
    Time(Vec<Option<NaiveTime>>),
    /// Timestamp logical values (UTC).
    Timestamp(Vec<Option<NaiveDateTime>>),
}

/// A Decimal value: its unscaled integer in 128 bits where it fits (read from Connect's bytes
/// without allocating), a `BigDecimal` where it does not.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Decimal {
    /// The unscaled integer and the scale.
    Small(i128, i32),
    /// Any other.
    Big(BigDecimal),
}

impl Decimal {
    /// The decimal whose unscaled integer `unscaled` holds (Connect's big-endian two's
    /// complement), at `scale`.
    pub(super) fn new(unscaled: &[u8], scale: i32) -> Self {
        match unscaled.first() {
            None => Decimal::Small(0, scale),
            Some(first) if unscaled.len() <= 16 => {
                let mut full = [if first & 0x80 != 0 { 0xff } else { 0 }; 16];
                full[16 - unscaled.len()..].copy_from_slice(unscaled);
                Decimal::Small(i128::from_be_bytes(full), scale)
            }
            Some(_) => Decimal::Big(BigDecimal::new(
                bigdecimal::num_bigint::BigInt::from_signed_bytes_be(unscaled),
                scale.into(),
            )),
        }
    }

    /// As a `BigDecimal`, for the statements that bind one.
    pub(super) fn to_big(&self) -> BigDecimal {
        match self {
            Decimal::Small(unscaled, scale) => BigDecimal::new((*unscaled).into(), (*scale).into()),
            Decimal::Big(value) => value.clone(),
        }
    }
}

impl<'r> ColumnData<'r> {
    /// An empty column for `rows` values of `column`.
    pub(super) fn for_column(column: &ColumnSpec, rows: usize) -> Result<Self, String> {
        if column.since_1970.is_some() {
            return Ok(ColumnData::Timestamp(Vec::with_capacity(rows)));
        }
        let schema = &column.schema;
        Ok(match (schema.name.as_deref(), schema.schema_type) {
            (Some(logical::DECIMAL), _) => ColumnData::Decimal(Vec::with_capacity(rows)),
            (Some(logical::DATE), _) => ColumnData::Date(Vec::with_capacity(rows)),
            (Some(logical::TIME), _) => ColumnData::Time(Vec::with_capacity(rows)),
            (Some(logical::TIMESTAMP), _) => ColumnData::Timestamp(Vec::with_capacity(rows)),
            (_, SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64) => {
                ColumnData::Int(Vec::with_capacity(rows))
            }
            (_, SchemaType::Float32 | SchemaType::Float64) => ColumnData::Float(Vec::with_capacity(rows)),
            (_, SchemaType::Boolean) => ColumnData::Bool(Vec::with_capacity(rows)),
            (_, SchemaType::String) => ColumnData::Text(Vec::with_capacity(rows)),
            (_, SchemaType::Bytes) => ColumnData::Bytes(Vec::with_capacity(rows)),
            (_, other) => return Err(format!("{other:?} values cannot be written to a column")),
        })
    }

    /// Appends `value` (of the column's schema, `scale` for decimals; a timestamp counted from
    /// 1970 in `since_1970`'s unit, where it is a field of `timestamp.fields.list`).
    pub(super) fn push(
        &mut self,
        value: Cow<'r, Value>,
        scale: i32,
        since_1970: Option<TimestampPrecision>,
    ) -> Result<(), String> {
        if let ColumnData::Text(v) = self {
            let text = match value {
                Cow::Borrowed(Value::String(x)) => Some(Cow::Borrowed(x.as_str())),
                Cow::Owned(Value::String(x)) => Some(Cow::Owned(x)),
                Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => None,
                other => return Err(format!("value {other:?} does not fit its column")),
            };
            v.push(text);
            return Ok(());
        }
        let mismatch = || format!("value {value:?} does not fit its column");
        match (self, value.as_ref()) {
            (ColumnData::Int(v), Value::Null) => v.push(None),
            (ColumnData::Float(v), Value::Null) => v.push(None),
            (ColumnData::Bool(v), Value::Null) => v.push(None),
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
            (ColumnData::Bytes(v), Value::Bytes(x)) => v.push(Some(x.to_vec())),
            (ColumnData::Decimal(v), Value::Bytes(x)) => v.push(Some(Decimal::new(x, scale))),
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
            (ColumnData::Timestamp(v), Value::Int64(count)) => v.push(Some(match since_1970 {
                Some(unit) => unit.instant((*count).into()).ok_or_else(mismatch)?,
                None => DateTime::from_timestamp_millis(*count)
                    .ok_or_else(mismatch)?
                    .naive_utc(),
            })),
            (ColumnData::Timestamp(v), Value::String(text)) => {
                let Some(unit) = since_1970 else {
                    return Err(mismatch());
                };
                let count: i128 = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{text:?} is no number of {unit:?} from 1970"))?;
                v.push(Some(unit.instant(count).ok_or_else(mismatch)?))
            }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RunKind {
    /// Insert, upsert or update them (by `insert.mode`).
    Write,
    /// Delete them by key (tombstones).
    Delete,
}

/// Consecutive records of one table with one kind, column by column.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Run<'r> {
    /// The table.
    pub table: String,
    /// Write or delete.
    pub kind: RunKind,
    /// The columns (key columns only for a delete).
    pub columns: Vec<ColumnSpec>,
    /// Their values, one entry per column.
    pub data: Vec<ColumnData<'r>>,
    /// How the statements write its names.
    pub quoting: QuoteIdentifiers,
}

impl Run<'_> {
    /// Rows in the run.
    pub(super) fn rows(&self) -> usize {
        self.data.first().map_or(0, ColumnData::len)
    }

    /// The table's name as its statements in `dialect` write it.
    pub(super) fn table_name(&self, dialect: Dialect) -> String {
        self.quoting.table(dialect, &self.table)
    }

    /// Column `name` as its statements in `dialect` write it.
    pub(super) fn column_name(&self, dialect: Dialect, name: &str) -> String {
        self.quoting.name(dialect, name)
    }

    /// Its columns' names as its statements in `dialect` write them.
    pub(super) fn column_names(&self, dialect: Dialect) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| self.column_name(dialect, &c.name))
            .collect()
    }
}

#[cfg(test)]
impl<'r> Run<'r> {
    /// A run of writes of `data` to table `t`, into columns c0, c1, … (of string schemas, which
    /// the writes do not read).
    pub(super) fn of_columns(data: Vec<ColumnData<'r>>) -> Self {
        Run {
            table: "t".into(),
            kind: RunKind::Write,
            columns: (0..data.len())
                .map(|i| ColumnSpec::new(format!("c{i}"), Schema::string(), false))
                .collect(),
            data,
            quoting: QuoteIdentifiers::Always,
        }
    }
}

/// Why a record's value cannot be written.
const NOT_WRITABLE: &str = "the JDBC sink writes struct values with a schema (e.g. JsonConverter with \
     schemas.enable=true), or strings with a String schema (StringConverter's) into one column";

/// Where a column's value comes from in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The topic it was read from.
    Topic,
    /// Its partition.
    Partition,
    /// Its offset.
    Offset,
    /// The whole (primitive) key.
    Key,
    /// A field of the key struct (a null takes the field's default).
    KeyField(usize),
    /// A field of the value struct, and whether a null takes the field's default.
    ValueField(usize, bool),
    /// The whole (string) value.
    Value,
}

/// The row shape shared by the records of one topic, kind and pair of schemas: the table, the
/// columns and where each takes its value. Worked out once per batch, not per record.
#[derive(Debug)]
struct Layout {
    table: String,
    kind: RunKind,
    columns: Vec<ColumnSpec>,
    sources: Vec<Source>,
}

/// Identifies a [`Layout`]: topic, kind, and the key and value schemas by address (records
/// from one converter share their schema objects).
type LayoutKey<'r> = (&'r str, RunKind, usize, usize);

/// One record: its layout (an index into the batch's layouts) and where its column values
/// start in the batch's values (one after another, borrowed from the record where they can be).
#[derive(Clone, Copy)]
struct Row {
    layout: usize,
    first: usize,
}

fn address(schema: &Option<SchemaRef>) -> usize {
    schema.as_deref().map_or(0, |s| Arc::as_ptr(s) as usize)
}

impl Shape {
    /// The table the records of `topic` are written to.
    fn table(&self, topic: &str) -> String {
        let table = self.table_format.replace("${topic}", topic);
        if !self.lower_case_tables {
            return table;
        }
        match table.rsplit_once('.') {
            Some((schema, name)) => format!("{schema}.{}", name.to_lowercase()),
            None => table.to_lowercase(),
        }
    }

    /// The fields of struct schema `schema` named by `names` (all when empty), as columns.
    fn fields(
        schema: &Schema,
        names: &[String],
        key: bool,
        source: impl Fn(usize) -> Source,
    ) -> Result<Vec<(ColumnSpec, Source)>, String> {
        let columns: Vec<(ColumnSpec, Source)> = schema
            .fields
            .iter()
            .filter(|f| names.is_empty() || names.contains(&f.name))
            .map(|f| (ColumnSpec::new(f.name.clone(), f.schema.clone(), key), source(f.index)))
            .collect();
        if let Some(missing) = names.iter().find(|n| !columns.iter().any(|(c, _)| &c.name == *n)) {
            return Err(format!("field {missing:?} is not in the record"));
        }
        Ok(columns)
    }

    /// The key columns of records like `record`.
    fn key_columns(&self, record: &SinkRecord) -> Result<Vec<(ColumnSpec, Source)>, String> {
        let column = |name: &str, schema: Arc<Schema>, source| (ColumnSpec::new(name, schema, true), source);
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
                    column(names[0], Schema::string(), Source::Topic),
                    column(names[1], Schema::of(SchemaType::Int32), Source::Partition),
                    column(names[2], Schema::of(SchemaType::Int64), Source::Offset),
                ])
            }
            PkMode::RecordKey => {
                let schema = record
                    .record
                    .key_schema
                    .as_deref()
                    .cloned()
                    .ok_or("pk.mode=record_key needs records with a key schema")?;
                if schema.schema_type == SchemaType::Struct {
                    return Self::fields(&schema, &self.pk_fields, true, Source::KeyField);
                }
                match self.pk_fields.as_slice() {
                    [name] => Ok(vec![column(name, schema, Source::Key)]),
                    _ => Err("pk.mode=record_key with a primitive key needs exactly one pk.fields name".into()),
                }
            }
            PkMode::RecordValue => match &record.record.value_schema {
                Some(schema) if schema.schema_type == SchemaType::Struct => {
                    Self::fields(schema, &self.pk_fields, true, |index| Source::ValueField(index, true))
                }
                _ => Err("pk.mode=record_value needs a struct value".into()),
            },
        }
    }

    /// The layout of records like `record` doing `kind`.
    fn layout(&self, record: &SinkRecord, kind: RunKind) -> Result<Layout, String> {
        let mut columns = self.key_columns(record)?;
        match (kind, record.record.value_schema.as_deref()) {
            (RunKind::Delete, _) => {}
            (RunKind::Write, Some(schema)) if schema.schema_type == SchemaType::Struct => {
                let defaults = self.replace_null_with_default;
                for (spec, source) in Self::fields(schema, &[], false, |index| Source::ValueField(index, defaults))? {
                    let wanted = self.fields_whitelist.is_empty() || self.fields_whitelist.contains(&spec.name);
                    if wanted && !columns.iter().any(|(c, _)| c.name == spec.name) {
                        columns.push((spec, source));
                    }
                }
            }
            (RunKind::Write, Some(schema)) if schema.schema_type == SchemaType::String => {
                let name = &self.string_value_column;
                if !self.fields_whitelist.is_empty() || !self.timestamp_fields.is_empty() {
                    return Err(
                        "fields.whitelist and timestamp.fields.list do not apply to string values: \
                                remove them, or write struct values"
                            .into(),
                    );
                }
                if columns.iter().any(|(c, _)| &c.name == name) {
                    return Err(format!(
                        "string.output.value.column.name {name:?} is also a primary key column"
                    ));
                }
                columns.push((
                    ColumnSpec::new(name.clone(), Schema::optional_string(), false),
                    Source::Value,
                ));
            }
            (RunKind::Write, _) => return Err(NOT_WRITABLE.into()),
        }
        for (column, _) in &mut columns {
            let number = matches!(column.schema.schema_type, SchemaType::Int64 | SchemaType::String);
            if number && column.schema.name.is_none() && self.timestamp_fields.contains(&column.name) {
                column.since_1970 = Some(self.timestamp_precision);
            }
        }
        let (columns, sources) = columns.into_iter().unzip();
        Ok(Layout {
            table: self.table(&record.record.topic),
            kind,
            columns,
            sources,
        })
    }

    /// The value `source` names in `record`.
    fn value<'r>(record: &'r SinkRecord, source: Source) -> Result<Cow<'r, Value>, String> {
        let field = |value: &'r Value, index: usize, default: bool| match value {
            Value::Struct(s) => {
                let value = s.values().get(index).ok_or("missing field".to_string())?;
                let default = match value {
                    Value::Null if default => s.schema().fields.get(index).and_then(|f| f.schema.default.as_ref()),
                    _ => None,
                };
                Ok(Cow::Borrowed(default.unwrap_or(value)))
            }
            Value::Null => Err("the record has no key".to_string()),
            other => Err(format!("{other:?} is not a struct")),
        };
        match source {
            Source::Topic => Ok(Cow::Owned(Value::String(record.original_topic().to_string()))),
            Source::Partition => Ok(Cow::Owned(Value::Int32(record.original_partition))),
            Source::Offset => Ok(Cow::Owned(Value::Int64(record.kafka_offset))),
            Source::Key if record.record.key.is_null() => Err("the record has no key".into()),
            Source::Key => Ok(Cow::Borrowed(&record.record.key)),
            Source::KeyField(index) => field(&record.record.key, index, true),
            Source::ValueField(index, default) => field(&record.record.value, index, default),
            Source::Value => Ok(Cow::Borrowed(&record.record.value)),
        }
    }

    /// The runs `records` make, in order.
    pub(super) fn runs<'r>(&self, records: impl IntoIterator<Item = &'r SinkRecord>) -> Result<Vec<Run<'r>>, String> {
        let mut layouts: Vec<Layout> = Vec::new();
        let mut known: HashMap<LayoutKey<'r>, usize> = HashMap::new();
        // The last record's layout: records of a batch mostly share one, found without hashing.
        let mut last: Option<(LayoutKey<'r>, usize)> = None;
        let mut rows: Vec<Row> = Vec::new();
        let mut values: Vec<Cow<'r, Value>> = Vec::new();
        for record in records {
            let located = |e: String| {
                format!(
                    "record {}/{}@{}: {e}",
                    record.original_topic(),
                    record.original_partition,
                    record.kafka_offset
                )
            };
            let schema_type = record.record.value_schema.as_deref().map(|schema| schema.schema_type);
            let kind = match (&record.record.value, schema_type) {
                (Value::Null, _) if self.delete_enabled => RunKind::Delete,
                (Value::Null, _) => continue,
                (Value::Struct(_), Some(SchemaType::Struct)) | (Value::String(_), Some(SchemaType::String)) => {
                    RunKind::Write
                }
                (other, _) => return Err(located(format!("{NOT_WRITABLE}, not {other:?}"))),
            };
            let key = (
                &*record.record.topic,
                kind,
                address(&record.record.key_schema),
                address(&record.record.value_schema),
            );
            let layout = match (last, known.get(&key)) {
                (Some((last_key, index)), _) if last_key == key => index,
                (_, Some(index)) => *index,
                (_, None) => {
                    layouts.push(self.layout(record, kind).map_err(located)?);
                    known.insert(key, layouts.len() - 1);
                    layouts.len() - 1
                }
            };
            last = Some((key, layout));
            rows.push(Row {
                layout,
                first: values.len(),
            });
            for source in &layouts[layout].sources {
                values.push(Self::value(record, *source).map_err(located)?);
            }
        }
        let mut runs = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let index = rows[start].layout;
            let layout = &layouts[index];
            let end = rows[start..]
                .iter()
                .position(|r| {
                    let other = &layouts[r.layout];
                    r.layout != index
                        && (other.table != layout.table || other.kind != layout.kind || other.columns != layout.columns)
                })
                .map_or(rows.len(), |n| start + n);
            runs.push(self.gather(layout, &rows[start..end], &values)?);
            start = end;
        }
        Ok(runs)
    }

    /// One run from rows of one table, kind and columns; the last row per key only, where a
    /// key repeats and the mode allows it.
    fn gather<'r>(&self, layout: &Layout, rows: &[Row], values: &[Cow<'r, Value>]) -> Result<Run<'r>, String> {
        let width = layout.columns.len();
        let row_values = |row: &Row| &values[row.first..row.first + width];
        let key_columns: Vec<usize> = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key)
            .map(|(i, _)| i)
            .collect();
        let collapse =
            !key_columns.is_empty() && (layout.kind == RunKind::Delete || self.insert_mode != InsertMode::Insert);
        let kept: Vec<&Row> = if collapse {
            let mut last: HashMap<String, usize> = HashMap::new();
            for (index, row) in rows.iter().enumerate() {
                let key: Vec<&Value> = key_columns.iter().map(|&i| &*row_values(row)[i]).collect();
                last.insert(format!("{key:?}"), index);
            }
            let mut indexes: Vec<usize> = last.into_values().collect();
            indexes.sort_unstable();
            indexes.into_iter().map(|i| &rows[i]).collect()
        } else {
            rows.iter().collect()
        };
        let mut data = layout
            .columns
            .iter()
            .map(|c| ColumnData::for_column(c, kept.len()).map_err(|e| format!("column {}: {e}", c.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let scales: Vec<i32> = layout
            .columns
            .iter()
            .map(|c| c.schema.decimal_scale().unwrap_or(0))
            .collect();
        for row in kept {
            for (index, (column, value)) in data.iter_mut().zip(row_values(row)).enumerate() {
                column
                    .push(value.clone(), scales[index], layout.columns[index].since_1970)
                    .map_err(|e| format!("column {}: {e}", layout.columns[index].name))?;
            }
        }
        Ok(Run {
            table: layout.table.clone(),
            kind: layout.kind,
            columns: layout.columns.clone(),
            data,
            quoting: self.quoting,
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
            replace_null_with_default: true,
            string_value_column: "record_value".into(),
            timestamp_fields: Vec::new(),
            timestamp_precision: TimestampPrecision::Microseconds,
            quoting: QuoteIdentifiers::Always,
            lower_case_tables: false,
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
                key_schema: Some(Schema::of(SchemaType::Int64).into()),
                key: Value::Int64(key),
                value_schema: Some(schema.into()),
                value,
                ..Default::default()
            },
            kafka_offset: offset,
            timestamp_type: TimestampType::CreateTime,
            renamed_from: None,
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
        let records = [record(7, 1, Some("a"))];
        let runs = shape.runs(&records).unwrap();
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

    /// A record of topic orders whose value is the string `value` (StringConverter's schema).
    fn string_record(offset: i64, value: &str) -> SinkRecord {
        let mut record = record(offset, 1, None);
        record.record.value_schema = Some(Schema::optional_string().into());
        record.record.value = Value::String(value.into());
        record
    }

    #[test]
    fn a_string_value_is_written_to_its_own_column() {
        let mut shape = shape(InsertMode::Insert, PkMode::Kafka, &[]);
        shape.string_value_column = "body".into();
        let records = [string_record(3, "hello")];
        let runs = shape.runs(&records).unwrap();
        let names: Vec<&str> = runs[0].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[3..], ["body"]);
        assert_eq!(runs[0].data[3], ColumnData::Text(vec![Some("hello".into())]));
        // Options for a struct's fields, or a key of the value, do not apply to it.
        shape.fields_whitelist = vec!["id".into()];
        let error = shape.runs(&records).unwrap_err();
        assert!(error.contains("fields.whitelist"), "{error}");
        let shape = self::shape(InsertMode::Insert, PkMode::RecordValue, &[]);
        assert!(shape.runs(&records).is_err());
        let mut shape = self::shape(InsertMode::Insert, PkMode::Kafka, &[]);
        shape.string_value_column = "__connect_offset".into();
        let error = shape.runs(&records).unwrap_err();
        assert!(error.contains("primary key"), "{error}");
    }

    #[test]
    fn fields_of_timestamp_fields_list_are_timestamps_counted_from_1970() {
        let schema = SchemaBuilder::structure()
            .field("id", Schema::of(SchemaType::Int64))
            .field("at", Schema::of(SchemaType::Int64))
            .field("at_text", Schema::optional_string())
            .field("count", Schema::of(SchemaType::Int64))
            .build();
        let at = |text: &str| Some(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap());
        for (precision, text, at_expected, text_expected) in [
            (
                TimestampPrecision::Microseconds,
                "1709230455123456",
                "1969-12-31 23:59:58.5",
                "2024-02-29 18:14:15.123456",
            ),
            (
                TimestampPrecision::Nanoseconds,
                "1709230455123456789",
                "1969-12-31 23:59:59.9985",
                "2024-02-29 18:14:15.123456789",
            ),
        ] {
            let value = Struct::new(schema.clone())
                .with("id", 1_i64)
                .with("at", -1_500_000_i64)
                .with("at_text", text)
                .with("count", 7_i64);
            let mut record = record(0, 1, None);
            record.record.value_schema = Some(schema.clone().into());
            record.record.value = Value::Struct(value);
            let mut shape = shape(InsertMode::Insert, PkMode::None, &[]);
            shape.timestamp_fields = vec!["at".into(), "at_text".into(), "not_a_field".into()];
            shape.timestamp_precision = precision;
            let runs = shape.runs(std::slice::from_ref(&record)).unwrap();
            let since: Vec<_> = runs[0].columns.iter().map(|c| c.since_1970).collect();
            assert_eq!(since, [None, Some(precision), Some(precision), None]);
            assert_eq!(
                runs[0].data[1],
                ColumnData::Timestamp(vec![at(at_expected)]),
                "{precision:?}"
            );
            assert_eq!(
                runs[0].data[2],
                ColumnData::Timestamp(vec![at(text_expected)]),
                "{precision:?}"
            );
            assert_eq!(runs[0].data[3], ColumnData::Int(vec![Some(7)]));
            record.record.value = Value::Struct(
                Struct::new(schema.clone())
                    .with("id", 1_i64)
                    .with("at", 0_i64)
                    .with("at_text", "soon")
                    .with("count", 7_i64),
            );
            let error = shape.runs(std::slice::from_ref(&record)).unwrap_err();
            assert!(error.contains("\"soon\""), "{error}");
        }
    }

    #[test]
    fn a_null_field_takes_its_default_unless_replace_null_with_default_is_false() {
        let with_default = |value: &str| {
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(Value::String(value.into()))
                .build()
        };
        let schema = SchemaBuilder::structure()
            .field("id", with_default("key default"))
            .field("name", with_default("unnamed"))
            .build();
        let mut record = record(0, 1, None);
        record.record.value_schema = Some(schema.clone().into());
        record.record.value = Value::Struct(Struct::new(schema));
        for (replace, name) in [(true, Some("unnamed".into())), (false, None)] {
            let mut shape = shape(InsertMode::Upsert, PkMode::RecordValue, &["id"]);
            shape.replace_null_with_default = replace;
            let runs = shape.runs(std::slice::from_ref(&record)).unwrap();
            // A key field always takes its default, as Confluent's binds it.
            assert_eq!(runs[0].data[0], ColumnData::Text(vec![Some("key default".into())]));
            assert_eq!(runs[0].data[1], ColumnData::Text(vec![name]), "{replace}");
        }
    }
}
