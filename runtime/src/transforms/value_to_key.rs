//! `ValueToKey`: replaces the key with a struct (or map) of `fields` taken from the value.

use super::support::{expect_struct_schema, register, with_default, SchemaCache, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, SchemaBuilder, Struct, Value};

/// `fields`.
const FIELDS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "fields",
    ConfigType::List,
    "Field names on the record value to extract as the record key.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&FIELDS).key(&REPLACE_NULL_WITH_DEFAULT)
}

struct ValueToKey {
    fields: Vec<String>,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    let fields = config.value(&FIELDS);
    if fields.is_empty() {
        return Err("fields must not be empty".into());
    }
    Ok(Box::new(ValueToKey {
        fields,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        schemas: SchemaCache::default(),
    }))
}

impl Transformation for ValueToKey {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        match (&record.value_schema, &record.value) {
            (None, Value::Map(_)) => {
                let mut key = Vec::with_capacity(self.fields.len());
                for field in &self.fields {
                    let value = record.value.map_get(field).cloned().unwrap_or(Value::Null);
                    key.push((Value::String(field.clone()), value));
                }
                record.key_schema = None;
                record.key = Value::Map(key);
            }
            (Some(schema), Value::Struct(value)) => {
                let schema = expect_struct_schema(schema, "copying fields from value to key")?;
                let key_schema = self.schemas.get_or_build(schema, || {
                    let mut builder = SchemaBuilder::structure();
                    for name in &self.fields {
                        let field = schema
                            .field(name)
                            .ok_or_else(|| DataError::new(format!("Field does not exist: {name}")))?;
                        builder = builder.field(name, field.schema.clone());
                    }
                    Ok(builder.build())
                })?;
                let mut key = Struct::new(key_schema.clone());
                for (field, field_value) in value.iter().filter(|(f, _)| self.fields.contains(&f.name)) {
                    key.put(&field.name, with_default(field, field_value, self.defaults).clone());
                }
                record.key_schema = Some(key_schema.into());
                record.key = Value::Struct(key);
            }
            (_, other) => {
                return Err(DataError::new(format!(
                    "Only Map or Struct objects supported for [copying fields from value to key], found: {}",
                    other.kind()
                )))
            }
        }
        Ok(Some(record))
    }
}

register!("ValueToKey", config_def, create);
