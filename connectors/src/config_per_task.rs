//! A connector object for connectors whose tasks all run the connector's own config: sinks
//! that split the work by the Kafka partitions their tasks are assigned, and sources with one
//! task (a file, a replication slot).

use async_trait::async_trait;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};

/// Hands its config to each task (which parse it).
pub(crate) struct ConfigPerTask {
    config: ConfigMap,
    /// One task whatever `tasks.max` says.
    single: bool,
}

impl ConfigPerTask {
    /// `tasks.max` tasks (at least one), each with `config`.
    pub(crate) fn new(config: &ConfigMap) -> Self {
        ConfigPerTask {
            config: config.clone(),
            single: false,
        }
    }

    /// One task with `config`.
    pub(crate) fn single(config: &ConfigMap) -> Self {
        ConfigPerTask {
            config: config.clone(),
            single: true,
        }
    }
}

#[async_trait]
impl Connector for ConfigPerTask {
    async fn start(&mut self, _context: ConnectorContext) -> Result<(), ConnectError> {
        Ok(())
    }

    /// As Apache's file and Debezium's connectors: the whole config for each task.
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let tasks = if self.single { 1 } else { max_tasks.max(1) };
        Ok(vec![self.config.clone(); tasks])
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}
