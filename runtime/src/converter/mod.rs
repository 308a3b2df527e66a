//! Converters: Connect values to Kafka bytes and back.
//!
//! `JsonConverter` (Apache's envelope, byte for byte), `StringConverter`,
//! `ByteArrayConverter` and the primitive converters (`LongConverter`, `BooleanConverter`…),
//! registered under Apache's class names; every one also serves as a header converter. A worker sets defaults with
//! `key.converter` / `value.converter` / `header.converter` and their prefixed settings
//! (`value.converter.schemas.enable=false`); a connector's own settings replace the worker's.

mod avro;
mod bytes;
mod charset;
mod json;
mod json_schema;
mod number;
mod plugin;
mod protobuf;
pub mod registry;
mod string;

use std::fmt::Debug;
use std::sync::Arc;

pub use json::JsonConverter;
use plugin::CONVERTER_TYPE;
pub use plugin::{converter_plugins, find_converter, ConverterFactory, ConverterPlugin};
pub use protobuf::encoded_file_descriptor as protobuf_file_descriptor;

use crate::config::{settings_under, ConfigMap, ValidationError};
pub use crate::data::DataError;
use crate::data::{Schema, SchemaRef, Value};
use crate::plugins::PluginError;

/// Converts between Connect values and bytes.
pub trait Converter: Send + Sync + Debug {
    /// Serializes `value` for `topic` (Apache's `fromConnectData`); `None` is a Kafka null.
    fn to_bytes(&self, topic: &str, schema: Option<&Arc<Schema>>, value: &Value) -> Result<Option<Vec<u8>>, DataError>;

    /// [`Converter::to_bytes`] taking the value, for the source hot path: converters that pass
    /// bytes or text through move them instead of copying.
    fn to_bytes_owned(
        &self,
        topic: &str,
        schema: Option<&Arc<Schema>>,
        value: Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        self.to_bytes(topic, schema, &value)
    }

    /// Whether a [`Value::Bytes`] serializes to exactly its bytes (the byte-array and string
    /// converters), so that the source loop sends the bytes the record shares instead of a copy.
    fn passes_bytes_through(&self) -> bool {
        false
    }

    /// Deserializes the bytes read from `topic`.
    fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError>;

    /// What [`Converter::to_bytes`] must fetch first for a value of `schema` (a schema
    /// registry's id for it), or `None` when it has all it needs. Callers await the lookup
    /// before converting, so conversions never wait on the network; a converter asks only on
    /// a cache miss.
    fn lookup_for_bytes(&self, _topic: &str, _schema: Option<&Arc<Schema>>) -> Option<Lookup> {
        None
    }

    /// What [`Converter::to_connect`] must fetch first to read `bytes` (the writer's schema
    /// a registry holds under the id they carry), or `None` when it has all it needs.
    fn lookup_for_connect(&self, _topic: &str, _bytes: Option<&[u8]>) -> Option<Lookup> {
        None
    }
}

/// A converter's fetch from outside the process (a schema registry), awaited before the
/// conversion that needs it.
pub type Lookup = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), DataError>> + Send>>;

/// Awaits `lookup` when there is one.
pub async fn finish_lookup(lookup: Option<Lookup>) -> Result<(), DataError> {
    match lookup {
        Some(lookup) => lookup.await,
        None => Ok(()),
    }
}

/// Whether a converter serializes keys or values (some converters care).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConverterRole {
    /// `key.converter`.
    Key,
    /// `value.converter`.
    Value,
    /// `header.converter`.
    Header,
}

impl ConverterRole {
    /// The config key naming the converter class.
    pub fn config_key(self) -> &'static str {
        match self {
            ConverterRole::Key => "key.converter",
            ConverterRole::Value => "value.converter",
            ConverterRole::Header => "header.converter",
        }
    }

    /// Its name as `converter.type` gives it.
    pub fn type_name(self) -> &'static str {
        match self {
            ConverterRole::Key => "key",
            ConverterRole::Value => "value",
            ConverterRole::Header => "header",
        }
    }

    pub(crate) fn default_class(self) -> &'static str {
        match self {
            ConverterRole::Header => "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            _ => "org.apache.kafka.connect.json.JsonConverter",
        }
    }
}

/// Builds the converter for `role`: the connector's class and settings when it sets
/// `<role>.converter`, else the worker's, else Apache's default.
pub fn converter_for(
    role: ConverterRole,
    connector: &ConfigMap,
    worker: &ConfigMap,
) -> Result<Arc<dyn Converter>, PluginError> {
    let key = role.config_key();
    let source = if connector.contains_key(key) { connector } else { worker };
    let class = source.get(key).map(String::as_str).unwrap_or(role.default_class());
    let plugin = find_converter(class)?;
    (plugin.create)(&role_settings(role, source), role).map_err(|message| PluginError::Config {
        class: class.to_string(),
        message,
    })
}

/// The settings `source` gives the converter of `role` (`value.converter.` stripped), with
/// `converter.type` the role's unless given, as Apache's worker configures a converter.
pub fn role_settings(role: ConverterRole, source: &ConfigMap) -> ConfigMap {
    let mut settings = settings_under(source, &format!("{}.", role.config_key()));
    settings
        .entry(CONVERTER_TYPE.name.to_string())
        .or_insert_with(|| role.type_name().to_string());
    settings
}

/// The problems of the settings `connector` gives converter `plugin` as its `role`'s, each on
/// the key the connector names (`value.converter.decimal.format`) with the converter's own
/// message, as Apache's validation reports them.
pub fn converter_setting_errors(
    plugin: &ConverterPlugin,
    role: ConverterRole,
    connector: &ConfigMap,
) -> Vec<ValidationError> {
    (plugin.config_def)()
        .validate(&role_settings(role, connector))
        .into_iter()
        .map(|error| ValidationError {
            key: format!("{}.{}", role.config_key(), error.key),
            message: error.message,
        })
        .collect()
}
