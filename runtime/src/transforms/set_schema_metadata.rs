//! `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`: sets the key or value schema's name
//! and/or version.

use super::support::{copy_struct, register_keyed, Side, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Value};

/// `schema.name`.
const SCHEMA_NAME: Key<Option<String>> =
    Key::new(ConfigKey::unset("schema.name", ConfigType::String, "Schema name to set.").importance(Importance::High));
/// `schema.version`.
const SCHEMA_VERSION: Key<Option<i32>> = Key::new(
    ConfigKey::unset("schema.version", ConfigType::Int, "Schema version to set.").importance(Importance::High),
);

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&SCHEMA_NAME)
        .key(&SCHEMA_VERSION)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

struct SetSchemaMetadata {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    name: Option<String>,
    version: Option<i32>,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let name = config.value(&SCHEMA_NAME).filter(|n| !n.trim().is_empty());
    let version = config.value(&SCHEMA_VERSION);
    if name.is_none() && version.is_none() {
        return Err("Neither schema name nor version configured".into());
    }
    Ok(Box::new(SetSchemaMetadata {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        name,
        version,
    }))
}

impl Transformation for SetSchemaMetadata {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            return Err(DataError::new(format!(
                "Schema required for [updating schema metadata] of the {}",
                self.side.name()
            )));
        };
        let mut builder = schema.to_builder();
        if let Some(name) = &self.name {
            builder = builder.name(name);
        }
        if let Some(version) = self.version {
            builder = builder.version(version);
        }
        let updated = builder.build();
        let value = match value {
            Value::Struct(old) => {
                let new = copy_struct(&old, updated.clone(), self.defaults);
                Value::Struct(new)
            }
            other => other,
        };
        self.side.set(&mut record, Some(updated), value);
        Ok(Some(record))
    }
}

register_keyed!("SetSchemaMetadata", config_def, create);
