//! Incremental snapshots, as Debezium takes them (signal-based, with watermarks): a row
//! inserted into the signaling table (`signal.data.collection`) with type `execute-snapshot`
//! asks for tables to be read again while changes go on streaming. Each table is read in
//! chunks of `incremental.snapshot.chunk.size` rows in key order (the primary key, the columns
//! `message.key.columns` names, or the signal's `surrogate-key`), each between a window-open and
//! a window-close row the connector writes into the signaling table. The rows a chunk read
//! wait until the stream reaches the window's close; a change the stream brings inside the
//! window takes the place of the waiting row of its key (the change is as new or newer), so a
//! row is never written after a newer change of it. The rows left are then written as `r`
//! events with `source.snapshot` `incremental`, and the next chunk is read.
//!
//! Where the snapshot got to (the tables left, the key of the last row written, the table's
//! largest key) is in every record's offset while it runs (`incremental_snapshot`), so a
//! restarted task goes on after the last row written. `stop-snapshot`, `pause-snapshot`,
//! `resume-snapshot` and `log` signals are taken as Debezium takes them; a `blocking`
//! `execute-snapshot` is handed to the task, which stops streaming to read the tables as its
//! initial snapshot reads them.

use std::collections::{HashMap, VecDeque};

use regex::{Regex, RegexBuilder};
use serde_json::{json, Value as Json};
use sqlx::postgres::PgPool;

use super::catalog::table_columns;
use super::columns::Reading;
use super::config::{Settings, Signaling};
use super::error::CaptureError;
use super::events::TableEvents;
use super::pgoutput::{Datum, Relation};
use super::snapshot::{text_row, text_select};
use super::task::quote;

/// The offset's key of the snapshot's progress.
pub(super) const OFFSET_KEY: &str = "incremental_snapshot";

/// The types of the signals the connector writes itself.
const OPEN_WINDOW: &str = "snapshot-window-open";
const CLOSE_WINDOW: &str = "snapshot-window-close";

/// A row of the signaling table: what to do (`type`), with what (`data`, JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Signal {
    id: String,
    kind: String,
    data: String,
}

impl Signal {
    /// The signal of an inserted row (id, type, data); none for a row of another shape.
    pub(super) fn inserted(row: &[Datum]) -> Option<Signal> {
        let [id, kind, data] = row else {
            tracing::warn!("a signal must have three columns (id, type, data); ignored");
            return None;
        };
        let text = |datum: &Datum| match datum {
            Datum::Text(text) => text.clone(),
            _ => String::new(),
        };
        Some(Signal {
            id: text(id),
            kind: text(kind),
            data: text(data),
        })
    }

    /// The close of a window that deleting its opening row makes (`insert_delete`).
    pub(super) fn deleted(row: &[Datum]) -> Option<Signal> {
        let opening = Signal::inserted(row)?;
        Some(Signal {
            id: opening.id.replace("open", "close"),
            kind: CLOSE_WINDOW.into(),
            data: opening.data,
        })
    }
}

/// A blocking snapshot an `execute-snapshot` signal asked for: the captured tables
/// `collections` names (regexes over `<schema>.<table>`), read as an initial snapshot reads
/// them while streaming waits, each table `selects` names (`<schema>.<table>`, from the
/// signal's `additional-conditions`) with that SELECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BlockingRequest {
    pub collections: Vec<String>,
    pub selects: Vec<(String, String)>,
}

/// A table to read, as a signal asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Collection {
    /// `<schema>.<table>`.
    id: String,
    /// A condition the rows read must meet (`additional-conditions`).
    condition: Option<String>,
    /// The column to read the table in the order of (`surrogate-key`).
    surrogate_key: Option<String>,
}

/// What is kept in the offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Progress {
    /// The tables left, the one being read first.
    collections: VecDeque<Collection>,
    /// The chunk key of the last row written of the table being read.
    last_key: Option<Vec<Option<String>>>,
    /// The table's largest chunk key when its reading began.
    maximum_key: Option<Vec<Option<String>>>,
}

impl Progress {
    fn to_json(&self) -> Json {
        let collections: Vec<Json> = self
            .collections
            .iter()
            .map(|c| json!({"id": c.id, "additional_condition": c.condition, "surrogate_key": c.surrogate_key}))
            .collect();
        json!({"collections": collections, "last_key": self.last_key, "maximum_key": self.maximum_key})
    }

    fn from_json(value: &Json) -> Option<Progress> {
        let key = |name: &str| -> Option<Vec<Option<String>>> {
            value
                .get(name)?
                .as_array()
                .map(|items| items.iter().map(|item| item.as_str().map(str::to_string)).collect())
        };
        let text = |item: &Json, name: &str| item.get(name).and_then(Json::as_str).map(str::to_string);
        let collections = value
            .get("collections")?
            .as_array()?
            .iter()
            .map(|item| {
                Some(Collection {
                    id: text(item, "id")?,
                    condition: text(item, "additional_condition"),
                    surrogate_key: text(item, "surrogate_key"),
                })
            })
            .collect::<Option<_>>()?;
        Some(Progress {
            collections,
            last_key: key("last_key"),
            maximum_key: key("maximum_key"),
        })
    }
}

/// A column the table is read in the order of.
#[derive(Debug, Clone)]
struct ChunkColumn {
    /// Its position in the rows read.
    position: usize,
    /// Its name, quoted.
    quoted: String,
    /// Whether it allows NULL (which PostgreSQL sorts last).
    nullable: bool,
}

/// The table being read.
struct ChunkTable {
    /// `<schema>.<table>`.
    id: String,
    /// The schema and table, quoted.
    qualified: String,
    events: TableEvents,
    /// The select list of its columns.
    select: String,
    chunk_columns: Vec<ChunkColumn>,
}

impl ChunkTable {
    /// The chunk key of a row read.
    fn chunk_key(&self, row: &[Datum]) -> Vec<Option<String>> {
        self.chunk_columns
            .iter()
            .map(|column| match row.get(column.position) {
                Some(Datum::Text(text)) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// `ORDER BY` of the chunk columns, ascending or descending.
    fn order(&self, descending: bool) -> String {
        let direction = if descending { " DESC" } else { "" };
        self.chunk_columns
            .iter()
            .map(|column| format!("{}{direction}", column.quoted))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The condition of the rows whose chunk key (`columns`) comes after `boundary` in key order
/// (NULLs last, as PostgreSQL sorts them ascending), as Debezium writes it.
fn after(columns: &[ChunkColumn], boundary: &[Option<String>]) -> String {
    let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let equal = |column: &ChunkColumn, value: &Option<String>| match value {
        Some(value) => format!("{} = {}", column.quoted, literal(value)),
        None => format!("{} IS NULL", column.quoted),
    };
    let greater = |column: &ChunkColumn, value: &Option<String>| match value {
        Some(value) if column.nullable => format!("({0} > {1} OR {0} IS NULL)", column.quoted, literal(value)),
        Some(value) => format!("{} > {}", column.quoted, literal(value)),
        // Nothing sorts after NULL.
        None => "1 = 0".to_string(),
    };
    let terms: Vec<String> = columns
        .iter()
        .zip(boundary)
        .enumerate()
        .map(|(i, (column, value))| {
            let mut parts: Vec<String> = columns[..i]
                .iter()
                .zip(boundary)
                .map(|(column, value)| equal(column, value))
                .collect();
            parts.push(greater(column, value));
            format!("({})", parts.join(" AND "))
        })
        .collect();
    format!("({})", terms.join(" OR "))
}

/// The rows a chunk read that the stream has not overtaken yet, by event key.
#[derive(Default)]
struct Window {
    rows: Vec<Option<Vec<Datum>>>,
    by_key: HashMap<Vec<Datum>, usize>,
}

impl Window {
    fn push(&mut self, key: Vec<Datum>, row: Vec<Datum>) {
        match self.by_key.get(&key) {
            Some(&at) => self.rows[at] = Some(row),
            None => {
                self.by_key.insert(key, self.rows.len());
                self.rows.push(Some(row));
            }
        }
    }

    fn remove(&mut self, key: &[Datum]) -> bool {
        match self.by_key.remove(key) {
            Some(at) => self.rows[at].take().is_some(),
            None => false,
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.by_key.clear();
    }

    fn drain(&mut self) -> Vec<Vec<Datum>> {
        self.by_key.clear();
        self.rows.drain(..).flatten().collect()
    }
}

/// An incremental snapshot: its progress and the chunk being read.
pub(super) struct IncrementalSnapshot {
    signaling: Signaling,
    progress: Progress,
    /// The progress as the offsets keep it, while a snapshot runs.
    stored: Option<Json>,
    /// The id of the chunk whose window is awaited (none between chunks).
    chunk: Option<String>,
    /// Whether the stream reached the chunk's window-open row.
    window_open: bool,
    paused: bool,
    /// The tables `stop-snapshot` asked to leave out (patterns), taken at the next chunk.
    stop_requested: Vec<String>,
    /// Where the next chunk begins: after this chunk key.
    chunk_end: Option<Vec<Option<String>>>,
    table: Option<ChunkTable>,
    window: Window,
}

/// Emits one row of a window as an event: the table's events, the row and the progress its
/// record's offset carries.
pub(super) type Emit<'a> = dyn FnMut(&TableEvents, &[Datum], Json) -> Result<(), CaptureError> + Send + 'a;

impl IncrementalSnapshot {
    /// Signaling as `signaling` says, going on from the progress a committed `offset` kept.
    pub(super) fn new(signaling: Signaling, offset: Option<&serde_json::Map<String, Json>>) -> Self {
        let progress = offset
            .and_then(|offset| offset.get(OFFSET_KEY))
            .and_then(Progress::from_json)
            .unwrap_or_default();
        let mut snapshot = IncrementalSnapshot {
            signaling,
            chunk_end: progress.last_key.clone(),
            progress,
            stored: None,
            chunk: None,
            window_open: false,
            paused: false,
            stop_requested: Vec::new(),
            table: None,
            window: Window::default(),
        };
        snapshot.remember();
        snapshot
    }

    /// Whether `schema`.`table` is the signaling table.
    pub(super) fn signals_in(&self, schema: &str, table: &str) -> bool {
        let (signal_schema, signal_table) = &self.signaling.table;
        signal_schema == schema && signal_table == table
    }

    /// Whether a window closes by deleting the row that opened it.
    pub(super) fn closes_by_delete(&self) -> bool {
        self.signaling.close_by_delete
    }

    /// The progress a record's offset carries (none when no snapshot runs).
    pub(super) fn stored(&self) -> Option<&Json> {
        self.stored.as_ref()
    }

    /// Whether a snapshot runs with no chunk under way (after a restart, or a chunk that
    /// failed): the task reads one.
    pub(super) fn idle(&self) -> bool {
        self.running() && self.chunk.is_none() && !self.paused
    }

    fn running(&self) -> bool {
        !self.progress.collections.is_empty()
    }

    /// Keeps the progress as the offsets will.
    fn remember(&mut self) {
        self.stored = self.running().then(|| self.progress.to_json());
    }

    /// A change of `data_collection` the stream brought with event key `key`: while a window
    /// of that table is open, its row of the same key is not written.
    pub(super) fn deduplicate(&mut self, data_collection: &str, key: &[Datum]) {
        if !self.window_open || self.table.as_ref().is_none_or(|t| t.id != data_collection) {
            return;
        }
        if self.window.remove(key) {
            tracing::debug!("a streamed change of {data_collection} overtook a row of the window");
        }
    }

    /// Takes a signal the stream brought; the rows a window closing leaves go to `emit`. A
    /// blocking snapshot asked for is returned, for the task to take.
    pub(super) async fn signal(
        &mut self,
        signal: Signal,
        pool: &PgPool,
        settings: &Settings,
        emit: &mut Emit<'_>,
    ) -> Result<Option<BlockingRequest>, CaptureError> {
        if [OPEN_WINDOW, CLOSE_WINDOW].contains(&signal.kind.as_str()) {
            tracing::debug!(id = %signal.id, kind = %signal.kind, "window signal");
        } else {
            tracing::info!(id = %signal.id, kind = %signal.kind, "signal received");
        }
        match signal.kind.as_str() {
            OPEN_WINDOW => {
                if self.expected(&signal.id) {
                    self.window_open = true;
                }
            }
            CLOSE_WINDOW => {
                if self.expected(&signal.id) {
                    self.window_open = false;
                    self.chunk = None;
                    self.write_window(emit)?;
                    self.read_chunk(pool, settings).await?;
                }
            }
            "execute-snapshot" => return self.execute(&signal, pool, settings).await,
            "stop-snapshot" => match data(&signal) {
                Some(data) if blocking(&data) => {
                    tracing::warn!(
                        "only incremental snapshots can be stopped; signal {} ignored",
                        signal.id
                    )
                }
                Some(data) => {
                    let asked = collections(&data).unwrap_or_default();
                    if self.running() {
                        self.stop_requested.extend(if asked.is_empty() {
                            vec![".*".to_string()]
                        } else {
                            asked
                        });
                    }
                }
                None => {}
            },
            "pause-snapshot" => {
                if self.running() && !self.paused {
                    tracing::info!("incremental snapshot paused");
                    self.paused = true;
                }
            }
            "resume-snapshot" => {
                if self.running() && self.paused {
                    tracing::info!("incremental snapshot resumed");
                    self.paused = false;
                    if self.chunk.is_none() {
                        self.read_chunk(pool, settings).await?;
                    }
                }
            }
            "log" => {
                let message =
                    data(&signal).and_then(|data| data.get("message").and_then(Json::as_str).map(str::to_string));
                tracing::info!("signal {}: {}", signal.id, message.unwrap_or_default());
            }
            other => tracing::warn!("signal {} of unknown type {other} ignored", signal.id),
        }
        Ok(None)
    }

    /// Whether a window signal is of the chunk awaited (one of before a restart is not).
    fn expected(&self, id: &str) -> bool {
        let expected = self.chunk.as_ref().is_some_and(|chunk| id.starts_with(chunk.as_str()));
        if !expected {
            tracing::debug!("window signal {id} is not of the chunk awaited; ignored");
        }
        expected
    }

    /// `execute-snapshot`: a blocking one is returned; an incremental one adds the tables its
    /// data names (regexes over `<schema>.<table>` matched against the captured tables; a
    /// name matching none kept as it is) and, when no snapshot ran, reads the first chunk.
    async fn execute(
        &mut self,
        signal: &Signal,
        pool: &PgPool,
        settings: &Settings,
    ) -> Result<Option<BlockingRequest>, CaptureError> {
        let Some(data) = data(signal) else {
            return Ok(None);
        };
        let Some(asked) = collections(&data).filter(|asked| !asked.is_empty()) else {
            tracing::warn!(
                "execute-snapshot signal {} names no data-collections; ignored",
                signal.id
            );
            return Ok(None);
        };
        if blocking(&data) {
            // The filter is a whole SELECT, as `snapshot.select.statement.overrides` takes it.
            let selects = additional_conditions(&data);
            tracing::info!("blocking snapshot of {asked:?} requested (signal {})", signal.id);
            return Ok(Some(BlockingRequest {
                collections: asked,
                selects,
            }));
        }
        let conditions: Vec<(Regex, String)> = additional_conditions(&data)
            .into_iter()
            .filter_map(|(pattern, filter)| {
                let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| tracing::warn!("additional condition for {pattern} ignored: {e}"))
                    .ok()?;
                Some((regex, filter))
            })
            .collect();
        let surrogate_key = data
            .get("surrogate-key")
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(str::to_string);
        let captured: Vec<String> = super::task::captured_tables(pool, settings)
            .await?
            .into_iter()
            .map(|(schema, table)| format!("{schema}.{table}"))
            .collect();
        let mut ids: Vec<String> = Vec::new();
        for pattern in &asked {
            let matching: Vec<&String> = match Regex::new(&format!("^(?:{pattern})$")) {
                Ok(regex) => captured.iter().filter(|id| regex.is_match(id)).collect(),
                Err(_) => Vec::new(),
            };
            let named = if matching.is_empty() { vec![pattern] } else { matching };
            for id in named {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        let was_running = self.running();
        tracing::info!("incremental snapshot of {ids:?} requested (signal {})", signal.id);
        self.progress.collections.extend(ids.into_iter().map(|id| {
            Collection {
                condition: conditions
                    .iter()
                    .find(|(regex, _)| regex.is_match(&id))
                    .map(|(_, filter)| filter.clone()),
                surrogate_key: surrogate_key.clone(),
                id,
            }
        }));
        self.remember();
        if !was_running {
            self.read_chunk(pool, settings).await?;
        }
        Ok(None)
    }

    /// Writes the window's rows, each with the progress after it.
    fn write_window(&mut self, emit: &mut Emit<'_>) -> Result<(), CaptureError> {
        let Some(table) = &self.table else {
            self.window.clear();
            return Ok(());
        };
        for row in self.window.drain() {
            self.progress.last_key = Some(table.chunk_key(&row));
            emit(&table.events, &row, self.progress.to_json())?;
        }
        self.remember();
        Ok(())
    }

    /// Reads the next chunk, as Debezium does: takes the tables `stop-snapshot` asked to leave
    /// out, then (unless paused or done) writes a window-open row, reads rows of the table
    /// being read after the last chunk's (a table with none left ends, and the next one is
    /// read), and writes a window-close row. A failure to reach the database leaves no chunk
    /// under way, so the task reads it again; a table that cannot be read is left out.
    pub(super) async fn read_chunk(&mut self, pool: &PgPool, settings: &Settings) -> Result<(), CaptureError> {
        let result = self.try_read_chunk(pool, settings).await;
        if result.is_err() {
            self.chunk = None;
            self.window_open = false;
            self.window.clear();
            self.chunk_end = self.progress.last_key.clone();
        }
        result
    }

    async fn try_read_chunk(&mut self, pool: &PgPool, settings: &Settings) -> Result<(), CaptureError> {
        self.take_stops();
        if !self.running() {
            return Ok(());
        }
        if self.paused {
            return Ok(());
        }
        let chunk = uuid::Uuid::now_v7().to_string();
        self.chunk = Some(chunk.clone());
        let opened_at = chrono::Utc::now();
        let opened_for = self.progress.collections.front().map(|c| c.id.clone());
        let insert = format!("INSERT INTO {} VALUES ($1, $2, $3)", self.signal_table());
        let opening = format!("{chunk}-open");
        let data = metadata(opened_at, None, opened_for.as_deref());
        self.write_mark(pool, &insert, &[&opening, OPEN_WINDOW, &data]).await?;
        while let Some(collection) = self.progress.collections.front().cloned() {
            match self.read_table_chunk(&collection, pool, settings).await {
                Ok(true) => break,
                Ok(false) => {
                    tracing::info!("incremental snapshot of {} done", collection.id);
                    self.next_table();
                }
                Err(CaptureError::Query(what, sqlx::Error::Database(e))) => {
                    tracing::warn!("incremental snapshot of {} left out: {what}: {e}", collection.id);
                    self.next_table();
                }
                Err(e) => return Err(e),
            }
        }
        if !self.running() {
            tracing::info!("incremental snapshot done");
        }
        self.remember();
        if self.signaling.close_by_delete {
            let delete = format!("DELETE FROM {} WHERE id = $1", self.signal_table());
            self.write_mark(pool, &delete, &[&opening]).await
        } else {
            let closing = format!("{chunk}-close");
            let data = metadata(opened_at, Some(chrono::Utc::now()), opened_for.as_deref());
            self.write_mark(pool, &insert, &[&closing, CLOSE_WINDOW, &data]).await
        }
    }

    /// Reads the next chunk of `collection` into the window: false when none is left.
    async fn read_table_chunk(
        &mut self,
        collection: &Collection,
        pool: &PgPool,
        settings: &Settings,
    ) -> Result<bool, CaptureError> {
        if self.table.as_ref().is_none_or(|table| table.id != collection.id) {
            match chunk_table(collection, pool, settings).await? {
                Some(table) => self.table = Some(table),
                None => return Ok(false),
            }
        }
        let Some(table) = &self.table else {
            return Ok(false);
        };
        let condition = collection.condition.as_deref().map(|c| format!("({c})"));
        if self.progress.maximum_key.is_none() {
            let key_select = text_select(
                table
                    .chunk_columns
                    .iter()
                    .map(|c| &table.events.relation().columns[c.position]),
            );
            let sql = format!(
                "SELECT {key_select} FROM {}{} ORDER BY {} LIMIT 1",
                table.qualified,
                condition.as_deref().map(|c| format!(" WHERE {c}")).unwrap_or_default(),
                table.order(true)
            );
            let maximum = sqlx::query(&sql)
                .fetch_optional(pool)
                .await
                .map_err(CaptureError::query(format!(
                    "cannot read the largest key of {}",
                    collection.id
                )))?;
            let Some(maximum) = maximum else {
                return Ok(false);
            };
            let key = text_row(&maximum)
                .map_err(CaptureError::query(format!(
                    "cannot read the largest key of {}",
                    collection.id
                )))?
                .into_iter()
                .map(|datum| match datum {
                    Datum::Text(text) => Some(text),
                    _ => None,
                })
                .collect::<Vec<_>>();
            tracing::info!("incremental snapshot of {} ends at key {key:?}", collection.id);
            self.progress.maximum_key = Some(key);
        }
        let mut conditions: Vec<String> = Vec::new();
        // The first chunk is bounded by neither, as Debezium reads it.
        if let (Some(last), Some(maximum)) = (&self.chunk_end, &self.progress.maximum_key) {
            conditions.push(after(&table.chunk_columns, last));
            conditions.push(format!("NOT {}", after(&table.chunk_columns, maximum)));
        }
        conditions.extend(condition);
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT {}",
            table.select,
            table.qualified,
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            },
            table.order(false),
            self.signaling.chunk_size
        );
        let rows = sqlx::query(&sql)
            .fetch_all(pool)
            .await
            .map_err(CaptureError::query(format!("cannot read a chunk of {}", collection.id)))?;
        let mut last = None;
        for row in &rows {
            let row = text_row(row).map_err(CaptureError::query(format!("cannot read {}", collection.id)))?;
            last = Some(table.chunk_key(&row));
            // Rows are held by their event key; a table keyed by none (read by a surrogate key)
            // by the chunk's key, so its rows stay apart (no streamed change overtakes them).
            let mut key = table.events.key_datums(&row);
            if key.is_empty() {
                key = table
                    .chunk_columns
                    .iter()
                    .map(|c| row.get(c.position).cloned().unwrap_or(Datum::Null))
                    .collect();
            }
            self.window.push(key, row);
        }
        let Some(last) = last else {
            return Ok(false);
        };
        self.chunk_end = Some(last);
        Ok(true)
    }

    /// Moves on to the next table.
    fn next_table(&mut self) {
        self.progress.collections.pop_front();
        self.progress.last_key = None;
        self.progress.maximum_key = None;
        self.chunk_end = None;
        self.table = None;
        self.window.clear();
        self.remember();
    }

    /// Leaves out the tables `stop-snapshot` asked to: the one being read ends, the others
    /// are taken off the list.
    fn take_stops(&mut self) {
        for pattern in std::mem::take(&mut self.stop_requested) {
            let Ok(regex) = Regex::new(&format!("^(?:{pattern})$")) else {
                tracing::warn!("stop-snapshot: {pattern} is not a regular expression; ignored");
                continue;
            };
            let current = self.progress.collections.front().map(|c| c.id.clone());
            self.progress
                .collections
                .retain(|c| Some(&c.id) == current.as_ref() || !regex.is_match(&c.id));
            if current.is_some_and(|id| regex.is_match(&id)) {
                tracing::info!("incremental snapshot: {pattern} stopped");
                self.next_table();
            }
        }
        self.remember();
    }

    /// The signaling table, quoted.
    fn signal_table(&self) -> String {
        let (schema, table) = &self.signaling.table;
        format!("{}.{}", quote(schema), quote(table))
    }

    /// Writes a window's mark into the signaling table: `statement` with text `parameters`,
    /// tried again after `signal.emit.failure.backoff.ms` up to
    /// `signal.emit.failure.max.retries` times when it fails.
    async fn write_mark(&self, pool: &PgPool, statement: &str, parameters: &[&str]) -> Result<(), CaptureError> {
        let mut failures = 0;
        loop {
            match write_synchronously(pool, statement, parameters).await {
                Ok(()) => return Ok(()),
                Err(e) if failures < self.signaling.emit_retries => {
                    failures += 1;
                    tracing::warn!("cannot write into the signaling table, trying again: {e}");
                    tokio::time::sleep(self.signaling.emit_backoff).await;
                }
                Err(e) => {
                    return Err(CaptureError::Query(
                        "cannot write a snapshot window into the signaling table".into(),
                        e,
                    ))
                }
            }
        }
    }
}

/// Runs `statement` in a transaction committed synchronously: on a server with
/// `synchronous_commit=off`, the log that the stream sends would otherwise take up to
/// `wal_writer_delay` (200 ms by default) to hold the mark, for every chunk.
async fn write_synchronously(pool: &PgPool, statement: &str, parameters: &[&str]) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = on")
        .execute(&mut *transaction)
        .await?;
    let mut query = sqlx::query(statement);
    for parameter in parameters {
        query = query.bind(*parameter);
    }
    query.execute(&mut *transaction).await?;
    transaction.commit().await
}

/// The table `collection` names, described for reading in chunks; none (logged) when it is not
/// captured, has gone, or has no key to read it in the order of.
async fn chunk_table(
    collection: &Collection,
    pool: &PgPool,
    settings: &Settings,
) -> Result<Option<ChunkTable>, CaptureError> {
    let Some((schema, name)) = collection.id.split_once('.') else {
        tracing::warn!(
            "incremental snapshot of {} left out: not a <schema>.<table>",
            collection.id
        );
        return Ok(None);
    };
    if !settings.captures(schema, name) {
        tracing::warn!(
            "incremental snapshot of {} left out: the table is not captured",
            collection.id
        );
        return Ok(None);
    }
    let qualified = format!("{}.{}", quote(schema), quote(name));
    let described = match table_columns(pool, &qualified).await {
        Ok(described) => described,
        Err(sqlx::Error::Database(e)) => {
            tracing::warn!("incremental snapshot of {} left out: {e}", collection.id);
            return Ok(None);
        }
        Err(e) => {
            return Err(CaptureError::Query(
                format!("cannot read the columns of {qualified}"),
                e,
            ))
        }
    };
    let mut columns: Vec<_> = described.into_iter().map(|described| described.column).collect();
    let key = settings.select_columns(schema, name, &mut columns);
    let positions: Vec<usize> = match &collection.surrogate_key {
        Some(surrogate) => match columns.iter().position(|column| &column.name == surrogate) {
            Some(position) => vec![position],
            None => {
                tracing::warn!(
                    "incremental snapshot of {} left out: surrogate key {surrogate} is not a column of the table",
                    collection.id
                );
                return Ok(None);
            }
        },
        None => key.clone(),
    };
    if positions.is_empty() {
        tracing::warn!(
            "incremental snapshot of {} left out: the table has no primary key",
            collection.id
        );
        return Ok(None);
    }
    let chunk_columns = positions
        .iter()
        .map(|&position| ChunkColumn {
            position,
            quoted: quote(&columns[position].name),
            nullable: columns[position].optional,
        })
        .collect();
    let select = text_select(&columns);
    let events = TableEvents::new(
        settings.table_topic(schema, name),
        Relation {
            id: 0,
            namespace: schema.to_string(),
            name: name.to_string(),
            columns,
        },
        key,
        settings.mapping,
        settings.placeholder.clone(),
        Reading::Snapshot,
    );
    Ok(Some(ChunkTable {
        id: collection.id.clone(),
        qualified,
        events,
        select,
        chunk_columns,
    }))
}

/// A signal's data, as JSON (none, logged, when it is not).
fn data(signal: &Signal) -> Option<Json> {
    match serde_json::from_str(&signal.data) {
        Ok(data) => Some(data),
        Err(e) => {
            tracing::warn!("signal {} ignored: its data is not JSON: {e}", signal.id);
            None
        }
    }
}

/// A signal's `data-collections` (none when it is not a list of texts).
fn collections(data: &Json) -> Option<Vec<String>> {
    match data.get("data-collections") {
        None | Some(Json::Null) => Some(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(|s| s.trim().to_string()))
            .collect(),
        Some(_) => None,
    }
}

/// A signal's `additional-conditions`: (`data-collection`, `filter`) pairs.
fn additional_conditions(data: &Json) -> Vec<(String, String)> {
    data.get("additional-conditions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|condition| {
            let collection = condition.get("data-collection")?.as_str()?;
            let filter = condition.get("filter")?.as_str()?;
            Some((collection.to_string(), filter.to_string()))
        })
        .collect()
}

/// Whether a signal's data asks for a blocking snapshot (`type`, incremental by default).
fn blocking(data: &Json) -> bool {
    data.get("type")
        .and_then(Json::as_str)
        .is_some_and(|kind| kind.eq_ignore_ascii_case("blocking"))
}

/// A window row's data, as Debezium writes it.
fn metadata(
    opened: chrono::DateTime<chrono::Utc>,
    closed: Option<chrono::DateTime<chrono::Utc>>,
    collection: Option<&str>,
) -> String {
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let mut fields = vec![format!("\"openWindowTimestamp\": \"{}\"", time(opened))];
    if let Some(closed) = closed {
        fields.push(format!("\"closeWindowTimestamp\": \"{}\"", time(closed)));
    }
    if let Some(collection) = collection {
        fields.push(format!("\"dataCollectionId\": {}", Json::from(collection)));
    }
    format!("{{{}}}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(nullable: &[bool]) -> Vec<ChunkColumn> {
        nullable
            .iter()
            .enumerate()
            .map(|(position, &nullable)| ChunkColumn {
                position,
                quoted: format!("\"k{position}\""),
                nullable,
            })
            .collect()
    }

    fn after_key(columns: Vec<ChunkColumn>, boundary: &[Option<&str>]) -> String {
        let boundary: Vec<Option<String>> = boundary.iter().map(|v| v.map(str::to_string)).collect();
        after(&columns, &boundary)
    }

    #[test]
    fn a_chunk_begins_after_the_last_key_as_debezium_bounds_it() {
        assert_eq!(after_key(table(&[false]), &[Some("5")]), "((\"k0\" > '5'))");
        assert_eq!(
            after_key(table(&[false, false]), &[Some("a'b"), Some("2")]),
            "((\"k0\" > 'a''b') OR (\"k0\" = 'a''b' AND \"k1\" > '2'))"
        );
        assert_eq!(
            after_key(table(&[true, true]), &[None, Some("2")]),
            "((1 = 0) OR (\"k0\" IS NULL AND (\"k1\" > '2' OR \"k1\" IS NULL)))"
        );
    }

    #[test]
    fn progress_survives_the_offsets() {
        let progress = Progress {
            collections: VecDeque::from([
                Collection {
                    id: "public.a".into(),
                    condition: Some("x > 1".into()),
                    surrogate_key: None,
                },
                Collection {
                    id: "public.b".into(),
                    condition: None,
                    surrogate_key: Some("k".into()),
                },
            ]),
            last_key: Some(vec![Some("3".into()), None]),
            maximum_key: Some(vec![Some("9".into()), Some("x".into())]),
        };
        assert_eq!(Progress::from_json(&progress.to_json()), Some(progress));
    }

    #[test]
    fn a_window_keeps_the_rows_the_stream_did_not_overtake_in_order() {
        let text = |s: &str| Datum::Text(s.into());
        let mut window = Window::default();
        for id in ["1", "2", "3"] {
            window.push(vec![text(id)], vec![text(id), text("row")]);
        }
        assert!(window.remove(&[text("2")]));
        assert!(!window.remove(&[text("2")]));
        assert!(!window.remove(&[text("7")]));
        assert_eq!(
            window.drain(),
            vec![vec![text("1"), text("row")], vec![text("3"), text("row")]]
        );
        assert!(window.drain().is_empty());
    }

    #[test]
    fn signals_are_read_from_rows_of_three_columns() {
        let text = |s: &str| Datum::Text(s.into());
        assert_eq!(
            Signal::inserted(&[text("x"), text("execute-snapshot"), Datum::Null]),
            Some(Signal {
                id: "x".into(),
                kind: "execute-snapshot".into(),
                data: String::new()
            })
        );
        assert_eq!(Signal::inserted(&[text("x"), text("log")]), None);
        assert_eq!(
            Signal::deleted(&[text("c-open"), Datum::Null, Datum::Null]).map(|s| (s.id, s.kind)),
            Some(("c-close".to_string(), CLOSE_WINDOW.to_string()))
        );
    }
}
