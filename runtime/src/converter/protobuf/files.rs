//! Compiling a registered Protobuf schema: `.proto` text (as Confluent's Java converter
//! registers it) or a base64 `FileDescriptorProto` (as Confluent's other clients do), with the
//! registered schemas it imports by reference, and the imports every Confluent schema may use
//! without one: Google's well-known types,
//! `google/type/{date,timeofday}.proto`, `confluent/type/decimal.proto` and
//! `confluent/meta.proto`.

use std::collections::HashMap;

use base64::Engine;
use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor};
use prost_types::FileDescriptorProto;
use protox::file::{File, FileResolver, GoogleFileResolver};

use crate::converter::registry::ReferencedSchema;
use crate::converter::DataError;

/// The name the registered schema is compiled under.
const SCHEMA_FILE: &str = "default.proto";

/// `google/type/date.proto`.
const DATE_PROTO: &str = r#"syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#;

/// `google/type/timeofday.proto`.
const TIME_OF_DAY_PROTO: &str = r#"syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
"#;

/// `confluent/type/decimal.proto`.
const DECIMAL_PROTO: &str = r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#;

/// `confluent/meta.proto`: the `(confluent.field_meta)` option carrying Connect parameters.
const META_PROTO: &str = r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#;

/// The schema a primitive record is written with: Google's wrapper messages, in the order of
/// `google/protobuf/wrappers.proto`, so that their message indexes are Confluent's.
pub(super) const WRAPPERS_PROTO: &str = r#"syntax = "proto3";
package google.protobuf;
message DoubleValue { double value = 1; }
message FloatValue { float value = 1; }
message Int64Value { int64 value = 1; }
message UInt64Value { uint64 value = 1; }
message Int32Value { int32 value = 1; }
message UInt32Value { uint32 value = 1; }
message BoolValue { bool value = 1; }
message StringValue { string value = 1; }
message BytesValue { bytes value = 1; }
"#;

/// The registered schemas at hand (the one compiled when it is text, the ones it imports), then
/// the imports Confluent's schemas take for granted.
struct Files {
    registered: HashMap<String, File>,
    google: GoogleFileResolver,
}

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if let Some(file) = self.registered.get(name) {
            return Ok(file.clone());
        }
        let bundled = match name {
            "google/type/date.proto" => DATE_PROTO,
            "google/type/timeofday.proto" => TIME_OF_DAY_PROTO,
            "confluent/type/decimal.proto" => DECIMAL_PROTO,
            "confluent/meta.proto" => META_PROTO,
            _ => return self.google.open_file(name),
        };
        File::from_source(name, bundled)
    }
}

/// A registered schema's text: `.proto` text, or a base64 `FileDescriptorProto` (its bytes and
/// the descriptor decoded from them).
enum Registered {
    Text(File),
    Descriptor(Vec<u8>, FileDescriptorProto),
}

fn parse(name: &str, text: &str) -> Result<Registered, DataError> {
    let parse_error = match File::from_source(name, text) {
        Ok(file) => return Ok(Registered::Text(file)),
        Err(e) => e,
    };
    let not_a_schema = || {
        DataError::new(format!(
            "the Protobuf schema {name} is neither .proto text ({parse_error}) nor a base64 FileDescriptorProto"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| not_a_schema())?;
    let proto = FileDescriptorProto::decode(bytes.as_slice()).map_err(|_| not_a_schema())?;
    Ok(Registered::Descriptor(bytes, proto))
}

/// The files `names` compiled with their imports.
fn compile_files(registered: HashMap<String, File>, names: &[String]) -> Result<DescriptorPool, DataError> {
    let mut compiler = protox::Compiler::with_file_resolver(Files {
        registered,
        google: GoogleFileResolver::new(),
    });
    compiler
        .include_imports(true)
        .open_files(names)
        .map_err(|e| DataError::new(format!("the Protobuf schema is invalid: {e}")))?;
    Ok(compiler.descriptor_pool())
}

/// The registered schema `text` compiled, with its imports (`references`, the well-known
/// ones) in the pool.
pub(super) fn compile(text: &str, references: &[ReferencedSchema]) -> Result<FileDescriptor, DataError> {
    let mut registered = HashMap::new();
    for reference in references {
        let file = match parse(&reference.name, &reference.schema)? {
            Registered::Text(file) => file,
            Registered::Descriptor(_, proto) => File::from_file_descriptor_proto(FileDescriptorProto {
                name: Some(reference.name.clone()),
                ..proto
            }),
        };
        registered.insert(reference.name.clone(), file);
    }
    let pool = match parse(SCHEMA_FILE, text)? {
        Registered::Text(schema) => {
            registered.insert(SCHEMA_FILE.to_string(), schema);
            compile_files(registered, &[SCHEMA_FILE.to_string()])?
        }
        Registered::Descriptor(mut bytes, proto) => {
            let mut pool = compile_files(registered, &proto.dependency)?;
            // Decoded by the pool itself, which keeps the options' extensions (the field meta)
            // that `prost_types` drops; renamed by a later `name` field, which wins.
            prost::encoding::string::encode(1, &SCHEMA_FILE.to_string(), &mut bytes);
            pool.decode_file_descriptor_proto(bytes.as_slice())
                .map_err(|e| DataError::new(format!("the Protobuf schema is invalid: {e}")))?;
            pool
        }
    };
    pool.get_file_by_name(SCHEMA_FILE)
        .ok_or_else(|| DataError::new("the compiled Protobuf schema is missing"))
}

/// A registered Protobuf schema (`.proto` text or base64) as an encoded `FileDescriptorProto`,
/// its options' extensions kept: what a client without a `.proto` compiler builds its message
/// classes from.
pub fn encoded_file_descriptor(text: &str) -> Result<Vec<u8>, DataError> {
    Ok(compile(text, &[])?.encode_to_vec())
}
