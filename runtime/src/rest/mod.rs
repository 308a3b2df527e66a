//! The REST API, compatible with Apache Kafka Connect's: same paths, JSON shapes, status codes
//! and `{"error_code","message"}` errors. Handlers only translate HTTP to [`Herder`] calls.

mod admin;
mod auth;
mod body;
mod connectors;
mod console;
mod error;
mod forward;
mod media_type;
mod plugins;
mod response_rules;
mod server;
pub mod signature;
pub(crate) mod tls;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;

pub use admin::{ApplyLogFilter, Loggers};
pub use error::RestError;
pub use server::{bind, BoundListener, BoundRest, RestServer, RestSettings};

use crate::herder::Herder;
use crate::worker::TopicTracking;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The herder serving requests.
    pub herder: Arc<dyn Herder>,
    /// Logger levels.
    pub loggers: Arc<Loggers>,
    /// Whether the topic endpoints answer (`topic.tracking.*`).
    pub topic_tracking: TopicTracking,
}

/// Which endpoints a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoints {
    /// Everything (no separate `admin.listeners`).
    All,
    /// Everything but `/admin` (which is served elsewhere, or not at all).
    Public,
    /// `/admin` alone (an `admin.listeners` listener).
    Admin,
}

fn not_found() -> RestError {
    RestError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

/// The API's routes for `endpoints`, layered as `settings` say: cross-origin access and
/// header rules first, then authentication, then JSON bodies required, then forwarding to the
/// worker that must answer.
pub fn router(state: AppState, endpoints: Endpoints, settings: &RestSettings) -> Router {
    let mut routes = Router::new();
    if endpoints != Endpoints::Admin {
        routes = public_routes(routes);
        if let Some(console) = &settings.console {
            routes = routes.merge(console::routes(console.clone()));
        }
    }
    if endpoints != Endpoints::Public {
        routes = routes
            .route("/admin/loggers", get(admin::loggers))
            .route("/admin/loggers/{logger}", get(admin::logger).put(admin::set_logger));
    }
    let forwarding = forward::Forwarding {
        client: settings.client.clone(),
        read_timeout: settings.read_timeout,
    };
    let routes = routes
        .fallback(|| async { not_found() })
        .method_not_allowed_fallback(|| async {
            RestError::new(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
        })
        .layer(axum::middleware::from_fn_with_state(forwarding, forward::forward))
        .layer(axum::middleware::from_fn(media_type::require_json_bodies));
    let routes = match &settings.auth {
        Some(auth) => routes.layer(axum::middleware::from_fn_with_state(
            auth.clone(),
            auth::require_credentials,
        )),
        None => routes,
    };
    settings.response_rules.apply(routes).with_state(state)
}

fn public_routes(routes: Router<AppState>) -> Router<AppState> {
    routes
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
}
