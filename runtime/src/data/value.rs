//! Connect values: what a schema describes.

use std::sync::Arc;

use super::{Schema, SchemaType};

/// A Connect value. Logical types keep their physical form (a `Date` is an `Int32` of days,
/// a `Decimal` the `Bytes` of its unscaled integer), as they travel on the wire.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value (a tombstone when it is the record's value).
    #[default]
    Null,
    /// Boolean.
    Boolean(bool),
    /// 8-bit integer.
    Int8(i8),
    /// 16-bit integer.
    Int16(i16),
    /// 32-bit integer.
    Int32(i32),
    /// 64-bit integer.
    Int64(i64),
    /// 32-bit float.
    Float32(f32),
    /// 64-bit float.
    Float64(f64),
    /// Text.
    String(String),
    /// Bytes, shared: clones and slices of them copy nothing.
    Bytes(bytes::Bytes),
    /// A list.
    Array(Vec<Value>),
    /// A map, as ordered entries (keys need not be strings).
    Map(Vec<(Value, Value)>),
    /// A struct.
    Struct(Struct),
}

impl Value {
    /// A bytes value from what becomes [`bytes::Bytes`] without copying (a `Vec<u8>`).
    pub fn bytes(bytes: impl Into<bytes::Bytes>) -> Value {
        Value::Bytes(bytes.into())
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for any integer type.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The physical type this value has, when it is not null.
    pub fn inferred_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }

    /// The entry of a map value with a string key `key`.
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short description of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        self.inferred_type().map(SchemaType::name).unwrap_or("null")
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.to_string())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(value)
    }
}

/// A struct value: one value per field of its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: Arc<Schema>,
    values: Vec<Value>,
}

impl Struct {
    /// A struct of `schema` with every field null.
    pub fn new(schema: Arc<Schema>) -> Self {
        let values = vec![Value::Null; schema.fields.len()];
        Struct { schema, values }
    }

    /// A struct of `schema` with `values` in field order; `None` when the counts differ.
    pub fn from_values(schema: Arc<Schema>, values: Vec<Value>) -> Option<Self> {
        (values.len() == schema.fields.len()).then_some(Struct { schema, values })
    }

    /// The struct's schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The value of field `name` (`None` if there is no such field).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schema.field(name).map(|f| &self.values[f.index])
    }

    /// Sets field `name`; returns `false` if the schema has no such field.
    pub fn put(&mut self, name: &str, value: Value) -> bool {
        match self.schema.field(name) {
            Some(field) => {
                self.values[field.index] = value;
                true
            }
            None => false,
        }
    }

    /// Takes field `name`'s value out, leaving null (null when the schema has no such field).
    pub fn take(&mut self, name: &str) -> Value {
        match self.schema.field(name) {
            Some(field) => std::mem::take(&mut self.values[field.index]),
            None => Value::Null,
        }
    }

    /// Sets field `name` and returns the struct, for building.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.put(name, value.into());
        self
    }

    /// Values in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Fields with their values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&super::Field, &Value)> {
        self.schema.fields.iter().zip(&self.values)
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Value::Int32(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int64(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Boolean(value)
    }
}
