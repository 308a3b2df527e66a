//! Standalone mode assembled: offset file, worker, standalone herder and REST API, started from
//! a worker config and stopped cleanly (tasks flushed, offsets committed).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::config::{read_connector_file, ConfigMap};
use crate::herder::{Herder, HerderError, StandaloneHerder};
use crate::mode::startup::{self, StartError};
use crate::rest::{AppState, ApplyLogFilter, BoundListener, Loggers, RestServer};
use crate::state::TargetState;
use crate::storage::{FileOffsetStore, StatusStore};
use crate::worker::{Worker, NAME};

/// A running standalone worker.
pub struct StandaloneRuntime {
    herder: Arc<StandaloneHerder>,
    address: SocketAddr,
    server: RestServer,
}

impl StandaloneRuntime {
    /// Starts a worker from its (unresolved) config: checks Kafka is reachable, opens the offset
    /// file, and serves the REST API on `listeners`.
    pub async fn start(raw: ConfigMap, apply_log: Option<ApplyLogFilter>) -> Result<Self, StartError> {
        let mut config = startup::resolve_worker_config(&raw)?;
        let offsets_path = config
            .raw
            .get("offset.storage.file.filename")
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                StartError::Config(
                    "Missing required configuration \"offset.storage.file.filename\" which has no default value."
                        .into(),
                )
            })?
            .clone();
        let offsets = FileOffsetStore::open(Path::new(offsets_path.trim()))?;
        let rest = crate::rest::bind(&mut config).await?;
        let address = rest.address();
        let worker = Worker::new(config, Arc::new(offsets), Arc::new(StatusStore::default()))
            .map_err(|e| StartError::Config(e.to_string()))?;
        let herder = Arc::new(StandaloneHerder::new(worker));
        if let Some(mut requests) = herder.worker().take_reconfiguration_requests() {
            let herder = Arc::downgrade(&herder);
            tokio::spawn(async move {
                while let Some(name) = requests.recv().await {
                    let Some(herder) = herder.upgrade() else { break };
                    herder.reconfigure_tasks(&name).await;
                }
            });
        }
        startup::check_kafka(herder.worker().config()).await?;
        let topic_tracking = herder.worker().config().topic_tracking();
        let state = AppState {
            herder: herder.clone(),
            loggers: Arc::new(Loggers::new("INFO", apply_log)),
            topic_tracking,
        };
        let server = rest.serve(state);
        tracing::info!(%address, "REST API listening");
        Ok(StandaloneRuntime {
            herder,
            address,
            server,
        })
    }

    /// Creates the connector described by a file: `.properties` or `.json` (Apache's formats),
    /// or YAML (see [`read_connector_file`]).
    pub async fn add_connector_file(&self, path: &Path) -> Result<(), StartError> {
        let config = read_connector_file(path).map_err(|e| StartError::Connector {
            name: path.display().to_string(),
            error: HerderError::BadRequest(e.to_string()),
        })?;
        self.add_connector(config).await
    }

    /// Creates a connector from its config (which names it).
    pub async fn add_connector(&self, config: ConfigMap) -> Result<(), StartError> {
        let name = config.get(NAME.name()).cloned().unwrap_or_default();
        self.herder
            .create_connector(&name, config, TargetState::Started)
            .await
            .map(|_| ())
            .map_err(|error| StartError::Connector { name, error })
    }

    /// Where the REST API listens (its advertised listener).
    pub fn rest_address(&self) -> SocketAddr {
        self.address
    }

    /// Every REST listener, public and admin.
    pub fn rest_listeners(&self) -> &[BoundListener] {
        self.server.listeners()
    }

    /// The herder, for in-process use.
    pub fn herder(&self) -> &Arc<StandaloneHerder> {
        &self.herder
    }

    /// Stops every task (flushing and committing offsets), then the REST API.
    pub async fn shutdown(self) {
        self.herder.stop_all().await;
        self.server.shutdown().await;
    }
}
