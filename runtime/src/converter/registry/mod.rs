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

pub use client::{RegisteredSchema, RegistryError, SchemaRegistry, SchemaType};
pub use converter::{RegistryConverter, SchemaFormat};
pub(crate) use settings::parse_settings;
pub use settings::RegistrySettings;
pub use subject::SubjectNameStrategy;

use super::DataError;
use crate::data::SchemaBuilder;

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
