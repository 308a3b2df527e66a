//! Reading an envelope's `payload` straight into Connect values, guided by its schema: structs,
//! arrays, booleans, integers, strings and bytes are read without building a JSON tree first
//! (sinks read every record through here, so this is the converter's hot path). Decimals and
//! floats are read from their number's text, as Jackson's big decimals give them to Apache's
//! JsonConverter: every digit of a decimal, the nearest float, an infinity beyond the range.
//! Maps and schemaless parts are read as a JSON tree and converted as before, since they need
//! the whole node (two map layouts).

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{decimal_float, JsonConverter, BASE64};
use crate::converter::DataError;
use crate::data::{decimal_from_text, logical, Schema, SchemaType, Struct, Value};
use base64::Engine as _;

/// Reads `payload` (the JSON text of an envelope's payload, nothing after it but whitespace)
/// as a value of `schema`.
pub(super) fn read(converter: &JsonConverter, schema: &Arc<Schema>, payload: &[u8]) -> Result<Value, DataError> {
    let failure = RefCell::new(None);
    let seed = PayloadSeed {
        converter,
        schema,
        failure: &failure,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    match seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
    {
        Ok(value) => Ok(value),
        // A conversion error keeps its own message; a JSON error says where it is.
        Err(e) => Err(failure.into_inner().unwrap_or_else(|| {
            DataError::new(format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
            ))
        })),
    }
}

/// The value of a JSON null for `schema`: its default (when `replace_null_with_default`, as
/// Apache's `replace.null.with.default`), null if optional, an error otherwise.
pub(in crate::converter) fn null_value(schema: &Schema, replace_null_with_default: bool) -> Result<Value, DataError> {
    if let Some(default) = schema.default.as_ref().filter(|_| replace_null_with_default) {
        return Ok(default.clone());
    }
    if schema.optional {
        return Ok(Value::Null);
    }
    Err(DataError::new(format!(
        "Invalid null value for required {} field",
        schema.schema_type.name().to_uppercase()
    )))
}

/// Reads one value of `schema`; a conversion error is left in `failure`.
#[derive(Clone, Copy)]
struct PayloadSeed<'c> {
    converter: &'c JsonConverter,
    schema: &'c Arc<Schema>,
    failure: &'c RefCell<Option<DataError>>,
}

impl PayloadSeed<'_> {
    fn with<'s>(&'s self, schema: &'s Arc<Schema>) -> PayloadSeed<'s> {
        PayloadSeed {
            converter: self.converter,
            schema,
            failure: self.failure,
        }
    }

    /// Records `error` and returns a deserializer error that stops reading.
    fn fail<E: serde::de::Error>(&self, error: DataError) -> E {
        let message = error.to_string();
        self.failure.borrow_mut().get_or_insert(error);
        E::custom(message)
    }

    fn mismatch<E: serde::de::Error>(&self, kind: &str) -> E {
        self.fail(DataError::new(format!(
            "Invalid type for {}: {kind}",
            self.schema.schema_type.name().to_uppercase()
        )))
    }

    /// Whether values of the schema are read here rather than through a JSON tree.
    fn direct(&self) -> bool {
        match self.schema.schema_type {
            SchemaType::Array => self.schema.value_schema.is_some(),
            SchemaType::Struct
            | SchemaType::Boolean
            | SchemaType::Int8
            | SchemaType::Int16
            | SchemaType::Int32
            | SchemaType::Int64
            | SchemaType::String
            | SchemaType::Bytes => true,
            _ => false,
        }
    }

    /// Whether values of the schema are read from their JSON text: decimals and floats.
    fn read_as_text(&self) -> bool {
        self.schema.decimal_scale().is_some()
            || matches!(self.schema.schema_type, SchemaType::Float32 | SchemaType::Float64)
    }

    /// A decimal or float from its JSON `text`: a decimal's base64 string decoded, a number
    /// from its digits (a decimal written with `decimal.format=NUMERIC`), anything else (a
    /// float's `"NaN"`, a null, a wrong kind) as a JSON tree's node reads.
    fn read_text(&self, text: &str) -> Result<Value, DataError> {
        if let (Some(_), Ok(base64)) = (self.schema.decimal_scale(), serde_json::from_str::<&str>(text)) {
            return BASE64
                .decode(base64)
                .map(Value::bytes)
                .map_err(|e| DataError::new(format!("Invalid base64 decimal: {e}")));
        }
        if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            let node: serde_json::Value =
                serde_json::from_str(text).map_err(|e| DataError::new(format!("Invalid JSON value {text}: {e}")))?;
            return self.converter.value_from_json(Some(self.schema), &node);
        }
        if let Some(scale) = self.schema.decimal_scale() {
            return decimal_from_text(text, scale).map(Value::bytes);
        }
        let invalid = || DataError::new(format!("Invalid number {text}"));
        Ok(match self.schema.schema_type {
            SchemaType::Float32 => Value::Float32(decimal_float(text).ok_or_else(invalid)?),
            _ => Value::Float64(decimal_float(text).ok_or_else(invalid)?),
        })
    }

    /// An integer of the schema's width: its low bits, as Java's casts keep them.
    fn integer<E: serde::de::Error>(&self, value: i64) -> Result<Value, E> {
        Ok(match self.schema.schema_type {
            SchemaType::Int8 => Value::Int8(value as i8),
            SchemaType::Int16 => Value::Int16(value as i16),
            SchemaType::Int32 if logical::is_time(self.schema) => {
                Value::Int32(logical::time_to_logical(value as i32).map_err(|e| self.fail(e))?)
            }
            SchemaType::Int32 => Value::Int32(value as i32),
            SchemaType::Int64 => Value::Int64(value),
            _ => return Err(self.mismatch("NUMBER")),
        })
    }
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.read_as_text() {
            let text = <&RawValue>::deserialize(deserializer)?.get();
            return self.read_text(text).map_err(|e| self.fail(e));
        }
        if self.direct() {
            return deserializer.deserialize_any(self);
        }
        let node = serde_json::Value::deserialize(deserializer)?;
        self.converter
            .value_from_json(Some(self.schema), &node)
            .map_err(|e| self.fail(e))
    }
}

impl<'de> Visitor<'de> for PayloadSeed<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "a {} value", self.schema.schema_type.name())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        null_value(self.schema, self.converter.replace_null_with_default).map_err(|e| self.fail(e))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::Boolean => Ok(Value::Boolean(value)),
            _ => Err(self.mismatch("BOOLEAN")),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Value, E> {
        self.integer(value)
    }

    /// Beyond an int64: its low 64 bits, as `BigInteger.longValue` keeps them.
    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Value, E> {
        self.integer(value as i64)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Value, E> {
        Err(self.mismatch("NUMBER"))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::String => Ok(Value::String(value.to_string())),
            SchemaType::Bytes => BASE64
                .decode(value)
                .map(Value::bytes)
                .map_err(|e| self.fail(DataError::new(format!("Invalid bytes field: {e}")))),
            _ => Err(self.mismatch("STRING")),
        }
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Value, E> {
        match self.schema.schema_type {
            SchemaType::String => Ok(Value::String(value)),
            _ => self.visit_str(&value),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let (SchemaType::Array, Some(item_schema)) = (self.schema.schema_type, &self.schema.value_schema) else {
            return Err(self.mismatch("ARRAY"));
        };
        let mut values = Vec::with_capacity(items.size_hint().unwrap_or(0));
        while let Some(value) = items.next_element_seed(self.with(item_schema))? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        if self.schema.schema_type != SchemaType::Struct {
            return Err(self.mismatch("OBJECT"));
        }
        let fields = &self.schema.fields;
        let mut values: Vec<Value> = vec![Value::Null; fields.len()];
        while let Some(index) = entries.next_key_seed(FieldIndex(self.schema))? {
            match index {
                Some(index) => values[index] = entries.next_value_seed(self.with(&fields[index].schema))?,
                None => {
                    entries.next_value::<IgnoredAny>()?;
                }
            }
        }
        // A field left out reads as a null does: what `null_value` gives, which it gives again
        // for its own null.
        for (value, field) in values.iter_mut().zip(fields) {
            if value.is_null() {
                *value =
                    null_value(&field.schema, self.converter.replace_null_with_default).map_err(|e| self.fail(e))?;
            }
        }
        Struct::from_values(self.schema.clone(), values)
            .map(Value::Struct)
            .ok_or_else(|| A::Error::custom("struct field count mismatch"))
    }
}

/// Reads a struct's key as the index of its field (`None` for a key the schema lacks).
pub(in crate::converter) struct FieldIndex<'s>(pub(in crate::converter) &'s Schema);

impl<'de> DeserializeSeed<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        Ok(self.0.fields.iter().position(|field| field.name == name))
    }
}
