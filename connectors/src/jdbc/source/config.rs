//! The source's config keys (Confluent's JDBC source's names and defaults), the rules across
//! them, and the settings its tasks are built from.

use std::time::Duration;

use tributary_runtime::choice_key_value;
use tributary_runtime::config::{
    positive, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ParsedConfig, ValidationError,
};

use super::query::Mode;
use crate::jdbc::connection::{
    self, mysql_driver, zero_dates, CONNECTION_ATTEMPTS, CONNECTION_BACKOFF, CONNECTION_URL,
};
use crate::jdbc::granularity::TIMESTAMP_GRANULARITY;
use crate::jdbc::time_zone::DB_TIMEZONE;
use crate::jdbc::types::{DateTimeRules, MySqlDriver, NumericMapping};

choice_key_value!(Mode, NumericMapping);

/// `table.whitelist`.
pub(super) const TABLE_WHITELIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "table.whitelist",
    ConfigType::List,
    "",
    "Tables to copy (names or schema.table); all when empty.",
));
/// `table.blacklist`.
pub(super) const TABLE_BLACKLIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "table.blacklist",
    ConfigType::List,
    "",
    "Tables not to copy.",
));
/// `query`.
pub(super) const QUERY: Key<String> = Key::new(ConfigKey::optional(
    "query",
    ConfigType::String,
    "",
    "A query to run instead of copying tables; its rows go to topic.prefix.",
));
/// `mode`.
pub(super) const MODE: Key<Mode> = Key::new(
    ConfigKey::required(
        "mode",
        ConfigType::String,
        "bulk, incrementing, timestamp or timestamp+incrementing.",
    )
    .check(|v| {
        Mode::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be one of bulk, incrementing, timestamp, timestamp+incrementing".into())
    }),
);
/// `incrementing.column.name`.
pub(super) const INCREMENTING_COLUMN: Key<String> = Key::new(ConfigKey::optional(
    "incrementing.column.name",
    ConfigType::String,
    "",
    "The strictly increasing integer column (incrementing modes); when empty, each table's \
     first auto-increment column (a serial or identity column on PostgreSQL).",
));
/// `timestamp.column.name`.
pub(super) const TIMESTAMP_COLUMNS: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "timestamp.column.name",
    ConfigType::List,
    "",
    "The modification timestamp column(s); the first non-null counts (timestamp modes).",
));
/// `timestamp.delay.interval.ms`.
pub(super) const TIMESTAMP_DELAY: Key<Duration> = Key::new(ConfigKey::optional(
    "timestamp.delay.interval.ms",
    ConfigType::Long,
    "0",
    "How long after a timestamp a row is read, so transactions in flight can commit.",
));
/// `poll.interval.ms`.
pub(super) const POLL_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "poll.interval.ms",
    ConfigType::Int,
    "5000",
    "How often each table is queried.",
));
/// The most rows in a batch, whatever `batch.max.rows` allows: a batch stays in the CPU's
/// caches from its rows' decoding to their conversion and production. Measured against batches
/// of 5,000 rows (`cargo bench --bench ab`, `AB_CASE=jdbc-source`): 8-9% less of the worker's
/// CPU in two series, and a quarter less peak memory; 100, 250 and 1,000 rows did no better.
pub(super) const MAX_BATCH_ROWS: usize = 500;
/// `batch.max.rows` (its documentation names [`MAX_BATCH_ROWS`]).
pub(super) const BATCH_MAX_ROWS: Key<usize> = Key::new(
    ConfigKey::optional(
        "batch.max.rows",
        ConfigType::Int,
        "100",
        "Rows per batch handed to the worker (at most 500, which keep a batch in the CPU's caches).",
    )
    .check(positive),
);
/// `topic.prefix`.
pub(super) const TOPIC_PREFIX: Key<String> = Key::new(ConfigKey::required(
    "topic.prefix",
    ConfigType::String,
    "Prefix of the topics (the table name follows; in query mode, the whole topic).",
));
/// `table.poll.interval.ms`.
pub(super) const TABLE_POLL_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "table.poll.interval.ms",
    ConfigType::Long,
    "60000",
    "How often to look for new or dropped tables.",
));
/// `timestamp.initial`.
pub(super) const TIMESTAMP_INITIAL: Key<Option<i64>> = Key::new(ConfigKey::unset(
    "timestamp.initial",
    ConfigType::Long,
    "Where timestamp modes start reading a table with no committed offset: epoch milliseconds, \
     or -1 for the database's current time; from the beginning when unset.",
));
/// `query.suffix`.
pub(super) const QUERY_SUFFIX: Key<String> = Key::new(ConfigKey::optional(
    "query.suffix",
    ConfigType::String,
    "",
    "Appended to each statement (after its WHERE and ORDER BY), e.g. a row limit or a lock.",
));
/// `table.types`.
pub(super) const TABLE_TYPES: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "table.types",
    ConfigType::List,
    "TABLE",
    "Kinds of tables to copy, as the JDBC driver names them: TABLE and VIEW; on PostgreSQL also \
     MATERIALIZED VIEW, FOREIGN TABLE and PARTITIONED TABLE (a partitioned table itself; its \
     partitions are TABLEs).",
));
/// `schema.pattern`.
pub(super) const SCHEMA_PATTERN: Key<String> = Key::new(ConfigKey::optional(
    "schema.pattern",
    ConfigType::String,
    "",
    "PostgreSQL: the schemas whose tables are copied, a LIKE pattern (% any characters, _ one); \
     every schema but the system ones when empty.",
));
/// `catalog.pattern`.
pub(super) const CATALOG_PATTERN: Key<String> = Key::new(ConfigKey::optional(
    "catalog.pattern",
    ConfigType::String,
    "",
    "MySQL/MariaDB: the databases whose tables are copied, a LIKE pattern; the URL's database \
     when empty.",
));
/// `numeric.mapping`.
pub(super) const NUMERIC_MAPPING: Key<NumericMapping> = Key::new(
    ConfigKey::optional(
        "numeric.mapping",
        ConfigType::String,
        "none",
        "none, precision_only, best_fit or best_fit_eager_double: how PostgreSQL's NUMERIC columns are typed.",
    )
    .check(|v| {
        NumericMapping::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be none, precision_only, best_fit or best_fit_eager_double".into())
    }),
);

/// Every key of the source.
pub(super) fn config_def() -> ConfigDef {
    connection::config_def()
        .key(&TABLE_WHITELIST)
        .key(&TABLE_BLACKLIST)
        .key(&QUERY)
        .key(&QUERY_SUFFIX)
        .key(&TIMESTAMP_INITIAL)
        .key(&MODE)
        .key(&INCREMENTING_COLUMN)
        .key(&TIMESTAMP_COLUMNS)
        .key(&TIMESTAMP_DELAY)
        .key(&POLL_INTERVAL)
        .key(&BATCH_MAX_ROWS)
        .key(&TOPIC_PREFIX)
        .key(&TABLE_POLL_INTERVAL)
        .key(&TABLE_TYPES)
        .key(&SCHEMA_PATTERN)
        .key(&CATALOG_PATTERN)
        .key(&NUMERIC_MAPPING)
        .key(&DB_TIMEZONE)
        .key(&TIMESTAMP_GRANULARITY)
}

/// The query in query mode, `None` when tables are copied.
pub(super) fn query(config: &ParsedConfig) -> Option<String> {
    Some(config.value(&QUERY)).filter(|q| !q.trim().is_empty())
}

/// The rules across keys: `query` or tables, and the columns the mode needs. (A config with a
/// bad key has that key's own error; these rules are checked on a config whose keys are each
/// valid.)
pub(super) fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let Ok(config) = config_def().parse(config) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut error = |key: &str, message: String| {
        errors.push(ValidationError {
            key: key.into(),
            message,
        })
    };
    let (whitelist, blacklist) = (config.value(&TABLE_WHITELIST), config.value(&TABLE_BLACKLIST));
    if query(&config).is_some() && (!whitelist.is_empty() || !blacklist.is_empty()) {
        error(
            QUERY.name(),
            "query cannot be combined with table.whitelist or table.blacklist".into(),
        );
    }
    if !whitelist.is_empty() && !blacklist.is_empty() {
        error(
            TABLE_BLACKLIST.name(),
            "table.whitelist and table.blacklist cannot both be set".into(),
        );
    }
    let mode = config.value(&MODE);
    let mode_name = config.get(MODE.name()).unwrap_or_default();
    // A table's auto-increment column stands in for an empty one (as in Confluent's); a query
    // has none to find.
    if mode.uses_incrementing() && query(&config).is_some() && config.value(&INCREMENTING_COLUMN).trim().is_empty() {
        error(
            INCREMENTING_COLUMN.name(),
            format!("is required in mode {mode_name} with a query"),
        );
    }
    if mode.uses_timestamp() && config.value(&TIMESTAMP_COLUMNS).is_empty() {
        error(TIMESTAMP_COLUMNS.name(), format!("is required in mode {mode_name}"));
    }
    errors
}

/// A task's settings, from its validated config.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// Which rows are new.
    pub mode: Mode,
    /// How often each table is queried.
    pub poll_interval: Duration,
    /// Rows per batch: `batch.max.rows`, at most [`MAX_BATCH_ROWS`].
    pub batch_max_rows: usize,
    /// How long after its timestamp a row is read.
    pub timestamp_delay: Duration,
    /// Failed attempts in a row before the task fails.
    pub attempts: u32,
    /// The wait between them.
    pub backoff: Duration,
    /// How NUMERIC columns are typed.
    pub numeric_mapping: NumericMapping,
    /// Whose reports of MySQL/MariaDB column types are followed: `connection.url`'s driver.
    pub mysql_driver: MySqlDriver,
    /// How dates and times are read (`connection.url`'s zero dates, `db.timezone`).
    pub date_times: DateTimeRules,
    /// The incrementing column.
    pub incrementing_column: String,
    /// The timestamp columns.
    pub timestamp_columns: Vec<String>,
    /// `query.suffix`.
    pub query_suffix: String,
    /// `timestamp.initial`: epoch milliseconds, -1 for the database's clock.
    pub timestamp_initial: Option<i64>,
}

impl Settings {
    /// The settings of `config`.
    pub(super) fn new(config: &ParsedConfig) -> Self {
        Settings {
            mode: config.value(&MODE),
            poll_interval: config.value(&POLL_INTERVAL),
            batch_max_rows: config.value(&BATCH_MAX_ROWS).min(MAX_BATCH_ROWS),
            timestamp_delay: config.value(&TIMESTAMP_DELAY),
            attempts: config.value(&CONNECTION_ATTEMPTS),
            backoff: config.value(&CONNECTION_BACKOFF),
            numeric_mapping: config.value(&NUMERIC_MAPPING),
            mysql_driver: mysql_driver(&config.value(&CONNECTION_URL)),
            date_times: DateTimeRules {
                zero_dates: zero_dates(&config.value(&CONNECTION_URL)),
                time_zone: config.value(&DB_TIMEZONE),
                timestamp_granularity: config.value(&TIMESTAMP_GRANULARITY),
            },
            incrementing_column: config.value(&INCREMENTING_COLUMN),
            timestamp_columns: config.value(&TIMESTAMP_COLUMNS),
            query_suffix: config.value(&QUERY_SUFFIX),
            timestamp_initial: config.value(&TIMESTAMP_INITIAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_come_from_the_declarations_alone() {
        let required = [
            ("connection.url", "jdbc:mysql://db:3306/shop"),
            ("mode", "bulk"),
            ("topic.prefix", "shop-"),
        ];
        let parsed = config_def().parse(&config(&required)).unwrap();
        let settings = Settings::new(&parsed);
        assert_eq!(settings.poll_interval, Duration::from_secs(5));
        assert_eq!(settings.batch_max_rows, 100);
        assert_eq!(settings.timestamp_delay, Duration::ZERO);
        assert_eq!(settings.attempts, 3);
        assert_eq!(settings.backoff, Duration::from_secs(10));
        assert_eq!(settings.numeric_mapping, NumericMapping::None);
        assert_eq!(parsed.value(&TABLE_POLL_INTERVAL), Duration::from_secs(60));
        assert_eq!(query(&parsed), None);
    }

    #[test]
    fn keys_are_checked_alone_and_together() {
        let errors = config_def().validate(&config(&[
            ("mode", "sometimes"),
            ("batch.max.rows", "0"),
            ("db.timezone", "Mars/Olympus"),
        ]));
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "connection.url",
                "mode",
                "batch.max.rows",
                "topic.prefix",
                "db.timezone"
            ]
        );
        let errors = validate(&config(&[
            ("connection.url", "jdbc:mysql://db:3306/shop"),
            ("topic.prefix", "shop-"),
            ("mode", "timestamp+incrementing"),
            ("query", "SELECT 1"),
            ("table.whitelist", "a"),
        ]));
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["query", "incrementing.column.name", "timestamp.column.name"]);
        // Tables have an auto-increment column to stand in for it; a query has not.
        let tables = validate(&config(&[
            ("connection.url", "jdbc:mysql://db:3306/shop"),
            ("topic.prefix", "shop-"),
            ("mode", "incrementing"),
        ]));
        assert!(tables.is_empty(), "{tables:?}");
    }
}
