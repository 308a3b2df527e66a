//! `TimestampConverter$Key` / `TimestampConverter$Value`: converts a timestamp (the whole
//! key/value, or `field`) between `string` (with a `java.text.SimpleDateFormat` `format`),
//! `unix` (in `unix.precision`), `Date`, `Time` and `Timestamp`. Times are UTC, as in Apache.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use super::support::{
    optional_like, register_keyed, schema_basics, with_default, SchemaCache, Side, REPLACE_NULL_WITH_DEFAULT,
};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{logical, ConnectRecord, Schema, SchemaBuilder, SchemaType, Struct, Value};

/// `field`.
const FIELD: Key<String> = Key::new(
    ConfigKey::optional(
        "field",
        ConfigType::String,
        "",
        "The field containing the timestamp, or empty if the entire value is a timestamp.",
    )
    .importance(Importance::High),
);
/// `target.type`.
const TARGET_TYPE: Key<String> = Key::new(
    ConfigKey::required(
        "target.type",
        ConfigType::String,
        "The desired timestamp representation: string, unix, Date, Time, or Timestamp.",
    )
    .one_of(&["string", "unix", "Date", "Time", "Timestamp"]),
);
/// `format`.
const FORMAT: Key<String> = Key::new(ConfigKey::optional(
    "format",
    ConfigType::String,
    "",
    "A SimpleDateFormat-compatible format for the timestamp.",
));
/// `unix.precision`.
const UNIX_PRECISION: Key<String> = Key::new(
    ConfigKey::optional(
        "unix.precision",
        ConfigType::String,
        "milliseconds",
        "The desired Unix precision for the timestamp.",
    )
    .one_of(&["nanoseconds", "microseconds", "milliseconds", "seconds"])
    .importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&FIELD)
        .key(&TARGET_TYPE)
        .key(&FORMAT)
        .key(&UNIX_PRECISION)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

/// A `java.text.SimpleDateFormat` pattern as a chrono format string (the common letters:
/// y M d H h m s S a E z Z X and quoted literals).
pub(crate) fn chrono_format(java: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = java.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                out.push(if chars[i] == '%' { '%' } else { chars[i] });
                if chars[i] == '%' {
                    out.push('%');
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        let piece = match (c, run) {
            ('y', 2) => "%y".to_string(),
            ('y', _) => "%Y".to_string(),
            ('M', 1) => "%-m".to_string(),
            ('M', 2) => "%m".to_string(),
            ('M', 3) => "%b".to_string(),
            ('M', _) => "%B".to_string(),
            ('d', 1) => "%-d".to_string(),
            ('d', _) => "%d".to_string(),
            ('H', 1) => "%-H".to_string(),
            ('H', _) => "%H".to_string(),
            ('h', _) => "%I".to_string(),
            ('m', _) => "%M".to_string(),
            ('s', _) => "%S".to_string(),
            ('S', n) => format!("%{}f", n.min(9)),
            ('a', _) => "%p".to_string(),
            ('E', n) if n < 4 => "%a".to_string(),
            ('E', _) => "%A".to_string(),
            ('z', _) => "%Z".to_string(),
            ('Z', _) => "%z".to_string(),
            ('X', _) => "%:z".to_string(),
            ('%', _) => "%%".repeat(run),
            (other, n) => other.to_string().repeat(n),
        };
        out.push_str(&piece);
        i += run;
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Unix,
    Date,
    Time,
    Timestamp,
}

struct TimestampConverter {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    field: Option<String>,
    target: Kind,
    format: Option<String>,
    precision: String,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let target = match config.value(&TARGET_TYPE).trim() {
        "string" => Kind::Text,
        "unix" => Kind::Unix,
        "Date" => Kind::Date,
        "Time" => Kind::Time,
        "Timestamp" => Kind::Timestamp,
        other => return Err(format!("Unknown timestamp type in TimestampConverter: {other}")),
    };
    let format = Some(config.value(&FORMAT))
        .filter(|f| !f.trim().is_empty())
        .map(|f| chrono_format(&f));
    if target == Kind::Text && format.is_none() {
        return Err("TimestampConverter requires format option to be specified when using string timestamps".into());
    }
    Ok(Box::new(TimestampConverter {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        field: Some(config.value(&FIELD)).filter(|f| !f.trim().is_empty()),
        target,
        format,
        precision: config.value(&UNIX_PRECISION),
        schemas: SchemaCache::default(),
    }))
}

impl TimestampConverter {
    fn kind_of(schema: Option<&Schema>, value: &Value) -> Result<Kind, DataError> {
        if let Some(schema) = schema {
            return Ok(match (schema.name.as_deref(), schema.schema_type) {
                (Some(logical::TIMESTAMP), _) => Kind::Timestamp,
                (Some(logical::DATE), _) => Kind::Date,
                (Some(logical::TIME), _) => Kind::Time,
                (_, SchemaType::String) => Kind::Text,
                (_, SchemaType::Int64) => Kind::Unix,
                (_, other) => {
                    return Err(DataError::new(format!(
                        "Schema {} does not correspond to a known timestamp type format",
                        other.name()
                    )))
                }
            });
        }
        Ok(match value {
            Value::String(_) => Kind::Text,
            Value::Int64(_) => Kind::Unix,
            other => {
                return Err(DataError::new(format!(
                    "TimestampConverter does not support {} objects as timestamps",
                    other.kind()
                )))
            }
        })
    }

    fn to_millis(&self, kind: Kind, value: &Value) -> Result<i64, DataError> {
        let bad = || DataError::new(format!("Invalid timestamp value for TimestampConverter: {value:?}"));
        match kind {
            Kind::Text => {
                let text = value.as_str().ok_or_else(bad)?;
                let format = self.format.as_deref().ok_or_else(|| {
                    DataError::new(
                        "TimestampConverter requires format option to be specified when using string timestamps",
                    )
                })?;
                if let Ok(t) = DateTime::parse_from_str(text, format) {
                    return Ok(t.timestamp_millis());
                }
                if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
                    return Ok(t.and_utc().timestamp_millis());
                }
                if let Ok(d) = NaiveDate::parse_from_str(text, format) {
                    return Ok(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
                }
                if let Ok(t) = NaiveTime::parse_from_str(text, format) {
                    return Ok(i64::from(t.num_seconds_from_midnight()) * 1000 + i64::from(t.nanosecond() / 1_000_000));
                }
                Err(DataError::new(format!(
                    "Could not parse timestamp: value ({text}) does not match pattern"
                )))
            }
            Kind::Unix => {
                let raw = value.as_i64().ok_or_else(bad)?;
                Ok(match self.precision.as_str() {
                    "seconds" => raw * 1000,
                    "microseconds" => raw / 1000,
                    "nanoseconds" => raw / 1_000_000,
                    _ => raw,
                })
            }
            Kind::Date => Ok(value.as_i64().ok_or_else(bad)? * 86_400_000),
            Kind::Time | Kind::Timestamp => value.as_i64().ok_or_else(bad),
        }
    }

    fn millis_to_target(&self, millis: i64) -> Result<Value, DataError> {
        Ok(match self.target {
            Kind::Text => {
                let time = DateTime::<Utc>::from_timestamp_millis(millis)
                    .ok_or_else(|| DataError::new("timestamp out of range"))?;
                Value::String(time.format(self.format.as_deref().unwrap_or("%+")).to_string())
            }
            Kind::Unix => Value::Int64(match self.precision.as_str() {
                "seconds" => millis.div_euclid(1000),
                "microseconds" => millis * 1000,
                "nanoseconds" => millis * 1_000_000,
                _ => millis,
            }),
            Kind::Date => Value::Int32(millis.div_euclid(86_400_000) as i32),
            Kind::Time => Value::Int32(millis.rem_euclid(86_400_000) as i32),
            Kind::Timestamp => Value::Int64(millis),
        })
    }

    fn target_schema(&self, optional: bool) -> Arc<Schema> {
        let builder = match self.target {
            Kind::Text => SchemaBuilder::new(SchemaType::String),
            Kind::Unix => SchemaBuilder::new(SchemaType::Int64),
            Kind::Date => SchemaBuilder::date(),
            Kind::Time => SchemaBuilder::time(),
            Kind::Timestamp => SchemaBuilder::timestamp(),
        };
        if optional {
            builder.optional().build()
        } else {
            builder.build()
        }
    }

    fn convert(&self, schema: Option<&Schema>, value: &Value) -> Result<Value, DataError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = Self::kind_of(schema, value)?;
        self.millis_to_target(self.to_millis(kind, value)?)
    }
}

impl Transformation for TimestampConverter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        let Some(field) = &self.field else {
            let converted = self.convert(schema.as_deref(), &value)?;
            let schema = schema.map(|s| self.target_schema(s.optional));
            self.side.set(&mut record, schema, converted);
            return Ok(Some(record));
        };
        match (schema, value) {
            (schema, Value::Null) => self.side.set(&mut record, schema, Value::Null),
            (None, Value::Map(mut entries)) => {
                for (k, v) in entries.iter_mut() {
                    if k.as_str() == Some(field) {
                        *v = self.convert(None, v)?;
                    }
                }
                self.side.set(&mut record, None, Value::Map(entries));
            }
            (Some(schema), Value::Struct(old)) => {
                let field_schema = schema
                    .field(field)
                    .ok_or_else(|| DataError::new(format!("Unknown field: {field}")))?
                    .schema
                    .clone();
                let updated = self.schemas.get_or_build(&schema, || {
                    let mut builder = optional_like(schema_basics(&schema), &schema);
                    for f in &schema.fields {
                        let s = if &f.name == field {
                            self.target_schema(f.schema.optional)
                        } else {
                            f.schema.clone()
                        };
                        builder = builder.field(&f.name, s);
                    }
                    Ok(builder.build())
                })?;
                let mut new = Struct::new(updated.clone());
                for (f, v) in old.iter() {
                    let v = with_default(f, v, self.defaults);
                    let v = if &f.name == field {
                        self.convert(Some(&field_schema), v)?
                    } else {
                        v.clone()
                    };
                    new.put(&f.name, v);
                }
                self.side.set(&mut record, Some(updated), Value::Struct(new));
            }
            (_, other) => {
                return Err(DataError::new(format!(
                    "Only Map or Struct objects supported for [converting timestamp formats], found: {}",
                    other.kind()
                )))
            }
        }
        Ok(Some(record))
    }
}

register_keyed!("TimestampConverter", config_def, create);
