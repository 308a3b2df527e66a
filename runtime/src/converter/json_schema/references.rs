//! The documents a JSON Schema's `$ref`s point into: the schema itself, and the registered
//! schemas it refers to (the registry's references, each under the name the `$ref`s use, as
//! Confluent's serializers register them). A `$ref` is a document's name (as written, or
//! resolved against the referring document's `$id`) and a JSON pointer within it
//! (`address.json#/definitions/Geo`); one that starts with `#` stays in its own document.

use serde_json::Value as Json;

use super::DataError;
use crate::converter::registry::ReferencedSchema;

/// The registered schemas a schema refers to, parsed.
#[derive(Debug, Default)]
pub(super) struct Documents {
    /// Each by the name it is referred to by.
    referenced: Vec<(String, Json)>,
}

impl Documents {
    /// The documents of `references`.
    pub(super) fn new(references: &[ReferencedSchema]) -> Result<Self, DataError> {
        let referenced = references
            .iter()
            .map(|reference| {
                serde_json::from_str(&reference.schema)
                    .map(|json| (reference.name.clone(), json))
                    .map_err(|e| {
                        DataError::new(format!(
                            "the JSON Schema {} the schema refers to is not JSON: {e}",
                            reference.name
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Documents { referenced })
    }

    /// The document `reference` (a `$ref` in document `current`) points into, and the schema
    /// it points to there.
    pub(super) fn resolve<'a>(&'a self, current: &'a Json, reference: &str) -> Result<(&'a Json, &'a Json), DataError> {
        let (location, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let document = if location.is_empty() {
            current
        } else {
            self.document(current, location).ok_or_else(|| {
                DataError::new(format!(
                    "the reference {reference} names no schema the registry gave with this one"
                ))
            })?
        };
        if pointer.is_empty() {
            return Ok((document, document));
        }
        let target = document
            .pointer(pointer)
            .ok_or_else(|| DataError::new(format!("the reference {reference} points to nothing")))?;
        Ok((document, target))
    }

    /// The referenced document at `location`, as written or resolved against `current`'s `$id`.
    fn document(&self, current: &Json, location: &str) -> Option<&Json> {
        let base = current.get("$id").and_then(Json::as_str).unwrap_or_default();
        let joined = match base.rfind('/') {
            Some(end) if !location.contains("://") => format!("{}{location}", &base[..=end]),
            _ => location.to_string(),
        };
        self.referenced
            .iter()
            .find(|(name, document)| {
                let id = document.get("$id").and_then(Json::as_str);
                [location, joined.as_str()]
                    .iter()
                    .any(|wanted| name == wanted || id == Some(*wanted))
            })
            .map(|(_, document)| document)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_point_into_the_referenced_documents() {
        let address = json!({"$id": "https://example.com/schemas/address.json", "type": "object",
            "definitions": {"Geo": {"type": "number"}}});
        let documents = Documents::new(&[ReferencedSchema {
            name: "address.json".into(),
            schema: address.to_string(),
        }])
        .unwrap();
        let order =
            json!({"$id": "https://example.com/schemas/order.json", "definitions": {"Id": {"type": "integer"}}});
        let (document, target) = documents.resolve(&order, "address.json#/definitions/Geo").unwrap();
        assert_eq!((document, target), (&address, &json!({"type": "number"})));
        assert_eq!(
            documents.resolve(&order, "#/definitions/Id").unwrap().1,
            &json!({"type": "integer"})
        );
        // By the $id it resolves to against the referring document's.
        let unnamed = Documents::new(&[ReferencedSchema {
            name: "other-name".into(),
            schema: address.to_string(),
        }])
        .unwrap();
        assert_eq!(unnamed.resolve(&order, "address.json").unwrap().1, &address);
        let error = documents.resolve(&order, "missing.json").unwrap_err();
        assert!(error.0.contains("names no schema"), "{error:?}");
    }
}
