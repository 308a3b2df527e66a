//! `ByteArrayConverter`: bytes passed through untouched.

use std::sync::Arc;

use bytes::Bytes;

use super::{Converter, ConverterRole, DataError};
use crate::config::ConfigMap;
use crate::converter::ConverterPlugin;
use crate::data::{Schema, SchemaRef, Value};

/// Passes bytes through; reads bytes as an optional bytes value.
#[derive(Debug, Default)]
pub(super) struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn to_bytes(
        &self,
        _topic: &str,
        _schema: Option<&Arc<Schema>>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, DataError> {
        match value {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes.to_vec())),
            other => Err(DataError::new(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                other.kind()
            ))),
        }
    }

    fn passes_bytes_through(&self) -> bool {
        true
    }

    fn to_connect(&self, _topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        Ok((
            Some(SchemaRef::optional_bytes()),
            bytes.map_or(Value::Null, |b| Value::Bytes(Bytes::copy_from_slice(b))),
        ))
    }
}

fn create(_settings: &ConfigMap, _role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
    Ok(Arc::new(ByteArrayConverter))
}

inventory::submit! {
    ConverterPlugin {
        class: "org.apache.kafka.connect.converters.ByteArrayConverter",
        aliases: &[],
        create,
        config_def: super::plugin::converter_type_only,
    }
}
