//! The capture task: sets up the publication and slot, takes the initial snapshot, then reads
//! the slot's changes in commit order and advances the slot once their offsets are committed.
//!
//! Offsets (partition `{"server": <topic.prefix>}`): snapshot records carry
//! `{"snapshot": true, "lsn": <slot start>}` (the last one also `"last_snapshot_record": true`);
//! change records carry the commit LSN of the last transaction delivered completely, and the
//! last record of a transaction its own commit LSN, so a crash in the middle of a transaction
//! reads the whole transaction again rather than skipping its rest.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use regex::Regex;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Row};
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, OffsetReader, SourceTask, SourceTaskContext};
use tributary_runtime::data::{ConnectRecord, SourceMap, SourceRecord, Value};

use super::events::{Op, SourceInfo, TableEvents};
use super::pgoutput::{decode, format_lsn, parse_lsn, Datum, Message, Relation, RelationColumn};

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The compiled regexes of a table list (`Err` with the bad pattern's message).
pub(super) fn patterns(config: &ConfigMap, key: &str) -> Result<Vec<Regex>, String> {
    config
        .get(key)
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Regex::new(&format!("^(?:{p})$")).map_err(|e| format!("bad pattern {p:?}: {e}")))
        .collect()
}

/// The task's settings.
#[derive(Debug, Clone)]
struct Settings {
    prefix: String,
    database: String,
    slot: String,
    publication: String,
    autocreate: String,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    snapshot: bool,
    tombstones: bool,
    max_batch: usize,
    poll_interval: Duration,
    max_retries: u32,
    retry_wait: Duration,
}

impl Settings {
    fn from_config(config: &ConfigMap) -> Result<Self, ConnectError> {
        let text = |key: &str, default: &str| config.get(key).cloned().unwrap_or_else(|| default.to_string());
        let number = |key: &str, default: u64| config.get(key).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
        Ok(Settings {
            prefix: text("topic.prefix", ""),
            database: text("database.dbname", ""),
            slot: text("slot.name", "debezium"),
            publication: text("publication.name", "dbz_publication"),
            autocreate: text("publication.autocreate.mode", "all_tables"),
            include: patterns(config, "table.include.list").map_err(ConnectError::fatal)?,
            exclude: patterns(config, "table.exclude.list").map_err(ConnectError::fatal)?,
            snapshot: text("snapshot.mode", "initial") == "initial",
            tombstones: text("tombstones.on.delete", "true") != "false",
            max_batch: number("max.batch.size", 2048).max(1) as usize,
            poll_interval: Duration::from_millis(number("poll.interval.ms", 500)),
            max_retries: number("errors.max.retries", 5) as u32,
            retry_wait: Duration::from_millis(number("retriable.restart.connector.wait.ms", 10_000)),
        })
    }

    /// Whether `schema.table` is captured.
    fn captures(&self, schema: &str, table: &str) -> bool {
        let name = format!("{schema}.{table}");
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(&name)))
            && !self.exclude.iter().any(|r| r.is_match(&name))
    }
}

/// Where the task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Publication and slot not checked yet.
    Setup,
    /// Reading the tables.
    Snapshot,
    /// Reading changes.
    Streaming,
}

/// Captures changes.
pub struct PostgresCdcTask {
    settings: Option<Settings>,
    pool: Option<PgPool>,
    partition: Arc<SourceMap>,
    phase: Phase,
    /// The commit LSN of the last transaction read completely (with records or with nothing
    /// captured).
    delivered: u64,
    /// The commit LSN the last record handed out carries.
    handed_out: u64,
    /// Whether the committed offset says the snapshot was finished.
    snapshot_done: bool,
    /// The snapshot's records, read ahead.
    snapshot: Option<std::vec::IntoIter<SourceRecord>>,
    /// The committed offsets, read back to know how far the slot may be advanced.
    offsets: Option<Arc<dyn OffsetReader>>,
    /// The slot's confirmed position as we last set it.
    confirmed: u64,
    tables: HashMap<u32, Option<TableEvents>>,
    failures: u32,
    connector: String,
}

impl Default for PostgresCdcTask {
    fn default() -> Self {
        PostgresCdcTask {
            settings: None,
            pool: None,
            partition: Arc::default(),
            phase: Phase::Setup,
            delivered: 0,
            handed_out: 0,
            snapshot_done: false,
            snapshot: None,
            offsets: None,
            confirmed: 0,
            tables: HashMap::new(),
            failures: 0,
            connector: String::new(),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl PostgresCdcTask {
    fn parts(&self) -> Result<(PgPool, Settings), String> {
        match (&self.pool, &self.settings) {
            (Some(pool), Some(settings)) => Ok((pool.clone(), settings.clone())),
            _ => Err("task not started".into()),
        }
    }

    /// Creates the publication and slot if missing; returns the slot's confirmed position.
    async fn setup(&mut self) -> Result<u64, String> {
        let (pool, settings) = self.parts()?;
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_publication WHERE pubname = $1")
            .bind(&settings.publication)
            .fetch_optional(&pool)
            .await
            .map_err(|e| format!("cannot read the publications: {e}"))?;
        if exists.is_none() {
            let quoted = quote(&settings.publication);
            let create = match settings.autocreate.as_str() {
                "all_tables" => format!("CREATE PUBLICATION {quoted} FOR ALL TABLES"),
                "filtered" => {
                    let tables: Vec<(String, String)> = sqlx::query_as(
                        "SELECT table_schema::text, table_name::text FROM information_schema.tables \
                         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
                    )
                    .fetch_all(&pool)
                    .await
                    .map_err(|e| format!("cannot list the tables: {e}"))?;
                    let names: Vec<String> = tables
                        .iter()
                        .filter(|(s, t)| settings.captures(s, t))
                        .map(|(s, t)| format!("{}.{}", quote(s), quote(t)))
                        .collect();
                    if names.is_empty() {
                        return Err("no table matches table.include.list to publish".into());
                    }
                    format!("CREATE PUBLICATION {quoted} FOR TABLE {}", names.join(", "))
                }
                _ => return Err(format!("publication {} does not exist", settings.publication)),
            };
            tracing::info!(connector = %self.connector, "creating the publication: {create}");
            sqlx::query(&create)
                .execute(&pool)
                .await
                .map_err(|e| format!("cannot create the publication: {e}"))?;
        }
        let slot: Option<Option<String>> =
            sqlx::query_scalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1")
                .bind(&settings.slot)
                .fetch_optional(&pool)
                .await
                .map_err(|e| format!("cannot read the replication slots: {e}"))?;
        let position = match slot {
            Some(position) => position.as_deref().and_then(parse_lsn).unwrap_or(0),
            None => {
                tracing::info!(connector = %self.connector, slot = %settings.slot, "creating the replication slot");
                let created: String =
                    sqlx::query_scalar("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')")
                        .bind(&settings.slot)
                        .fetch_one(&pool)
                        .await
                        .map_err(|e| format!("cannot create the replication slot: {e}"))?;
                parse_lsn(&created).unwrap_or(0)
            }
        };
        Ok(position)
    }

    /// Reads every captured table of the publication as `r` events.
    async fn read_snapshot(&mut self, slot_lsn: u64) -> Result<Vec<SourceRecord>, String> {
        let (pool, settings) = self.parts()?;
        let tables: Vec<(String, String)> = sqlx::query_as(
            "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2",
        )
        .bind(&settings.publication)
        .fetch_all(&pool)
        .await
        .map_err(|e| format!("cannot list the published tables: {e}"))?;
        let mut records = Vec::new();
        let mut transaction = pool.begin().await.map_err(|e| e.to_string())?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *transaction)
            .await
            .map_err(|e| e.to_string())?;
        let offset = SourceMap::from_iter([
            ("snapshot".to_string(), true.into()),
            ("lsn".to_string(), slot_lsn.into()),
        ]);
        for (schema, table) in tables.into_iter().filter(|(s, t)| settings.captures(s, t)) {
            let qualified = format!("{}.{}", quote(&schema), quote(&table));
            let columns: Vec<(String, i64, i32, bool)> = sqlx::query_as(
                "SELECT a.attname::text, a.atttypid::int8, a.atttypmod, \
                 COALESCE(a.attnum = ANY(i.indkey), false) \
                 FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
                 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            )
            .bind(&qualified)
            .fetch_all(&mut *transaction)
            .await
            .map_err(|e| format!("cannot read the columns of {qualified}: {e}"))?;
            let relation = Relation {
                id: 0,
                namespace: schema.clone(),
                name: table.clone(),
                columns: columns
                    .iter()
                    .map(|(name, oid, modifier, key)| RelationColumn {
                        key: *key,
                        name: name.clone(),
                        type_oid: *oid as u32,
                        type_modifier: *modifier,
                    })
                    .collect(),
            };
            let events = TableEvents::new(&settings.prefix, relation);
            let select: Vec<String> = columns
                .iter()
                .map(|(name, ..)| format!("{}::text", quote(name)))
                .collect();
            let sql = format!("SELECT {} FROM {qualified}", select.join(", "));
            let source = SourceInfo {
                name: settings.prefix.clone(),
                db: settings.database.clone(),
                ts_ms: now_ms(),
                snapshot: "true",
                tx_id: None,
                lsn: Some(slot_lsn as i64),
                sequence: None,
            };
            let mut rows = sqlx::query(&sql).fetch(&mut *transaction);
            while let Some(row) = rows.next().await {
                let row = row.map_err(|e| format!("cannot read {qualified}: {e}"))?;
                let datums: Vec<Datum> = (0..columns.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i)
                            .map(|v| v.map_or(Datum::Null, Datum::Text))
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?;
                records.push(self.record(&events, Op::Read, None, Some(&datums), &datums, &source, &offset)?);
            }
        }
        transaction.commit().await.map_err(|e| e.to_string())?;
        if let Some(last) = records.last_mut() {
            last.source_offset.insert("last_snapshot_record".into(), true.into());
            if let Value::Struct(envelope) = &mut last.record.value {
                if let Some(Value::Struct(source)) = envelope.get("source").cloned() {
                    let mut source = source;
                    source.put("snapshot", Value::String("last".into()));
                    envelope.put("source", Value::Struct(source));
                }
            }
        }
        tracing::info!(connector = %self.connector, records = records.len(), "snapshot read");
        Ok(records)
    }

    /// One change record.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        events: &TableEvents,
        op: Op,
        before: Option<&[Datum]>,
        after: Option<&[Datum]>,
        key_row: &[Datum],
        source: &SourceInfo,
        offset: &SourceMap,
    ) -> Result<SourceRecord, String> {
        let envelope = events.envelope(op, before, after, source, now_ms())?;
        Ok(SourceRecord {
            source_partition: self.partition.clone(),
            source_offset: offset.clone(),
            record: ConnectRecord {
                topic: events.topic.clone(),
                key_schema: events.key_schema(),
                key: events.key(key_row)?,
                value_schema: Some(events.envelope_schema()),
                value: envelope,
                ..Default::default()
            },
        })
    }

    /// Reads the slot's changes after `delivered`, whole transactions, until at least
    /// `max.batch.size` records.
    async fn read_changes(&mut self) -> Result<Vec<SourceRecord>, String> {
        let (pool, settings) = self.parts()?;
        // Every transaction committed before this point is decoded by the peek below; pgoutput
        // sends nothing for those that touch no published table.
        let flushed: String = sqlx::query_scalar("SELECT pg_current_wal_flush_lsn()::text")
            .fetch_one(&pool)
            .await
            .map_err(|e| format!("cannot read the WAL position: {e}"))?;
        let mut rows = sqlx::query(
            "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, \
             'proto_version', '1', 'publication_names', $2)",
        )
        .bind(&settings.slot)
        .bind(&settings.publication)
        .fetch(&pool);
        let mut records = Vec::new();
        let mut transaction: Vec<SourceRecord> = Vec::new();
        let mut current: Option<(u64, i64, u32)> = None;
        let mut skipping = false;
        while let Some(row) = rows.next().await {
            let row = row.map_err(|e| format!("cannot read the replication slot: {e}"))?;
            let data: Vec<u8> = row.try_get(0).map_err(|e| e.to_string())?;
            let message = decode(&data).map_err(|e| e.to_string())?;
            match message {
                Message::Relation(relation) => {
                    let captured = settings.captures(&relation.namespace, &relation.name);
                    let id = relation.id;
                    self.tables
                        .insert(id, captured.then(|| TableEvents::new(&settings.prefix, relation)));
                }
                Message::Begin {
                    final_lsn,
                    timestamp,
                    xid,
                } => {
                    skipping = final_lsn <= self.delivered;
                    current = Some((final_lsn, timestamp, xid));
                    transaction.clear();
                }
                Message::Commit { commit_lsn, .. } => {
                    if !skipping {
                        let previous = SourceMap::from_iter([("lsn".to_string(), self.delivered.into())]);
                        for record in &mut transaction {
                            record.source_offset = previous.clone();
                        }
                        if let (Some(last), Some((_, timestamp, xid))) = (transaction.last_mut(), current) {
                            self.handed_out = commit_lsn;
                            last.source_offset = SourceMap::from_iter([
                                ("lsn".to_string(), commit_lsn.into()),
                                ("lsn_commit".to_string(), commit_lsn.into()),
                                ("txId".to_string(), xid.into()),
                                ("ts_usec".to_string(), (timestamp + POSTGRES_EPOCH_MICROS).into()),
                            ]);
                        }
                        records.append(&mut transaction);
                        self.delivered = commit_lsn;
                    }
                    current = None;
                    if records.len() >= settings.max_batch {
                        return Ok(records);
                    }
                }
                Message::Insert { relation, new } if !skipping => {
                    self.change(
                        &mut transaction,
                        relation,
                        Op::Create,
                        None,
                        Some(new),
                        current,
                        &settings,
                    )?;
                }
                Message::Update { relation, old, new } if !skipping => {
                    self.change(
                        &mut transaction,
                        relation,
                        Op::Update,
                        old,
                        Some(new),
                        current,
                        &settings,
                    )?;
                }
                Message::Delete { relation, old } if !skipping => {
                    self.change(
                        &mut transaction,
                        relation,
                        Op::Delete,
                        Some(old),
                        None,
                        current,
                        &settings,
                    )?;
                }
                _ => {}
            }
        }
        // Read to the end: nothing before `flushed` is left to deliver.
        if current.is_none() {
            self.delivered = self.delivered.max(parse_lsn(&flushed).unwrap_or(0));
        }
        Ok(records)
    }

    /// Adds the records of one row change to `transaction`.
    #[allow(clippy::too_many_arguments)]
    fn change(
        &self,
        transaction: &mut Vec<SourceRecord>,
        relation: u32,
        op: Op,
        before: Option<Vec<Datum>>,
        after: Option<Vec<Datum>>,
        current: Option<(u64, i64, u32)>,
        settings: &Settings,
    ) -> Result<(), String> {
        let events = match self.tables.get(&relation) {
            Some(Some(events)) => events,
            Some(None) => return Ok(()),
            None => return Err(format!("a change for relation {relation} before its description")),
        };
        let (commit_lsn, timestamp, xid) = current.ok_or("a change outside a transaction")?;
        let source = SourceInfo {
            name: settings.prefix.clone(),
            db: settings.database.clone(),
            ts_ms: (timestamp + POSTGRES_EPOCH_MICROS) / 1000,
            snapshot: "false",
            tx_id: Some(i64::from(xid)),
            lsn: Some(commit_lsn as i64),
            sequence: Some(format!("[\"{}\",\"{}\"]", self.delivered, commit_lsn)),
        };
        let key_row = after.as_deref().or(before.as_deref()).unwrap_or_default().to_vec();
        let offset = SourceMap::new();
        let record = self.record(
            events,
            op,
            before.as_deref(),
            after.as_deref(),
            &key_row,
            &source,
            &offset,
        )?;
        let tombstone = (op == Op::Delete && settings.tombstones).then(|| SourceRecord {
            source_partition: record.source_partition.clone(),
            source_offset: offset.clone(),
            record: ConnectRecord {
                topic: record.record.topic.clone(),
                key_schema: record.record.key_schema.clone(),
                key: record.record.key.clone(),
                value_schema: None,
                value: Value::Null,
                ..Default::default()
            },
        });
        transaction.push(record);
        transaction.extend(tombstone);
        Ok(())
    }

    /// Confirms to the slot what need not be read again: up to the committed offset, or, once
    /// every record handed out is committed, up to the last transaction read (the ones after
    /// the last record captured nothing).
    async fn advance_slot(&mut self) {
        let (Some(pool), Some(settings), Some(offsets)) = (&self.pool, &self.settings, &self.offsets) else {
            return;
        };
        let Some(offset) = offsets.offset(&self.partition) else {
            return;
        };
        if self.phase != Phase::Streaming || offset.get("snapshot").is_some() {
            return;
        }
        let committed = offset.get("lsn").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let target = if committed == self.handed_out {
            self.delivered
        } else {
            committed
        };
        if target <= self.confirmed {
            return;
        }
        match sqlx::query("SELECT pg_replication_slot_advance($1, $2::pg_lsn)")
            .bind(&settings.slot)
            .bind(format_lsn(target))
            .execute(pool)
            .await
        {
            Ok(_) => self.confirmed = target,
            Err(e) => tracing::warn!(connector = %self.connector, "cannot advance the replication slot: {e}"),
        }
    }

    async fn poll_once(&mut self) -> Result<Vec<SourceRecord>, String> {
        let (_, settings) = self.parts()?;
        if self.phase == Phase::Setup {
            let slot_lsn = self.setup().await?;
            self.confirmed = slot_lsn;
            if settings.snapshot && !self.snapshot_done {
                self.phase = Phase::Snapshot;
                let records = self.read_snapshot(slot_lsn).await?;
                self.snapshot = Some(records.into_iter());
            } else {
                self.phase = Phase::Streaming;
            }
        }
        if self.phase == Phase::Snapshot {
            let batch: Vec<SourceRecord> = self
                .snapshot
                .as_mut()
                .map(|rest| rest.by_ref().take(settings.max_batch).collect())
                .unwrap_or_default();
            if !batch.is_empty() {
                return Ok(batch);
            }
            self.snapshot = None;
            self.phase = Phase::Streaming;
        }
        let records = self.read_changes().await?;
        if records.is_empty() {
            // Transactions that touched no captured table must not be decoded again and again.
            self.advance_slot().await;
            tokio::time::sleep(settings.poll_interval).await;
        }
        Ok(records)
    }
}

/// `name` quoted as a PostgreSQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[async_trait]
impl SourceTask for PostgresCdcTask {
    async fn start(&mut self, config: &ConfigMap, context: SourceTaskContext) -> Result<(), ConnectError> {
        let settings = Settings::from_config(config)?;
        let port = config
            .get("database.port")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(5432u16);
        let options = PgConnectOptions::new()
            .host(
                config
                    .get("database.hostname")
                    .map(String::as_str)
                    .unwrap_or("localhost"),
            )
            .port(port)
            .username(config.get("database.user").map(String::as_str).unwrap_or_default())
            .password(config.get("database.password").map(String::as_str).unwrap_or_default())
            .database(&settings.database)
            .options([("TimeZone", "UTC")])
            .disable_statement_logging();
        self.pool = Some(
            PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with(options),
        );
        self.partition = Arc::new(SourceMap::from_iter([(
            "server".to_string(),
            settings.prefix.clone().into(),
        )]));
        if let Some(offset) = context.offsets.offset(&self.partition) {
            let in_snapshot = offset.get("snapshot").and_then(serde_json::Value::as_bool) == Some(true);
            let last = offset.get("last_snapshot_record").and_then(serde_json::Value::as_bool) == Some(true);
            self.snapshot_done = !in_snapshot || last;
            if !in_snapshot {
                self.delivered = offset.get("lsn").and_then(serde_json::Value::as_u64).unwrap_or(0);
                self.handed_out = self.delivered;
            }
        }
        self.offsets = Some(context.offsets);
        self.connector = context.connector;
        self.settings = Some(settings);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        match self.poll_once().await {
            Ok(records) => {
                self.failures = 0;
                Ok(records)
            }
            Err(message) => {
                let (_, settings) = self.parts().map_err(ConnectError::fatal)?;
                self.failures += 1;
                if self.failures > settings.max_retries {
                    return Err(ConnectError::fatal(format!(
                        "giving up after {} failed attempts: {message}",
                        self.failures
                    )));
                }
                tracing::warn!(connector = %self.connector, attempt = self.failures, "capture failed, retrying in {:?}: {message}", settings.retry_wait);
                tokio::time::sleep(settings.retry_wait).await;
                Err(ConnectError::Retriable(message))
            }
        }
    }

    async fn commit(&mut self) -> Result<(), ConnectError> {
        self.advance_slot().await;
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(pool) = self.pool.take() {
            pool.close().await;
        }
        Ok(())
    }
}
