//! The source's config keys (Confluent's JDBC source's names and defaults), the rules across
//! them, and the settings its tasks are built from.

use std::time::Duration;

use tributary_runtime::choice_key_value;
use tributary_runtime::config::{
    positive, split_list, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ParsedConfig, ValidationError,
};

use super::mappings::{IncrementingMapping, OffsetColumns, TableRegexes, TimestampMapping};
use super::query::Mode;
use crate::jdbc::calendar::DATE_CALENDAR_SYSTEM;
use crate::jdbc::connection::{self, jdbc_url, mysql_driver, zero_dates, CONNECTION_ATTEMPTS, CONNECTION_BACKOFF};
use crate::jdbc::granularity::TIMESTAMP_GRANULARITY;
use crate::jdbc::identifiers::{QuoteIdentifiers, QUOTE_SQL_IDENTIFIERS};
use crate::jdbc::session::{IsolationMode, Session, TRANSACTION_ISOLATION_MODE};
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
/// `table.include.list`.
pub(super) const TABLE_INCLUDE_LIST: Key<TableRegexes> = Key::new(
    ConfigKey::optional(
        "table.include.list",
        ConfigType::List,
        "",
        "Regular expressions matching the whole qualified names (schema.table; database.table on \
         MySQL) of the tables to copy; not with table.whitelist or table.blacklist.",
    )
    .check(|v| TableRegexes::parse(&split_list(v)).map(|_| ())),
);
/// `table.exclude.list`.
pub(super) const TABLE_EXCLUDE_LIST: Key<TableRegexes> = Key::new(
    ConfigKey::optional(
        "table.exclude.list",
        ConfigType::List,
        "",
        "Regular expressions of the qualified names of tables table.include.list matches not to copy.",
    )
    .check(|v| TableRegexes::parse(&split_list(v)).map(|_| ())),
);
/// `timestamp.columns.mapping`.
pub(super) const TIMESTAMP_COLUMNS_MAPPING: Key<TimestampMapping> = Key::new(
    ConfigKey::optional(
        "timestamp.columns.mapping",
        ConfigType::List,
        "",
        "Each table's timestamp columns, by regular expressions of qualified names: \
         regex1:[col1|col2],regex2:[col3] (with table.include.list).",
    )
    .check(|v| TimestampMapping::parse(&split_list(v)).map(|_| ())),
);
/// `incrementing.column.mapping`.
pub(super) const INCREMENTING_COLUMN_MAPPING: Key<IncrementingMapping> = Key::new(
    ConfigKey::optional(
        "incrementing.column.mapping",
        ConfigType::List,
        "",
        "Each table's incrementing column, by regular expressions of qualified names: \
         regex1:col1,regex2:col2 (with table.include.list).",
    )
    .check(|v| IncrementingMapping::parse(&split_list(v)).map(|_| ())),
);
/// `query`.
pub(super) const QUERY: Key<String> = Key::new(ConfigKey::optional(
    "query",
    ConfigType::String,
    "",
    "A query to run instead of copying tables; its rows go to topic.prefix.",
));
/// `query.masked`.
pub(super) const QUERY_MASKED: Key<String> = Key::new(ConfigKey::optional(
    "query.masked",
    ConfigType::Password,
    "",
    "query, as a password: hidden wherever configs are shown.",
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
/// `batch.max.rows` (its documentation names [`MAX_BATCH_ROWS`]); 1,000 by default, as
/// Confluent's since 10.8.5 (100 before).
pub(super) const BATCH_MAX_ROWS: Key<usize> = Key::new(
    ConfigKey::optional(
        "batch.max.rows",
        ConfigType::Int,
        "1000",
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
/// `validate.non.null`.
pub(super) const VALIDATE_NON_NULL: Key<bool> = Key::new(ConfigKey::optional(
    "validate.non.null",
    ConfigType::Boolean,
    "true",
    "Whether a task refuses to start on a table whose incrementing column, or each of whose \
     timestamp columns, may be NULL (as Confluent's does; a query's columns are not checked).",
));
/// `query.retry.attempts`.
pub(super) const QUERY_RETRY_ATTEMPTS: Key<i32> = Key::new(ConfigKey::optional(
    "query.retry.attempts",
    ConfigType::Int,
    "-1",
    "Queries of a table the database refuses in a row (with an error its JDBC driver calls \
     transient) before the task fails; each is run again at the table's next poll. Never fails \
     when -1 or 0.",
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
        .key(&TABLE_INCLUDE_LIST)
        .key(&TABLE_EXCLUDE_LIST)
        .key(&TIMESTAMP_COLUMNS_MAPPING)
        .key(&INCREMENTING_COLUMN_MAPPING)
        .key(&QUERY)
        .key(&QUERY_MASKED)
        .key(&QUERY_SUFFIX)
        .key(&VALIDATE_NON_NULL)
        .key(&QUOTE_SQL_IDENTIFIERS)
        .key(&QUERY_RETRY_ATTEMPTS)
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
        .key(&DATE_CALENDAR_SYSTEM)
        .key(&TRANSACTION_ISOLATION_MODE)
}

/// The query in query mode (`query`, or `query.masked`), `None` when tables are copied.
pub(super) fn query(config: &ParsedConfig) -> Option<String> {
    [config.value(&QUERY), config.value(&QUERY_MASKED)]
        .into_iter()
        .find(|q| !q.trim().is_empty())
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
    let (include, exclude) = (config.value(&TABLE_INCLUDE_LIST), config.value(&TABLE_EXCLUDE_LIST));
    let (timestamp_mapping, incrementing_mapping) = (
        config.value(&TIMESTAMP_COLUMNS_MAPPING),
        config.value(&INCREMENTING_COLUMN_MAPPING),
    );
    if !config.value(&QUERY).trim().is_empty() && !config.value(&QUERY_MASKED).trim().is_empty() {
        for key in [QUERY.name(), QUERY_MASKED.name()] {
            error(key, "query and query.masked cannot both be set".into());
        }
    }
    let tables_named = !whitelist.is_empty() || !blacklist.is_empty() || !include.is_empty() || !exclude.is_empty();
    if query(&config).is_some() && tables_named {
        error(
            QUERY.name(),
            "query cannot be combined with table.whitelist, table.blacklist, table.include.list or \
             table.exclude.list"
                .into(),
        );
    }
    // Confluent's two ways of naming tables and columns do not mix.
    let legacy = [
        (TABLE_WHITELIST.name(), !whitelist.is_empty()),
        (TABLE_BLACKLIST.name(), !blacklist.is_empty()),
        (
            INCREMENTING_COLUMN.name(),
            !config.value(&INCREMENTING_COLUMN).trim().is_empty(),
        ),
        (TIMESTAMP_COLUMNS.name(), !config.value(&TIMESTAMP_COLUMNS).is_empty()),
    ];
    let new = [
        (TABLE_INCLUDE_LIST.name(), !include.is_empty()),
        (TABLE_EXCLUDE_LIST.name(), !exclude.is_empty()),
        (TIMESTAMP_COLUMNS_MAPPING.name(), !timestamp_mapping.is_empty()),
        (INCREMENTING_COLUMN_MAPPING.name(), !incrementing_mapping.is_empty()),
    ];
    let using_new = new.iter().any(|(_, set)| *set);
    if query(&config).is_none() && using_new && legacy.iter().any(|(_, set)| *set) {
        for (key, _) in legacy.iter().chain(&new).filter(|(_, set)| *set) {
            error(
                key,
                "table.whitelist, table.blacklist, timestamp.column.name and incrementing.column.name \
                 cannot be combined with table.include.list, table.exclude.list, \
                 timestamp.columns.mapping and incrementing.column.mapping: use one set or the other"
                    .into(),
            );
        }
        // The rules below are each set's own.
        return errors;
    }
    if !exclude.is_empty() && include.is_empty() {
        error(
            TABLE_EXCLUDE_LIST.name(),
            "table.exclude.list needs table.include.list: it only applies to the tables that match it".into(),
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
    if query(&config).is_none() && using_new {
        // As Confluent's: the mappings name the mode's columns, and only those.
        for (uses, set, key) in [
            (
                mode.uses_timestamp(),
                !timestamp_mapping.is_empty(),
                TIMESTAMP_COLUMNS_MAPPING.name(),
            ),
            (
                mode.uses_incrementing(),
                !incrementing_mapping.is_empty(),
                INCREMENTING_COLUMN_MAPPING.name(),
            ),
        ] {
            match (uses, set) {
                (true, false) => error(MODE.name(), format!("mode {mode_name} needs {key}")),
                (false, true) => error(MODE.name(), format!("mode {mode_name} takes no {key}")),
                _ => {}
            }
        }
    } else if mode.uses_timestamp() && config.value(&TIMESTAMP_COLUMNS).is_empty() {
        error(TIMESTAMP_COLUMNS.name(), format!("is required in mode {mode_name}"));
    }
    errors
}

/// Where each table's offset columns come from: the mappings with `table.include.list` (as in
/// Confluent's), else the column names.
fn offset_columns(config: &ParsedConfig) -> OffsetColumns {
    if config.value(&TABLE_INCLUDE_LIST).is_empty() {
        return OffsetColumns::Named {
            incrementing: config.value(&INCREMENTING_COLUMN),
            timestamps: config.value(&TIMESTAMP_COLUMNS),
        };
    }
    OffsetColumns::Mapped {
        incrementing: config.value(&INCREMENTING_COLUMN_MAPPING),
        timestamps: config.value(&TIMESTAMP_COLUMNS_MAPPING),
    }
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
    /// How dates and times are read (`connection.url`'s zero dates, `db.timezone`,
    /// `timestamp.granularity`, `date.calendar.system`).
    pub date_times: DateTimeRules,
    /// Each table's incrementing and timestamp columns.
    pub offset_columns: OffsetColumns,
    /// `query.suffix`.
    pub query_suffix: String,
    /// `timestamp.initial`: epoch milliseconds, -1 for the database's clock.
    pub timestamp_initial: Option<i64>,
    /// `transaction.isolation.mode`.
    pub isolation: IsolationMode,
    /// `validate.non.null`.
    pub validate_non_null: bool,
    /// `query.retry.attempts`, `None` when queries are retried without end.
    pub query_retry_attempts: Option<u32>,
    /// `quote.sql.identifiers`.
    pub quoting: QuoteIdentifiers,
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
            mysql_driver: mysql_driver(&jdbc_url(config)),
            date_times: DateTimeRules {
                zero_dates: zero_dates(&jdbc_url(config)),
                time_zone: config.value(&DB_TIMEZONE),
                timestamp_granularity: config.value(&TIMESTAMP_GRANULARITY),
                calendar: config.value(&DATE_CALENDAR_SYSTEM),
            },
            offset_columns: offset_columns(config),
            query_suffix: config.value(&QUERY_SUFFIX),
            timestamp_initial: config.value(&TIMESTAMP_INITIAL),
            isolation: config.value(&TRANSACTION_ISOLATION_MODE),
            validate_non_null: config.value(&VALIDATE_NON_NULL),
            query_retry_attempts: u32::try_from(config.value(&QUERY_RETRY_ATTEMPTS))
                .ok()
                .filter(|n| *n > 0),
            quoting: config.value(&QUOTE_SQL_IDENTIFIERS),
        }
    }

    /// How the task's sessions are set up.
    pub(super) fn session(&self) -> Session {
        Session {
            time_zone: self.date_times.time_zone.clone(),
            isolation: self.isolation,
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
        assert_eq!(settings.batch_max_rows, MAX_BATCH_ROWS, "1,000 by default, at most 500");
        assert_eq!(settings.timestamp_delay, Duration::ZERO);
        assert_eq!(settings.attempts, 3);
        assert_eq!(settings.backoff, Duration::from_secs(10));
        assert_eq!(settings.numeric_mapping, NumericMapping::None);
        assert!(settings.validate_non_null);
        assert_eq!(settings.query_retry_attempts, None);
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

    /// Confluent's rules for its newer keys: include and exclude lists and column mappings
    /// instead of whitelists and column names, not beside them; the mode's mappings and no
    /// others; a query or a masked one, not both.
    #[test]
    fn include_lists_and_mappings_follow_confluents_rules() {
        let base = [
            ("connection.url", "jdbc:postgresql://db/shop"),
            ("topic.prefix", "shop-"),
            ("mode", "timestamp+incrementing"),
        ];
        let keys = |pairs: &[(&str, &str)]| -> Vec<String> {
            let mut all = config(&base);
            all.extend(config(pairs));
            assert!(config_def().validate(&all).is_empty(), "{pairs:?}");
            validate(&all).into_iter().map(|e| e.key).collect()
        };
        let mapped = [
            ("table.include.list", "public\\.orders.*"),
            ("timestamp.columns.mapping", "public\\..*:[updated|created]"),
            ("incrementing.column.mapping", ".*:id"),
        ];
        assert!(keys(&mapped).is_empty());
        let mut mixed = mapped.to_vec();
        mixed.push(("table.whitelist", "orders"));
        assert_eq!(
            keys(&mixed),
            [
                "table.whitelist",
                "table.include.list",
                "timestamp.columns.mapping",
                "incrementing.column.mapping"
            ]
        );
        assert_eq!(
            keys(&[("table.include.list", "x"), ("incrementing.column.mapping", ".*:id")]),
            ["mode"]
        );
        assert_eq!(
            keys(&[
                ("table.exclude.list", "x"),
                ("timestamp.column.name", "t"),
                ("incrementing.column.name", "id")
            ])
            .len(),
            3
        );
        let exclude_alone = keys(&[
            ("table.exclude.list", "x"),
            ("timestamp.columns.mapping", "x:[t]"),
            ("incrementing.column.mapping", "x:id"),
        ]);
        assert_eq!(exclude_alone, ["table.exclude.list"]);
        let both_queries = keys(&[
            ("query", "SELECT 1"),
            ("query.masked", "SELECT 2"),
            ("incrementing.column.name", "id"),
            ("timestamp.column.name", "t"),
        ]);
        assert_eq!(both_queries, ["query", "query.masked"]);
        let bad = config_def().validate(&config(&[("timestamp.columns.mapping", "x:t")]));
        assert!(
            bad.iter()
                .any(|e| e.key == "timestamp.columns.mapping" && e.message.contains("square brackets")),
            "{bad:?}"
        );
    }
}
