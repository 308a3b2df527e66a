//! A connector object for sinks whose tasks split the work by the Kafka partitions they are
//! assigned: every task runs the connector's own config.

use async_trait::async_trait;
use tributary_runtime::config::{ConfigMap, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};

/// Hands its config to each task; `validate` checks rules across keys.
#[derive(Default)]
pub(crate) struct ConfigPerTask {
    config: ConfigMap,
    validate: Option<fn(&ConfigMap) -> Vec<ValidationError>>,
}

impl ConfigPerTask {
    /// A connector whose configs are also checked by `validate`.
    #[cfg(feature = "jdbc")]
    pub(crate) fn validated_by(validate: fn(&ConfigMap) -> Vec<ValidationError>) -> Self {
        ConfigPerTask {
            config: ConfigMap::new(),
            validate: Some(validate),
        }
    }
}

#[async_trait]
impl Connector for ConfigPerTask {
    fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        self.validate.map(|validate| validate(config)).unwrap_or_default()
    }

    async fn start(&mut self, config: &ConfigMap, _context: ConnectorContext) -> Result<(), ConnectError> {
        self.config = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok(vec![self.config.clone(); max_tasks.max(1)])
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}
