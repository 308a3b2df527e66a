//! What the worker gives connectors and tasks.

use std::sync::Arc;

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
