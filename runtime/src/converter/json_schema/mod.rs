//! `io.confluent.connect.json.JsonSchemaConverter`: Connect records as JSON documents in
//! Confluent's wire format, described by JSON Schemas kept in a Schema Registry.
//!
//! The Connect schema is mapped to a JSON Schema as Confluent's `JsonSchemaData` maps it
//! ([`schema`]), following references into the registered schemas it refers to
//! ([`references`]); values are plain JSON, written ([`write`]) and read ([`read`]) along the
//! Connect schema. Registering, caching and framing are the registry converter's.

mod read;
mod references;
mod schema;
mod write;

use std::sync::Arc;

use serde_json::Value as Json;

use self::references::Documents;
use self::schema::JsonSchemaOptions;
use super::json;
use super::registry::{
    parse_settings, ReferencedSchema, RegistryConverter, SchemaFormat, SchemaType, IGNORE_DEFAULT_FOR_NULLABLES,
};
use super::DataError;
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use crate::converter::ConverterPlugin;
use crate::data::{Schema, Value};

/// Confluent's JSON Schema converter.
pub(super) type JsonSchemaConverter = RegistryConverter<JsonSchema>;

/// `object.additional.properties`.
const OBJECT_ADDITIONAL_PROPERTIES: Key<bool> = Key::new(ConfigKey::optional(
    "object.additional.properties",
    ConfigType::Boolean,
    "true",
    "Whether a struct's object schema allows other properties; false writes \"additionalProperties\": false.",
));
/// `use.optional.for.nonrequired`.
const USE_OPTIONAL_FOR_NON_REQUIRED: Key<bool> = Key::new(ConfigKey::optional(
    "use.optional.for.nonrequired",
    ConfigType::Boolean,
    "false",
    "Read a property its object does not list as required as optional.",
));
/// `flatten.singleton.unions`.
const FLATTEN_SINGLETON_UNIONS: Key<bool> = Key::new(ConfigKey::optional(
    "flatten.singleton.unions",
    ConfigType::Boolean,
    "true",
    "Read a oneOf or anyOf of one schema as that schema.",
));

/// The JSON Schema converter's own keys (besides the registry's), as Confluent's
/// JsonSchemaData reads them: `decimal.format` (BASE64 by default, as Apache's JsonConverter's)
/// and the mapping's options.
fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&json::DECIMAL_FORMAT)
        .key(&OBJECT_ADDITIONAL_PROPERTIES)
        .key(&USE_OPTIONAL_FOR_NON_REQUIRED)
        .key(&FLATTEN_SINGLETON_UNIONS)
        .key(&IGNORE_DEFAULT_FOR_NULLABLES)
}

/// The JSON Schema format of the registry converter.
#[derive(Debug)]
pub(super) struct JsonSchema {
    options: JsonSchemaOptions,
}

/// A registered JSON Schema, as the Connect schema its documents are read and written with.
#[derive(Debug)]
pub(super) struct Described {
    connect: Arc<Schema>,
}

impl SchemaFormat for JsonSchema {
    type Writer = Described;
    type Reader = Described;
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    const NAME: &'static str = "JSON";

    fn new(settings: &ConfigMap) -> Result<Self, String> {
        let parsed = parse_settings(&config_def(), settings)?;
        Ok(JsonSchema {
            options: JsonSchemaOptions {
                decimals: parsed.value(&json::DECIMAL_FORMAT),
                additional_properties: parsed.value(&OBJECT_ADDITIONAL_PROPERTIES),
                optional_for_nonrequired: parsed.value(&USE_OPTIONAL_FOR_NON_REQUIRED),
                flatten_singleton_unions: parsed.value(&FLATTEN_SINGLETON_UNIONS),
                ignore_default_for_nullables: parsed.value(&IGNORE_DEFAULT_FOR_NULLABLES),
            },
        })
    }

    fn schema_text(&self, schema: &Schema) -> Result<(String, String), DataError> {
        let json = schema::from_connect(schema, &self.options)?;
        let name = schema
            .name
            .clone()
            .unwrap_or_else(|| schema.schema_type.name().to_string());
        Ok((json.to_string(), name))
    }

    fn writer(
        &self,
        text: &str,
        _references: &[ReferencedSchema],
        connect: &Arc<Schema>,
    ) -> Result<Described, DataError> {
        // The values are written from the record's own Connect schema; the text only needs to
        // be a JSON Schema (the registry's latest may differ, and is checked by the registry).
        let _: Json =
            serde_json::from_str(text).map_err(|e| DataError::new(format!("the JSON Schema is not JSON: {e}")))?;
        Ok(Described {
            connect: connect.clone(),
        })
    }

    fn can_read(&self, _derived: &Described, _latest: &Described) -> Result<(), String> {
        // No JSON Schema compatibility checker here: the registry checks on registration.
        Ok(())
    }

    fn reader(&self, text: &str, references: &[ReferencedSchema]) -> Result<Described, DataError> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| DataError::new(format!("the JSON Schema is not JSON: {e}")))?;
        Ok(Described {
            connect: schema::to_connect(&json, &Documents::new(references)?, &self.options)?,
        })
    }

    fn encode(&self, writer: &Described, value: &Value, out: &mut Vec<u8>) -> Result<(), DataError> {
        write::write_json(&writer.connect, value, &self.options, out)
    }

    fn decode(&self, reader: &Described, payload: &[u8]) -> Result<(Option<Arc<Schema>>, Value), DataError> {
        Ok((Some(reader.connect.clone()), read::read_json(&reader.connect, payload)?))
    }
}

inventory::submit! {
    ConverterPlugin {
        class: "io.confluent.connect.json.JsonSchemaConverter",
        aliases: &[],
        create: JsonSchemaConverter::create,
        config_def: plugin_config_def,
    }
}

/// The registry's keys, then the format's own.
fn plugin_config_def() -> ConfigDef {
    super::registry::registry_config_def().merge(&config_def())
}

#[cfg(test)]
mod tests;
