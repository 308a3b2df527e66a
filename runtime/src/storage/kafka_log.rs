//! A Kafka topic read from its start into memory and appended to: the backing of the config,
//! offset and status stores in distributed mode (Apache's `KafkaBasedLog`).
//!
//! One thread per log polls an assigned (group-less) consumer over every partition and hands
//! each record to the store's callback, in partition order. [`KafkaLog::read_to_end`] waits
//! until everything written before the call has been handed over, which is how a worker makes
//! sure it has seen the latest config, offsets or statuses. Writes go through an idempotent
//! `acks=all` producer and can be awaited.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::oneshot;

use super::StoreError;
use crate::client::DropOffRuntime;

/// How long a read-to-end may take before it is reported as a failure.
const READ_TO_END_TIMEOUT: Duration = Duration::from_secs(60);

/// One record of the log, as handed to the store's callback.
pub struct LogRecord<'a> {
    /// The record key.
    pub key: Option<&'a [u8]>,
    /// The record value; `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
}

/// What the store does with each record.
pub type RecordHandler = Box<dyn FnMut(LogRecord<'_>) + Send>;

struct EndRequest {
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// A compacted internal topic, read fully into a store and written through it.
pub struct KafkaLog {
    topic: String,
    producer: DropOffRuntime<FutureProducer>,
    requests: mpsc::Sender<EndRequest>,
    stop: Arc<AtomicBool>,
}

impl KafkaLog {
    /// Starts reading `topic` from its beginning, handing records to `handler`.
    /// `consumer` and `producer` are the client settings (bootstrap servers, security, the
    /// worker's overrides); the log sets what it relies on itself.
    pub fn start(
        topic: &str,
        mut consumer: ClientConfig,
        mut producer: ClientConfig,
        handler: RecordHandler,
    ) -> Result<Self, StoreError> {
        let other = |what: &str, e: rdkafka::error::KafkaError| StoreError::Other(format!("{what} for {topic}: {e}"));
        consumer
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "earliest")
            // librdkafka needs a group to assign partitions; it is never joined nor committed to.
            .set("group.id", format!("tributary-reader-{topic}"));
        // End offsets are asked through a client of their own: a broker answers one request per
        // connection at a time, so behind the reader's long-polling fetches they would wait.
        let watermarks: BaseConsumer = consumer.create().map_err(|e| other("cannot create the consumer", e))?;
        let consumer: BaseConsumer = consumer.create().map_err(|e| other("cannot create the consumer", e))?;
        let partitions = partitions_of(&watermarks, topic)?;
        let mut assignment = TopicPartitionList::new();
        for &partition in &partitions {
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(|e| other("cannot assign", e))?;
        }
        consumer.assign(&assignment).map_err(|e| other("cannot assign", e))?;
        for (key, value) in [("acks", "all"), ("enable.idempotence", "true"), ("linger.ms", "1")] {
            producer.set(key, value);
        }
        let producer: FutureProducer = producer.create().map_err(|e| other("cannot create the producer", e))?;
        let (requests, incoming) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            topic: topic.to_string(),
            consumer,
            watermarks,
            partitions,
            handler,
            incoming,
            stop: stop.clone(),
        };
        // The reader thread is not joined: it stops on its own, and its consumer's close (slow
        // when the brokers are gone) happens there, never on the async runtime.
        std::thread::Builder::new()
            .name(format!("log-{topic}"))
            .spawn(move || reader.run())
            .map_err(|e| StoreError::Other(format!("cannot start the reader of {topic}: {e}")))?;
        Ok(KafkaLog {
            topic: topic.to_string(),
            producer: DropOffRuntime::new(producer),
            requests,
            stop,
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Waits until every record written to the topic before this call has been handed to the
    /// store.
    pub async fn read_to_end(&self) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        self.requests
            .send(EndRequest { reply })
            .map_err(|_| StoreError::Other(format!("the reader of {} has stopped", self.topic)))?;
        done.await
            .map_err(|_| StoreError::Other(format!("the reader of {} has stopped", self.topic)))?
    }

    /// Writes one record and waits for the brokers to acknowledge it.
    pub async fn send(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), StoreError> {
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        self.producer
            .send(record, Duration::from_secs(30))
            .await
            .map(|_| ())
            .map_err(|(e, _)| StoreError::Other(format!("cannot write to {}: {e}", self.topic)))
    }

    /// Writes records in order and waits until all are acknowledged (one round trip for the
    /// batch, not one per record).
    pub async fn send_all(&self, records: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        let deliveries: Vec<_> = records
            .iter()
            .map(|(key, value)| {
                let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).key(key);
                if let Some(value) = value {
                    record = record.payload(value);
                }
                self.producer.send(record, Duration::from_secs(30))
            })
            .collect();
        for delivery in futures::future::join_all(deliveries).await {
            delivery.map_err(|(e, _)| StoreError::Other(format!("cannot write to {}: {e}", self.topic)))?;
        }
        Ok(())
    }

    /// Waits until everything sent has been acknowledged.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let producer = self.producer.clone();
        tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(30)))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
            .map_err(|e| StoreError::Other(format!("cannot flush writes to {}: {e}", self.topic)))
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The topic's partitions, waiting a little for a topic created a moment ago to show them.
fn partitions_of(client: &BaseConsumer, topic: &str) -> Result<Vec<i32>, StoreError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metadata = client
            .fetch_metadata(Some(topic), Duration::from_secs(30))
            .map_err(|e| StoreError::Other(format!("cannot read metadata for {topic}: {e}")))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if !partitions.is_empty() {
            return Ok(partitions);
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Other(format!("topic {topic} has no partitions")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Reader {
    topic: String,
    consumer: BaseConsumer,
    watermarks: BaseConsumer,
    partitions: Vec<i32>,
    handler: RecordHandler,
    incoming: mpsc::Receiver<EndRequest>,
    stop: Arc<AtomicBool>,
}

/// A read-to-end request: the end offsets it waits for, once known.
struct Pending {
    reply: oneshot::Sender<Result<(), StoreError>>,
    ends: Option<Vec<(i32, i64)>>,
    deadline: Instant,
}

impl Reader {
    fn run(mut self) {
        let mut pending: Vec<Pending> = Vec::new();
        while !self.stop.load(Ordering::Relaxed) {
            while let Ok(request) = self.incoming.try_recv() {
                pending.push(Pending {
                    reply: request.reply,
                    ends: None,
                    deadline: Instant::now() + READ_TO_END_TIMEOUT,
                });
            }
            let wait = if pending.is_empty() { 50 } else { 10 };
            match self.consumer.poll(Duration::from_millis(wait)) {
                Some(Ok(message)) => (self.handler)(LogRecord {
                    key: message.key(),
                    value: message.payload(),
                    partition: message.partition(),
                    offset: message.offset(),
                }),
                Some(Err(e)) => tracing::warn!(topic = %self.topic, "reading internal topic: {e}"),
                None => {}
            }
            if !pending.is_empty() {
                self.answer(&mut pending);
            }
        }
    }

    fn end_offsets(&self) -> Result<Vec<(i32, i64)>, StoreError> {
        self.partitions
            .iter()
            .map(|&partition| {
                self.watermarks
                    .fetch_watermarks(&self.topic, partition, Duration::from_secs(10))
                    .map(|(_, high)| (partition, high))
                    .map_err(|e| StoreError::Other(format!("cannot read the end offsets of {}: {e}", self.topic)))
            })
            .collect()
    }

    fn answer(&self, pending: &mut Vec<Pending>) {
        let mut last_error = None;
        for request in pending.iter_mut().filter(|r| r.ends.is_none()) {
            // A topic created a moment ago may have no leader yet: keep asking until the deadline.
            match self.end_offsets() {
                Ok(ends) => request.ends = Some(ends),
                Err(e) => last_error = Some(e.to_string()),
            }
        }
        let positions = match self.consumer.position() {
            Ok(positions) => positions,
            Err(_) => return,
        };
        let position = |partition: i32| match positions.find_partition(&self.topic, partition).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => 0,
        };
        let now = Instant::now();
        let mut index = 0;
        while index < pending.len() {
            let done = pending[index]
                .ends
                .as_ref()
                .is_some_and(|ends| ends.iter().all(|&(p, end)| position(p) >= end));
            if done || now > pending[index].deadline {
                let request = pending.swap_remove(index);
                let result = if done {
                    Ok(())
                } else {
                    Err(StoreError::Other(format!(
                        "could not read {} to its end within {READ_TO_END_TIMEOUT:?}{}",
                        self.topic,
                        last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                    )))
                };
                let _ = request.reply.send(result);
            } else {
                index += 1;
            }
        }
    }
}
