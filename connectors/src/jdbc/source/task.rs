//! The source task: queries its tables in turn, each at most every `poll.interval.ms`, and
//! hands their rows to the worker `batch.max.rows` (at most [`super::config::MAX_BATCH_ROWS`])
//! at a time. A query streams on its own tokio task into a channel two batches deep, so rows are
//! decoded while the previous batch is being produced and a large table is never held in memory.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, SourceTask, SourceTaskContext};
use tributary_runtime::data::{SourceMap, SourceRecord};
use tributary_runtime::error_chain::with_causes;
use tributary_runtime::progress::Progress;

use super::config::{config_def, query, Settings, TOPIC_PREFIX};
use super::error::{Failure, ReadError};
use super::query::{Mode, Position, QuerySpec, RecordBuilder};
use super::{auto_increment_column, column_metadata, mysql_result_metadata, result_column_metadata, TableRef, TABLES};
use crate::jdbc::calendar::DateCalendarSystem;
use crate::jdbc::connection::{Database, Dialect};
use crate::jdbc::time_zone::DbTimeZone;
use crate::jdbc::types::{DbRow, NumericMapping};

/// The longest a `poll` waits for the next query to be due (the worker commits in between).
const IDLE_WAIT: Duration = Duration::from_millis(500);

/// A batch of records and the position after its last row, or why the query failed.
type Batch = Result<(Vec<SourceRecord>, Position), ReadError>;

/// One table (or the query) and where reading it has got to.
struct Querier {
    table: Option<TableRef>,
    /// The incrementing column: the configured one, or else the table's auto-increment column,
    /// found on its first query.
    incrementing_column: Option<String>,
    /// The timestamp columns.
    timestamp_columns: Vec<String>,
    /// No offset was committed for it: `timestamp.initial` sets its timestamp at its first
    /// query.
    uncommitted: bool,
    /// On MySQL, the zone whose wall times its timestamp column holds, found on its first
    /// query in a timestamp mode (see [`JdbcSourceTask::timestamp_column_zone`]).
    timestamp_zone: Option<DbTimeZone>,
    /// The configured query, in query mode.
    query: Option<String>,
    /// The table as Confluent's task names it in its errors (quoted, with PostgreSQL's
    /// catalog); empty in query mode.
    quoted_name: String,
    topic: Arc<str>,
    partition: Arc<SourceMap>,
    position: Position,
    next_due: Instant,
    /// Its queries refused in a row ([`Failure::Query`]).
    query_failures: u32,
}

/// The query whose rows are being handed out.
struct Running {
    querier: usize,
    batches: mpsc::Receiver<Batch>,
    reader: JoinHandle<()>,
    /// Rows handed out so far, when a whole table is read (its first read can take hours).
    progress: Option<Progress>,
}

/// Reads its tables in turn.
pub(super) struct JdbcSourceTask {
    database: Database,
    settings: Settings,
    queriers: Vec<Querier>,
    running: Option<Running>,
    /// The tables' offset columns were checked ([`JdbcSourceTask::check_offset_columns`]).
    offset_columns_checked: bool,
    /// Failed attempts in a row.
    failures: u32,
    /// The connector and task number, from `start`, for logs.
    connector: String,
    task: u32,
}

impl JdbcSourceTask {
    /// A task querying the tables (or the query) its config names, each from its beginning
    /// until `start` reads the committed positions.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let parsed = config_def().parse(config).map_err(ConnectError::Config)?;
        let settings = Settings::new(&parsed);
        let database = Database::from_config(&parsed, 2, &settings.session())?;
        let prefix = parsed.value(&TOPIC_PREFIX);
        let catalog = crate::jdbc::connection::database_name(&parsed)?;
        let now = Instant::now();
        let columns_of = |table: Option<&TableRef>| {
            settings
                .offset_columns
                .of(table.map(TableRef::qualified).as_deref(), settings.mode)
                .map_err(ConnectError::fatal)
        };
        let queriers = match query(&parsed) {
            Some(query) => {
                let columns = columns_of(None)?;
                vec![Querier {
                    partition: Arc::new(SourceMap::from_iter([("query".to_string(), "query".into())])),
                    table: None,
                    incrementing_column: columns.incrementing,
                    timestamp_columns: columns.timestamps,
                    uncommitted: false,
                    timestamp_zone: None,
                    query: Some(query),
                    quoted_name: String::new(),
                    topic: prefix.into(),
                    position: Position::default(),
                    next_due: now,
                    query_failures: 0,
                }]
            }
            None => config
                .get(TABLES)
                .map(String::as_str)
                .unwrap_or_default()
                .split(',')
                .filter_map(TableRef::parse)
                .map(|table| {
                    let columns = columns_of(Some(&table))?;
                    // Confluent's partition names the table with its catalog and schema.
                    let name = match database.dialect() {
                        Dialect::Postgres => format!("{catalog}.{}.{}", table.schema, table.name),
                        Dialect::MySql => format!("{}.{}", table.schema, table.name),
                    };
                    let quoted_name = settings.quoting.table(database.dialect(), &name);
                    let partition = SourceMap::from_iter([
                        ("protocol".to_string(), "1".into()),
                        ("table".to_string(), name.into()),
                    ]);
                    Ok(Querier {
                        topic: format!("{prefix}{}", table.name).into(),
                        partition: Arc::new(partition),
                        table: Some(table),
                        incrementing_column: columns.incrementing,
                        timestamp_columns: columns.timestamps,
                        uncommitted: false,
                        timestamp_zone: None,
                        query: None,
                        quoted_name,
                        position: Position::default(),
                        next_due: now,
                        query_failures: 0,
                    })
                })
                .collect::<Result<_, ConnectError>>()?,
        };
        Ok(JdbcSourceTask {
            database,
            settings,
            queriers,
            running: None,
            offset_columns_checked: false,
            failures: 0,
            connector: String::new(),
            task: 0,
        })
    }

    /// A failed read of querier `index` (`None`: the checks before the first query), handled
    /// as its [`Failure`] says: a lost connection is retried after `connection.backoff.ms`
    /// until `connection.attempts` in a row have failed; a statement the database refused as
    /// transient is run again at the querier's next poll until `query.retry.attempts` in a
    /// row have failed (never, by default, as Confluent's); anything else fails the task.
    async fn failed(&mut self, index: Option<usize>, error: ReadError) -> Result<Vec<SourceRecord>, ConnectError> {
        let settings = &self.settings;
        let failure = error.failure(self.database.dialect(), settings.mysql_driver);
        let querier = index.map(|index| &mut self.queriers[index]);
        match (failure, querier) {
            (Failure::Fatal, _) | (Failure::Query, None) => Err(match error {
                ReadError::Failed(message) => ConnectError::fatal(message),
                error => ConnectError::failed(error),
            }),
            (Failure::Query, Some(querier)) => {
                querier.query_failures += 1;
                let failures = querier.query_failures;
                if settings
                    .query_retry_attempts
                    .is_some_and(|attempts| failures >= attempts)
                {
                    return Err(ConnectError::caused("Failed to query table after retries", error));
                }
                querier.next_due = Instant::now() + settings.poll_interval;
                let message = with_causes(&error);
                tracing::warn!(connector = %self.connector, task = self.task, attempt = failures, "database query failed, running it again at the next poll: {message}");
                Ok(Vec::new())
            }
            (Failure::Connection, _) => {
                self.failures += 1;
                if self.failures >= settings.attempts {
                    return Err(ConnectError::caused(
                        format!("giving up after {} failed attempts", self.failures),
                        error,
                    ));
                }
                let message = with_causes(&error);
                tracing::warn!(connector = %self.connector, task = self.task, attempt = self.failures, "database connection failed, retrying in {:?}: {message}", settings.backoff);
                tokio::time::sleep(settings.backoff).await;
                Err(ConnectError::Retriable(message))
            }
        }
    }

    /// Confluent's checks before the first query, with its messages: the incrementing and
    /// timestamp columns the config names exist in each table, and, under `validate.non.null`,
    /// the incrementing column is NOT NULL and so is one of the timestamp columns (a NULL would
    /// hide its row from every query). A query's columns are not checked; nor is an
    /// auto-increment column found by [`Self::found_incrementing_column`]. (Confluent checks
    /// that the columns exist in its first table only; a missing column of another table
    /// fails its query.)
    async fn check_offset_columns(&self) -> Result<(), ReadError> {
        let mode = self.settings.mode;
        if mode == Mode::Bulk {
            return Ok(());
        }
        for querier in &self.queriers {
            let Some(table) = &querier.table else { continue };
            let columns = column_metadata(&self.database, table)
                .await
                .map_err(ReadError::query("cannot read the table's columns"))?;
            let find = |name: &str| {
                columns
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(name))
                    .map(|(_, m)| m)
            };
            let table = &querier.quoted_name;
            let incrementing = querier
                .incrementing_column
                .as_deref()
                .filter(|_| mode.uses_incrementing());
            let incrementing = incrementing.map(|name| (name, find(name)));
            if let Some((name, None)) = incrementing {
                return Err(ReadError::Failed(format!(
                    "Incrementing column: {name} does not exist in table '{table}'"
                )));
            }
            let timestamps = match mode.uses_timestamp() {
                true => querier.timestamp_columns.as_slice(),
                false => &[],
            };
            let missing: Vec<&str> = timestamps
                .iter()
                .filter(|name| find(name).is_none())
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(ReadError::Failed(format!(
                    "Timestamp columns: {} do not exist in table '{table}'",
                    missing.join(", ")
                )));
            }
            if !self.settings.validate_non_null {
                continue;
            }
            if let Some((name, Some(column))) = incrementing {
                if column.nullable {
                    return Err(ReadError::Failed(format!(
                        "Cannot make incremental queries using incrementing column {name} on {table} \
                         because this column is nullable."
                    )));
                }
            }
            if !timestamps.is_empty() && timestamps.iter().all(|name| find(name).is_some_and(|c| c.nullable)) {
                return Err(ReadError::Failed(format!(
                    "Cannot make incremental queries using timestamp columns {} on {table} because \
                     all of these columns are nullable.",
                    timestamps.join(",")
                )));
            }
        }
        Ok(())
    }

    /// The incrementing column of querier `index`: the configured one, or else its table's
    /// auto-increment column, as Confluent's connector takes the first column its JDBC driver
    /// reports as auto-increment; found once per table.
    async fn found_incrementing_column(&mut self, index: usize) -> Result<String, ReadError> {
        let querier = &mut self.queriers[index];
        if let Some(column) = &querier.incrementing_column {
            return Ok(column.clone());
        }
        let Some(table) = &querier.table else {
            return Err(ReadError::Failed("a query needs incrementing.column.name".into()));
        };
        let column = auto_increment_column(&self.database, table)
            .await
            .map_err(ReadError::query("cannot read the table's columns"))?
            .ok_or_else(|| {
                ReadError::Failed(format!(
                    "incrementing.column.name is empty and table {}.{} has no auto-increment column",
                    table.schema, table.name
                ))
            })?;
        tracing::info!(table = %format!("{}.{}", table.schema, table.name), column = %column, "incrementing by the table's auto-increment column");
        querier.incrementing_column = Some(column.clone());
        Ok(column)
    }

    /// The zone whose wall times querier `index`'s (first) timestamp column holds on MySQL,
    /// where sessions run in UTC: a DATETIME's are `db.timezone`'s, a TIMESTAMP's (and a
    /// DATE's) UTC. Its timestamps are bound as wall times of that zone. Found once per table
    /// (a query's columns as [`mysql_result_metadata`] finds them; a column not found is taken
    /// for a DATETIME).
    async fn timestamp_column_zone(&mut self, index: usize) -> Result<DbTimeZone, ReadError> {
        let zone = &self.settings.date_times.time_zone;
        let (Database::MySql(pool), false) = (&self.database, zone.is_utc()) else {
            return Ok(zone.clone());
        };
        let querier = &self.queriers[index];
        if let Some(found) = &querier.timestamp_zone {
            return Ok(found.clone());
        }
        let metadata = match (&querier.table, &querier.query) {
            (_, Some(query)) => mysql_result_metadata(pool, query).await,
            (Some(table), None) => column_metadata(&self.database, table)
                .await
                .map_err(ReadError::query("cannot read the table's columns"))?,
            (None, None) => Default::default(),
        };
        let first = querier
            .timestamp_columns
            .first()
            .map(String::as_str)
            .unwrap_or_default();
        let date_time = metadata
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(first))
            .is_none_or(|(_, column)| column.date_time);
        let found = if date_time { zone.clone() } else { DbTimeZone::default() };
        self.queriers[index].timestamp_zone = Some(found.clone());
        Ok(found)
    }

    /// Starts the query of querier `index` on a reader task.
    async fn start_query(&mut self, index: usize) -> Result<Running, ReadError> {
        let settings = self.settings.clone();
        let database = self.database.clone();
        let dialect = database.dialect();
        let incrementing_column = match settings.mode.uses_incrementing() {
            true => self.found_incrementing_column(index).await?,
            false => String::new(),
        };
        let timestamp_zone = if settings.mode.uses_timestamp() {
            self.timestamp_column_zone(index).await?
        } else {
            DbTimeZone::default()
        };
        if let (true, true, Some(initial)) = (
            self.queriers[index].uncommitted,
            settings.mode.uses_timestamp(),
            settings.timestamp_initial,
        ) {
            // Confluent's: -1 is the database's current time, else epoch milliseconds.
            let start = match initial {
                -1 => database_now(&self.database)
                    .await
                    .map_err(ReadError::query("cannot read the database's clock"))?,
                millis => chrono::DateTime::from_timestamp_millis(millis)
                    .map(|at| at.naive_utc())
                    .ok_or_else(|| ReadError::Failed(format!("timestamp.initial {millis} is out of range")))?,
            };
            self.queriers[index].position.timestamp = start;
            self.queriers[index].uncommitted = false;
        }
        let querier = &self.queriers[index];
        let base = match (&querier.table, &querier.query) {
            (_, Some(query)) => query.clone(),
            (Some(table), None) => format!(
                "SELECT * FROM {}",
                settings
                    .quoting
                    .table(dialect, &format!("{}.{}", table.schema, table.name))
            ),
            (None, None) => return Err(ReadError::Failed("nothing to query".into())),
        };
        let spec = QuerySpec {
            dialect,
            mode: settings.mode,
            base,
            incrementing_column,
            timestamp_columns: querier.timestamp_columns.clone(),
            suffix: settings.query_suffix.clone(),
            quoting: settings.quoting,
        };
        let position = querier.position;
        let binds = match settings.mode {
            Mode::Bulk => Vec::new(),
            Mode::Incrementing => vec![Bind::Int(position.incrementing)],
            Mode::Timestamp | Mode::TimestampIncrementing => {
                let now = database_now(&database)
                    .await
                    .map_err(ReadError::query("cannot read the database's clock"))?;
                let end = now - chrono::Duration::from_std(settings.timestamp_delay).unwrap_or_default();
                let time = |instant| time_bind(&database, &timestamp_zone, instant);
                if settings.mode == Mode::Timestamp {
                    vec![time(position.timestamp)?, time(end)?]
                } else {
                    vec![
                        time(end)?,
                        time(position.timestamp)?,
                        Bind::Int(position.incrementing),
                        time(position.timestamp)?,
                    ]
                }
            }
        };
        let builder = RecordBuilder {
            topic: querier.topic.clone(),
            partition: querier.partition.clone(),
            mode: settings.mode,
            position,
            schema_name: querier.table.as_ref().map(|t| t.name.clone()),
            layout: None,
            metadata: Default::default(),
            // MySQL's JDBC drivers report DECIMAL, which `numeric.mapping` leaves alone.
            numeric_mapping: match database {
                Database::Postgres(_) => settings.numeric_mapping,
                Database::MySql(_) => NumericMapping::None,
            },
            mysql_driver: settings.mysql_driver,
            date_times: settings.date_times.clone(),
            spec: spec.clone(),
        };
        // A whole table is read (bulk mode, or the first read of an incrementing or timestamp
        // one): the database's estimate of its rows is the total.
        let whole_table = settings.mode == Mode::Bulk || position == Position::default();
        let progress = match &querier.table {
            Some(table) if whole_table => {
                let work = format!("read of {}.{}", table.schema, table.name);
                let total = estimated_rows(&database, table).await;
                Some(Progress::start(&self.connector, self.task, &work, "rows", total))
            }
            _ => None,
        };
        let (sender, batches) = mpsc::channel(2);
        let reader = tokio::spawn(read_rows(
            database,
            querier.table.clone(),
            spec.sql(),
            binds,
            builder,
            settings.batch_max_rows,
            sender,
        ));
        Ok(Running {
            querier: index,
            batches,
            reader,
            progress,
        })
    }
}

/// The rows of `table` as the database estimates them (PostgreSQL's `pg_class.reltuples`,
/// MySQL's `information_schema.tables.table_rows`); `None` when it has no estimate.
async fn estimated_rows(database: &Database, table: &TableRef) -> Option<u64> {
    let estimate: Result<Option<i64>, sqlx::Error> = match database {
        Database::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT c.reltuples::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_optional(pool)
            .await
        }
        Database::MySql(pool) => {
            sqlx::query_scalar(
                "SELECT CAST(table_rows AS SIGNED) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_optional(pool)
            .await
            .map(Option::flatten)
        }
    };
    estimate.ok().flatten().and_then(|rows| u64::try_from(rows).ok())
}

/// A bound query parameter.
#[derive(Debug, Clone, Copy)]
enum Bind {
    Int(i64),
    /// A `timestamptz`: PostgreSQL compares a `timestamp` column with it as the column's wall
    /// time in the session's zone (`db.timezone`).
    Instant(DateTime<Utc>),
    /// A wall time, which MySQL compares with a DATETIME's, and with a TIMESTAMP's in the
    /// session's zone (UTC).
    Wall(NaiveDateTime),
}

/// The bound parameter of `instant` (UTC) for a timestamp column of `database`, on MySQL as
/// its wall time in `zone`, the column's.
fn time_bind(database: &Database, zone: &DbTimeZone, instant: NaiveDateTime) -> Result<Bind, ReadError> {
    if let Database::Postgres(_) = database {
        return Ok(Bind::Instant(instant.and_utc()));
    }
    // As the offsets are read (`DbRow::timestamp`).
    zone.wall_time(
        instant.and_utc().timestamp_micros(),
        DateCalendarSystem::ProlepticGregorian,
    )
    .map(Bind::Wall)
    .map_err(ReadError::Failed)
}

/// The database's current time, UTC.
async fn database_now(database: &Database) -> Result<NaiveDateTime, sqlx::Error> {
    match database {
        Database::Postgres(pool) => sqlx::query_scalar("SELECT CURRENT_TIMESTAMP")
            .fetch_one(pool)
            .await
            .map(|now: DateTime<Utc>| now.naive_utc()),
        Database::MySql(pool) => sqlx::query_scalar("SELECT UTC_TIMESTAMP(6)").fetch_one(pool).await,
    }
}

/// Streams the rows of `sql` into `sender` as batches of `batch_size` records. The declared
/// nullability, precision and scale of `table`'s columns (or of the columns of a query's
/// result) are read once the first row is in: the query then holds its lock on the table, so
/// its columns are the ones declared. (Read before the query, a column added in between would
/// be taken as nullable.)
async fn read_rows(
    database: Database,
    table: Option<TableRef>,
    sql: String,
    binds: Vec<Bind>,
    mut builder: RecordBuilder,
    batch_size: usize,
    sender: mpsc::Sender<Batch>,
) {
    macro_rules! stream_rows {
        ($pool:expr, $row:path) => {{
            // The rows are read on a connection of their own: through the pool, each row would
            // pass through one more stream (the pool's, which yields what the connection's
            // yields). The pool's other connection reads the columns' metadata meanwhile.
            let mut connection = match $pool.acquire().await.map_err(ReadError::query("cannot connect")) {
                Ok(connection) => connection,
                Err(error) => {
                    sender.send(Err(error)).await.ok();
                    return;
                }
            };
            // Not a cached prepared statement: PostgreSQL refuses a cached plan once the table
            // gains a column ("cached plan must not change result type"), and a poll's parse is
            // nothing beside its rows.
            let mut query = sqlx::query(&sql).persistent(false);
            for bind in &binds {
                query = match *bind {
                    Bind::Int(value) => query.bind(value),
                    Bind::Instant(value) => query.bind(value),
                    Bind::Wall(value) => query.bind(value),
                };
            }
            let mut rows = query.fetch(&mut *connection);
            let mut batch = Vec::with_capacity(batch_size);
            let mut described = false;
            while let Some(row) = rows.next().await {
                if let (false, Ok(first)) = (described, &row) {
                    described = true;
                    let metadata = match &table {
                        Some(table) => column_metadata(&database, table)
                            .await
                            .map_err(|e| (format!("cannot read the columns of {}.{}", table.schema, table.name), e)),
                        None => result_column_metadata(&database, &$row(first), &builder.spec.base)
                            .await
                            .map_err(|e| ("cannot read the columns of the query's result".to_string(), e)),
                    };
                    match metadata {
                        Ok(metadata) => builder.metadata = metadata,
                        Err((context, error)) => {
                            sender.send(Err(ReadError::Query(context, error))).await.ok();
                            return;
                        }
                    }
                }
                let record = row
                    .map_err(ReadError::query("query failed"))
                    .and_then(|row| builder.record($row(&row)).map_err(ReadError::Failed));
                match record {
                    Ok(record) => batch.push(record),
                    Err(error) => {
                        sender.send(Err(error)).await.ok();
                        return;
                    }
                }
                if batch.len() >= batch_size {
                    builder.close_batch(&mut batch);
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                    if sender.send(Ok((full, builder.position))).await.is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                builder.close_batch(&mut batch);
                sender.send(Ok((batch, builder.position))).await.ok();
            }
        }};
    }
    match &database {
        Database::Postgres(pool) => stream_rows!(pool, DbRow::Postgres),
        Database::MySql(pool) => stream_rows!(pool, DbRow::MySql),
    }
}

#[async_trait]
impl SourceTask for JdbcSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        for querier in &mut self.queriers {
            let offset = context.offsets.offset(&querier.partition);
            querier.uncommitted = offset.is_none();
            querier.position = Position::from_offset(offset.as_ref());
        }
        tracing::info!(connector = %context.connector, task = context.task, tables = self.queriers.len(), "JDBC source task started");
        self.connector = context.connector;
        self.task = context.task;
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        loop {
            if let Some(running) = &mut self.running {
                let index = running.querier;
                match running.batches.recv().await {
                    Some(Ok((records, position))) => {
                        self.queriers[index].position = position;
                        self.failures = 0;
                        if let Some(progress) = &mut running.progress {
                            progress.add(records.len() as u64);
                        }
                        return Ok(records);
                    }
                    Some(Err(error)) => {
                        self.running = None;
                        return self.failed(Some(index), error).await;
                    }
                    None => {
                        let interval = self.settings.poll_interval;
                        self.queriers[index].next_due = Instant::now() + interval;
                        self.queriers[index].query_failures = 0;
                        if let Some(progress) = self.running.take().and_then(|r| r.progress) {
                            progress.finish();
                        }
                        self.failures = 0;
                        continue;
                    }
                }
            }
            let Some((index, due)) = self
                .queriers
                .iter()
                .enumerate()
                .map(|(i, q)| (i, q.next_due))
                .min_by_key(|(_, due)| *due)
            else {
                tokio::time::sleep(IDLE_WAIT).await;
                return Ok(Vec::new());
            };
            let now = Instant::now();
            if due > now {
                tokio::time::sleep((due - now).min(IDLE_WAIT)).await;
                return Ok(Vec::new());
            }
            if !self.offset_columns_checked {
                if let Err(error) = self.check_offset_columns().await {
                    return self.failed(None, error).await;
                }
                self.offset_columns_checked = true;
            }
            match self.start_query(index).await {
                Ok(running) => self.running = Some(running),
                Err(error) => return self.failed(Some(index), error).await,
            }
        }
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(running) = self.running.take() {
            running.reader.abort();
        }
        self.database.close().await;
        Ok(())
    }
}
