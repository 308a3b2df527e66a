//! The sink task loop: consumer batch → converters → transforms → `put`, then, every
//! `offset.flush.interval.ms` and on shutdown, `flush` and only then the consumer offset commit.
//! The next batch is consumed and converted on another thread while the task puts the one
//! before, so the converters and the task's writes run in parallel; offsets count only for
//! records put.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::config::{
    DEAD_LETTER_QUEUE_REPLICATION_FACTOR, DEAD_LETTER_QUEUE_TOPIC, ERRORS_RETRY_DELAY_MAX, ERRORS_RETRY_TIMEOUT,
};
use super::errant::WorkerErrantRecordReporter;
use super::errors::{message_headers, ErrorHandler, RawRecord, Stage};
use super::sink_context::SinkConsumerContext;
use super::{sink_config_def, SinkTopics, TaskSetup, TransformChain};
use crate::client::{
    create_if_missing, Arrival, ClientKind, Creation, DropOffRuntime, FetchQueue, NewTopicSpec, TopicHandle,
};
use crate::connector::{ConnectError, MakeSinkTask, SinkTask, SinkTaskContext};
use crate::converter::{converter_for, Converter, ConverterRole, DataError, Lookup};
use crate::data::{ConnectRecord, Header, SinkRecord, TimestampType};
use crate::metrics::{Metrics, TopicTally};
use crate::state::{State, TargetState};
use crate::storage::StatusStore;

/// Records handed to one `put` at most, unless `consumer.max.poll.records` says otherwise.
const DEFAULT_MAX_BATCH: usize = 2000;
/// Without `consumer.max.poll.records`, a batch holds about this many bytes of keys and values
/// at most: a file sink of 1 KiB records took 5% less CPU and 7% less time with 1 MB batches
/// than with 2 MB ones, and 14% more CPU with 8 MB ones (`cargo bench --bench ab`), while
/// 100-byte records were 6% faster in batches of 2,000 than of 1,000.
const DEFAULT_BATCH_BYTES: usize = 1 << 20;
/// How long to wait for the first record of a batch before checking state and commits again.
const POLL_WAIT: Duration = Duration::from_millis(500);

/// Runs a sink task until it is stopped or fails; reports its states.
pub(crate) async fn run(setup: TaskSetup, make: MakeSinkTask) {
    let built = make(&setup.task_config).and_then(|task| SinkRunner::build(&setup, task));
    let mut runner = match built {
        Ok(runner) => runner,
        Err(e) => return setup.report(State::Failed, Some(e.trace())),
    };
    let outcome = runner.run(&setup).await;
    let shutdown = runner.shutdown(&setup, outcome.is_ok()).await;
    // The consumer leaves its group before the task counts as stopped, so that whoever takes
    // its partitions over gets them at once; off the runtime, and within the shutdown bound.
    let consumer = runner.consumer.clone();
    drop(runner);
    if let Ok(consumer) = Arc::try_unwrap(consumer) {
        let bound = setup.worker.task_shutdown_timeout();
        if tokio::time::timeout(bound, consumer.close()).await.is_err() {
            tracing::warn!(connector = %setup.connector, task = setup.task, "the consumer did not leave its group within {bound:?}");
        }
    }
    match outcome.and(shutdown) {
        Ok(()) => setup.report(State::Unassigned, None),
        Err(e) => setup.report(State::Failed, Some(e.trace())),
    }
}

struct SinkRunner {
    delivery: Delivery,
    started: bool,
    /// The reader's consumer, for pausing, commits and the lag gauge.
    consumer: Arc<DropOffRuntime<StreamConsumer<SinkConsumerContext>>>,
    /// Metric labels: the connector and the task number.
    labels: [String; 2],
    /// Behind a lock so that a batch can be read on another thread while the last is put.
    reader: Arc<tokio::sync::Mutex<BatchReader>>,
    /// Next offset to commit per partition, for records put since the last commit.
    pending: BTreeMap<(String, i32), i64>,
    last_commit: Instant,
    /// The dead letter queue topic, created at start when missing (as Apache's, with one
    /// partition and `errors.deadletterqueue.topic.replication.factor`), with the settings of
    /// the admin client that creates it.
    dead_letter_queue: Option<(ClientConfig, NewTopicSpec)>,
}

/// The task and how its `put` is retried.
struct Delivery {
    task: Box<dyn SinkTask>,
    /// The task's context, where it asks for the wait before a retry.
    context: SinkTaskContext,
    /// The errant record reporter the context gives the task, if any.
    reporter: Option<Arc<WorkerErrantRecordReporter>>,
    retry_timeout: Option<Duration>,
    retry_delay_max: Duration,
}

/// Reads batches: the consumer, converters, transforms and error handling.
struct BatchReader {
    /// Serves rebalances, errors and commit results.
    consumer: Arc<DropOffRuntime<StreamConsumer<SinkConsumerContext>>>,
    /// What the assigned partitions fetched.
    fetch: Arc<FetchQueue>,
    key_converter: Arc<dyn Converter>,
    value_converter: Arc<dyn Converter>,
    header_converter: Arc<dyn Converter>,
    /// Whether records get their headers: not when neither the task nor a transform reads
    /// them (librdkafka parses a message's headers anew on each request, a large part of the
    /// cost of a small record).
    with_headers: bool,
    transforms: TransformChain,
    errors: Arc<ErrorHandler>,
    size: BatchSize,
    /// Metric labels: the connector and the task number.
    labels: [String; 2],
    /// Topics read so far (each reported once for `GET /connectors/{c}/topics`, when topics
    /// are tracked), with the name their records share.
    known_topics: HashMap<String, Arc<str>>,
    /// Whether topics are tracked (`topic.tracking.enable`).
    track_topics: bool,
    statuses: Arc<StatusStore>,
    task_number: u32,
}

/// How many records the next batch reads.
#[derive(Debug)]
struct BatchSize {
    /// Records a batch holds at most.
    max_records: usize,
    /// Bytes of keys and values a batch holds about at most, when `consumer.max.poll.records`
    /// does not set the count.
    max_bytes: Option<usize>,
    /// Records the next batch reads: from the last batch's average record where bytes bound it.
    next: usize,
}

impl BatchSize {
    /// `max.poll.records` records when set, else up to [`DEFAULT_MAX_BATCH`] records and
    /// about [`DEFAULT_BATCH_BYTES`].
    fn new(max_poll_records: Option<usize>) -> Self {
        let max_records = max_poll_records.unwrap_or(DEFAULT_MAX_BATCH);
        BatchSize {
            max_records,
            max_bytes: max_poll_records.is_none().then_some(DEFAULT_BATCH_BYTES),
            next: max_records,
        }
    }

    /// Notes that a batch read `records` records of `bytes` key and value bytes.
    fn observe(&mut self, (records, bytes): (u64, u64)) {
        if let (Some(max_bytes), true) = (self.max_bytes, records > 0) {
            let average = usize::try_from(bytes.div_ceil(records)).unwrap_or(usize::MAX).max(1);
            self.next = (max_bytes / average).clamp(1, self.max_records);
        }
    }
}

/// Records read for one `put`, and the next offset of every partition they were read from
/// (also of records dropped by a transform or the error tolerance).
struct Batch {
    records: Vec<SinkRecord>,
    /// The next offset of each partition read, in the order first read.
    offsets: Vec<((String, i32), i64)>,
}

impl Batch {
    /// Notes that `partition` of `topic` is read up to `next`, allocating only for a partition
    /// new to the batch (records of one partition come in runs: the last entry is nearly always
    /// the one).
    fn note_offset(&mut self, topic: &str, partition: i32, next: i64) {
        match self
            .offsets
            .iter_mut()
            .rev()
            .find(|((t, p), _)| *p == partition && t == topic)
        {
            Some((_, at)) => *at = next,
            None => self.offsets.push(((topic.to_string(), partition), next)),
        }
    }
}

impl SinkRunner {
    fn build(setup: &TaskSetup, task: Box<dyn SinkTask>) -> Result<Self, ConnectError> {
        let config = &setup.connector_config;
        let parsed = sink_config_def().parse(config).map_err(ConnectError::Config)?;
        let converter = |role| converter_for(role, config, &setup.worker.raw).map_err(ConnectError::failed);
        let client_id = format!("connector-consumer-{}-{}", setup.connector, setup.task);
        let mut client = setup.client_settings(ClientKind::Consumer, &client_id)?;
        let size = BatchSize::new(client.max_poll_records());
        client.set("group.id", super::sink_consumer_group(&setup.connector));
        client.set("enable.auto.commit", "false");
        client.set("enable.auto.offset.store", "false");
        // Apache's sink default, and a short fetch back-off: librdkafka pauses fetching for
        // `fetch.queue.backoff.ms` (1 s) whenever its queue is past `queued.min.messages`,
        // which small records reach quickly, leaving the task idle.
        client.set_default("auto.offset.reset", "earliest");
        client.set_default("fetch.queue.backoff.ms", "10");
        // librdkafka holds up to 64 MB fetched ahead by default: 16 MB took a file sink of
        // 1 KiB records from 99-132 MB at its peak to 62-77 MB, no slower (`cargo bench
        // --bench ab`). Small records meet librdkafka's count bound (100,000) first; 10,000
        // instead made a file sink of 100-byte records 55% slower.
        client.set_default("queued.max.messages.kbytes", "16384");
        let consumer: StreamConsumer<SinkConsumerContext> = client
            .client_config()
            .create_with_context(SinkConsumerContext::default())
            .map_err(|e| ConnectError::caused("cannot create the task's consumer", e))?;
        let consumer = Arc::new(DropOffRuntime::new(consumer));
        let route = consumer.context().route();
        let fetch = FetchQueue::new(consumer.clone(), route)
            .map_err(|e| ConnectError::caused("cannot create the task's fetch queue", e))?;
        let subscription = SinkTopics::new(config).map_err(ConnectError::Config)?.subscription();
        let names: Vec<&str> = subscription.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| ConnectError::caused(format!("cannot subscribe to {names:?}"), e))?;
        let dlq_topic = parsed.value(&DEAD_LETTER_QUEUE_TOPIC).trim().to_string();
        let (dead_letter_queue, dlq_producer) = if dlq_topic.is_empty() {
            (None, None)
        } else {
            let admin_id = format!("connector-dlq-adminclient-{}-{}", setup.connector, setup.task);
            let admin = setup.client_settings(ClientKind::Admin, &admin_id)?.client_config();
            let topic = NewTopicSpec {
                name: dlq_topic,
                partitions: 1,
                replication_factor: parsed.value(&DEAD_LETTER_QUEUE_REPLICATION_FACTOR),
                configs: Vec::new(),
            };
            let producer: FutureProducer = setup
                .client_settings(
                    ClientKind::Producer,
                    &format!("connector-dlq-producer-{}-{}", setup.connector, setup.task),
                )?
                .client_config()
                .create()
                .map_err(|e| ConnectError::caused("cannot create the dead letter queue producer", e))?;
            (Some((admin, topic)), Some(producer))
        };
        let transforms = TransformChain::from_config(config).map_err(ConnectError::Config)?;
        let with_headers = task.reads_headers() || !transforms.is_empty();
        let retry_timeout = match parsed.value(&ERRORS_RETRY_TIMEOUT) {
            t if t < 0 => None,
            0 => None,
            t => Some(Duration::from_millis(t as u64)),
        };
        let labels = [setup.connector.clone(), setup.task.to_string()];
        let errors = Arc::new(ErrorHandler::new(&setup.connector, setup.task, &parsed, dlq_producer));
        let mut context = SinkTaskContext::new(setup.connector.clone(), setup.task);
        let reporter = if errors.reports_errant_records() {
            let reader_id = format!("connector-dlq-reader-{}-{}", setup.connector, setup.task);
            let mut reader = setup.client_settings(ClientKind::Consumer, &reader_id)?;
            reader.set("group.id", super::sink_consumer_group(&setup.connector));
            let reader = reader.client_config();
            let reporter = Arc::new(WorkerErrantRecordReporter::new(errors.clone(), reader));
            context = context.with_errant_record_reporter(reporter.clone());
            Some(reporter)
        } else {
            None
        };
        Ok(SinkRunner {
            delivery: Delivery {
                task,
                context,
                reporter,
                retry_timeout,
                retry_delay_max: parsed.value(&ERRORS_RETRY_DELAY_MAX).max(Duration::from_millis(1)),
            },
            started: false,
            consumer: consumer.clone(),
            labels: labels.clone(),
            reader: Arc::new(tokio::sync::Mutex::new(BatchReader {
                consumer,
                fetch: Arc::new(fetch),
                key_converter: converter(ConverterRole::Key)?,
                value_converter: converter(ConverterRole::Value)?,
                header_converter: converter(ConverterRole::Header)?,
                with_headers,
                transforms,
                errors,
                size,
                labels,
                known_topics: HashMap::new(),
                track_topics: setup.worker.topic_tracking().enabled,
                statuses: setup.statuses.clone(),
                task_number: setup.task,
            })),
            pending: BTreeMap::new(),
            last_commit: Instant::now(),
            dead_letter_queue,
        })
    }

    async fn run(&mut self, setup: &TaskSetup) -> Result<(), ConnectError> {
        if let Some((admin, topic)) = self.dead_letter_queue.take() {
            match create_if_missing(&admin, &topic).await {
                Ok(Creation::Created) => {
                    tracing::info!(connector = %setup.connector, task = setup.task, topic = %topic.name, "created the dead letter queue topic");
                }
                Ok(Creation::Existed) => {}
                Err(e) => {
                    return Err(ConnectError::fatal(format!(
                        "Could not initialize dead letter queue with topic={}: {e}",
                        topic.name
                    )))
                }
            }
        }
        self.delivery.task.start(self.delivery.context.clone()).await?;
        self.started = true;
        let mut control = setup.control.clone();
        let mut reported = None;
        let metrics = Metrics::global();
        // A batch read while the one before was being put.
        let mut ahead: Option<Batch> = None;
        // The vector of the last batch put, emptied, for the next read to fill: a new one per
        // batch (a full batch is some hundred KB) came from fresh pages each time, and faulting
        // them in was several percent of a small-record sink's CPU.
        let mut spare: Vec<SinkRecord> = Vec::new();
        loop {
            if let Some(error) = self.consumer.context().fatal_error() {
                return Err(ConnectError::caused("the task's consumer cannot reach Kafka", error));
            }
            let target = *control.borrow_and_update();
            if reported != Some(target) {
                match target {
                    TargetState::Started => {
                        self.set_paused(setup, false);
                        setup.report(State::Running, None);
                    }
                    TargetState::Paused => {
                        self.set_paused(setup, true);
                        setup.report(State::Paused, None);
                    }
                    TargetState::Stopped => return Ok(()),
                }
                reported = Some(target);
            }
            if target == TargetState::Paused {
                // Polls only to stay in the group and to take part in rebalances (the context
                // pauses what they assign); paused partitions fetch nothing, and what they
                // fetched before waits in the fetch queue, in order, until the task resumes.
                tokio::select! {
                    changed = control.changed() => if changed.is_err() { return Ok(()) },
                    received = self.consumer.recv() => if let Ok(message) = received {
                        self.rewind(setup, &message)?;
                    }
                }
                continue;
            }
            let batch = match ahead.take() {
                Some(batch) => batch,
                None => self.reader.lock().await.next_batch(std::mem::take(&mut spare)).await?,
            };
            if !batch.records.is_empty() {
                metrics
                    .sink_records_put
                    .with_label_values(&self.labels)
                    .inc_by(batch.records.len() as u64);
                metrics
                    .batch_size
                    .with_label_values(&self.labels)
                    .observe(batch.records.len() as f64);
                // The next batch is consumed and converted on another thread while this one is
                // put; its offsets count only once it is put in turn. The read is awaited
                // whatever the put's outcome, so that no read outlives the task.
                let reader = self.reader.clone();
                let records = std::mem::take(&mut spare);
                let reading = tokio::spawn(async move { reader.lock().await.next_batch(records).await });
                let put = self.delivery.put_with_retries(setup, &batch.records).await;
                let next = reading
                    .await
                    .map_err(|e| ConnectError::caused("reading the next batch failed", e))?;
                put?;
                ahead = Some(next?);
            }
            self.pending.extend(batch.offsets);
            spare = batch.records;
            spare.clear();
            if self.last_commit.elapsed() >= setup.worker.offset_flush_interval() {
                self.flush_and_commit(setup, CommitMode::Async).await?;
            }
        }
    }

    /// Pauses or resumes fetching: the partitions assigned now, and (through the consumer's
    /// context) those a rebalance assigns later.
    fn set_paused(&self, setup: &TaskSetup, paused: bool) {
        self.consumer.context().set_paused(paused);
        let assignment = match self.consumer.assignment() {
            Ok(assignment) => assignment,
            Err(e) => {
                tracing::warn!(connector = %setup.connector, task = setup.task, "cannot read the task's assignment: {e}");
                return;
            }
        };
        let done = if paused {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        if let Err(e) = done {
            tracing::warn!(connector = %setup.connector, task = setup.task, paused, "cannot pause or resume fetching: {e}");
        }
    }

    /// Puts back a record the consumer's own queue gave while the task is paused (one fetched
    /// before its partition was routed to the fetch queue, which routing at assignment
    /// prevents): its partition is read again from that record on, so that it is not lost.
    fn rewind(&self, setup: &TaskSetup, message: &BorrowedMessage<'_>) -> Result<(), ConnectError> {
        let (topic, partition, offset) = (message.topic(), message.partition(), message.offset());
        tracing::debug!(connector = %setup.connector, task = setup.task, topic, partition, offset, "rewinding a record fetched while paused");
        let mut position = TopicPartitionList::new();
        position
            .add_partition_offset(topic, partition, Offset::Offset(offset))
            .and_then(|()| self.consumer.seek_partitions(position, Duration::ZERO).map(drop))
            .and_then(|()| self.consumer.pause(&self.consumer.assignment()?))
            .map_err(|e| {
                ConnectError::caused(
                    format!(
                        "a record of {topic}-{partition} arrived while the task is paused and could not be put back"
                    ),
                    e,
                )
            })
    }

    /// `flush`, then commit the consumer offsets of everything put before it.
    async fn flush_and_commit(&mut self, setup: &TaskSetup, mode: CommitMode) -> Result<(), ConnectError> {
        self.last_commit = Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        self.delivery.task.flush().await?;
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), next) in std::mem::take(&mut self.pending) {
            offsets
                .add_partition_offset(&topic, partition, Offset::Offset(next))
                .map_err(ConnectError::failed)?;
        }
        self.update_lag(&offsets);
        let consumer = self.consumer.clone();
        let committed = match mode {
            CommitMode::Async => consumer.commit(&offsets, CommitMode::Async),
            CommitMode::Sync => tokio::task::spawn_blocking(move || consumer.commit(&offsets, CommitMode::Sync))
                .await
                .map_err(ConnectError::failed)?,
        };
        if let Err(e) = committed {
            // Not fatal: the records are durable in the sink; they will be re-delivered at worst.
            tracing::warn!(connector = %setup.connector, task = setup.task, "consumer offset commit failed: {e}");
        }
        Metrics::global()
            .offset_commit_seconds
            .with_label_values(&self.labels)
            .observe(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Sets the lag gauge from the high watermarks librdkafka cached from its last fetches
    /// (no request to the broker).
    fn update_lag(&self, offsets: &TopicPartitionList) {
        let mut lag = 0i64;
        for element in offsets.elements() {
            let Offset::Offset(next) = element.offset() else {
                continue;
            };
            let Ok(topic) = std::ffi::CString::new(element.topic()) else {
                continue;
            };
            let (mut low, mut high) = (0i64, 0i64);
            // SAFETY: the client pointer is valid while `self.consumer` lives; the topic is a
            // NUL-terminated string; the out-pointers point at live locals.
            let code = unsafe {
                rdkafka_sys::rd_kafka_get_watermark_offsets(
                    self.consumer.client().native_ptr(),
                    topic.as_ptr(),
                    element.partition(),
                    &mut low,
                    &mut high,
                )
            };
            if code == rdkafka_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 {
                lag += (high - next).max(0);
            }
        }
        Metrics::global()
            .sink_consumer_lag
            .with_label_values(&self.labels)
            .set(lag);
    }

    async fn shutdown(&mut self, setup: &TaskSetup, healthy: bool) -> Result<(), ConnectError> {
        let mut result = Ok(());
        if healthy && self.started {
            result = self.flush_and_commit(setup, CommitMode::Sync).await;
        }
        if self.started {
            let stopped = self.delivery.task.stop().await;
            result = result.and(stopped);
        }
        result
    }
}

impl Delivery {
    /// `put`, retrying a [`ConnectError::Retriable`] after the wait the task asked for (its
    /// context's `timeout`), else with growing back-off, until `errors.retry.timeout` (forever
    /// when it is 0 or -1, as Apache retries `put`).
    async fn put_with_retries(&mut self, setup: &TaskSetup, batch: &[SinkRecord]) -> Result<(), ConnectError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.task.put(batch).await {
                Ok(()) => {
                    // A report that failed the task fails it, whatever the task made of it.
                    return match self.reporter.as_ref().and_then(|r| r.take_failure()) {
                        Some(failure) => Err(ConnectError::Fatal(failure)),
                        None => Ok(()),
                    };
                }
                Err(ConnectError::Retriable(message)) => {
                    Metrics::global()
                        .task_retries
                        .with_label_values(&[setup.connector.as_str(), setup.task.to_string().as_str()])
                        .inc();
                    if self.retry_timeout.is_some_and(|limit| started.elapsed() >= limit) {
                        return Err(ConnectError::Fatal(format!(
                            "put still failing after retrying for {:?}: {message}",
                            started.elapsed()
                        )));
                    }
                    let asked = self.context.take_timeout();
                    let wait = asked.unwrap_or(delay);
                    tracing::warn!(connector = %setup.connector, task = setup.task, "put failed, retrying in {wait:?}: {message}");
                    let mut control = setup.control.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = control.wait_for(|s| *s == TargetState::Stopped) => {
                            return Err(ConnectError::Fatal(format!("stopped while retrying put: {message}")));
                        }
                    }
                    if asked.is_none() {
                        delay = (delay * 2).min(self.retry_delay_max);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl BatchReader {
    /// Reads up to `max_batch` records into `records` (empty; its room is reused), converting
    /// and transforming each; waits at most [`POLL_WAIT`] for the first.
    async fn next_batch(&mut self, records: Vec<SinkRecord>) -> Result<Batch, ConnectError> {
        let (consumer, fetch) = (self.consumer.clone(), self.fetch.clone());
        let mut batch = Batch {
            records,
            offsets: Vec::new(),
        };
        let mut tally = TopicTally::default();
        // The consumer's own queue: its stream serves rebalances (which route the partitions
        // they assign to `fetch`), errors and commit results.
        let mut events = consumer.stream();
        let deadline = tokio::time::Instant::now() + POLL_WAIT;
        let fetched = loop {
            match fetch.next(self.size.next, &mut events, deadline).await {
                Arrival::Messages(fetched) => break Some(fetched),
                Arrival::Event(event) => {
                    self.take_event(event, &mut batch, &mut tally).await?;
                    if !batch.records.is_empty() {
                        break None;
                    }
                }
                Arrival::Nothing => break None,
            }
        };
        let mut read = 0u64;
        if let Some(fetched) = fetched {
            // Room for the whole read at once: growing a vector of records step by step copies
            // them over and over.
            batch.records.reserve(fetched.len());
            // The last message's topic, known by its handle (equal handles within one read are
            // the same topic): messages come in runs of one topic, and reading the name of
            // each (its length measured, its UTF-8 checked, then looked up) was 3% of a file
            // sink's CPU at 100 B.
            let mut last_topic: Option<(TopicHandle, Arc<str>)> = None;
            for message in fetched.iter() {
                match message {
                    Ok(message) => {
                        read += 1;
                        let handle = message.topic_handle();
                        let topic = match &mut last_topic {
                            Some((seen, name)) if *seen == handle => &*name,
                            slot => &slot.insert((handle, self.topic_name(message.topic()))).1,
                        };
                        self.accept(&message, topic, &mut batch, &mut tally).await?;
                    }
                    Err(e) => {
                        tracing::warn!(connector = %self.labels[0], task = self.task_number, "consumer error: {e}")
                    }
                }
            }
        }
        // One event a batch keeps rebalances served while messages keep coming.
        if let Some(Some(event)) = events.next().now_or_never() {
            self.take_event(event, &mut batch, &mut tally).await?;
        }
        self.size.observe(tally.totals());
        let metrics = Metrics::global();
        metrics.sink_records_read.with_label_values(&self.labels).inc_by(read);
        tally.report(&metrics.sink_topic_records, &metrics.sink_topic_bytes, &self.labels);
        Ok(batch)
    }

    /// Deals with what the consumer's own queue gave: an error is logged; a message (fetched
    /// before its partition was routed to the fetch queue, which routing at assignment
    /// prevents) goes into the batch.
    async fn take_event(
        &mut self,
        event: KafkaResult<BorrowedMessage<'_>>,
        batch: &mut Batch,
        tally: &mut TopicTally,
    ) -> Result<(), ConnectError> {
        match event {
            Ok(message) => {
                Metrics::global()
                    .sink_records_read
                    .with_label_values(&self.labels)
                    .inc();
                let topic = self.topic_name(message.topic());
                self.accept(&message, &topic, batch, tally).await
            }
            Err(e) => {
                tracing::warn!(connector = %self.labels[0], task = self.task_number, "consumer error: {e}");
                Ok(())
            }
        }
    }

    /// The name records of `topic` share; a topic read for the first time is reported.
    fn topic_name(&mut self, topic: &str) -> Arc<str> {
        if let Some(name) = self.known_topics.get(topic) {
            return name.clone();
        }
        if self.track_topics {
            self.statuses.record_topic(&self.labels[0], self.task_number, topic);
        }
        let name: Arc<str> = Arc::from(topic);
        self.known_topics.insert(topic.to_string(), name.clone());
        name
    }

    /// Counts one consumed message of `original_topic` in `tally` and converts and transforms
    /// it into `batch`, or deals with its failure.
    async fn accept<M: Message>(
        &mut self,
        message: &M,
        original_topic: &Arc<str>,
        batch: &mut Batch,
        tally: &mut TopicTally,
    ) -> Result<(), ConnectError> {
        let topic = &**original_topic;
        tally.add(topic, message_bytes(message));
        batch.note_offset(topic, message.partition(), message.offset() + 1);
        // Parsed once: librdkafka parses a message's headers anew on every call.
        let headers = if self.with_headers { message.headers() } else { None };
        for (stage, lookup) in self.lookups(topic, message, headers) {
            if let Err(error) = lookup.await {
                return self.reject(stage, &error, message).await;
            }
        }
        // Converted where the batch keeps it, then transformed there: a record is about 200
        // bytes, and moving each in and out of the conversion and the transformations cost a
        // 100-byte file sink several percent of its CPU.
        let converted = match self.convert_into(original_topic, message, headers, &mut batch.records) {
            Ok(converted) => converted,
            Err((stage, error)) => return self.reject(stage, &error, message).await,
        };
        match self.transforms.apply_in_place(&mut converted.record) {
            Ok(true) => {
                // The record's own topic counts as the original while no transform renamed it.
                if !Arc::ptr_eq(&converted.record.topic, original_topic) {
                    converted.renamed_from = Some(original_topic.clone());
                }
                Ok(())
            }
            Ok(false) => {
                batch.records.pop();
                Ok(())
            }
            Err(error) => {
                batch.records.pop();
                self.reject(Stage::Transformation, &error, message).await
            }
        }
    }

    /// What the converters must fetch before they can read `message` (the schemas a registry
    /// holds under the ids it carries), by stage: nothing on a cache hit, and then nothing is
    /// awaited.
    fn lookups<M: Message>(&self, topic: &str, message: &M, headers: Option<&M::Headers>) -> Vec<(Stage, Lookup)> {
        let mut lookups = Vec::new();
        if let Some(lookup) = self.key_converter.lookup_for_connect(topic, message.key()) {
            lookups.push((Stage::KeyConverter, lookup));
        }
        if let Some(lookup) = self.value_converter.lookup_for_connect(topic, message.payload()) {
            lookups.push((Stage::ValueConverter, lookup));
        }
        for header in headers.iter().flat_map(|raw| raw.iter()) {
            if let Some(lookup) = self.header_converter.lookup_for_connect(topic, header.value) {
                lookups.push((Stage::HeaderConverter, lookup));
            }
        }
        lookups
    }

    /// `message` of `topic`, with its parsed `headers`, as a record pushed onto `records`; the
    /// stage that failed otherwise.
    fn convert_into<'r, M: Message>(
        &self,
        topic: &Arc<str>,
        message: &M,
        headers: Option<&M::Headers>,
        records: &'r mut Vec<SinkRecord>,
    ) -> Result<&'r mut SinkRecord, (Stage, DataError)> {
        let (key_schema, key) = self
            .key_converter
            .to_connect(topic, message.key())
            .map_err(|e| (Stage::KeyConverter, e))?;
        let (value_schema, value) = self
            .value_converter
            .to_connect(topic, message.payload())
            .map_err(|e| (Stage::ValueConverter, e))?;
        let mut converted = Vec::new();
        if let Some(raw) = headers {
            for header in raw.iter() {
                let (schema, value) = self
                    .header_converter
                    .to_connect(topic, header.value)
                    .map_err(|e| (Stage::HeaderConverter, e))?;
                converted.push(Header {
                    key: header.key.to_string(),
                    schema,
                    value,
                });
            }
        }
        // Asked once: a call into librdkafka each time.
        let timestamp = message.timestamp();
        let timestamp_type = match timestamp {
            rdkafka::Timestamp::CreateTime(_) => TimestampType::CreateTime,
            rdkafka::Timestamp::LogAppendTime(_) => TimestampType::LogAppendTime,
            rdkafka::Timestamp::NotAvailable => TimestampType::NoTimestampType,
        };
        let (partition, offset) = (message.partition(), message.offset());
        let index = records.len();
        records.push(SinkRecord {
            record: ConnectRecord {
                topic: topic.clone(),
                partition: Some(partition),
                key_schema,
                key,
                value_schema,
                value,
                timestamp: timestamp.to_millis(),
                headers: converted,
                kafka_offset: Some(offset),
            },
            kafka_offset: offset,
            timestamp_type,
            renamed_from: None,
            original_partition: partition,
        });
        Ok(&mut records[index])
    }

    async fn reject(&self, stage: Stage, error: &DataError, message: &impl Message) -> Result<(), ConnectError> {
        let headers = message_headers(message);
        let raw = RawRecord {
            topic: message.topic(),
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp().to_millis(),
            key: message.key(),
            value: message.payload(),
            headers: &headers,
        };
        self.errors.handle(stage, error, Some(raw)).await
    }
}

/// A consumed message's key and value bytes.
fn message_bytes(message: &impl Message) -> usize {
    message.key().map_or(0, <[u8]>::len) + message.payload().map_or(0, <[u8]>::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_of_long_records_hold_about_a_megabyte_unless_max_poll_records_is_set() {
        let mut size = BatchSize::new(None);
        assert_eq!(size.next, DEFAULT_MAX_BATCH);
        size.observe((2000, 2000 * 1024));
        assert_eq!(size.next, 1024);
        size.observe((1024, 1024 * 100));
        assert_eq!(size.next, DEFAULT_MAX_BATCH, "short records: the count bounds");
        size.observe((0, 0));
        assert_eq!(size.next, DEFAULT_MAX_BATCH, "an empty read changes nothing");
        size.observe((1, 8 << 20));
        assert_eq!(size.next, 1, "at least one record");

        let mut explicit = BatchSize::new(Some(5000));
        explicit.observe((5000, 5000 * 1024));
        assert_eq!(explicit.next, 5000);
    }
}
