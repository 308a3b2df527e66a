//! A Schema Registry as Confluent's converters use it: their settings
//! (`schema.registry.url`, `basic.auth.*`, `schema.registry.ssl.*`, `auto.register.schemas`,
//! `use.latest.version`, the subject name strategies…), an async client of Confluent's REST
//! API (Confluent's own registry, or Apicurio's `/apis/ccompat/v7`), and the wire format: a
//! zero magic byte, the schema id as 4 big-endian bytes, then the payload.
//!
//! Converters built on it cache every schema and id they learn, so the registry is asked once
//! per schema, never per record.

mod client;
mod converter;
mod settings;
mod subject;

pub use client::{ReferencedSchema, RegisteredSchema, RegistryError, SchemaReference, SchemaRegistry, SchemaType};
pub use converter::{RegistryConverter, SchemaFormat};
pub use settings::RegistrySettings;
pub(crate) use settings::{config_def as registry_config_def, parse_settings};
pub use subject::SubjectNameStrategy;

use std::borrow::Cow;

use super::DataError;
use crate::config::{ConfigKey, ConfigType, Key};
use crate::data::{Field, SchemaBuilder, Value};

/// `ignore.default.for.nullables`, a key of each of Confluent's three converters: a struct's
/// null field is written as null, where by default it is written as its Connect default (as
/// Connect's `Struct.get`, which Confluent's converters read fields with, gives it).
pub(crate) const IGNORE_DEFAULT_FOR_NULLABLES: Key<bool> = Key::new(ConfigKey::optional(
    "ignore.default.for.nullables",
    ConfigType::Boolean,
    "false",
    "Write a null field as null, not as its schema's default.",
));

/// The value a converter writes for a struct's `field` holding `value`: a null is the field's
/// default, as Connect's `Struct.get` gives it, unless `ignore.default.for.nullables`.
pub(crate) fn field_value<'a>(field: &'a Field, value: &'a Value, ignore_default_for_nullables: bool) -> &'a Value {
    match (value, &field.schema.default) {
        (Value::Null, Some(default)) if !ignore_default_for_nullables => default,
        _ => value,
    }
}

/// `builder` with the parameters a registered schema keeps in its `connect.parameters`
/// property (Avro and JSON Schema alike; a value that is not text is kept as its JSON).
pub(crate) fn with_connect_parameters(
    mut builder: SchemaBuilder,
    object: &serde_json::Map<String, serde_json::Value>,
) -> SchemaBuilder {
    let parameters = object.get("connect.parameters").and_then(serde_json::Value::as_object);
    for (key, value) in parameters.into_iter().flatten() {
        let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
        builder = builder.parameter(key, &text);
    }
    builder
}

/// `name` made a valid Avro or Protobuf name as Confluent's converters make it
/// (`scrub.invalid.names`): unchanged when it is one; else URL-encoded (as Java's `URLEncoder`),
/// prefixed with `x` when it starts with a digit (or with `_`, where `_` may not start a name,
/// as in Protobuf), and every character other than a letter, digit or `_` replaced by `_`.
pub(crate) fn scrub_name(name: &str, underscore_starts: bool) -> Cow<'_, str> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let invalid_start = |c: char| c.is_ascii_digit() || (!underscore_starts && c == '_');
    if name.is_empty() || (name.chars().all(valid_char) && !name.starts_with(invalid_start)) {
        return Cow::Borrowed(name);
    }
    // Java's URLEncoder: letters, digits and `.-*_` stay, a space is `+`, the rest `%XX`.
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => encoded.push(char::from(byte)),
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    if encoded.starts_with(invalid_start) {
        encoded.insert(0, 'x');
    }
    Cow::Owned(encoded.chars().map(|c| if valid_char(c) { c } else { '_' }).collect())
}

/// The first byte of every record in Confluent's wire format.
const MAGIC_BYTE: u8 = 0;

/// The start of a record as Confluent's serializers frame it (magic byte, schema id), with room
/// for a payload of `payload_len` bytes to be appended.
pub fn frame(schema_id: u32, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload_len);
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out
}

/// The schema id and the payload of a framed record.
pub fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), DataError> {
    match bytes {
        [MAGIC_BYTE, a, b, c, d, payload @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), payload)),
        [] | [MAGIC_BYTE, ..] => Err(DataError::new(format!(
            "Error deserializing: {} bytes are too short for the magic byte and a schema id",
            bytes.len()
        ))),
        [other, ..] => Err(DataError::new(format!(
            "Error deserializing: Unknown magic byte {other}!"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_as_confluent_does() {
        let mut framed = frame(258, 2);
        framed.extend_from_slice(b"hi");
        assert_eq!(framed, [0, 0, 0, 1, 2, b'h', b'i']);
        assert_eq!(unframe(&framed).unwrap(), (258, &b"hi"[..]));
        assert!(unframe(&[0, 0, 1]).unwrap_err().0.contains("too short"));
        assert!(unframe(&[1, 0, 0, 0, 1])
            .unwrap_err()
            .0
            .contains("Unknown magic byte 1"));
    }
}
