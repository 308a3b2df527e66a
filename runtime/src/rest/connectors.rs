//! `/connectors/…`: create, configure, inspect, pause, resume, stop, restart, delete, offsets
//! and topics, with Apache Kafka Connect's paths, bodies and status codes.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Deserialize;

use super::body::{config_from_json, config_map, parse_json};
use super::error::{RestError, RestResult};
use super::signature::RequestSignature;
use super::AppState;
use crate::herder::OffsetEntry;
use crate::state::TargetState;
use crate::worker::listeners::Scheme;
use crate::worker::NAME;

/// The absolute `Location` of connector `name`, as Apache's `UriBuilder` writes it: the
/// request's scheme and host, and the name percent-encoded as a path segment
/// (`http://host:8083/connectors/my%20connector`).
fn location(scheme: Scheme, headers: &HeaderMap, name: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}{}", path_of(name))
}

/// `/connectors/<name>`, the name percent-encoded.
fn path_of(name: &str) -> String {
    let mut out = String::from("/connectors/");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The values of query parameter `name` in a raw query string.
fn query_values(query: &Option<String>, name: &str) -> Vec<String> {
    query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| value.to_string())
        })
        .collect()
}

fn query_flag(query: &Option<String>, name: &str) -> bool {
    query_values(query, name)
        .last()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `GET /connectors` (`?expand=status`, `?expand=info`).
pub(super) async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> RestResult<Response> {
    let names = state.herder.connectors().await;
    let expand = query_values(&query, "expand");
    let (status, info) = (expand.iter().any(|e| e == "status"), expand.iter().any(|e| e == "info"));
    if !status && !info {
        return Ok(Json(names).into_response());
    }
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        if status {
            if let Ok(s) = state.herder.status(&name).await {
                entry.insert("status".into(), serde_json::to_value(s).unwrap_or_default());
            }
        }
        if info {
            if let Ok(i) = state.herder.connector_info(&name).await {
                entry.insert("info".into(), serde_json::to_value(i).unwrap_or_default());
            }
        }
        out.insert(name, serde_json::Value::Object(entry));
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct CreateRequest {
    name: Option<String>,
    config: Option<serde_json::Value>,
    initial_state: Option<String>,
}

/// `POST /connectors`.
pub(super) async fn create(
    State(state): State<AppState>,
    Extension(scheme): Extension<Scheme>,
    headers: HeaderMap,
    body: Bytes,
) -> RestResult<Response> {
    let request: CreateRequest = parse_json(&body)?;
    let config = config_map(
        request
            .config
            .as_ref()
            .unwrap_or(&serde_json::Value::Object(Default::default())),
    )?;
    let name = request
        .name
        .or_else(|| config.get(NAME.name()).cloned())
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    let initial = match request.initial_state.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("RUNNING") => TargetState::Started,
        Some("PAUSED") => TargetState::Paused,
        Some("STOPPED") => TargetState::Stopped,
        Some(other) => {
            return Err(RestError::bad_request(format!(
                "Invalid initial state '{other}': must be one of RUNNING, PAUSED, STOPPED"
            )))
        }
    };
    let info = state.herder.create_connector(&name, config, initial).await?;
    let location = location(scheme, &headers, &info.name);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)).into_response())
}

/// `GET /connectors/{c}`.
pub(super) async fn get(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(Json(state.herder.connector_info(&name).await?).into_response())
}

/// `DELETE /connectors/{c}`.
pub(super) async fn delete(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<StatusCode> {
    state.herder.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{c}/config`.
pub(super) async fn get_config(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(Json(state.herder.connector_info(&name).await?.config).into_response())
}

/// `PUT /connectors/{c}/config`: 201 when created, 200 when updated.
pub(super) async fn put_config(
    State(state): State<AppState>,
    Extension(scheme): Extension<Scheme>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> RestResult<Response> {
    let value: serde_json::Value = parse_json(&body)?;
    let config = config_map(&value)?;
    let (created, info) = state.herder.put_connector_config(&name, config).await?;
    if created {
        let location = location(scheme, &headers, &name);
        Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)).into_response())
    } else {
        Ok(Json(info).into_response())
    }
}

/// `PATCH /connectors/{c}/config`: merges the body; a null value removes the key.
pub(super) async fn patch_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> RestResult<Response> {
    let value: serde_json::Value = parse_json(&body)?;
    let patch = config_from_json(&value, true)?;
    let mut config = state.herder.connector_info(&name).await?.config;
    for (key, value) in patch {
        match value {
            Some(value) => config.insert(key, value),
            None => config.remove(&key),
        };
    }
    let (_, info) = state.herder.put_connector_config(&name, config).await?;
    Ok(Json(info).into_response())
}

/// `GET /connectors/{c}/status`.
pub(super) async fn status(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(Json(state.herder.status(&name).await?).into_response())
}

/// `POST /connectors/{c}/restart` (`includeTasks`, `onlyFailed`).
pub(super) async fn restart(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> RestResult<Response> {
    let include_tasks = query_flag(&query, "includeTasks");
    let only_failed = query_flag(&query, "onlyFailed");
    match state
        .herder
        .restart_connector(&name, include_tasks, only_failed)
        .await?
    {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(status) => Ok((StatusCode::ACCEPTED, Json(status)).into_response()),
    }
}

/// `PUT /connectors/{c}/pause`: 202.
pub(super) async fn pause(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<StatusCode> {
    state.herder.set_target_state(&name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{c}/resume`: 202.
pub(super) async fn resume(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<StatusCode> {
    state.herder.set_target_state(&name, TargetState::Started).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{c}/stop`: 204.
pub(super) async fn stop(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<StatusCode> {
    state.herder.set_target_state(&name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{c}/tasks`.
pub(super) async fn tasks(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    Ok(Json(state.herder.tasks(&name).await?).into_response())
}

/// `POST /connectors/{c}/tasks` (internal): a worker hands the leader the task configs its
/// connector generated; the body is a list of config maps.
pub(super) async fn put_task_configs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> RestResult<StatusCode> {
    let configs: Vec<serde_json::Value> = parse_json(&body)?;
    let configs = configs.iter().map(config_map).collect::<Result<Vec<_>, _>>()?;
    let signature = RequestSignature::from_request(&headers, body);
    state.herder.put_task_configs(&name, configs, signature).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn task_number(name: &str, task: &str) -> RestResult<u32> {
    task.parse()
        .map_err(|_| RestError::new(StatusCode::NOT_FOUND, format!("Task {name}-{task} not found")))
}

/// `GET /connectors/{c}/tasks/{t}/status`.
pub(super) async fn task_status(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> RestResult<Response> {
    let task = task_number(&name, &task)?;
    let status = state.herder.status(&name).await?;
    let found = status.tasks.into_iter().find(|t| t.id == task).ok_or_else(|| {
        RestError::new(
            StatusCode::NOT_FOUND,
            format!("Status for task {name}-{task} not found"),
        )
    })?;
    Ok(Json(found).into_response())
}

/// `POST /connectors/{c}/tasks/{t}/restart`: 204.
pub(super) async fn restart_task(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> RestResult<StatusCode> {
    let task = task_number(&name, &task)?;
    state.herder.restart_task(&name, task).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{c}/topics`.
pub(super) async fn topics(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    if !state.topic_tracking.enabled {
        return Err(RestError::new(StatusCode::FORBIDDEN, "Topic tracking is disabled."));
    }
    let topics = state.herder.topics(&name).await?;
    let mut body = BTreeMap::new();
    body.insert(name, serde_json::json!({ "topics": topics }));
    Ok(Json(body).into_response())
}

/// `PUT /connectors/{c}/topics/reset`: 202.
pub(super) async fn reset_topics(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<StatusCode> {
    if !state.topic_tracking.enabled {
        return Err(RestError::new(StatusCode::FORBIDDEN, "Topic tracking is disabled."));
    }
    if !state.topic_tracking.allow_reset {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking reset is disabled.",
        ));
    }
    state.herder.reset_topics(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `GET /connectors/{c}/offsets`.
pub(super) async fn offsets(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    let offsets = state.herder.offsets(&name).await?;
    Ok(Json(serde_json::json!({ "offsets": offsets })).into_response())
}

#[derive(Deserialize)]
struct OffsetsRequest {
    offsets: Option<Vec<OffsetEntry>>,
}

/// `PATCH /connectors/{c}/offsets`.
pub(super) async fn alter_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> RestResult<Response> {
    let request: OffsetsRequest = parse_json(&body)?;
    let message = state
        .herder
        .alter_offsets(&name, request.offsets.unwrap_or_default())
        .await?;
    Ok(Json(serde_json::json!({ "message": message })).into_response())
}

/// `DELETE /connectors/{c}/offsets`.
pub(super) async fn reset_offsets(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    let message = state.herder.reset_offsets(&name).await?;
    Ok(Json(serde_json::json!({ "message": message })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_absolute_and_percent_encoded() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "w1:8083".parse().unwrap());
        assert_eq!(
            location(Scheme::Http, &headers, "orders-sink_1.v2"),
            "http://w1:8083/connectors/orders-sink_1.v2"
        );
        assert_eq!(
            location(Scheme::Https, &headers, "my connector/é"),
            "https://w1:8083/connectors/my%20connector%2F%C3%A9"
        );
    }
}
