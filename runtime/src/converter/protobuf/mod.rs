//! `io.confluent.connect.protobuf.ProtobufConverter`: Connect records as Protobuf messages in
//! Confluent's wire format (the schema id, then the message indexes, then the message), their
//! schemas kept in a Schema Registry.
//!
//! The record's Connect schema is written as `.proto` text as Confluent's `ProtobufData` writes
//! it ([`schema`]) and compiled by `protox` ([`files`]); values become `prost-reflect` dynamic
//! messages ([`value`]). Registered schemas are read whether they are `.proto` text or a base64
//! `FileDescriptorProto`. Registering, caching and framing are the registry converter's.

mod files;
mod schema;
mod value;

pub use files::encoded_file_descriptor;

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor};

use self::schema::ProtobufOptions;

use super::registry::{
    parse_settings, ReferencedSchema, RegistryConverter, SchemaFormat, SchemaType, IGNORE_DEFAULT_FOR_NULLABLES,
};
use super::DataError;
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use crate::converter::ConverterPlugin;
use crate::data::{Schema, Value};

/// `scrub.invalid.names`.
const SCRUB_INVALID_NAMES: Key<bool> = Key::new(ConfigKey::optional(
    "scrub.invalid.names",
    ConfigType::Boolean,
    "false",
    "Make names Protobuf does not allow valid, as Confluent's ProtobufData does.",
));
/// `optional.for.nullables`.
const OPTIONAL_FOR_NULLABLES: Key<bool> = Key::new(ConfigKey::optional(
    "optional.for.nullables",
    ConfigType::Boolean,
    "false",
    "Write optional Connect fields as proto3 optional fields, so that nulls read back as nulls.",
));
/// `enhanced.protobuf.schema.support`.
const ENHANCED_SCHEMA_SUPPORT: Key<bool> = Key::new(ConfigKey::optional(
    "enhanced.protobuf.schema.support",
    ConfigType::Boolean,
    "false",
    "Read Connect names of messages and enums with their package.",
));

/// `int.for.enums`.
const INT_FOR_ENUMS: Key<bool> = Key::new(ConfigKey::optional(
    "int.for.enums",
    ConfigType::Boolean,
    "false",
    "Read an enum as its number (an INT32), not its symbol.",
));

/// `wrapper.for.nullables`.
const WRAPPER_FOR_NULLABLES: Key<bool> = Key::new(ConfigKey::optional(
    "wrapper.for.nullables",
    ConfigType::Boolean,
    "false",
    "Write optional primitive Connect fields as Google's wrapper messages, and read wrapper \
     fields as optional primitives, so that nulls read back as nulls.",
));

/// `generate.struct.for.nulls`.
const GENERATE_STRUCT_FOR_NULLS: Key<bool> = Key::new(ConfigKey::optional(
    "generate.struct.for.nulls",
    ConfigType::Boolean,
    "false",
    "Read an unset message (or optional) field as its default, a struct of defaults, not null.",
));
/// `flatten.unions`.
const FLATTEN_UNIONS: Key<bool> = Key::new(ConfigKey::optional(
    "flatten.unions",
    ConfigType::Boolean,
    "false",
    "Read a oneof's members as fields of the message, not as a union struct.",
));

/// `generate.index.for.unions`.
const GENERATE_INDEX_FOR_UNIONS: Key<bool> = Key::new(ConfigKey::optional(
    "generate.index.for.unions",
    ConfigType::Boolean,
    "true",
    "Name the field standing for a oneof <oneof>_<index>; <oneof> when false.",
));
/// `optional.for.proto2`.
const OPTIONAL_FOR_PROTO2: Key<bool> = Key::new(ConfigKey::optional(
    "optional.for.proto2",
    ConfigType::Boolean,
    "true",
    "Read an unset proto2 optional scalar as null, not its default.",
));

/// The Protobuf converter's own keys (besides the registry's).
fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&SCRUB_INVALID_NAMES)
        .key(&OPTIONAL_FOR_NULLABLES)
        .key(&ENHANCED_SCHEMA_SUPPORT)
        .key(&INT_FOR_ENUMS)
        .key(&WRAPPER_FOR_NULLABLES)
        .key(&GENERATE_STRUCT_FOR_NULLS)
        .key(&FLATTEN_UNIONS)
        .key(&GENERATE_INDEX_FOR_UNIONS)
        .key(&OPTIONAL_FOR_PROTO2)
        .key(&IGNORE_DEFAULT_FOR_NULLABLES)
}

/// Confluent's Protobuf converter.
pub(super) type ProtobufConverter = RegistryConverter<Protobuf>;

/// The Protobuf format of the registry converter.
#[derive(Debug)]
pub(super) struct Protobuf {
    options: ProtobufOptions,
}

/// The message a record is written as, and its indexes in its schema.
#[derive(Debug)]
pub(super) struct ProtobufWriter {
    message: MessageDescriptor,
    indexes: Vec<i32>,
    /// The Connect schema the writer was made for (a primitive's type, a decimal's scale).
    connect: Arc<Schema>,
}

/// A message of a registered schema, with its Connect schema (or why it has none).
type ReadableMessage = (MessageDescriptor, Result<Arc<Schema>, String>);

/// A registered schema for reading: each message of it, by its indexes.
#[derive(Debug)]
pub(super) struct ProtobufReader {
    messages: HashMap<Vec<i32>, ReadableMessage>,
}

impl SchemaFormat for Protobuf {
    type Writer = ProtobufWriter;
    type Reader = ProtobufReader;
    const SCHEMA_TYPE: SchemaType = SchemaType::Protobuf;
    const NAME: &'static str = "Protobuf";

    fn new(settings: &ConfigMap) -> Result<Self, String> {
        let parsed = parse_settings(&config_def(), settings)?;
        Ok(Protobuf {
            options: ProtobufOptions {
                scrub_invalid_names: parsed.value(&SCRUB_INVALID_NAMES),
                optional_for_nullables: parsed.value(&OPTIONAL_FOR_NULLABLES),
                enhanced_schema_support: parsed.value(&ENHANCED_SCHEMA_SUPPORT),
                int_for_enums: parsed.value(&INT_FOR_ENUMS),
                wrapper_for_nullables: parsed.value(&WRAPPER_FOR_NULLABLES),
                generate_struct_for_nulls: parsed.value(&GENERATE_STRUCT_FOR_NULLS),
                flatten_unions: parsed.value(&FLATTEN_UNIONS),
                generate_index_for_unions: parsed.value(&GENERATE_INDEX_FOR_UNIONS),
                optional_for_proto2: parsed.value(&OPTIONAL_FOR_PROTO2),
                ignore_default_for_nullables: parsed.value(&IGNORE_DEFAULT_FOR_NULLABLES),
            },
        })
    }

    fn schema_text(&self, schema: &Schema) -> Result<(String, String), DataError> {
        let proto = schema::from_connect(schema, self.options)?;
        Ok((proto.text, proto.full_name))
    }

    fn writer(
        &self,
        text: &str,
        references: &[ReferencedSchema],
        connect: &Arc<Schema>,
    ) -> Result<ProtobufWriter, DataError> {
        let file = files::compile(text, references)?;
        // The record's message by its name (a registered latest version may hold several; a
        // primitive's is its wrapper), else the first.
        let name = match schema::wrapper_for(connect.schema_type) {
            Some(wrapper) => wrapper.rsplit('.').next(),
            None => connect.name.as_deref().and_then(|n| n.rsplit('.').next()),
        };
        let message = file
            .messages()
            .find(|m| Some(m.name()) == name)
            .or_else(|| file.messages().next())
            .ok_or_else(|| DataError::new("the Protobuf schema defines no message"))?;
        Ok(ProtobufWriter {
            indexes: value::message_indexes(&message),
            message,
            connect: connect.clone(),
        })
    }

    fn can_read(&self, _derived: &ProtobufWriter, _latest: &ProtobufWriter) -> Result<(), String> {
        // No Protobuf compatibility checker here: the registry checks on registration.
        Ok(())
    }

    fn reader(&self, text: &str, references: &[ReferencedSchema]) -> Result<ProtobufReader, DataError> {
        let file = files::compile(text, references)?;
        let mut messages = HashMap::new();
        let mut pending: Vec<MessageDescriptor> = file.messages().collect();
        while let Some(message) = pending.pop() {
            pending.extend(message.child_messages());
            let connect = schema::to_connect(&message, self.options).map_err(|e| e.0);
            messages.insert(value::message_indexes(&message), (message, connect));
        }
        Ok(ProtobufReader { messages })
    }

    fn encode(&self, writer: &ProtobufWriter, value: &Value, out: &mut Vec<u8>) -> Result<(), DataError> {
        let message = value::to_record_message(&writer.message, &writer.connect, value, self.options)?;
        value::write_indexes(&writer.indexes, out);
        message.encode(out).map_err(|e| DataError::new(e.to_string()))
    }

    fn decode(&self, reader: &ProtobufReader, mut payload: &[u8]) -> Result<(Option<Arc<Schema>>, Value), DataError> {
        let indexes = value::read_indexes(&mut payload)?;
        let (descriptor, connect) = reader
            .messages
            .get(&indexes)
            .ok_or_else(|| DataError::new(format!("the schema has no message at the indexes {indexes:?}")))?;
        let connect = connect.as_ref().map_err(|e| DataError::new(e.clone()))?;
        let message = DynamicMessage::decode(descriptor.clone(), payload)
            .map_err(|e| DataError::new(format!("the Protobuf message is invalid: {e}")))?;
        Ok((
            Some(connect.clone()),
            value::to_record_value(&message, connect, self.options)?,
        ))
    }
}

inventory::submit! {
    ConverterPlugin {
        class: "io.confluent.connect.protobuf.ProtobufConverter",
        aliases: &[],
        create: ProtobufConverter::create,
        config_def: plugin_config_def,
    }
}

/// The registry's keys, then the format's own.
fn plugin_config_def() -> ConfigDef {
    super::registry::registry_config_def().merge(&config_def())
}

#[cfg(test)]
mod tests;
