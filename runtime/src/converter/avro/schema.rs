//! Connect schemas to Avro schemas and back, as Confluent's `AvroData` maps them: `int8` and
//! `int16` as `int` with a `connect.type`, optional schemas as unions with `null`, maps with
//! other than string keys as arrays of `MapEntry` records, Connect's logical types as Avro's
//! (`decimal`, `date`, `time-millis`, `timestamp-millis`), and the Connect name, version, doc,
//! parameters and default kept in `connect.*` properties. Avro's enums read as named strings
//! whose parameters hold the enum's name and symbols, and its fixed types as named bytes with
//! their size; a named bytes schema with a size is written as a fixed again, and an enum's
//! string as an enum with `enhanced.avro.schema.support` (as a plain string without).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Map, Value as Json};

use crate::converter::registry::{scrub_name, with_connect_parameters};
use crate::converter::DataError;
use crate::data::{logical, Parameters, Schema, SchemaBuilder, SchemaType, Value};

/// The namespace of the names Confluent's converters make up.
pub(super) const NAMESPACE: &str = "io.confluent.connect.avro";
/// The name of a struct that has none (then `ConnectDefault2`, `ConnectDefault3`…).
const DEFAULT_NAME: &str = "ConnectDefault";
/// The record holding one entry of a map whose keys are not strings.
const MAP_ENTRY: &str = "MapEntry";
/// The Connect struct standing for a general union.
pub(super) const UNION: &str = "io.confluent.connect.avro.Union";
/// Connect's parameters naming an enum and its symbols.
const ENUM: &str = "io.confluent.connect.avro.Enum";
/// The Connect parameter of an enum's doc, its short name after the prefix.
const ENUM_DOC: &str = "io.confluent.connect.avro.enum.doc.";
/// The Connect parameter of an enum's default symbol, its short name after the prefix.
const ENUM_DEFAULT: &str = "io.confluent.connect.avro.enum.default.";
/// Avro's primitive types.
pub(super) const PRIMITIVES: [&str; 8] = ["int", "long", "float", "double", "boolean", "string", "bytes", "null"];
/// The precision of a decimal when its Connect schema gives none.
const DEFAULT_PRECISION: u32 = 64;
/// The Connect parameter holding a decimal's precision.
const PRECISION_PARAMETER: &str = "connect.decimal.precision";
/// The Connect parameter holding a fixed's size.
const FIXED_SIZE_PARAMETER: &str = "connect.fixed.size";

/// How the mapping is done: `connect.meta.data`, `scrub.invalid.names`,
/// `enhanced.avro.schema.support`.
#[derive(Debug, Clone, Copy)]
pub(super) struct AvroOptions {
    /// Whether to write the `connect.*` properties, and to read an enum's doc and default into
    /// parameters (true by default, as Confluent's).
    pub connect_meta_data: bool,
    /// Whether names Avro does not allow (a topic prefix with `-` in a record name) are made
    /// valid, as Confluent's `scrub.invalid.names` makes them; false by default.
    pub scrub_invalid_names: bool,
    /// Whether an enum's string is written as the Avro enum it was read from, and a general
    /// union's members are named by their full names (false by default, as Confluent's).
    pub enhanced_schema_support: bool,
    /// `ignore.default.for.nullables`: a struct's null field is written as null, not as its
    /// Connect default (false by default, as Confluent's).
    pub ignore_default_for_nullables: bool,
    /// `allow.optional.map.keys`: a map whose keys are optional strings is an Avro map, not an
    /// array of key/value records (false by default, as Confluent's).
    pub allow_optional_map_keys: bool,
    /// `flatten.singleton.unions`: a union of one type reads as that type, not as a union
    /// struct of one field (true by default, as Confluent's).
    pub flatten_singleton_unions: bool,
}

/// The Avro schema (as JSON) for a Connect schema.
pub(super) fn from_connect(schema: &Schema, options: AvroOptions) -> Result<Json, DataError> {
    let mut writer = ToAvro {
        options,
        defined: HashMap::new(),
        unnamed: 0,
    };
    writer.schema(schema, false)
}

struct ToAvro {
    options: AvroOptions,
    /// Named types (records, fixed types, enums) already written, by full name: later uses
    /// refer to them by name.
    defined: HashMap<String, Schema>,
    unnamed: usize,
}

impl ToAvro {
    fn schema(&mut self, schema: &Schema, ignore_optional: bool) -> Result<Json, DataError> {
        // Connect's stand-in for a general union: the union of its fields' schemas (null first
        // when it is optional), with no properties of its own.
        if schema.schema_type == SchemaType::Struct && schema.name.as_deref() == Some(UNION) {
            let null = schema.optional.then(|| json!("null"));
            let members: Vec<Json> = schema
                .fields
                .iter()
                .map(|field| self.schema(&field.schema, true))
                .collect::<Result<_, _>>()?;
            return Ok(Json::Array(null.into_iter().chain(members).collect()));
        }
        if schema.optional && !ignore_optional {
            let base = self.schema(schema, true)?;
            // A default other than null must be the union's first branch.
            return Ok(if schema.default.as_ref().is_some_and(|d| !d.is_null()) {
                json!([base, "null"])
            } else {
                json!(["null", base])
            });
        }
        let mut connect_type = None;
        let mut base = match schema.schema_type {
            SchemaType::Int8 => {
                connect_type = Some("int8");
                json!({"type": "int"})
            }
            SchemaType::Int16 => {
                connect_type = Some("int16");
                json!({"type": "int"})
            }
            SchemaType::Int32 => json!({"type": "int"}),
            SchemaType::Int64 => json!({"type": "long"}),
            SchemaType::Float32 => json!({"type": "float"}),
            SchemaType::Float64 => json!({"type": "double"}),
            SchemaType::Boolean => json!({"type": "boolean"}),
            SchemaType::String => match schema.parameters.as_ref().filter(|p| p.contains_key(ENUM)) {
                Some(parameters) if self.options.enhanced_schema_support => {
                    match self.enum_definition(schema, parameters)? {
                        Named::Defined(definition) => definition,
                        Named::Reference(name) => return Ok(name),
                    }
                }
                _ => json!({"type": "string"}),
            },
            SchemaType::Bytes => match (&schema.name, parameter(schema, FIXED_SIZE_PARAMETER)) {
                (Some(name), Some(size)) => {
                    let size: u64 = size
                        .parse()
                        .map_err(|_| DataError::new(format!("the fixed size {size} of {name} is no number")))?;
                    let full_name = self.avro_name(name);
                    match self.define(&full_name, schema)? {
                        Named::Reference(name) => return Ok(name),
                        Named::Defined(()) => {
                            let (namespace, name) = split_name(&full_name);
                            json!({"type": "fixed", "name": name, "namespace": namespace, "size": size})
                        }
                    }
                }
                _ => json!({"type": "bytes"}),
            },
            SchemaType::Array => {
                let items = self.schema(element(schema, "array")?, false)?;
                json!({"type": "array", "items": items})
            }
            SchemaType::Map => {
                let keys = schema
                    .key_schema
                    .as_deref()
                    .ok_or_else(|| DataError::new("a map schema has no key schema"))?;
                let values = element(schema, "map")?;
                if keys.schema_type == SchemaType::String && (!keys.optional || self.options.allow_optional_map_keys) {
                    json!({"type": "map", "values": self.schema(values, false)?})
                } else {
                    let (namespace, name) = match &schema.name {
                        Some(full) => split_name(&self.avro_name(full)),
                        None => (NAMESPACE.to_string(), MAP_ENTRY.to_string()),
                    };
                    let mut entry = json!({
                        "type": "record",
                        "name": name,
                        "namespace": namespace,
                        "fields": [self.field("key", keys)?, self.field("value", values)?],
                    });
                    if schema.name.is_some() {
                        entry["connect.internal.type"] = json!(MAP_ENTRY);
                    }
                    json!({"type": "array", "items": entry})
                }
            }
            SchemaType::Struct => {
                let full_name = match &schema.name {
                    Some(name) => name.clone(),
                    None => {
                        self.unnamed += 1;
                        match self.unnamed {
                            1 => format!("{NAMESPACE}.{DEFAULT_NAME}"),
                            n => format!("{NAMESPACE}.{DEFAULT_NAME}{n}"),
                        }
                    }
                };
                let full_name = self.avro_name(&full_name);
                if let Named::Reference(name) = self.define(&full_name, schema)? {
                    return Ok(name);
                }
                let (namespace, name) = split_name(&full_name);
                let mut fields = Vec::with_capacity(schema.fields.len());
                for field in &schema.fields {
                    let name = self.avro_name(&field.name);
                    fields.push(self.field(&name, &field.schema)?);
                }
                let mut record = json!({"type": "record", "name": name, "namespace": namespace, "fields": fields});
                if let Some(doc) = schema.doc.as_deref().filter(|_| !self.options.connect_meta_data) {
                    record["doc"] = json!(doc);
                }
                record
            }
        };
        let props = base
            .as_object_mut()
            .ok_or_else(|| DataError::new("internal: not an object"))?;
        if self.options.connect_meta_data {
            if let Some(doc) = &schema.doc {
                props.insert("connect.doc".into(), json!(doc));
            }
            if let Some(version) = schema.version {
                props.insert("connect.version".into(), json!(version));
            }
            if let Some(parameters) = schema.parameters.as_ref().filter(|p| !p.is_empty()) {
                props.insert("connect.parameters".into(), json!(parameters));
            }
            if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
                props.insert("connect.default".into(), default_json(schema, default)?);
            }
            if let Some(name) = &schema.name {
                props.insert("connect.name".into(), json!(name));
            }
            if let Some(connect_type) = connect_type {
                props.insert("connect.type".into(), json!(connect_type));
            }
        }
        match schema.name.as_deref() {
            Some(logical::DECIMAL) => {
                let parameter = |key: &str| schema.parameters.as_ref().and_then(|p| p.get(key));
                let scale: i64 = parameter(logical::DECIMAL_SCALE)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let precision: i64 = parameter(PRECISION_PARAMETER)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(i64::from(DEFAULT_PRECISION));
                props.insert("scale".into(), json!(scale));
                props.insert("precision".into(), json!(precision));
                if (0..=precision).contains(&scale) {
                    props.insert("logicalType".into(), json!("decimal"));
                }
            }
            Some(logical::DATE) => {
                props.insert("logicalType".into(), json!("date"));
            }
            Some(logical::TIME) => {
                props.insert("logicalType".into(), json!("time-millis"));
            }
            Some(logical::TIMESTAMP) => {
                props.insert("logicalType".into(), json!("timestamp-millis"));
            }
            _ => {}
        }
        Ok(base)
    }

    /// Defines the named type `full_name` for `schema`, or refers to it by name where it was
    /// defined before (the same schema, perhaps optional where it was required).
    fn define(&mut self, full_name: &str, schema: &Schema) -> Result<Named<()>, DataError> {
        if let Some(earlier) = self.defined.get(full_name) {
            if earlier.fields == schema.fields
                && earlier.version == schema.version
                && earlier.parameters == schema.parameters
            {
                return Ok(Named::Reference(json!(full_name)));
            }
            return Err(DataError::new(format!(
                "two different schemas are named {full_name}; Avro needs one schema per name"
            )));
        }
        self.defined.insert(full_name.to_string(), schema.clone());
        Ok(Named::Defined(()))
    }

    /// The Avro enum of a string schema with an enum's `parameters`: named by them, its symbols
    /// theirs in order, its doc and default those kept for the schema's short name (a schema of
    /// no name takes the next made-up one, as Confluent's does).
    fn enum_definition(&mut self, schema: &Schema, parameters: &Parameters) -> Result<Named<Json>, DataError> {
        let short_name = match &schema.name {
            Some(name) => split_name(name).1,
            None => {
                self.unnamed += 1;
                match self.unnamed {
                    1 => DEFAULT_NAME.to_string(),
                    n => format!("{DEFAULT_NAME}{n}"),
                }
            }
        };
        let full_name = &parameters[ENUM];
        if let Named::Reference(name) = self.define(full_name, schema)? {
            return Ok(Named::Reference(name));
        }
        let prefix = format!("{ENUM}.");
        let symbols: Vec<&str> = parameters.keys().filter_map(|key| key.strip_prefix(&prefix)).collect();
        let (namespace, name) = split_name(full_name);
        let mut definition = json!({"type": "enum", "name": name, "namespace": namespace, "symbols": symbols});
        if let Some(doc) = parameters.get(&format!("{ENUM_DOC}{short_name}")) {
            definition["doc"] = json!(doc);
        }
        if let Some(default) = parameters.get(&format!("{ENUM_DEFAULT}{short_name}")) {
            definition["default"] = json!(default);
        }
        Ok(Named::Defined(definition))
    }

    /// A (full) name as the Avro schema carries it: each part scrubbed when asked.
    fn avro_name(&self, full: &str) -> String {
        if !self.options.scrub_invalid_names {
            return full.to_string();
        }
        full.split('.')
            .map(|part| scrub_name(part, true))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn field(&mut self, name: &str, schema: &Schema) -> Result<Json, DataError> {
        let mut field = json!({"name": name, "type": self.schema(schema, false)?});
        match &schema.default {
            Some(default) if !default.is_null() => field["default"] = default_json(schema, default)?,
            _ if schema.optional => field["default"] = Json::Null,
            _ => {}
        }
        Ok(field)
    }
}

/// A named Avro type met while writing a schema: its definition, or (met again) its name.
enum Named<T> {
    Defined(T),
    Reference(Json),
}

/// The parameter `key` of `schema`.
fn parameter<'a>(schema: &'a Schema, key: &str) -> Option<&'a str> {
    schema.parameters.as_ref()?.get(key).map(String::as_str)
}

fn element<'a>(schema: &'a Schema, kind: &str) -> Result<&'a Schema, DataError> {
    schema
        .value_schema
        .as_deref()
        .ok_or_else(|| DataError::new(format!("an {kind} schema has no value schema")))
}

/// `a.b.C` as (`a.b`, `C`); a name without a dot is in no namespace.
fn split_name(full: &str) -> (String, String) {
    match full.rsplit_once('.') {
        Some((namespace, name)) => (namespace.to_string(), name.to_string()),
        None => (String::new(), full.to_string()),
    }
}

/// A Connect default as Avro writes defaults (bytes as ISO-8859-1 text).
fn default_json(schema: &Schema, value: &Value) -> Result<Json, DataError> {
    Ok(match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int8(n) => json!(n),
        Value::Int16(n) => json!(n),
        Value::Int32(n) => json!(n),
        Value::Int64(n) => json!(n),
        Value::Float32(n) => json!(n),
        Value::Float64(n) => json!(n),
        Value::String(s) => json!(s),
        Value::Bytes(b) => json!(b.iter().map(|&byte| char::from(byte)).collect::<String>()),
        Value::Array(items) => {
            let element = element(schema, "array")?;
            Json::Array(
                items
                    .iter()
                    .map(|v| default_json(element, v))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(entries) => {
            let values = element(schema, "map")?;
            let mut object = Map::new();
            for (key, value) in entries {
                let Value::String(key) = key else {
                    return Err(DataError::new("a map default with other than string keys"));
                };
                object.insert(key.clone(), default_json(values, value)?);
            }
            Json::Object(object)
        }
        Value::Struct(s) => {
            let mut object = Map::new();
            for (field, value) in s.iter() {
                object.insert(field.name.clone(), default_json(&field.schema, value)?);
            }
            Json::Object(object)
        }
    })
}

/// The Connect schema for an Avro schema (as JSON), reading back the `connect.*` properties.
pub(super) fn to_connect(avro: &Json, options: AvroOptions) -> Result<Arc<Schema>, DataError> {
    ToConnect {
        options,
        named: HashMap::new(),
        open: Vec::new(),
    }
    .schema(avro, None)
}

struct ToConnect {
    options: AvroOptions,
    /// Named types seen so far, by full name.
    named: HashMap<String, Arc<Schema>>,
    /// Records being read (a reference to one is a recursive schema).
    open: Vec<String>,
}

impl ToConnect {
    fn schema(&mut self, avro: &Json, namespace: Option<&str>) -> Result<Arc<Schema>, DataError> {
        let object = match avro {
            Json::String(name) => return self.named_or_primitive(name, namespace),
            Json::Array(branches) => return self.union(branches, namespace),
            Json::Object(object) => object,
            other => return Err(DataError::new(format!("not an Avro schema: {other}"))),
        };
        let kind = object
            .get("type")
            .ok_or_else(|| DataError::new("an Avro schema without a type"))?;
        let kind = match kind {
            Json::String(kind) => kind.as_str(),
            nested => return self.schema(nested, namespace),
        };
        let prop = |key: &str| object.get(key);
        let logical_type = prop("logicalType").and_then(Json::as_str);
        let mut builder = match kind {
            "int" => match (prop("connect.type").and_then(Json::as_str), logical_type) {
                (Some("int8"), _) => SchemaBuilder::new(SchemaType::Int8),
                (Some("int16"), _) => SchemaBuilder::new(SchemaType::Int16),
                (_, Some("date")) => SchemaBuilder::date(),
                (_, Some("time-millis")) => SchemaBuilder::time(),
                _ => SchemaBuilder::new(SchemaType::Int32),
            },
            "long" => match logical_type {
                Some("timestamp-millis") => SchemaBuilder::timestamp(),
                _ => SchemaBuilder::new(SchemaType::Int64),
            },
            "float" => SchemaBuilder::new(SchemaType::Float32),
            "double" => SchemaBuilder::new(SchemaType::Float64),
            "boolean" => SchemaBuilder::new(SchemaType::Boolean),
            "string" => SchemaBuilder::new(SchemaType::String),
            "bytes" | "fixed" => {
                let mut builder = match logical_type {
                    Some("decimal") => {
                        let scale = prop("scale").and_then(Json::as_i64).unwrap_or(0);
                        let mut builder = SchemaBuilder::decimal(scale as i32);
                        // Kept as a parameter only when it is not the default, as Confluent's.
                        if let Some(precision) = prop("precision")
                            .and_then(Json::as_i64)
                            .filter(|p| *p != i64::from(DEFAULT_PRECISION))
                        {
                            builder = builder.parameter(PRECISION_PARAMETER, &precision.to_string());
                        }
                        builder
                    }
                    _ => SchemaBuilder::new(SchemaType::Bytes),
                };
                if kind == "fixed" {
                    let size = prop("size").and_then(Json::as_u64).unwrap_or(0);
                    builder = builder.parameter(FIXED_SIZE_PARAMETER, &size.to_string());
                    let name = full_name(object, namespace)?;
                    // Named by its full name, but for a decimal.
                    if logical_type != Some("decimal") && !is_default_name(&name) {
                        builder = builder.name(&name);
                    }
                    builder = connect_properties(builder, object)?;
                    let schema = builder.build();
                    self.named.insert(name, schema.clone());
                    return Ok(schema);
                }
                builder
            }
            "enum" => {
                let name = full_name(object, namespace)?;
                let mut builder = SchemaBuilder::new(SchemaType::String);
                if !is_default_name(&name) {
                    builder = builder.name(&name);
                }
                let short_name = split_name(&name).1;
                if self.options.connect_meta_data {
                    if let Some(doc) = prop("doc").and_then(Json::as_str) {
                        builder = builder.parameter(&format!("{ENUM_DOC}{short_name}"), doc);
                    }
                    if let Some(default) = prop("default").and_then(Json::as_str) {
                        builder = builder.parameter(&format!("{ENUM_DEFAULT}{short_name}"), default);
                    }
                }
                builder = builder.parameter(ENUM, &name);
                for symbol in prop("symbols").and_then(Json::as_array).into_iter().flatten() {
                    if let Some(symbol) = symbol.as_str() {
                        builder = builder.parameter(&format!("{ENUM}.{symbol}"), symbol);
                    }
                }
                builder = connect_properties(builder, object)?;
                let schema = builder.build();
                self.named.insert(name, schema.clone());
                return Ok(schema);
            }
            "array" => {
                let items = prop("items").ok_or_else(|| DataError::new("an Avro array without items"))?;
                match self.map_entry(items, namespace)? {
                    Some(map) => map,
                    None => SchemaBuilder::array(self.schema(items, namespace)?),
                }
            }
            "map" => {
                let values = prop("values").ok_or_else(|| DataError::new("an Avro map without values"))?;
                SchemaBuilder::map(Schema::string(), self.schema(values, namespace)?)
            }
            "record" => return self.record(object, namespace),
            "null" => return Err(DataError::new("an Avro schema of type null has no Connect schema")),
            other => return self.named_or_primitive(other, namespace),
        };
        builder = connect_properties(builder, object)?;
        Ok(builder.build())
    }

    fn named_or_primitive(&mut self, name: &str, namespace: Option<&str>) -> Result<Arc<Schema>, DataError> {
        if PRIMITIVES.contains(&name) {
            return self.schema(&json!({ "type": name }), namespace);
        }
        let full = match namespace {
            Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
            _ => name.to_string(),
        };
        if self.open.contains(&full) {
            return Err(DataError::new(format!(
                "the Avro schema {full} refers to itself; Connect schemas cannot be recursive"
            )));
        }
        self.named
            .get(&full)
            .or_else(|| self.named.get(name))
            .cloned()
            .ok_or_else(|| DataError::new(format!("the Avro schema refers to {full}, which it does not define")))
    }

    fn union(&mut self, branches: &[Json], namespace: Option<&str>) -> Result<Arc<Schema>, DataError> {
        if let ([only], true) = (branches, self.options.flatten_singleton_unions) {
            return self.schema(only, namespace);
        }
        let is_null = |b: &Json| b == "null" || b.get("type").is_some_and(|t| t == "null");
        let others: Vec<&Json> = branches.iter().filter(|b| !is_null(b)).collect();
        let nullable = others.len() < branches.len();
        if let ([only], true) = (others.as_slice(), nullable) {
            return Ok(self.schema(only, namespace)?.to_builder().optional().build());
        }
        // A general union: a struct with one optional field per branch, named after it (a
        // named type by its name, its full name with enhanced.avro.schema.support).
        let mut builder = SchemaBuilder::structure().name(UNION);
        for branch in others {
            let schema = self.schema(branch, namespace)?;
            let named = |full: String| match self.options.enhanced_schema_support {
                true => full,
                false => split_name(&full).1,
            };
            let field_name = match branch {
                Json::String(name) if PRIMITIVES.contains(&name.as_str()) => name.clone(),
                Json::String(name) => named(match namespace {
                    Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
                    _ => name.clone(),
                }),
                Json::Object(o) if o.contains_key("name") => named(full_name(o, namespace)?),
                Json::Object(o) => o.get("type").and_then(Json::as_str).unwrap_or("unknown").to_string(),
                _ => "unknown".to_string(),
            };
            builder = builder.field(&field_name, schema.to_builder().optional().build());
        }
        if nullable {
            builder = builder.optional();
        }
        Ok(builder.build())
    }

    /// A map of the key and value schemas when `items` is Confluent's `MapEntry` record.
    fn map_entry(&mut self, items: &Json, namespace: Option<&str>) -> Result<Option<SchemaBuilder>, DataError> {
        let Some(object) = items.as_object() else {
            return Ok(None);
        };
        let is_entry = object.get("type").is_some_and(|t| t == "record")
            && (full_name(object, namespace).ok().as_deref() == Some(&format!("{NAMESPACE}.{MAP_ENTRY}"))
                || object.get("connect.internal.type").is_some_and(|t| t == MAP_ENTRY));
        let fields = object.get("fields").and_then(Json::as_array);
        let (true, Some([key, value])) = (is_entry, fields.map(Vec::as_slice)) else {
            return Ok(None);
        };
        let (Some(key), Some(value)) = (key.get("type"), value.get("type")) else {
            return Ok(None);
        };
        Ok(Some(SchemaBuilder::map(
            self.schema(key, namespace)?,
            self.schema(value, namespace)?,
        )))
    }

    fn record(&mut self, object: &Map<String, Json>, namespace: Option<&str>) -> Result<Arc<Schema>, DataError> {
        let full = full_name(object, namespace)?;
        let own_namespace = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
        self.open.push(full.clone());
        let mut builder = SchemaBuilder::structure();
        if !is_default_name(&full) {
            builder = builder.name(&full);
        }
        if let Some(doc) = object.get("doc").and_then(Json::as_str) {
            builder = builder.doc(doc);
        }
        for field in object.get("fields").and_then(Json::as_array).into_iter().flatten() {
            let name = field
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| DataError::new(format!("a field of {full} has no name")))?;
            let avro = field
                .get("type")
                .ok_or_else(|| DataError::new(format!("field {name} of {full} has no type")))?;
            let mut schema = self.schema(avro, own_namespace.as_deref())?;
            if let Some(default) = field.get("default").filter(|d| !d.is_null()) {
                if schema.default.is_none() {
                    let default = value_from_default(&schema, default)?;
                    schema = schema.to_builder().default_value(default).build();
                }
            }
            builder = builder.field(name, schema);
        }
        builder = connect_properties(builder, object)?;
        self.open.pop();
        let schema = builder.build();
        self.named.insert(full, schema.clone());
        Ok(schema)
    }
}

fn is_default_name(full: &str) -> bool {
    full.strip_prefix(NAMESPACE)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_prefix(DEFAULT_NAME))
        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// A named type's full name: its `name`, qualified by its `namespace` or the enclosing one.
fn full_name(object: &Map<String, Json>, namespace: Option<&str>) -> Result<String, DataError> {
    let name = object
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| DataError::new("a named Avro type has no name"))?;
    if name.contains('.') {
        return Ok(name.to_string());
    }
    let namespace = object.get("namespace").and_then(Json::as_str).or(namespace);
    Ok(match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_string(),
    })
}

/// Applies the `connect.*` properties: name, version, doc, parameters, default.
fn connect_properties(mut builder: SchemaBuilder, object: &Map<String, Json>) -> Result<SchemaBuilder, DataError> {
    if let Some(name) = object.get("connect.name").and_then(Json::as_str) {
        builder = builder.name(name);
    }
    if let Some(version) = object.get("connect.version").and_then(Json::as_i64) {
        builder = builder.version(version as i32);
    }
    if let Some(doc) = object.get("connect.doc").and_then(Json::as_str) {
        builder = builder.doc(doc);
    }
    builder = with_connect_parameters(builder, object);
    if let Some(default) = object.get("connect.default").filter(|d| !d.is_null()) {
        let schema = builder.clone().build();
        builder = builder.default_value(value_from_default(&schema, default)?);
    }
    Ok(builder)
}

/// A Connect value from an Avro default (bytes are ISO-8859-1 text).
fn value_from_default(schema: &Schema, json: &Json) -> Result<Value, DataError> {
    let wrong = || {
        DataError::new(format!(
            "the default {json} does not fit a {} schema",
            schema.schema_type.name()
        ))
    };
    Ok(match (schema.schema_type, json) {
        (_, Json::Null) => Value::Null,
        (SchemaType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (SchemaType::Int8, Json::Number(n)) => Value::Int8(n.as_i64().ok_or_else(wrong)? as i8),
        (SchemaType::Int16, Json::Number(n)) => Value::Int16(n.as_i64().ok_or_else(wrong)? as i16),
        (SchemaType::Int32, Json::Number(n)) => Value::Int32(n.as_i64().ok_or_else(wrong)? as i32),
        (SchemaType::Int64, Json::Number(n)) => Value::Int64(n.as_i64().ok_or_else(wrong)?),
        (SchemaType::Float32, Json::Number(n)) => Value::Float32(n.as_f64().ok_or_else(wrong)? as f32),
        (SchemaType::Float64, Json::Number(n)) => Value::Float64(n.as_f64().ok_or_else(wrong)?),
        (SchemaType::String, Json::String(s)) => Value::String(s.clone()),
        (SchemaType::Bytes, Json::String(s)) => match s
            .chars()
            .map(|c| u8::try_from(u32::from(c)))
            .collect::<Result<Vec<u8>, _>>()
        {
            Ok(bytes) => Value::bytes(bytes),
            // Not ISO-8859-1: Connect's JSON form of bytes (base64).
            Err(_) => Value::bytes(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| wrong())?,
            ),
        },
        (SchemaType::Array, Json::Array(items)) => {
            let element = element(schema, "array")?;
            Value::Array(
                items
                    .iter()
                    .map(|i| value_from_default(element, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Json::Object(entries)) => {
            let values = element(schema, "map")?;
            Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((Value::String(k.clone()), value_from_default(values, v)?)))
                    .collect::<Result<_, DataError>>()?,
            )
        }
        (SchemaType::Struct, Json::Object(entries)) => {
            let shared = Arc::new(schema.clone());
            let mut value = crate::data::Struct::new(shared);
            for field in &schema.fields {
                if let Some(v) = entries.get(&field.name) {
                    value.put(&field.name, value_from_default(&field.schema, v)?);
                }
            }
            Value::Struct(value)
        }
        _ => return Err(wrong()),
    })
}
