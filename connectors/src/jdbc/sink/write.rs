//! The writes of one `put`, made ready before they run: every statement's SQL with its values
//! bound, and every `COPY`'s data, owned rather than borrowed from the records. So a put can
//! hand them to a tokio task of their own and return while the database works (the next put
//! is planned meanwhile), and writes that failed can run again once their records are gone.

use std::collections::HashMap;

use sqlx::mysql::MySqlArguments;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, MySql, Postgres, Transaction};

use super::copy::Load;
use super::plan::{ColumnData, Decimal, InsertMode, Run, RunKind};
use super::sql;
use super::table::Table;
use crate::jdbc::connection::Database;

/// MySQL's limit on bound parameters per statement.
const MYSQL_MAX_PARAMETERS: usize = 65_535;

/// A statement with its values.
#[derive(Debug)]
struct Statement<A> {
    sql: String,
    arguments: A,
}

/// What PostgreSQL runs for a run: `COPY` for plain inserts where it can, else one statement
/// with every column bound as an array.
#[derive(Debug)]
enum PgAction {
    Copy(Load),
    Statement(Statement<PgArguments>),
}

/// One action of a put and the table it writes, for errors and the rows metric.
#[derive(Debug)]
struct Step<A> {
    table: String,
    rows: u64,
    action: A,
}

/// Writes for PostgreSQL.
#[derive(Debug)]
pub(super) struct PgWrites(Vec<Step<PgAction>>);

/// Writes for MySQL/MariaDB: multi-row statements of up to `batch.size` rows (one `UPDATE` per
/// row in update mode, as Confluent's sink does).
#[derive(Debug)]
pub(super) struct MySqlWrites(Vec<Step<Vec<Statement<MySqlArguments>>>>);

/// The writes of one put, with the connections they run on.
#[derive(Debug)]
pub(super) enum Writes {
    Postgres(sqlx::PgPool, PgWrites),
    MySql(sqlx::MySqlPool, MySqlWrites),
}

impl Writes {
    /// `runs` (those with rows) written in `mode` to `database`, whose `tables` are described
    /// (by name), at most `batch_size` rows per MySQL statement.
    pub(super) fn new(
        database: &Database,
        runs: &[Run<'_>],
        mode: InsertMode,
        tables: &HashMap<String, Table>,
        batch_size: usize,
    ) -> Result<Writes, String> {
        Ok(match database {
            Database::Postgres(pool) => Writes::Postgres(pool.clone(), PgWrites::new(runs, mode, tables)?),
            Database::MySql(pool) => Writes::MySql(pool.clone(), MySqlWrites::new(runs, mode, batch_size)?),
        })
    }

    /// Runs every write in one transaction of its own.
    pub(super) async fn commit(&self) -> Result<(), WriteError> {
        match self {
            Writes::Postgres(pool, writes) => {
                let mut transaction = pool.begin().await?;
                writes.run(&mut transaction).await?;
                transaction.commit().await?;
            }
            Writes::MySql(pool, writes) => {
                let mut transaction = pool.begin().await?;
                writes.run(&mut transaction).await?;
                transaction.commit().await?;
            }
        }
        Ok(())
    }

    /// Rows written per table.
    pub(super) fn rows(&self) -> Vec<(&str, u64)> {
        match self {
            Writes::Postgres(_, writes) => writes.rows(),
            Writes::MySql(_, writes) => writes.rows(),
        }
    }
}

/// Why writes failed: the database's error, with the table written when it was a write.
#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("writing to {table}: {source}")]
    Writing { table: String, source: sqlx::Error },
}

/// Rows `steps` write per table.
fn rows_of<A>(steps: &[Step<A>]) -> Vec<(&str, u64)> {
    steps.iter().map(|step| (step.table.as_str(), step.rows)).collect()
}

/// A database error while running `step`, named by its table.
fn writing<A>(step: &Step<A>) -> impl FnOnce(sqlx::Error) -> WriteError + '_ {
    move |source| WriteError::Writing {
        table: step.table.clone(),
        source,
    }
}

impl PgWrites {
    /// `runs` written in `mode`: plain inserts by `COPY` where the table takes it (in its binary
    /// format where the column types of `tables` let it).
    pub(super) fn new(runs: &[Run<'_>], mode: InsertMode, tables: &HashMap<String, Table>) -> Result<Self, String> {
        let mut steps = Vec::new();
        for run in runs.iter().filter(|run| run.rows() > 0) {
            let table = tables.get(&run.table);
            let copy = (run.kind, mode) == (RunKind::Write, InsertMode::Insert) && table.is_none_or(Table::takes_copy);
            let action = match copy.then(|| Load::of(run, table)).flatten() {
                Some(copy) => PgAction::Copy(copy),
                None => PgAction::Statement(postgres_statement(run, mode)?),
            };
            steps.push(Step {
                table: run.table.clone(),
                rows: run.rows() as u64,
                action,
            });
        }
        Ok(PgWrites(steps))
    }

    /// Runs every write in `transaction`.
    pub(super) async fn run(&self, transaction: &mut Transaction<'static, Postgres>) -> Result<(), WriteError> {
        for step in &self.0 {
            match &step.action {
                PgAction::Copy(copy) => copy.send(transaction).await,
                PgAction::Statement(statement) => sqlx::query_with(&statement.sql, statement.arguments.clone())
                    .execute(&mut **transaction)
                    .await
                    .map(|_| ()),
            }
            .map_err(writing(step))?;
        }
        Ok(())
    }

    /// Rows written per table.
    pub(super) fn rows(&self) -> Vec<(&str, u64)> {
        rows_of(&self.0)
    }
}

/// PostgreSQL: the statement writing `run` in `mode`, every column bound as an array.
fn postgres_statement(run: &Run<'_>, mode: InsertMode) -> Result<Statement<PgArguments>, String> {
    let mut arguments = PgArguments::default();
    for data in &run.data {
        match data {
            ColumnData::Int(v) => arguments.add(v),
            ColumnData::Float(v) => arguments.add(v),
            ColumnData::Bool(v) => arguments.add(v),
            ColumnData::Text(v) => arguments.add(v),
            ColumnData::Bytes(v) => arguments.add(v),
            ColumnData::Decimal(v) => {
                arguments.add(v.iter().map(|x| x.as_ref().map(Decimal::to_big)).collect::<Vec<_>>())
            }
            ColumnData::Date(v) => arguments.add(v),
            ColumnData::Time(v) => arguments.add(v),
            ColumnData::Timestamp(v) => arguments.add(v),
        }
        .map_err(|e| format!("cannot bind the values of {}: {e}", run.table))?;
    }
    Ok(Statement {
        sql: sql::postgres_statement(run, mode),
        arguments,
    })
}

impl MySqlWrites {
    /// `runs` written in `mode`, at most `batch_size` rows per statement.
    pub(super) fn new(runs: &[Run<'_>], mode: InsertMode, batch_size: usize) -> Result<Self, String> {
        let mut steps = Vec::new();
        for run in runs.iter().filter(|run| run.rows() > 0) {
            steps.push(Step {
                table: run.table.clone(),
                rows: run.rows() as u64,
                action: mysql_statements(run, mode, batch_size)?,
            });
        }
        Ok(MySqlWrites(steps))
    }

    /// Runs every write in `transaction`.
    pub(super) async fn run(&self, transaction: &mut Transaction<'static, MySql>) -> Result<(), WriteError> {
        for step in &self.0 {
            for statement in &step.action {
                sqlx::query_with(&statement.sql, statement.arguments.clone())
                    .execute(&mut **transaction)
                    .await
                    .map_err(writing(step))?;
            }
        }
        Ok(())
    }

    /// Rows written per table.
    pub(super) fn rows(&self) -> Vec<(&str, u64)> {
        rows_of(&self.0)
    }
}

/// MySQL: the statements writing `run` in `mode`.
fn mysql_statements(
    run: &Run<'_>,
    mode: InsertMode,
    batch_size: usize,
) -> Result<Vec<Statement<MySqlArguments>>, String> {
    let bind_error = |e| format!("cannot bind the values of {}: {e}", run.table);
    let rows = run.rows();
    let mut statements = Vec::new();
    if run.kind == RunKind::Write && mode == InsertMode::Update {
        // Values first, then keys: the order of the statement's placeholders.
        let sql = sql::mysql_statement(run, mode, 1);
        let order: Vec<usize> = (0..run.columns.len())
            .filter(|&i| !run.columns[i].key)
            .chain((0..run.columns.len()).filter(|&i| run.columns[i].key))
            .collect();
        for row in 0..rows {
            let mut arguments = MySqlArguments::default();
            for &column in &order {
                bind_mysql_value(&mut arguments, &run.data[column], row).map_err(bind_error)?;
            }
            statements.push(Statement {
                sql: sql.clone(),
                arguments,
            });
        }
        return Ok(statements);
    }
    let per_statement = batch_size.min(MYSQL_MAX_PARAMETERS / run.columns.len().max(1)).max(1);
    let mut start = 0;
    while start < rows {
        let end = (start + per_statement).min(rows);
        let mut arguments = MySqlArguments::default();
        for row in start..end {
            for data in &run.data {
                bind_mysql_value(&mut arguments, data, row).map_err(bind_error)?;
            }
        }
        statements.push(Statement {
            sql: sql::mysql_statement(run, mode, end - start),
            arguments,
        });
        start = end;
    }
    Ok(statements)
}

fn bind_mysql_value(
    arguments: &mut MySqlArguments,
    data: &ColumnData<'_>,
    row: usize,
) -> Result<(), sqlx::error::BoxDynError> {
    match data {
        ColumnData::Int(v) => arguments.add(v[row]),
        ColumnData::Float(v) => arguments.add(v[row]),
        ColumnData::Bool(v) => arguments.add(v[row]),
        ColumnData::Text(v) => arguments.add(v[row].as_deref()),
        ColumnData::Bytes(v) => arguments.add(v[row].as_deref()),
        ColumnData::Decimal(v) => arguments.add(v[row].as_ref().map(Decimal::to_big)),
        ColumnData::Date(v) => arguments.add(v[row]),
        ColumnData::Time(v) => arguments.add(v[row]),
        ColumnData::Timestamp(v) => arguments.add(v[row]),
    }
}
