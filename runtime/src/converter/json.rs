//! `JsonConverter`: Apache Kafka's JSON format, byte for byte.
//!
//! With `schemas.enable=true` (the default) each message is `{"schema":…,"payload":…}` with the
//! schema in Apache's layout (`type`, children, `optional`, `name`, `version`, `doc`,
//! `parameters`, `default`; struct fields carry `field` last); without it, the bare payload.
//! Numbers are written as Jackson writes them (`1.0E10`), control characters as Jackson escapes
//! them, bytes and (by default) decimals as base64. Reading accepts what Apache writes, and
//! schemaless JSON becomes int64/float64/string/boolean/array/map values.

mod payload;
mod schemaless;

pub(super) use payload::{null_value, FieldIndex};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use super::{Converter, ConverterRole, DataError};
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, Width};
use crate::converter::ConverterPlugin;
use crate::data::{
    decimal_from_text, decimal_text, java_double, java_float, logical, Schema, SchemaBuilder, SchemaRef, SchemaType,
    Struct, Value,
};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How decimals are written (`decimal.format`, of Apache's JsonConverter and Confluent's
/// JsonSchemaConverter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum DecimalFormat {
    /// Base64 of the unscaled two's-complement bytes (Apache's default).
    #[default]
    Base64,
    /// A JSON number.
    Numeric,
}

impl DecimalFormat {
    /// Apache's names, in any case.
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "BASE64" => Some(DecimalFormat::Base64),
            "NUMERIC" => Some(DecimalFormat::Numeric),
            _ => None,
        }
    }
}

crate::choice_key_value!(DecimalFormat);

/// The group of the keys about schemas.
const SCHEMAS_GROUP: &str = "Schemas";
/// The group of the keys about how values are written.
const SERIALIZATION_GROUP: &str = "Serialization";

/// `schemas.enable`.
const SCHEMAS_ENABLE: Key<bool> = Key::new(
    ConfigKey::optional(
        "schemas.enable",
        ConfigType::Boolean,
        "true",
        "Include schemas within each of the serialized values and keys.",
    )
    .importance(Importance::High)
    .in_group(SCHEMAS_GROUP)
    .shown(0, Width::Medium, "Enable Schemas"),
);
/// `schemas.cache.size`.
const SCHEMAS_CACHE_SIZE: Key<usize> = Key::new(
    ConfigKey::optional(
        "schemas.cache.size",
        ConfigType::Int,
        "1000",
        "The maximum number of schemas kept parsed.",
    )
    .importance(Importance::High)
    .in_group(SCHEMAS_GROUP)
    .shown(1, Width::Medium, "Schema Cache Size"),
);
/// `schema.content`.
const SCHEMA_CONTENT: Key<Option<String>> = Key::new(
    ConfigKey::unset(
        "schema.content",
        ConfigType::String,
        "A schema in JsonConverter's JSON layout that every message read has: with schemas.enable, \
         each message is then the bare payload instead of an envelope. Writing is unchanged.",
    )
    .importance(Importance::High)
    .in_group(SCHEMAS_GROUP)
    .shown(2, Width::Medium, "Schema Content"),
);
/// `decimal.format`.
pub(super) const DECIMAL_FORMAT: Key<DecimalFormat> = Key::new(
    ConfigKey::optional(
        "decimal.format",
        ConfigType::String,
        "BASE64",
        "How decimals are written: BASE64 (the unscaled bytes) or NUMERIC (a JSON number).",
    )
    .one_of(&["BASE64", "NUMERIC"])
    .importance(Importance::Low)
    .in_group(SERIALIZATION_GROUP)
    .shown(0, Width::Medium, "Decimal Format"),
);
/// `replace.null.with.default`.
const REPLACE_NULL_WITH_DEFAULT: Key<bool> = Key::new(
    ConfigKey::optional(
        "replace.null.with.default",
        ConfigType::Boolean,
        "true",
        "Whether a null field with a default is written as its default.",
    )
    .importance(Importance::Low)
    .in_group(SERIALIZATION_GROUP)
    .shown(1, Width::Medium, "Replace null with default"),
);

/// The converter's keys.
fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&SCHEMAS_ENABLE)
        .key(&SCHEMAS_CACHE_SIZE)
        .key(&SCHEMA_CONTENT)
        .key(&DECIMAL_FORMAT)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

/// Apache Kafka's `JsonConverter`.
#[derive(Debug)]
pub struct JsonConverter {
    schemas_enabled: bool,
    decimal_format: DecimalFormat,
    replace_null_with_default: bool,
    /// Parsed schemas by their JSON text, bounded by `schemas.cache.size`.
    schema_cache: Mutex<SchemaCache>,
    schema_cache_size: usize,
    /// `schema.content`: the schema of every message read, which is then a bare payload.
    fixed_schema: Option<Arc<Schema>>,
    /// The size of the last record written, to size the next one's buffer.
    last_size: AtomicUsize,
}

impl JsonConverter {
    /// A converter with Apache's settings (`schemas.enable`, `schemas.cache.size`,
    /// `schema.content`, `decimal.format`, `replace.null.with.default`).
    pub fn from_settings(settings: &ConfigMap) -> Result<Self, String> {
        let parsed = config_def().parse_or_explain(settings)?;
        let mut converter = JsonConverter {
            schemas_enabled: parsed.value(&SCHEMAS_ENABLE),
            decimal_format: parsed.value(&DECIMAL_FORMAT),
            replace_null_with_default: parsed.value(&REPLACE_NULL_WITH_DEFAULT),
            schema_cache_size: parsed.value(&SCHEMAS_CACHE_SIZE),
            schema_cache: Mutex::new(SchemaCache::default()),
            fixed_schema: None,
            last_size: AtomicUsize::new(0),
        };
        if let Some(content) = parsed.value(&SCHEMA_CONTENT).filter(|c| !c.is_empty()) {
            let node: serde_json::Value = serde_json::from_str(&content)
                .map_err(|e| format!("Failed to parse schema in converter config due to serialization error: {e}"))?;
            if !node.is_null() {
                converter.fixed_schema = Some(converter.schema_from_json(&node).map_err(|e| e.to_string())?);
            }
        }
        Ok(converter)
    }

    /// The JSON form of `schema`, as Apache writes it in envelopes; computed once per schema and
    /// borrowed from it afterwards.
    pub fn schema_json<'a>(&self, schema: &'a Schema) -> Result<&'a [u8], DataError> {
        if let Some(cached) = schema.json_cache.get() {
            return Ok(cached);
        }
        let mut out = Vec::with_capacity(64);
        self.write_schema(&mut out, schema, None)?;
        Ok(schema.json_cache.get_or_init(|| out))
    }

    fn write_schema(&self, out: &mut Vec<u8>, schema: &Schema, field_name: Option<&str>) -> Result<(), DataError> {
        let type_name = match schema.schema_type {
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            other => other.name(),
        };
        out.extend_from_slice(b"{\"type\":");
        write_string(out, type_name);
        match schema.schema_type {
            SchemaType::Array => {
                out.extend_from_slice(b",\"items\":");
                self.write_child_schema(out, schema.value_schema.as_deref())?;
            }
            SchemaType::Map => {
                out.extend_from_slice(b",\"keys\":");
                self.write_child_schema(out, schema.key_schema.as_deref())?;
                out.extend_from_slice(b",\"values\":");
                self.write_child_schema(out, schema.value_schema.as_deref())?;
            }
            SchemaType::Struct => {
                out.extend_from_slice(b",\"fields\":[");
                for (i, field) in schema.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_schema(out, &field.schema, Some(&field.name))?;
                }
                out.push(b']');
            }
            _ => {}
        }
        out.extend_from_slice(if schema.optional {
            b",\"optional\":true"
        } else {
            b",\"optional\":false"
        });
        if let Some(name) = &schema.name {
            out.extend_from_slice(b",\"name\":");
            write_string(out, name);
        }
        if let Some(version) = schema.version {
            out.extend_from_slice(format!(",\"version\":{version}").as_bytes());
        }
        if let Some(doc) = &schema.doc {
            out.extend_from_slice(b",\"doc\":");
            write_string(out, doc);
        }
        if let Some(parameters) = &schema.parameters {
            out.extend_from_slice(b",\"parameters\":{");
            for (i, (key, value)) in parameters.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                write_string(out, value);
            }
            out.push(b'}');
        }
        if let Some(default) = &schema.default {
            out.extend_from_slice(b",\"default\":");
            self.write_value(out, Some(schema), default)?;
        }
        if let Some(name) = field_name {
            out.extend_from_slice(b",\"field\":");
            write_string(out, name);
        }
        out.push(b'}');
        Ok(())
    }

    fn write_child_schema(&self, out: &mut Vec<u8>, schema: Option<&Schema>) -> Result<(), DataError> {
        match schema {
            Some(schema) => self.write_schema(out, schema, None),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn write_value(&self, out: &mut Vec<u8>, schema: Option<&Schema>, value: &Value) -> Result<(), DataError> {
        if value.is_null() {
            return match schema {
                None => {
                    out.extend_from_slice(b"null");
                    Ok(())
                }
                Some(s) if s.default.is_some() && self.replace_null_with_default => {
                    self.write_value(out, Some(s), s.default.as_ref().unwrap_or(&Value::Null))
                }
                Some(s) if s.optional => {
                    out.extend_from_slice(b"null");
                    Ok(())
                }
                Some(_) => Err(DataError::new(
                    "Conversion error: null value for field that is required and has no default value",
                )),
            };
        }
        if let Some(scale) = schema.and_then(Schema::decimal_scale) {
            let Value::Bytes(unscaled) = value else {
                return Err(DataError::new(format!("Invalid type for Decimal: {}", value.kind())));
            };
            match self.decimal_format {
                DecimalFormat::Base64 => write_base64(out, unscaled),
                DecimalFormat::Numeric => out.extend_from_slice(decimal_text(unscaled, scale).as_bytes()),
            }
            return Ok(());
        }
        if let Some(schema) = schema {
            if value.inferred_type() != Some(schema.schema_type) {
                return Err(DataError::new(format!(
                    "Invalid type for {}: {}",
                    schema.schema_type.name().to_uppercase(),
                    value.kind()
                )));
            }
        }
        if let (Some(schema), Value::Int32(millis)) = (schema, value) {
            if logical::is_time(schema) {
                logical::time_from_logical(*millis)?;
            }
        }
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Boolean(v) => out.extend_from_slice(if *v { b"true" } else { b"false" }),
            Value::Int8(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Value::Int16(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Value::Int32(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Value::Int64(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
            Value::Float32(v) => write_java_number(out, java_float(*v)),
            Value::Float64(v) => write_java_number(out, java_double(*v)),
            Value::String(text) => write_string(out, text),
            Value::Bytes(bytes) => write_base64(out, bytes),
            Value::Array(items) => {
                let item_schema = schema.and_then(|s| s.value_schema.as_deref());
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_value(out, item_schema, item)?;
                }
                out.push(b']');
            }
            Value::Map(entries) => {
                let key_schema = schema.and_then(|s| s.key_schema.as_deref());
                let value_schema = schema.and_then(|s| s.value_schema.as_deref());
                let object_mode = match key_schema {
                    Some(k) => k.schema_type == SchemaType::String,
                    None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
                };
                if object_mode {
                    out.push(b'{');
                    for (i, (key, item)) in entries.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        write_string(out, key.as_str().unwrap_or_default());
                        out.push(b':');
                        self.write_value(out, value_schema, item)?;
                    }
                    out.push(b'}');
                } else {
                    out.push(b'[');
                    for (i, (key, item)) in entries.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.push(b'[');
                        self.write_value(out, key_schema, key)?;
                        out.push(b',');
                        self.write_value(out, value_schema, item)?;
                        out.push(b']');
                    }
                    out.push(b']');
                }
            }
            Value::Struct(structure) => {
                if let Some(schema) = schema {
                    // Records nearly always carry the very schema they are written with.
                    let same = std::ptr::eq(structure.schema().as_ref(), schema);
                    if !same && structure.schema().as_ref() != schema {
                        return Err(DataError::new("Mismatching schema."));
                    }
                }
                out.push(b'{');
                for (i, (field, item)) in structure.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(out, &field.name);
                    out.push(b':');
                    self.write_value(out, Some(&field.schema), item)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }

    /// The schema of an envelope, from its JSON text: parsed once per distinct text (bounded
    /// by `schemas.cache.size`), so records sharing a schema cost a comparison with the last
    /// one's text, or a hash lookup.
    fn parse_schema(&self, text: &str) -> Result<Option<Arc<Schema>>, DataError> {
        if text == "null" {
            return Ok(None);
        }
        if let Ok(mut cache) = self.schema_cache.lock() {
            if let Some(found) = cache.find(text) {
                return Ok(Some(found));
            }
        }
        let node: serde_json::Value =
            serde_json::from_str(text).map_err(|e| DataError::new(format!("Invalid schema: {e}")))?;
        let schema = self.schema_from_json(&node)?;
        if let Ok(mut cache) = self.schema_cache.lock() {
            cache.insert(text, schema.clone(), self.schema_cache_size);
        }
        Ok(Some(schema))
    }

    /// The schema and payload of `bytes` if it is `{"schema":<the last schema's text>,
    /// "payload":…}` as Apache writes it, found without parsing the schema again.
    fn envelope_of_last_schema<'b>(&self, bytes: &'b [u8]) -> Option<(Arc<Schema>, &'b [u8])> {
        let rest = bytes.strip_prefix(b"{\"schema\":")?;
        let cache = self.schema_cache.lock().ok()?;
        let (text, schema) = cache.last.as_ref()?;
        let payload = rest
            .strip_prefix(text.as_bytes())?
            .strip_prefix(b",\"payload\":")?
            .strip_suffix(b"}")?;
        Some((schema.clone(), payload))
    }

    fn schema_from_json(&self, node: &serde_json::Value) -> Result<Arc<Schema>, DataError> {
        let type_name = node
            .get("type")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| DataError::new("Schema must contain 'type' field"))?;
        let mut builder = match type_name {
            "float" => SchemaBuilder::new(SchemaType::Float32),
            "double" => SchemaBuilder::new(SchemaType::Float64),
            "array" => {
                let items = node
                    .get("items")
                    .filter(|n| !n.is_null())
                    .ok_or_else(|| DataError::new("Array schema did not specify the element type"))?;
                SchemaBuilder::array(self.schema_from_json(items)?)
            }
            "map" => {
                let keys = node
                    .get("keys")
                    .ok_or_else(|| DataError::new("Map schema did not specify the key type"))?;
                let values = node
                    .get("values")
                    .ok_or_else(|| DataError::new("Map schema did not specify the value type"))?;
                SchemaBuilder::map(self.schema_from_json(keys)?, self.schema_from_json(values)?)
            }
            "struct" => {
                let fields = node
                    .get("fields")
                    .and_then(serde_json::Value::as_array)
                    .ok_or_else(|| DataError::new("Struct schema's \"fields\" argument is not an array."))?;
                let mut builder = SchemaBuilder::structure();
                for field in fields {
                    let name = field
                        .get("field")
                        .and_then(serde_json::Value::as_str)
                        .ok_or_else(|| DataError::new("Struct schema's field name not specified properly"))?;
                    builder = builder.field(name, self.schema_from_json(field)?);
                }
                builder
            }
            other => match SchemaType::from_name(other).filter(|t| t.is_primitive()) {
                Some(t) => SchemaBuilder::new(t),
                None => return Err(DataError::new(format!("Unknown schema type: {other}"))),
            },
        };
        builder = if node.get("optional").and_then(serde_json::Value::as_bool) == Some(true) {
            builder.optional()
        } else {
            builder.required()
        };
        if let Some(name) = node.get("name").and_then(serde_json::Value::as_str) {
            builder = builder.name(name);
        }
        if let Some(version) = node.get("version").and_then(serde_json::Value::as_i64) {
            builder = builder.version(version as i32);
        }
        if let Some(doc) = node.get("doc").and_then(serde_json::Value::as_str) {
            builder = builder.doc(doc);
        }
        if let Some(parameters) = node.get("parameters").and_then(serde_json::Value::as_object) {
            for (key, value) in parameters {
                let value = value
                    .as_str()
                    .ok_or_else(|| DataError::new("Schema parameters must have string values."))?;
                builder = builder.parameter(key, value);
            }
        }
        if let Some(default) = node.get("default") {
            let partial = builder.clone().build();
            let value = self.value_from_json(Some(&partial), default)?;
            builder = builder.default_value(value);
        }
        Ok(builder.build())
    }

    fn value_from_json(&self, schema: Option<&Arc<Schema>>, node: &serde_json::Value) -> Result<Value, DataError> {
        use serde_json::Value as J;
        let Some(schema) = schema else {
            return Ok(schemaless::from_node(node));
        };
        if node.is_null() {
            return payload::null_value(schema, self.replace_null_with_default);
        }
        if let Some(scale) = schema.decimal_scale() {
            return match node {
                J::String(text) => BASE64
                    .decode(text)
                    .map(Value::bytes)
                    .map_err(|e| DataError::new(format!("Invalid base64 decimal: {e}"))),
                J::Number(number) => decimal_from_text(&number.to_string(), scale).map(Value::bytes),
                _ => Err(DataError::new(
                    "Invalid type for Decimal, underlying representation should be numeric or bytes",
                )),
            };
        }
        let mismatch = || {
            DataError::new(format!(
                "Invalid type for {}: {}",
                schema.schema_type.name().to_uppercase(),
                json_kind(node)
            ))
        };
        Ok(match schema.schema_type {
            SchemaType::Boolean => Value::Boolean(node.as_bool().ok_or_else(mismatch)?),
            SchemaType::Int8 => Value::Int8(node.as_i64().ok_or_else(mismatch)? as i8),
            SchemaType::Int16 => Value::Int16(node.as_i64().ok_or_else(mismatch)? as i16),
            SchemaType::Int32 => {
                let millis = node.as_i64().ok_or_else(mismatch)? as i32;
                Value::Int32(if logical::is_time(schema) {
                    logical::time_to_logical(millis)?
                } else {
                    millis
                })
            }
            SchemaType::Int64 => Value::Int64(node.as_i64().ok_or_else(mismatch)?),
            SchemaType::Float32 => Value::Float32(json_float(node).ok_or_else(mismatch)? as f32),
            SchemaType::Float64 => Value::Float64(json_float(node).ok_or_else(mismatch)?),
            SchemaType::String => Value::String(node.as_str().ok_or_else(mismatch)?.to_string()),
            SchemaType::Bytes => Value::bytes(
                BASE64
                    .decode(node.as_str().ok_or_else(mismatch)?)
                    .map_err(|e| DataError::new(format!("Invalid bytes field: {e}")))?,
            ),
            SchemaType::Array => {
                let items = node.as_array().ok_or_else(mismatch)?;
                let item_schema = schema.value_schema.as_ref();
                Value::Array(
                    items
                        .iter()
                        .map(|item| self.value_from_json(item_schema, item))
                        .collect::<Result<_, _>>()?,
                )
            }
            SchemaType::Map => {
                let key_schema = schema.key_schema.as_ref();
                let value_schema = schema.value_schema.as_ref();
                match node {
                    J::Object(object) if key_schema.is_none_or(|k| k.schema_type == SchemaType::String) => Value::Map(
                        object
                            .iter()
                            .map(|(k, v)| Ok((Value::String(k.clone()), self.value_from_json(value_schema, v)?)))
                            .collect::<Result<_, DataError>>()?,
                    ),
                    J::Array(pairs) => Value::Map(
                        pairs
                            .iter()
                            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                                Some([k, v]) => Ok((
                                    self.value_from_json(key_schema, k)?,
                                    self.value_from_json(value_schema, v)?,
                                )),
                                _ => Err(DataError::new(
                                    "Found invalid map entry instead of array tuple: entries must be [key, value]",
                                )),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err(mismatch()),
                }
            }
            SchemaType::Struct => {
                let object = node.as_object().ok_or_else(mismatch)?;
                let mut structure = Struct::new(schema.clone());
                for field in &schema.fields {
                    let item = object.get(&field.name).unwrap_or(&J::Null);
                    structure.put(&field.name, self.value_from_json(Some(&field.schema), item)?);
                }
                Value::Struct(structure)
            }
        })
    }
}

impl Converter for JsonConverter {
    fn to_bytes(
        &self,
        _topic: &str,
        schema: Option<&Arc<Schema>>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        // Sized as the last record was (with room to spare): growing it step by step copies it
        // over and over.
        let last = self.last_size.load(Ordering::Relaxed);
        let mut out = Vec::with_capacity((last + last / 4).max(128));
        let schema = schema.map(Arc::as_ref);
        if self.schemas_enabled {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(schema) => out.extend_from_slice(self.schema_json(schema)?),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            self.write_value(&mut out, schema, value)?;
            out.push(b'}');
        } else {
            self.write_value(&mut out, schema, value)?;
        }
        self.last_size.store(out.len(), Ordering::Relaxed);
        Ok(Some(out))
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let parse_error = |e: serde_json::Error| {
            DataError::new(format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
            ))
        };
        if !self.schemas_enabled {
            return Ok((None, schemaless::read(bytes).map_err(parse_error)?));
        }
        if let Some(schema) = &self.fixed_schema {
            return Ok((Some(schema.clone().into()), payload::read(self, schema, bytes)?));
        }
        // Records mostly repeat the last schema: compare its text, skip to the payload.
        if let Some((schema, payload)) = self.envelope_of_last_schema(bytes) {
            if let Ok(value) = payload::read(self, &schema, payload) {
                return Ok((Some(schema.into()), value));
            }
        }
        let envelope: Envelope<'_> = match serde_json::from_slice(bytes) {
            Ok(envelope) => envelope,
            // Well-formed JSON of another shape gets Apache's explanation.
            Err(e) if e.is_data() => {
                return Err(DataError::new(
                    "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. \
                     If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.",
                ))
            }
            Err(e) => return Err(parse_error(e)),
        };
        let schema = self.parse_schema(envelope.schema.get())?;
        let value = match &schema {
            Some(schema) => payload::read(self, schema, envelope.payload.get().as_bytes())?,
            None => schemaless::read(envelope.payload.get().as_bytes()).map_err(parse_error)?,
        };
        Ok((schema.map(SchemaRef::from), value))
    }
}

/// A record as JsonConverter writes it with `schemas.enable`, both parts kept as text: the
/// schema to be looked up in the schema cache rather than parsed again, the payload to be read
/// along that schema.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    schema: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    payload: &'a serde_json::value::RawValue,
}

/// Parsed envelope schemas by their text.
#[derive(Debug, Default)]
struct SchemaCache {
    /// The last schema found or added: consecutive records mostly share one.
    last: Option<(String, Arc<Schema>)>,
    by_text: HashMap<String, Arc<Schema>>,
}

impl SchemaCache {
    fn find(&mut self, text: &str) -> Option<Arc<Schema>> {
        if let Some((last_text, schema)) = &self.last {
            if last_text == text {
                return Some(schema.clone());
            }
        }
        let found = self.by_text.get(text)?.clone();
        self.last = Some((text.to_string(), found.clone()));
        Some(found)
    }

    fn insert(&mut self, text: &str, schema: Arc<Schema>, capacity: usize) {
        if self.by_text.len() >= capacity {
            self.by_text.clear();
        }
        self.by_text.insert(text.to_string(), schema.clone());
        self.last = Some((text.to_string(), schema));
    }
}

/// A JSON number's text as a float, as Jackson's `BigDecimal` gives it to Apache's
/// JsonConverter (`doubleValue()` / `floatValue()`): the nearest value, infinite beyond the
/// range, never a negative zero.
fn decimal_float<F: std::str::FromStr + Default + PartialEq>(text: &str) -> Option<F> {
    let value: F = text.parse().ok()?;
    Some(if value == F::default() { F::default() } else { value })
}

fn json_float(node: &serde_json::Value) -> Option<f64> {
    match node {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) if s == "NaN" => Some(f64::NAN),
        serde_json::Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        serde_json::Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn json_kind(node: &serde_json::Value) -> &'static str {
    match node {
        serde_json::Value::Null => "NULL",
        serde_json::Value::Bool(_) => "BOOLEAN",
        serde_json::Value::Number(_) => "NUMBER",
        serde_json::Value::String(_) => "STRING",
        serde_json::Value::Array(_) => "ARRAY",
        serde_json::Value::Object(_) => "OBJECT",
    }
}

/// Writes `text` as a JSON string, escaped as Jackson escapes it.
pub(super) fn write_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `bytes` as a JSON string of their base64.
pub(super) fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + base64::encoded_len(bytes.len(), true).unwrap_or(0), 0);
    let written = BASE64.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// Jackson writes NaN and infinities as strings by default.
fn write_java_number(out: &mut Vec<u8>, text: String) {
    if text == "NaN" || text.ends_with("Infinity") {
        write_string(out, &text);
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

fn create(settings: &ConfigMap, _role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
    Ok(Arc::new(JsonConverter::from_settings(settings)?))
}

inventory::submit! {
    ConverterPlugin {
        class: "org.apache.kafka.connect.json.JsonConverter",
        aliases: &[],
        create,
        config_def: || super::plugin::with_converter_type(config_def()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converter(schemas: bool) -> JsonConverter {
        let mut settings = ConfigMap::new();
        settings.insert("schemas.enable".into(), schemas.to_string());
        JsonConverter::from_settings(&settings).unwrap()
    }

    #[test]
    fn schema_content_reads_bare_payloads_along_one_schema() {
        let settings: ConfigMap = [(
            "schema.content".to_string(),
            r#"{"type":"struct","fields":[{"field":"n","type":"int32","optional":true,"default":7}]}"#.to_string(),
        )]
        .into();
        let converter = JsonConverter::from_settings(&settings).unwrap();
        let (schema, value) = converter.to_connect("t", Some(br#"{}"#)).unwrap();
        let schema = schema.unwrap();
        assert_eq!(schema.field("n").map(|f| f.schema.schema_type), Some(SchemaType::Int32));
        let Value::Struct(read) = value else {
            panic!("{value:?}")
        };
        assert_eq!(read.get("n"), Some(&Value::Int32(7)));

        let broken: ConfigMap = [("schema.content".to_string(), "{".to_string())].into();
        assert!(JsonConverter::from_settings(&broken)
            .unwrap_err()
            .starts_with("Failed to parse schema in converter config due to serialization error"));
    }

    fn write(schema: &Arc<Schema>, value: Value) -> String {
        let bytes = converter(true).to_bytes("t", Some(schema), &value).unwrap().unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn round_trip(schema: &Arc<Schema>, value: Value) {
        let c = converter(true);
        let bytes = c.to_bytes("t", Some(schema), &value).unwrap();
        let (read_schema, read_value) = c.to_connect("t", bytes.as_deref()).unwrap();
        assert_eq!(read_schema.as_deref().map(Arc::as_ref), Some(schema.as_ref()));
        assert_eq!(read_value, value);
    }

    #[test]
    fn primitives_match_apache_envelopes() {
        let cases: Vec<(Arc<Schema>, Value, &str)> = vec![
            (
                Schema::of(SchemaType::Boolean),
                Value::Boolean(true),
                r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
            ),
            (
                Schema::of(SchemaType::Int8),
                Value::Int8(-8),
                r#"{"schema":{"type":"int8","optional":false},"payload":-8}"#,
            ),
            (
                Schema::of(SchemaType::Int16),
                Value::Int16(300),
                r#"{"schema":{"type":"int16","optional":false},"payload":300}"#,
            ),
            (
                Schema::of(SchemaType::Int32),
                Value::Int32(42),
                r#"{"schema":{"type":"int32","optional":false},"payload":42}"#,
            ),
            (
                Schema::of(SchemaType::Int64),
                Value::Int64(1 << 40),
                r#"{"schema":{"type":"int64","optional":false},"payload":1099511627776}"#,
            ),
            (
                Schema::of(SchemaType::Float32),
                Value::Float32(0.5),
                r#"{"schema":{"type":"float","optional":false},"payload":0.5}"#,
            ),
            (
                Schema::of(SchemaType::Float64),
                Value::Float64(1e10),
                r#"{"schema":{"type":"double","optional":false},"payload":1.0E10}"#,
            ),
            (
                Schema::optional_string(),
                Value::String("a\"b\n\u{1}é".into()),
                r#"{"schema":{"type":"string","optional":true},"payload":"a\"b\n\u0001é"}"#,
            ),
            (
                Schema::optional_string(),
                Value::Null,
                r#"{"schema":{"type":"string","optional":true},"payload":null}"#,
            ),
            (
                Schema::of(SchemaType::Bytes),
                Value::bytes(b"hello".to_vec()),
                r#"{"schema":{"type":"bytes","optional":false},"payload":"aGVsbG8="}"#,
            ),
        ];
        for (schema, value, expected) in cases {
            assert_eq!(write(&schema, value.clone()), expected);
            round_trip(&schema, value);
        }
    }

    #[test]
    fn logical_types_match_apache() {
        // 123.45 at scale 2: unscaled 12345 = 0x3039.
        let decimal = SchemaBuilder::decimal(2).build();
        assert_eq!(
            write(&decimal, Value::bytes(vec![0x30, 0x39])),
            r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"MDk="}"#
        );
        assert_eq!(
            write(&SchemaBuilder::date().build(), Value::Int32(19000)),
            r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19000}"#
        );
        assert_eq!(
            write(&SchemaBuilder::time().build(), Value::Int32(3_600_000)),
            r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":3600000}"#
        );
        assert_eq!(
            write(&SchemaBuilder::timestamp().build(), Value::Int64(1_700_000_000_000)),
            r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1700000000000}"#
        );
        round_trip(&decimal, Value::bytes(vec![0x30, 0x39]));
    }

    /// A `Time` holds the milliseconds of one day, its end included: Apache's JsonConverter
    /// refuses to write or read one past it (`Time.fromLogical`, `Time.toLogical`).
    #[test]
    fn times_stay_within_a_day() {
        let time = SchemaBuilder::time().build();
        let c = converter(true);
        round_trip(&time, Value::Int32(86_400_000));
        for millis in [86_400_001, -1] {
            let error = c.to_bytes("t", Some(&time), &Value::Int32(millis)).unwrap_err();
            assert!(error.to_string().contains("should not have any date fields"), "{error}");
            let envelope = format!(
                r#"{{"schema":{{"type":"int32","optional":false,"name":"{}"}},"payload":{millis}}}"#,
                logical::TIME
            );
            let error = c.to_connect("t", Some(envelope.as_bytes())).unwrap_err();
            assert!(error.to_string().contains("less than 86400000"), "{error}");
        }
        // An INT32 without the logical name is any integer.
        round_trip(&Schema::of(SchemaType::Int32), Value::Int32(-1));
    }

    #[test]
    fn numeric_decimals() {
        let mut settings = ConfigMap::new();
        settings.insert("decimal.format".into(), "NUMERIC".into());
        settings.insert("schemas.enable".into(), "false".into());
        let c = JsonConverter::from_settings(&settings).unwrap();
        let schema = SchemaBuilder::decimal(2).build();
        for (text, bytes) in [
            ("123.45", vec![0x30, 0x39]),
            ("-1.00", vec![0x9c]),
            ("-1.28", vec![0x80]),
            ("1.28", vec![0x00, 0x80]),
            ("0.05", vec![0x05]),
            ("-0.01", vec![0xff]),
        ] {
            assert_eq!(decimal_from_text(text, 2).unwrap(), bytes, "{text}");
            let out = c.to_bytes("t", Some(&schema), &Value::bytes(bytes)).unwrap().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }

    #[test]
    fn structs_arrays_and_maps() {
        let address = SchemaBuilder::structure()
            .field("city", Schema::string())
            .optional()
            .build();
        let schema = SchemaBuilder::structure()
            .name("com.example.Person")
            .field("id", Schema::of(SchemaType::Int32))
            .field("name", Schema::optional_string())
            .field("tags", SchemaBuilder::array(Schema::string()).build())
            .field(
                "scores",
                SchemaBuilder::map(Schema::of(SchemaType::Int32), Schema::string()).build(),
            )
            .field("address", address.clone())
            .build();
        let value = Value::Struct(
            Struct::new(schema.clone())
                .with("id", 7)
                .with("name", "Ann")
                .with("tags", Value::Array(vec!["a".into(), "b".into()]))
                .with("scores", Value::Map(vec![(Value::Int32(1), "x".into())]))
                .with("address", Value::Struct(Struct::new(address).with("city", "Oslo"))),
        );
        assert_eq!(
            write(&schema, value.clone()),
            concat!(
                r#"{"schema":{"type":"struct","fields":["#,
                r#"{"type":"int32","optional":false,"field":"id"},"#,
                r#"{"type":"string","optional":true,"field":"name"},"#,
                r#"{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"},"#,
                r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false,"field":"scores"},"#,
                r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"city"}],"optional":true,"field":"address"}"#,
                r#"],"optional":false,"name":"com.example.Person"},"#,
                r#""payload":{"id":7,"name":"Ann","tags":["a","b"],"scores":[[1,"x"]],"address":{"city":"Oslo"}}}"#
            )
        );
        round_trip(&schema, value);
    }

    #[test]
    fn payloads_are_read_along_their_schema() {
        let converter = converter(true);
        let read = |text: &str| converter.to_connect("t", Some(text.as_bytes()));
        let schema = r#"{"type":"struct","optional":false,"fields":[
            {"type":"int32","optional":false,"field":"id"},
            {"type":"string","optional":true,"default":"none","field":"note"},
            {"type":"array","items":{"type":"int64","optional":false},"optional":true,"field":"tags"},
            {"type":"bytes","optional":true,"field":"raw"}]}"#;
        let (parsed, value) = read(&format!(
            r#"{{"schema":{schema},"payload":{{"extra":{{"a":[1]}},"tags":[1,2],"id":7,"raw":"AQI="}}}}"#
        ))
        .unwrap();
        let Value::Struct(row) = value else {
            panic!("not a struct")
        };
        assert_eq!(row.schema(), &*parsed.unwrap());
        assert_eq!(row.get("id"), Some(&Value::Int32(7)));
        assert_eq!(
            row.get("note"),
            Some(&Value::String("none".into())),
            "a missing field takes its default"
        );
        assert_eq!(
            row.get("tags"),
            Some(&Value::Array(vec![Value::Int64(1), Value::Int64(2)]))
        );
        assert_eq!(row.get("raw"), Some(&Value::bytes(vec![1, 2])));
        let error = |payload: &str| {
            read(&format!(r#"{{"schema":{schema},"payload":{payload}}}"#))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error(r#"{"note":"x"}"#), "Invalid null value for required INT32 field");
        assert_eq!(error(r#"{"id":"7"}"#), "Invalid type for INT32: STRING");
        assert_eq!(error(r#"{"id":1,"tags":[1,"2"]}"#), "Invalid type for INT64: STRING");
        // The schema is known by now; a field after the payload is still refused.
        assert!(error(r#"{"id":1},"extra":1"#).contains("may not contain additional fields"));
    }

    /// Apache's reader takes a decimal as base64 bytes or as a JSON number, whatever
    /// `decimal.format` says; both are read without a JSON tree.
    #[test]
    fn decimals_are_read_from_base64_or_numbers() {
        let converter = converter(true);
        let schema = r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#;
        let read = |payload: &str| {
            converter
                .to_connect(
                    "t",
                    Some(format!(r#"{{"schema":{schema},"payload":{payload}}}"#).as_bytes()),
                )
                .map(|(_, value)| value)
                .map_err(|e| e.to_string())
        };
        let value = |bytes: &[u8]| Ok(Value::bytes(bytes.to_vec()));
        assert_eq!(read(r#""MDk=""#), value(&[0x30, 0x39]));
        assert_eq!(read("123.45"), value(&[0x30, 0x39]));
        assert_eq!(read("-1.28"), value(&[0x80]));
        assert_eq!(read("5"), value(&[0x01, 0xf4]));
        assert_eq!(
            read("18446744073709551615"),
            Ok(Value::bytes(decimal_from_text("18446744073709551615", 2).unwrap()))
        );
        assert_eq!(read("null"), Ok(Value::Null));
        assert_eq!(
            read("true"),
            Err("Invalid type for Decimal, underlying representation should be numeric or bytes".into())
        );
        assert!(read(r#""!!""#).unwrap_err().starts_with("Invalid base64 decimal"));
        // Every digit, where a double keeps seventeen.
        assert_eq!(
            read("123456789012345678901234.56"),
            Ok(Value::bytes(
                decimal_from_text("12345678901234567890123456", 0).unwrap()
            ))
        );
    }

    /// Numbers in an envelope read as Apache's JsonConverter reads them: an integer's low bits
    /// (Java's casts of `BigInteger.longValue`), the nearest float, an infinity beyond the
    /// range, no negative zero (Jackson's big decimals); Jackson's `"NaN"` strings are kept.
    #[test]
    fn numbers_in_envelopes_read_as_apache_reads_them() {
        let converter = converter(true);
        let read = |schema: &str, payload: &str| {
            let text = format!(r#"{{"schema":{{"type":"{schema}"}},"payload":{payload}}}"#);
            converter.to_connect("t", Some(text.as_bytes())).map(|(_, value)| value)
        };
        assert_eq!(
            read("int64", "12345678901234567890"),
            Ok(Value::Int64(-6101065172474983726))
        );
        assert_eq!(read("int32", "2147483648"), Ok(Value::Int32(i32::MIN)));
        assert_eq!(read("int8", "300"), Ok(Value::Int8(44)));
        assert_eq!(read("double", "1e400"), Ok(Value::Float64(f64::INFINITY)));
        assert_eq!(read("float", "1e39"), Ok(Value::Float32(f32::INFINITY)));
        assert_eq!(read("float", "16777217"), Ok(Value::Float32(16777216.0)));
        assert_eq!(
            read("double", "1.0715660391465826E-75"),
            Ok(Value::Float64(1.0715660391465826E-75))
        );
        let Ok(Value::Float64(zero)) = read("double", "-0.0") else {
            panic!("a double")
        };
        assert!(zero.is_sign_positive());
        assert_eq!(read("double", r#""-Infinity""#), Ok(Value::Float64(f64::NEG_INFINITY)));
        assert_eq!(
            read("double", "true").unwrap_err().to_string(),
            "Invalid type for FLOAT64: BOOLEAN"
        );
        assert_eq!(
            read("int64", "1.5").unwrap_err().to_string(),
            "Invalid type for INT64: NUMBER"
        );
    }

    #[test]
    fn defaults_and_required_nulls() {
        let schema = SchemaBuilder::new(SchemaType::Int32)
            .default_value(Value::Int32(5))
            .build();
        assert_eq!(
            write(&schema, Value::Null),
            r#"{"schema":{"type":"int32","optional":false,"default":5},"payload":5}"#
        );
        let required = Schema::of(SchemaType::Int32);
        assert!(converter(true).to_bytes("t", Some(&required), &Value::Null).is_err());
        // Read too: a null (or a field left out) is the default unless replace.null.with.default
        // is false, as Apache's reads it.
        let envelope =
            br#"{"schema":{"type":"struct","fields":[{"field":"n","type":"int32","optional":true,"default":5},
            {"field":"m","type":"int32","optional":true,"default":6}]},"payload":{"n":null}}"#;
        let mut settings = ConfigMap::new();
        settings.insert("replace.null.with.default".into(), "false".into());
        for (converter, expected) in [
            (converter(true), [Value::Int32(5), Value::Int32(6)]),
            (
                JsonConverter::from_settings(&settings).unwrap(),
                [Value::Null, Value::Null],
            ),
        ] {
            let (_, value) = converter.to_connect("t", Some(envelope)).unwrap();
            let Value::Struct(row) = value else {
                panic!("not a struct")
            };
            assert_eq!(row.values(), expected);
        }
    }

    #[test]
    fn tombstones_and_schemaless() {
        let c = converter(false);
        assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
        assert_eq!(c.to_connect("t", None).unwrap(), (None, Value::Null));
        let (schema, value) = c
            .to_connect("t", Some(br#"{"a":1,"b":[true,1.5,"x"],"c":null}"#))
            .unwrap();
        assert!(schema.is_none());
        assert_eq!(value.map_get("a"), Some(&Value::Int64(1)));
        assert_eq!(
            value.map_get("b"),
            Some(&Value::Array(vec![
                Value::Boolean(true),
                Value::Float64(1.5),
                "x".into()
            ]))
        );
        let out = c.to_bytes("t", None, &value).unwrap().unwrap();
        assert_eq!(out, br#"{"a":1,"b":[true,1.5,"x"],"c":null}"#);
    }

    #[test]
    fn envelope_is_required_when_schemas_are_enabled() {
        let error = converter(true).to_connect("t", Some(br#"{"a":1}"#)).unwrap_err();
        assert!(error.0.contains("requires \"schema\" and \"payload\" fields"));
        assert!(converter(true).to_connect("t", Some(b"not json")).is_err());
    }
}
