//! `Cast$Key` / `Cast$Value`: casts the whole key/value (`spec=int64`) or some fields
//! (`spec=a:int32,b:string`) to int8…int64, float32, float64, boolean or string, with Java's
//! parsing and narrowing (the transform differential test compares it with Apache's).

use std::collections::HashMap;

use super::support::{
    optional_like, register_keyed, schema_basics, with_default, SchemaCache, Side, REPLACE_NULL_WITH_DEFAULT,
};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::data::{
    java_double, java_float, java_trim, ConnectRecord, DataError, Schema, SchemaBuilder, SchemaType, Struct, Value,
};

/// `spec`.
const SPEC: Key<Vec<String>> = Key::new(ConfigKey::required(
    "spec",
    ConfigType::List,
    "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&SPEC).key(&REPLACE_NULL_WITH_DEFAULT)
}

const TARGETS: [SchemaType; 8] = [
    SchemaType::Int8,
    SchemaType::Int16,
    SchemaType::Int32,
    SchemaType::Int64,
    SchemaType::Float32,
    SchemaType::Float64,
    SchemaType::Boolean,
    SchemaType::String,
];

fn target(name: &str) -> Result<SchemaType, String> {
    SchemaType::from_name(name.trim())
        .filter(|t| TARGETS.contains(t))
        .ok_or_else(|| format!("Invalid type found in casting spec: {name}"))
}

struct Cast {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    whole: Option<SchemaType>,
    fields: HashMap<String, SchemaType>,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let spec = config.value(&SPEC);
    if spec.is_empty() {
        return Err("Must specify at least one field to cast.".into());
    }
    let mut whole = None;
    let mut fields = HashMap::new();
    for item in &spec {
        match item.split_once(':') {
            Some((field, to)) => {
                fields.insert(field.trim().to_string(), target(to)?);
            }
            None if spec.len() == 1 => whole = Some(target(item)?),
            None => return Err("Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec".into()),
        }
    }
    Ok(Box::new(Cast {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        whole,
        fields,
        schemas: SchemaCache::default(),
    }))
}

/// `value` cast to `to`, as Apache's Cast casts it: text parsed by Java's parsers (integers
/// strictly, in the target's range and without spaces; floats as `Double.parseDouble` reads
/// them; `true` in any case and nothing else is true), numbers narrowed as Java's
/// `Number.byteValue()` and the like narrow them, booleans as 1 and 0.
pub(crate) fn cast_value(value: &Value, to: SchemaType) -> Result<Value, DataError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let fail = || {
        DataError::new(format!(
            "Unexpected type in Cast transformation: {} to {}",
            value.kind(),
            to.name()
        ))
    };
    let unparsable = || DataError::new(format!("For input string: \"{}\"", value.as_str().unwrap_or_default()));
    if let Value::String(text) = value {
        return Ok(match to {
            SchemaType::Int8 => Value::Int8(text.parse().map_err(|_| unparsable())?),
            SchemaType::Int16 => Value::Int16(text.parse().map_err(|_| unparsable())?),
            SchemaType::Int32 => Value::Int32(text.parse().map_err(|_| unparsable())?),
            SchemaType::Int64 => Value::Int64(text.parse().map_err(|_| unparsable())?),
            SchemaType::Float32 => Value::Float32(java_parse_float(text).ok_or_else(unparsable)?),
            SchemaType::Float64 => Value::Float64(java_parse_float(text).ok_or_else(unparsable)?),
            SchemaType::Boolean => Value::Boolean(text.eq_ignore_ascii_case("true")),
            SchemaType::String => value.clone(),
            _ => return Err(fail()),
        });
    }
    let number = match value {
        Value::Boolean(b) => Number::Integer(i64::from(*b)),
        Value::Float32(f) => Number::Float(f64::from(*f)),
        Value::Float64(f) => Number::Float(*f),
        other => Number::Integer(other.as_i64().ok_or_else(fail)?),
    };
    Ok(match to {
        SchemaType::Int8 => Value::Int8(number.int() as i8),
        SchemaType::Int16 => Value::Int16(number.int() as i16),
        SchemaType::Int32 => Value::Int32(number.int()),
        SchemaType::Int64 => Value::Int64(number.long()),
        SchemaType::Float32 => Value::Float32(match number {
            Number::Integer(i) => i as f32,
            Number::Float(f) => f as f32,
        }),
        SchemaType::Float64 => Value::Float64(match number {
            Number::Integer(i) => i as f64,
            Number::Float(f) => f,
        }),
        SchemaType::Boolean => Value::Boolean(number.long() != 0),
        SchemaType::String => Value::String(match value {
            Value::Boolean(b) => b.to_string(),
            Value::Float32(f) => java_float(*f),
            Value::Float64(f) => java_double(*f),
            other => other.as_i64().map(|i| i.to_string()).ok_or_else(fail)?,
        }),
        _ => return Err(fail()),
    })
}

/// A number being cast: Java's `Long`s (and booleans) or `Double`s (and `Float`s).
#[derive(Clone, Copy)]
enum Number {
    Integer(i64),
    Float(f64),
}

impl Number {
    /// `intValue()`: a long's low 32 bits, a double saturated (Java's `(int)`); byte and short
    /// narrow this further, as `byteValue()` and `shortValue()` do.
    fn int(self) -> i32 {
        match self {
            Number::Integer(i) => i as i32,
            Number::Float(f) => f as i32,
        }
    }

    /// `longValue()`: a double saturated, NaN as 0 (Java's `(long)`, as Rust's `as`).
    fn long(self) -> i64 {
        match self {
            Number::Integer(i) => i,
            Number::Float(f) => f as i64,
        }
    }
}

/// Text as Java's `Double.parseDouble` / `Float.parseFloat` read it: spaces and control
/// characters around it ignored, a sign, `NaN` and `Infinity` spelled so, a decimal number
/// with an optional exponent and an optional `f`/`d` suffix (hexadecimal floats are not read).
fn java_parse_float<F: std::str::FromStr>(text: &str) -> Option<F> {
    let text = java_trim(text);
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "NaN" || unsigned == "Infinity" {
        let sign = if text.starts_with('-') { "-" } else { "" };
        return format!("{sign}{unsigned}").parse().ok();
    }
    let number = text.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(text);
    let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
    if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    number.parse().ok()
}

fn cast_schema(schema: &Schema, to: SchemaType) -> std::sync::Arc<Schema> {
    let builder = SchemaBuilder::new(to);
    if schema.optional {
        builder.optional().build()
    } else {
        builder.build()
    }
}

impl Transformation for Cast {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        if let Some(to) = self.whole {
            let schema = schema.map(|s| cast_schema(&s, to));
            let cast = cast_value(&value, to)?;
            self.side.set(&mut record, schema, cast);
            return Ok(Some(record));
        }
        match (schema, value) {
            (schema, Value::Null) => self.side.set(&mut record, schema, Value::Null),
            (None, Value::Map(entries)) => {
                let entries = entries
                    .into_iter()
                    .map(|(k, v)| match k.as_str().and_then(|name| self.fields.get(name)) {
                        Some(&to) => Ok((k, cast_value(&v, to)?)),
                        None => Ok((k, v)),
                    })
                    .collect::<Result<_, DataError>>()?;
                self.side.set(&mut record, None, Value::Map(entries));
            }
            (Some(schema), Value::Struct(old)) => {
                let updated = self.schemas.get_or_build(&schema, || {
                    let mut builder = optional_like(schema_basics(&schema), &schema);
                    for field in &schema.fields {
                        let field_schema = match self.fields.get(&field.name) {
                            Some(&to) => cast_schema(&field.schema, to),
                            None => field.schema.clone(),
                        };
                        builder = builder.field(&field.name, field_schema);
                    }
                    Ok(builder.build())
                })?;
                let mut new = Struct::new(updated.clone());
                for (field, v) in old.iter() {
                    let v = with_default(field, v, self.defaults);
                    let v = match self.fields.get(&field.name) {
                        Some(&to) => cast_value(v, to)?,
                        None => v.clone(),
                    };
                    new.put(&field.name, v);
                }
                self.side.set(&mut record, Some(updated), Value::Struct(new));
            }
            (_, other) => {
                return Err(DataError::new(format!(
                    "Only Map or Struct objects can be cast by field, found: {}",
                    other.kind()
                )))
            }
        }
        Ok(Some(record))
    }
}

register_keyed!("Cast", config_def, create);
