//! The web console at `/ui`: a page, a script and a style sheet embedded in the binary (no CDN,
//! no build step), working only through the REST API the same listener serves. It lists the
//! connectors, shows a connector's config, tasks, failure traces, throughput and lag, offers
//! the actions (unless `ui.read.only`), and builds a new connector's form from its plugin's
//! config definition, validated as it is typed.
//!
//! Metrics are per worker: `/ui/metrics?worker=host:port` fetches the `/metrics` of a worker
//! that the connectors' statuses name, so that any worker's console shows the whole cluster.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;

use super::{AppState, RestError};
use crate::error_chain::with_causes;
use crate::worker::listeners::Scheme;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// The page may load only its own script and style, talk only to its own origin, and not be
/// framed (its buttons change connectors).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How the console is served.
#[derive(Clone)]
pub(crate) struct Console {
    /// Show only: no create, pause, restart, delete.
    pub read_only: bool,
    /// The scheme the cluster's workers are reached with.
    pub scheme: Scheme,
    /// Reaches the other workers.
    pub client: reqwest::Client,
}

/// The console's routes.
pub(super) fn routes(console: Console) -> Router<AppState> {
    Router::new()
        .route("/ui", get(page))
        .route(
            "/ui/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/ui/console.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/ui/metrics", get(worker_metrics))
        .layer(Extension(Arc::new(console)))
}

async fn page(Extension(console): Extension<Arc<Console>>) -> Response {
    let page = PAGE
        .replace("{{read_only}}", if console.read_only { "true" } else { "false" })
        .replace("{{version}}", env!("CARGO_PKG_VERSION"));
    let mut response = asset("text/html; charset=utf-8", page);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

fn asset(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        body.into(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct WorkerQuery {
    worker: String,
}

/// `GET /ui/metrics?worker=host:port`: that worker's `/metrics`, if a connector's or task's
/// status names it (no other address is fetched).
async fn worker_metrics(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Query(query): Query<WorkerQuery>,
) -> Result<Response, RestError> {
    let mut workers = BTreeSet::new();
    for name in state.herder.connectors().await {
        if let Ok(status) = state.herder.status(&name).await {
            workers.insert(status.connector.worker_id);
            workers.extend(status.tasks.into_iter().map(|t| t.worker_id));
        }
    }
    if !workers.contains(&query.worker) {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            format!("no connector or task runs on worker {}", query.worker),
        ));
    }
    let url = format!("{}://{}/metrics", console.scheme.as_str(), query.worker);
    let unreachable = |e: reqwest::Error| {
        RestError::new(
            StatusCode::BAD_GATEWAY,
            format!("cannot read the metrics of {}: {}", query.worker, with_causes(&e)),
        )
    };
    let text = console
        .client
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?
        .text()
        .await
        .map_err(unreachable)?;
    Ok(asset("text/plain; version=0.0.4; charset=utf-8", text))
}
