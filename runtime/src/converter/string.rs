//! `StringConverter`: values as text (Java's `toString()` of those that are not text), in
//! UTF-8 or the character set `converter.encoding` names.

use std::sync::Arc;

use super::charset::Charset;
use super::plugin::with_converter_type;
use super::{Converter, ConverterRole, DataError};
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, Width};
use crate::converter::ConverterPlugin;
use crate::data::{java_utf8_text, parse_values_text, write_java_text, write_values_text, Schema, SchemaRef, Value};

/// How a value that is not text is written as text.
type WriteText = fn(&mut Vec<u8>, &Value, Option<&Schema>);

/// `value` as text: none for null, text as its bytes, anything else as `write` writes it.
fn text_bytes(value: &Value, schema: Option<&Arc<Schema>>, write: WriteText) -> Option<Vec<u8>> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.as_bytes().to_vec()),
        other => {
            let mut text = Vec::new();
            write(&mut text, other, schema.map(Arc::as_ref));
            Some(text)
        }
    }
}

/// As [`text_bytes`], taking text without a copy.
fn owned_text_bytes(value: Value, schema: Option<&Arc<Schema>>, write: WriteText) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.into_bytes()),
        other => text_bytes(&other, schema, write),
    }
}

/// `converter.encoding`.
const ENCODING: Key<String> = Key::new(
    ConfigKey::optional(
        "converter.encoding",
        ConfigType::String,
        "UTF-8",
        "The Java name of the character set text is written and read in: UTF-8, US-ASCII, \
         ISO-8859-1, UTF-16, UTF-16BE or UTF-16LE (or one of their Java aliases).",
    )
    .importance(Importance::High)
    .shown(-1, Width::Medium, "Encoding"),
);

/// The keys of Apache's `StringConverter`.
fn string_config_def() -> ConfigDef {
    with_converter_type(ConfigDef::new().key(&ENCODING))
}

/// Writes a value's text form; reads bytes as an optional string.
#[derive(Debug, Default)]
pub(super) struct StringConverter {
    /// `converter.encoding`.
    charset: Charset,
}

impl StringConverter {
    /// Text written as UTF-8, in this converter's character set.
    fn encoded(&self, utf8: Option<Vec<u8>>) -> Option<Vec<u8>> {
        match self.charset {
            Charset::Utf8 => utf8,
            charset => utf8.map(|text| charset.encode(&java_utf8_text(&text))),
        }
    }
}

impl Converter for StringConverter {
    fn to_bytes(
        &self,
        _topic: &str,
        schema: Option<&Arc<Schema>>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        // Java's `toString()` of the value, as Apache's converter writes it.
        Ok(self.encoded(text_bytes(value, schema, write_java_text)))
    }

    fn to_bytes_owned(
        &self,
        _topic: &str,
        schema: Option<&Arc<Schema>>,
        value: Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        Ok(self.encoded(owned_text_bytes(value, schema, write_java_text)))
    }

    fn passes_bytes_through(&self) -> bool {
        self.charset == Charset::Utf8
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        Ok(match bytes {
            None => (Some(SchemaRef::optional_string()), Value::Null),
            Some(bytes) => (
                Some(SchemaRef::optional_string()),
                Value::String(self.charset.decode(bytes)),
            ),
        })
    }
}

fn create(settings: &ConfigMap, _role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
    let parsed = ConfigDef::new().key(&ENCODING).parse_or_explain(settings)?;
    let charset = Charset::for_name(&parsed.value(&ENCODING))?;
    Ok(Arc::new(StringConverter { charset }))
}

inventory::submit! {
    ConverterPlugin {
        class: "org.apache.kafka.connect.storage.StringConverter",
        aliases: &[],
        create,
        config_def: string_config_def,
    }
}

/// The default header converter (Apache's `SimpleHeaderConverter` class name): headers read
/// as Apache's `Values.parseString` reads their text (`42` an INT8, `[1,2]` a list, a date, or
/// else a string; [`parse_values_text`]; malformed UTF-8 as U+FFFD, as Java decodes it), values
/// written in their text form as Apache's `Values.convertToString` writes it (a struct as
/// `{"id":40}`, bytes as base64).
#[derive(Debug, Default)]
pub(super) struct SimpleHeaderConverter;

impl Converter for SimpleHeaderConverter {
    fn to_bytes(
        &self,
        _topic: &str,
        schema: Option<&Arc<Schema>>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        Ok(text_bytes(value, schema, write_values_text))
    }

    fn to_bytes_owned(
        &self,
        _topic: &str,
        schema: Option<&Arc<Schema>>,
        value: Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        Ok(owned_text_bytes(value, schema, write_values_text))
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        Ok(match parse_values_text(java_utf8_text(bytes)) {
            Some((schema, value)) => (Some(schema), value),
            None => (None, Value::Null),
        })
    }
}

fn create_header(_settings: &ConfigMap, _role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
    Ok(Arc::new(SimpleHeaderConverter))
}

inventory::submit! {
    ConverterPlugin {
        class: "org.apache.kafka.connect.storage.SimpleHeaderConverter",
        aliases: &[],
        create: create_header,
        config_def: ConfigDef::new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SchemaType;

    #[test]
    fn invalid_utf8_is_replaced_and_valid_text_kept() {
        let converter = StringConverter::default();
        let (_, valid) = converter.to_connect("t", Some("héllo".as_bytes())).unwrap();
        assert_eq!(valid, Value::String("héllo".into()));
        let (_, invalid) = converter.to_connect("t", Some(b"a\xffb")).unwrap();
        assert_eq!(invalid, Value::String("a\u{fffd}b".into()));
        let (_, null) = converter.to_connect("t", None).unwrap();
        assert_eq!(null, Value::Null);
    }

    #[test]
    fn text_is_written_and_read_in_the_named_character_set() {
        let settings: ConfigMap = [("converter.encoding".to_string(), "latin1".to_string())].into();
        let converter = create(&settings, ConverterRole::Value).unwrap();
        let written = converter.to_bytes("t", None, &Value::String("café €".into())).unwrap();
        assert_eq!(written.as_deref(), Some(&b"caf\xe9 ?"[..]));
        assert!(!converter.passes_bytes_through());
        let (_, read) = converter.to_connect("t", Some(b"caf\xe9")).unwrap();
        assert_eq!(read, Value::String("café".into()));

        let unknown: ConfigMap = [("converter.encoding".to_string(), "EBCDIC-XYZ".to_string())].into();
        assert!(create(&unknown, ConverterRole::Value)
            .unwrap_err()
            .starts_with("Unsupported character set EBCDIC-XYZ"));
    }

    #[test]
    fn headers_are_read_as_apache_reads_their_text() {
        let converter = SimpleHeaderConverter;
        let (schema, value) = converter.to_connect("t", Some(b"42")).unwrap();
        assert_eq!(
            (schema.map(|s| s.schema_type), value),
            (Some(SchemaType::Int8), Value::Int8(42))
        );
        let (schema, value) = converter.to_connect("t", Some(b"")).unwrap();
        assert_eq!(schema, Some(SchemaRef::string()));
        assert_eq!(value, Value::String(String::new()));
        assert_eq!(converter.to_connect("t", Some(b"null")).unwrap(), (None, Value::Null));
        let (_, invalid) = converter.to_connect("t", Some(b"a\xffb")).unwrap();
        assert_eq!(invalid, Value::String("a\u{fffd}b".into()));
    }

    /// A struct (a JDBC source's row, say) as Apache's converter writes it: `Struct.toString()`,
    /// its decimal as `BigDecimal` and its null fields left out.
    #[test]
    fn a_struct_is_written_as_javas_to_string() {
        use crate::data::{decimal_from_text, SchemaBuilder, Struct};
        let schema = SchemaBuilder::new(SchemaType::Struct)
            .field("id", Schema::of(SchemaType::Int64))
            .field("price", SchemaBuilder::decimal(2).build())
            .field("note", Schema::optional_string())
            .build();
        let mut row = Struct::new(schema.clone());
        row.put("id", Value::Int64(7));
        row.put("price", Value::bytes(decimal_from_text("12.30", 2).unwrap()));
        let text = StringConverter::default()
            .to_bytes("t", Some(&schema), &Value::Struct(row))
            .unwrap();
        assert_eq!(text.as_deref(), Some(&b"Struct{id=7,price=12.30}"[..]));
    }
}
