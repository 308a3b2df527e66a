//! The capture task: sets up the publication and slot, takes the initial snapshot, then
//! streams the slot's changes over a replication connection (`START_REPLICATION`, the
//! `pgoutput` plugin) and confirms to the slot only what the worker committed.
//!
//! Offsets (partition `{"server": <topic.prefix>}`): snapshot records carry
//! `{"snapshot": true, "lsn": <slot start>}` (the last one also `"last_snapshot_record": true`);
//! change records carry the commit LSN of the last transaction delivered completely, and the
//! last record of a transaction its own commit LSN, so a crash in the middle of a transaction
//! reads the whole transaction again rather than skipping its rest. A blocking snapshot's
//! records carry `{"snapshot": "BLOCKING", "lsn": <where streaming waits>}`; while an
//! incremental snapshot runs, every record also carries its progress (`incremental_snapshot`,
//! [`super::incremental`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use pgwire_replication::{Lsn, ReplicationClient, ReplicationEvent};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Executor;
use tokio::time::Instant;
use tributary_runtime::clock::now_micros;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, OffsetReader, SourceTask, SourceTaskContext};
use tributary_runtime::data::{ConnectRecord, Header, SourceMap, SourceRecord, Value};
use tributary_runtime::error_chain::with_causes;
use tributary_runtime::metrics::{IntGaugeVec, Metrics};

use super::catalog::{table_columns, with_catalog};
use super::columns::Reading;
use super::config::{config_def, text_rewrites, FlushMode, Settings};
use super::error::CaptureError;
use super::events::{with_old_values, ContextHeaders, Op, SourceInfo, TableEvents};
use super::heartbeat::Heartbeats;
use super::incremental::{BlockingRequest, IncrementalSnapshot, Signal, OFFSET_KEY};
use super::messages::{LogicalMessages, DATA_COLLECTION};
use super::pgoutput::{decode, parse_lsn, Datum, Message};
use super::snapshot::{Snapshot, SnapshotKind};
use super::transactions::TransactionMetadata;

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// How long the replication connection may take to start streaming.
const STREAM_START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a stopping task tries to drop its slot (`slot.drop.on.stop`), and how often.
const SLOT_DROP_TIMEOUT: Duration = Duration::from_secs(10);
const SLOT_DROP_RETRY: Duration = Duration::from_millis(100);

/// The series' name (docs/metrics.md describes it).
const SLOT_LAG_SERIES: &str = "tributary_cdc_slot_lag_bytes";
/// The WAL the server keeps for a task's replication slot beyond what the task confirmed,
/// measured at each offset commit.
static SLOT_LAG_BYTES: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    Metrics::global().register_gauge(
        SLOT_LAG_SERIES,
        "WAL bytes the server keeps for the replication slot beyond what the task confirmed.",
        &["connector", "task", "slot"],
    )
});

/// Where the task is.
enum Phase {
    /// Publication and slot not checked yet.
    Setup,
    /// Waiting until the instant given (`snapshot.delay.ms`) before a setup that reads the
    /// tables (no slot made yet, so no exported snapshot held open meanwhile).
    Delayed(Instant),
    /// Handing out the snapshot.
    Snapshot(Snapshot),
    /// Streaming changes.
    Streaming,
    /// Nothing more to do: `snapshot.mode=initial_only` handed out its snapshot.
    Finished,
}

/// How a run of the task begins, as [`PostgresCdcTask::setup`] found the database.
struct Start {
    /// The slot's confirmed position (with no slot, the server's WAL position).
    slot_lsn: u64,
    /// The session that created the slot and the snapshot it exported, when it was created
    /// for a snapshot.
    exported: Option<ExportedSnapshot>,
    /// Whether `snapshot.mode` reads the tables first.
    snapshot: bool,
}

/// A replication session that created the slot, holding the snapshot it exported until the
/// snapshot is imported.
struct ExportedSnapshot {
    session: ReplicationClient,
    snapshot: String,
}

/// The transaction being read from the stream.
#[derive(Debug, Clone, Copy)]
struct OpenTransaction {
    /// Microseconds since 2000-01-01.
    timestamp: i64,
    xid: u32,
    /// Delivered before (after a restart): its records are dropped.
    skipped: bool,
    /// Whether every change seen so far was of an operation `skipped.operations` leaves out
    /// (`None` before the first change).
    only_skipped_operations: Option<bool>,
}

/// Captures changes.
pub(super) struct PostgresCdcTask {
    settings: Settings,
    pool: PgPool,
    partition: Arc<SourceMap>,
    phase: Phase,
    stream: Option<ReplicationClient>,
    /// The commit LSN of the last transaction read completely (with records or with nothing
    /// captured), or the stream's position between transactions.
    delivered: u64,
    /// The commit LSN the last record handed out carries.
    handed_out: u64,
    /// Whether the committed offset says the snapshot was finished.
    snapshot_done: bool,
    /// The committed offsets, read back to know what the slot may confirm.
    offsets: Option<Arc<dyn OffsetReader>>,
    /// The tables the stream described, by relation id (`None`: not captured).
    tables: HashMap<u32, Option<TableEvents>>,
    transaction: Option<OpenTransaction>,
    /// The latest record of the open transaction, held back until it is known whether it is
    /// the transaction's last (which carries the commit's offset).
    held: Option<SourceRecord>,
    /// Where the last commit this session streamed ends (its `end_lsn`): the first half of a
    /// change's `source.sequence`, as Debezium writes it (null until a commit was seen).
    last_commit_end: Option<u64>,
    /// The commit time (microseconds since 2000-01-01) of the last transaction this session
    /// streamed, which Debezium's source block keeps for a message outside a transaction.
    last_commit_time: Option<i64>,
    failures: u32,
    connector: String,
    task: u32,
    /// Debezium's context headers, made when the task starts.
    context: ContextHeaders,
    /// Transaction metadata, when `provide.transaction.metadata` asks for it.
    metadata: Option<TransactionMetadata>,
    /// Heartbeats, when `heartbeat.interval.ms` asks for them.
    heartbeats: Option<Heartbeats>,
    /// Logical decoding messages' records.
    messages: LogicalMessages,
    /// When changes may be read (`streaming.delay.ms` after the snapshot or its absence).
    streaming_from: Option<Instant>,
    /// Whether this run already waited (or had no reason to) for `snapshot.delay.ms`.
    snapshot_delay_served: bool,
    /// Incremental snapshots, when `signal.data.collection` names a signaling table (made
    /// when the task starts, from the committed offsets).
    incremental: Option<IncrementalSnapshot>,
    /// A blocking snapshot a signal asked for, taken once the signal's transaction is read.
    blocking: Option<BlockingRequest>,
}

impl PostgresCdcTask {
    /// A task capturing the database its config names; `start` reads where it got to.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let parsed = config_def().parse(config).map_err(ConnectError::Config)?;
        text_rewrites(parsed.values()).map_err(|e| ConnectError::Fatal(format!("column.mask/truncate/hash: {e}")))?;
        let settings = Settings::new(&parsed);
        let metadata = settings.transaction_topic.as_deref().map(TransactionMetadata::new);
        let heartbeats = settings
            .heartbeat
            .as_ref()
            .map(|(interval, topic)| Heartbeats::new(*interval, topic, &settings.prefix));
        let initial_statements = Arc::clone(&settings.initial_statements);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            // `database.initial.statements`, on each connection as it is made.
            .after_connect(move |connection, _| {
                let statements = Arc::clone(&initial_statements);
                Box::pin(async move {
                    for statement in statements.iter() {
                        connection.execute(statement.as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(settings.connect_options());
        let messages = LogicalMessages::new(
            &settings.prefix,
            settings.mapping.binary,
            settings.message_prefix_include.clone(),
            settings.message_prefix_exclude.clone(),
        );
        let partition = Arc::new(SourceMap::from_iter([(
            "server".to_string(),
            settings.prefix.clone().into(),
        )]));
        Ok(PostgresCdcTask {
            settings,
            pool,
            partition,
            phase: Phase::Setup,
            stream: None,
            delivered: 0,
            handed_out: 0,
            snapshot_done: false,
            offsets: None,
            tables: HashMap::new(),
            transaction: None,
            held: None,
            last_commit_end: None,
            last_commit_time: None,
            failures: 0,
            connector: String::new(),
            task: 0,
            context: ContextHeaders::default(),
            metadata,
            heartbeats,
            messages,
            streaming_from: None,
            snapshot_delay_served: false,
            incremental: None,
            blocking: None,
        })
    }

    /// The pool and settings, for work that also changes the task.
    fn parts(&self) -> (PgPool, Settings) {
        (self.pool.clone(), self.settings.clone())
    }

    /// Creates the publication and slot if missing (no slot with `snapshot.mode=initial_only`)
    /// and tells how the run begins: whether `snapshot.mode` reads the tables first, and,
    /// when the slot was created for that, the replication session that created it with the
    /// name of the snapshot it exported (the database as of the slot's start).
    async fn setup(&mut self) -> Result<Start, CaptureError> {
        let (pool, settings) = self.parts();
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_publication WHERE pubname = $1")
            .bind(&settings.publication)
            .fetch_optional(&pool)
            .await
            .map_err(CaptureError::query("cannot read the publications"))?;
        if exists.is_none() {
            let quoted = quote(&settings.publication);
            let mut create = match settings.autocreate.as_str() {
                "all_tables" => format!("CREATE PUBLICATION {quoted} FOR ALL TABLES"),
                "filtered" => {
                    let names: Vec<String> = captured_tables(&pool, &settings)
                        .await?
                        .iter()
                        .map(|(s, t)| format!("{}.{}", quote(s), quote(t)))
                        .collect();
                    if names.is_empty() {
                        return Err("no table matches table.include.list to publish".into());
                    }
                    format!("CREATE PUBLICATION {quoted} FOR TABLE {}", names.join(", "))
                }
                _ => return Err(format!("publication {} does not exist", settings.publication).into()),
            };
            if settings.via_partition_root {
                create.push_str(" WITH (publish_via_partition_root = true)");
            }
            tracing::info!(connector = %self.connector, "creating the publication: {create}");
            sqlx::query(&create)
                .execute(&pool)
                .await
                .map_err(CaptureError::query("cannot create the publication"))?;
        }
        if !settings.replica_identities.is_empty() {
            self.set_replica_identities(&pool, &settings).await?;
        }
        let first_run = !self.snapshot_done;
        if !settings.snapshot.streams() {
            let now: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
                .fetch_one(&pool)
                .await
                .map_err(CaptureError::query("cannot read the server's WAL position"))?;
            return Ok(Start {
                slot_lsn: parse_lsn(&now).unwrap_or(0),
                exported: None,
                snapshot: settings.snapshot.reads_tables(first_run, false),
            });
        }
        let slot: Option<Option<String>> =
            sqlx::query_scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1")
                .bind(&settings.slot)
                .fetch_optional(&pool)
                .await
                .map_err(CaptureError::query("cannot read the replication slots"))?;
        let snapshot = settings.snapshot.reads_tables(first_run, slot.is_none());
        if let Some(position) = slot {
            return Ok(Start {
                slot_lsn: position.as_deref().and_then(parse_lsn).unwrap_or(0),
                exported: None,
                snapshot,
            });
        }
        if !first_run && snapshot {
            tracing::warn!(connector = %self.connector, slot = %settings.slot, "the replication slot is gone, with the changes since the committed offset: reading the tables again (snapshot.mode)");
        }
        tracing::info!(connector = %self.connector, slot = %settings.slot, "creating the replication slot");
        if !snapshot {
            let created: String =
                sqlx::query_scalar("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')")
                    .bind(&settings.slot)
                    .fetch_one(&pool)
                    .await
                    .map_err(CaptureError::query("cannot create the replication slot"))?;
            return Ok(Start {
                slot_lsn: parse_lsn(&created).unwrap_or(0),
                exported: None,
                snapshot,
            });
        }
        let mut session = ReplicationClient::connect_gated(settings.replication(0))
            .await
            .map_err(CaptureError::replication("cannot open the replication connection"))?;
        let rows = session
            .simple_query(&format!(
                "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT",
                quote(&settings.slot)
            ))
            .await
            .map_err(CaptureError::replication("cannot create the replication slot"))?;
        // slot_name, consistent_point, snapshot_name, output_plugin
        let column = |index: usize| {
            rows.first()
                .and_then(|row| row.get(index))
                .and_then(|value| value.as_ref())
                .map(|value| String::from_utf8_lossy(value).into_owned())
        };
        let (Some(position), Some(exported)) = (column(1).as_deref().and_then(parse_lsn), column(2)) else {
            return Err("CREATE_REPLICATION_SLOT answered without a position and snapshot".into());
        };
        Ok(Start {
            slot_lsn: position,
            exported: Some(ExportedSnapshot {
                session,
                snapshot: exported,
            }),
            snapshot,
        })
    }

    /// Waits for `stream` to stream (from what was delivered), and forgets what an earlier
    /// session described.
    async fn streaming(
        &mut self,
        mut stream: ReplicationClient,
        slot: &str,
    ) -> Result<ReplicationClient, CaptureError> {
        match tokio::time::timeout(STREAM_START_TIMEOUT, stream.wait_started()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(CaptureError::Replication(
                    format!("cannot start streaming from slot {slot}"),
                    e,
                ))
            }
            Err(_) => return Err(format!("streaming did not start within {STREAM_START_TIMEOUT:?}").into()),
        }
        tracing::info!(connector = %self.connector, slot = %slot, from = %Lsn::from_u64(self.delivered), "streaming changes");
        // A new session describes its tables again and resends any transaction cut short.
        self.tables.clear();
        self.transaction = None;
        self.held = None;
        self.last_commit_end = None;
        if let Some(metadata) = &mut self.metadata {
            metadata.reset();
        }
        Ok(stream)
    }

    /// Opens the replication stream after what was delivered.
    async fn open_stream(&mut self, settings: &Settings) -> Result<ReplicationClient, CaptureError> {
        let stream = ReplicationClient::connect(settings.replication(self.delivered))
            .await
            .map_err(CaptureError::replication("cannot open the replication connection"))?;
        self.streaming(stream, &settings.slot).await
    }

    /// Reads what the stream has: waits up to `poll.interval.ms` for the first record, then
    /// takes only what already arrived, up to `max.batch.size` records.
    async fn read_changes(&mut self, settings: &Settings) -> Result<Vec<SourceRecord>, CaptureError> {
        let mut stream = match self.stream.take() {
            Some(stream) => stream,
            None => self.open_stream(settings).await?,
        };
        let deadline = Instant::now() + settings.poll_interval;
        let mut records = Vec::new();
        while records.len() < settings.max_batch {
            let wait = if records.is_empty() {
                deadline.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            let event = match tokio::time::timeout(wait, stream.recv()).await {
                Err(_) => break,
                Ok(Ok(Some(event))) => Ok(event),
                Ok(Ok(None)) => Err(CaptureError::from("the replication stream ended")),
                Ok(Err(e)) => Err(CaptureError::Replication("the replication stream failed".into(), e)),
            };
            let applied = match event {
                Ok(event) => self.apply(event, settings, &mut records).await,
                Err(e) => Err(e),
            };
            if let Err(error) = applied {
                // What was read is handed out all the same (`delivered` already counts it); the
                // next poll opens a new session, or fails.
                if records.is_empty() {
                    return Err(error);
                }
                let error = with_causes(&error);
                tracing::warn!(connector = %self.connector, "{error}; handing out the {} records read before", records.len());
                return Ok(records);
            }
            // A blocking snapshot begins once its signal's transaction was read.
            if self.blocking.is_some() && self.transaction.is_none() {
                break;
            }
        }
        self.stream = Some(stream);
        Ok(records)
    }

    /// Takes one event of the stream; completed records go to `records`.
    async fn apply(
        &mut self,
        event: ReplicationEvent,
        settings: &Settings,
        records: &mut Vec<SourceRecord>,
    ) -> Result<(), CaptureError> {
        match event {
            ReplicationEvent::Begin {
                final_lsn,
                xid,
                commit_time_micros,
            } => {
                self.last_commit_time = Some(commit_time_micros);
                self.transaction = Some(OpenTransaction {
                    timestamp: commit_time_micros,
                    xid,
                    skipped: final_lsn.as_u64() <= self.delivered,
                    only_skipped_operations: None,
                });
            }
            ReplicationEvent::Commit { lsn, end_lsn, .. } => {
                let commit_lsn = lsn.as_u64();
                // A transaction whose every change `skipped.operations` left out is not the
                // last commit a change's `source.sequence` names, as Debezium counts it.
                if self.transaction.and_then(|t| t.only_skipped_operations) != Some(true) {
                    self.last_commit_end = Some(end_lsn.as_u64());
                }
                if let Some(open) = self.transaction.take().filter(|t| !t.skipped) {
                    if let Some(mut last) = self.held.take() {
                        let commit_us = open.timestamp + POSTGRES_EPOCH_MICROS;
                        let incremental = last.source_offset.remove(OFFSET_KEY);
                        last.source_offset = SourceMap::from_iter([
                            ("lsn".to_string(), commit_lsn.into()),
                            ("lsn_commit".to_string(), commit_lsn.into()),
                            ("txId".to_string(), open.xid.into()),
                            ("ts_usec".to_string(), commit_us.into()),
                        ]);
                        if let Some(incremental) = incremental {
                            last.source_offset.insert(OFFSET_KEY.into(), incremental);
                        }
                        let end = self.metadata.as_mut().and_then(|metadata| {
                            let at = (&self.partition, &last.source_offset);
                            metadata.end(open.xid, end_lsn.as_u64(), commit_us.div_euclid(1000), at)
                        });
                        records.push(last);
                        records.extend(end);
                        self.handed_out = commit_lsn;
                    }
                    self.delivered = commit_lsn;
                }
            }
            ReplicationEvent::Message {
                lsn, prefix, content, ..
            } => self.message(lsn.as_u64(), (&prefix, &content), settings, records)?,
            // Between transactions, every commit before the server's position was sent; one
            // whose commit record starts right there was not (yet).
            ReplicationEvent::KeepAlive { wal_end, .. } if self.transaction.is_none() => {
                self.delivered = self.delivered.max(wal_end.as_u64().saturating_sub(1));
            }
            ReplicationEvent::XLogData { data, wal_start, .. } => {
                let change = match decode(&data)? {
                    Message::Relation(mut relation) => {
                        let captured = settings.captures(&relation.namespace, &relation.name);
                        let id = relation.id;
                        let events = if captured {
                            let qualified = format!("{}.{}", quote(&relation.namespace), quote(&relation.name));
                            let described = table_columns(&self.pool, &qualified)
                                .await
                                .map_err(CaptureError::query(format!("cannot read the columns of {qualified}")))?;
                            with_catalog(&mut relation.columns, &described);
                            let key =
                                settings.select_columns(&relation.namespace, &relation.name, &mut relation.columns);
                            let reading = Reading::streamed(&relation.columns);
                            Some(TableEvents::new(
                                settings.table_topic(&relation.namespace, &relation.name),
                                relation,
                                key,
                                settings.mapping,
                                settings.placeholder.clone(),
                                reading,
                            ))
                        } else {
                            None
                        };
                        self.tables.insert(id, events);
                        None
                    }
                    Message::Insert { relation, new } => Some((relation, Op::Create, None, Some(new))),
                    Message::Update { relation, old, new } => Some((relation, Op::Update, old, Some(new))),
                    Message::Delete { relation, old } => Some((relation, Op::Delete, Some(old), None)),
                    _ => None,
                };
                if let Some((relation, op, before, after)) = change {
                    let lsn = wal_start.as_u64();
                    let signal = self.signal_of(relation, op, before.as_deref(), after.as_deref());
                    if let Some(signal) = signal {
                        self.signal(signal, lsn, settings, records).await?;
                    }
                    self.change(relation, lsn, (op, before, after), settings, records)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Turns a logical decoding message at `lsn` into its record, when its prefix is written:
    /// a transactional one as a change of the open transaction, another on its own (as
    /// Debezium writes it: the last transaction's commit time, itself as the last commit its
    /// `sequence` names, no context headers), its offset its position.
    fn message(
        &mut self,
        lsn: u64,
        (prefix, content): (&str, &[u8]),
        settings: &Settings,
        records: &mut Vec<SourceRecord>,
    ) -> Result<(), CaptureError> {
        let open = self.transaction;
        if open.is_some_and(|t| t.skipped) || (open.is_none() && lsn <= self.delivered) {
            return Ok(());
        }
        if !self.messages.writes(prefix) {
            return Ok(());
        }
        match &mut self.transaction {
            Some(open) => open.only_skipped_operations = Some(false),
            None => self.last_commit_end = Some(lsn),
        }
        let mut source = SourceInfo {
            name: settings.prefix.clone(),
            db: settings.database.clone(),
            ts_us: open
                .map(|t| t.timestamp)
                .or(self.last_commit_time)
                .map_or_else(now_micros, |time| time + POSTGRES_EPOCH_MICROS),
            snapshot: "false",
            tx_id: open.map(|t| i64::from(t.xid)),
            lsn: Some(lsn as i64),
            sequence: Some(self.sequence(lsn)),
            transaction: None,
        };
        // Until the commit, a record resumes from the transaction before.
        let resume_at = if open.is_some() { self.delivered } else { lsn };
        let offset = self.stream_offset(resume_at);
        if let (Some(open), Some(metadata)) = (open, &mut self.metadata) {
            let at = (&self.partition, &offset);
            let (order, begin) = metadata.event(open.xid, lsn, DATA_COLLECTION, source.ts_us.div_euclid(1000), at);
            source.transaction = Some(order);
            if let Some(begin) = begin {
                records.extend(self.held.replace(begin));
            }
        }
        let record = self.messages.record(
            (prefix, content),
            &source,
            (&self.partition, offset),
            now_micros().div_euclid(1000),
        )?;
        if open.is_some() {
            records.extend(self.held.replace(record));
        } else {
            records.push(record);
            self.delivered = lsn;
            self.handed_out = lsn;
        }
        Ok(())
    }

    /// A streamed record's offset: resuming at `lsn`, with an incremental snapshot's progress
    /// while one runs.
    fn stream_offset(&self, lsn: u64) -> SourceMap {
        let mut offset = SourceMap::from_iter([("lsn".to_string(), lsn.into())]);
        if let Some(progress) = self.incremental.as_ref().and_then(IncrementalSnapshot::stored) {
            offset.insert(OFFSET_KEY.into(), progress.clone());
        }
        offset
    }

    /// A change's `source.sequence` at `lsn`: `["<where the last commit ends>","<lsn>"]`, as
    /// Debezium writes it (null before the first commit this session streamed).
    fn sequence(&self, lsn: u64) -> String {
        match self.last_commit_end {
            Some(commit_end) => format!("[\"{commit_end}\",\"{lsn}\"]"),
            None => format!("[null,\"{lsn}\"]"),
        }
    }

    /// Turns one row change of the open transaction, at `lsn`, into its records (a delete also
    /// into a tombstone).
    fn change(
        &mut self,
        relation: u32,
        lsn: u64,
        (op, before, after): (Op, Option<Vec<Datum>>, Option<Vec<Datum>>),
        settings: &Settings,
        records: &mut Vec<SourceRecord>,
    ) -> Result<(), CaptureError> {
        let open = self.transaction.ok_or("a change outside a transaction")?;
        if open.skipped {
            return Ok(());
        }
        // `skipped.operations` skips what the database did: an update of a key too.
        let skip = settings.skips(op.code());
        if let Some(open) = &mut self.transaction {
            open.only_skipped_operations = Some(open.only_skipped_operations.unwrap_or(true) && skip);
        }
        if skip {
            return Ok(());
        }
        let events = match self.tables.get(&relation) {
            Some(Some(events)) => events,
            Some(None) => return Ok(()),
            None => return Err(format!("a change for relation {relation} before its description").into()),
        };
        if let (Op::Update, true, Some(old), Some(new)) = (op, settings.skip_unchanged, &before, &after) {
            if events.unchanged(old, new)? {
                return Ok(());
            }
        }
        let mut source = SourceInfo {
            name: settings.prefix.clone(),
            db: settings.database.clone(),
            ts_us: open.timestamp + POSTGRES_EPOCH_MICROS,
            snapshot: "false",
            tx_id: Some(i64::from(open.xid)),
            lsn: Some(lsn as i64),
            sequence: Some(self.sequence(lsn)),
            transaction: None,
        };
        // Until the commit, a record resumes from the transaction before.
        let offset = self.stream_offset(self.delivered);
        // An update that changes the key is, as Debezium writes it, the old key's delete (and
        // tombstone) with the new key in header `__debezium.newkey`, and the new key's insert
        // with the old key in `__debezium.oldkey`; the insert takes the TOASTed values the
        // stream did not send from the old row, as an update's `after` does.
        let new_with_old_values;
        let (change, key_moved) = match (op, before.as_deref(), after.as_deref()) {
            (Op::Update, Some(old), Some(new)) if events.key_changed(old, new) => {
                new_with_old_values = with_old_values(new, old);
                (
                    (
                        Op::Delete,
                        Some(old),
                        None,
                        Some(("__debezium.newkey", events.key(new)?)),
                    ),
                    Some((
                        Op::Create,
                        None,
                        Some(new_with_old_values.as_slice()),
                        Some(("__debezium.oldkey", events.key(old)?)),
                    )),
                )
            }
            _ => ((op, before.as_deref(), after.as_deref(), None), None),
        };
        // A change streamed inside an incremental snapshot's window overtakes the row the
        // window holds of its key.
        if let Some(incremental) = &mut self.incremental {
            for row in [before.as_deref(), after.as_deref()].into_iter().flatten() {
                incremental.deduplicate(events.data_collection(), &events.key_datums(row));
            }
        }
        for (op, before, after, moved) in std::iter::once(change).chain(key_moved) {
            if let Some(metadata) = &mut self.metadata {
                let commit_ms = source.ts_us.div_euclid(1000);
                let at = (&self.partition, &offset);
                let (order, begin) = metadata.event(open.xid, lsn, events.data_collection(), commit_ms, at);
                source.transaction = Some(order);
                if let Some(begin) = begin {
                    records.extend(self.held.replace(begin));
                }
            }
            let mut record = events.record(
                &self.partition,
                op,
                before,
                after,
                &source,
                offset.clone(),
                now_micros(),
            )?;
            if let Some((name, key)) = moved {
                record.record.headers.push(Header {
                    key: name.into(),
                    schema: events.key_schema(),
                    value: key,
                });
            }
            self.context.append_to(&mut record.record);
            let tombstone = (op == Op::Delete && settings.tombstones).then(|| SourceRecord {
                source_partition: record.source_partition.clone(),
                source_offset: record.source_offset.clone(),
                record: ConnectRecord {
                    topic: record.record.topic.clone(),
                    key_schema: record.record.key_schema.clone(),
                    key: record.record.key.clone(),
                    value_schema: None,
                    value: Value::Null,
                    headers: record.record.headers.clone(),
                    ..Default::default()
                },
            });
            for record in std::iter::once(record).chain(tombstone) {
                records.extend(self.held.replace(record));
            }
        }
        Ok(())
    }

    /// The signal a change of the open transaction makes: an insert into the signaling table
    /// (with `insert_delete` watermarks, a delete too), when the table is captured and the
    /// transaction was not delivered before.
    fn signal_of(&self, relation: u32, op: Op, before: Option<&[Datum]>, after: Option<&[Datum]>) -> Option<Signal> {
        let incremental = self.incremental.as_ref()?;
        if self.transaction.is_none_or(|t| t.skipped) {
            return None;
        }
        let Some(Some(events)) = self.tables.get(&relation) else {
            return None;
        };
        let table = events.relation();
        if !incremental.signals_in(&table.namespace, &table.name) {
            return None;
        }
        match (op, before, after) {
            (Op::Create, _, Some(row)) => Signal::inserted(row),
            (Op::Delete, Some(row), _) if incremental.closes_by_delete() => Signal::deleted(row),
            _ => None,
        }
    }

    /// Takes a signal streamed at `lsn` (before its own change is written, as Debezium takes
    /// it): the rows of a window it closes become `r` events of the open transaction, marked
    /// `incremental`, each with the snapshot's progress after it in its offset.
    async fn signal(
        &mut self,
        signal: Signal,
        lsn: u64,
        settings: &Settings,
        records: &mut Vec<SourceRecord>,
    ) -> Result<(), CaptureError> {
        let Some(mut incremental) = self.incremental.take() else {
            return Ok(());
        };
        let source = SourceInfo {
            name: settings.prefix.clone(),
            db: settings.database.clone(),
            ts_us: now_micros(),
            snapshot: "incremental",
            tx_id: self.transaction.map(|t| i64::from(t.xid)),
            lsn: Some(lsn as i64),
            sequence: Some(self.sequence(lsn)),
            transaction: None,
        };
        let base = SourceMap::from_iter([("lsn".to_string(), self.delivered.into())]);
        let (partition, context, held) = (&self.partition, &self.context, &mut self.held);
        let mut emit = |events: &TableEvents, row: &[Datum], progress: serde_json::Value| {
            let mut offset = base.clone();
            offset.insert(OFFSET_KEY.into(), progress);
            let mut record = events.record(partition, Op::Read, None, Some(row), &source, offset, now_micros())?;
            context.append_to(&mut record.record);
            records.extend(held.replace(record));
            Ok(())
        };
        let result = incremental.signal(signal, &self.pool, settings, &mut emit).await;
        self.incremental = Some(incremental);
        if let Some(request) = result? {
            self.blocking = Some(request);
        }
        Ok(())
    }

    /// Starts the blocking snapshot a signal asked for, once its transaction was read:
    /// streaming waits, and goes on from there after it, as Debezium's does.
    async fn begin_blocking_snapshot(&mut self, settings: &Settings) -> Result<(), CaptureError> {
        if self.transaction.is_some() {
            return Ok(());
        }
        let Some(request) = self.blocking.take() else {
            return Ok(());
        };
        let blocking = match settings.for_blocking_snapshot(&request.collections, &request.selects) {
            Ok(blocking) => blocking,
            Err(e) => {
                tracing::warn!(connector = %self.connector, "blocking snapshot not taken: {e}");
                return Ok(());
            }
        };
        // The replication session stays open, unread, and goes on after the snapshot (a
        // server that gives up on it meanwhile makes the next read open another).
        tracing::info!(connector = %self.connector, "blocking snapshot of {:?}: streaming waits until it is read", request.collections);
        let snapshot = Snapshot::start(
            self.pool.clone(),
            blocking,
            (&self.connector, self.task),
            self.context.clone(),
            self.partition.clone(),
            SnapshotKind::Blocking { lsn: self.delivered },
        )
        .await?;
        self.phase = Phase::Snapshot(snapshot);
        Ok(())
    }

    /// Reads the chunk an incremental snapshot with none under way needs (after a restart, or
    /// a chunk that failed).
    async fn resume_incremental(&mut self, settings: &Settings) -> Result<(), CaptureError> {
        if !self.incremental.as_ref().is_some_and(IncrementalSnapshot::idle) {
            return Ok(());
        }
        let Some(mut incremental) = self.incremental.take() else {
            return Ok(());
        };
        let result = incremental.read_chunk(&self.pool, settings).await;
        self.incremental = Some(incremental);
        result
    }

    /// `replica.identity.autoset.values`: gives each captured table the first entry matching
    /// it names the REPLICA IDENTITY of that entry, where it has another. A table whose
    /// identity cannot be set is logged and left as it is, as Debezium's connector does.
    async fn set_replica_identities(&self, pool: &PgPool, settings: &Settings) -> Result<(), CaptureError> {
        for (schema, table) in captured_tables(pool, settings).await? {
            let name = format!("{schema}.{table}");
            let Some(wanted) = settings.replica_identities.iter().find(|r| r.tables.is_match(&name)) else {
                continue;
            };
            let quoted = format!("{}.{}", quote(&schema), quote(&table));
            let current: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT c.relreplident::text, (SELECT i.indexrelid::regclass::text FROM pg_index i \
                 WHERE i.indrelid = c.oid AND i.indisreplident) FROM pg_class c WHERE c.oid = $1::regclass",
            )
            .bind(&quoted)
            .fetch_optional(pool)
            .await
            .map_err(CaptureError::query("cannot read a table's replica identity"))?;
            if current.is_some_and(|(code, index)| wanted.identity.is(&code, index.as_deref())) {
                continue;
            }
            let alter = format!("ALTER TABLE {quoted} {}", wanted.identity.clause());
            match sqlx::query(&alter).execute(pool).await {
                Ok(_) => tracing::info!(connector = %self.connector, "{alter}"),
                Err(e) => {
                    tracing::error!(connector = %self.connector, "cannot set the replica identity of {name}: {e}")
                }
            }
        }
        Ok(())
    }

    /// `slot.drop.on.stop`: drops the slot once the server has let it go (its sender ends a
    /// moment after the replication connection closed), trying for [`SLOT_DROP_TIMEOUT`]. A
    /// failure is logged and the task stops all the same, as Debezium's does.
    async fn drop_slot(&self) {
        let (pool, slot) = (&self.pool, &self.settings.slot);
        let deadline = Instant::now() + SLOT_DROP_TIMEOUT;
        loop {
            let dropped = sqlx::query(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
            )
            .bind(slot)
            .execute(pool)
            .await;
            match dropped {
                Ok(_) => {
                    tracing::info!(connector = %self.connector, %slot, "dropped the replication slot (slot.drop.on.stop)");
                    return;
                }
                Err(e) if Instant::now() >= deadline => {
                    tracing::warn!(connector = %self.connector, %slot, "cannot drop the replication slot: {e}");
                    return;
                }
                // Still in use by the sender of the connection just closed.
                Err(_) => tokio::time::sleep(SLOT_DROP_RETRY).await,
            }
        }
    }

    /// Sets [`SLOT_LAG_BYTES`] from the server's view of the slot (a failure to ask only
    /// leaves the gauge as it was: the capture itself reports a database that is gone).
    async fn measure_slot_lag(&self) {
        let (pool, settings) = (&self.pool, &self.settings);
        let lag = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::int8 FROM pg_replication_slots WHERE slot_name = $1",
        )
        .bind(&settings.slot)
        .fetch_optional(pool)
        .await;
        match lag {
            Ok(Some(Some(bytes))) => SLOT_LAG_BYTES
                .with_label_values(&[
                    self.connector.as_str(),
                    self.task.to_string().as_str(),
                    settings.slot.as_str(),
                ])
                .set(bytes),
            Ok(_) => {}
            Err(e) => tracing::debug!(connector = %self.connector, "cannot measure the slot's lag: {e}"),
        }
    }

    /// Adds a heartbeat at the stream's position to `records` when one is due (and the stream
    /// has a position), once `heartbeat.action.query` ran. A failed query is logged, and the
    /// heartbeat written all the same, as Debezium does.
    async fn heartbeat(&mut self, settings: &Settings, records: &mut Vec<SourceRecord>) {
        if self.delivered == 0 || !self.heartbeats.as_mut().is_some_and(Heartbeats::due) {
            return;
        }
        if let Some(query) = &settings.heartbeat_action_query {
            if let Err(e) = sqlx::raw_sql(query).execute(&self.pool).await {
                tracing::warn!(connector = %self.connector, task = self.task, "heartbeat.action.query failed: {e}");
            }
        }
        if let Some(heartbeats) = &self.heartbeats {
            let offset = self.stream_offset(self.delivered);
            records.push(heartbeats.record(&self.partition, offset, now_micros().div_euclid(1000)));
            self.handed_out = self.delivered;
        }
    }

    /// Tells the slot what need not be sent again: up to the committed offset, or, once every
    /// record handed out is committed, up to what was delivered (transactions after the last
    /// record captured nothing). Nothing with `lsn.flush.mode=manual`, where another process
    /// moves the slot.
    fn acknowledge(&self) {
        let (Some(stream), Some(offsets)) = (&self.stream, &self.offsets) else {
            return;
        };
        if self.settings.flush_mode == FlushMode::Manual {
            return;
        }
        let Some(offset) = offsets.offset(&self.partition) else {
            return;
        };
        if offset.get("snapshot").is_some() {
            return;
        }
        let committed = offset.get("lsn").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let target = if committed == self.handed_out {
            self.delivered
        } else {
            committed
        };
        stream.update_applied_lsn(Lsn::from_u64(target));
    }

    /// What follows the snapshot (or its absence): streaming (after `streaming.delay.ms`), or
    /// nothing with `snapshot.mode=initial_only`.
    fn after_snapshot(&mut self, settings: &Settings) -> Phase {
        if settings.snapshot.streams() {
            self.streaming_from = Some(Instant::now() + settings.streaming_delay);
            Phase::Streaming
        } else {
            tracing::info!(connector = %self.connector, task = self.task, "the snapshot is read; nothing is streamed (snapshot.mode)");
            Phase::Finished
        }
    }

    /// Whether this start reads the tables, as [`Self::setup`] will find (by `snapshot.mode`,
    /// the committed offsets and whether the slot is there), for `snapshot.delay.ms`.
    async fn snapshot_due(&self, pool: &PgPool, settings: &Settings) -> Result<bool, CaptureError> {
        let slot_missing = settings.snapshot.streams()
            && sqlx::query_scalar::<_, i32>("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1")
                .bind(&settings.slot)
                .fetch_optional(pool)
                .await
                .map_err(CaptureError::query("cannot read the replication slots"))?
                .is_none();
        Ok(settings.snapshot.reads_tables(!self.snapshot_done, slot_missing))
    }

    /// Begins a run as `start` says: the snapshot, or what follows its absence.
    async fn begin(&mut self, start: Start, pool: PgPool, settings: &Settings) -> Result<Phase, CaptureError> {
        let Start {
            slot_lsn,
            exported,
            snapshot,
        } = start;
        if !snapshot {
            return Ok(self.after_snapshot(settings));
        }
        let snapshot = Snapshot::start(
            pool,
            settings.clone(),
            (&self.connector, self.task),
            self.context.clone(),
            self.partition.clone(),
            SnapshotKind::Initial {
                lsn: slot_lsn,
                exported: exported.as_ref().map(|e| e.snapshot.as_str()),
            },
        )
        .await?;
        // The snapshot is imported: the session that exported it may stream now, the
        // changes after the snapshot waiting until the snapshot is handed out.
        if let Some(ExportedSnapshot { mut session, .. }) = exported {
            session
                .start()
                .await
                .map_err(CaptureError::replication("cannot start streaming"))?;
            self.stream = Some(self.streaming(session, &settings.slot).await?);
        }
        Ok(Phase::Snapshot(snapshot))
    }

    async fn poll_once(&mut self) -> Result<Vec<SourceRecord>, CaptureError> {
        let (pool, settings) = self.parts();
        if matches!(self.phase, Phase::Setup) && !self.snapshot_delay_served && !settings.snapshot_delay.is_zero() {
            let due = self.snapshot_due(&pool, &settings).await?;
            self.snapshot_delay_served = true;
            if due {
                tracing::info!(connector = %self.connector, "reading the tables in {:?} (snapshot.delay.ms)", settings.snapshot_delay);
                self.phase = Phase::Delayed(Instant::now() + settings.snapshot_delay);
            }
        }
        if let Phase::Delayed(until) = self.phase {
            if let Some(wait) = until.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait.min(settings.poll_interval)).await;
                return Ok(Vec::new());
            }
            self.phase = Phase::Setup;
        }
        if matches!(self.phase, Phase::Setup) {
            let start = self.setup().await?;
            self.phase = self.begin(start, pool, &settings).await?;
        }
        if let Phase::Snapshot(snapshot) = &mut self.phase {
            match snapshot.next().await {
                Some(Ok(batch)) => return Ok(batch),
                Some(Err(message)) => {
                    self.phase = Phase::Setup;
                    return Err(message);
                }
                None => self.phase = self.after_snapshot(&settings),
            }
        }
        if matches!(self.phase, Phase::Finished) {
            tokio::time::sleep(settings.poll_interval).await;
            return Ok(Vec::new());
        }
        if let Some(wait) = self
            .streaming_from
            .and_then(|at| at.checked_duration_since(Instant::now()))
        {
            tokio::time::sleep(wait.min(settings.poll_interval)).await;
            return Ok(Vec::new());
        }
        self.resume_incremental(&settings).await?;
        let mut records = self.read_changes(&settings).await?;
        self.begin_blocking_snapshot(&settings).await?;
        self.heartbeat(&settings, &mut records).await;
        if records.is_empty() {
            self.acknowledge();
        }
        Ok(records)
    }
}

/// `name` quoted as a PostgreSQL identifier.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the database the connector captures (`schema`, `table`).
pub(super) async fn captured_tables(pool: &PgPool, settings: &Settings) -> Result<Vec<(String, String)>, CaptureError> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables \
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(pool)
    .await
    .map_err(CaptureError::query("cannot list the tables"))?;
    Ok(tables.into_iter().filter(|(s, t)| settings.captures(s, t)).collect())
}

#[async_trait]
impl SourceTask for PostgresCdcTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        let committed = context.offsets.offset(&self.partition);
        if let Some(offset) = &committed {
            let in_snapshot = offset.get("snapshot").and_then(serde_json::Value::as_bool) == Some(true);
            let last = offset.get("last_snapshot_record").and_then(serde_json::Value::as_bool) == Some(true);
            self.snapshot_done = !in_snapshot || last;
            if !in_snapshot {
                self.delivered = offset.get("lsn").and_then(serde_json::Value::as_u64).unwrap_or(0);
                self.handed_out = self.delivered;
            }
        }
        if let Some(signaling) = &self.settings.signaling {
            let (schema, table) = &signaling.table;
            if !self.settings.captures(schema, table) {
                tracing::warn!(connector = %context.connector, "the signaling table {schema}.{table} is not captured (table.include.list): its signals are not seen");
            }
            self.incremental = Some(IncrementalSnapshot::new(signaling.clone(), committed.as_ref()));
        }
        self.offsets = Some(context.offsets);
        self.connector = context.connector;
        self.task = context.task;
        self.context = ContextHeaders::new(self.settings.extended_headers, &self.settings.prefix, self.task);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        match self.poll_once().await {
            Ok(records) => {
                self.failures = 0;
                Ok(records)
            }
            Err(error) => {
                let settings = &self.settings;
                self.failures += 1;
                if settings.max_retries.is_some_and(|max| self.failures > max) {
                    return Err(ConnectError::caused(
                        format!("giving up after {} failed attempts", self.failures),
                        error,
                    ));
                }
                let message = with_causes(&error);
                tracing::warn!(connector = %self.connector, attempt = self.failures, "capture failed, retrying in {:?}: {message}", settings.retry_wait);
                tokio::time::sleep(settings.retry_wait).await;
                Err(ConnectError::Retriable(message))
            }
        }
    }

    async fn commit(&mut self) -> Result<(), ConnectError> {
        self.acknowledge();
        self.measure_slot_lag().await;
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.phase = Phase::Setup;
        if let Some(mut stream) = self.stream.take() {
            if let Err(e) = stream.shutdown().await {
                tracing::debug!(connector = %self.connector, "replication connection closed: {e}");
            }
        }
        if self.settings.drop_slot_on_stop {
            self.drop_slot().await;
        }
        self.pool.close().await;
        Ok(())
    }
}

#[cfg(test)]
mod metric_tests {
    use tributary_runtime::metrics::Metrics;

    /// docs/metrics.md describes the series, and the worker serves it.
    #[test]
    fn the_series_is_documented_and_served() {
        let name = super::SLOT_LAG_SERIES;
        assert!(
            include_str!("../../../docs/metrics.md").contains(&format!("`{name}`")),
            "{name}"
        );
        super::SLOT_LAG_BYTES
            .with_label_values(&["metric-test", "0", "x"])
            .inc();
        assert!(Metrics::global().render().contains(name), "{name}");
    }
}
