//! `GET /`, `GET /health`, `GET /metrics` and `/admin/loggers`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::body::parse_json;
use super::error::{RestError, RestResult};
use super::AppState;
use crate::metrics::Metrics;

/// Changes the process's log filter; given a `tracing` filter directive such as
/// `info,tributary_runtime::worker=debug`.
pub type ApplyLogFilter = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

const LEVELS: [&str; 7] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

/// Logger levels set through `/admin/loggers`, applied to the process's `tracing` filter.
pub struct Loggers {
    levels: Mutex<BTreeMap<String, (String, Option<i64>)>>,
    apply: Option<ApplyLogFilter>,
}

impl Loggers {
    /// Starts with `root` at `root_level`; `apply` installs new filters (none in tests).
    pub fn new(root_level: &str, apply: Option<ApplyLogFilter>) -> Self {
        let mut levels = BTreeMap::new();
        levels.insert("root".to_string(), (root_level.to_ascii_uppercase(), None));
        Loggers {
            levels: Mutex::new(levels),
            apply,
        }
    }

    fn snapshot(&self) -> BTreeMap<String, (String, Option<i64>)> {
        self.levels.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn set(&self, logger: &str, level: &str) -> Result<(), String> {
        let now = crate::clock::now_millis();
        let mut levels = self
            .levels
            .lock()
            .map_err(|_| "logger levels lock poisoned".to_string())?;
        levels.insert(logger.to_string(), (level.to_string(), Some(now)));
        let directive = levels
            .iter()
            .map(|(name, (level, _))| {
                let level = match level.as_str() {
                    "FATAL" => "error",
                    other => other,
                }
                .to_ascii_lowercase();
                if name == "root" {
                    level
                } else {
                    format!("{}={level}", name.replace('.', "::"))
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        match &self.apply {
            Some(apply) => apply(&directive),
            None => Ok(()),
        }
    }
}

/// `GET /`.
pub(super) async fn root(State(state): State<AppState>) -> Response {
    let cluster = state.herder.kafka_cluster_id().await;
    Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("TRIBUTARY_GIT_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": cluster,
    }))
    .into_response()
}

/// `GET /health`.
pub(super) async fn health(State(state): State<AppState>) -> Response {
    if state.herder.started() {
        return Json(serde_json::json!({
            "status": "healthy",
            "message": "Worker has completed startup and is ready to handle requests."
        }))
        .into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({
            "status": "starting",
            "message": "Worker is still starting up."
        })),
    )
        .into_response()
}

/// `GET /metrics`, Prometheus text format.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let metrics = Metrics::global();
    let (connectors, tasks) = state.herder.assigned_here();
    metrics.worker_connectors.set(connectors as i64);
    metrics.worker_tasks.set(tasks as i64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics.render(),
    )
        .into_response()
}

fn logger_json(level: &str, modified: Option<i64>) -> serde_json::Value {
    serde_json::json!({"level": level, "last_modified": modified})
}

/// `GET /admin/loggers`.
pub(super) async fn loggers(State(state): State<AppState>) -> Response {
    let body: BTreeMap<String, serde_json::Value> = state
        .loggers
        .snapshot()
        .into_iter()
        .map(|(name, (level, modified))| (name, logger_json(&level, modified)))
        .collect();
    Json(body).into_response()
}

/// `GET /admin/loggers/{l}`.
pub(super) async fn logger(State(state): State<AppState>, Path(name): Path<String>) -> RestResult<Response> {
    let levels = state.loggers.snapshot();
    let (level, modified) = levels
        .get(&name)
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, format!("Logger {name} not found.")))?;
    Ok(Json(logger_json(level, *modified)).into_response())
}

#[derive(Deserialize)]
struct LevelRequest {
    level: Option<String>,
}

/// `PUT /admin/loggers/{l}` (`scope=worker|cluster`).
pub(super) async fn set_logger(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> RestResult<Response> {
    let request: LevelRequest = parse_json(&body)?;
    let level = request
        .level
        .ok_or_else(|| RestError::bad_request("Desired 'level' parameter was not specified in request."))?
        .to_ascii_uppercase();
    if !LEVELS.contains(&level.as_str()) {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            format!("invalid log level '{level}'."),
        ));
    }
    state
        .loggers
        .set(&name, &level)
        .map_err(|e| RestError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let cluster_scope = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|p| p.eq_ignore_ascii_case("scope=cluster"));
    if cluster_scope {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(Json(vec![name]).into_response())
    }
}
