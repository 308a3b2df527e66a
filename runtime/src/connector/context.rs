//! What the worker gives connectors and tasks.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::data::SourceMap;

/// A Kafka topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
}

/// Reads committed source offsets.
pub trait OffsetReader: Send + Sync {
    /// The last committed offset of `partition`, if any.
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap>;
}

/// Given to a connector when it starts.
#[derive(Clone)]
pub struct ConnectorContext {
    /// The connector's name.
    pub name: String,
    /// Committed offsets of the connector (sources only; empty for sinks).
    pub offsets: Arc<dyn OffsetReader>,
    /// Where reconfiguration requests go (the herder, by connector name).
    reconfigurations: mpsc::UnboundedSender<String>,
}

impl ConnectorContext {
    /// The context of connector `name`; its reconfiguration requests go to `reconfigurations`.
    pub fn new(name: String, offsets: Arc<dyn OffsetReader>, reconfigurations: mpsc::UnboundedSender<String>) -> Self {
        ConnectorContext {
            name,
            offsets,
            reconfigurations,
        }
    }

    /// Asks the herder to call [`super::Connector::task_configs`] again and restart the tasks
    /// if the configs changed (Apache's `requestTaskReconfiguration`): for a connector whose
    /// work changed while it runs (new topics, new tables).
    pub fn request_task_reconfiguration(&self) {
        // The herder is gone only during shutdown, when there is nothing left to reconfigure.
        self.reconfigurations.send(self.name.clone()).ok();
    }
}

/// Given to a source task when it starts.
#[derive(Clone)]
pub struct SourceTaskContext {
    /// The connector's name.
    pub connector: String,
    /// The task's number.
    pub task: u32,
    /// Committed offsets of the connector.
    pub offsets: Arc<dyn OffsetReader>,
}

/// Given to a sink task when it starts.
#[derive(Debug, Clone)]
pub struct SinkTaskContext {
    /// The connector's name.
    pub connector: String,
    /// The task's number.
    pub task: u32,
}
