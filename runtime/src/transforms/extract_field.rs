//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one of its fields.

use super::support::{register_keyed, with_default, Side, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Value};

/// `field`.
const FIELD: Key<String> = Key::new(ConfigKey::required(
    "field",
    ConfigType::String,
    "Field name to extract.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&FIELD).key(&REPLACE_NULL_WITH_DEFAULT)
}

struct ExtractField {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    field: String,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(ExtractField {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        field: config.value(&FIELD),
    }))
}

impl Transformation for ExtractField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        let (schema, value) = match (schema, value) {
            (schema, Value::Null) => (
                schema.and_then(|s| s.field(&self.field).map(|f| f.schema.clone())),
                Value::Null,
            ),
            (None, map @ Value::Map(_)) => (None, map.map_get(&self.field).cloned().unwrap_or(Value::Null)),
            (Some(schema), Value::Struct(s)) => {
                let field = schema
                    .field(&self.field)
                    .ok_or_else(|| DataError::new(format!("Unknown field: {}", self.field)))?;
                let value = s.get(&self.field).unwrap_or(&Value::Null);
                (
                    Some(field.schema.clone()),
                    with_default(field, value, self.defaults).clone(),
                )
            }
            (_, other) => {
                return Err(DataError::new(format!(
                    "Only Map or Struct objects supported for [field extraction], found: {}",
                    other.kind()
                )))
            }
        };
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

register_keyed!("ExtractField", config_def, create);
