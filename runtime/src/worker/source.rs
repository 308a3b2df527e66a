//! The source task loop: poll → transforms → converters → producer, committing the offsets of
//! acknowledged records every `offset.flush.interval.ms` and on shutdown.
//!
//! With `exactly.once.source.support=enabled` (distributed mode, KIP-618) the task's producer is
//! transactional (`transactional.id` = `<group.id>-<connector>-<task>`, so a new instance of the
//! task fences any zombie): the records of a transaction and their source offsets, written to
//! the offsets topic, are committed together at each `transaction.boundary` (every poll, or
//! every `transaction.boundary.interval.ms`).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::ClientConfig;

use super::ack_log::AckLog;
use super::config::{CONNECTOR_OFFSETS_TOPIC, TRANSACTION_BOUNDARY, TRANSACTION_BOUNDARY_INTERVAL};
use super::delivery::{DeliveryTracker, TrackingContext, UNTRACKED};
use super::errors::{ErrorHandler, Stage};
use super::topic_creation::TopicCreation;
use super::{connector_config_def, source_config_def, TaskSetup, TransformChain};
use crate::client::{
    create_if_missing, ClientKind, ClientSettings, Creation, DropOffRuntime, ErrorCapture, NativeHeaders, Placement,
    ProducerTopic, RunRecord,
};
use crate::clock::now_millis;
use crate::config::KeyValue;
use crate::connector::{ConnectError, MakeSourceTask, SourceTask, SourceTaskContext};
use crate::converter::{converter_for, Converter, ConverterRole, Lookup};
use crate::data::{ConnectRecord, DataError, Schema, SourceMap, SourceRecord, Value};
use crate::metrics::{Metrics, TopicTally};
use crate::state::{State, TargetState};
use crate::storage::{offset_record, ConnectorOffsetsReader};

/// How long shutdown waits for in-flight records to be acknowledged.
const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a transaction operation (init, flush, commit, abort) may take.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);
/// The average key and value bytes per record from which a batch's records are left in place
/// for librdkafka rather than copied ([`Placement`]). A/B on a file source (medians of four
/// series): left in place, 1 KiB lines took 5-18% less CPU, 100-byte lines 5-17% more.
const IN_PLACE_AVERAGE_BYTES: usize = 512;

/// Runs a blocking producer call off the async threads.
async fn blocking<E: std::error::Error + Send + Sync + 'static>(
    call: impl FnOnce() -> Result<(), E> + Send + 'static,
) -> Result<(), ConnectError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| ConnectError::caused("a transactional producer call panicked", e))?
        .map_err(|e| ConnectError::caused("transactional producer", e))
}

/// Runs a source task until it is stopped or fails; reports its states.
pub(crate) async fn run(mut setup: TaskSetup, make: MakeSourceTask) {
    match setup.source_offsets().await {
        Ok(offsets) => setup.offsets = offsets,
        Err(e) => return setup.report(State::Failed, Some(e.trace())),
    }
    let built = make(&setup.task_config).and_then(|task| SourceRunner::build(&setup, task));
    let mut runner = match built {
        Ok(runner) => runner,
        Err(e) => return setup.report(State::Failed, Some(e.trace())),
    };
    let outcome = runner.run(&setup).await;
    let shutdown = runner.shutdown(&setup).await;
    match outcome.and(shutdown) {
        Ok(()) => setup.report(State::Unassigned, None),
        Err(e) => setup.report(State::Failed, Some(e.trace())),
    }
}

/// A converted key, value or header value.
enum Payload {
    /// The converter's output.
    Written(Vec<u8>),
    /// The record's own bytes, which the converter passes through: shared, not copied.
    Shared(Bytes),
}

impl Payload {
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Written(bytes) => bytes,
            Payload::Shared(bytes) => bytes,
        }
    }
}

/// `value` serialized by `converter` (its lookup done).
fn serialize(
    converter: &dyn Converter,
    topic: &str,
    schema: Option<&Arc<Schema>>,
    value: Value,
) -> Result<Option<Payload>, DataError> {
    match value {
        Value::Bytes(bytes) if converter.passes_bytes_through() => Ok(Some(Payload::Shared(bytes))),
        value => Ok(converter.to_bytes_owned(topic, schema, value)?.map(Payload::Written)),
    }
}

/// A record's Kafka form.
struct Converted {
    key: Option<Payload>,
    value: Option<Payload>,
    /// `None` when the record has no headers.
    headers: Option<NativeHeaders>,
}

/// A record converted and ready for the producer, but for its headers (kept apart: librdkafka
/// takes them, while it only reads the key and value, which stay with the batch until every
/// record of it is delivered).
struct Prepared {
    topic: Arc<str>,
    partition: Option<i32>,
    timestamp: Option<i64>,
    /// The task's position for the record, handed back in its acknowledgement.
    position: Option<i64>,
    key: Option<Payload>,
    value: Option<Payload>,
}

impl Prepared {
    /// The record as librdkafka takes it, for batch `batch`.
    fn to_send(&self, batch: usize) -> RunRecord<'_> {
        RunRecord {
            key: self.key.as_ref().map(Payload::as_slice),
            value: self.value.as_ref().map(Payload::as_slice),
            partition: self.partition,
            timestamp: self.timestamp,
            opaque: batch,
        }
    }
}

/// How many records from the start of `prepared` go to librdkafka in one call: those to the
/// first one's topic.
fn run_length(prepared: &[Prepared]) -> usize {
    let Some(first) = prepared.first() else { return 0 };
    prepared
        .iter()
        .take_while(|record| Arc::ptr_eq(&record.topic, &first.topic) || record.topic == first.topic)
        .count()
}

/// Back-pressure: waits (10 ms at most) for an acknowledgement to free room in the producer's
/// queue.
async fn wait_for_room(tracker: &DeliveryTracker) {
    tokio::time::timeout(Duration::from_millis(10), tracker.wait_for_ack())
        .await
        .ok();
}

/// librdkafka's handle of `topic` among `topics`, made for `producer` on its first use.
fn topic_handle<'a>(
    topics: &'a mut HashMap<Arc<str>, ProducerTopic>,
    producer: &Arc<DropOffRuntime<ThreadedProducer<TrackingContext>>>,
    topic: &Arc<str>,
) -> Result<&'a ProducerTopic, ConnectError> {
    Ok(match topics.entry(topic.clone()) {
        Entry::Occupied(known) => known.into_mut(),
        Entry::Vacant(new) => {
            new.insert(ProducerTopic::new(producer.clone(), topic).map_err(|e| send_failed(topic, e))?)
        }
    })
}

/// The task's error when the producer refuses a record.
fn send_failed(topic: &str, e: KafkaError) -> ConnectError {
    ConnectError::caused(format!("Failed to send record to topic {topic}"), e)
}

/// Where a transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// After every poll batch.
    Poll,
    /// Every `transaction.boundary.interval.ms`.
    Interval(Duration),
}

/// The exactly-once state of a task.
struct Transactions {
    offsets_topic: String,
    boundary: Boundary,
    /// When the open transaction began, if one is open.
    open_since: Option<Instant>,
}

impl Transactions {
    /// The exactly-once settings of the task, when the worker enables them.
    fn configure(setup: &TaskSetup) -> Result<Option<(Self, String)>, ConnectError> {
        let Some(identity) = &setup.exactly_once else {
            return Ok(None);
        };
        let config = source_config_def()
            .parse(&setup.connector_config)
            .map_err(ConnectError::Config)?;
        let boundary = match config.value(&TRANSACTION_BOUNDARY).trim().to_ascii_lowercase().as_str() {
            "" | "poll" => Boundary::Poll,
            "interval" => Boundary::Interval(
                config
                    .value(&TRANSACTION_BOUNDARY_INTERVAL)
                    .unwrap_or(setup.worker.offset_flush_interval()),
            ),
            "connector" => {
                return Err(ConnectError::fatal(format!(
                    "The connector {} does not support connector-defined transaction boundaries; use transaction.boundary=poll or interval",
                    setup.connector
                )))
            }
            other => {
                return Err(ConnectError::fatal(format!(
                    "Invalid value {other} for configuration transaction.boundary: must be one of poll, interval, connector"
                )))
            }
        };
        let transactional_id = identity.transactional_id(&setup.connector, setup.task);
        // The connector's own offsets topic when it names one, written in the transaction.
        let own_offsets_topic = config.value(&CONNECTOR_OFFSETS_TOPIC).trim().to_string();
        Ok(Some((
            Transactions {
                offsets_topic: if own_offsets_topic.is_empty() {
                    identity.offsets_topic.clone()
                } else {
                    own_offsets_topic
                },
                boundary,
                open_since: None,
            },
            transactional_id,
        )))
    }
}

/// Sets the defaults of a source task's producer under what the worker's `producer.*` and the
/// connector's `producer.override.*` settings give: the task's own first (a mirror's tighter
/// queue), then the worker's.
fn set_producer_defaults(settings: &mut ClientSettings, task_defaults: &[(&str, &str)], exactly_once: bool) {
    // The queue bound is Java's `buffer.memory` default (32 MB); librdkafka's own (1 GB, or
    // 100,000 records) lets a fast source hold hundreds of MB waiting for the broker.
    for (key, value) in task_defaults.iter().copied().chain([
        ("acks", "all"),
        ("linger.ms", "5"),
        ("queue.buffering.max.kbytes", "32768"),
    ]) {
        settings.set_default(key, value);
    }
    if !exactly_once {
        // Apache Connect's source producer (no idempotence, one request in flight) keeps each
        // partition in order through retries; librdkafka's does not ("retrying may cause
        // reordering unless `enable.idempotence` is set to true", its CONFIGURATION.md): a topic
        // a mirror has just created refuses its first batches ("not leader") and the retried
        // ones land after later ones. An idempotent producer keeps the order (its broker thread
        // no longer spins while a request is answered: `vendor/rdkafka-sys/PATCHES.md`). As
        // Java's producer does, settings an idempotent producer cannot have (acks other than
        // all, more than five requests in flight, no retries) turn it off unless the user asked
        // for it; then one request in flight keeps what order librdkafka can.
        let number = |key| Option::<u64>::read(settings.get(key));
        let acks_all = settings
            .get("acks")
            .is_some_and(|acks| acks.trim().eq_ignore_ascii_case("all") || acks.trim() == "-1");
        let conflicting = !acks_all
            || number("max.in.flight.requests.per.connection").is_some_and(|n| n > 5)
            || number("retries") == Some(0);
        settings.set_default("enable.idempotence", if conflicting { "false" } else { "true" });
        let idempotent = bool::read(settings.get("enable.idempotence"));
        settings.set_default(
            "max.in.flight.requests.per.connection",
            if idempotent { "5" } else { "1" },
        );
    }
}

struct SourceRunner {
    task: Box<dyn SourceTask>,
    started: bool,
    key_converter: Arc<dyn Converter>,
    value_converter: Arc<dyn Converter>,
    header_converter: Arc<dyn Converter>,
    transforms: TransformChain,
    errors: ErrorHandler,
    producer: Arc<DropOffRuntime<ThreadedProducer<TrackingContext>>>,
    acked_reported: u64,
    tracker: Arc<DeliveryTracker>,
    last_commit: Instant,
    known_topics: HashSet<String>,
    labels: [String; 2],
    transactions: Option<Transactions>,
    /// Set when the started task wants acknowledgements (shared with the producer context).
    acks: Arc<OnceLock<AckLog>>,
    /// The started task's byte headers bypass the header converter.
    raw_headers: bool,
    /// The emptied vector of a batch sent, for the next (see [`Self::recycled`]).
    spare: Vec<Prepared>,
    /// librdkafka's handles of the topics written so far, for runs of records.
    topics: HashMap<Arc<str>, ProducerTopic>,
    /// How the topics are created that the task writes to and that do not exist (KIP-158),
    /// with the settings of the admin client that creates them.
    topic_creation: Option<(TopicCreation, ClientConfig)>,
}

impl SourceRunner {
    fn build(setup: &TaskSetup, task: Box<dyn SourceTask>) -> Result<Self, ConnectError> {
        let config = &setup.connector_config;
        let parsed = connector_config_def().parse(config).map_err(ConnectError::Config)?;
        let converter = |role| converter_for(role, config, &setup.worker.raw).map_err(ConnectError::failed);
        let latency = Metrics::global()
            .source_replication_latency_seconds
            .with_label_values(&[setup.connector.as_str(), setup.task.to_string().as_str()]);
        let tracker = Arc::new(DeliveryTracker::with_latency(latency));
        let mut settings = setup.client_settings(
            ClientKind::Producer,
            &format!("connector-producer-{}-{}", setup.connector, setup.task),
        )?;
        let transactions = Transactions::configure(setup)?;
        set_producer_defaults(&mut settings, task.producer_defaults(), transactions.is_some());
        let mut client = settings.client_config();
        let transactions = transactions.map(|(transactions, transactional_id)| {
            client.set("transactional.id", transactional_id);
            transactions
        });
        let acks = Arc::new(OnceLock::new());
        let producer: ThreadedProducer<TrackingContext> = client
            .create_with_context(TrackingContext {
                tracker: tracker.clone(),
                acks: acks.clone(),
                errors: ErrorCapture::default(),
            })
            .map_err(|e| ConnectError::caused("cannot create the task's producer", e))?;
        let topic_creation = match TopicCreation::from_config(config) {
            Ok(Some(creation)) if setup.worker.topic_creation() => {
                let admin_id = format!("connector-adminclient-{}-{}", setup.connector, setup.task);
                Some((
                    creation,
                    setup.client_settings(ClientKind::Admin, &admin_id)?.client_config(),
                ))
            }
            Ok(_) => None,
            Err(errors) => return Err(ConnectError::Config(errors)),
        };
        Ok(SourceRunner {
            task,
            started: false,
            key_converter: converter(ConverterRole::Key)?,
            value_converter: converter(ConverterRole::Value)?,
            header_converter: converter(ConverterRole::Header)?,
            transforms: TransformChain::from_config(config).map_err(ConnectError::Config)?,
            errors: ErrorHandler::new(&setup.connector, setup.task, &parsed, None),
            producer: Arc::new(DropOffRuntime::new(producer)),
            acked_reported: 0,
            tracker,
            last_commit: Instant::now(),
            known_topics: HashSet::new(),
            topics: HashMap::new(),
            labels: [setup.connector.clone(), setup.task.to_string()],
            transactions,
            acks,
            raw_headers: false,
            spare: Vec::new(),
            topic_creation,
        })
    }

    async fn run(&mut self, setup: &TaskSetup) -> Result<(), ConnectError> {
        let context = SourceTaskContext {
            connector: setup.connector.clone(),
            task: setup.task,
            offsets: Arc::new(ConnectorOffsetsReader::new(setup.offsets.clone(), &setup.connector)),
        };
        if self.transactions.is_some() {
            // Fences any earlier instance of this task still holding the transactional id.
            let producer = self.producer.clone();
            blocking(move || producer.init_transactions(TRANSACTION_TIMEOUT)).await?;
        }
        self.task.start(context).await?;
        self.started = true;
        if self.task.wants_acknowledgements() {
            self.acks.set(AckLog::default()).ok();
        }
        self.raw_headers = self.task.headers_are_raw();
        let mut control = setup.control.clone();
        let mut reported = None;
        let flush_interval = setup.worker.offset_flush_interval();
        let metrics = Metrics::global();
        loop {
            if let Some(error) = self.producer.context().errors.fatal_error() {
                return Err(ConnectError::caused("the task's producer cannot reach Kafka", error));
            }
            let target = *control.borrow_and_update();
            if reported != Some(target) {
                match target {
                    TargetState::Started => setup.report(State::Running, None),
                    TargetState::Paused => setup.report(State::Paused, None),
                    TargetState::Stopped => return Ok(()),
                }
                reported = Some(target);
            }
            if target == TargetState::Paused {
                // Keep committing what was acknowledged while waiting to be resumed or stopped.
                tokio::select! {
                    changed = control.changed() => if changed.is_err() { return Ok(()) },
                    _ = tokio::time::sleep(flush_interval) => self.commit(setup, true).await?,
                }
                continue;
            }
            // A stop does not wait for a poll that blocks (a slow query, an idle source), as
            // Apache's `SourceTask.stop` wakes one: what the poll had read was not sent, so its
            // offsets are not committed and the next start reads it again. A pause lets the
            // poll finish, since the task polls again on resuming.
            let polled = tokio::select! {
                polled = self.task.poll() => polled,
                _ = control.wait_for(|target| *target == TargetState::Stopped) => return Ok(()),
            };
            let records = match polled {
                Ok(records) => records,
                Err(ConnectError::Retriable(message)) => {
                    metrics.task_retries.with_label_values(&self.labels).inc();
                    tracing::warn!(connector = %setup.connector, task = setup.task, "poll failed, will retry: {message}");
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            if !records.is_empty() {
                self.begin_transaction()?;
                metrics
                    .source_records_polled
                    .with_label_values(&self.labels)
                    .inc_by(records.len() as u64);
                metrics
                    .batch_size
                    .with_label_values(&self.labels)
                    .observe(records.len() as f64);
                self.send_batch(setup, records).await?;
            } else {
                // An idle task frees the records delivered since its last batch now, not at
                // its next one.
                self.spare = self.recycled();
            }
            if let Some(failure) = self.tracker.failure() {
                return Err(ConnectError::Fatal(failure));
            }
            self.report_acknowledged().await?;
            if self.transactions.is_some() {
                self.commit_transaction(setup, false).await?;
            } else {
                self.commit(setup, false).await?;
            }
        }
    }

    /// Hands the acknowledgements gathered so far to the task, if it wants them.
    async fn report_acknowledged(&mut self) -> Result<(), ConnectError> {
        let Some(acks) = self.acks.get() else { return Ok(()) };
        let acknowledged = acks.take();
        if acknowledged.is_empty() {
            return Ok(());
        }
        self.task.acknowledged(&acknowledged).await
    }

    fn begin_transaction(&mut self) -> Result<(), ConnectError> {
        let Some(transactions) = &mut self.transactions else {
            return Ok(());
        };
        if transactions.open_since.is_none() {
            self.producer
                .begin_transaction()
                .map_err(|e| ConnectError::caused("cannot begin a transaction", e))?;
            transactions.open_since = Some(Instant::now());
        }
        Ok(())
    }

    /// Ends the open transaction at its boundary (or now, when `force`): the records' source
    /// offsets go to the offsets topic inside it, then it commits. A fenced producer (another
    /// instance of the task has started) fails the task.
    async fn commit_transaction(&mut self, setup: &TaskSetup, force: bool) -> Result<(), ConnectError> {
        let Some(transactions) = &self.transactions else {
            return Ok(());
        };
        let Some(since) = transactions.open_since else {
            return Ok(());
        };
        let due = match transactions.boundary {
            Boundary::Poll => true,
            Boundary::Interval(interval) => since.elapsed() >= interval,
        };
        if !due && !force {
            return Ok(());
        }
        let offsets_topic = transactions.offsets_topic.clone();
        let started = Instant::now();
        let producer = self.producer.clone();
        blocking(move || producer.flush(TRANSACTION_TIMEOUT)).await?;
        if let Some(failure) = self.tracker.failure() {
            return Err(ConnectError::Fatal(failure));
        }
        let offsets = self.tracker.take_committable().offsets;
        for (partition, offset) in &offsets {
            let (key, value) = offset_record(&setup.connector, partition, offset.as_ref());
            let mut record: BaseRecord<'_, [u8], [u8], usize> =
                BaseRecord::with_opaque_to(&offsets_topic, UNTRACKED).key(&key);
            if let Some(value) = &value {
                record = record.payload(value);
            }
            self.producer
                .send(record)
                .map_err(|(e, _)| ConnectError::caused(format!("cannot write offsets to {offsets_topic}"), e))?;
        }
        let producer = self.producer.clone();
        let committed = blocking(move || producer.commit_transaction(TRANSACTION_TIMEOUT)).await;
        if let Some(transactions) = &mut self.transactions {
            transactions.open_since = None;
        }
        let outcome = if committed.is_ok() { "committed" } else { "aborted" };
        Metrics::global()
            .source_transactions
            .with_label_values(&[&self.labels[0], &self.labels[1], outcome])
            .inc();
        if let Err(e) = committed {
            let producer = self.producer.clone();
            if let Err(abort) = blocking(move || producer.abort_transaction(TRANSACTION_TIMEOUT)).await {
                // The next instance of the task fences this producer, aborting the transaction.
                tracing::warn!(connector = %self.labels[0], task = %self.labels[1], "cannot abort the transaction: {abort}");
            }
            return Err(e);
        }
        setup.offsets.written_in_transaction(&setup.connector, offsets).await;
        self.committed(started);
        self.report_acknowledged().await?;
        self.task.commit().await
    }

    /// Counts the records written since the last commit, and the commit's duration.
    fn committed(&mut self, started: Instant) {
        let acked = self.tracker.acked_total();
        let metrics = Metrics::global();
        metrics
            .source_records_written
            .with_label_values(&self.labels)
            .inc_by(acked - self.acked_reported);
        self.acked_reported = acked;
        metrics
            .offset_commit_seconds
            .with_label_values(&self.labels)
            .observe(started.elapsed().as_secs_f64());
    }

    /// Observes how old the oldest record of a batch is as it is sent at `now` (both in
    /// milliseconds since the epoch): for the mirror source, the replication latency.
    fn record_age(&self, oldest: Option<i64>, now: i64) {
        let Some(oldest) = oldest else {
            return;
        };
        let age_ms = now.saturating_sub(oldest).max(0);
        Metrics::global()
            .source_record_age_seconds
            .with_label_values(&self.labels)
            .observe(age_ms as f64 / 1000.0);
    }

    async fn send_batch(&mut self, setup: &TaskSetup, mut records: Vec<SourceRecord>) -> Result<(), ConnectError> {
        let batch = self.tracker.open_batch();
        // The last offset of each source partition, moved (not cloned) out of the records; an
        // empty offset leaves the partition's position as it is.
        let mut last_offsets: Vec<(Arc<SourceMap>, SourceMap)> = Vec::new();
        let mut note = |partition: &Arc<SourceMap>, offset: SourceMap| {
            if offset.is_empty() {
                return;
            }
            match last_offsets
                .iter_mut()
                .rev()
                .find(|(p, _)| Arc::ptr_eq(p, partition) || p == partition)
            {
                Some(entry) => entry.1 = offset,
                None => last_offsets.push((partition.clone(), offset)),
            }
        };
        // First transform and convert the whole batch, then send it: the records are counted
        // (and their acknowledgement positions noted) once for the batch, before any delivery
        // report can arrive. Each record is transformed and converted where it is in `records`:
        // moving it out costs a copy of it (see `TransformChain::apply_in_place`).
        let mut prepared = self.recycled();
        prepared.reserve(records.len());
        let mut headers = Vec::with_capacity(records.len());
        for source in &mut records {
            note(&source.source_partition, std::mem::take(&mut source.source_offset));
            let record = &mut source.record;
            match self.transforms.apply_in_place(record) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    self.errors.handle(Stage::Transformation, &e, None).await?;
                    continue;
                }
            }
            let Some(converted) = self.convert(record).await? else {
                continue;
            };
            prepared.push(Prepared {
                topic: record.topic.clone(),
                partition: record.partition,
                timestamp: record.timestamp,
                position: record.kafka_offset,
                key: converted.key,
                value: converted.value,
            });
            headers.push(converted.headers);
        }
        drop(records);
        let oldest = prepared.iter().filter_map(|p| p.timestamp).min();
        self.tracker.records_sent(batch, prepared.len(), oldest);
        let mut tally = TopicTally::default();
        let mut batch_bytes = 0;
        for record in &prepared {
            let bytes = record.key.as_ref().map_or(0, |k| k.as_slice().len())
                + record.value.as_ref().map_or(0, |v| v.as_slice().len());
            tally.add(&record.topic, bytes);
            batch_bytes += bytes;
        }
        if setup.worker.topic_tracking().enabled {
            for topic in tally.topics() {
                if !self.known_topics.contains(topic) {
                    setup.statuses.record_topic(&setup.connector, setup.task, topic);
                    self.known_topics.insert(topic.to_string());
                }
            }
        }
        let metrics = Metrics::global();
        tally.report(&metrics.source_topic_records, &metrics.source_topic_bytes, &self.labels);
        // The age metric's "now" (librdkafka stamps a record without a timestamp itself).
        self.record_age(oldest, now_millis());
        if let Some(acks) = self.acks.get() {
            acks.sent(
                prepared
                    .iter()
                    .filter_map(|p| Some((&*p.topic, p.partition?, p.position?))),
            );
        }
        let placement = if batch_bytes >= IN_PLACE_AVERAGE_BYTES * prepared.len() {
            Placement::InPlace
        } else {
            Placement::Copied
        };
        let prepared = Arc::new(prepared);
        if placement == Placement::InPlace {
            // librdkafka reads the keys and values where they are until it reports each
            // record's delivery: the tracker holds them from before the first is queued until
            // the batch is acknowledged, even when this sending fails or is abandoned half way.
            self.tracker.hold(batch, prepared.clone());
        }
        let mut next = 0;
        while next < prepared.len() {
            let run = run_length(&prepared[next..]);
            let end = next + run;
            self.produce_run(&prepared[next..end], &mut headers[next..end], placement, batch)
                .await?;
            next = end;
        }
        self.tracker.seal(
            batch,
            last_offsets
                .into_iter()
                .map(|(partition, offset)| (Arc::unwrap_or_clone(partition), offset))
                .collect(),
        );
        // A copied batch's vector is free at once.
        if let Some(mut spare) = Arc::into_inner(prepared) {
            spare.clear();
            self.spare = spare;
        }
        Ok(())
    }

    /// An empty vector for the next batch: the last copied batch's, or the largest of the
    /// in-place batches acknowledged since the last call, whose records are dropped here, on the
    /// thread that made them (a new vector per batch came from fresh pages each time).
    fn recycled(&mut self) -> Vec<Prepared> {
        let mut spare = std::mem::take(&mut self.spare);
        for held in self.tracker.take_released() {
            let Ok(batch) = held.downcast::<Vec<Prepared>>() else {
                continue;
            };
            if let Some(mut records) = Arc::into_inner(batch) {
                records.clear();
                if records.capacity() > spare.capacity() {
                    spare = records;
                }
            }
        }
        spare
    }

    /// Queues a run of records for one topic, with their `headers`, in one call to librdkafka
    /// (see [`run_length`]), waiting for deliveries while the producer's queue is full; a
    /// record the producer refuses (larger than `max.request.size`) is skipped under
    /// `errors.tolerance=all`, as Apache's, and fails the task otherwise. Left in
    /// place, the run's memory must be held by the tracker for `batch`
    /// ([`DeliveryTracker::hold`]).
    async fn produce_run(
        &mut self,
        run: &[Prepared],
        headers: &mut [Option<NativeHeaders>],
        placement: Placement,
        batch: usize,
    ) -> Result<(), ConnectError> {
        let topic = &run[0].topic;
        if !self.topics.contains_key(topic) {
            self.create_topic(topic).await?;
        }
        let handle = topic_handle(&mut self.topics, &self.producer, topic)?;
        let mut handled = 0;
        while handled < run.len() {
            let records = run[handled..].iter().map(|record| record.to_send(batch));
            // SAFETY: copied, or the keys and values of the batch's records, which the tracker
            // holds until each one's delivery report (see `send_batch`).
            let queued = unsafe { handle.produce_run(records, &mut headers[handled..], placement) }
                .map_err(|e| send_failed(topic, e))?;
            for (index, error) in queued.refused {
                let refused = &run[handled + index];
                // As Apache's (KIP-779): skipped under errors.tolerance=all, unless in a
                // transaction; else the task fails.
                let error = send_failed(topic, error);
                if self.transactions.is_some() {
                    return Err(error);
                }
                self.errors.handle(Stage::KafkaProduce, &error, None).await?;
                self.tracker.skipped(batch);
                if let (Some(acks), Some(partition), Some(position)) =
                    (self.acks.get(), refused.partition, refused.position)
                {
                    acks.skipped(topic, partition, position);
                }
            }
            handled += queued.handled;
            if handled < run.len() {
                wait_for_room(&self.tracker).await;
            }
        }
        Ok(())
    }

    /// Creates `topic`, new to the task, as its `topic.creation.*` settings say, unless it
    /// exists; before the producer first asks for it, which could have the brokers create it
    /// with their defaults. As Apache's, a topic that cannot be created fails the task.
    async fn create_topic(&self, topic: &str) -> Result<(), ConnectError> {
        let Some((creation, admin)) = &self.topic_creation else {
            return Ok(());
        };
        let new = creation.new_topic(topic);
        match create_if_missing(admin, &new).await {
            Ok(Creation::Created) => {
                tracing::info!(connector = %self.labels[0], task = %self.labels[1], topic, partitions = new.partitions, replication_factor = new.replication_factor, "created topic");
                Ok(())
            }
            Ok(Creation::Existed) => Ok(()),
            Err(e) => Err(ConnectError::fatal(format!(
                "Task failed to create new topic {topic}: {e}. Ensure that the task is authorized to create topics \
                 or that the topic exists and restart the task"
            ))),
        }
    }

    /// The key, value and headers as bytes, moved out of the record; `None` when a tolerated
    /// error skips the record. What a converter must fetch first (a schema registry's id) is
    /// awaited before; most records need nothing, and are converted without awaiting.
    async fn convert(&self, record: &mut ConnectRecord) -> Result<Option<Converted>, ConnectError> {
        for (stage, lookup) in self.lookups(record) {
            if let Err(e) = lookup.await {
                self.errors.handle(stage, &e, None).await?;
                return Ok(None);
            }
        }
        match self.serialize_record(record) {
            Ok(converted) => Ok(Some(converted)),
            Err((stage, e)) => {
                self.errors.handle(stage, &e, None).await?;
                Ok(None)
            }
        }
    }

    /// What the converters must fetch before they can serialize `record`, by stage.
    fn lookups(&self, record: &ConnectRecord) -> Vec<(Stage, Lookup)> {
        let topic = &record.topic;
        let mut lookups = Vec::new();
        if let Some(lookup) = self.key_converter.lookup_for_bytes(topic, record.key_schema.as_deref()) {
            lookups.push((Stage::KeyConverter, lookup));
        }
        if let Some(lookup) = self
            .value_converter
            .lookup_for_bytes(topic, record.value_schema.as_deref())
        {
            lookups.push((Stage::ValueConverter, lookup));
        }
        for header in &record.headers {
            // Raw headers pass as they are (see `serialize_record`).
            if self.raw_headers && matches!(header.value, Value::Bytes(_) | Value::Null) {
                continue;
            }
            if let Some(lookup) = self.header_converter.lookup_for_bytes(topic, header.schema.as_deref()) {
                lookups.push((Stage::HeaderConverter, lookup));
            }
        }
        lookups
    }

    /// The key, value and headers as bytes, moved out of the record, once the converters'
    /// lookups are done; the stage that failed otherwise.
    fn serialize_record(&self, record: &mut ConnectRecord) -> Result<Converted, (Stage, DataError)> {
        let topic = &record.topic;
        let key = std::mem::replace(&mut record.key, Value::Null);
        let key = serialize(&*self.key_converter, topic, record.key_schema.as_deref(), key)
            .map_err(|e| (Stage::KeyConverter, e))?;
        let value = std::mem::replace(&mut record.value, Value::Null);
        let value = serialize(&*self.value_converter, topic, record.value_schema.as_deref(), value)
            .map_err(|e| (Stage::ValueConverter, e))?;
        if record.headers.is_empty() {
            // No header list at all: librdkafka would allocate one per record.
            return Ok(Converted {
                key,
                value,
                headers: None,
            });
        }
        let mut headers = NativeHeaders::with_capacity(record.headers.len());
        for header in &mut record.headers {
            let bytes = match std::mem::replace(&mut header.value, Value::Null) {
                Value::Bytes(bytes) if self.raw_headers => Some(Payload::Shared(bytes)),
                Value::Null if self.raw_headers => None,
                value => serialize(&*self.header_converter, topic, header.schema.as_deref(), value)
                    .map_err(|e| (Stage::HeaderConverter, e))?,
            };
            headers.add(&header.key, bytes.as_ref().map(Payload::as_slice));
        }
        Ok(Converted {
            key,
            value,
            headers: Some(headers),
        })
    }

    /// Commits the offsets of acknowledged batches, if `force` or the flush interval passed.
    async fn commit(&mut self, setup: &TaskSetup, force: bool) -> Result<(), ConnectError> {
        if !force && self.last_commit.elapsed() < setup.worker.offset_flush_interval() {
            return Ok(());
        }
        self.last_commit = Instant::now();
        let started = Instant::now();
        let before = self.tracker.in_flight();
        let committable = self.tracker.take_committable();
        if committable.offsets.is_empty() {
            return Ok(());
        }
        setup
            .offsets
            .commit(&setup.connector, committable.offsets)
            .await
            .map_err(|e| ConnectError::caused("offset commit failed", e))?;
        self.committed(started);
        tracing::debug!(connector = %setup.connector, task = setup.task, in_flight = before, "committed source offsets");
        self.report_acknowledged().await?;
        self.task.commit().await
    }

    /// Flushes the producer, commits what was acknowledged, and stops the task.
    async fn shutdown(&mut self, setup: &TaskSetup) -> Result<(), ConnectError> {
        // A producer that cannot reach Kafka (credentials, TLS) delivers nothing more: no wait.
        if self.producer.context().errors.fatal_error().is_none() {
            let producer = self.producer.clone();
            let flushed = tokio::task::spawn_blocking(move || producer.flush(SHUTDOWN_FLUSH_TIMEOUT)).await;
            if let Ok(Err(e)) = flushed {
                tracing::warn!(connector = %setup.connector, task = setup.task, "producer flush on shutdown: {e}");
            }
        }
        let committed = if self.transactions.is_some() {
            self.commit_transaction(setup, true).await
        } else {
            self.commit(setup, true).await
        };
        let written = self.tracker.in_flight();
        if written > 0 {
            tracing::warn!(connector = %setup.connector, task = setup.task, unacknowledged = written, "stopping with records unacknowledged; their offsets are not committed");
        }
        if self.started {
            self.task.stop().await?;
        }
        committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigMap;

    /// A producer's settings from the user's `java` ones, after `set_producer_defaults`.
    fn defaulted(java: &[(&str, &str)], task_defaults: &[(&str, &str)], exactly_once: bool) -> ClientSettings {
        let java: ConfigMap = java.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut settings = ClientSettings::translate(&java, ClientKind::Producer).expect("valid settings");
        set_producer_defaults(&mut settings, task_defaults, exactly_once);
        settings
    }

    #[test]
    fn producers_default_to_idempotence_which_keeps_order_through_retries() {
        let producer = defaulted(&[], &[], false);
        assert_eq!(producer.get("acks"), Some("all"));
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
        assert_eq!(producer.get("max.in.flight.requests.per.connection"), Some("5"));
        assert_eq!(producer.get("queue.buffering.max.kbytes"), Some("32768"));
    }

    #[test]
    fn the_users_and_the_tasks_settings_come_before_the_workers_defaults() {
        let producer = defaulted(
            &[("enable.idempotence", "false"), ("linger.ms", "20")],
            &[("queue.buffering.max.kbytes", "8192")],
            false,
        );
        assert_eq!(producer.get("enable.idempotence"), Some("false"));
        assert_eq!(producer.get("max.in.flight.requests.per.connection"), Some("1"));
        assert_eq!(producer.get("linger.ms"), Some("20"));
        assert_eq!(producer.get("queue.buffering.max.kbytes"), Some("8192"));
    }

    #[test]
    fn settings_an_idempotent_producer_cannot_have_turn_idempotence_off_unless_asked_for() {
        for conflicting in [
            ("acks", "1"),
            ("max.in.flight.requests.per.connection", "10"),
            ("retries", "0"),
        ] {
            let producer = defaulted(&[conflicting], &[], false);
            assert_eq!(producer.get("enable.idempotence"), Some("false"), "{conflicting:?}");
        }
        let asked = defaulted(&[("acks", "1"), ("enable.idempotence", "true")], &[], false);
        assert_eq!(asked.get("enable.idempotence"), Some("true"));
        for acks in ["-1", "ALL"] {
            let producer = defaulted(&[("acks", acks)], &[], false);
            assert_eq!(producer.get("enable.idempotence"), Some("true"), "acks={acks}");
            assert_eq!(producer.get("max.in.flight.requests.per.connection"), Some("5"));
        }
        let upper = defaulted(&[("enable.idempotence", "TRUE"), ("acks", "1")], &[], false);
        assert_eq!(upper.get("max.in.flight.requests.per.connection"), Some("5"));
    }

    #[test]
    fn exactly_once_producers_are_left_to_their_transactional_id() {
        // librdkafka makes a transactional producer idempotent, and refuses one set otherwise.
        let producer = defaulted(&[], &[], true);
        assert_eq!(producer.get("enable.idempotence"), None);
        assert_eq!(producer.get("max.in.flight.requests.per.connection"), None);
        assert_eq!(producer.get("acks"), Some("all"));
    }
}
