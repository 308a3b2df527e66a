//! A Kafka topic read from its start into memory and appended to: the backing of the config,
//! offset and status stores in distributed mode (Apache's `KafkaBasedLog`).
//!
//! One thread per log polls an assigned (group-less) consumer over every partition, hands
//! each record to the store's callback, in partition order, and publishes how far it has read.
//! [`KafkaLog::read_to_end`] asks the brokers for the end offsets and waits until the reader is
//! past them, which is how a worker makes sure it has seen the latest config, offsets or
//! statuses; it costs a metadata round trip, not a turn of the reader's poll loop. Writes go
//! through an idempotent `acks=all` producer and can be awaited.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;

use super::StoreError;
use crate::client::DropOffRuntime;

/// How long a read-to-end may take before it is reported as a failure.
const READ_TO_END_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the reader waits for records before it looks at its position again.
const POLL_WAIT: Duration = Duration::from_millis(50);

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

/// The offset of the next record to hand over, by partition: what the reader publishes.
type Positions = Vec<(i32, i64)>;

/// A compacted internal topic, read fully into a store and written through it.
pub struct KafkaLog {
    topic: String,
    producer: DropOffRuntime<FutureProducer>,
    /// Asks for end offsets: a broker answers one request per connection at a time, so behind
    /// the reader's long-polling fetches they would wait.
    watermarks: DropOffRuntime<Arc<BaseConsumer>>,
    partitions: Vec<i32>,
    /// How far the reader has handed records over.
    positions: watch::Receiver<Positions>,
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
        let other = |what: &str, e: rdkafka::error::KafkaError| StoreError::caused(format!("{what} for {topic}"), e);
        consumer
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "earliest")
            // librdkafka needs a group to assign partitions; it is never joined nor committed to.
            .set("group.id", format!("tributary-reader-{topic}"));
        // librdkafka fetches up to 64 MB and 100,000 messages ahead by default, and keeps an op
        // of some hundred bytes per message: reading a long topic of small records (a mirror's
        // offset syncs at start) held 40-60 MB more at the peak than these bounds, no faster
        // (`cargo bench --bench mirror`). A full queue is fetched again after 10 ms, not 1 s.
        for (key, value) in [
            ("queued.max.messages.kbytes", "4096"),
            ("queued.min.messages", "10000"),
            ("fetch.queue.backoff.ms", "10"),
        ] {
            if consumer.get(key).is_none() {
                consumer.set(key, value);
            }
        }
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
        let (published, positions) = watch::channel(partitions.iter().map(|&p| (p, 0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            topic: topic.to_string(),
            consumer,
            handler,
            published,
            stop: stop.clone(),
        };
        // The reader thread is not joined: it stops on its own, and its consumer's close (slow
        // when the brokers are gone) happens there, never on the async runtime.
        std::thread::Builder::new()
            .name(format!("log-{topic}"))
            .spawn(move || reader.run())
            .map_err(|e| StoreError::caused(format!("cannot start the reader of {topic}"), e))?;
        Ok(KafkaLog {
            topic: topic.to_string(),
            producer: DropOffRuntime::new(producer),
            watermarks: DropOffRuntime::new(Arc::new(watermarks)),
            partitions,
            positions,
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
        let deadline = tokio::time::Instant::now() + READ_TO_END_TIMEOUT;
        let late = |detail: String| {
            StoreError::Other(format!(
                "could not read {} to its end within {READ_TO_END_TIMEOUT:?}{detail}",
                self.topic
            ))
        };
        // A topic created a moment ago may have no leader yet: keep asking until the deadline.
        let ends = loop {
            let (watermarks, topic, partitions) = (
                Arc::clone(&self.watermarks),
                self.topic.clone(),
                self.partitions.clone(),
            );
            let asked = tokio::task::spawn_blocking(move || end_offsets(&watermarks, &topic, &partitions))
                .await
                .map_err(|e| StoreError::caused(format!("cannot ask for the end offsets of {}", self.topic), e))?;
            match asked {
                Ok(ends) => break ends,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    return Err(late(format!(": {}", crate::error_chain::with_causes(&e))))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let mut positions = self.positions.clone();
        let reached = positions.wait_for(|positions| {
            ends.iter()
                .all(|(partition, end)| positions.iter().any(|(p, at)| p == partition && at >= end))
        });
        let outcome = tokio::time::timeout_at(deadline, reached).await.map(|r| r.map(|_| ()));
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(StoreError::Other(format!("the reader of {} has stopped", self.topic))),
            Err(_) => Err(late(String::new())),
        }
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
            .map_err(|(e, _)| StoreError::caused(format!("cannot write to {}", self.topic), e))
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
            delivery.map_err(|(e, _)| StoreError::caused(format!("cannot write to {}", self.topic), e))?;
        }
        Ok(())
    }

    /// Waits until everything sent has been acknowledged.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let producer = self.producer.clone();
        tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(30)))
            .await
            .map_err(|e| StoreError::caused(format!("the flush of {} did not finish", self.topic), e))?
            .map_err(|e| StoreError::caused(format!("cannot flush writes to {}", self.topic), e))
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
            .map_err(|e| StoreError::caused(format!("cannot read metadata for {topic}"), e))?;
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

/// The end offset of each of `partitions` of `topic`.
fn end_offsets(watermarks: &BaseConsumer, topic: &str, partitions: &[i32]) -> Result<Positions, StoreError> {
    partitions
        .iter()
        .map(|&partition| {
            watermarks
                .fetch_watermarks(topic, partition, Duration::from_secs(10))
                .map(|(_, high)| (partition, high))
                .map_err(|e| StoreError::caused(format!("cannot read the end offsets of {topic}"), e))
        })
        .collect()
}

struct Reader {
    topic: String,
    consumer: BaseConsumer,
    handler: RecordHandler,
    published: watch::Sender<Positions>,
    stop: Arc<AtomicBool>,
}

impl Reader {
    /// Hands records over until the log is dropped, publishing the position after each record
    /// and, when no record came, the consumer's own (past transaction markers and compacted
    /// gaps, which no record reports).
    fn run(mut self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.consumer.poll(POLL_WAIT) {
                Some(Ok(message)) => {
                    let (partition, next) = (message.partition(), message.offset() + 1);
                    (self.handler)(LogRecord {
                        key: message.key(),
                        value: message.payload(),
                        partition,
                        offset: message.offset(),
                    });
                    self.advance(&[(partition, next)]);
                }
                Some(Err(e)) => tracing::warn!(topic = %self.topic, "reading internal topic: {e}"),
                None => {
                    if let Ok(list) = self.consumer.position() {
                        let positions: Positions = list
                            .elements_for_topic(&self.topic)
                            .iter()
                            .filter_map(|e| match e.offset() {
                                Offset::Offset(at) => Some((e.partition(), at)),
                                _ => None,
                            })
                            .collect();
                        self.advance(&positions);
                    }
                }
            }
        }
    }

    /// Moves the published positions forward (never back), waking the readers-to-end only
    /// when one moved.
    fn advance(&self, reached: &[(i32, i64)]) {
        self.published.send_if_modified(|positions| {
            let mut moved = false;
            for (partition, at) in positions.iter_mut() {
                if let Some(&(_, new)) = reached.iter().find(|(p, _)| p == partition) {
                    if new > *at {
                        *at = new;
                        moved = true;
                    }
                }
            }
            moved
        });
    }
}
