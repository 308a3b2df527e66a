//! The errant record reporter the worker gives a sink task when its connector sets a dead
//! letter queue or `errors.log.enable` (Apache's `WorkerErrantRecordReporter`). A reported
//! record goes through the task's error handler at stage `TASK_PUT`; the dead letter queue gets
//! the record as it was read from Kafka, as Apache's does. The task's records hold no bytes of
//! it (keeping them would cost every record), so a reported record is read again from its
//! topic by offset: its offset is not yet committed, so it is still there.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::errors::{message_headers, ErrorHandler, RawRecord, Stage};
use crate::client::DropOffRuntime;
use crate::connector::{ConnectError, ErrantRecordReporter};
use crate::data::SinkRecord;

/// How long reading a reported record back may take.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The reporter of one sink task.
pub(super) struct WorkerErrantRecordReporter {
    errors: Arc<ErrorHandler>,
    /// Reads reported records back, when the dead letter queue or the log needs their bytes.
    originals: Option<Arc<Mutex<OriginalReader>>>,
    /// Why a report failed the task, until the worker takes it: a task that goes on after it
    /// fails all the same (Apache's `maybeThrowAsyncError`).
    failure: Mutex<Option<String>>,
}

impl WorkerErrantRecordReporter {
    /// Reports through `errors`; `consumer` is the config of the task's consumer (its group,
    /// its security settings), used when the records' bytes are needed.
    pub(super) fn new(errors: Arc<ErrorHandler>, consumer: ClientConfig) -> Self {
        let originals = errors
            .wants_record_bytes()
            .then(|| Arc::new(Mutex::new(OriginalReader::new(consumer))));
        WorkerErrantRecordReporter {
            errors,
            originals,
            failure: Mutex::new(None),
        }
    }

    /// Why a report since the last call failed the task, if one did.
    pub(super) fn take_failure(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl std::fmt::Debug for WorkerErrantRecordReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerErrantRecordReporter")
            .field("reads_records_back", &self.originals.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ErrantRecordReporter for WorkerErrantRecordReporter {
    async fn report(&self, record: &SinkRecord, error: &str) -> Result<(), ConnectError> {
        let (topic, partition, offset) = (record.original_topic(), record.original_partition, record.kafka_offset);
        let original = match &self.originals {
            Some(reader) => {
                let (reader, wanted) = (reader.clone(), (topic.to_string(), partition, offset));
                let read = tokio::task::spawn_blocking(move || {
                    let mut reader = reader.lock().unwrap_or_else(PoisonError::into_inner);
                    reader.read(&wanted.0, wanted.1, wanted.2)
                })
                .await
                .map_err(|e| ConnectError::caused("reading a reported record back stopped", e))?;
                Some(read?)
            }
            None => None,
        };
        let headers = original.as_ref().map(message_headers).unwrap_or_default();
        let raw = RawRecord {
            topic,
            partition,
            offset,
            timestamp: original.as_ref().and_then(|m| m.timestamp().to_millis()),
            key: original.as_ref().and_then(|m| m.key()),
            value: original.as_ref().and_then(|m| m.payload()),
            headers: &headers,
        };
        let handled = self.errors.handle(Stage::TaskPut, &error, Some(raw)).await;
        if let Err(e) = &handled {
            self.failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(|| e.to_string());
        }
        handled
    }
}

/// A consumer outside the task's group membership (its partitions assigned, not subscribed)
/// that reads single records by offset. Reports come in offset order within a partition, so
/// it reads on from where it is when it can, and seeks only when the record wanted is
/// elsewhere.
struct OriginalReader {
    config: ClientConfig,
    consumer: Option<DropOffRuntime<BaseConsumer>>,
    /// The partition assigned and the offset of the next record it gives.
    next: Option<(String, i32, i64)>,
}

impl OriginalReader {
    fn new(mut config: ClientConfig) -> Self {
        // librdkafka's consumer polls only with a group; assigned partitions join none, and
        // nothing is committed.
        config.set("enable.auto.commit", "false");
        // A record gone from its partition is an error, not a read from elsewhere.
        config.set("auto.offset.reset", "error");
        OriginalReader {
            config,
            consumer: None,
            next: None,
        }
    }

    /// The record at `offset` of `partition` of `topic` (blocking).
    fn read(&mut self, topic: &str, partition: i32, offset: i64) -> Result<OwnedMessage, ConnectError> {
        let position = format!("{topic}-{partition}@{offset}");
        let failed = |why: String| {
            ConnectError::fatal(format!(
                "cannot read record {position} back for the dead letter queue: {why}"
            ))
        };
        let consumer = match &mut self.consumer {
            Some(consumer) => consumer,
            missing => {
                let consumer: BaseConsumer = self.config.create().map_err(|e| failed(e.to_string()))?;
                missing.insert(DropOffRuntime::new(consumer))
            }
        };
        let reads_on = matches!(&self.next, Some((t, p, next)) if t == topic && *p == partition && *next <= offset);
        if !reads_on {
            self.next = None;
            let mut assignment = TopicPartitionList::new();
            assignment
                .add_partition_offset(topic, partition, Offset::Offset(offset))
                .and_then(|()| consumer.assign(&assignment))
                .map_err(|e| failed(e.to_string()))?;
        }
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(failed(format!("not read within {READ_TIMEOUT:?}")));
            }
            let Some(received) = consumer.poll(left) else { continue };
            let message = received.map_err(|e| failed(e.to_string()))?;
            if message.topic() != topic || message.partition() != partition || message.offset() < offset {
                continue;
            }
            self.next = Some((topic.to_string(), partition, message.offset() + 1));
            if message.offset() > offset {
                return Err(failed("it is no longer in its partition".into()));
            }
            return Ok(message.detach());
        }
    }
}
