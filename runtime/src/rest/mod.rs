//! The REST API, compatible with Apache Kafka Connect's: same paths, JSON shapes, status codes
//! and `{"error_code","message"}` errors. Handlers only translate HTTP to [`Herder`] calls.

mod admin;
mod body;
mod connectors;
mod error;
mod forward;
mod media_type;
mod plugins;

use std::future::Future;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use tokio::net::TcpListener;

pub use admin::{ApplyLogFilter, Loggers};
pub use error::RestError;

use crate::herder::Herder;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The herder serving requests.
    pub herder: Arc<dyn Herder>,
    /// Logger levels.
    pub loggers: Arc<Loggers>,
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(admin::root))
        .route("/health", get(admin::health))
        .route("/metrics", get(admin::metrics))
        .route("/connectors", get(connectors::list).post(connectors::create))
        .route("/connectors/{name}", get(connectors::get).delete(connectors::delete))
        .route(
            "/connectors/{name}/config",
            get(connectors::get_config)
                .put(connectors::put_config)
                .patch(connectors::patch_config),
        )
        .route("/connectors/{name}/status", get(connectors::status))
        .route("/connectors/{name}/restart", post(connectors::restart))
        .route("/connectors/{name}/pause", put(connectors::pause))
        .route("/connectors/{name}/resume", put(connectors::resume))
        .route("/connectors/{name}/stop", put(connectors::stop))
        .route(
            "/connectors/{name}/tasks",
            get(connectors::tasks).post(connectors::put_task_configs),
        )
        .route("/connectors/{name}/tasks/{task}/status", get(connectors::task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(connectors::restart_task),
        )
        .route("/connectors/{name}/topics", get(connectors::topics))
        .route("/connectors/{name}/topics/reset", put(connectors::reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(connectors::offsets)
                .patch(connectors::alter_offsets)
                .delete(connectors::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route("/connector-plugins/{plugin}/config", get(plugins::config))
        .route("/connector-plugins/{plugin}/config/validate", put(plugins::validate))
        .route("/admin/loggers", get(admin::loggers))
        .route("/admin/loggers/{logger}", get(admin::logger).put(admin::set_logger))
        .fallback(|| async { RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            RestError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
        })
        .layer(axum::middleware::from_fn_with_state(
            forward::client(),
            forward::forward,
        ))
        .layer(axum::middleware::from_fn(media_type::require_json_bodies))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
