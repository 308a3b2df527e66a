//! `HoistField$Key` / `HoistField$Value`: wraps the key or value in a struct (or map) with one
//! field named `field`.

use super::support::{register_keyed, SchemaCache, Side};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, SchemaBuilder, Struct, Value};

/// `field`.
const FIELD: Key<String> = Key::new(
    ConfigKey::required(
        "field",
        ConfigType::String,
        "Field name for the single field that will be created.",
    )
    .importance(Importance::Medium),
);

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&FIELD)
}

struct HoistField {
    side: Side,
    field: String,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(HoistField {
        side,
        field: config.value(&FIELD),
        schemas: SchemaCache::default(),
    }))
}

impl Transformation for HoistField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => self.side.set(
                &mut record,
                None,
                Value::Map(vec![(Value::String(self.field.clone()), value)]),
            ),
            Some(schema) => {
                let wrapper = self.schemas.get_or_build(&schema, || {
                    Ok(SchemaBuilder::structure().field(&self.field, schema.clone()).build())
                })?;
                let hoisted = Struct::new(wrapper.clone()).with(&self.field, value);
                self.side.set(&mut record, Some(wrapper), Value::Struct(hoisted));
            }
        }
        Ok(Some(record))
    }
}

register_keyed!("HoistField", config_def, create);
