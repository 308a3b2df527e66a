//! The JSON documents Confluent's JSON Schema converter writes, read into Connect values along
//! their schema in one pass (the other way round from [`super::write`]).

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value as Json;

use super::schema::ONE_OF;
use crate::converter::json::{null_value, FieldIndex};
use crate::converter::DataError;
use crate::data::decimal_from_text;
use crate::data::{logical, Schema, SchemaType, Struct, Value};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The Connect value of the JSON document `payload` for `schema`, read in one pass: a decimal
/// keeps every digit it was written with.
pub(super) fn read_json(schema: &Arc<Schema>, payload: &[u8]) -> Result<Value, DataError> {
    let failure = RefCell::new(None);
    let mut document = serde_json::Deserializer::from_slice(payload);
    let read = Seed {
        schema,
        failure: &failure,
    }
    .deserialize(&mut document)
    .and_then(|value| document.end().map(|()| value));
    read.map_err(|e| {
        failure
            .take()
            .unwrap_or_else(|| DataError::new(format!("Invalid JSON: {e}")))
    })
}

/// The Connect value of `node` for `schema` (a schema's default).
pub(super) fn from_json(schema: &Arc<Schema>, node: &Json) -> Result<Value, DataError> {
    let failure = RefCell::new(None);
    Seed {
        schema,
        failure: &failure,
    }
    .deserialize(node)
    .map_err(|e| failure.take().unwrap_or_else(|| DataError::new(e.to_string())))
}

/// Reads a value of `schema`. A value that does not fit the schema keeps its error in
/// `failure`, for the reader to report it without the parser's position.
#[derive(Clone, Copy)]
struct Seed<'a> {
    schema: &'a Arc<Schema>,
    failure: &'a RefCell<Option<DataError>>,
}

impl<'a> Seed<'a> {
    fn of(self, schema: &'a Arc<Schema>) -> Seed<'a> {
        Seed {
            schema,
            failure: self.failure,
        }
    }

    fn fail<E: de::Error>(self, error: DataError) -> E {
        let parser_error = E::custom(&error.0);
        self.failure.replace(Some(error));
        parser_error
    }

    fn mismatch<E: de::Error>(self, found: impl fmt::Display) -> E {
        self.fail(DataError::new(format!(
            "Invalid type for {}: {found}",
            self.schema.schema_type.name().to_uppercase()
        )))
    }

    /// The failure of field `name`'s value, named.
    fn in_field<E: de::Error>(self, name: &str, error: E) -> E {
        match self.failure.take() {
            Some(inner) => self.fail(DataError::new(format!("field {name}: {}", inner.0))),
            None => error,
        }
    }

    /// A null for this schema: its default, or null when it is optional (as JsonConverter reads
    /// one by default).
    fn null<E: de::Error>(self) -> Result<Value, E> {
        null_value(self.schema, true).map_err(|e| self.fail(e))
    }

    /// A decimal from its JSON text: a number, or base64 of its unscaled bytes.
    fn decimal<E: de::Error>(self, text: &str, scale: i32) -> Result<Value, E> {
        if text == "null" {
            return self.null();
        }
        if text.starts_with('"') {
            let encoded: String = serde_json::from_str(text).map_err(E::custom)?;
            return BASE64
                .decode(encoded)
                .map(Value::bytes)
                .map_err(|e| self.fail(DataError::new(format!("Invalid bytes for Decimal field: {e}"))));
        }
        if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Err(self.mismatch(text));
        }
        decimal_from_text(text, scale)
            .map(Value::bytes)
            .map_err(|e| self.fail(e))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let schema = self.schema;
        if let Some(scale) = schema.decimal_scale() {
            let raw = Box::<RawValue>::deserialize(deserializer)?;
            return self.decimal(raw.get(), scale);
        }
        if schema.schema_type == SchemaType::Struct && schema.name.as_deref() == Some(ONE_OF) {
            // Which branch depends on the whole value (an object's keys): read it first.
            let node = Json::deserialize(deserializer)?;
            if node.is_null() {
                return self.null();
            }
            let Some(field) = schema.fields.iter().find(|f| fits(&f.schema, &node)) else {
                return Err(self.fail(DataError::new(format!(
                    "Did not find matching oneof field for data: {node}"
                ))));
            };
            let value = self.of(&field.schema).deserialize(&node).map_err(de::Error::custom)?;
            let mut out = Struct::new(schema.clone());
            out.put(&field.name, value);
            return Ok(Value::Struct(out));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} value", self.schema.schema_type.name())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.null()
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.null()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::Boolean => Ok(Value::Boolean(b)),
            _ => Err(self.mismatch(b)),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(match self.schema.schema_type {
            SchemaType::Int8 => Value::Int8(n as i8),
            SchemaType::Int16 => Value::Int16(n as i16),
            // A Connect `Time` is checked, as Confluent's JsonSchemaData checks it.
            SchemaType::Int32 if logical::is_time(self.schema) => {
                Value::Int32(logical::time_to_logical(n as i32).map_err(|e| self.fail(e))?)
            }
            SchemaType::Int32 => Value::Int32(n as i32),
            SchemaType::Int64 => Value::Int64(n),
            SchemaType::Float32 => Value::Float32(n as f32),
            SchemaType::Float64 => Value::Float64(n as f64),
            _ => return Err(self.mismatch(n)),
        })
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        match (i64::try_from(n), self.schema.schema_type) {
            (Ok(n), _) => self.visit_i64(n),
            (Err(_), SchemaType::Float32 | SchemaType::Float64) => self.visit_f64(n as f64),
            (Err(_), _) => Err(self.mismatch(n)),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::Float32 => Ok(Value::Float32(n as f32)),
            SchemaType::Float64 => Ok(Value::Float64(n)),
            _ => Err(self.mismatch(n)),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::String => Ok(Value::String(text.to_string())),
            SchemaType::Bytes => BASE64
                .decode(text)
                .map(Value::bytes)
                .map_err(|e| self.fail(DataError::new(format!("Invalid bytes field: {e}")))),
            _ => Err(self.mismatch(format!("{text:?}"))),
        }
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::String => Ok(Value::String(text)),
            _ => self.visit_str(&text),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        match (
            self.schema.schema_type,
            &self.schema.key_schema,
            &self.schema.value_schema,
        ) {
            (SchemaType::Array, _, Some(element)) => {
                let mut out = Vec::new();
                while let Some(item) = items.next_element_seed(self.of(element))? {
                    out.push(item);
                }
                Ok(Value::Array(out))
            }
            // A map whose keys are not strings: an array of `{key, value}` objects.
            (SchemaType::Map, Some(keys), Some(values)) => {
                let entry = Entry {
                    key: self.of(keys),
                    value: self.of(values),
                };
                let mut out = Vec::new();
                while let Some(pair) = items.next_element_seed(entry)? {
                    out.push(pair);
                }
                Ok(Value::Map(out))
            }
            _ => Err(self.mismatch("an array")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<Value, A::Error> {
        let schema = self.schema;
        match (schema.schema_type, &schema.value_schema) {
            (SchemaType::Map, Some(values)) => {
                let mut out = Vec::new();
                while let Some(key) = object.next_key::<String>()? {
                    out.push((Value::String(key), object.next_value_seed(self.of(values))?));
                }
                Ok(Value::Map(out))
            }
            (SchemaType::Struct, _) => {
                let mut values = vec![Value::Null; schema.fields.len()];
                while let Some(index) = object.next_key_seed(FieldIndex(schema))? {
                    match index {
                        Some(index) => {
                            let field = &schema.fields[index];
                            values[index] = object
                                .next_value_seed(self.of(&field.schema))
                                .map_err(|e| self.in_field(&field.name, e))?;
                        }
                        None => {
                            object.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                // A field left out reads as a null does, which a null read gives again.
                for (value, field) in values.iter_mut().zip(&schema.fields) {
                    if value.is_null() {
                        *value = self
                            .of(&field.schema)
                            .null()
                            .map_err(|e| self.in_field(&field.name, e))?;
                    }
                }
                Struct::from_values(schema.clone(), values)
                    .map(Value::Struct)
                    .ok_or_else(|| self.mismatch("an object"))
            }
            _ => Err(self.mismatch("an object")),
        }
    }
}

/// One `{"key": …, "value": …}` entry of a map whose keys are not strings.
#[derive(Clone, Copy)]
struct Entry<'a> {
    key: Seed<'a>,
    value: Seed<'a>,
}

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = (Value, Value);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(Value, Value), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = (Value, Value);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<(Value, Value), A::Error> {
        let (mut key, mut value) = (None, None);
        while let Some(name) = object.next_key::<std::borrow::Cow<'de, str>>()? {
            match name.as_ref() {
                "key" => key = Some(object.next_value_seed(self.key)?),
                "value" => value = Some(object.next_value_seed(self.value)?),
                _ => {
                    object.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (key, value) {
            (Some(key), Some(value)) => Ok((key, value)),
            _ => Err(self
                .key
                .fail(DataError::new("Found invalid map entry: it needs a key and a value"))),
        }
    }
}

/// Whether `node` is of the kind `schema` takes (which branch of a `oneOf` it is).
fn fits(schema: &Schema, node: &Json) -> bool {
    match schema.schema_type {
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64 => node.is_i64() || node.is_u64(),
        SchemaType::Float32 | SchemaType::Float64 => node.is_number(),
        SchemaType::Boolean => node.is_boolean(),
        SchemaType::String => node.is_string(),
        SchemaType::Bytes => node.is_string() || (schema.decimal_scale().is_some() && node.is_number()),
        SchemaType::Array => node.is_array(),
        SchemaType::Map => node.is_object() || node.is_array(),
        SchemaType::Struct => node
            .as_object()
            .is_some_and(|o| o.keys().all(|k| schema.field(k).is_some())),
    }
}
