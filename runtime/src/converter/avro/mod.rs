//! `io.confluent.connect.avro.AvroConverter`: Connect records as Avro in Confluent's wire
//! format, their schemas kept in a Schema Registry.
//!
//! The record's Connect schema is mapped to Avro as Confluent's `AvroData` maps it
//! ([`schema`]); values are written straight in Avro's binary encoding ([`encode`]) and read
//! straight from it ([`decode`]), guided by the writer's Avro schema, made whole with the types
//! of the registered schemas it refers to ([`references`]); a value of no schema is written
//! and read in Confluent's catch-all record ([`anything`]). Registering, caching and framing
//! are the registry converter's.

mod anything;
mod decode;
mod encode;
mod names;
mod references;
mod schema;

use std::sync::Arc;

use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema as AvroSchema;

use self::names::Names;
use self::schema::AvroOptions;
use super::registry::{
    parse_settings, ReferencedSchema, RegistryConverter, SchemaFormat, SchemaType, IGNORE_DEFAULT_FOR_NULLABLES,
};
use super::DataError;
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use crate::converter::ConverterPlugin;
use crate::data::{Schema, SchemaBuilder, Value};

/// `connect.meta.data`.
const CONNECT_META_DATA: Key<bool> = Key::new(ConfigKey::optional(
    "connect.meta.data",
    ConfigType::Boolean,
    "true",
    "Write the Connect name, version, doc, parameters and default as connect.* properties.",
));
/// `enhanced.avro.schema.support`.
const ENHANCED_AVRO_SCHEMA_SUPPORT: Key<bool> = Key::new(ConfigKey::optional(
    "enhanced.avro.schema.support",
    ConfigType::Boolean,
    "false",
    "Write an enum's string as the Avro enum it was read from, and name a union's members by their full names.",
));
/// `scrub.invalid.names`.
const SCRUB_INVALID_NAMES: Key<bool> = Key::new(ConfigKey::optional(
    "scrub.invalid.names",
    ConfigType::Boolean,
    "false",
    "Make names Avro does not allow valid, as Confluent's AvroData does.",
));

/// `allow.optional.map.keys`.
const ALLOW_OPTIONAL_MAP_KEYS: Key<bool> = Key::new(ConfigKey::optional(
    "allow.optional.map.keys",
    ConfigType::Boolean,
    "false",
    "Write a map whose keys are optional strings as an Avro map, not an array of key/value records.",
));
/// `flatten.singleton.unions`.
const FLATTEN_SINGLETON_UNIONS: Key<bool> = Key::new(ConfigKey::optional(
    "flatten.singleton.unions",
    ConfigType::Boolean,
    "true",
    "Read a union of one type as that type.",
));

/// The Avro converter's own keys (besides the registry's).
fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&CONNECT_META_DATA)
        .key(&SCRUB_INVALID_NAMES)
        .key(&ENHANCED_AVRO_SCHEMA_SUPPORT)
        .key(&IGNORE_DEFAULT_FOR_NULLABLES)
        .key(&ALLOW_OPTIONAL_MAP_KEYS)
        .key(&FLATTEN_SINGLETON_UNIONS)
}

/// Confluent's Avro converter.
pub(super) type AvroConverter = RegistryConverter<Avro>;

/// The Avro format of the registry converter.
#[derive(Debug)]
pub(super) struct Avro {
    options: AvroOptions,
    /// The Connect schema standing for values of no schema: an empty struct named after
    /// Confluent's catch-all record.
    schemaless: Arc<Schema>,
}

/// An Avro schema with its named types.
#[derive(Debug)]
pub(super) struct ParsedAvro {
    json: serde_json::Value,
    schema: AvroSchema,
    names: Names,
    /// Whether it is Confluent's catch-all record of values with no schema.
    anything: bool,
}

/// An Avro schema for reading, with the Connect schema it maps to (none for the catch-all
/// record of values with no schema).
#[derive(Debug)]
pub(super) struct AvroReader {
    avro: ParsedAvro,
    connect: Option<Arc<Schema>>,
}

fn parse(json: &serde_json::Value) -> Result<ParsedAvro, DataError> {
    let schema =
        AvroSchema::parse(json).map_err(|e| DataError::new(format!("the Avro schema {json} is invalid: {e}")))?;
    let names = names::of(&schema);
    Ok(ParsedAvro {
        json: json.clone(),
        anything: names::schema_name(&schema) == anything::ANYTHING,
        names,
        schema,
    })
}

/// Removes every `logicalType` from a schema's JSON.
fn without_logical_types(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(object) => {
            object.remove("logicalType");
            object.values_mut().for_each(without_logical_types);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_logical_types),
        _ => {}
    }
}

/// A registered schema's text parsed, the named types of its `references` written in.
fn parse_text(text: &str, references: &[ReferencedSchema]) -> Result<(serde_json::Value, ParsedAvro), DataError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DataError::new(format!("the Avro schema is not JSON: {e}")))?;
    let json = references::inline(&json, references)?;
    let parsed = parse(&json)?;
    Ok((json, parsed))
}

impl SchemaFormat for Avro {
    type Writer = ParsedAvro;
    type Reader = AvroReader;
    const SCHEMA_TYPE: SchemaType = SchemaType::Avro;
    const NAME: &'static str = "Avro";

    fn new(settings: &ConfigMap) -> Result<Self, String> {
        let parsed = parse_settings(&config_def(), settings)?;
        Ok(Avro {
            options: AvroOptions {
                connect_meta_data: parsed.value(&CONNECT_META_DATA),
                scrub_invalid_names: parsed.value(&SCRUB_INVALID_NAMES),
                enhanced_schema_support: parsed.value(&ENHANCED_AVRO_SCHEMA_SUPPORT),
                ignore_default_for_nullables: parsed.value(&IGNORE_DEFAULT_FOR_NULLABLES),
                allow_optional_map_keys: parsed.value(&ALLOW_OPTIONAL_MAP_KEYS),
                flatten_singleton_unions: parsed.value(&FLATTEN_SINGLETON_UNIONS),
            },
            schemaless: SchemaBuilder::structure().name(anything::ANYTHING).build(),
        })
    }

    fn schema_text(&self, schema: &Schema) -> Result<(String, String), DataError> {
        if *schema == *self.schemaless {
            return Ok((anything::ANYTHING_SCHEMA.to_string(), anything::ANYTHING.to_string()));
        }
        let json = schema::from_connect(schema, self.options)?;
        let name = names::schema_name(&parse(&json)?.schema);
        Ok((json.to_string(), name))
    }

    fn writer(
        &self,
        text: &str,
        references: &[ReferencedSchema],
        _connect: &Arc<Schema>,
    ) -> Result<ParsedAvro, DataError> {
        Ok(parse_text(text, references)?.1)
    }

    fn can_read(&self, derived: &ParsedAvro, latest: &ParsedAvro) -> Result<(), String> {
        // Checked on the physical types: `apache-avro`'s checker does not know decimals, and a
        // logical type never changes what a reader can read.
        let physical = |parsed: &ParsedAvro| {
            let mut json = parsed.json.clone();
            without_logical_types(&mut json);
            AvroSchema::parse(&json).map_err(|e| e.to_string())
        };
        SchemaCompatibility::can_read(&physical(derived)?, &physical(latest)?).map_err(|e| e.to_string())
    }

    fn reader(&self, text: &str, references: &[ReferencedSchema]) -> Result<AvroReader, DataError> {
        let (json, avro) = parse_text(text, references)?;
        let connect = match avro.anything {
            true => None,
            false => Some(schema::to_connect(&json, self.options)?),
        };
        Ok(AvroReader { connect, avro })
    }

    fn encode(&self, writer: &ParsedAvro, value: &Value, out: &mut Vec<u8>) -> Result<(), DataError> {
        match writer.anything {
            true => anything::write(value, out),
            false => {
                let to = encode::Writing {
                    names: &writer.names,
                    ignore_default_for_nullables: self.options.ignore_default_for_nullables,
                };
                encode::write(value, &writer.schema, to, out)
            }
        }
    }

    fn decode(&self, reader: &AvroReader, mut payload: &[u8]) -> Result<(Option<Arc<Schema>>, Value), DataError> {
        let avro = &reader.avro;
        let Some(connect) = &reader.connect else {
            return Ok((None, anything::read(&mut payload)?));
        };
        let value = decode::read(&mut payload, &avro.schema, connect, &avro.names)?;
        Ok((Some(connect.clone()), value))
    }

    fn schemaless(&self) -> Option<&Arc<Schema>> {
        Some(&self.schemaless)
    }
}

inventory::submit! {
    ConverterPlugin {
        class: "io.confluent.connect.avro.AvroConverter",
        aliases: &[],
        create: AvroConverter::create,
        config_def: plugin_config_def,
    }
}

/// The registry's keys, then the format's own.
fn plugin_config_def() -> ConfigDef {
    super::registry::registry_config_def().merge(&config_def())
}

#[cfg(test)]
mod tests;
