//! What starting a worker involves in either mode: resolving the worker config and checking
//! Kafka is reachable.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::Consumer;

use crate::config::{ConfigMap, ConfigProviders};
use crate::herder::HerderError;
use crate::storage::StoreError;
use crate::worker::WorkerConfig;

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The worker config is missing something or wrong.
    #[error("invalid worker configuration: {0}")]
    Config(String),
    /// Kafka could not be reached.
    #[error("cannot reach Kafka at {bootstrap}: {message}")]
    Kafka {
        /// `bootstrap.servers`.
        bootstrap: String,
        /// What failed.
        message: String,
    },
    /// The offsets, configs or statuses could not be opened: an internal topic could not be
    /// created, read or is unfit, or the offset file could not be read.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// The REST listener could not be opened.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A connector given at start-up was rejected.
    #[error("connector {name}: {error}")]
    Connector {
        /// Its name (or file).
        name: String,
        /// Why.
        error: HerderError,
    },
}

/// The worker config with its provider references (`${env:…}`, `${file:…}`) resolved, and its
/// own values, converters and Kafka client settings checked (every problem listed).
pub fn resolve_worker_config(raw: &ConfigMap) -> Result<WorkerConfig, StartError> {
    let providers = ConfigProviders::from_worker_config(raw).map_err(|e| StartError::Config(e.to_string()))?;
    let resolved = providers.resolve(raw).map_err(|e| StartError::Config(e.to_string()))?;
    let config = WorkerConfig::new(resolved);
    let mut problems = config.check();
    problems.extend(config.check_clients());
    if !problems.is_empty() {
        return Err(StartError::Config(problems.join("; ")));
    }
    Ok(config)
}

/// Fails unless the brokers answer with a cluster id within the worker's
/// `default.api.timeout.ms` (a minute unless set, as Apache's admin client waits); fails at once
/// when the client cannot be made or the cluster refuses it (credentials, TLS).
pub async fn check_kafka(config: &WorkerConfig) -> Result<(), StartError> {
    let failed = |message: String| StartError::Kafka {
        bootstrap: config.bootstrap_servers().to_string(),
        message,
    };
    let consumer = Arc::new(config.probe_client().map_err(failed)?);
    let timeout = config.startup_timeout();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let asking = consumer.clone();
        let id = tokio::task::spawn_blocking(move || {
            let id = asking.client().fetch_cluster_id(timeout.min(Duration::from_secs(2)));
            // Serves the client's events, so that its errors reach the context.
            let _ = asking.poll(Duration::ZERO);
            id
        })
        .await
        .ok()
        .flatten();
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            tracing::info!(kafka_cluster_id = %id, "connected to Kafka");
            return Ok(());
        }
        if let Some(error) = consumer.context().fatal_error() {
            return Err(failed(error));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(failed(format!(
                "no answer within {} ms, default.api.timeout.ms (is the broker running and reachable?)",
                timeout.as_millis()
            )));
        }
    }
}
