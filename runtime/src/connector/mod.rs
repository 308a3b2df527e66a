//! The connector API: what a connector implements to run on Tributary.
//!
//! A connector is a [`Connector`] (splits the job into task configs) plus a [`SourceTask`] or
//! [`SinkTask`] (does the work), registered once with [`ConnectorPlugin`]. The
//! worker drives them: the connector made from its config by the plugin's `create`, `start`,
//! `task_configs`, then per task: made from its task config by the plugin's [`TaskFactory`],
//! `start`, `poll`/`put`, `flush`, `stop`. Everything is async; a task must not block the runtime (use `tokio::fs` or
//! `spawn_blocking` for blocking I/O).

mod acknowledged;
mod context;
mod errant;
mod error;
mod plugin;

use async_trait::async_trait;

pub use acknowledged::Acknowledged;
pub use context::{ConnectorContext, OffsetReader, SinkTaskContext, SourceTaskContext, TopicPartition};
pub use errant::ErrantRecordReporter;
pub use error::{format_validation, ConnectError};
pub use plugin::{
    connector_plugins, find_connector, AlterOffsets, ConnectorPlugin, MakeSinkTask, MakeSourceTask, TaskFactory,
};

use crate::config::ConfigMap;
use crate::data::{SinkRecord, SourceRecord};

/// A JSON object of the offsets API: a source partition or offset, or a sink's
/// `{"kafka_topic","kafka_partition"}` / `{"kafka_offset"}`.
pub type OffsetMap = serde_json::Map<String, serde_json::Value>;

/// The connector object: splits the work into task configs. It is made from its config by the
/// plugin's `create` ([`ConnectorPlugin`], which also holds its checks of configs and offsets).
#[async_trait]
pub trait Connector: Send + Sync {
    /// Starts the connector (whatever it needs from outside: listing tables or topics).
    async fn start(&mut self, context: ConnectorContext) -> Result<(), ConnectError>;

    /// At most `max_tasks` task configs.
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError>;

    /// Stops the connector.
    async fn stop(&mut self) -> Result<(), ConnectError>;
}

/// A source task: reads from an outside system and returns records with their positions.
#[async_trait]
pub trait SourceTask: Send + Sync {
    /// Starts the task (made from its config by the plugin's [`TaskFactory`]); `context` gives
    /// the offsets committed for its partitions.
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError>;

    /// The next batch. An empty batch means nothing right now; the task should wait a little
    /// (its own poll interval) before returning one, rather than spin. A stop cancels a poll
    /// that is still waiting (the future is dropped, then `stop` is called): what it had read
    /// was not handed out, so its offsets are not committed and the next start reads it again.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError>;

    /// Called after the offsets of everything polled so far were committed.
    async fn commit(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }

    /// Producer settings (librdkafka's keys) the task's producer takes where neither the
    /// worker's `producer.*` nor the connector's `producer.override.*` give them, before the
    /// worker's own defaults; asked once, before `start`.
    fn producer_defaults(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Whether the task's byte-valued headers are already in their Kafka form, to be written as
    /// they are whatever the worker's `header.converter` (a mirror copying headers); asked
    /// once, after `start`.
    fn headers_are_raw(&self) -> bool {
        false
    }

    /// Whether the worker should call [`SourceTask::acknowledged`] (Apache's `commitRecord`
    /// with the record's metadata); asked once, after `start`. Off by default: it costs a
    /// little per record.
    fn wants_acknowledgements(&self) -> bool {
        false
    }

    /// Where Kafka wrote the records sent since the last call, by topic partition, in send
    /// order; before each [`SourceTask::commit`] too. Only records that name their partition
    /// and carry a [`crate::data::ConnectRecord::kafka_offset`] (the task's own position for
    /// the record, handed back here) are reported.
    async fn acknowledged(&mut self, _acks: &[Acknowledged]) -> Result<(), ConnectError> {
        Ok(())
    }

    /// Stops the task.
    async fn stop(&mut self) -> Result<(), ConnectError>;
}

/// A sink task: writes records read from Kafka to an outside system.
#[async_trait]
pub trait SinkTask: Send + Sync {
    /// Starts the task (made from its config by the plugin's [`TaskFactory`]).
    async fn start(&mut self, context: SinkTaskContext) -> Result<(), ConnectError>;

    /// Writes (or buffers) a batch. A [`ConnectError::Retriable`] asks for the same batch again.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;

    /// Makes everything `put` so far durable; the worker commits consumer offsets only after
    /// this returns `Ok`.
    async fn flush(&mut self) -> Result<(), ConnectError>;

    /// Stops the task.
    async fn stop(&mut self) -> Result<(), ConnectError>;

    /// Whether `put` looks at record headers. A task that never does (the file sink writes
    /// values only) spares the worker reading and converting each record's headers, unless the
    /// connector has transforms, which always get them.
    fn reads_headers(&self) -> bool {
        true
    }
}
