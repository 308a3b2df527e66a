//! What the worker gives connectors and tasks.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::ErrantRecordReporter;
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
    /// The wait [`SinkTaskContext::timeout`] asked for, until the worker takes it.
    retry_wait: Arc<Mutex<Option<Duration>>>,
    errant_record_reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl SinkTaskContext {
    /// The context of task `task` of `connector`.
    pub fn new(connector: impl Into<String>, task: u32) -> Self {
        SinkTaskContext {
            connector: connector.into(),
            task,
            retry_wait: Arc::default(),
            errant_record_reporter: None,
        }
    }

    /// This context, giving the task `reporter` for the records it cannot write.
    pub fn with_errant_record_reporter(mut self, reporter: Arc<dyn ErrantRecordReporter>) -> Self {
        self.errant_record_reporter = Some(reporter);
        self
    }

    /// Where the task reports records it cannot write, as Apache's
    /// `SinkTaskContext.errantRecordReporter()`: `None` unless the connector sets a dead letter
    /// queue (`errors.deadletterqueue.topic.name`) or `errors.log.enable`.
    pub fn errant_record_reporter(&self) -> Option<&Arc<dyn ErrantRecordReporter>> {
        self.errant_record_reporter.as_ref()
    }

    /// Asks the worker to hand the batch whose `put` returns [`ConnectError::Retriable`] to
    /// `put` again after `wait`, as Apache's `SinkTaskContext.timeout(ms)` does (Confluent's
    /// JDBC sink asks for `retry.backoff.ms`). Without it the worker waits 0.1 s, twice that
    /// the next time, and so on up to `errors.retry.delay.max.ms`.
    ///
    /// [`ConnectError::Retriable`]: super::ConnectError::Retriable
    pub fn timeout(&self, wait: Duration) {
        *self.retry_wait.lock().unwrap_or_else(PoisonError::into_inner) = Some(wait);
    }

    /// The wait [`SinkTaskContext::timeout`] asked for since it was last taken.
    pub fn take_timeout(&self) -> Option<Duration> {
        self.retry_wait.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worker's copy sees the wait the task's copy asks for, once.
    #[test]
    fn a_sink_tasks_timeout_is_taken_once_by_the_worker() {
        let worker = SinkTaskContext::new("sink", 0);
        let task = worker.clone();
        assert_eq!(worker.take_timeout(), None);
        task.timeout(Duration::from_millis(250));
        assert_eq!(worker.take_timeout(), Some(Duration::from_millis(250)));
        assert_eq!(worker.take_timeout(), None);
    }
}
