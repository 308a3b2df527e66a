//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one of its fields,
//! a nested one under `field.syntax.version=V2`.

use super::field_path::{FieldPath, FIELD_SYNTAX_VERSION};
use super::support::{register_keyed, Side, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Value};

/// `field`.
const FIELD: Key<String> =
    Key::new(ConfigKey::required("field", ConfigType::String, "Field name to extract.").importance(Importance::Medium));

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&FIELD)
        .key(&REPLACE_NULL_WITH_DEFAULT)
        .key(&FIELD_SYNTAX_VERSION)
}

struct ExtractField {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    /// `field` as written, for errors.
    field: String,
    /// `field` read under `field.syntax.version`.
    path: FieldPath,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let field: String = config.value(&FIELD);
    Ok(Box::new(ExtractField {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        path: FieldPath::parse(&field, config.value(&FIELD_SYNTAX_VERSION))?,
        field,
    }))
}

impl Transformation for ExtractField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        let (schema, value) = match (schema, value) {
            (schema, Value::Null) => (
                schema.and_then(|s| self.path.field_in(&s).map(|f| f.schema.clone())),
                Value::Null,
            ),
            (None, map @ Value::Map(_)) => (None, self.path.map_value(&map)?),
            (Some(schema), Value::Struct(s)) => {
                let field = self
                    .path
                    .field_in(&schema)
                    .ok_or_else(|| DataError::new(format!("Unknown field: {}", self.field)))?;
                (Some(field.schema.clone()), self.path.struct_value(&s, self.defaults)?)
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
