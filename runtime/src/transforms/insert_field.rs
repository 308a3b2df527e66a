//! `InsertField$Key` / `InsertField$Value`: adds the topic, partition, offset, timestamp and/or
//! a static value as fields. A name ending in `!` makes the field required, `?` (the default)
//! optional. Tombstones pass through untouched.

use std::sync::Arc;

use super::support::{
    copy_struct, expect_map, expect_struct_schema, register_keyed, with_fields_added, SchemaCache, Side,
    REPLACE_NULL_WITH_DEFAULT,
};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Schema, SchemaBuilder, SchemaType, Value};

/// `topic.field`.
const TOPIC_FIELD: Key<String> = Key::new(ConfigKey::unset(
    "topic.field",
    ConfigType::String,
    "Field name for Kafka topic.",
));
/// `partition.field`.
const PARTITION_FIELD: Key<String> = Key::new(ConfigKey::unset(
    "partition.field",
    ConfigType::String,
    "Field name for Kafka partition.",
));
/// `offset.field`.
const OFFSET_FIELD: Key<String> = Key::new(ConfigKey::unset(
    "offset.field",
    ConfigType::String,
    "Field name for Kafka offset (sink records).",
));
/// `timestamp.field`.
const TIMESTAMP_FIELD: Key<String> = Key::new(ConfigKey::unset(
    "timestamp.field",
    ConfigType::String,
    "Field name for record timestamp.",
));
/// `static.field`.
const STATIC_FIELD: Key<String> = Key::new(ConfigKey::unset(
    "static.field",
    ConfigType::String,
    "Field name for static data field.",
));
/// `static.value`.
const STATIC_VALUE: Key<String> = Key::new(ConfigKey::unset(
    "static.value",
    ConfigType::String,
    "Static field value.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&TOPIC_FIELD)
        .key(&PARTITION_FIELD)
        .key(&OFFSET_FIELD)
        .key(&TIMESTAMP_FIELD)
        .key(&STATIC_FIELD)
        .key(&STATIC_VALUE)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

#[derive(Clone)]
struct FieldSpec {
    name: String,
    optional: bool,
}

fn spec(config: &ParsedConfig, key: &Key<String>) -> Option<FieldSpec> {
    let raw = config.value(key);
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(match raw.strip_suffix('!') {
        Some(name) => FieldSpec {
            name: name.to_string(),
            optional: false,
        },
        None => FieldSpec {
            name: raw.trim_end_matches('?').to_string(),
            optional: true,
        },
    })
}

struct InsertField {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    topic: Option<FieldSpec>,
    partition: Option<FieldSpec>,
    offset: Option<FieldSpec>,
    timestamp: Option<FieldSpec>,
    static_field: Option<FieldSpec>,
    static_value: String,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(InsertField {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        topic: spec(config, &TOPIC_FIELD),
        partition: spec(config, &PARTITION_FIELD),
        offset: spec(config, &OFFSET_FIELD),
        timestamp: spec(config, &TIMESTAMP_FIELD),
        static_field: spec(config, &STATIC_FIELD),
        static_value: config.value(&STATIC_VALUE),
        schemas: SchemaCache::default(),
    }))
}

impl InsertField {
    /// The fields to add with their schemas and values for `record`.
    fn additions(&self, record: &ConnectRecord) -> Vec<(&FieldSpec, Arc<Schema>, Value)> {
        let schema = |base: SchemaBuilder, spec: &FieldSpec| {
            if spec.optional {
                base.optional().build()
            } else {
                base.build()
            }
        };
        let mut out = Vec::new();
        if let Some(f) = &self.topic {
            out.push((
                f,
                schema(SchemaBuilder::new(SchemaType::String), f),
                Value::String(record.topic.to_string()),
            ));
        }
        if let Some(f) = &self.partition {
            out.push((
                f,
                schema(SchemaBuilder::new(SchemaType::Int32), f),
                record.partition.map_or(Value::Null, Value::Int32),
            ));
        }
        if let Some(f) = &self.offset {
            out.push((
                f,
                schema(SchemaBuilder::new(SchemaType::Int64), f),
                record.kafka_offset.map_or(Value::Null, Value::Int64),
            ));
        }
        if let Some(f) = &self.timestamp {
            out.push((
                f,
                schema(SchemaBuilder::timestamp(), f),
                record.timestamp.map_or(Value::Null, Value::Int64),
            ));
        }
        if let Some(f) = &self.static_field {
            out.push((
                f,
                schema(SchemaBuilder::new(SchemaType::String), f),
                Value::String(self.static_value.clone()),
            ));
        }
        out
    }
}

impl Transformation for InsertField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        if self.side.get(&record).1.is_null() {
            return Ok(Some(record));
        }
        let additions = self.additions(&record);
        let (schema, mut value) = self.side.take(&mut record);
        match schema {
            None => {
                let map = expect_map(&mut value, "field insertion")?;
                for (field, _, v) in additions {
                    map.push((Value::String(field.name.clone()), v));
                }
                self.side.set(&mut record, None, value);
            }
            Some(schema) => {
                let schema = expect_struct_schema(&schema, "field insertion")?.clone();
                let updated = self.schemas.get_or_build(&schema, || {
                    let extra = additions.iter().map(|(f, s, _)| (f.name.as_str(), s.clone()));
                    Ok(with_fields_added(&schema, extra))
                })?;
                let Value::Struct(old) = value else {
                    return Err(DataError::new(format!(
                        "Only Struct objects supported for [field insertion], found: {}",
                        value.kind()
                    )));
                };
                let mut new = copy_struct(&old, updated.clone(), self.defaults);
                for (field, _, v) in additions {
                    if v.is_null() && !field.optional {
                        return Err(DataError::new(format!(
                            "Required field '{}' has no value for this record",
                            field.name
                        )));
                    }
                    new.put(&field.name, v);
                }
                self.side.set(&mut record, Some(updated), Value::Struct(new));
            }
        }
        Ok(Some(record))
    }
}

register_keyed!("InsertField", config_def, create);
