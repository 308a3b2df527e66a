//! A Strimzi resource (KafkaConnector, KafkaMirrorMaker2) read from the API server as a
//! dynamic object, whichever of Strimzi's versions served it, with its spec and status typed.

use kube::api::{DynamicObject, ObjectMeta};
use serde::de::DeserializeOwned;

/// A resource with spec `S` and status `T`.
#[derive(Debug, Clone)]
pub struct StrimziResource<S, T> {
    /// Its metadata.
    pub metadata: ObjectMeta,
    /// Its spec; `Err` with serde's reason when it does not parse.
    pub spec: Result<S, String>,
    /// Its status, when one was written (and parses).
    pub status: Option<T>,
}

impl<S: DeserializeOwned, T: DeserializeOwned> StrimziResource<S, T> {
    /// Reads the typed parts of a dynamic object.
    pub fn from_dynamic(object: &DynamicObject) -> Self {
        let spec = match object.data.get("spec") {
            Some(spec) => serde_json::from_value(spec.clone()).map_err(|e| e.to_string()),
            None => Err("the resource has no spec".to_string()),
        };
        let status = object
            .data
            .get("status")
            .and_then(|status| serde_json::from_value(status.clone()).ok());
        StrimziResource {
            metadata: object.metadata.clone(),
            spec,
            status,
        }
    }
}
