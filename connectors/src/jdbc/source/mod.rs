//! `JdbcSourceConnector`: rows of PostgreSQL or MySQL/MariaDB tables into topics, with the keys
//! and semantics of Confluent's JDBC source connector.
//!
//! Tables come from `table.whitelist`/`table.blacklist` (names or `schema.table`; all tables of
//! the database when neither is set), or `table.include.list`/`table.exclude.list` (regular
//! expressions, the `mappings` module), among those of the kinds `table.types` names (TABLE by
//! default) in the schemas `schema.pattern` matches (PostgreSQL; `catalog.pattern`, the
//! databases, on MySQL), as the JDBC drivers list them; or one `query`. Each table goes to topic
//! `<topic.prefix><table>` as a struct named after the table, with no key. `mode` picks the new
//! rows: `bulk` (everything, every `poll.interval.ms`), `incrementing`, `timestamp` or
//! `timestamp+incrementing` (a table's auto-increment column when `incrementing.column.name`
//! is empty). Offsets are Confluent's, per table (`{"protocol":"1",
//! "table":"<db>.<schema>.<table>"}` → `{"incrementing", "timestamp", "timestamp_nanos"}`), so a
//! restart resumes after the last row Kafka acknowledged. Tables are split into contiguous
//! groups, one per task; new and dropped tables are noticed every `table.poll.interval.ms`.
//! A database that does not answer is tried `connection.attempts` times, `connection.backoff.ms`
//! apart, before the task fails with the cause.

mod config;
mod error;
mod mappings;
mod query;
mod task;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use self::config::{
    config_def, CATALOG_PATTERN, SCHEMA_PATTERN, TABLE_BLACKLIST, TABLE_EXCLUDE_LIST, TABLE_INCLUDE_LIST,
    TABLE_POLL_INTERVAL, TABLE_TYPES, TABLE_WHITELIST,
};
use self::mappings::TableRegexes;
use crate::jdbc::connection::{Database, Dialect};
use crate::jdbc::table_types;

pub(crate) const CLASS: &str = "io.confluent.connect.jdbc.JdbcSourceConnector";
/// The task config key listing a task's tables (`schema.table`, comma-separated).
const TABLES: &str = "tables";
/// The shortest wait between two listings of the tables.
const MIN_TABLE_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A table: its schema (PostgreSQL schema, or MySQL database) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableRef {
    /// The schema.
    pub schema: String,
    /// The table's name.
    pub name: String,
}

impl TableRef {
    /// Parses `schema.table`.
    fn parse(value: &str) -> Option<Self> {
        let (schema, name) = value.split_once('.')?;
        Some(TableRef {
            schema: schema.to_string(),
            name: name.to_string(),
        })
    }

    fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Whether a `table.whitelist`/`table.blacklist` entry names this table.
    fn matches(&self, entry: &str) -> bool {
        entry == self.name || entry == self.qualified()
    }
}

/// What the table declares about a column.
#[derive(Debug, Clone, Default)]
pub struct ColumnMetadata {
    /// Whether it may be NULL.
    pub nullable: bool,
    /// NUMERIC precision.
    pub precision: Option<i32>,
    /// NUMERIC scale.
    pub scale: Option<i32>,
    /// A MySQL/MariaDB column of text (one with a character set, even a binary collation's,
    /// and MariaDB's INET6 and UUID), which the JDBC drivers read as text where sqlx's type
    /// name may call it binary.
    pub text: bool,
    /// A MySQL/MariaDB DATETIME: a wall time (of `db.timezone`'s clock), where a TIMESTAMP is
    /// an instant.
    pub date_time: bool,
}

/// The tables of the database of the kinds and in the schemas `selection` names, as the JDBC
/// drivers list them to Confluent's connector (`DatabaseMetaData.getTables`; see
/// [`table_types`]): by default a PostgreSQL partitioned table is copied once, by its
/// partitions; schemas starting with `pg_` and `information_schema` are the system's. MySQL's
/// `catalog` is the database: the URL's unless `catalog.pattern` says others.
async fn list_tables(database: &Database, selection: &Selection) -> Result<Vec<TableRef>, sqlx::Error> {
    let kinds = |dialect| -> Vec<&'static str> {
        selection
            .types
            .iter()
            .flat_map(|name| table_types::catalog_kinds(dialect, name))
            .collect()
    };
    let rows: Vec<(String, String)> = match database {
        Database::Postgres(pool) => {
            let relkinds = kinds(Dialect::Postgres);
            sqlx::query_as(
                "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind::text = ANY($1) AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
                 AND ($2 = '' OR n.nspname LIKE $2) ORDER BY 1, 2",
            )
            .bind(relkinds)
            .bind(&selection.pattern)
            .fetch_all(pool)
            .await?
        }
        Database::MySql(pool) => {
            let table_types = kinds(Dialect::MySql);
            sqlx::query_as(
                "SELECT CAST(table_schema AS CHAR), CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE FIND_IN_SET(table_type, ?) AND (table_schema = DATABASE() AND ? = '' OR table_schema LIKE ?) \
                 ORDER BY 1, 2",
            )
            .bind(table_types.join(","))
            .bind(&selection.pattern)
            .bind(&selection.pattern)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(schema, name)| TableRef { schema, name })
        .collect())
}

/// What PostgreSQL's catalog declares about the columns of `pg_attribute a` (joined with their
/// type `t`), as a query's select list: the column's name and table (OID, column number), NOT
/// NULL (of the column or its domain: YES or NO), a NUMERIC's precision and scale and a BIT's
/// length (as its precision) from the type modifier (a domain's own when the column is of one),
/// a MONEY's fraction digits (the session's `lc_monetary`'s) as its scale, and that it is
/// neither MySQL text nor a MySQL DATETIME.
const POSTGRES_DECLARED: &str = "a.attname::text, a.attrelid::int8, a.attnum::int8, \
    CASE WHEN a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) THEN 'NO' ELSE 'YES' END, \
    CASE WHEN base = 1700 AND typmod >= 4 THEN ((typmod - 4) >> 16) & 65535 \
      WHEN base = 1560 THEN typmod END::int8, \
    CASE WHEN base = 1700 AND typmod >= 4 THEN (typmod - 4) & 65535 \
      WHEN base = 790 THEN scale(0::money::numeric) END::int8, false, false \
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
    CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END AS base, \
      CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) declared";

/// A row of [`POSTGRES_DECLARED`]; MySQL's leave the table out.
type DeclaredRow = (String, i64, i64, String, Option<i64>, Option<i64>, bool, bool);

fn column_metadata_of(
    nullable: bool,
    precision: Option<i64>,
    scale: Option<i64>,
    text: bool,
    date_time: bool,
) -> ColumnMetadata {
    ColumnMetadata {
        nullable,
        precision: precision.map(|p| p as i32),
        scale: scale.map(|s| s as i32),
        text,
        date_time,
    }
}

/// The declared nullability, precision and scale of `table`'s columns. PostgreSQL's come from
/// its catalog ([`POSTGRES_DECLARED`]), which has materialized views too (`information_schema`
/// does not); MySQL's and MariaDB's from `information_schema`.
async fn column_metadata(
    database: &Database,
    table: &TableRef,
) -> Result<HashMap<String, ColumnMetadata>, sqlx::Error> {
    let rows: Vec<DeclaredRow> = match database {
        Database::Postgres(pool) => {
            sqlx::query_as(&format!(
                "SELECT {POSTGRES_DECLARED} JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped"
            ))
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_all(pool)
            .await?
        }
        Database::MySql(pool) => {
            sqlx::query_as(
                "SELECT CAST(column_name AS CHAR), 0, 0, CAST(is_nullable AS CHAR), \
                 CAST(numeric_precision AS SIGNED), CAST(numeric_scale AS SIGNED), \
                 character_set_name IS NOT NULL OR data_type IN ('inet4', 'inet6', 'uuid'), data_type = 'datetime' \
                 FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(name, _, _, nullable, precision, scale, text, date_time)| {
            (
                name,
                column_metadata_of(nullable == "YES", precision, scale, text, date_time),
            )
        })
        .collect())
}

/// The declared precision and scale (and a BIT's length) of the columns of the result of
/// `query`, whose first row is `row`, as the JDBC drivers report them from the result's
/// description; every column nullable (where Confluent's connector takes a table's NOT NULL,
/// and fails on the NULL an outer join gives such a column). PostgreSQL's result names the
/// table column each column is, as it is; MySQL's are read from a temporary table made like
/// the result ([`mysql_result_metadata`]).
async fn result_column_metadata(
    database: &Database,
    row: &crate::jdbc::types::DbRow<'_>,
    query: &str,
) -> Result<HashMap<String, ColumnMetadata>, sqlx::Error> {
    use sqlx::{Column as _, Row as _};
    let (pool, row) = match (database, row) {
        (Database::Postgres(pool), crate::jdbc::types::DbRow::Postgres(row)) => (pool, row),
        (Database::MySql(pool), _) => return Ok(mysql_result_metadata(pool, query).await),
        _ => return Ok(HashMap::new()),
    };
    let sources: HashMap<(i64, i64), String> = row
        .columns()
        .iter()
        .filter_map(|c| {
            Some((
                (i64::from(c.relation_id()?.0), i64::from(c.relation_attribute_no()?)),
                c.name().to_string(),
            ))
        })
        .collect();
    if sources.is_empty() {
        return Ok(HashMap::new());
    }
    let (tables, numbers): (Vec<i64>, Vec<i64>) = sources.keys().copied().unzip();
    let rows: Vec<DeclaredRow> = sqlx::query_as(&format!(
        "SELECT {POSTGRES_DECLARED} WHERE (a.attrelid, a.attnum) IN \
         (SELECT r::oid, n::int2 FROM unnest($1::int8[], $2::int8[]) AS s(r, n))"
    ))
    .bind(tables)
    .bind(numbers)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(_, table, number, _, precision, scale, text, date_time)| {
            let name = sources.get(&(table, number))?.clone();
            Some((name, column_metadata_of(true, precision, scale, text, date_time)))
        })
        .collect())
}

/// The name of the temporary table [`mysql_result_metadata`] makes (one per connection).
const MYSQL_RESULT_TABLE: &str = "tributary_query_columns";

/// What MySQL declares about the columns of `query`'s result, which its protocol tells the JDBC
/// drivers (a DECIMAL's scale, a BIT's length, a column's character set) but sqlx does not
/// pass on: an empty temporary table is made like the result (`LIMIT 0`, so the query reads no
/// rows) and its columns read with `SHOW FULL COLUMNS`. Where that cannot be done (a user
/// without the CREATE TEMPORARY TABLES privilege, a result with two columns of one name), the
/// columns keep what sqlx reports, with a warning.
async fn mysql_result_metadata(pool: &sqlx::MySqlPool, query: &str) -> HashMap<String, ColumnMetadata> {
    use sqlx::Row as _;
    let read = async {
        let mut connection = pool.acquire().await?;
        let drop = format!("DROP TEMPORARY TABLE IF EXISTS {MYSQL_RESULT_TABLE}");
        sqlx::query(&drop).execute(&mut *connection).await?;
        let create = format!("CREATE TEMPORARY TABLE {MYSQL_RESULT_TABLE} AS SELECT * FROM ({query}) q LIMIT 0");
        sqlx::query(&create).execute(&mut *connection).await?;
        let columns = sqlx::query(&format!("SHOW FULL COLUMNS FROM {MYSQL_RESULT_TABLE}"))
            .fetch_all(&mut *connection)
            .await;
        sqlx::query(&drop).execute(&mut *connection).await?;
        columns?
            .iter()
            .map(|column| {
                // Unchecked: SHOW's text columns are of a binary collation on some servers.
                let name: String = column.try_get_unchecked("Field")?;
                let declared: String = column.try_get_unchecked("Type")?;
                let collation: Option<String> = column.try_get_unchecked("Collation")?;
                Ok((name, mysql_declared_type(&declared, collation.is_some())))
            })
            .collect::<Result<HashMap<_, _>, sqlx::Error>>()
    };
    read.await.unwrap_or_else(|error: sqlx::Error| {
        tracing::warn!(%error, "cannot read the declared types of the query's columns; DECIMALs become strings and text of a binary collation bytes");
        HashMap::new()
    })
}

/// A MySQL column of the declared type `declared` (as `SHOW COLUMNS` writes it:
/// `decimal(10,3)`, `bit(1)`, `varchar(10)`, `inet6`, `datetime(3)`), of a character set when
/// `collated`.
fn mysql_declared_type(declared: &str, collated: bool) -> ColumnMetadata {
    let (name, arguments) = declared.split_once('(').unwrap_or((declared, ""));
    let mut numbers = arguments
        .split(')')
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().parse::<i32>().ok());
    let (first, second) = (numbers.next().flatten(), numbers.next().flatten());
    let (precision, scale) = match name.trim() {
        "decimal" => (first, second.or(Some(0))),
        "bit" => (first, None),
        _ => (None, None),
    };
    ColumnMetadata {
        nullable: true,
        precision,
        scale,
        text: collated || matches!(name.trim(), "inet4" | "inet6" | "uuid"),
        date_time: name.trim() == "datetime",
    }
}

/// The first auto-increment column of `table`, in column order, as the JDBC drivers report
/// `IS_AUTOINCREMENT`: on PostgreSQL a column whose default takes a sequence's `nextval` (a
/// serial) or an identity column, on MySQL/MariaDB an `AUTO_INCREMENT` one.
async fn auto_increment_column(database: &Database, table: &TableRef) -> Result<Option<String>, sqlx::Error> {
    match database {
        Database::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                 JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped \
                 AND (a.attidentity IN ('a', 'd') OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%') \
                 ORDER BY a.attnum LIMIT 1",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_optional(pool)
            .await
        }
        Database::MySql(pool) => {
            sqlx::query_scalar(
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = ? AND table_name = ? AND extra LIKE '%auto_increment%' \
                 ORDER BY ordinal_position LIMIT 1",
            )
            .bind(&table.schema)
            .bind(&table.name)
            .fetch_optional(pool)
            .await
        }
    }
}

/// The tables to copy: of the kinds `table.types` names, in the schemas (PostgreSQL) or
/// databases (MySQL) the pattern matches, those `table.include.list` and `table.exclude.list`
/// (regular expressions of qualified names), or else `table.whitelist` and `table.blacklist`,
/// select.
#[derive(Debug, Clone, Default)]
struct Selection {
    types: Vec<String>,
    pattern: String,
    whitelist: Vec<String>,
    blacklist: Vec<String>,
    include: TableRegexes,
    exclude: TableRegexes,
}

impl Selection {
    /// The selected tables of those of the database (all when no list is set).
    fn of(&self, tables: Vec<TableRef>) -> Vec<TableRef> {
        if !self.include.is_empty() {
            return tables
                .into_iter()
                .filter(|t| {
                    let name = t.qualified();
                    self.include.matches(&name) && !self.exclude.matches(&name)
                })
                .collect();
        }
        tables
            .into_iter()
            .filter(|t| self.whitelist.is_empty() || self.whitelist.iter().any(|w| t.matches(w)))
            .filter(|t| !self.blacklist.iter().any(|b| t.matches(b)))
            .collect()
    }
}

/// The connector object: finds the tables, splits them between tasks, and watches for tables
/// created or dropped.
pub struct JdbcSourceConnector {
    config: ConfigMap,
    /// `None` when one `query` is run instead of copying tables.
    tables_mode: Option<TablesMode>,
    tables: std::sync::Arc<std::sync::Mutex<Vec<TableRef>>>,
    monitor: Option<JoinHandle<()>>,
}

/// What copying tables needs: where they are, which to copy, how often to look again.
struct TablesMode {
    database: Database,
    selection: Selection,
    interval: Duration,
}

impl JdbcSourceConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let parsed = config_def().parse(config).map_err(ConnectError::Config)?;
        let tables_mode = match config::query(&parsed) {
            Some(_) => None,
            None => {
                let database = Database::from_config(&parsed, 1, &Default::default())?;
                let pattern = match database.dialect() {
                    Dialect::Postgres => parsed.value(&SCHEMA_PATTERN),
                    Dialect::MySql => parsed.value(&CATALOG_PATTERN),
                };
                Some(TablesMode {
                    database,
                    selection: Selection {
                        types: parsed.value(&TABLE_TYPES),
                        pattern,
                        whitelist: parsed.value(&TABLE_WHITELIST),
                        blacklist: parsed.value(&TABLE_BLACKLIST),
                        include: parsed.value(&TABLE_INCLUDE_LIST),
                        exclude: parsed.value(&TABLE_EXCLUDE_LIST),
                    },
                    interval: parsed.value(&TABLE_POLL_INTERVAL).max(MIN_TABLE_POLL_INTERVAL),
                })
            }
        };
        Ok(JdbcSourceConnector {
            config: config.clone(),
            tables_mode,
            tables: Default::default(),
            monitor: None,
        })
    }
}

#[async_trait]
impl Connector for JdbcSourceConnector {
    async fn start(&mut self, context: ConnectorContext) -> Result<(), ConnectError> {
        let Some(mode) = &self.tables_mode else {
            return Ok(());
        };
        let tables = list_tables(&mode.database, &mode.selection)
            .await
            .map_err(|e| ConnectError::caused("cannot list the database's tables", e))?;
        let tables = mode.selection.of(tables);
        tracing::info!(connector = %context.name, tables = tables.len(), "tables to copy found");
        *crate::lock(&self.tables) = tables;
        self.monitor = Some(tokio::spawn(watch_tables(
            mode.database.clone(),
            mode.selection.clone(),
            self.tables.clone(),
            mode.interval,
            context,
        )));
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        if self.tables_mode.is_none() {
            return Ok(vec![self.config.clone()]);
        }
        let tables = crate::lock(&self.tables).clone();
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let tasks = max_tasks.clamp(1, tables.len());
        // Contiguous groups, sizes differing by at most one (Confluent's grouping).
        let (size, extra) = (tables.len() / tasks, tables.len() % tasks);
        let mut start = 0;
        Ok((0..tasks)
            .map(|task| {
                let end = start + size + usize::from(task < extra);
                let mut config = self.config.clone();
                let names: Vec<String> = tables[start..end].iter().map(TableRef::qualified).collect();
                config.insert(TABLES.into(), names.join(","));
                start = end;
                config
            })
            .collect())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(monitor) = self.monitor.take() {
            monitor.abort();
        }
        if let Some(mode) = &self.tables_mode {
            mode.database.close().await;
        }
        Ok(())
    }
}

/// Lists the tables every `interval`; asks for new task configs when the selection changed.
async fn watch_tables(
    database: Database,
    selection: Selection,
    tables: std::sync::Arc<std::sync::Mutex<Vec<TableRef>>>,
    interval: Duration,
    context: ConnectorContext,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        ticks.tick().await;
        match list_tables(&database, &selection).await {
            Ok(found) => {
                let found = selection.of(found);
                let changed = *crate::lock(&tables) != found;
                if changed {
                    tracing::info!(connector = %context.name, tables = found.len(), "the tables to copy changed");
                    *crate::lock(&tables) = found;
                    context.request_task_reconfiguration();
                }
            }
            Err(e) => tracing::warn!(connector = %context.name, "cannot list the database's tables: {e}"),
        }
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.jdbc.JdbcSourceConnector", "JdbcSource"],
        config_def,
        validate: Some(config::validate),
        alter_offsets: None,
        create: |config| Ok(Box::new(JdbcSourceConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(task::JdbcSourceTask::new(config)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_declared_types_give_a_decimals_scale_a_bits_length_and_text() {
        let declared = |t: &str, collated| {
            let m = mysql_declared_type(t, collated);
            (m.precision, m.scale, m.text)
        };
        assert!(mysql_declared_type("datetime(3)", false).date_time);
        assert!(!mysql_declared_type("timestamp(3)", false).date_time);
        assert_eq!(declared("decimal(10,3)", false), (Some(10), Some(3), false));
        assert_eq!(declared("decimal(5,0) unsigned", false), (Some(5), Some(0), false));
        assert_eq!(declared("bit(1)", false), (Some(1), None, false));
        assert_eq!(declared("varchar(10)", true), (None, None, true));
        assert_eq!(declared("varbinary(8)", false), (None, None, false));
        assert_eq!(declared("inet6", false), (None, None, true));
        assert_eq!(declared("int(11)", false), (None, None, false));
    }

    fn tables(names: &[&str]) -> Vec<TableRef> {
        names.iter().map(|n| TableRef::parse(n).unwrap()).collect()
    }

    #[test]
    fn whitelists_and_blacklists_match_names_or_qualified_names() {
        let all = tables(&["public.a", "public.b", "sales.c"]);
        let list = |items: &[&str]| items.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        let whitelist = Selection {
            whitelist: list(&["a", "sales.c"]),
            ..Selection::default()
        };
        assert_eq!(whitelist.of(all.clone()), tables(&["public.a", "sales.c"]));
        let blacklist = Selection {
            blacklist: list(&["public.b"]),
            ..Selection::default()
        };
        assert_eq!(blacklist.of(all.clone()), tables(&["public.a", "sales.c"]));
        assert_eq!(Selection::default().of(all.clone()), all);
        // Regular expressions of whole qualified names.
        let regexes = |items: &[&str]| TableRegexes::parse(&list(items)).unwrap();
        let included = Selection {
            include: regexes(&["public\\..*", "sales\\.c"]),
            exclude: regexes(&[".*\\.b"]),
            ..Selection::default()
        };
        assert_eq!(included.of(all.clone()), tables(&["public.a", "sales.c"]));
        let partial = Selection {
            include: regexes(&["a", "public"]),
            ..Selection::default()
        };
        assert_eq!(partial.of(all), tables(&[]));
    }

    #[tokio::test]
    async fn tables_are_split_into_contiguous_groups() {
        let config: ConfigMap = [
            ("connection.url", "jdbc:postgresql://127.0.0.1:1/db"),
            ("mode", "bulk"),
            ("topic.prefix", "db-"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let connector = JdbcSourceConnector::new(&config).unwrap();
        *crate::lock(&connector.tables) = tables(&["s.a", "s.b", "s.c", "s.d", "s.e"]);
        let groups: Vec<String> = connector
            .task_configs(2)
            .unwrap()
            .iter()
            .map(|c| c[TABLES].clone())
            .collect();
        assert_eq!(groups, ["s.a,s.b,s.c", "s.d,s.e"]);
        assert_eq!(connector.task_configs(10).unwrap().len(), 5);
    }
}
