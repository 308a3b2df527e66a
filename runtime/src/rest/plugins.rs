//! `/connector-plugins`: what is installed, each plugin's config keys, and config validation.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::body::{config_map, parse_json};
use super::error::{RestError, RestResult};
use super::AppState;
use crate::connector::{connector_plugins, find_connector};
use crate::converter::{converter_plugins, find_converter, ConverterRole};
use crate::herder::ConfigKeyInfo;
use crate::plugins::PLUGIN_VERSION;
use crate::transforms::{find_predicate, find_transform, predicate_plugins, transform_plugins};

/// `GET /connector-plugins` (`connectorsOnly`, default true).
pub(super) async fn list(RawQuery(query): RawQuery) -> Response {
    let connectors_only = !query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|pair| pair.eq_ignore_ascii_case("connectorsOnly=false"));
    Json(list_plugins(connectors_only)).into_response()
}

/// `GET /connector-plugins/{p}/config`.
pub(super) async fn config(Path(plugin): Path<String>) -> RestResult<Response> {
    // For a connector, Apache lists the framework's keys for its type, then the plugin's own.
    let def = if let Ok(connector) = find_connector(&plugin) {
        let base = match connector.type_name() {
            "source" => crate::worker::source_config_def(),
            _ => crate::worker::sink_config_def(),
        };
        base.merge(&(connector.config_def)())
    } else if let Ok(transform) = find_transform(&plugin) {
        (transform.config_def)()
    } else if let Ok(predicate) = find_predicate(&plugin) {
        (predicate.config_def)()
    } else if let Ok(converter) = find_converter(&plugin) {
        (converter.config_def)()
    } else {
        return Err(RestError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!("Unknown plugin {plugin}."),
        ));
    };
    let infos: Vec<ConfigKeyInfo> = crate::herder::key_infos(&def);
    Ok(Json(infos).into_response())
}

/// `PUT /connector-plugins/{p}/config/validate`: 200 with every problem, even when there are
/// some.
pub(super) async fn validate(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    body: Bytes,
) -> RestResult<Response> {
    let value: serde_json::Value = parse_json(&body)?;
    let config = config_map(&value)?;
    Ok(Json(state.herder.validate(&plugin, config).await?).into_response())
}

/// One row of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct PluginInfo {
    /// Class name.
    class: String,
    /// `source`, `sink`, `converter`, `header_converter`, `transformation` or `predicate`.
    #[serde(rename = "type")]
    plugin_type: String,
    /// Version.
    version: String,
}

/// Every registered plugin, connectors first, each group sorted by class, as
/// `GET /connector-plugins?connectorsOnly=false` lists them.
fn list_plugins(connectors_only: bool) -> Vec<PluginInfo> {
    let info = |class: &str, plugin_type: &str| PluginInfo {
        class: class.to_string(),
        plugin_type: plugin_type.to_string(),
        version: PLUGIN_VERSION.to_string(),
    };
    let mut connectors: Vec<_> = connector_plugins().map(|p| info(p.class, p.type_name())).collect();
    connectors.sort_by(|a, b| a.class.cmp(&b.class));
    if connectors_only {
        return connectors;
    }
    let mut others: Vec<PluginInfo> = Vec::new();
    for p in converter_plugins() {
        if p.serves(ConverterRole::Value) {
            others.push(info(p.class, "converter"));
        }
        others.push(info(p.class, "header_converter"));
    }
    others.extend(transform_plugins().map(|p| info(p.class, "transformation")));
    others.extend(predicate_plugins().map(|p| info(p.class, "predicate")));
    others.sort_by(|a, b| (&a.plugin_type, &a.class).cmp(&(&b.plugin_type, &b.class)));
    connectors.extend(others);
    connectors
}
