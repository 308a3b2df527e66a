//! `Flatten$Key` / `Flatten$Value`: nested structs (or maps) become top-level fields named
//! `outer<delimiter>inner`. Arrays are kept as they are; a field under an optional struct
//! becomes optional.

use std::sync::Arc;

use super::support::{register_keyed, schema_basics, with_default, SchemaCache, Side};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Schema, SchemaBuilder, SchemaType, Struct, Value};

/// `delimiter`.
const DELIMITER: Key<String> = Key::new(ConfigKey::optional(
    "delimiter",
    ConfigType::String,
    ".",
    "Delimiter to insert between field names.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&DELIMITER)
}

struct Flatten {
    side: Side,
    delimiter: String,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(Flatten {
        side,
        delimiter: config.value(&DELIMITER),
        schemas: SchemaCache::default(),
    }))
}

impl Flatten {
    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(&self, prefix: &str, entries: Vec<(Value, Value)>, out: &mut Vec<(Value, Value)>) {
        for (key, value) in entries {
            let name = self.name(prefix, key.as_str().unwrap_or_default());
            match value {
                Value::Map(inner) => self.flatten_map(&name, inner, out),
                other => out.push((Value::String(name), other)),
            }
        }
    }

    fn flatten_schema(&self, prefix: &str, schema: &Schema, optional: bool, builder: SchemaBuilder) -> SchemaBuilder {
        let mut builder = builder;
        for field in &schema.fields {
            let name = self.name(prefix, &field.name);
            let optional = optional || field.schema.optional;
            if field.schema.schema_type == SchemaType::Struct {
                builder = self.flatten_schema(&name, &field.schema, optional, builder);
            } else {
                let field_schema = if optional && !field.schema.optional {
                    field.schema.to_builder().optional().build()
                } else {
                    field.schema.clone()
                };
                builder = builder.field(&name, field_schema);
            }
        }
        builder
    }

    fn flatten_struct(&self, prefix: &str, value: &Struct, out: &mut Struct) {
        for (field, v) in value.iter() {
            let name = self.name(prefix, &field.name);
            // Flatten has no replace.null.with.default: it copies with Struct.get.
            match with_default(field, v, true) {
                Value::Struct(inner) => self.flatten_struct(&name, inner, out),
                Value::Null if field.schema.schema_type == SchemaType::Struct => {}
                other => {
                    out.put(&name, other.clone());
                }
            }
        }
    }
}

impl Transformation for Flatten {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        match (schema, value) {
            (schema, Value::Null) => self.side.set(&mut record, schema, Value::Null),
            (None, Value::Map(entries)) => {
                let mut out = Vec::with_capacity(entries.len());
                self.flatten_map("", entries, &mut out);
                self.side.set(&mut record, None, Value::Map(out));
            }
            (Some(schema), Value::Struct(value)) => {
                let flat: Arc<Schema> = self.schemas.get_or_build(&schema, || {
                    let builder = schema_basics(&schema);
                    Ok(self.flatten_schema("", &schema, false, builder).build())
                })?;
                let mut out = Struct::new(flat.clone());
                self.flatten_struct("", &value, &mut out);
                self.side.set(&mut record, Some(flat), Value::Struct(out));
            }
            (schema, other) => self.side.set(&mut record, schema, other),
        }
        Ok(Some(record))
    }
}

register_keyed!("Flatten", config_def, create);
