//! Connect schemas to `.proto` text and Protobuf messages back to Connect schemas, as
//! Confluent's `ProtobufData` maps them (with its default settings): a struct is a proto3
//! message (nested structs, maps and enums defined inside it), `int8` and `int16` are `int32`
//! with a `connect.type` in the field's `(confluent.field_meta)`, Connect's logical types are
//! `confluent.type.Decimal`, `google.type.Date`, `google.type.TimeOfDay` and
//! `google.protobuf.Timestamp`, a map is a repeated `…Entry` message of `key` and `value`, and
//! a `oneof` is an optional struct named `io.confluent.connect.protobuf.Union.<name>`. Read
//! back, every field is optional and carries its tag number in `io.confluent.connect.protobuf.Tag`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor, Value as ProtoValue};

use super::files::WRAPPERS_PROTO;
use crate::converter::registry::scrub_name;
use crate::converter::DataError;
use crate::data::{logical, Schema, SchemaBuilder, SchemaType};

/// The Connect parameter holding a field's tag number.
pub(super) const TAG: &str = "io.confluent.connect.protobuf.Tag";
/// The Connect parameter holding a Protobuf integer type other than `int32`/`int64`.
const PROTOBUF_TYPE: &str = "io.confluent.connect.protobuf.Type";
/// The Connect parameter naming an enum (and, suffixed with `.SYMBOL`, each symbol's number).
const ENUM: &str = "io.confluent.connect.protobuf.Enum";
/// The Connect parameter marking a `oneof` member read from a wrapper message under
/// `wrapper.for.nullables`, so that it is written as that wrapper again.
const WRAPPER: &str = "io.confluent.connect.protobuf.Wrapper";
/// The file of Google's wrapper messages.
const WRAPPERS_FILE: &str = "google/protobuf/wrappers.proto";
/// The name prefix of the struct standing for a `oneof`.
const UNION_PREFIX: &str = "io.confluent.connect.protobuf.Union.";
/// The name of a struct or map that has none (`ConnectDefault1`, `ConnectDefault2`…).
const DEFAULT_NAME: &str = "ConnectDefault";
/// The field meta parameter keeping a Connect `int8` or `int16`.
const CONNECT_TYPE: &str = "connect.type";
/// The Connect parameter holding a decimal's precision.
const PRECISION_PARAMETER: &str = "connect.decimal.precision";
/// The suffix of the message holding one entry of a map.
const MAP_ENTRY_SUFFIX: &str = "Entry";

/// `confluent.type.Decimal`.
pub(super) const DECIMAL_TYPE: &str = "confluent.type.Decimal";
/// `google.type.Date`.
pub(super) const DATE_TYPE: &str = "google.type.Date";
/// `google.type.TimeOfDay`.
pub(super) const TIME_TYPE: &str = "google.type.TimeOfDay";
/// `google.protobuf.Timestamp`.
pub(super) const TIMESTAMP_TYPE: &str = "google.protobuf.Timestamp";

/// How Connect schemas map to Protobuf (Confluent's `ProtobufData` settings of the same names;
/// the default is Confluent's).
#[derive(Debug, Clone, Copy)]
pub(super) struct ProtobufOptions {
    /// `scrub.invalid.names`: names Protobuf does not allow made valid.
    pub scrub_invalid_names: bool,
    /// `optional.for.nullables`: an optional Connect field is a proto3 `optional` field, so
    /// that a null reads back as null; read back, a scalar without `optional` is required.
    pub optional_for_nullables: bool,
    /// `enhanced.protobuf.schema.support`: Connect names read with the package.
    pub enhanced_schema_support: bool,
    /// `int.for.enums`: an enum read as its number (an INT32 with the enum's parameters), not
    /// its symbol.
    pub int_for_enums: bool,
    /// `wrapper.for.nullables`: an optional primitive Connect field (an array's optional
    /// items too) is a field of Google's wrapper message for its type, so that a null reads
    /// back as null; read back, a wrapper field is its optional primitive, and a scalar field
    /// is required.
    pub wrapper_for_nullables: bool,
    /// `generate.struct.for.nulls`: an unset message or `optional` field reads as its default
    /// (a message as a struct of its defaults), not null.
    pub generate_struct_for_nulls: bool,
    /// `flatten.unions`: a `oneof`'s members read as optional fields of the message (first,
    /// as the union struct would be), set only for the member that is.
    pub flatten_unions: bool,
    /// `generate.index.for.unions` (on by default): the field standing for a `oneof` is named
    /// `<oneof>_<index>`, else `<oneof>`.
    pub generate_index_for_unions: bool,
    /// `optional.for.proto2` (on by default): an unset proto2 `optional` scalar reads as null,
    /// else as its default.
    pub optional_for_proto2: bool,
    /// `ignore.default.for.nullables`: a struct's null field is written as null (unset), not
    /// as its Connect default.
    pub ignore_default_for_nullables: bool,
}

impl Default for ProtobufOptions {
    fn default() -> Self {
        ProtobufOptions {
            scrub_invalid_names: false,
            optional_for_nullables: false,
            enhanced_schema_support: false,
            int_for_enums: false,
            wrapper_for_nullables: false,
            generate_struct_for_nulls: false,
            flatten_unions: false,
            generate_index_for_unions: true,
            optional_for_proto2: true,
            ignore_default_for_nullables: false,
        }
    }
}

/// The `.proto` text of a Connect struct schema, and its message's full name.
#[derive(Debug)]
pub(super) struct ProtoText {
    /// The schema as `.proto` text.
    pub text: String,
    /// The full name of the record's message (`package.Name`).
    pub full_name: String,
}

/// The wrapper message a primitive record is written as (Confluent's default: a Connect
/// `int8`…`int32` or a logical type on them as an `Int32Value`…), `None` for a struct, array or map.
pub(super) fn wrapper_for(schema_type: SchemaType) -> Option<&'static str> {
    Some(match schema_type {
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 => "google.protobuf.Int32Value",
        SchemaType::Int64 => "google.protobuf.Int64Value",
        SchemaType::Float32 => "google.protobuf.FloatValue",
        SchemaType::Float64 => "google.protobuf.DoubleValue",
        SchemaType::Boolean => "google.protobuf.BoolValue",
        SchemaType::String => "google.protobuf.StringValue",
        SchemaType::Bytes => "google.protobuf.BytesValue",
        SchemaType::Array | SchemaType::Map | SchemaType::Struct => return None,
    })
}

/// The wrapper message a nullable field of `schema` is written as under
/// `wrapper.for.nullables`: [`wrapper_for`] its type, an unsigned INT64's unsigned wrapper.
fn nullable_wrapper(schema: &Schema) -> Option<&'static str> {
    match (schema.schema_type, parameter(schema, PROTOBUF_TYPE)) {
        (SchemaType::Int64, Some("uint32" | "fixed32")) => Some("google.protobuf.UInt32Value"),
        (SchemaType::Int64, Some("uint64" | "fixed64")) => Some("google.protobuf.UInt64Value"),
        (schema_type, _) => wrapper_for(schema_type),
    }
}

/// The Connect type a record written as a wrapper message reads as
/// (`wrapper.for.raw.primitives`, on by default), and a wrapper field under
/// `wrapper.for.nullables`.
pub(super) fn unwrapped(message: &MessageDescriptor) -> Option<SchemaType> {
    Some(match message.full_name() {
        "google.protobuf.DoubleValue" => SchemaType::Float64,
        "google.protobuf.FloatValue" => SchemaType::Float32,
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" | "google.protobuf.UInt32Value" => {
            SchemaType::Int64
        }
        "google.protobuf.Int32Value" => SchemaType::Int32,
        "google.protobuf.BoolValue" => SchemaType::Boolean,
        "google.protobuf.StringValue" => SchemaType::String,
        "google.protobuf.BytesValue" => SchemaType::Bytes,
        _ => return None,
    })
}

/// The `.proto` text for `schema`: a struct's own, or Google's wrappers for a primitive.
pub(super) fn from_connect(schema: &Schema, options: ProtobufOptions) -> Result<ProtoText, DataError> {
    if let Some(wrapper) = wrapper_for(schema.schema_type) {
        return Ok(ProtoText {
            text: WRAPPERS_PROTO.to_string(),
            full_name: wrapper.to_string(),
        });
    }
    if schema.schema_type != SchemaType::Struct {
        return Err(DataError::new(format!(
            "Unsupported root schema of type {}: a Protobuf record is a struct or a primitive",
            schema.schema_type.name()
        )));
    }
    let mut writer = ToProto {
        options,
        imports: BTreeSet::new(),
        unnamed: 0,
    };
    let full_name = writer.name_or_default(schema.name.as_deref());
    let mut parts: Vec<String> = full_name.split('.').map(|part| writer.scrub(part)).collect();
    let name = parts.pop().unwrap_or_default();
    let package = parts.join(".");
    let mut body = String::new();
    writer.message(&mut body, &name, schema, 0)?;
    let mut text = String::from("syntax = \"proto3\";\n");
    if !package.is_empty() {
        writeln!(text, "package {package};").ok();
    }
    text.push('\n');
    for import in &writer.imports {
        writeln!(text, "import \"{import}\";").ok();
    }
    if !writer.imports.is_empty() {
        text.push('\n');
    }
    text.push_str(&body);
    let full_name = if package.is_empty() {
        name
    } else {
        format!("{package}.{name}")
    };
    Ok(ProtoText { text, full_name })
}

struct ToProto {
    options: ProtobufOptions,
    imports: BTreeSet<&'static str>,
    /// How many default names were given out.
    unnamed: u32,
}

/// What a field's type is written as: the type and its `(confluent.field_meta)` parameters.
type FieldType = (String, BTreeMap<&'static str, String>);

impl ToProto {
    fn scrub(&self, name: &str) -> String {
        if self.options.scrub_invalid_names {
            scrub_name(name, false).into_owned()
        } else {
            name.to_string()
        }
    }

    fn name_or_default(&mut self, name: Option<&str>) -> String {
        match name {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => {
                self.unnamed += 1;
                format!("{DEFAULT_NAME}{}", self.unnamed)
            }
        }
    }

    fn unqualified(&mut self, name: Option<&str>) -> String {
        let full = self.name_or_default(name);
        let last = full.rsplit('.').next().unwrap_or_default();
        self.scrub(last)
    }

    /// Writes `message {name}` for the struct `schema`, its nested types inside it.
    fn message(&mut self, out: &mut String, name: &str, schema: &Schema, depth: usize) -> Result<(), DataError> {
        let pad = "  ".repeat(depth);
        let mut nested = String::new();
        let mut fields = String::new();
        let mut defined = HashSet::new();
        let mut next_tag = 1;
        let mut tag_of = |schema: &Schema| -> Result<u32, DataError> {
            match parameter(schema, TAG) {
                Some(tag) => tag
                    .parse()
                    .map_err(|_| DataError::new(format!("the Protobuf tag {tag:?} is not a number"))),
                None => {
                    next_tag += 1;
                    Ok(next_tag - 1)
                }
            }
        };
        for field in &schema.fields {
            let name = self.scrub(&field.name);
            let field_schema = &field.schema;
            if is_union(field_schema) {
                let union_name = field_schema.name.as_deref().unwrap_or_default();
                let oneof = self.unqualified(Some(&union_name[UNION_PREFIX.len()..]));
                writeln!(fields, "{pad}  oneof {oneof} {{").ok();
                for member in &field_schema.fields {
                    let member_name = self.scrub(&member.name);
                    let tag = tag_of(&member.schema)?;
                    let line = self.field_line(
                        &mut nested,
                        &mut defined,
                        ("", true),
                        &member.schema,
                        &member_name,
                        tag,
                        depth,
                    )?;
                    writeln!(fields, "{pad}    {line}").ok();
                }
                writeln!(fields, "{pad}  }}").ok();
                continue;
            }
            let tag = tag_of(field_schema)?;
            let (label, element) = match field_schema.schema_type {
                SchemaType::Array => {
                    let items = field_schema
                        .value_schema
                        .as_deref()
                        .ok_or_else(|| DataError::new("an array schema without items"))?;
                    if items.schema_type == SchemaType::Array {
                        return Err(DataError::new(format!(
                            "field {}: an array of arrays has no Protobuf type",
                            field.name
                        )));
                    }
                    ("repeated ", items)
                }
                SchemaType::Map => ("repeated ", &**field_schema),
                _ if self.options.optional_for_nullables && field_schema.optional => ("optional ", &**field_schema),
                _ => ("", &**field_schema),
            };
            let line = self.field_line(&mut nested, &mut defined, (label, false), element, &name, tag, depth)?;
            writeln!(fields, "{pad}  {line}").ok();
        }
        writeln!(out, "{pad}message {name} {{").ok();
        out.push_str(&nested);
        out.push_str(&fields);
        writeln!(out, "{pad}}}").ok();
        Ok(())
    }

    /// `label type name = tag [(confluent.field_meta) = …];` for a field of `schema` (a
    /// `oneof` member's when `member`).
    #[allow(clippy::too_many_arguments)]
    fn field_line(
        &mut self,
        nested: &mut String,
        defined: &mut HashSet<String>,
        (label, member): (&str, bool),
        schema: &Schema,
        name: &str,
        tag: u32,
        depth: usize,
    ) -> Result<String, DataError> {
        let (type_name, meta) = self.field_type(nested, defined, schema, (name, member), depth)?;
        let mut line = format!("{label}{type_name} {name} = {tag}");
        if !meta.is_empty() {
            self.imports.insert("confluent/meta.proto");
            let params: Vec<String> = meta
                .iter()
                .map(|(key, value)| format!("{{ key: {}, value: {} }}", quoted(key), quoted(value)))
                .collect();
            write!(
                line,
                " [(confluent.field_meta) = {{ params: [{}] }}]",
                params.join(", ")
            )
            .ok();
        }
        line.push(';');
        Ok(line)
    }

    /// The type of a field of `schema` (an array's items; a `oneof` member's when `member`),
    /// defining what it needs in `nested`.
    fn field_type(
        &mut self,
        nested: &mut String,
        defined: &mut HashSet<String>,
        schema: &Schema,
        (field_name, member): (&str, bool),
        depth: usize,
    ) -> Result<FieldType, DataError> {
        let mut meta = BTreeMap::new();
        let logical = match schema.name.as_deref() {
            Some(logical::DECIMAL) => {
                self.imports.insert("confluent/type/decimal.proto");
                if let Some(precision) = parameter(schema, PRECISION_PARAMETER) {
                    meta.insert("precision", precision.to_string());
                }
                if let Some(scale) = parameter(schema, logical::DECIMAL_SCALE) {
                    meta.insert("scale", scale.to_string());
                }
                Some(DECIMAL_TYPE)
            }
            Some(logical::DATE) => Some(self.import("google/type/date.proto", DATE_TYPE)),
            Some(logical::TIME) => Some(self.import("google/type/timeofday.proto", TIME_TYPE)),
            Some(logical::TIMESTAMP) => Some(self.import("google/protobuf/timestamp.proto", TIMESTAMP_TYPE)),
            _ => None,
        };
        if let Some(logical) = logical {
            return Ok((logical.to_string(), meta));
        }
        match schema.schema_type {
            SchemaType::Int8 => meta.insert(CONNECT_TYPE, "int8".to_string()),
            SchemaType::Int16 => meta.insert(CONNECT_TYPE, "int16".to_string()),
            _ => None,
        };
        // A plain oneof member is nullable by its oneof: wrapped only if it was read from a wrapper.
        let wrapped = self.options.wrapper_for_nullables
            && schema.optional
            && parameter(schema, ENUM).is_none()
            && (!member || parameter(schema, WRAPPER) == Some("true"));
        if let Some(wrapper) = nullable_wrapper(schema).filter(|_| wrapped) {
            self.imports.insert(WRAPPERS_FILE);
            return Ok((wrapper.to_string(), meta));
        }
        let type_name = match schema.schema_type {
            SchemaType::Int8 | SchemaType::Int16 => "int32".to_string(),
            SchemaType::Int32 | SchemaType::String if parameter(schema, ENUM).is_some() => {
                self.enumeration(nested, defined, schema, depth)?
            }
            SchemaType::Int32 => parameter(schema, PROTOBUF_TYPE).unwrap_or("int32").to_string(),
            SchemaType::Int64 => parameter(schema, PROTOBUF_TYPE).unwrap_or("int64").to_string(),
            SchemaType::Float32 => "float".to_string(),
            SchemaType::Float64 => "double".to_string(),
            SchemaType::Boolean => "bool".to_string(),
            SchemaType::String => "string".to_string(),
            SchemaType::Bytes => "bytes".to_string(),
            SchemaType::Array => return Err(DataError::new("Array cannot be nested")),
            SchemaType::Map => {
                let entry = to_map_entry(&self.unqualified(schema.name.as_deref()));
                let (keys, values) = match (&schema.key_schema, &schema.value_schema) {
                    (Some(keys), Some(values)) => (keys, values),
                    _ => return Err(DataError::new("a map schema without key or value schema")),
                };
                let entry_schema = SchemaBuilder::structure()
                    .field("key", keys.to_builder().parameter(TAG, "1").build())
                    .field("value", values.to_builder().parameter(TAG, "2").build())
                    .build();
                self.message(nested, &entry, &entry_schema, depth + 1)?;
                entry
            }
            SchemaType::Struct => {
                let mut name = self.unqualified(schema.name.as_deref());
                if name == field_name {
                    // A message type may not share its field's name.
                    name.push_str("Message");
                }
                if defined.insert(name.clone()) {
                    self.message(nested, &name, schema, depth + 1)?;
                }
                name
            }
        };
        Ok((type_name, meta))
    }

    fn import(&mut self, file: &'static str, type_name: &'static str) -> &'static str {
        self.imports.insert(file);
        type_name
    }

    /// Defines (once in a message) the enum a string or int32 `schema` stands for.
    fn enumeration(
        &mut self,
        nested: &mut String,
        defined: &mut HashSet<String>,
        schema: &Schema,
        depth: usize,
    ) -> Result<String, DataError> {
        let name = self.unqualified(schema.name.as_deref().or(parameter(schema, ENUM)));
        if defined.insert(name.clone()) {
            let prefix = format!("{ENUM}.");
            let mut symbols: Vec<(i32, &str)> = Vec::new();
            for (key, number) in schema.parameters.iter().flatten() {
                if let Some(symbol) = key.strip_prefix(&prefix) {
                    let number = number
                        .parse()
                        .map_err(|_| DataError::new(format!("enum {name}: the number of {symbol} is {number:?}")))?;
                    symbols.push((number, symbol));
                }
            }
            symbols.sort();
            let pad = "  ".repeat(depth + 1);
            writeln!(nested, "{pad}enum {name} {{").ok();
            for (number, symbol) in symbols {
                writeln!(nested, "{pad}  {symbol} = {number};").ok();
            }
            writeln!(nested, "{pad}}}").ok();
        }
        Ok(name)
    }
}

/// A string literal of the `.proto` language.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn parameter<'a>(schema: &'a Schema, key: &str) -> Option<&'a str> {
    schema.parameters.as_ref()?.get(key).map(String::as_str)
}

/// Whether `schema` is the struct standing for a `oneof`.
pub(super) fn is_union(schema: &Schema) -> bool {
    schema.schema_type == SchemaType::Struct && schema.name.as_deref().is_some_and(|n| n.starts_with(UNION_PREFIX))
}

/// A map's entry message name: `snake_case` made `UpperCamel`, then `Entry` (Guava's
/// `LOWER_UNDERSCORE` to `UPPER_CAMEL`, as Confluent's `ProtobufSchema.toMapEntry`).
fn to_map_entry(name: &str) -> String {
    let camel = if name.contains('_') {
        name.split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase())
                    .unwrap_or_default()
            })
            .collect()
    } else {
        name.to_string()
    };
    camel + MAP_ENTRY_SUFFIX
}

/// A map's Connect name from its entry message: `FooBarEntry` → `foo_bar`.
fn to_map_name(entry: &str) -> String {
    let Some(camel) = entry.strip_suffix(MAP_ENTRY_SUFFIX) else {
        return entry.to_string();
    };
    let mut snake = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// Whether `message` is a map's entry: protoc's `map<…>` or Confluent's `…Entry` message.
pub(super) fn is_map_entry(message: &MessageDescriptor) -> bool {
    message.is_map_entry()
        || (message.name().ends_with(MAP_ENTRY_SUFFIX)
            && message.fields().len() == 2
            && message.get_field(1).is_some_and(|f| f.name() == "key")
            && message.get_field(2).is_some_and(|f| f.name() == "value"))
}

/// The name of the Connect field standing for a `oneof`: its name and its index (its name
/// alone without `generate.index.for.unions`).
pub(super) fn union_field_name(oneof: &OneofDescriptor, options: ProtobufOptions) -> String {
    if !options.generate_index_for_unions {
        return oneof.name().to_string();
    }
    let index = oneof
        .parent_message()
        .oneofs()
        .position(|o| o.name() == oneof.name())
        .unwrap_or_default();
    format!("{}_{index}", oneof.name())
}

/// Whether `field` is declared `optional` (proto3's `optional`, or a proto2 `optional` outside
/// a `oneof`), as Confluent's ProtobufData tells it.
pub(super) fn has_optional_keyword(field: &FieldDescriptor) -> bool {
    field.field_descriptor_proto().proto3_optional()
        || (field.parent_file().syntax() == prost_reflect::Syntax::Proto2
            && field.cardinality() == prost_reflect::Cardinality::Optional
            && field.containing_oneof().is_none())
}

/// The Connect schema of records written as `message`: a primitive's for Google's wrappers.
pub(super) fn to_connect(message: &MessageDescriptor, options: ProtobufOptions) -> Result<Arc<Schema>, DataError> {
    if let Some(primitive) = unwrapped(message) {
        return Ok(Schema::of(primitive));
    }
    let mut reader = ToConnect {
        options,
        open: Vec::new(),
    };
    Ok(reader.message(message)?.build())
}

struct ToConnect {
    options: ProtobufOptions,
    /// The messages being mapped, to refuse a recursive one.
    open: Vec<String>,
}

impl ToConnect {
    fn message(&mut self, message: &MessageDescriptor) -> Result<SchemaBuilder, DataError> {
        let full_name = message.full_name().to_string();
        if self.open.contains(&full_name) {
            return Err(DataError::new(format!(
                "the Protobuf message {full_name} contains itself, which a Connect schema cannot"
            )));
        }
        let mut builder = SchemaBuilder::structure().name(self.name(message.name(), &full_name));
        self.open.push(full_name);
        for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
            if self.options.flatten_unions {
                for member in oneof.fields() {
                    builder = builder.field(member.name(), self.field(&member, true)?);
                }
                continue;
            }
            let union_name = format!("{UNION_PREFIX}{}", self.name(oneof.name(), oneof.full_name()));
            let mut union = SchemaBuilder::structure().name(&union_name);
            for member in oneof.fields() {
                union = union.field(member.name(), self.field(&member, true)?);
            }
            builder = builder.field(&union_field_name(&oneof, self.options), union.optional().build());
        }
        for field in message.fields() {
            if field.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
                continue;
            }
            builder = builder.field(field.name(), self.field(&field, false)?);
        }
        self.open.pop();
        Ok(builder)
    }

    /// A message's, enum's or oneof's Connect name: simple, or full with
    /// `enhanced.protobuf.schema.support`.
    fn name<'a>(&self, name: &'a str, full_name: &'a str) -> &'a str {
        if self.options.enhanced_schema_support {
            full_name
        } else {
            name
        }
    }

    fn field(&mut self, field: &FieldDescriptor, oneof_member: bool) -> Result<Arc<Schema>, DataError> {
        let meta = field_meta(field);
        let type_name = |kind: &str| -> Option<String> { Some(kind.to_string()) };
        let (mut builder, protobuf_type) = match field.kind() {
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                let schema_type = match meta.get(CONNECT_TYPE).map(String::as_str) {
                    Some("int8") => SchemaType::Int8,
                    Some("int16") => SchemaType::Int16,
                    _ => SchemaType::Int32,
                };
                let protobuf_type = match field.kind() {
                    Kind::Sint32 => type_name("sint32"),
                    Kind::Sfixed32 => type_name("sfixed32"),
                    _ => None,
                };
                (SchemaBuilder::new(schema_type), protobuf_type)
            }
            kind @ (Kind::Uint32
            | Kind::Fixed32
            | Kind::Int64
            | Kind::Uint64
            | Kind::Sint64
            | Kind::Fixed64
            | Kind::Sfixed64) => {
                let protobuf_type = match kind {
                    Kind::Uint32 => type_name("uint32"),
                    Kind::Fixed32 => type_name("fixed32"),
                    Kind::Uint64 => type_name("uint64"),
                    Kind::Sint64 => type_name("sint64"),
                    Kind::Fixed64 => type_name("fixed64"),
                    Kind::Sfixed64 => type_name("sfixed64"),
                    _ => None,
                };
                (SchemaBuilder::new(SchemaType::Int64), protobuf_type)
            }
            Kind::Float => (SchemaBuilder::new(SchemaType::Float32), None),
            Kind::Double => (SchemaBuilder::new(SchemaType::Float64), None),
            Kind::Bool => (SchemaBuilder::new(SchemaType::Boolean), None),
            Kind::String => (SchemaBuilder::new(SchemaType::String), None),
            Kind::Bytes => (SchemaBuilder::new(SchemaType::Bytes), None),
            Kind::Enum(enumeration) => {
                let schema_type = match self.options.int_for_enums {
                    true => SchemaType::Int32,
                    false => SchemaType::String,
                };
                let mut builder = SchemaBuilder::new(schema_type)
                    .name(self.name(enumeration.name(), enumeration.full_name()))
                    .parameter(ENUM, enumeration.name());
                for value in enumeration.values() {
                    builder = builder.parameter(&format!("{ENUM}.{}", value.name()), &value.number().to_string());
                }
                (builder, None)
            }
            Kind::Message(message) => {
                let builder = match message.full_name() {
                    DECIMAL_TYPE => {
                        let scale = meta.get("scale").and_then(|s| s.parse().ok()).unwrap_or(0);
                        let builder = SchemaBuilder::decimal(scale);
                        match meta.get("precision").filter(|p| p.parse::<u32>().is_ok()) {
                            Some(precision) => builder.parameter(PRECISION_PARAMETER, precision),
                            None => builder,
                        }
                    }
                    DATE_TYPE => SchemaBuilder::date(),
                    TIME_TYPE => SchemaBuilder::time(),
                    TIMESTAMP_TYPE => SchemaBuilder::timestamp(),
                    _ if field.is_map() || (field.is_list() && is_map_entry(&message)) => {
                        let key = message
                            .get_field(1)
                            .ok_or_else(|| DataError::new("a map entry without a key"))?;
                        let value = message
                            .get_field(2)
                            .ok_or_else(|| DataError::new("a map entry without a value"))?;
                        let builder = SchemaBuilder::map(self.field(&key, false)?, self.field(&value, false)?)
                            .name(&to_map_name(self.name(message.name(), message.full_name())));
                        return Ok(builder.optional().parameter(TAG, &field.number().to_string()).build());
                    }
                    _ => match unwrapped(&message).filter(|_| self.options.wrapper_for_nullables) {
                        Some(primitive) => SchemaBuilder::new(primitive),
                        None => self.message(&message)?,
                    },
                };
                (builder, None)
            }
        };
        if let Some(protobuf_type) = protobuf_type {
            builder = builder.parameter(PROTOBUF_TYPE, &protobuf_type);
        }
        if field.is_list() {
            builder = SchemaBuilder::array(builder.optional().build());
        }
        // Optional, but for a scalar without `optional` under `optional.for.nullables`, and
        // any scalar under `wrapper.for.nullables` alone.
        let scalar_optional = match self.options.optional_for_nullables {
            true => has_optional_keyword(field),
            false => !self.options.wrapper_for_nullables,
        };
        let optional = oneof_member
            || scalar_optional
            || field.is_list()
            || matches!(field.kind(), Kind::Message(_) | Kind::Enum(_));
        if optional {
            builder = builder.optional();
        }
        if let (true, true, Kind::Message(message)) = (oneof_member, self.options.wrapper_for_nullables, field.kind()) {
            if unwrapped(&message).is_some() {
                builder = builder.parameter(WRAPPER, "true");
            }
        }
        Ok(builder.parameter(TAG, &field.number().to_string()).build())
    }
}

/// The parameters of a field's `(confluent.field_meta)` option.
pub(super) fn field_meta(field: &FieldDescriptor) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let Some(extension) = field.parent_pool().get_extension_by_name("confluent.field_meta") else {
        return params;
    };
    let options = field.options();
    if !options.has_extension(&extension) {
        return params;
    }
    if let ProtoValue::Message(meta) = &*options.get_extension(&extension) {
        if let Some(ProtoValue::Map(entries)) = meta.get_field_by_name("params").as_deref() {
            for (key, value) in entries {
                if let (prost_reflect::MapKey::String(key), ProtoValue::String(value)) = (key, value) {
                    params.insert(key.clone(), value.clone());
                }
            }
        }
    }
    params
}
