//! Apache's primitive converters (`org.apache.kafka.connect.converters.*`): `ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter` and
//! `BooleanConverter`, in the Kafka serializers' formats (big-endian fixed width, IEEE 754,
//! one byte 0/1 for booleans). Each reads as an optional schema of its type; a value of
//! another type is refused, as Apache's casts refuse it.

use std::sync::Arc;

use super::{Converter, ConverterRole, DataError};
use crate::config::ConfigMap;
use crate::converter::ConverterPlugin;
use crate::data::{Schema, SchemaRef, SchemaType, Value};

/// Which primitive a converter carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Primitive {
    /// `ShortConverter`: INT16, 2 bytes.
    Short,
    /// `IntegerConverter`: INT32, 4 bytes.
    Integer,
    /// `LongConverter`: INT64, 8 bytes.
    Long,
    /// `FloatConverter`: FLOAT32, 4 bytes.
    Float,
    /// `DoubleConverter`: FLOAT64, 8 bytes.
    Double,
    /// `BooleanConverter`: BOOLEAN, 1 byte.
    Boolean,
}

impl Primitive {
    /// Apache's name for the type in its messages.
    fn name(self) -> &'static str {
        match self {
            Primitive::Short => "short",
            Primitive::Integer => "integer",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Boolean => "boolean",
        }
    }

    fn schema_type(self) -> SchemaType {
        match self {
            Primitive::Short => SchemaType::Int16,
            Primitive::Integer => SchemaType::Int32,
            Primitive::Long => SchemaType::Int64,
            Primitive::Float => SchemaType::Float32,
            Primitive::Double => SchemaType::Float64,
            Primitive::Boolean => SchemaType::Boolean,
        }
    }

    fn width(self) -> usize {
        match self {
            Primitive::Boolean => 1,
            Primitive::Short => 2,
            Primitive::Integer | Primitive::Float => 4,
            Primitive::Long | Primitive::Double => 8,
        }
    }
}

/// Converts one primitive type.
#[derive(Debug)]
pub(super) struct PrimitiveConverter {
    primitive: Primitive,
    /// The optional schema of its type, built once and handed to every value read.
    schema: SchemaRef,
}

impl PrimitiveConverter {
    fn new(primitive: Primitive) -> Self {
        PrimitiveConverter {
            primitive,
            schema: Schema::optional_of(primitive.schema_type()).into(),
        }
    }
}

impl Converter for PrimitiveConverter {
    fn to_bytes(
        &self,
        _topic: &str,
        _schema: Option<&Arc<Schema>>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        let bytes = match (self.primitive, value) {
            (_, Value::Null) => return Ok(None),
            (Primitive::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Float, Value::Float32(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Double, Value::Float64(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Boolean, Value::Boolean(v)) => vec![u8::from(*v)],
            (primitive, other) => {
                return Err(DataError::new(format!(
                    "Failed to serialize to {} (was {})",
                    primitive.name(),
                    other.kind()
                )))
            }
        };
        Ok(Some(bytes))
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        let schema = Some(self.schema.clone());
        let Some(bytes) = bytes else {
            return Ok((schema, Value::Null));
        };
        let primitive = self.primitive;
        let failed = |why: String| DataError::new(format!("Failed to deserialize {}: {why}", primitive.name()));
        if bytes.len() != primitive.width() {
            return Err(failed(format!(
                "the data is {} bytes where a {} takes {}",
                bytes.len(),
                primitive.name(),
                primitive.width()
            )));
        }
        let array = |bytes: &[u8]| -> [u8; 8] {
            let mut out = [0u8; 8];
            out[..bytes.len()].copy_from_slice(bytes);
            out
        };
        let raw = array(bytes);
        let value = match primitive {
            Primitive::Short => Value::Int16(i16::from_be_bytes([raw[0], raw[1]])),
            Primitive::Integer => Value::Int32(i32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])),
            Primitive::Long => Value::Int64(i64::from_be_bytes(raw)),
            Primitive::Float => Value::Float32(f32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])),
            Primitive::Double => Value::Float64(f64::from_be_bytes(raw)),
            Primitive::Boolean => match raw[0] {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => return Err(failed(format!("unexpected byte {other}"))),
            },
        };
        Ok((schema, value))
    }
}

macro_rules! primitive_plugin {
    ($create:ident, $primitive:expr, $class:literal) => {
        fn $create(_settings: &ConfigMap, _role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
            Ok(Arc::new(PrimitiveConverter::new($primitive)))
        }

        inventory::submit! {
            ConverterPlugin {
                class: $class,
                aliases: &[],
                create: $create,
                config_def: super::plugin::converter_type_only,
            }
        }
    };
}

primitive_plugin!(
    short,
    Primitive::Short,
    "org.apache.kafka.connect.converters.ShortConverter"
);
primitive_plugin!(
    integer,
    Primitive::Integer,
    "org.apache.kafka.connect.converters.IntegerConverter"
);
primitive_plugin!(
    long,
    Primitive::Long,
    "org.apache.kafka.connect.converters.LongConverter"
);
primitive_plugin!(
    float,
    Primitive::Float,
    "org.apache.kafka.connect.converters.FloatConverter"
);
primitive_plugin!(
    double,
    Primitive::Double,
    "org.apache.kafka.connect.converters.DoubleConverter"
);
primitive_plugin!(
    boolean,
    Primitive::Boolean,
    "org.apache.kafka.connect.converters.BooleanConverter"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn converter(primitive: Primitive) -> PrimitiveConverter {
        PrimitiveConverter::new(primitive)
    }

    #[test]
    fn kafka_serializer_formats_round_trip() {
        let cases = [
            (Primitive::Short, Value::Int16(-2), vec![0xff, 0xfe]),
            (Primitive::Integer, Value::Int32(258), vec![0, 0, 1, 2]),
            (Primitive::Long, Value::Int64(1), vec![0, 0, 0, 0, 0, 0, 0, 1]),
            (Primitive::Float, Value::Float32(1.0), vec![0x3f, 0x80, 0, 0]),
            (Primitive::Double, Value::Float64(-2.0), vec![0xc0, 0, 0, 0, 0, 0, 0, 0]),
            (Primitive::Boolean, Value::Boolean(true), vec![1]),
        ];
        for (primitive, value, bytes) in cases {
            let c = converter(primitive);
            assert_eq!(
                c.to_bytes("t", None, &value).unwrap(),
                Some(bytes.clone()),
                "{primitive:?}"
            );
            let (schema, back) = c.to_connect("t", Some(&bytes)).unwrap();
            assert_eq!(back, value);
            let schema = schema.unwrap();
            assert!(schema.optional && schema.schema_type == primitive.schema_type());
            assert_eq!(c.to_connect("t", None).unwrap().1, Value::Null);
            assert_eq!(c.to_bytes("t", None, &Value::Null).unwrap(), None);
        }
    }

    #[test]
    fn other_types_and_sizes_are_refused() {
        let long = converter(Primitive::Long);
        let error = long.to_bytes("t", None, &Value::Int32(1)).unwrap_err();
        assert!(error.0.starts_with("Failed to serialize to long"), "{error}");
        assert!(long.to_connect("t", Some(&[1, 2])).is_err());
        assert!(converter(Primitive::Boolean).to_connect("t", Some(&[2])).is_err());
    }
}
