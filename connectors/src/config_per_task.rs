//! A connector object for sinks whose tasks split the work by the Kafka partitions they are
//! assigned: every task runs the connector's own config.

use async_trait::async_trait;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};

/// Hands its config to each task (which parse it).
pub(crate) struct ConfigPerTask {
    config: ConfigMap,
}

impl ConfigPerTask {
    /// The connector of `config`.
    pub(crate) fn new(config: &ConfigMap) -> Self {
        ConfigPerTask { config: config.clone() }
    }
}

#[async_trait]
impl Connector for ConfigPerTask {
    async fn start(&mut self, _context: ConnectorContext) -> Result<(), ConnectError> {
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok(vec![self.config.clone(); max_tasks.max(1)])
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}
