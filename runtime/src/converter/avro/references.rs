//! Avro schemas that name types of other registered schemas (the registry's references, each a
//! full name and the schema that defines it), made whole: each referenced type's definition is
//! written where the schema first names it, as if it had been defined there. Avro's binary
//! encoding does not depend on where a type is defined, so the whole schema reads and writes
//! the same records, and maps to the same Connect schema, as Confluent's converters make of a
//! schema parsed after its references.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as Json};

use super::schema::PRIMITIVES;
use super::DataError;
use crate::converter::registry::ReferencedSchema;

/// `schema` with the named types of `references` written in where it first names them (and
/// where those name others); `schema` itself when there are none.
pub(super) fn inline(schema: &Json, references: &[ReferencedSchema]) -> Result<Json, DataError> {
    if references.is_empty() {
        return Ok(schema.clone());
    }
    let mut definitions = HashMap::new();
    for reference in references {
        let json: Json = serde_json::from_str(&reference.schema).map_err(|e| {
            DataError::new(format!(
                "the Avro schema {} the schema refers to is not JSON: {e}",
                reference.name
            ))
        })?;
        collect_definitions(&json, None, &mut definitions);
    }
    let mut inliner = Inliner {
        definitions,
        defined: HashSet::new(),
    };
    Ok(inliner.walk(schema, None))
}

/// The full name of a named type's definition `object` within `namespace`, with the namespace
/// it sets for the types inside it.
fn full_name(object: &Map<String, Json>, namespace: Option<&str>) -> Option<(String, Option<String>)> {
    let name = object.get("name")?.as_str()?;
    if let Some((own, _)) = name.rsplit_once('.') {
        return Some((name.to_string(), Some(own.to_string())));
    }
    let namespace = object
        .get("namespace")
        .and_then(Json::as_str)
        .or(namespace)
        .filter(|ns| !ns.is_empty());
    Some(match namespace {
        Some(ns) => (format!("{ns}.{name}"), Some(ns.to_string())),
        None => (name.to_string(), None),
    })
}

/// The object of a named type's definition (a record, enum or fixed), if `json` is one.
fn named_definition(json: &Json) -> Option<&Map<String, Json>> {
    let object = json.as_object()?;
    matches!(object.get("type")?.as_str()?, "record" | "enum" | "fixed").then_some(object)
}

/// Adds every named type `json` defines to `definitions` by full name, each with its namespace
/// written out (so that it keeps its name wherever it is written in).
fn collect_definitions(json: &Json, namespace: Option<&str>, definitions: &mut HashMap<String, Json>) {
    match json {
        Json::Array(branches) => {
            for branch in branches {
                collect_definitions(branch, namespace, definitions);
            }
        }
        Json::Object(object) => {
            let inner = match named_definition(json).and_then(|object| full_name(object, namespace)) {
                Some((full, own)) => {
                    let mut definition = object.clone();
                    definition.insert("namespace".into(), Json::String(own.clone().unwrap_or_default()));
                    definitions.entry(full).or_insert(Json::Object(definition));
                    own
                }
                None => namespace.map(str::to_string),
            };
            for child in children(object) {
                collect_definitions(child, inner.as_deref(), definitions);
            }
        }
        _ => {}
    }
}

/// The schemas directly inside a schema object: its fields' types, items, values, or the type
/// it annotates.
fn children(object: &Map<String, Json>) -> Vec<&Json> {
    let mut children: Vec<&Json> = ["items", "values"].iter().filter_map(|key| object.get(*key)).collect();
    if let Some(kind) = object.get("type").filter(|kind| !kind.is_string()) {
        children.push(kind);
    }
    let fields = object.get("fields").and_then(Json::as_array);
    children.extend(fields.into_iter().flatten().filter_map(|field| field.get("type")));
    children
}

/// Writes referenced definitions in, each once.
struct Inliner {
    /// The referenced named types' definitions, by full name.
    definitions: HashMap<String, Json>,
    /// The full names defined so far, in the order a reader meets them.
    defined: HashSet<String>,
}

impl Inliner {
    /// `json` (within `namespace`) with each name of a referenced type not yet defined replaced
    /// by its definition, and each definition met again replaced by its name.
    fn walk(&mut self, json: &Json, namespace: Option<&str>) -> Json {
        match json {
            Json::String(name) if !PRIMITIVES.contains(&name.as_str()) => {
                // In the enclosing namespace, else in none (as Java's Avro looks names up).
                let in_namespace = match namespace {
                    Some(ns) if !name.contains('.') => format!("{ns}.{name}"),
                    _ => name.clone(),
                };
                let full = [&in_namespace, name]
                    .into_iter()
                    .find(|full| self.defined.contains(*full) || self.definitions.contains_key(*full));
                // A name of the schema's own types, or of none (which its parsing reports).
                let Some(definition) = full
                    .filter(|full| !self.defined.contains(*full))
                    .and_then(|full| self.definitions.get(full))
                else {
                    return json.clone();
                };
                let definition = definition.clone();
                self.walk(&definition, namespace)
            }
            Json::Array(branches) => Json::Array(branches.iter().map(|b| self.walk(b, namespace)).collect()),
            Json::Object(object) => {
                let own = match named_definition(json).and_then(|object| full_name(object, namespace)) {
                    Some((full, _)) if self.defined.contains(&full) => return Json::String(full),
                    Some((full, own)) => {
                        self.defined.insert(full);
                        own
                    }
                    None => namespace.map(str::to_string),
                };
                let mut object = object.clone();
                for key in ["items", "values"] {
                    if let Some(child) = object.get(key) {
                        let walked = self.walk(child, own.as_deref());
                        object.insert(key.into(), walked);
                    }
                }
                if let Some(kind) = object
                    .get("type")
                    .filter(|kind| !kind.is_string() || named_type_name(kind))
                {
                    let walked = self.walk(kind, own.as_deref());
                    object.insert("type".into(), walked);
                }
                if let Some(Json::Array(fields)) = object.get_mut("fields") {
                    let mut walked_fields = std::mem::take(fields);
                    for field in &mut walked_fields {
                        if let Some(kind) = field.get("type").cloned() {
                            field["type"] = self.walk(&kind, own.as_deref());
                        }
                    }
                    object.insert("fields".into(), Json::Array(walked_fields));
                }
                Json::Object(object)
            }
            _ => json.clone(),
        }
    }
}

/// Whether the `type` of a schema object is the name of a defined type (`{"type": "Address"}`),
/// not a primitive or complex type's keyword.
fn named_type_name(kind: &Json) -> bool {
    kind.as_str().is_some_and(|name| {
        !PRIMITIVES.contains(&name) && !matches!(name, "record" | "enum" | "fixed" | "array" | "map")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reference(name: &str, schema: Json) -> ReferencedSchema {
        ReferencedSchema {
            name: name.into(),
            schema: schema.to_string(),
        }
    }

    #[test]
    fn referenced_types_are_defined_where_first_named() {
        let address = json!({"type": "record", "name": "Address", "namespace": "com.acme.common", "fields": [
            {"name": "street", "type": "string"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["HOME", "WORK"]}}
        ]});
        let money = json!({"type": "fixed", "name": "Money", "size": 8});
        let order = json!({"type": "record", "name": "Order", "namespace": "com.acme.shop", "fields": [
            {"name": "kind", "type": "com.acme.common.Kind"},
            {"name": "home", "type": "com.acme.common.Address"},
            {"name": "work", "type": ["null", "com.acme.common.Address"]},
            {"name": "total", "type": {"type": "array", "items": "Money"}}
        ]});
        let references = [reference("com.acme.common.Address", address), reference("Money", money)];
        let whole = inline(&order, &references).unwrap();
        assert_eq!(
            whole["fields"][0]["type"],
            json!({"type": "enum", "name": "Kind", "symbols": ["HOME", "WORK"], "namespace": "com.acme.common"})
        );
        let home = &whole["fields"][1]["type"];
        assert_eq!(home["name"], "Address");
        assert_eq!(home["namespace"], "com.acme.common");
        // The enum it holds was defined before it: named, not defined twice.
        assert_eq!(home["fields"][1]["type"], "com.acme.common.Kind");
        assert_eq!(whole["fields"][2]["type"], json!(["null", "com.acme.common.Address"]));
        // A type of no namespace keeps none inside a record of one.
        assert_eq!(
            whole["fields"][3]["type"]["items"],
            json!({"type": "fixed", "name": "Money", "size": 8, "namespace": ""})
        );
        let parsed = apache_avro::Schema::parse(&whole).unwrap();
        assert_eq!(
            apache_avro::Schema::parse(&order).ok(),
            None,
            "the schema alone does not parse"
        );
        assert!(matches!(parsed, apache_avro::Schema::Record(_)));
    }
}
