//! The initial snapshot: every captured table of the publication, read in one repeatable-read
//! transaction and handed out as `r` events. When the task created the slot, the transaction
//! imports the snapshot the slot's creation exported, so every row is either in the snapshot or
//! in the stream after it, never both and never neither. A background reader streams the rows and passes
//! them on a batch at a time through a two-batch channel, so a table of any size costs only a
//! few batches of memory. The reader holds one record back until it knows whether another
//! follows, so the very last record can be marked (`last_snapshot_record`, `snapshot: last`).
//! Its progress (rows read of the tables' estimated rows) is logged and exported as it goes.
//! A blocking snapshot (a signal's, [`SnapshotKind::Blocking`]) is read the same way, as of
//! when it starts, while streaming waits.

use std::sync::Arc;

use futures::StreamExt;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tributary_runtime::clock::now_micros;
use tributary_runtime::data::{SourceMap, SourceRecord, Value};
use tributary_runtime::progress::Progress;

use super::catalog::table_columns;
use super::columns::Reading;
use super::config::Settings;
use super::error::CaptureError;
use super::events::{ContextHeaders, Op, SourceInfo, TableEvents};
use super::pgoutput::{Datum, Relation, RelationColumn};
use super::task::quote;

/// Which snapshot is read.
pub(super) enum SnapshotKind<'a> {
    /// The initial snapshot, at the slot's position `lsn`, as of the snapshot `exported` the
    /// slot's creation exported when it made one (so the snapshot and the stream neither
    /// overlap nor leave a gap), else as of now: its records' offsets say they are of it, the
    /// last one marked.
    Initial { lsn: u64, exported: Option<&'a str> },
    /// A blocking snapshot a signal asked for, as of now, while streaming waits at `lsn`: its
    /// records' offsets (`snapshot` `BLOCKING`, as Debezium's) resume streaming there.
    Blocking { lsn: u64 },
}

/// A snapshot being read.
pub(super) struct Snapshot {
    batches: mpsc::Receiver<Result<Vec<SourceRecord>, CaptureError>>,
    reader: JoinHandle<()>,
}

impl Snapshot {
    /// Starts reading the captured tables `settings` snapshots, as `kind` says; `task`
    /// (connector and task number) labels the progress. Returns once the transaction has its
    /// snapshot.
    pub(super) async fn start(
        pool: PgPool,
        settings: Settings,
        task: (&str, u32),
        context: ContextHeaders,
        partition: Arc<SourceMap>,
        kind: SnapshotKind<'_>,
    ) -> Result<Self, CaptureError> {
        let (lsn, exported, initial) = match kind {
            SnapshotKind::Initial { lsn, exported } => (lsn, exported, true),
            SnapshotKind::Blocking { lsn } => (lsn, None, false),
        };
        let mut transaction = pool
            .begin()
            .await
            .map_err(CaptureError::query("cannot begin the snapshot's transaction"))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *transaction)
            .await
            .map_err(CaptureError::query(
                "cannot make the snapshot's transaction repeatable read",
            ))?;
        if let Some(name) = exported {
            sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{}'", name.replace('\'', "''")))
                .execute(&mut *transaction)
                .await
                .map_err(CaptureError::query("cannot import the slot's snapshot"))?;
        }
        let (sender, batches) = mpsc::channel(2);
        let (connector, task) = (task.0.to_string(), task.1);
        let reader = tokio::spawn(async move {
            let mut reader = Reader {
                settings,
                partition,
                lsn,
                initial,
                sender: sender.clone(),
                batch: Vec::new(),
                progress: None,
                rows_pushed: 0,
                context,
            };
            if let Err(message) = reader.read(transaction, &connector, task).await {
                sender.send(Err(message)).await.ok();
            }
        });
        Ok(Snapshot { batches, reader })
    }

    /// The next batch; `None` once the whole snapshot was handed out.
    pub(super) async fn next(&mut self) -> Option<Result<Vec<SourceRecord>, CaptureError>> {
        self.batches.recv().await
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The background side of a [`Snapshot`].
struct Reader {
    settings: Settings,
    partition: Arc<SourceMap>,
    /// The position the records carry: the slot's, or where streaming waits.
    lsn: u64,
    /// Whether this is the initial snapshot.
    initial: bool,
    sender: mpsc::Sender<Result<Vec<SourceRecord>, CaptureError>>,
    /// Records not sent yet: at most `max.batch.size` plus the one held back.
    batch: Vec<SourceRecord>,
    /// Rows sent so far, once the tables are known.
    progress: Option<Progress>,
    /// Records read so far, of every table.
    rows_pushed: u64,
    /// Debezium's context headers, on every record.
    context: ContextHeaders,
}

impl Reader {
    async fn read(
        &mut self,
        mut transaction: Transaction<'static, Postgres>,
        connector: &str,
        task: u32,
    ) -> Result<(), CaptureError> {
        let tables: Vec<(String, String)> = sqlx::query_as(
            "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2",
        )
        .bind(&self.settings.publication)
        .fetch_all(&mut *transaction)
        .await
        .map_err(CaptureError::query("cannot list the published tables"))?;
        let mut captured: Vec<(String, String)> = tables
            .into_iter()
            .filter(|(s, t)| self.settings.captures(s, t) && self.settings.snapshots(s, t))
            .collect();
        // Stable: by name within one pattern.
        captured.sort_by_key(|(s, t)| self.settings.snapshot_rank(s, t));
        let estimate = estimated_rows(&mut transaction, &captured).await?;
        self.progress = Some(Progress::start(connector, task, "snapshot", "rows", estimate));
        let marker = if self.initial { true.into() } else { "BLOCKING".into() };
        let offset = SourceMap::from_iter([("snapshot".to_string(), marker), ("lsn".to_string(), self.lsn.into())]);
        for (schema, table) in captured {
            let qualified = format!("{}.{}", quote(&schema), quote(&table));
            let mut columns: Vec<_> = table_columns(&mut *transaction, &qualified)
                .await
                .map_err(CaptureError::query(format!("cannot read the columns of {qualified}")))?
                .into_iter()
                .map(|described| described.column)
                .collect();
            let key = self.settings.select_columns(&schema, &table, &mut columns);
            // A SELECT of the user's (`snapshot.select.statement.overrides`) is read the same way.
            let from = match self.settings.snapshot_selects.get(&format!("{schema}.{table}")) {
                Some(statement) => format!("({statement}) AS snapshot_select"),
                None => qualified.clone(),
            };
            let sql = format!("SELECT {} FROM {from}", text_select(&columns));
            let events = TableEvents::new(
                self.settings.table_topic(&schema, &table),
                Relation {
                    id: 0,
                    namespace: schema,
                    name: table,
                    columns,
                },
                key,
                self.settings.mapping,
                self.settings.placeholder.clone(),
                Reading::Snapshot,
            );
            let mut source = SourceInfo {
                name: self.settings.prefix.clone(),
                db: self.settings.database.clone(),
                ts_us: now_micros(),
                snapshot: "true",
                tx_id: None,
                lsn: Some(self.lsn as i64),
                sequence: None,
                transaction: None,
            };
            let mut rows_of_table = 0u64;
            let mut rows = sqlx::query(&sql).fetch(&mut *transaction);
            while let Some(row) = rows.next().await {
                let row = row.map_err(CaptureError::query(format!("cannot read {qualified}")))?;
                let datums = text_row(&row).map_err(CaptureError::query(format!("cannot read {qualified}")))?;
                // A table's first row is marked as Debezium marks it, the others plain `true`.
                source.snapshot = match (rows_of_table, self.rows_pushed) {
                    (0, 0) => "first",
                    (0, _) => "first_in_data_collection",
                    _ => "true",
                };
                let mut record = events.record(
                    &self.partition,
                    Op::Read,
                    None,
                    Some(&datums),
                    &source,
                    offset.clone(),
                    now_micros(),
                )?;
                self.context.append_to(&mut record.record);
                rows_of_table += 1;
                if !self.push(record).await {
                    return Ok(());
                }
            }
            // The table's last row is the record held back (the snapshot's very last one is
            // marked `last` below); as in Debezium, a table's only row is marked as its last.
            if rows_of_table > 0 {
                if let Some(record) = self.batch.last_mut() {
                    mark(record, "last_in_data_collection");
                }
            }
        }
        transaction
            .commit()
            .await
            .map_err(CaptureError::query("cannot end the snapshot's transaction"))?;
        let mut last = std::mem::take(&mut self.batch);
        if let Some(record) = last.last_mut() {
            if self.initial {
                record.source_offset.insert("last_snapshot_record".into(), true.into());
            }
            mark(record, "last");
        }
        let count = last.len() as u64;
        if !last.is_empty() {
            self.sender.send(Ok(last)).await.ok();
        }
        if let Some(mut progress) = self.progress.take() {
            progress.add(count);
            progress.finish();
        }
        Ok(())
    }

    /// Adds a record; sends a full batch once a record after it exists. False when the task
    /// no longer wants the snapshot.
    async fn push(&mut self, record: SourceRecord) -> bool {
        self.batch.push(record);
        self.rows_pushed += 1;
        if self.batch.len() <= self.settings.max_batch {
            return true;
        }
        let held = self.batch.split_off(self.settings.max_batch);
        let full = std::mem::replace(&mut self.batch, held);
        if let Some(progress) = &mut self.progress {
            progress.add(full.len() as u64);
        }
        self.sender.send(Ok(full)).await.is_ok()
    }
}

/// The rows of `tables` as PostgreSQL estimates them (`pg_class.reltuples`, kept by VACUUM and
/// ANALYZE); `None` when a table has never been analyzed.
async fn estimated_rows(
    transaction: &mut Transaction<'static, Postgres>,
    tables: &[(String, String)],
) -> Result<Option<u64>, CaptureError> {
    let names: Vec<String> = tables
        .iter()
        .map(|(schema, table)| format!("{}.{}", quote(schema), quote(table)))
        .collect();
    let (rows, unknown): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0)::int8, COUNT(*) FILTER (WHERE reltuples < 0) \
         FROM pg_class WHERE oid = ANY($1::text[]::regclass[])",
    )
    .bind(&names)
    .fetch_one(&mut **transaction)
    .await
    .map_err(CaptureError::query("cannot estimate the tables' rows"))?;
    Ok((unknown == 0).then(|| rows.max(0) as u64))
}

/// The select list reading `columns` as the stream sends their values: each in its type's text
/// form (a cast to text differs for some: booleans, padded characters, addresses).
pub(super) fn text_select<'a>(columns: impl IntoIterator<Item = &'a RelationColumn>) -> String {
    columns
        .into_iter()
        .map(|column| {
            let name = quote(&column.name);
            format!("CASE WHEN {name} IS NULL THEN NULL ELSE format('%s', {name}) END")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values of a row read through [`text_select`].
pub(super) fn text_row(row: &PgRow) -> Result<Vec<Datum>, sqlx::Error> {
    (0..row.len())
        .map(|i| {
            row.try_get::<Option<String>, _>(i)
                .map(|v| v.map_or(Datum::Null, Datum::Text))
        })
        .collect()
}

/// Sets the `snapshot` mark of a record's `source` block.
fn mark(record: &mut SourceRecord, snapshot: &str) {
    if let Value::Struct(envelope) = &mut record.record.value {
        if let Some(Value::Struct(mut source)) = envelope.get("source").cloned() {
            source.put("snapshot", Value::String(snapshot.into()));
            envelope.put("source", Value::Struct(source));
        }
    }
}
