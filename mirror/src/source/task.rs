//! `MirrorSourceTask`: consumes its assigned source partitions and hands each record to the
//! worker unchanged but for the topic name: bytes in, bytes out, same partition, same timestamp,
//! same headers. From the worker's acknowledgements it emits offset syncs (upstream offset →
//! offset in the remote topic) to the offset-syncs topic. Copying what the partitions held when
//! it started (everything, on a first start) is followed as long work (`catch-up`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::{FutureExt, StreamExt};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use tributary_runtime::client::{Arrival, ClientKind, DropOffRuntime, FetchQueue, FetchRoute};
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{Acknowledged, ConnectError, SourceTask, SourceTaskContext};
use tributary_runtime::data::{ConnectRecord, Header, SchemaRef, SourceMap, SourceRecord, Value};
use tributary_runtime::progress::Progress;

use super::{config_def, ASSIGNED, EMIT_OFFSET_SYNCS_ENABLED, OFFSET_LAG_MAX, PROVENANCE_HEADER_ENABLED};
use crate::config::{MirrorConfig, CONSUMER_POLL_TIMEOUT_MS};
use crate::offset_sync::OffsetSyncWriter;
use crate::provenance;
use crate::records::OffsetSync;

/// Records handed over per poll at most.
const MAX_BATCH: usize = 2_000;
/// How long the start waits for a partition's offsets, to measure the first copy.
const WATERMARKS_TIMEOUT: Duration = Duration::from_secs(10);
/// The size of the blocks fetched bytes are copied into (a larger value gets a block of its
/// own).
const COPY_BLOCK: usize = 64 * 1024;

/// `bytes` copied into the current block of `copies`, as a slice sharing that block: one
/// allocation per block instead of one per key and value. A block is freed (or reused) when
/// the last record in it is dropped, after the producer has copied it.
fn copied(copies: &mut BytesMut, bytes: &[u8]) -> Bytes {
    if copies.capacity() < bytes.len() {
        copies.reserve(COPY_BLOCK.max(bytes.len()));
    }
    copies.extend_from_slice(bytes);
    copies.split().freeze()
}

/// One assigned source partition: its remote topic and the offset partition map.
struct Assigned {
    remote_topic: Arc<str>,
    source_partition: Arc<SourceMap>,
    /// While catching up with what the partition held when the task started: the end offset
    /// then.
    catch_up_end: Option<i64>,
}

/// The copy of what the source partitions held when the task started (the whole topics, on a
/// mirror's first start), followed as long work.
struct CatchUp {
    progress: Progress,
    /// Partitions not caught up yet.
    partitions: usize,
}

/// Emits offset syncs.
struct OffsetSyncs {
    topic: String,
    producer: ThreadedProducer<DefaultProducerContext>,
    writer: OffsetSyncWriter,
    /// Source topic by remote topic.
    upstream_topics: HashMap<String, String>,
}

impl OffsetSyncs {
    fn send(&self, syncs: Vec<OffsetSync>) {
        for sync in syncs {
            let (key, value) = (sync.key(), sync.value());
            let record = BaseRecord::<[u8], [u8]>::to(&self.topic)
                .partition(0)
                .key(&key)
                .payload(&value);
            if let Err((e, _)) = self.producer.send(record) {
                // A later sync for the partition supersedes this one.
                tracing::warn!(topic = %self.topic, "cannot send an offset sync: {e}");
            }
        }
    }
}

/// Mirrors a set of source partitions.
pub(super) struct MirrorSourceTask {
    mirror: MirrorConfig,
    /// `consumer.poll.timeout.ms`: how long a poll waits for the first record.
    poll_timeout: Duration,
    /// The source partitions the connector gave this task.
    assignment: Vec<(String, i32)>,
    /// Opened by `start` (its group is named after the task); its own queue holds only errors.
    consumer: Option<Arc<DropOffRuntime<StreamConsumer>>>,
    /// Where the assigned partitions deliver what they fetch.
    fetch: Option<Arc<FetchQueue>>,
    /// By source topic, then partition (looked up per record by `&str`, so without allocating,
    /// and with a fast hash); filled by `start` with where each partition resumes.
    assigned: foldhash::HashMap<String, foldhash::HashMap<i32, Assigned>>,
    bytes_schema: SchemaRef,
    /// `None` when `emit.offset-syncs.enabled=false`.
    offset_syncs: Option<OffsetSyncs>,
    /// (source alias, target alias) when `provenance.header.enabled=true`.
    provenance: Option<(String, String)>,
    catch_up: Option<CatchUp>,
    /// The block the fetched keys, values and header values are copied into ([`copied`]).
    copies: BytesMut,
}

/// Gives the last record of each source partition in `records` its source offset (the upstream
/// offset): the worker commits the last position of each partition in a batch, and the records
/// before it need none, which spares an offset map per record.
fn with_last_offsets(records: &mut [SourceRecord]) {
    let mut done: Vec<*const SourceMap> = Vec::new();
    for record in records.iter_mut().rev() {
        let partition = Arc::as_ptr(&record.source_partition);
        if done.contains(&partition) {
            continue;
        }
        done.push(partition);
        if let Some(offset) = record.record.kafka_offset {
            record.source_offset.insert("offset".into(), offset.into());
        }
    }
}

fn parse_assignment(value: &str) -> Vec<(String, i32)> {
    value
        .split(',')
        .filter_map(|tp| {
            let (topic, partition) = tp.trim().rsplit_once('-')?;
            Some((topic.to_string(), partition.parse().ok()?))
        })
        .collect()
}

impl MirrorSourceTask {
    /// A task mirroring the source partitions its config assigns it.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        let provenance = mirror
            .value(&PROVENANCE_HEADER_ENABLED)
            .then(|| (mirror.source.clone(), mirror.target.clone()));
        Ok(MirrorSourceTask {
            poll_timeout: mirror.value(&CONSUMER_POLL_TIMEOUT_MS),
            mirror,
            assignment: parse_assignment(config.get(ASSIGNED).map(String::as_str).unwrap_or("")),
            consumer: None,
            fetch: None,
            assigned: foldhash::HashMap::default(),
            bytes_schema: SchemaRef::optional_bytes(),
            offset_syncs: None,
            provenance,
            catch_up: None,
            copies: BytesMut::new(),
        })
    }

    /// Deals with what the consumer's own queue gave: an error is logged; a message is copied.
    fn take_event(&mut self, event: KafkaResult<BorrowedMessage<'_>>, records: &mut Vec<SourceRecord>) -> u64 {
        match event {
            Ok(message) => self.copy(&message, records),
            Err(e) => {
                tracing::warn!("consuming the source cluster: {e}");
                0
            }
        }
    }

    /// Copies one fetched message into `records` as a record of its remote topic, unless it
    /// is not this task's or has been on the target cluster already; returns 1 if it counts
    /// toward the catch-up, else 0.
    fn copy(&mut self, message: &impl Message, records: &mut Vec<SourceRecord>) -> u64 {
        let Some(assigned) = self
            .assigned
            .get_mut(message.topic())
            .and_then(|partitions| partitions.get_mut(&message.partition()))
        else {
            return 0;
        };
        let mut caught_up = 0;
        if let Some(end) = assigned.catch_up_end {
            caught_up = u64::from(message.offset() < end);
            if message.offset() + 1 >= end {
                assigned.catch_up_end = None;
                if let Some(catch_up) = &mut self.catch_up {
                    catch_up.partitions -= 1;
                }
            }
        }
        let copies = &mut self.copies;
        let schema = Some(self.bytes_schema.clone());
        let mut bytes = |b: Option<&[u8]>| b.map_or(Value::Null, |b| Value::Bytes(copied(copies, b)));
        // Parsed once: librdkafka parses a message's headers anew on every call.
        let raw_headers = message.headers();
        let mut headers: Vec<Header> = raw_headers
            .map(|headers| {
                headers
                    .iter()
                    .filter(|h| self.provenance.is_none() || h.key != provenance::HEADER)
                    .map(|h| Header {
                        key: h.key.to_string(),
                        schema: schema.clone(),
                        value: bytes(h.value),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some((source, target)) = &self.provenance {
            let path = raw_headers
                .and_then(|headers| headers.iter().find(|h| h.key == provenance::HEADER))
                .and_then(|h| h.value);
            if provenance::visited(path, target) {
                // It has been on the target already: copying it there again would loop.
                return caught_up;
            }
            headers.push(Header {
                key: provenance::HEADER.to_string(),
                schema: schema.clone(),
                value: Value::bytes(provenance::extended(path, source)),
            });
        }
        records.push(SourceRecord {
            source_partition: assigned.source_partition.clone(),
            // Set by `with_last_offsets` on the partition's last record of the batch.
            source_offset: SourceMap::new(),
            record: ConnectRecord {
                topic: assigned.remote_topic.clone(),
                partition: Some(message.partition()),
                key_schema: schema.clone(),
                key: bytes(message.key()),
                value_schema: schema,
                value: bytes(message.payload()),
                timestamp: message.timestamp().to_millis(),
                headers,
                // Handed back with the acknowledgement, for the offset sync.
                kafka_offset: Some(message.offset()),
            },
        });
        caught_up
    }
}

#[async_trait]
impl SourceTask for MirrorSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        let mirror = &self.mirror;
        let (policy, source) = (&mirror.policy, &mirror.source);
        let mut client = mirror.client("source", ClientKind::Consumer)?;
        client
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // librdkafka needs a group to assign partitions; nothing is committed to it.
            .set("group.id", format!("mirror-{}-{}", context.connector, context.task));
        // librdkafka otherwise waits `fetch.queue.backoff.ms` (1 s) once its queue is full. Its
        // default queue (64 MB fetched ahead per consumer) is bounded to 4 MB, about 30 ms of
        // a full-speed copy; the worker's producer queue holds the rest. With 16 MB a two-task
        // copy peaked at 162-199 MB instead of 108-119, no faster. librdkafka also caps a
        // fetch at that bound. A consumer has one fetch in flight per broker, so on a long
        // link each round trip brings one fetch: 2 MB per partition instead of 1 MB keeps a
        // 100 ms, 40 MB/s link 85-93% busy with three partitions per task (78% with 1 MB).
        // Small records are bounded by count too: librdkafka keeps an op of some hundred
        // bytes per fetched message, so 4 MB of 100-byte records held about 18 MB; 10,000
        // of them are about 10 ms of a full-speed copy. Measured with `cargo bench --bench
        // mirror` (BENCHMARKS.md).
        for (key, value) in [
            ("auto.offset.reset", "earliest"),
            ("fetch.queue.backoff.ms", "10"),
            ("queued.max.messages.kbytes", "4096"),
            ("queued.min.messages", "10000"),
            ("max.partition.fetch.bytes", "2097152"),
        ] {
            if client.get(key).is_none() {
                client.set(key, value);
            }
        }
        let consumer: StreamConsumer = client
            .create()
            .map_err(|e| ConnectError::caused(format!("cannot create a consumer for cluster {source}"), e))?;
        let mut assignment = TopicPartitionList::new();
        let mut starts = Vec::new();
        for (topic, partition) in &self.assignment {
            let (topic, partition) = (topic.clone(), *partition);
            let mut source_partition = SourceMap::new();
            source_partition.insert("cluster".into(), source.clone().into());
            source_partition.insert("topic".into(), topic.clone().into());
            source_partition.insert("partition".into(), partition.into());
            let next = context
                .offsets
                .offset(&source_partition)
                .and_then(|o| o.get("offset").and_then(|v| v.as_i64()))
                .map(|last| last + 1);
            starts.push((topic.clone(), partition, next));
            let start = next.map_or(Offset::Beginning, Offset::Offset);
            assignment
                .add_partition_offset(&topic, partition, start)
                .map_err(ConnectError::failed)?;
            let remote_topic = policy.format_remote_topic(source, &topic).into();
            self.assigned.entry(topic).or_default().insert(
                partition,
                Assigned {
                    remote_topic,
                    source_partition: Arc::new(source_partition),
                    catch_up_end: None,
                },
            );
        }
        let consumer = Arc::new(DropOffRuntime::new(consumer));
        let fetch = FetchQueue::new(consumer.clone(), Arc::new(FetchRoute::default()))
            .map_err(|e| ConnectError::caused("cannot create the task's fetch queue", e))?;
        fetch.route(&assignment);
        consumer
            .assign(&assignment)
            .map_err(|e| ConnectError::caused("cannot assign source partitions", e))?;
        self.fetch = Some(Arc::new(fetch));
        let (consumer, ends) = tokio::task::spawn_blocking(move || {
            let ends: Vec<_> = starts
                .into_iter()
                .filter_map(|(topic, partition, next)| {
                    let (low, high) = consumer.fetch_watermarks(&topic, partition, WATERMARKS_TIMEOUT).ok()?;
                    let start = next.unwrap_or(low).max(low);
                    (high > start).then_some((topic, partition, start, high))
                })
                .collect();
            (consumer, ends)
        })
        .await
        .map_err(|e| ConnectError::caused("measuring the source partitions failed", e))?;
        let mut records = 0;
        for (topic, partition, start, end) in &ends {
            if let Some(assigned) = self.assigned.get_mut(topic).and_then(|p| p.get_mut(partition)) {
                assigned.catch_up_end = Some(*end);
                records += (end - start) as u64;
            }
        }
        if !ends.is_empty() {
            self.catch_up = Some(CatchUp {
                progress: Progress::start(&context.connector, context.task, "catch-up", "records", Some(records)),
                partitions: ends.len(),
            });
        }
        self.consumer = Some(consumer);
        if mirror.value(&EMIT_OFFSET_SYNCS_ENABLED) {
            let mut client = mirror.client(mirror.offset_syncs_cluster(), ClientKind::Producer)?;
            client.set("acks", "all").set("linger.ms", "100");
            let producer = client
                .create()
                .map_err(|e| ConnectError::caused("cannot create the offset-syncs producer", e))?;
            self.offset_syncs = Some(OffsetSyncs {
                topic: mirror.offset_syncs_topic(),
                producer,
                writer: OffsetSyncWriter::new(mirror.value(&OFFSET_LAG_MAX)),
                upstream_topics: self
                    .assigned
                    .iter()
                    .filter_map(|(topic, partitions)| {
                        let remote = partitions.values().next()?.remote_topic.to_string();
                        Some((remote, topic.clone()))
                    })
                    .collect(),
            });
        }
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let (Some(consumer), Some(fetch)) = (self.consumer.clone(), self.fetch.clone()) else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        let mut caught_up = 0;
        // The consumer's own queue: errors, and a message only if its partition were assigned
        // before being routed to `fetch`.
        let mut events = consumer.stream();
        let deadline = tokio::time::Instant::now() + self.poll_timeout;
        let fetched = loop {
            match fetch.next(MAX_BATCH, &mut events, deadline).await {
                Arrival::Messages(fetched) => break Some(fetched),
                Arrival::Event(event) => {
                    caught_up += self.take_event(event, &mut records);
                    if !records.is_empty() {
                        break None;
                    }
                }
                Arrival::Nothing => break None,
            }
        };
        if let Some(fetched) = fetched {
            // Room for the whole read at once: growing the vector step by step copies the
            // records over and over.
            records.reserve(fetched.len());
            for message in fetched.iter() {
                match message {
                    Ok(message) => caught_up += self.copy(&message, &mut records),
                    // Logged and passed: the consumer has moved past it.
                    Err(e) => tracing::warn!("consuming the source cluster: {e}"),
                }
            }
        }
        // One event a batch: errors do not pile up while messages keep coming.
        if let Some(Some(event)) = events.next().now_or_never() {
            caught_up += self.take_event(event, &mut records);
        }
        with_last_offsets(&mut records);
        if let Some(catch_up) = &mut self.catch_up {
            catch_up.progress.add(caught_up);
            // A partition whose last offsets are transaction markers or compacted away is
            // caught up once the consumer's position passes its end.
            if let Ok(positions) = consumer.position() {
                for element in positions.elements() {
                    let (Offset::Offset(position), Some(assigned)) = (
                        element.offset(),
                        self.assigned
                            .get_mut(element.topic())
                            .and_then(|p| p.get_mut(&element.partition())),
                    ) else {
                        continue;
                    };
                    if assigned.catch_up_end.is_some_and(|end| position >= end) {
                        assigned.catch_up_end = None;
                        catch_up.partitions -= 1;
                    }
                }
            }
            if catch_up.partitions == 0 {
                if let Some(done) = self.catch_up.take() {
                    done.progress.finish();
                }
            }
        }
        Ok(records)
    }

    fn producer_defaults(&self) -> &'static [(&'static str, &'static str)] {
        // The consumer holds 4 MB fetched ahead; 8 MB queued for the target (instead of the
        // worker's 32 MB) covers a copy at full speed: a two-task copy of 1 KiB records peaked
        // at 112-122 MB instead of 142-175, as fast (`cargo bench --bench mirror`).
        // Values over 512 bytes go into produce requests by reference to the producer's own
        // copy instead of being copied again: at 1 KiB the copy's CPU per record fell from
        // 1.19x to 1.05x the raw pipe's (medians of 15 rounds) and its peak by about 5 MB.
        // Shorter values are copied as before (a reference adds a buffer segment per value).
        &[
            ("queue.buffering.max.kbytes", "8192"),
            ("message.copy.max.bytes", "512"),
        ]
    }

    fn headers_are_raw(&self) -> bool {
        // Copied byte for byte, whatever the worker's header converter.
        true
    }

    fn wants_acknowledgements(&self) -> bool {
        self.offset_syncs.is_some()
    }

    async fn acknowledged(&mut self, acks: &[Acknowledged]) -> Result<(), ConnectError> {
        let Some(syncs) = &mut self.offset_syncs else {
            return Ok(());
        };
        for ack in acks {
            let Some(upstream_topic) = syncs.upstream_topics.get(&ack.topic) else {
                continue;
            };
            syncs.writer.record(upstream_topic, ack.partition, &ack.offsets);
        }
        let urgent = syncs.writer.take_urgent();
        syncs.send(urgent);
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), ConnectError> {
        if let Some(syncs) = &mut self.offset_syncs {
            let all = syncs.writer.take_all();
            syncs.send(all);
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.fetch = None;
        self.consumer = None;
        if let Some(syncs) = self.offset_syncs.take() {
            let flushed = tokio::task::spawn_blocking(move || {
                use rdkafka::producer::Producer;
                syncs.producer.flush(Duration::from_secs(10))
            })
            .await;
            if let Ok(Err(e)) = flushed {
                // Not fatal: the next task instance writes offset syncs again.
                tracing::warn!("offset syncs not all written on stop: {e}");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::{copied, COPY_BLOCK};

    #[test]
    fn copies_share_a_block_until_it_is_full() {
        let mut copies = BytesMut::new();
        let key = copied(&mut copies, b"key");
        let value = copied(&mut copies, b"value");
        assert_eq!((&key[..], &value[..]), (&b"key"[..], &b"value"[..]));
        assert_eq!(value.as_ptr(), key.as_ptr().wrapping_add(key.len()), "one block");
        let large = vec![7; COPY_BLOCK * 2];
        assert_eq!(copied(&mut copies, &large), large);
        let after = copied(&mut copies, b"next");
        assert_eq!(&after[..], b"next");
        assert_eq!(&key[..], b"key", "earlier copies are left as they were");
    }

    #[test]
    fn assignments_keep_dashes_in_topic_names() {
        assert_eq!(
            super::parse_assignment("orders-eu-0, orders-eu-11"),
            vec![("orders-eu".to_string(), 0), ("orders-eu".to_string(), 11)]
        );
    }
}
