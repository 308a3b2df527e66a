//! Herders own the cluster's view of connectors (configs, target states, assignments) and
//! drive a [`crate::worker::Worker`]. The REST API only talks to the [`Herder`] trait, so the
//! standalone herder and the distributed one serve the same endpoints.

mod common;
mod distributed;
mod embedded;
mod entities;
mod standalone;

use async_trait::async_trait;

pub use distributed::{DistributedHerder, DistributedSettings};
pub use embedded::EmbeddedKey;
pub use entities::{
    key_infos, ConfigInfos, ConfigKeyInfo, ConnectorInfo, ConnectorStateInfo, OffsetEntry, StateInfo, TaskId, TaskInfo,
    TaskStateInfo,
};
pub use standalone::StandaloneHerder;

use crate::rest::signature::RequestSignature;

use crate::config::ConfigMap;
use crate::state::TargetState;

/// A herder failure, carrying the HTTP status Apache Kafka Connect gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HerderError {
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409: a connector of that name exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 409: try again (e.g. a rebalance is under way).
    #[error("{0}")]
    Conflict(String),
    /// 403 (e.g. topic tracking disabled).
    #[error("{0}")]
    Forbidden(String),
    /// 500.
    #[error("{0}")]
    Internal(String),
    /// Another worker must handle the request (the leader, or the task's owner); `None` when
    /// no such worker is known right now (409, as during a rebalance).
    #[error("the request must be handled by {}", url.as_deref().unwrap_or("the leader, which is not known yet"))]
    Forward {
        /// The other worker's REST URL.
        url: Option<String>,
    },
}

impl HerderError {
    /// Apache's "Connector X not found".
    pub fn unknown_connector(name: &str) -> Self {
        HerderError::NotFound(format!("Connector {name} not found"))
    }
}

/// The result of every herder call.
pub type HerderResult<T> = Result<T, HerderError>;

/// What the REST API asks of a herder.
#[async_trait]
pub trait Herder: Send + Sync {
    /// Whether the worker has finished starting (a distributed one: joined its cluster, with
    /// the config topic read); `GET /health` answers 503 until then.
    fn started(&self) -> bool {
        true
    }
    /// How many connectors and tasks this worker runs (for `/metrics`).
    fn assigned_here(&self) -> (usize, usize);
    /// Names of every connector, sorted.
    async fn connectors(&self) -> Vec<String>;
    /// A connector's config, tasks and type.
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo>;
    /// Creates a connector; `AlreadyExists` if the name is taken.
    async fn create_connector(
        &self,
        name: &str,
        config: ConfigMap,
        initial: TargetState,
    ) -> HerderResult<ConnectorInfo>;
    /// Creates or replaces a connector's config; `true` when it was created.
    async fn put_connector_config(&self, name: &str, config: ConfigMap) -> HerderResult<(bool, ConnectorInfo)>;
    /// Deletes a connector (its offsets stay).
    async fn delete_connector(&self, name: &str) -> HerderResult<()>;
    /// Status of a connector and its tasks.
    async fn status(&self, name: &str) -> HerderResult<ConnectorStateInfo>;
    /// Task configs.
    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>>;
    /// Restarts the connector object and, as asked, its (failed) tasks; returns the status to
    /// show, or `None` when only the connector object was restarted.
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>>;
    /// Restarts one task.
    async fn restart_task(&self, name: &str, task: u32) -> HerderResult<()>;
    /// Sets the target state (pause, resume, stop).
    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()>;
    /// Committed offsets.
    async fn offsets(&self, name: &str) -> HerderResult<Vec<OffsetEntry>>;
    /// Changes (or, with `None`, resets) offsets; the connector must be STOPPED.
    async fn alter_offsets(&self, name: &str, offsets: Vec<OffsetEntry>) -> HerderResult<String>;
    /// Removes every offset; the connector must be STOPPED.
    async fn reset_offsets(&self, name: &str) -> HerderResult<String>;
    /// Topics the connector used.
    async fn topics(&self, name: &str) -> HerderResult<Vec<String>>;
    /// Forgets the topics the connector used.
    async fn reset_topics(&self, name: &str) -> HerderResult<()>;
    /// Validates a config for plugin `plugin`.
    async fn validate(&self, plugin: &str, config: ConfigMap) -> HerderResult<ConfigInfos>;
    /// The Kafka cluster id, for `GET /`.
    async fn kafka_cluster_id(&self) -> String;
    /// Internal (worker to leader): a connector's newly generated task configs, signed with
    /// the cluster's session key.
    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<ConfigMap>,
        signature: Option<RequestSignature>,
    ) -> HerderResult<()> {
        let _ = (configs, signature);
        Err(HerderError::BadRequest(format!(
            "Cannot submit task configs for {name}: this worker is not part of a distributed cluster"
        )))
    }
}
