//! `Cast$Key` / `Cast$Value`: casts the whole key/value (`spec=int64`) or some fields
//! (`spec=a:int32,b:string`) to int8…int64, float32, float64, boolean or string.

use std::collections::HashMap;

use super::support::{register_keyed, struct_builder_like, SchemaCache, Side};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::data::{
    java_double, java_float, ConnectRecord, DataError, Schema, SchemaBuilder, SchemaType, Struct, Value,
};

/// `spec`.
const SPEC: Key<Vec<String>> = Key::new(ConfigKey::required(
    "spec",
    ConfigType::List,
    "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&SPEC)
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
        whole,
        fields,
        schemas: SchemaCache::default(),
    }))
}

/// `value` cast to `to`.
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
    let number: Option<f64> = match value {
        Value::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Float32(f) => Some(f64::from(*f)),
        Value::Float64(f) => Some(*f),
        Value::String(s) if to != SchemaType::String && to != SchemaType::Boolean => {
            Some(s.trim().parse::<f64>().map_err(|_| fail())?)
        }
        other => other.as_i64().map(|i| i as f64),
    };
    let integer = || -> Result<i64, DataError> {
        match value {
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .or_else(|_| s.trim().parse::<f64>().map(|f| f as i64))
                .map_err(|_| fail()),
            other => other.as_i64().or(number.map(|n| n as i64)).ok_or_else(fail),
        }
    };
    Ok(match to {
        SchemaType::Int8 => Value::Int8(integer()? as i8),
        SchemaType::Int16 => Value::Int16(integer()? as i16),
        SchemaType::Int32 => Value::Int32(integer()? as i32),
        SchemaType::Int64 => Value::Int64(integer()?),
        SchemaType::Float32 => Value::Float32(number.ok_or_else(fail)? as f32),
        SchemaType::Float64 => Value::Float64(number.ok_or_else(fail)?),
        SchemaType::Boolean => match value {
            Value::String(s) => Value::Boolean(s.trim().eq_ignore_ascii_case("true")),
            _ => Value::Boolean(number.ok_or_else(fail)? != 0.0),
        },
        SchemaType::String => Value::String(match value {
            Value::String(s) => s.clone(),
            Value::Boolean(b) => b.to_string(),
            Value::Float32(f) => java_float(*f),
            Value::Float64(f) => java_double(*f),
            other => other.as_i64().map(|i| i.to_string()).ok_or_else(fail)?,
        }),
        _ => return Err(fail()),
    })
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
                    let mut builder = struct_builder_like(&schema);
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
