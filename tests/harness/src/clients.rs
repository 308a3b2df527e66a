//! Small producer/consumer helpers for tests and benchmarks on a harness cluster.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::ToBytes;
use rdkafka::message::{BorrowedMessage, Headers, Message, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord, FutureProducer, FutureRecord, Producer};

use crate::HarnessError;

/// A name no other test of this run uses: `prefix-<pid>-<counter>-<random>`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}-{:06x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// The settings of an idempotent `acks=all` producer for `bootstrap`: a send retried on a busy
/// machine neither duplicates nor reorders records.
fn reliable_settings(bootstrap: &str) -> ClientConfig {
    let mut settings = ClientConfig::new();
    settings
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "120000");
    settings
}

/// An idempotent `acks=all` producer for `bootstrap`.
pub fn reliable_producer(bootstrap: &str) -> Result<FutureProducer, HarnessError> {
    Ok(reliable_settings(bootstrap).create()?)
}

/// The blocking twin of [`reliable_producer`], for sending many records from a blocking thread
/// with [`send_waiting`] (each to the partition the test chooses).
pub fn reliable_base_producer(bootstrap: &str) -> Result<BaseProducer, HarnessError> {
    Ok(reliable_settings(bootstrap).create()?)
}

/// A message's headers as `(key, value)` pairs, in order.
pub fn headers_of(message: &OwnedMessage) -> Vec<(String, Option<Vec<u8>>)> {
    message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|header| (header.key.to_string(), header.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default()
}

/// Sends every `(key, value)` keeping up to `in_flight` sends outstanding, and returns the
/// delivery result of each, in input order. The caller decides what a failed delivery means.
pub async fn produce_all(
    producer: &FutureProducer,
    topic: &str,
    records: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
    in_flight: usize,
) -> Vec<Result<(i32, i64), KafkaError>> {
    let sends = records.into_iter().map(|(key, value)| {
        let producer = producer.clone();
        let topic = topic.to_string();
        async move {
            let record = FutureRecord::to(&topic).key(&key).payload(&value);
            producer
                .send(record, Duration::from_secs(60))
                .await
                .map(|delivery| (delivery.partition, delivery.offset))
                .map_err(|(error, _)| error)
        }
    });
    futures::stream::iter(sends).buffered(in_flight.max(1)).collect().await
}

/// Flushes `producer` without blocking the async runtime.
pub async fn flush(producer: &FutureProducer) -> Result<(), HarnessError> {
    let producer = producer.clone();
    tokio::task::spawn_blocking(move || producer.flush(Duration::from_secs(60)))
        .await
        .map_err(|e| HarnessError::Usage(format!("flush task failed: {e}")))??;
    Ok(())
}

/// Reads `topic` from the beginning with a new group until `expected` records arrived or
/// `timeout` passed, and returns what arrived. `isolation` is `read_committed` or
/// `read_uncommitted`.
pub async fn consume_until(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
    isolation: &str,
) -> Result<Vec<OwnedMessage>, HarnessError> {
    let mut messages = Vec::with_capacity(expected);
    if expected == 0 {
        return Ok(messages);
    }
    read_until(bootstrap, topic, timeout, isolation, |message| {
        messages.push(message.detach());
        messages.len() >= expected
    })
    .await?;
    Ok(messages)
}

/// The distinct values of `topic`, read as [`consume_until`] does until `expected` of them
/// arrived or `timeout` passed: what an at-least-once copy delivered, its duplicates aside.
pub async fn distinct_values_until(
    bootstrap: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
    isolation: &str,
) -> Result<BTreeSet<Vec<u8>>, HarnessError> {
    let mut values = BTreeSet::new();
    if expected == 0 {
        return Ok(values);
    }
    read_until(bootstrap, topic, timeout, isolation, |message| {
        values.insert(message.payload().unwrap_or_default().to_vec());
        values.len() >= expected
    })
    .await?;
    Ok(values)
}

/// Reads `topic` from the beginning with a new group, handing each record to `take` until it
/// says it has enough or `timeout` passes.
async fn read_until(
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
    isolation: &str,
    mut take: impl FnMut(BorrowedMessage<'_>) -> bool,
) -> Result<(), HarnessError> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique_name("harness-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("isolation.level", isolation)
        .create()?;
    consumer.subscribe(&[topic])?;
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(message)) => {
                if take(message) {
                    return Ok(());
                }
            }
            Ok(Err(KafkaError::MessageConsumption(RDKafkaErrorCode::UnknownTopicOrPartition))) => {}
            Ok(Err(error)) => return Err(error.into()),
            Err(_elapsed) => return Ok(()),
        }
    }
}

/// Enqueues `record` on `producer`, serving delivery reports while its queue is full.
pub fn send_waiting<K, V>(producer: &BaseProducer, mut record: BaseRecord<'_, K, V>) -> Result<(), KafkaError>
where
    K: ToBytes + ?Sized,
    V: ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                record = returned;
                producer.poll(Duration::from_millis(10));
            }
            Err((error, _)) => return Err(error),
        }
    }
}
