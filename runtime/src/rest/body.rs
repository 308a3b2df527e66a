//! Request bodies: JSON parsed by us, so that a malformed body is a 400 with the parser's
//! reason (not axum's plain-text rejection), and config values given as JSON numbers or booleans
//! are taken as their text, as Jackson does for `Map<String, String>`.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::error::{RestError, RestResult};
use crate::config::ConfigMap;

/// Parses `body` as `T`, or explains why it cannot.
pub(super) fn parse_json<T: DeserializeOwned>(body: &Bytes) -> RestResult<T> {
    if body.is_empty() {
        return Err(RestError::bad_request("Request body is empty; a JSON body is required"));
    }
    serde_json::from_slice(body).map_err(|e| RestError::bad_request(format!("Invalid JSON in request body: {e}")))
}

/// A config map from a JSON object; `allow_null` keeps nulls as `None` (for PATCH).
pub(super) fn config_from_json(
    value: &serde_json::Value,
    allow_null: bool,
) -> RestResult<Vec<(String, Option<String>)>> {
    let object = value
        .as_object()
        .ok_or_else(|| RestError::bad_request("Connector configuration must be a JSON object"))?;
    object
        .iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Null if allow_null => None,
                other => {
                    return Err(RestError::bad_request(format!(
                        "Value of configuration '{key}' must be a string, not {other}"
                    )))
                }
            };
            Ok((key.clone(), text))
        })
        .collect()
}

/// A full config map (no nulls).
pub(super) fn config_map(value: &serde_json::Value) -> RestResult<ConfigMap> {
    Ok(config_from_json(value, false)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}
