//! Connect schemas to JSON Schemas and back, as Confluent's `JsonSchemaData` maps them:
//! integers and numbers tagged with their Connect type (`connect.type`), bytes as base64
//! strings, decimals as such strings (numbers under `decimal.format=NUMERIC`), structs as
//! objects whose properties carry their position (`connect.index`), optional schemas as `oneOf`
//! with `null`, maps as objects (string keys) or arrays of `{key, value}` objects, and the name,
//! version, doc and parameters as `title`, `connect.version`, `description` and
//! `connect.parameters`.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::read::from_json;
use super::references::Documents;
use super::write::to_json;
use crate::converter::json::DecimalFormat;
use crate::converter::registry::with_connect_parameters;
use crate::converter::DataError;
use crate::data::{logical, Schema, SchemaBuilder, SchemaType};

/// The namespace of the names Confluent's JSON Schema converter makes up.
const NAMESPACE: &str = "io.confluent.connect.json";
/// The Connect struct standing for a `oneOf` of more than a type and `null`.
pub(super) const ONE_OF: &str = "io.confluent.connect.json.OneOf";
/// Connect's parameter naming an enum.
const ENUM: &str = "io.confluent.connect.json.Enum";

/// How Connect schemas and JSON Schemas map (Confluent's `JsonSchemaData` settings of the same
/// names; the default is Confluent's).
#[derive(Debug, Clone, Copy)]
pub(super) struct JsonSchemaOptions {
    /// `decimal.format`: a decimal as a base64 string of its unscaled bytes, or a number.
    pub decimals: DecimalFormat,
    /// `object.additional.properties` (true by default): when false, a struct's object says
    /// `"additionalProperties": false`.
    pub additional_properties: bool,
    /// `use.optional.for.nonrequired`: a property its object does not list as `required` reads
    /// as optional.
    pub optional_for_nonrequired: bool,
    /// `flatten.singleton.unions` (true by default): a `oneOf` or `anyOf` of one schema reads
    /// as that schema, not as a union struct of one field.
    pub flatten_singleton_unions: bool,
    /// `ignore.default.for.nullables`: a null is written as null, not as its schema's default.
    pub ignore_default_for_nullables: bool,
}

impl Default for JsonSchemaOptions {
    fn default() -> Self {
        JsonSchemaOptions {
            decimals: DecimalFormat::Base64,
            additional_properties: true,
            optional_for_nonrequired: false,
            flatten_singleton_unions: true,
            ignore_default_for_nullables: false,
        }
    }
}

/// The JSON Schema for a Connect schema.
pub(super) fn from_connect(schema: &Schema, options: &JsonSchemaOptions) -> Result<Json, DataError> {
    let mut out = from_connect_at(schema, None, false, options)?;
    if let Some(object) = out.as_object_mut() {
        let mut with_draft = Map::new();
        with_draft.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
        with_draft.append(object);
        out = Json::Object(with_draft);
    }
    Ok(out)
}

fn from_connect_at(
    schema: &Schema,
    index: Option<usize>,
    ignore_optional: bool,
    options: &JsonSchemaOptions,
) -> Result<Json, DataError> {
    let mut node = Map::new();
    let connect_type = |node: &mut Map<String, Json>, name: &str| {
        node.insert("connect.type".into(), json!(name));
    };
    match schema.schema_type {
        SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64 => {
            node.insert("type".into(), json!("integer"));
            connect_type(&mut node, schema.schema_type.name());
        }
        SchemaType::Float32 | SchemaType::Float64 => {
            node.insert("type".into(), json!("number"));
            connect_type(&mut node, schema.schema_type.name());
        }
        SchemaType::Boolean => {
            node.insert("type".into(), json!("boolean"));
        }
        SchemaType::String => match schema.parameters.as_ref().filter(|p| p.contains_key(ENUM)) {
            Some(parameters) => {
                let symbols: Vec<&String> = parameters
                    .iter()
                    .filter(|(k, _)| k.starts_with(&format!("{ENUM}.")))
                    .map(|(_, v)| v)
                    .collect();
                node.insert("type".into(), json!("string"));
                node.insert("enum".into(), json!(symbols));
            }
            None => {
                node.insert("type".into(), json!("string"));
            }
        },
        SchemaType::Bytes => {
            // A decimal's text is base64 of its bytes unless decimal.format=NUMERIC.
            let kind = match (schema.name.as_deref(), options.decimals) {
                (Some(logical::DECIMAL), DecimalFormat::Numeric) => "number",
                _ => "string",
            };
            node.insert("type".into(), json!(kind));
            connect_type(&mut node, "bytes");
        }
        SchemaType::Array => {
            node.insert("type".into(), json!("array"));
            node.insert("items".into(), from_connect_at(element(schema)?, None, false, options)?);
        }
        SchemaType::Map => {
            let keys = schema
                .key_schema
                .as_deref()
                .ok_or_else(|| DataError::new("a map schema has no key schema"))?;
            let values = element(schema)?;
            if keys.schema_type == SchemaType::String && !keys.optional {
                node.insert("type".into(), json!("object"));
                node.insert(
                    "additionalProperties".into(),
                    from_connect_at(values, None, false, options)?,
                );
            } else {
                node.insert("type".into(), json!("array"));
                node.insert(
                    "items".into(),
                    json!({
                        "type": "object",
                        "properties": {
                            "key": from_connect_at(keys, Some(0), false, options)?,
                            "value": from_connect_at(values, Some(1), false, options)?,
                        }
                    }),
                );
            }
            connect_type(&mut node, "map");
        }
        SchemaType::Struct if schema.name.as_deref() == Some(ONE_OF) => {
            let mut branches = Vec::new();
            if schema.optional {
                branches.push(json!({"type": "null"}));
            }
            for field in &schema.fields {
                branches.push(from_connect_at(&field.schema, Some(field.index), true, options)?);
            }
            node.insert("oneOf".into(), Json::Array(branches));
            if let Some(index) = index {
                node.insert("connect.index".into(), json!(index));
            }
            return Ok(Json::Object(node));
        }
        SchemaType::Struct => {
            node.insert("type".into(), json!("object"));
            let mut properties = Map::new();
            for field in &schema.fields {
                properties.insert(
                    field.name.clone(),
                    from_connect_at(&field.schema, Some(field.index), false, options)?,
                );
            }
            node.insert("properties".into(), Json::Object(properties));
            if !options.additional_properties {
                node.insert("additionalProperties".into(), json!(false));
            }
        }
    }
    if let Some(name) = &schema.name {
        node.insert("title".into(), json!(name));
    }
    if let Some(version) = schema.version {
        node.insert("connect.version".into(), json!(version));
    }
    if let Some(doc) = &schema.doc {
        node.insert("description".into(), json!(doc));
    }
    if let Some(parameters) = &schema.parameters {
        let kept: Map<String, Json> = parameters
            .iter()
            .filter(|(k, _)| !k.starts_with(NAMESPACE))
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if !kept.is_empty() {
            node.insert("connect.parameters".into(), Json::Object(kept));
        }
    }
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        node.insert("default".into(), to_json(schema, default, options)?);
    }
    if schema.optional && !ignore_optional {
        let mut optional = Map::new();
        optional.insert("oneOf".into(), json!([{"type": "null"}, Json::Object(node)]));
        if let Some(index) = index {
            optional.insert("connect.index".into(), json!(index));
        }
        return Ok(Json::Object(optional));
    }
    if let Some(index) = index {
        node.insert("connect.index".into(), json!(index));
    }
    Ok(Json::Object(node))
}

fn element(schema: &Schema) -> Result<&Schema, DataError> {
    schema
        .value_schema
        .as_deref()
        .ok_or_else(|| DataError::new(format!("a {} schema has no value schema", schema.schema_type.name())))
}

/// The Connect schema for a JSON Schema, reading back the `connect.*` properties; references
/// (`#/definitions/…`, `#/$defs/…`, and into the registered schemas of `documents`) are
/// followed.
pub(super) fn to_connect(
    root: &Json,
    documents: &Documents,
    options: &JsonSchemaOptions,
) -> Result<Arc<Schema>, DataError> {
    to_connect_at((documents, options), root, root, false, 0)
}

/// The Connect schema of `node`, a schema within document `root`.
fn to_connect_at(
    (documents, options): (&Documents, &JsonSchemaOptions),
    root: &Json,
    node: &Json,
    force_optional: bool,
    depth: usize,
) -> Result<Arc<Schema>, DataError> {
    if depth > 64 {
        return Err(DataError::new(
            "the JSON Schema nests too deep (a recursive reference?)",
        ));
    }
    let object = match node {
        Json::Object(object) => object,
        Json::Bool(true) => {
            return Err(DataError::new(
                "a JSON Schema of `true` (anything) has no Connect schema",
            ))
        }
        other => return Err(DataError::new(format!("not a JSON Schema: {other}"))),
    };
    if let Some(reference) = object.get("$ref").and_then(Json::as_str) {
        let (document, target) = documents.resolve(root, reference)?;
        return to_connect_at((documents, options), document, target, force_optional, depth + 1);
    }
    let text = |key: &str| object.get(key).and_then(Json::as_str);
    let mut builder = if let Some(branches) = object
        .get("oneOf")
        .or_else(|| object.get("anyOf"))
        .and_then(Json::as_array)
    {
        if let ([only], true) = (branches.as_slice(), options.flatten_singleton_unions) {
            // Confluent's flattening reads the one schema as it is, not forced optional.
            return to_connect_at((documents, options), root, only, false, depth + 1);
        }
        let is_null = |b: &Json| b.get("type").is_some_and(|t| t == "null");
        let others: Vec<&Json> = branches.iter().filter(|b| !is_null(b)).collect();
        let nullable = others.len() < branches.len();
        if let ([only], true) = (others.as_slice(), nullable) {
            return to_connect_at((documents, options), root, only, true, depth + 1);
        }
        let mut builder = SchemaBuilder::structure().name(ONE_OF);
        for (index, branch) in others.into_iter().enumerate() {
            builder = builder.field(
                &format!("{ONE_OF}.field.{index}"),
                to_connect_at((documents, options), root, branch, true, depth + 1)?,
            );
        }
        if nullable {
            builder = builder.optional();
        }
        builder
    } else {
        // `"type": ["null", "string"]`: the one type, optional.
        let (kind, nullable) = match object.get("type") {
            Some(Json::String(kind)) => (kind.as_str(), false),
            Some(Json::Array(kinds)) => {
                let others: Vec<&str> = kinds.iter().filter_map(Json::as_str).filter(|k| *k != "null").collect();
                match others.as_slice() {
                    [only] => (*only, others.len() < kinds.len()),
                    _ => {
                        return Err(DataError::new(format!(
                            "a JSON Schema of several types {kinds:?} is not supported"
                        )))
                    }
                }
            }
            None if object.contains_key("enum") => ("string", false),
            None if object.contains_key("properties") => ("object", false),
            _ => return Err(DataError::new(format!("a JSON Schema without a type: {node}"))),
        };
        let builder = match kind {
            "boolean" => SchemaBuilder::new(SchemaType::Boolean),
            "integer" | "number" => match text("connect.type") {
                // A decimal: its title and parameters follow.
                Some("bytes") => SchemaBuilder::new(SchemaType::Bytes),
                Some(connect) => SchemaBuilder::new(
                    SchemaType::from_name(connect)
                        .ok_or_else(|| DataError::new(format!("unknown connect.type {connect}")))?,
                ),
                None if kind == "integer" => SchemaBuilder::new(SchemaType::Int64),
                None => SchemaBuilder::new(SchemaType::Float64),
            },
            "string" => match (text("connect.type"), object.get("enum").and_then(Json::as_array)) {
                (Some("bytes"), _) => SchemaBuilder::new(SchemaType::Bytes),
                (_, Some(symbols)) => {
                    let mut builder = SchemaBuilder::new(SchemaType::String).parameter(ENUM, "");
                    for symbol in symbols.iter().filter_map(Json::as_str) {
                        builder = builder.parameter(&format!("{ENUM}.{symbol}"), symbol);
                    }
                    builder
                }
                _ => SchemaBuilder::new(SchemaType::String),
            },
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| DataError::new("an array schema without items"))?;
                let entry = items.get("properties").and_then(Json::as_object);
                match (text("connect.type"), entry) {
                    (Some("map"), Some(entry)) => {
                        let part = |name: &str| {
                            entry
                                .get(name)
                                .ok_or_else(|| DataError::new(format!("a map entry without {name}")))
                                .and_then(|s| to_connect_at((documents, options), root, s, false, depth + 1))
                        };
                        SchemaBuilder::map(part("key")?, part("value")?)
                    }
                    _ => SchemaBuilder::array(to_connect_at((documents, options), root, items, false, depth + 1)?),
                }
            }
            "object" if text("connect.type") == Some("map") => {
                let values = object
                    .get("additionalProperties")
                    .ok_or_else(|| DataError::new("a map schema without additionalProperties"))?;
                SchemaBuilder::map(
                    Schema::string(),
                    to_connect_at((documents, options), root, values, false, depth + 1)?,
                )
            }
            "object" => {
                let mut fields: Vec<(usize, &String, &Json)> = Vec::new();
                for (position, (name, property)) in object
                    .get("properties")
                    .and_then(Json::as_object)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let index = property
                        .get("connect.index")
                        .and_then(Json::as_u64)
                        .map_or(position, |i| i as usize);
                    fields.push((index, name, property));
                }
                fields.sort_by_key(|(index, _, _)| *index);
                let required: Vec<&str> = object
                    .get("required")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                let mut builder = SchemaBuilder::structure();
                for (_, name, property) in fields {
                    let optional = options.optional_for_nonrequired && !required.contains(&name.as_str());
                    builder = builder.field(
                        name,
                        to_connect_at((documents, options), root, property, optional, depth + 1)?,
                    );
                }
                builder
            }
            other => {
                return Err(DataError::new(format!(
                    "the JSON Schema type {other} has no Connect schema"
                )))
            }
        };
        if nullable {
            builder.optional()
        } else {
            builder
        }
    };
    if let Some(title) = text("title") {
        builder = builder.name(title);
    }
    if let Some(version) = object.get("connect.version").and_then(Json::as_i64) {
        builder = builder.version(version as i32);
    }
    if let Some(description) = text("description") {
        builder = builder.doc(description);
    }
    builder = with_connect_parameters(builder, object);
    if let Some(default) = object.get("default").filter(|d| !d.is_null()) {
        let schema = builder.clone().build();
        builder = builder.default_value(from_json(&schema, default)?);
    }
    if force_optional {
        builder = builder.optional();
    }
    Ok(builder.build())
}
