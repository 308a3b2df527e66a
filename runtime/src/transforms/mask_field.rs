//! `MaskField$Key` / `MaskField$Value`: replaces `fields` with their type's empty value
//! (0, false, "", …) or with `replacement`.

use super::support::{copy_struct, expect_map, register_keyed, Side, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Value};

/// `fields`.
const FIELDS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "fields",
    ConfigType::List,
    "Names of fields to mask.",
));
/// `replacement`.
const REPLACEMENT: Key<String> = Key::new(
    ConfigKey::unset("replacement", ConfigType::String, "Custom value replacement.").importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&FIELDS)
        .key(&REPLACEMENT)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

struct MaskField {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    fields: Vec<String>,
    replacement: Option<String>,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let fields = config.value(&FIELDS);
    if fields.is_empty() {
        return Err("fields must not be empty".into());
    }
    Ok(Box::new(MaskField {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        fields,
        replacement: Some(config.value(&REPLACEMENT)).filter(|r| !r.is_empty()),
    }))
}

impl MaskField {
    fn mask(&self, value: &Value) -> Result<Value, DataError> {
        let bad = |kind: &str| {
            DataError::new(format!(
                "Unable to convert {:?} ({kind}) to replacement type",
                self.replacement
            ))
        };
        Ok(match (&self.replacement, value) {
            (_, Value::Null) => Value::Null,
            (None, Value::Boolean(_)) => Value::Boolean(false),
            (None, Value::Int8(_)) => Value::Int8(0),
            (None, Value::Int16(_)) => Value::Int16(0),
            (None, Value::Int32(_)) => Value::Int32(0),
            (None, Value::Int64(_)) => Value::Int64(0),
            (None, Value::Float32(_)) => Value::Float32(0.0),
            (None, Value::Float64(_)) => Value::Float64(0.0),
            (None, Value::String(_)) => Value::String(String::new()),
            (None, Value::Bytes(_)) => Value::bytes(Vec::new()),
            (None, Value::Array(_)) => Value::Array(Vec::new()),
            (None, Value::Map(_)) => Value::Map(Vec::new()),
            (None, Value::Struct(_)) => return Err(DataError::new("Cannot mask a struct field")),
            (Some(r), Value::String(_)) => Value::String(r.clone()),
            (Some(r), Value::Int8(_)) => Value::Int8(r.parse().map_err(|_| bad("int8"))?),
            (Some(r), Value::Int16(_)) => Value::Int16(r.parse().map_err(|_| bad("int16"))?),
            (Some(r), Value::Int32(_)) => Value::Int32(r.parse().map_err(|_| bad("int32"))?),
            (Some(r), Value::Int64(_)) => Value::Int64(r.parse().map_err(|_| bad("int64"))?),
            (Some(r), Value::Float32(_)) => Value::Float32(r.parse().map_err(|_| bad("float32"))?),
            (Some(r), Value::Float64(_)) => Value::Float64(r.parse().map_err(|_| bad("float64"))?),
            (Some(r), Value::Boolean(_)) => Value::Boolean(r.parse().map_err(|_| bad("boolean"))?),
            (Some(r), Value::Bytes(_)) => Value::bytes(r.as_bytes().to_vec()),
            (Some(_), other) => {
                return Err(DataError::new(format!(
                    "Cannot mask a {} field with a replacement",
                    other.kind()
                )))
            }
        })
    }
}

impl Transformation for MaskField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        if self.side.get(&record).1.is_null() {
            return Ok(Some(record));
        }
        let (schema, mut value) = self.side.take(&mut record);
        match &mut value {
            Value::Struct(structure) => {
                for name in &self.fields {
                    let masked = match structure.get(name) {
                        Some(v) => self.mask(v)?,
                        None => return Err(DataError::new(format!("{name} is not a valid field name"))),
                    };
                    structure.put(name, masked);
                }
                // Apache copies the other fields into a new struct, a null taking its default.
                *structure = copy_struct(structure, structure.schema().clone(), self.defaults);
            }
            other => {
                let map = expect_map(other, "masking fields")?;
                for (k, v) in map.iter_mut() {
                    if k.as_str().is_some_and(|k| self.fields.iter().any(|f| f == k)) {
                        *v = self.mask(v)?;
                    }
                }
            }
        }
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

register_keyed!("MaskField", config_def, create);
