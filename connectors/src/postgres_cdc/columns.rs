//! Debezium's mapping of PostgreSQL's column types to Connect schemas and values (in each of its
//! `decimal.handling.mode`, `time.precision.mode`, `binary.handling.mode`, `interval.handling.mode`
//! and `hstore.handling.mode`: [`Mapping`]; their defaults below), from the text form a value has
//! in the replication stream and in the snapshot: integers, floats and booleans as such; NUMERIC as
//! Decimal (or `io.debezium.data.VariableScaleDecimal` without a declared scale), or as a double or
//! text ([`DecimalHandling`]); DATE as `io.debezium.time.Date`; TIME and TIMESTAMP as
//! `io.debezium.time.Time`/`Timestamp` (precision up to 3) or `MicroTime`/`MicroTimestamp`, or as
//! Connect's Date, Time and Timestamp ([`TimePrecision`]); TIMESTAMPTZ as
//! `io.debezium.time.ZonedTimestamp` text; INTERVAL as `io.debezium.time.MicroDuration` (or ISO
//! 8601 text); UUID and JSON as `io.debezium.data.Uuid`/`Json` text; BYTEA as bytes (or base64 or
//! hex text); BIT(1) as a boolean, other bit strings as `io.debezium.data.Bits`; MONEY as Decimal
//! of scale 2; TIMETZ as `io.debezium.time.ZonedTime`; XML as `io.debezium.data.Xml`; TSVECTOR as
//! `io.debezium.data.Tsvector`; an enum as `io.debezium.data.Enum` with its labels; HSTORE as
//! `io.debezium.data.Json` text (or a map), LTREE as `io.debezium.data.Ltree`; a domain as its base
//! type; the geometric types as [`super::geometry`] says; one-dimensional arrays of most of these
//! (of CITEXT, HSTORE and LTREE too) as arrays (what Debezium makes of the others: an array of
//! several dimensions as nulls, of bit strings as a null bit string, of geometric types as null;
//! arrays of MONEY, XML, POINT, INTERVAL and VARBIT, and composite types but with
//! `include.unknown.datatypes`, left out of the events, [`omitted_by_debezium`]); anything else
//! as text. A column's default is its field's default as Debezium reads it ([`default_text`]:
//! a placeholder for an expression it does not evaluate, none for types it has no reader for);
//! a TOASTed value the stream did not send, Debezium's placeholder as it shapes
//! it by type ([`unavailable`]).

use std::sync::{Arc, LazyLock};

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use regex::Regex;
use tributary_runtime::data::{logical, Schema, SchemaBuilder, SchemaType, Struct, Value};

use super::geometry;
use super::naming::NameAdjustment;
use super::pgoutput::RelationColumn;
use super::placeholder::Placeholder;

const ISO_DATE: &str = "io.debezium.time.IsoDate";
const ISO_TIME: &str = "io.debezium.time.IsoTime";
const ISO_TIMESTAMP: &str = "io.debezium.time.IsoTimestamp";
const NANO_TIME: &str = "io.debezium.time.NanoTime";
const NANO_TIMESTAMP: &str = "io.debezium.time.NanoTimestamp";
const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
const TSVECTOR: u32 = 3614;
const TSVECTOR_ARRAY: u32 = 3643;
const BIT_ARRAY: u32 = 1561;

/// Arrays of the geometric types Debezium writes (as null): LINE, LSEG, PATH, BOX, POLYGON and
/// CIRCLE.
const GEOMETRIC_ARRAYS: [u32; 6] = [629, 1018, 1019, 1020, 1027, 719];

/// The extensions' types whose arrays Debezium reads as arrays.
const EXTENSION_ITEMS: [&str; 3] = ["citext", "hstore", "ltree"];

/// Whether Debezium leaves `column` out of its events, as measured against Debezium 3.7: arrays
/// of MONEY, XML, POINT, INTERVAL and VARBIT always, composite types (which it does not know)
/// unless `include.unknown.datatypes` (then their text's bytes, as `binary.handling.mode`
/// writes bytes).
pub(super) fn omitted_by_debezium(column: &RelationColumn, mapping: Mapping) -> bool {
    matches!(column.type_oid, 791 | 143 | 1017 | 1187 | 1563)
        || ((column.composite || of_composites(column)) && !mapping.unknown_types)
}

/// Whether `column` is an array of a composite type, which Debezium 3.7 writes (with
/// `include.unknown.datatypes`) as an array of text that is always null.
fn of_composites(column: &RelationColumn) -> bool {
    column.item.as_ref().is_some_and(|item| item.composite)
}

/// How NUMERIC and MONEY values are written (`decimal.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum DecimalHandling {
    /// Connect's Decimal (Debezium's VariableScaleDecimal without a declared scale).
    #[default]
    Precise,
    /// A double.
    Double,
    /// Text.
    String,
}

impl DecimalHandling {
    /// The mode `decimal.handling.mode`'s value names.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "precise" => Some(DecimalHandling::Precise),
            "double" => Some(DecimalHandling::Double),
            "string" => Some(DecimalHandling::String),
            _ => None,
        }
    }

    /// The schema of a decimal column, `precise` the one the precise mode gives it.
    fn schema(self, precise: SchemaBuilder) -> SchemaBuilder {
        match self {
            DecimalHandling::Precise => precise,
            DecimalHandling::Double => SchemaBuilder::new(SchemaType::Float64),
            DecimalHandling::String => SchemaBuilder::new(SchemaType::String),
        }
    }
}

/// How DATE, TIME and TIMESTAMP values are written (`time.precision.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum TimePrecision {
    /// Each column's own precision: milliseconds up to 3 fractional digits
    /// (`io.debezium.time.Time`, `Timestamp`), else microseconds (`MicroTime`,
    /// `MicroTimestamp`); dates as `io.debezium.time.Date`.
    #[default]
    Adaptive,
    /// As `Adaptive`, but TIME always in microseconds.
    AdaptiveTimeMicroseconds,
    /// Connect's Date, Time and Timestamp (milliseconds).
    Connect,
    /// TIME and TIMESTAMP in microseconds (`MicroTime`, `MicroTimestamp`) whatever their
    /// precision.
    Microseconds,
    /// TIME and TIMESTAMP in nanoseconds (`NanoTime`, `NanoTimestamp`).
    Nanoseconds,
    /// ISO-8601 text in UTC (`IsoDate` `2024-02-10Z`, `IsoTime` `13:07:07.5Z`, `IsoTimestamp`
    /// `2024-02-10T13:07:07.00007Z`; a fraction only as long as it needs).
    IsoString,
}

impl TimePrecision {
    /// The mode `time.precision.mode`'s value names.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "adaptive" => Some(TimePrecision::Adaptive),
            "adaptive_time_microseconds" => Some(TimePrecision::AdaptiveTimeMicroseconds),
            "connect" => Some(TimePrecision::Connect),
            "microseconds" => Some(TimePrecision::Microseconds),
            "nanoseconds" => Some(TimePrecision::Nanoseconds),
            "isostring" => Some(TimePrecision::IsoString),
            _ => None,
        }
    }
}

/// How BYTEA values are written (`binary.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum BinaryHandling {
    /// Bytes.
    #[default]
    Bytes,
    /// Base64 text.
    Base64,
    /// URL-safe base64 text.
    Base64UrlSafe,
    /// Hexadecimal text.
    Hex,
}

impl BinaryHandling {
    /// The mode `binary.handling.mode`'s value names.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "bytes" => Some(BinaryHandling::Bytes),
            "base64" => Some(BinaryHandling::Base64),
            "base64-url-safe" => Some(BinaryHandling::Base64UrlSafe),
            "hex" => Some(BinaryHandling::Hex),
            _ => None,
        }
    }

    /// The schema of bytes written in this mode: bytes, or text.
    pub(super) fn schema(self) -> SchemaBuilder {
        match self {
            BinaryHandling::Bytes => SchemaBuilder::new(SchemaType::Bytes),
            _ => SchemaBuilder::new(SchemaType::String),
        }
    }

    /// `bytes` written in this mode: as they are, or as base64 (standard or URL-safe) or
    /// lowercase hex text.
    pub(super) fn value(self, bytes: Vec<u8>) -> Value {
        use base64::Engine as _;
        match self {
            BinaryHandling::Bytes => Value::bytes(bytes),
            BinaryHandling::Base64 => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
            BinaryHandling::Base64UrlSafe => Value::String(base64::engine::general_purpose::URL_SAFE.encode(bytes)),
            BinaryHandling::Hex => Value::String(hex::encode(bytes)),
        }
    }
}

/// The modes of Debezium's that change how columns are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Mapping {
    /// `decimal.handling.mode`.
    pub decimals: DecimalHandling,
    /// `time.precision.mode`.
    pub times: TimePrecision,
    /// `binary.handling.mode`.
    pub binary: BinaryHandling,
    /// `interval.handling.mode=string`: intervals as ISO 8601 text (`io.debezium.time.Interval`)
    /// instead of microseconds.
    pub intervals_as_text: bool,
    /// `hstore.handling.mode=map`: HSTORE as a map instead of JSON text.
    pub hstore_as_map: bool,
    /// `include.unknown.datatypes`: composite types written as their text's bytes instead of
    /// left out.
    pub unknown_types: bool,
    /// `schema.name.adjustment.mode`: of the key's, value's and envelope's schema names.
    pub schema_names: NameAdjustment,
    /// `field.name.adjustment.mode`: of the columns' field names.
    pub field_names: NameAdjustment,
}

/// The Connect schema Debezium gives `column` (its type and modifier), as `mapping` says.
pub(super) fn column_schema(column: &RelationColumn, mapping: Mapping) -> Arc<Schema> {
    let Mapping {
        decimals,
        times,
        binary,
        intervals_as_text,
        hstore_as_map,
        unknown_types: _,
        schema_names: _,
        field_names: _,
    } = mapping;
    let named = |schema_type, name: &str| SchemaBuilder::new(schema_type).name(name).version(1);
    let builder = geometry::schema(column.type_oid).unwrap_or_else(|| match column.type_oid {
        16 => SchemaBuilder::new(SchemaType::Boolean),
        21 => SchemaBuilder::new(SchemaType::Int16),
        23 => SchemaBuilder::new(SchemaType::Int32),
        20 | 26 => SchemaBuilder::new(SchemaType::Int64),
        700 => SchemaBuilder::new(SchemaType::Float32),
        701 => SchemaBuilder::new(SchemaType::Float64),
        1700 => decimals.schema(match numeric_scale(column.type_modifier) {
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
        }),
        17 => binary.schema(),
        1082 if times == TimePrecision::Connect => SchemaBuilder::date(),
        1082 if times == TimePrecision::IsoString => named(SchemaType::String, ISO_DATE),
        1082 => named(SchemaType::Int32, "io.debezium.time.Date"),
        1083 if times == TimePrecision::Connect => SchemaBuilder::time(),
        1083 if times == TimePrecision::Adaptive && precision(column.type_modifier) <= 3 => {
            named(SchemaType::Int32, "io.debezium.time.Time")
        }
        1083 if times == TimePrecision::Nanoseconds => named(SchemaType::Int64, NANO_TIME),
        1083 if times == TimePrecision::IsoString => named(SchemaType::String, ISO_TIME),
        1083 => named(SchemaType::Int64, "io.debezium.time.MicroTime"),
        1114 if times == TimePrecision::Connect => SchemaBuilder::timestamp(),
        1114 if times == TimePrecision::Nanoseconds => named(SchemaType::Int64, NANO_TIMESTAMP),
        1114 if times == TimePrecision::IsoString => named(SchemaType::String, ISO_TIMESTAMP),
        1114 if times == TimePrecision::Microseconds || precision(column.type_modifier) > 3 => {
            named(SchemaType::Int64, MICRO_TIMESTAMP)
        }
        1114 => named(SchemaType::Int64, "io.debezium.time.Timestamp"),
        1184 => named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
        2950 => named(SchemaType::String, "io.debezium.data.Uuid"),
        114 | 3802 => named(SchemaType::String, "io.debezium.data.Json"),
        1186 if intervals_as_text => named(SchemaType::String, "io.debezium.time.Interval"),
        1186 => named(SchemaType::Int64, "io.debezium.time.MicroDuration"),
        1560 if column.type_modifier == 1 => SchemaBuilder::new(SchemaType::Boolean),
        // An array of BIT(n) is, as Debezium writes it, a BIT(n) (and its value null).
        1560 | 1562 | BIT_ARRAY => {
            let bits = named(SchemaType::Bytes, "io.debezium.data.Bits");
            if column.type_modifier > 0 {
                bits.parameter("length", &column.type_modifier.to_string())
            } else {
                bits
            }
        }
        790 => decimals.schema(SchemaBuilder::decimal(MONEY_SCALE)),
        1266 => named(SchemaType::String, "io.debezium.time.ZonedTime"),
        142 => named(SchemaType::String, "io.debezium.data.Xml"),
        TSVECTOR => named(SchemaType::String, "io.debezium.data.Tsvector"),
        _ if column.enum_labels.is_some() => named(SchemaType::String, "io.debezium.data.Enum")
            .parameter("allowed", column.enum_labels.as_deref().unwrap_or_default()),
        _ if column.type_name.as_deref() == Some("hstore") && hstore_as_map => SchemaBuilder::map(
            SchemaBuilder::new(SchemaType::String).build(),
            SchemaBuilder::new(SchemaType::String).optional().build(),
        ),
        _ if column.type_name.as_deref() == Some("hstore") => named(SchemaType::String, "io.debezium.data.Json"),
        _ if column.type_name.as_deref() == Some("ltree") => named(SchemaType::String, "io.debezium.data.Ltree"),
        _ if column.composite => binary.schema(),
        _ if of_composites(column) => SchemaBuilder::array(SchemaBuilder::new(SchemaType::String).build()),
        _ => match item_column(column) {
            Some(item) => SchemaBuilder::array(column_schema(&item, mapping)),
            None => SchemaBuilder::new(SchemaType::String),
        },
    });
    let builder = if column.optional { builder.optional() } else { builder };
    // A default that does not read as the column's type is left out, and so is a struct (a
    // NUMERIC without scale, read precisely), as Debezium leaves it out (KAFKA-12694).
    let default = column
        .default
        .as_deref()
        .and_then(|text| convert(column, &builder.clone().build(), mapping, text).ok())
        .filter(|value| !matches!(value, Value::Struct(_)));
    match default {
        Some(value) => builder.default_value(value).build(),
        None => builder.build(),
    }
}

/// An array column's items as a column of their own (of the element type, with the array's
/// type modifier, which is its items'; optional but for an enum's or a text search vector's,
/// which Debezium makes required); `None` for a column not read as an array. The built-in
/// arrays Debezium reads are known by their OIDs, an enum's or an extension's by the catalog's
/// item type.
fn item_column(column: &RelationColumn) -> Option<RelationColumn> {
    let (type_oid, type_name, enum_labels) = match (&column.item, array_element(column.type_oid)) {
        (Some(item), _) if item.enum_labels.is_some() || EXTENSION_ITEMS.contains(&item.type_name.as_str()) => {
            (item.type_oid, Some(item.type_name.clone()), item.enum_labels.clone())
        }
        (_, Some(type_oid)) => (type_oid, None, None),
        _ => return None,
    };
    Some(RelationColumn {
        optional: enum_labels.is_none() && type_oid != TSVECTOR,
        name: column.name.clone(),
        type_oid,
        type_modifier: column.type_modifier,
        type_name,
        enum_labels,
        ..RelationColumn::default()
    })
}

/// The element type of the one-dimensional array types read as arrays.
fn array_element(array_oid: u32) -> Option<u32> {
    Some(match array_oid {
        1000 => 16,
        1005 => 21,
        1007 => 23,
        1016 => 20,
        1021 => 700,
        1022 => 701,
        1009 => 25,
        1014 => 1042,
        1015 => 1043,
        1231 => 1700,
        1182 => 1082,
        1183 => 1083,
        1115 => 1114,
        1185 => 1184,
        1187 => 1186,
        2951 => 2950,
        1001 => 17,
        199 => 114,
        3807 => 3802,
        1041 => 869,
        651 => 650,
        1040 => 829,
        775 => 774,
        1028 => 26,
        1270 => 1266,
        3905 => 3904,
        3907 => 3906,
        3909 => 3908,
        3911 => 3910,
        3913 => 3912,
        3927 => 3926,
        629 => 628,
        1018 => 601,
        1019 => 602,
        1020 => 603,
        1027 => 604,
        719 => 718,
        TSVECTOR_ARRAY => TSVECTOR,
        _ => return None,
    })
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

/// A column value from its text form, for the column's schema (made with `mapping`, which also
/// says what the schema does not: which text a BYTEA becomes).
pub(super) fn convert(
    column: &RelationColumn,
    schema: &Arc<Schema>,
    mapping: Mapping,
    text: &str,
) -> Result<Value, String> {
    let bad = |e: &dyn std::fmt::Display| format!("column {} value {text:?}: {e}", column.name);
    let parse_time = |text: &str| NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|e| bad(&e));
    let parse_timestamp = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map_err(|e| bad(&e));
    if let Some(value) = geometry::value(column.type_oid, schema, text) {
        return value.map_err(|e| bad(&e));
    }
    if of_composites(column) {
        return Ok(Value::Null);
    }
    if let Some(value) = infinite(column, schema, text, false) {
        return Ok(value);
    }
    Ok(match column.type_oid {
        // `t` in the stream, `true` in a column's default.
        16 => Value::Boolean(text == "t" || text == "true"),
        21 => Value::Int16(text.parse().map_err(|e| bad(&e))?),
        23 => Value::Int32(text.parse().map_err(|e| bad(&e))?),
        20 | 26 => Value::Int64(text.parse().map_err(|e| bad(&e))?),
        700 => Value::Float32(text.parse().map_err(|e| bad(&e))?),
        701 => Value::Float64(text.parse().map_err(|e| bad(&e))?),
        // `decimal.handling.mode` double or string.
        1700 | 790 if matches!(schema.schema_type, SchemaType::Float64 | SchemaType::String) => {
            let number = if column.type_oid == 790 {
                money_text(text)
            } else {
                text.to_string()
            };
            match schema.schema_type {
                SchemaType::Float64 => Value::Float64(number.parse().map_err(|e| bad(&e))?),
                _ => Value::String(number),
            }
        }
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
                    let mut value = Struct::new(schema.clone());
                    value.put("scale", Value::Int32(scale as i32));
                    value.put("value", Value::bytes(unscaled.to_signed_bytes_be()));
                    Value::Struct(value)
                }
            }
        }
        17 => {
            let digits = text.strip_prefix("\\x").ok_or_else(|| bad(&"not hex bytea"))?;
            mapping.binary.value(hex::decode(digits).map_err(|e| bad(&e))?)
        }
        1082 => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| bad(&e))?;
            match schema.name.as_deref() {
                Some(ISO_DATE) => Value::String(format!("{}Z", date.format("%Y-%m-%d"))),
                _ => Value::Int32(date.signed_duration_since(NaiveDate::default()).num_days() as i32),
            }
        }
        1083 => {
            let time = parse_time(text)?;
            let nanos = i64::from(time.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(time.nanosecond());
            match (schema.schema_type, schema.name.as_deref()) {
                (SchemaType::Int32, _) => Value::Int32((nanos / 1_000_000) as i32),
                (_, Some(NANO_TIME)) => Value::Int64(nanos),
                (_, Some(ISO_TIME)) => Value::String(format!("{}Z", iso_time(time))),
                _ => Value::Int64(nanos / 1000),
            }
        }
        1114 => {
            let at = parse_timestamp(text)?;
            match schema.name.as_deref() {
                Some(MICRO_TIMESTAMP) => Value::Int64(at.and_utc().timestamp_micros()),
                Some(NANO_TIMESTAMP) => {
                    Value::Int64(at.and_utc().timestamp_nanos_opt().ok_or_else(|| bad(&"out of range"))?)
                }
                Some(ISO_TIMESTAMP) => {
                    Value::String(format!("{}T{}Z", at.date().format("%Y-%m-%d"), iso_time(at.time())))
                }
                _ => Value::Int64(at.and_utc().timestamp_millis()),
            }
        }
        1184 => {
            let at = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z").map_err(|e| bad(&e))?;
            Value::String(zoned_text(at.to_utc(), precision(column.type_modifier)))
        }
        1186 => {
            let interval = Interval::parse(text).ok_or_else(|| bad(&"not an interval"))?;
            match schema.schema_type {
                SchemaType::String => Value::String(interval.iso()),
                _ => Value::Int64(interval.micros()),
            }
        }
        1560 if schema.schema_type == SchemaType::Boolean => Value::Boolean(text == "1"),
        1560 | 1562 => Value::bytes(bits_bytes(text).ok_or_else(|| bad(&"not a bit string"))?),
        BIT_ARRAY => Value::Null,
        oid if GEOMETRIC_ARRAYS.contains(&oid) => Value::Null,
        790 => {
            let amount: BigDecimal = money_text(text).parse().map_err(|e| bad(&e))?;
            let (unscaled, _) = amount.with_scale(MONEY_SCALE.into()).into_bigint_and_exponent();
            Value::bytes(unscaled.to_signed_bytes_be())
        }
        1266 => Value::String(zoned_time_text(text).ok_or_else(|| bad(&"not a time with a zone"))?),
        _ if column.type_name.as_deref() == Some("hstore") => {
            let pairs = hstore_pairs(text).ok_or_else(|| bad(&"not an hstore"))?;
            match schema.schema_type {
                SchemaType::Map => Value::Map(
                    pairs
                        .into_iter()
                        .map(|(key, value)| (Value::String(key), value.map_or(Value::Null, Value::String)))
                        .collect(),
                ),
                _ => Value::String(hstore_json(pairs).ok_or_else(|| bad(&"not an hstore"))?),
            }
        }
        _ => match (item_column(column), &schema.value_schema) {
            (Some(item_column), Some(item_schema)) => {
                let Some(items) = array_items(text) else {
                    // Debezium writes an array of several dimensions as nulls, one per item of
                    // its first.
                    let count = outer_items(text).ok_or_else(|| bad(&"not an array"))?;
                    return Ok(Value::Array(vec![Value::Null; count]));
                };
                Value::Array(
                    items
                        .into_iter()
                        .map(|item| match item {
                            None => Ok(Value::Null),
                            Some(item) => match infinite(&item_column, item_schema, &item, true) {
                                Some(value) => Ok(value),
                                None => convert(&item_column, item_schema, mapping, &item),
                            },
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            _ if column.composite => mapping.binary.value(text.as_bytes().to_vec()),
            _ => Value::String(text.to_string()),
        },
    })
}

/// A DATE's, TIMESTAMP's or TIMESTAMPTZ's `infinity` or `-infinity` (`text`), as Debezium 3.7
/// writes them (seen in its records, by mode): a timestamp as the milliseconds pgjdbc gives
/// for them where milliseconds are written, the longest and shortest INT64 in microseconds and
/// nanoseconds, years 292278994 and -292275055 in ISO text; a TIMESTAMPTZ as `infinity` and
/// `-infinity` (in an array, `-infinity` as the year 292269055 pgjdbc's time reads as, without
/// its era); a DATE as days Debezium's converters overflow to, one pair streamed, another in
/// an array (and in Debezium's snapshot, where Tributary writes the streamed pair).
fn infinite(column: &RelationColumn, schema: &Schema, text: &str, in_array: bool) -> Option<Value> {
    let positive = match text {
        "infinity" => true,
        "-infinity" => false,
        _ => return None,
    };
    let name = schema.name.as_deref();
    Some(match column.type_oid {
        1082 => {
            let (days, iso) = match (in_array, positive) {
                (false, true) => (2_146_033_979, "+5877611-06-21Z"),
                (false, false) => (-2_147_472_691, "-5877611-06-22Z"),
                (true, true) => (-622_191_234, "+292278994-08-16Z"),
                (true, false) => (-625_821_272, "+292269055-12-02Z"),
            };
            match name {
                Some(ISO_DATE) => Value::String(iso.into()),
                _ => Value::Int32(days),
            }
        }
        1114 => match (name, positive) {
            (Some(MICRO_TIMESTAMP | NANO_TIMESTAMP), true) => Value::Int64(i64::MAX),
            (Some(MICRO_TIMESTAMP | NANO_TIMESTAMP), false) => Value::Int64(i64::MIN),
            (Some(ISO_TIMESTAMP), true) => Value::String("+292278994-08-16T23:00:00Z".into()),
            (Some(ISO_TIMESTAMP), false) => Value::String("-292275055-05-16T23:00:00Z".into()),
            (_, true) => Value::Int64(9_223_372_036_825_200_000),
            (_, false) => Value::Int64(-9_223_372_036_832_400_000),
        },
        1184 if in_array && !positive => {
            let digits = precision(column.type_modifier).clamp(0, 9) as usize;
            let fraction = if digits == 0 {
                String::new()
            } else {
                format!(".{}", "0".repeat(digits))
            };
            Value::String(format!("+292269055-12-02T23:00:00{fraction}Z"))
        }
        1184 => Value::String(text.into()),
        _ => return None,
    })
}

/// An HSTORE's text (`"a"=>"1", "b"=>NULL`, every key and value quoted, `"` and `\` escaped
/// with `\`) as its pairs, in the order Debezium writes them, which is the order of a Java
/// `HashMap` the pairs were put into in PostgreSQL's order ([`java_hash_map_order`]).
fn hstore_pairs(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut chars = text.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let key = quoted(&mut chars)?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if (chars.next()?, chars.next()?) != ('=', '>') {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let value = if chars.peek() == Some(&'"') {
            Some(quoted(&mut chars)?)
        } else {
            let word: String = std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_alphabetic())).collect();
            (word == "NULL").then_some(())?;
            None
        };
        pairs.push((key, value));
    }
    java_hash_map_order(&mut pairs);
    Some(pairs)
}

/// The double-quoted text `chars` start with (`"`s and `\`s in it escaped with `\`, as arrays
/// and HSTOREs write them), unescaped; `None` when they do not start with one or it is not closed.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    if chars.next()? != '"' {
        return None;
    }
    let mut text = String::new();
    loop {
        match chars.next()? {
            '\\' => text.push(chars.next()?),
            '"' => return Some(text),
            c => text.push(c),
        }
    }
}

/// An HSTORE's pairs as Debezium's JSON text of them: an object, compact.
fn hstore_json(pairs: Vec<(String, Option<String>)>) -> Option<String> {
    let mut json = String::from("{");
    for (key, value) in pairs {
        if json.len() > 1 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(&key).ok()?);
        json.push(':');
        json.push_str(&value.map_or(Some("null".to_string()), |v| serde_json::to_string(&v).ok())?);
    }
    json.push('}');
    Some(json)
}

/// Sorts `pairs` (distinct keys, in the order they were put) into the order a Java `HashMap`
/// of default capacity iterates them: by bucket (the key's `String.hashCode`, its high half
/// folded into its low, modulo the table's size: 16, doubled while the pairs fill more than
/// three quarters of it), then in the order they were put. (A bucket of eight or more keys,
/// which Java turns into a tree, is not followed.)
pub(super) fn java_hash_map_order<V>(pairs: &mut [(String, V)]) {
    let mut capacity = 16usize;
    while pairs.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |key: &str| {
        let hash = key
            .encode_utf16()
            .fold(0i32, |hash, unit| hash.wrapping_mul(31).wrapping_add(i32::from(unit))) as u32;
        (hash ^ (hash >> 16)) as usize & (capacity - 1)
    };
    pairs.sort_by_cached_key(|(key, _)| bucket(key));
}

/// How many items the first dimension of an array's text (`{{1,2},{3,4}}`) has.
fn outer_items(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    if inner.is_empty() {
        return Some(0);
    }
    let (mut depth, mut quoted, mut escaped, mut count) = (0i32, false, false, 1);
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => count += 1,
            _ => {}
        }
    }
    (depth == 0 && !quoted).then_some(count)
}

/// MONEY's scale in Debezium's Decimal (`money.fraction.digits`' default).
const MONEY_SCALE: i32 = 2;

/// A MONEY value's text (`-$1,234.56`, `($1.00)` in some locales) as a plain number.
fn money_text(text: &str) -> String {
    let negative = text.contains('-') || text.starts_with('(');
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    if negative {
        format!("-{digits}")
    } else {
        digits
    }
}

/// A bit string (`0000000101`, its last character the lowest bit) as Debezium's Bits: the
/// bytes little-endian, as few as hold its highest set bit (none for all zeros).
fn bits_bytes(text: &str) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; text.len().div_ceil(8)];
    for (bit, c) in text.bytes().rev().enumerate() {
        match c {
            b'1' => bytes[bit / 8] |= 1 << (bit % 8),
            b'0' => {}
            _ => return None,
        }
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    Some(bytes)
}

/// A TIMETZ value (`13:14:15.5+02`, `13:14:15-03:30`) as Debezium's ZonedTime: the time in UTC,
/// its fraction without trailing zeros, and `Z`.
fn zoned_time_text(text: &str) -> Option<String> {
    let zone_at = text.rfind(['+', '-'])?;
    let (clock, zone) = text.split_at(zone_at);
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").ok()?;
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let mut parts = zone[1..].split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next().unwrap_or("0").parse().ok()?;
    let seconds: i64 = parts.next().unwrap_or("0").parse().ok()?;
    let offset = sign * ((hours * 60 + minutes) * 60 + seconds);
    let (utc, _) = time.overflowing_sub_signed(chrono::Duration::seconds(offset));
    let fraction = format!("{:09}", utc.nanosecond() % 1_000_000_000);
    let fraction = fraction.trim_end_matches('0');
    let seconds = utc.format("%H:%M:%S");
    Some(if fraction.is_empty() {
        format!("{seconds}Z")
    } else {
        format!("{seconds}.{fraction}Z")
    })
}

/// An INTERVAL as PostgreSQL writes it (`1 year 2 mons 3 days 04:05:06.5`, `-2 days
/// -02:03:04.5`), by part.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Interval {
    years: i64,
    months: i64,
    days: i64,
    hours: i64,
    minutes: i64,
    seconds: f64,
}

impl Interval {
    fn parse(text: &str) -> Option<Interval> {
        let mut interval = Interval::default();
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            if word.contains(':') {
                let (sign, clock) = match word.strip_prefix('-') {
                    Some(clock) => (-1, clock),
                    None => (1, word.strip_prefix('+').unwrap_or(word)),
                };
                let mut parts = clock.split(':');
                interval.hours = sign * parts.next()?.parse::<i64>().ok()?;
                interval.minutes = sign * parts.next()?.parse::<i64>().ok()?;
                interval.seconds = sign as f64 * parts.next().unwrap_or("0").parse::<f64>().ok()?;
                continue;
            }
            let count: i64 = word.parse().ok()?;
            match words.next()?.trim_end_matches('s') {
                "year" => interval.years = count,
                "mon" => interval.months = count,
                "day" => interval.days = count,
                _ => return None,
            }
        }
        Some(interval)
    }

    /// Debezium's MicroDuration: microseconds, a month being 365.25 / 12 days.
    fn micros(&self) -> i64 {
        const DAY_MICROS: f64 = 86_400_000_000.0;
        let mut micros = self.years as f64 * 365.25 * DAY_MICROS;
        micros += self.months as f64 * (365.25 / 12.0) * DAY_MICROS;
        micros += self.days as f64 * DAY_MICROS;
        micros += ((self.hours * 60 + self.minutes) * 60) as f64 * 1_000_000.0 + self.seconds * 1_000_000.0;
        micros.round() as i64
    }

    /// Debezium's Interval text: ISO 8601, every part written.
    fn iso(&self) -> String {
        format!(
            "P{}Y{}M{}DT{}H{}M{}S",
            self.years, self.months, self.days, self.hours, self.minutes, self.seconds
        )
    }
}

/// The items of a one-dimensional array in PostgreSQL's text form (`{a,"b c",NULL}`), NULL
/// as `None`; `None` for another form (several dimensions, explicit bounds).
fn array_items(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        if chars.peek() == Some(&'"') {
            items.push(Some(quoted(&mut chars)?));
        } else {
            let mut item = String::new();
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '{' {
                    return None;
                }
                item.push(c);
                chars.next();
            }
            items.push((item != "NULL").then_some(item));
        }
        match chars.next() {
            None => return Some(items),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// The name PostgreSQL's JDBC driver gives the type a column was declared with (`typname`):
/// an INT2, INT4 or INT8 column whose `default` draws from a sequence is a `smallserial`,
/// `serial` or `bigserial`. Debezium names a column's type by it (its default parsers,
/// `datatype.propagate.source.type`, the source type's parameters).
pub(super) fn jdbc_type_name(typname: String, default: Option<&str>) -> String {
    if !default.is_some_and(|expression| expression.contains("nextval(")) {
        return typname;
    }
    match typname.as_str() {
        "int2" => "smallserial".into(),
        "int4" => "serial".into(),
        "int8" => "bigserial".into(),
        _ => typname,
    }
}

/// A default Debezium does not evaluate: a function's call (`now()`, `nextval(...)`,
/// `(random() > 2)`), as its PostgresDefaultValueConverter's pattern finds one at the start.
static FUNCTION_DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(?[A-Za-z0-9_.]+\(.*\)").expect("a valid pattern"));

/// The text of a column's default in the type's text form, as Debezium 3.7 reads a default
/// expression (`pg_get_expr` of it): only for the types it has a parser for, named as the
/// JDBC driver names them (`type_name`) or an enum, and there the constant the expression
/// stands for or, for an expression it does not evaluate (a function's call,
/// `CURRENT_TIMESTAMP` and its kin), the type's placeholder (0, an empty text, `{}`, the zero
/// UUID, the epoch, a zero interval, a NUMERIC's zero at its scale; none for a bit string). A
/// column of any other type (a domain, an array, BYTEA, INET, CITEXT...) has no default in
/// Debezium's schemas.
pub(super) fn default_text(type_name: &str, is_enum: bool, type_modifier: i32, expression: &str) -> Option<String> {
    let placeholder = match type_name {
        "int2" | "int4" | "int8" | "smallserial" | "serial" | "bigserial" => "0".to_string(),
        "float4" | "float8" => "0.0".into(),
        // BigDecimal 0.0 raised to the column's scale.
        "numeric" => match usize::try_from((type_modifier - 4) & 0xffff) {
            Ok(scale) if type_modifier >= 4 && scale > 1 => format!("0.{}", "0".repeat(scale)),
            _ => "0.0".into(),
        },
        "bool" => "false".into(),
        "bpchar" | "varchar" | "text" | "xml" => String::new(),
        "json" | "jsonb" => "{}".into(),
        "uuid" => "00000000-0000-0000-0000-000000000000".into(),
        "date" => "1970-01-01".into(),
        "time" => "00:00:00".into(),
        "timestamp" => "1970-01-01 00:00:00".into(),
        "timestamptz" => "1970-01-01 00:00:00+00".into(),
        "interval" => "00:00:00".into(),
        // A bit string's digits (B'101'::"bit"); not one a function makes.
        "bit" | "varbit" if !FUNCTION_DEFAULT.is_match(expression.trim()) => {
            return expression.split('\'').nth(1).map(str::to_string)
        }
        _ if is_enum => return default_literal(expression),
        _ => return None,
    };
    let trimmed = expression.trim();
    let generated = FUNCTION_DEFAULT.is_match(trimmed)
        || [
            "current_timestamp",
            "current_time",
            "current_date",
            "localtime",
            "localtimestamp",
        ]
        .contains(&trimmed.to_lowercase().as_str());
    if generated {
        Some(placeholder)
    } else {
        default_literal(trimmed)
    }
}

/// The constant a column's default expression (`pg_get_expr` of it) stands for, in the
/// column type's text form: `7`, `-5`, `true`, or a quoted literal with its cast
/// (`'abc'::text`); `None` for anything else (`nextval(...)`, `now()`).
fn default_literal(expression: &str) -> Option<String> {
    let mut expression = expression.trim();
    while let Some(inner) = expression.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        expression = inner.trim();
    }
    if let Some(quoted) = expression.strip_prefix('\'') {
        let mut literal = String::new();
        let mut chars = quoted.chars().peekable();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    literal.push('\'');
                }
                '\'' => break,
                c => literal.push(c),
            }
        }
        let rest: String = chars.collect();
        return (rest.is_empty() || rest.starts_with("::")).then_some(literal);
    }
    let literal = expression.split("::").next()?.trim();
    let literal = literal
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or(literal);
    (literal == "true" || literal == "false" || literal.parse::<f64>().is_ok()).then(|| literal.to_string())
}

/// What Debezium writes for `column`'s value when the stream did not send it (a TOASTed value
/// an update left alone): the `placeholder`, shaped as Debezium 3.7 shapes it by the column's
/// type and `mapping`. An array of text, characters or JSON holds the placeholder's text as its
/// only item, an array of BYTEA its bytes while `binary.handling.mode=bytes`; an INT or BIGINT
/// array the bytes as (signed) numbers, a DATE array too but with
/// `time.precision.mode=connect`; a UUID array the UUID Java names after the bytes; an HSTORE
/// the text as key and value; text the text and BYTEA the bytes; any other type null (its
/// type's zero in a required field).
pub(super) fn unavailable(
    column: &RelationColumn,
    schema: &Arc<Schema>,
    mapping: Mapping,
    placeholder: &Placeholder,
) -> Result<Value, String> {
    // Debezium picks the placeholders of arrays and HSTORE by the declared type's name: a
    // domain over one gets the plain one, which an array or HSTORE reads as null.
    let typed = !column.domain;
    match column.type_oid {
        1009 | 1015 | 1014 | 199 | 3807 if typed => convert(
            column,
            schema,
            mapping,
            &format!("{{{}}}", literal_item(&placeholder.text)),
        ),
        1001 if typed && mapping.binary == BinaryHandling::Bytes => convert(
            column,
            schema,
            mapping,
            &format!("{{\"\\\\x{}\"}}", hex::encode(&placeholder.bytes)),
        ),
        1007 if typed => Ok(Value::Array(
            placeholder
                .signed_bytes()
                .map(|byte| Value::Int32(byte.into()))
                .collect(),
        )),
        1182 if typed && mapping.times != TimePrecision::Connect => Ok(Value::Array(
            placeholder
                .signed_bytes()
                .map(|byte| Value::Int32(byte.into()))
                .collect(),
        )),
        1016 if typed => Ok(Value::Array(
            placeholder
                .signed_bytes()
                .map(|byte| Value::Int64(byte.into()))
                .collect(),
        )),
        2951 if typed => convert(column, schema, mapping, &format!("{{{}}}", placeholder.uuid)),
        _ if typed && column.type_name.as_deref() == Some("hstore") => {
            let quoted = literal_item(&placeholder.text);
            convert(column, schema, mapping, &format!("{quoted}=>{quoted}"))
        }
        17 if schema.schema_type == SchemaType::Bytes => Ok(Value::bytes(placeholder.bytes.clone())),
        _ if schema.schema_type == SchemaType::String => Ok(Value::String(placeholder.text.clone())),
        _ if schema.optional => Ok(Value::Null),
        _ => Ok(missing(schema)),
    }
}

/// `text` double-quoted as an array or HSTORE literal quotes an item: `"` and `\` escaped.
fn literal_item(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Where a table's rows are read: Debezium describes a column from the JDBC driver's metadata
/// in a snapshot and from the stream's type modifier while streaming, which differ for a
/// NUMERIC without precision ([`source_type_parameters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// A snapshot's SELECT.
    Snapshot,
    /// The replication stream.
    Stream,
}

impl Reading {
    /// How Debezium 3.7 describes a streamed table with `columns`: as the stream does, unless
    /// a column is declared with a domain over an enum, whose description differs between
    /// the stream and Debezium's table at every change, so that Debezium describes the table
    /// anew from the JDBC driver's metadata, as in a snapshot (measured with the differential:
    /// a domain over INT or over an INT array does not).
    pub(super) fn streamed(columns: &[RelationColumn]) -> Self {
        if columns
            .iter()
            .any(|column| column.domain && column.enum_labels.is_some())
        {
            Reading::Snapshot
        } else {
            Reading::Stream
        }
    }
}

/// The schema parameters `column.propagate.source.type` gives `column`, as Debezium 3.7 writes
/// them (read off its output for the differential's 98 column types): the declared type's name
/// in capitals (a domain's own, an array's `_<item>`), the length and scale PostgreSQL's JDBC
/// driver gives the type (a domain its base type's, an array its item's) and the column's name.
pub(super) fn source_type_parameters(column: &RelationColumn, reading: Reading) -> Vec<(&'static str, String)> {
    let name = column
        .declared_type_name
        .as_deref()
        .or(column.type_name.as_deref())
        .unwrap_or_default()
        .to_uppercase();
    let (length, scale) = match (column.type_oid, column.type_modifier, reading) {
        // The driver's metadata sizes a NUMERIC without precision 0, with no scale.
        (1700, -1, Reading::Snapshot) => (0, None),
        (type_oid, modifier, _) => jdbc_size(column.item.as_ref().map_or(type_oid, |item| item.type_oid), modifier),
    };
    let mut parameters = vec![
        ("__debezium.source.column.type", name),
        ("__debezium.source.column.length", length.to_string()),
    ];
    if let Some(scale) = scale {
        parameters.push(("__debezium.source.column.scale", scale.to_string()));
    }
    parameters.push(("__debezium.source.column.name", column.name.clone()));
    parameters
}

/// The length and scale PostgreSQL's JDBC driver gives a value of type `type_oid` with type
/// modifier `modifier` (-1 for none): its precision, else its display size (a time's digits,
/// its fraction's point and digits, an era and a zone as far as they apply); 2,147,483,647 for
/// a type it does not bound.
fn jdbc_size(type_oid: u32, modifier: i32) -> (i64, Option<i64>) {
    const UNBOUNDED: i64 = 2_147_483_647;
    let declared = (modifier >= 0).then_some(i64::from(modifier));
    // Fractional seconds: six digits unless the column declares a precision.
    let fraction = declared.unwrap_or(6);
    let seconds = if fraction > 0 { fraction + 1 } else { 0 };
    match type_oid {
        16 | 18 => (1, Some(0)),
        20 => (19, Some(0)),
        21 => (5, Some(0)),
        23 | 26 => (10, Some(0)),
        700 => (8, Some(8)),
        701 => (17, Some(17)),
        1700 => match declared {
            Some(modifier) => (((modifier - 4) >> 16) & 0xffff, Some((modifier - 4) & 0xffff)),
            None => (131_089, Some(0)),
        },
        1042 | 1043 => (declared.map_or(UNBOUNDED, |modifier| modifier - 4), Some(0)),
        1560 | 1562 => (declared.unwrap_or(UNBOUNDED), Some(0)),
        1082 => (13, Some(0)),
        1083 => (8 + seconds, Some(fraction)),
        1266 => (14 + seconds, Some(fraction)),
        1114 => (22 + seconds, Some(fraction)),
        1184 => (28 + seconds, Some(fraction)),
        1186 => (49, Some(6)),
        _ => (UNBOUNDED, Some(0)),
    }
}

/// What Debezium puts in a required field that has no value: the column's default, else its
/// type's zero.
pub(super) fn missing(schema: &Arc<Schema>) -> Value {
    schema.default.clone().unwrap_or_else(|| zero(schema))
}

/// A type's zero: false, 0, an empty text or byte string, a decimal 0.
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
/// `time` as Java's `ISO_LOCAL_TIME` writes it: seconds always, a fraction only when not zero
/// and only as long as it needs (`.5`, `.00007`).
fn iso_time(time: NaiveTime) -> String {
    let seconds = time.format("%H:%M:%S");
    match time.nanosecond() % 1_000_000_000 {
        0 => seconds.to_string(),
        nanos => format!("{seconds}.{}", format!("{nanos:09}").trim_end_matches('0')),
    }
}

fn zoned_text(at: DateTime<chrono::Utc>, digits: i32) -> String {
    let seconds = at.format("%Y-%m-%dT%H:%M:%S");
    let digits = digits.clamp(0, 9) as usize;
    if digits == 0 {
        return format!("{seconds}Z");
    }
    let nanos = format!("{:09}", at.nanosecond() % 1_000_000_000);
    format!("{seconds}.{}Z", &nanos[..digits])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, type_oid: u32, type_modifier: i32) -> RelationColumn {
        RelationColumn {
            key: false,
            optional: true,
            name: name.into(),
            type_oid,
            type_modifier,
            default: None,
            enum_labels: None,
            ..RelationColumn::default()
        }
    }

    #[test]
    fn source_types_are_sized_as_the_jdbc_driver_sizes_them() {
        let parameters = |column: &RelationColumn, reading| {
            source_type_parameters(column, reading)
                .into_iter()
                .map(|(key, value)| (key.trim_start_matches("__debezium.source.column."), value))
                .collect::<Vec<_>>()
        };
        let mut amount = column("amount", 1700, ((10 << 16) | 2) + 4);
        amount.declared_type_name = Some("numeric".into());
        assert_eq!(
            parameters(&amount, Reading::Stream),
            [
                ("type", "NUMERIC".to_string()),
                ("length", "10".into()),
                ("scale", "2".into()),
                ("name", "amount".into())
            ]
        );
        // A NUMERIC without precision: sized by the stream's modifier, unsized in a snapshot.
        let free = RelationColumn {
            type_modifier: -1,
            ..amount
        };
        assert_eq!(
            parameters(&free, Reading::Stream)[1..3],
            [("length", "131089".into()), ("scale", "0".into())]
        );
        assert_eq!(parameters(&free, Reading::Snapshot)[1], ("length", "0".into()));
        assert_eq!(parameters(&free, Reading::Snapshot).len(), 3, "no scale");
        // A domain named as declared, sized as its base type; a TIMESTAMP(3)'s display size.
        let mut positive = column("positive", 23, -1);
        positive.declared_type_name = Some("dbz_positive".into());
        assert_eq!(
            parameters(&positive, Reading::Stream)[..2],
            [("type", "DBZ_POSITIVE".into()), ("length", "10".into())]
        );
        assert_eq!(jdbc_size(1114, 3), (26, Some(3)));
        assert_eq!(jdbc_size(1184, -1), (35, Some(6)));
    }

    #[test]
    fn an_interval_is_iso_text_by_part() {
        let iso = |text: &str| Interval::parse(text).map(|i| i.iso());
        assert_eq!(
            iso("1 year 2 mons 3 days 04:05:06.5").as_deref(),
            Some("P1Y2M3DT4H5M6.5S")
        );
        assert_eq!(iso("-2 days -02:03:04.5").as_deref(), Some("P0Y0M-2DT-2H-3M-4.5S"));
        assert_eq!(iso("00:00:00").as_deref(), Some("P0Y0M0DT0H0M0S"));
        assert_eq!(iso("3 fortnights"), None);
    }

    #[test]
    fn an_array_of_several_dimensions_is_counted_by_its_first() {
        assert_eq!(outer_items("{{1,2},{3,4},{5,6}}"), Some(3));
        assert_eq!(outer_items(r#"{{"a,}","b"},{c,d}}"#), Some(2));
        assert_eq!(outer_items("{{1,2}"), None);
        let grid = column("grid", 1007, -1);
        assert_eq!(
            value(&grid, "{{1,2},{3,4}}"),
            Value::Array(vec![Value::Null, Value::Null])
        );
    }

    #[test]
    fn an_hstore_is_debeziums_json_text() {
        assert_eq!(
            hstore_pairs(r#""a"=>"1", "k"=>"v\"q\\", "b c"=>NULL, "zeta"=>"z""#)
                .and_then(hstore_json)
                .as_deref(),
            Some(r#"{"zeta":"z","a":"1","b c":null,"k":"v\"q\\"}"#)
        );
        assert_eq!(hstore_pairs("").and_then(hstore_json).as_deref(), Some("{}"));
        assert_eq!(hstore_pairs(r#""a"=>nothing"#), None);
    }

    fn value(column: &RelationColumn, text: &str) -> Value {
        convert(
            column,
            &column_schema(column, Mapping::default()),
            Mapping::default(),
            text,
        )
        .unwrap()
    }

    /// Infinities, as Debezium 3.7's records have them (the differential test compares every
    /// mode); before, they failed the task.
    #[test]
    fn infinite_dates_and_times_are_debeziums_values() {
        assert_eq!(value(&column("day", 1082, -1), "infinity"), Value::Int32(2_146_033_979));
        assert_eq!(value(&column("at", 1114, -1), "-infinity"), Value::Int64(i64::MIN));
        assert_eq!(
            value(&column("at", 1114, 3), "infinity"),
            Value::Int64(9_223_372_036_825_200_000)
        );
        assert_eq!(
            value(&column("zoned", 1184, -1), "-infinity"),
            Value::String("-infinity".into())
        );
        assert_eq!(
            value(&column("days", 1182, -1), "{infinity,-infinity,NULL}"),
            Value::Array(vec![
                Value::Int32(-622_191_234),
                Value::Int32(-625_821_272),
                Value::Null
            ])
        );
        assert_eq!(
            value(&column("zoneds", 1185, 3), "{-infinity}"),
            Value::Array(vec![Value::String("+292269055-12-02T23:00:00.000Z".into())])
        );
    }

    #[test]
    fn values_follow_debeziums_default_mappings() {
        // NUMERIC(10,2): modifier (10 << 16 | 2) + 4.
        let price = column("price", 1700, (10 << 16 | 2) + 4);
        assert_eq!(value(&price, "-12.5"), Value::bytes(vec![0xFB, 0x1E]));
        assert_eq!(column_schema(&price, Mapping::default()).decimal_scale(), Some(2));
        let any = column("any", 1700, -1);
        let Value::Struct(variable) = value(&any, "1.25") else {
            panic!()
        };
        assert_eq!(variable.get("scale"), Some(&Value::Int32(2)));
        assert_eq!(variable.get("value"), Some(&Value::bytes(vec![125])));
        let at = column("at", 1114, -1);
        assert_eq!(value(&at, "1970-01-01 00:00:01.5"), Value::Int64(1_500_000));
        let at_millis = column("at", 1114, 3);
        assert_eq!(value(&at_millis, "1970-01-01 00:00:01.5"), Value::Int64(1_500));
        // In UTC, as many fractional digits as the column's precision (6 undeclared).
        let zoned = column("z", 1184, -1);
        assert_eq!(
            value(&zoned, "2024-02-29 13:14:15.123+02"),
            Value::String("2024-02-29T11:14:15.123000Z".into())
        );
        let zoned_seconds = column("z", 1184, 0);
        assert_eq!(
            value(&zoned_seconds, "2024-02-29 13:14:15+02"),
            Value::String("2024-02-29T11:14:15Z".into())
        );
        assert_eq!(value(&column("b", 17, -1), "\\x01ff"), Value::bytes(vec![1, 255]));
        assert_eq!(value(&column("d", 1082, -1), "1970-01-11"), Value::Int32(10));
        assert_eq!(value(&column("f", 16, -1), "t"), Value::Boolean(true));
    }

    #[test]
    fn intervals_arrays_and_defaults() {
        let span = column("span", 1186, -1);
        assert_eq!(value(&span, "1 day 02:03:04.5"), Value::Int64(93_784_500_000));
        assert_eq!(value(&span, "-2 days -02:03:04.5"), Value::Int64(-180_184_500_000));
        assert_eq!(value(&span, "1 year 1 mon"), Value::Int64(34_187_400_000_000));
        assert_eq!(value(&span, "00:00:00"), Value::Int64(0));
        let labels = column("labels", 1009, -1);
        assert_eq!(
            value(&labels, r#"{a1,"b c",NULL,"q\"x"}"#),
            Value::Array(vec![
                Value::String("a1".into()),
                Value::String("b c".into()),
                Value::Null,
                Value::String("q\"x".into()),
            ])
        );
        assert_eq!(
            value(&column("n", 1007, -1), "{1,-2}"),
            Value::Array(vec![Value::Int32(1), Value::Int32(-2)])
        );
        assert_eq!(value(&column("n", 1007, -1), "{}"), Value::Array(Vec::new()));
        // NUMERIC(10,2)[]: the column's modifier is its items'.
        assert_eq!(
            value(&column("prices", 1231, (10 << 16 | 2) + 4), "{-12.5,NULL}"),
            Value::Array(vec![Value::bytes(vec![0xFB, 0x1E]), Value::Null])
        );
        assert_eq!(default_text("int4", false, -1, "7"), Some("7".into()));
        assert_eq!(default_text("int4", false, -1, "(-5)"), Some("-5".into()));
        assert_eq!(default_text("text", false, -1, "'it''s'::text"), Some("it's".into()));
        assert_eq!(
            default_text("serial", false, -1, "nextval('t_id_seq'::regclass)"),
            Some("0".into())
        );
        assert_eq!(
            default_text("numeric", false, (8 << 16 | 3) + 4, "random()"),
            Some("0.000".into())
        );
        assert_eq!(
            default_text("timestamptz", false, -1, "CURRENT_TIMESTAMP"),
            Some("1970-01-01 00:00:00+00".into())
        );
        assert_eq!(default_text("citext", false, -1, "'x'::citext"), None);
        assert_eq!(default_text("bit", false, 7, "B'101'::\"bit\""), Some("101".into()));
        assert_eq!(default_text("mood", true, -1, "'ok'::mood"), Some("ok".into()));
        assert_eq!(default_text("mood", true, -1, "upper('ok')"), None);
        assert_eq!(
            jdbc_type_name("int8".into(), Some("nextval('s'::regclass)")),
            "bigserial"
        );
        assert_eq!(jdbc_type_name("int8".into(), Some("7")), "int8");
        assert_eq!(value(&column("bit", 1560, 1), "1"), Value::Boolean(true));
        assert_eq!(value(&column("bits", 1560, 10), "0100000001"), Value::bytes(vec![1, 1]));
        assert_eq!(value(&column("bits", 1560, 10), "0000000000"), Value::bytes(Vec::new()));
        assert_eq!(
            value(&column("cash", 790, -1), "-$2,468.56"),
            Value::bytes(vec![0xFC, 0x3B, 0xB8])
        );
        assert_eq!(
            value(&column("tz", 1266, -1), "01:14:15.50+02"),
            Value::String("23:14:15.5Z".into())
        );
        assert_eq!(
            value(&column("tz", 1266, -1), "13:14:15-03:30"),
            Value::String("16:44:15Z".into())
        );
        let mut counter = column("counter", 23, -1);
        counter.default = default_text("int4", false, -1, "7");
        assert_eq!(
            column_schema(&counter, Mapping::default()).default,
            Some(Value::Int32(7))
        );
    }
}
