//! The sink task: each `put` becomes the runs of [`super::plan`] and their writes
//! ([`super::write`]), committed in one transaction on a tokio task of their own while the next
//! put is planned; `flush` waits for them. With exactly-once, each put writes at once, the
//! offsets in the same transaction. Tables are created or evolved first, outside it, as DDL
//! must be. With an errant record reporter, each put waits for its writes, and the records of
//! a put that fails are written one by one, those still failing reported.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, ErrantRecordReporter, SinkTask, SinkTaskContext};
use tributary_runtime::data::SinkRecord;
use tributary_runtime::metrics::{IntCounterVec, Metrics};

use super::config::{config_def, Settings};
use super::plan::{Run, RunKind};
use super::sql;
use super::table::Table;
use super::write::{MySqlWrites, PgWrites, Writes};
use crate::jdbc::connection::{Database, Dialect};

/// The series' name (docs/metrics.md describes it).
const ROWS_WRITTEN_SERIES: &str = "tributary_jdbc_sink_rows_total";
/// Rows written (inserted, upserted or deleted), per table, counted once their transaction
/// committed.
static ROWS_WRITTEN: LazyLock<IntCounterVec> = LazyLock::new(|| {
    Metrics::global().register_counter(
        ROWS_WRITTEN_SERIES,
        "Rows the JDBC sink wrote (inserted, upserted or deleted), per table.",
        &["connector", "task", "table"],
    )
});

/// Why a `put` failed: the database (worth retrying) or the records (not).
enum Failure {
    Database(String),
    Records(String),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Database(error.to_string())
    }
}

/// Writes records to tables.
pub(super) struct JdbcSinkTask {
    database: Database,
    settings: Settings,
    /// The connector's name, from `start`, for logs and metrics.
    connector: String,
    /// The task's number, as a metric label.
    task: String,
    /// Its context, from `start`, where it asks for the wait before a put is retried.
    context: Option<SinkTaskContext>,
    /// The tables written so far, by name.
    tables: HashMap<String, Table>,
    offsets_table_ready: bool,
    /// Failed puts in a row.
    failures: u32,
    /// The last put's writes, unless done.
    pending: Option<Pending>,
}

/// Writes a put handed on: running on a tokio task of their own while the next put is planned
/// (the database works meanwhile), or, after they failed, waiting to run again before any other.
enum Pending {
    Running(Arc<Writes>, JoinHandle<Result<(), String>>),
    Failed(Arc<Writes>),
}

impl JdbcSinkTask {
    /// A task writing to the database its config names, as its settings say.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let config = config_def().parse(config).map_err(ConnectError::Config)?;
        // A connection for the writes in flight, and one for the tables' DDL.
        let database = Database::from_config(&config, 2, &Default::default())?;
        Ok(JdbcSinkTask {
            settings: Settings::new(&config, database.dialect()),
            database,
            connector: String::new(),
            task: String::new(),
            context: None,
            tables: HashMap::new(),
            offsets_table_ready: false,
            failures: 0,
            pending: None,
        })
    }

    /// Creates `run`'s table or adds its missing columns, as the settings allow. As to
    /// Confluent's, a table of a kind `table.types` leaves out is missing: without auto.create
    /// the task fails; with it, the table is written to as a TABLE (Confluent's writes to it
    /// once its CREATE TABLE failed). Only a TABLE is altered.
    async fn prepare_table(&mut self, database: &Database, settings: &Settings, run: &Run<'_>) -> Result<(), Failure> {
        if let Some(known) = self.tables.get(&run.table) {
            if run.columns.iter().all(|c| known.column_type(&c.name).is_some()) {
                return Ok(());
            }
        }
        // Read afresh: another task may have added the columns this one misses.
        let found = Table::describe(database, &run.table).await?;
        let listed = found.as_ref().is_some_and(|t| settings.table_types.contains(&t.kind));
        if !listed && !settings.auto_create {
            let why = found.as_ref().map_or(String::new(), |t| {
                format!(" (a {} of that name exists, which table.types leaves out)", t.kind)
            });
            return Err(Failure::Database(format!(
                "table {} does not exist and auto.create is false{why}",
                run.table
            )));
        }
        let dialect = database.dialect();
        let Some(known) = found else {
            if run.kind == RunKind::Delete {
                // Nothing to delete from a table that does not exist.
                return Ok(());
            }
            let create = sql::create_table(dialect, run, &settings.zones).map_err(Failure::Records)?;
            tracing::info!(connector = %self.connector, table = %run.table, "creating table: {create}");
            database.execute(&create).await?;
            return self.describe_again(database, run).await;
        };
        let kind = if listed {
            known.kind.as_str()
        } else {
            tracing::warn!(connector = %self.connector, table = %run.table, "a {} that table.types leaves out: written to as a TABLE", known.kind);
            "TABLE"
        };
        let missing: Vec<_> = run
            .columns
            .iter()
            .filter(|c| known.column_type(&c.name).is_none())
            .collect();
        if missing.is_empty() {
            self.tables.insert(run.table.clone(), known);
            return Ok(());
        }
        let names = missing.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
        if kind != "TABLE" {
            return Err(Failure::Records(format!(
                "{kind} {} is missing fields ({names}) and ALTER {kind} is unsupported",
                run.table
            )));
        }
        // As Confluent's: a required field needs a default for the rows already there.
        if let Some(column) = missing
            .iter()
            .find(|c| (c.key || !c.schema.optional) && c.schema.default.is_none())
        {
            return Err(Failure::Records(format!(
                "Cannot ALTER TABLE {} to add missing field {}, as the field is not optional and does not have a \
                 default value",
                run.table, column.name
            )));
        }
        if !settings.auto_evolve {
            return Err(Failure::Database(format!(
                "table {} has no column {names} and auto.evolve is false",
                run.table
            )));
        }
        for column in missing {
            let alter = sql::add_column(dialect, run, column, &settings.zones).map_err(Failure::Records)?;
            tracing::info!(connector = %self.connector, table = %run.table, "evolving table: {alter}");
            database.execute(&alter).await?;
        }
        self.describe_again(database, run).await
    }

    /// Reads `run`'s table's description again, after DDL changed it.
    async fn describe_again(&mut self, database: &Database, run: &Run<'_>) -> Result<(), Failure> {
        if let Some(table) = Table::describe(database, &run.table).await? {
            self.tables.insert(run.table.clone(), table);
        }
        Ok(())
    }

    /// Plans `records` and starts writing them once the last put's writes are done; with
    /// exactly-once, writes them at once instead.
    async fn write(&mut self, records: &[SinkRecord]) -> Result<(), Failure> {
        let (database, settings) = (self.database.clone(), self.settings.clone());
        // Tables first, outside the transaction: MySQL commits at any DDL.
        let mut runs = settings.shape.runs(records).map_err(Failure::Records)?;
        for run in &runs {
            self.prepare_table(&database, &settings, run).await?;
        }
        if let Some(offsets_table) = settings.offsets_table.as_deref() {
            return self.write_exactly_once(records, offsets_table).await;
        }
        settings
            .zones
            .localize(&mut runs, &self.tables, database.dialect())
            .map_err(Failure::Records)?;
        let mode = settings.shape.insert_mode;
        let writes =
            Arc::new(Writes::new(&database, &runs, mode, &self.tables, settings.batch_size).map_err(Failure::Records)?);
        self.settle().await?;
        let (connector, task) = (self.connector.clone(), self.task.clone());
        let running = tokio::spawn({
            let writes = writes.clone();
            async move { commit_and_count(&writes, &connector, &task).await }
        });
        self.pending = Some(Pending::Running(writes, running));
        Ok(())
    }

    /// Writes `records` and waits until they are committed, so that a failure is theirs: with
    /// an errant record reporter. After a failure nothing is kept to run again: the worker
    /// hands the batch again.
    async fn write_and_wait(&mut self, records: &[SinkRecord]) -> Result<(), Failure> {
        self.write(records).await?;
        let settled = self.settle().await;
        if settled.is_err() {
            self.pending = None;
        }
        settled
    }

    /// Writes each of `records` on its own, reporting to `reporter` those that fail (which
    /// fails the task when errors.tolerance is none).
    async fn write_one_by_one(
        &mut self,
        records: &[SinkRecord],
        reporter: &dyn ErrantRecordReporter,
    ) -> Result<(), ConnectError> {
        self.failures = 0;
        for record in records {
            if let Err(Failure::Records(why) | Failure::Database(why)) =
                self.write_and_wait(std::slice::from_ref(record)).await
            {
                // A failed statement may have left a table half-known: read it again.
                self.tables.clear();
                reporter.report(record, &why).await?;
            }
        }
        Ok(())
    }

    /// Waits for the last put's writes, or runs them again when they failed before; they are
    /// kept to run again when this fails.
    async fn settle(&mut self) -> Result<(), Failure> {
        let (writes, outcome) = match self.pending.take() {
            None => return Ok(()),
            Some(Pending::Running(writes, running)) => {
                let outcome = running.await.unwrap_or_else(|e| Err(format!("the write stopped: {e}")));
                (writes, outcome)
            }
            Some(Pending::Failed(writes)) => {
                let outcome = commit_and_count(&writes, &self.connector, &self.task).await;
                (writes, outcome)
            }
        };
        outcome.map_err(|message| {
            self.pending = Some(Pending::Failed(writes));
            Failure::Database(message)
        })
    }

    /// Writes the records of `records` above the offsets the database holds in `table`, and
    /// the offsets after them, in one transaction: the stored offsets are read and locked first and the
    /// records below them dropped (whichever task wrote them); offsets never move backwards.
    async fn write_exactly_once(&mut self, records: &[SinkRecord], table: &str) -> Result<(), Failure> {
        let (database, settings) = (&self.database, &self.settings);
        if !self.offsets_table_ready {
            database.execute(&offsets_table_ddl(database.dialect(), table)).await?;
            self.offsets_table_ready = true;
        }
        // The next offset of every partition this batch reaches.
        let mut next: HashMap<(&str, i32), i64> = HashMap::new();
        for record in records {
            let entry = next
                .entry((record.original_topic(), record.original_partition))
                .or_insert(0);
            *entry = (*entry).max(record.kafka_offset + 1);
        }
        let (mode, batch_size) = (settings.shape.insert_mode, settings.batch_size);
        let (connector, tables) = (&self.connector, &self.tables);
        macro_rules! write_in_transaction {
            ($pool:expr, $dialect:expr, |$runs:ident| $plan:expr) => {{
                let mut transaction = $pool.begin().await?;
                let select = offsets_select($dialect, table);
                let mut stored: HashMap<(&str, i32), i64> = HashMap::new();
                for partition in next.keys() {
                    let offset: Option<i64> = sqlx::query_scalar(&select)
                        .bind(connector)
                        .bind(partition.0)
                        .bind(partition.1)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    stored.insert(*partition, offset.unwrap_or(0));
                }
                let unwritten = records.iter().filter(|r| {
                    let partition = (r.original_topic(), r.original_partition);
                    r.kafka_offset >= stored.get(&partition).copied().unwrap_or(0)
                });
                let mut $runs = settings.shape.runs(unwritten).map_err(Failure::Records)?;
                settings
                    .zones
                    .localize(&mut $runs, tables, $dialect)
                    .map_err(Failure::Records)?;
                let writes = $plan.map_err(Failure::Records)?;
                writes
                    .run(&mut transaction)
                    .await
                    .map_err(|e| Failure::Database(e.to_string()))?;
                let upsert = offsets_upsert($dialect, table);
                for ((topic, partition), offset) in &next {
                    sqlx::query(&upsert)
                        .bind(connector)
                        .bind(topic)
                        .bind(partition)
                        .bind(offset)
                        .execute(&mut *transaction)
                        .await?;
                }
                transaction.commit().await?;
                count_rows(connector, &self.task, writes.rows());
            }};
        }
        match database {
            Database::Postgres(pool) => {
                write_in_transaction!(pool, Dialect::Postgres, |runs| PgWrites::new(&runs, mode, tables))
            }
            Database::MySql(pool) => {
                write_in_transaction!(pool, Dialect::MySql, |runs| MySqlWrites::new(&runs, mode, batch_size))
            }
        }
        Ok(())
    }

    /// What a put or flush that ended with `outcome` returns: a database's failure is retried
    /// (`retry.backoff.ms` later, the wait the worker is asked for, as Confluent's task asks
    /// Apache's) until `max.retries` failures in a row.
    fn answer(&mut self, outcome: Result<(), Failure>) -> Result<(), ConnectError> {
        match outcome {
            Ok(()) => {
                self.failures = 0;
                Ok(())
            }
            Err(Failure::Records(message)) => Err(ConnectError::fatal(message)),
            Err(Failure::Database(message)) => {
                let settings = &self.settings;
                // A failed statement may have left a table half-known: read it again.
                self.tables.clear();
                self.failures += 1;
                if self.failures > settings.max_retries {
                    return Err(ConnectError::fatal(format!(
                        "giving up after {} failed attempts: {message}",
                        self.failures
                    )));
                }
                tracing::warn!(connector = %self.connector, attempt = self.failures, "write failed, retrying in {:?}: {message}", settings.retry_backoff);
                if let Some(context) = &self.context {
                    context.timeout(settings.retry_backoff);
                }
                Err(ConnectError::Retriable(message))
            }
        }
    }
}

/// Runs `writes` in a transaction of their own and counts their rows once committed.
async fn commit_and_count(writes: &Writes, connector: &str, task: &str) -> Result<(), String> {
    writes.commit().await.map_err(|e| e.to_string())?;
    count_rows(connector, task, writes.rows());
    Ok(())
}

/// Counts rows written per table.
fn count_rows<'a>(connector: &str, task: &str, rows: impl IntoIterator<Item = (&'a str, u64)>) {
    for (table, rows) in rows {
        ROWS_WRITTEN.with_label_values(&[connector, task, table]).inc_by(rows);
    }
}

/// The exactly-once offsets table.
fn offsets_table_ddl(dialect: Dialect, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (connector VARCHAR(255) NOT NULL, topic VARCHAR(255) NOT NULL, \
         kafka_partition INT NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (connector, topic, kafka_partition))",
        dialect.quote_table(table)
    )
}

fn offsets_upsert(dialect: Dialect, table: &str) -> String {
    let table = dialect.quote_table(table);
    match dialect {
        Dialect::Postgres => format!(
            "INSERT INTO {table} AS stored (connector, topic, kafka_partition, next_offset) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET next_offset = GREATEST(stored.next_offset, EXCLUDED.next_offset)"
        ),
        Dialect::MySql => format!(
            "INSERT INTO {table} (connector, topic, kafka_partition, next_offset) VALUES (?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE next_offset = GREATEST(next_offset, VALUES(next_offset))"
        ),
    }
}

/// Reads (and locks, until the transaction ends) a partition's stored next offset.
fn offsets_select(dialect: Dialect, table: &str) -> String {
    let table = dialect.quote_table(table);
    let (connector, topic, partition) = (dialect.placeholder(1), dialect.placeholder(2), dialect.placeholder(3));
    format!(
        "SELECT next_offset FROM {table} WHERE connector = {connector} AND topic = {topic} \
         AND kafka_partition = {partition} FOR UPDATE"
    )
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    async fn start(&mut self, context: SinkTaskContext) -> Result<(), ConnectError> {
        self.connector = context.connector.clone();
        self.task = context.task.to_string();
        self.context = Some(context);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        if records.is_empty() {
            return Ok(());
        }
        let Some(reporter) = self.context.as_ref().and_then(|c| c.errant_record_reporter()).cloned() else {
            let outcome = self.write(records).await;
            return self.answer(outcome);
        };
        // As Confluent's: records a table refuses at once, and a batch the database still
        // fails after max.retries retries, are written one by one and those failing reported.
        match self.write_and_wait(records).await {
            Err(Failure::Records(why)) => {
                tracing::warn!(connector = %self.connector, "writing {} records one by one, after: {why}", records.len());
                self.write_one_by_one(records, reporter.as_ref()).await
            }
            Err(Failure::Database(why)) if self.failures >= self.settings.max_retries => {
                tracing::warn!(connector = %self.connector, "writing {} records one by one after {} failed attempts: {why}", records.len(), self.failures + 1);
                self.write_one_by_one(records, reporter.as_ref()).await
            }
            outcome => self.answer(outcome),
        }
    }

    async fn flush(&mut self) -> Result<(), ConnectError> {
        while self.pending.is_some() {
            let outcome = self.settle().await;
            match self.answer(outcome) {
                Ok(()) => {}
                // The worker waits for no flush: this waits itself.
                Err(ConnectError::Retriable(_)) => tokio::time::sleep(self.settings.retry_backoff).await,
                Err(fatal) => return Err(fatal),
            }
        }
        Ok(())
    }

    fn reads_headers(&self) -> bool {
        // Rows are made of the key, the value and the Kafka coordinates, as Confluent's.
        false
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        // Unless a flush came first (the worker skips it for a failed task), writes still
        // running are abandoned: their transaction rolls back, and their records' offsets were
        // not committed. Awaited, cancelled or done, so that they hold no connection.
        if let Some(Pending::Running(_, running)) = self.pending.take() {
            running.abort();
            if let Ok(Err(message)) = running.await {
                tracing::warn!(connector = %self.connector, "a write abandoned at stop had failed: {message}");
            }
        }
        self.database.close().await;
        Ok(())
    }
}

#[cfg(test)]
mod metric_tests {
    use tributary_runtime::metrics::Metrics;

    /// docs/metrics.md describes the series, and the worker serves it.
    #[test]
    fn the_series_is_documented_and_served() {
        let name = super::ROWS_WRITTEN_SERIES;
        assert!(
            include_str!("../../../../docs/metrics.md").contains(&format!("`{name}`")),
            "{name}"
        );
        super::ROWS_WRITTEN.with_label_values(&["metric-test", "0", "x"]).inc();
        assert!(Metrics::global().render().contains(name), "{name}");
    }
}
