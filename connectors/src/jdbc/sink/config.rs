//! The sink's config keys (Confluent's JDBC sink's names and defaults, and Tributary's
//! exactly-once pair), the rules across them, and the settings a task is built from.

use std::time::Duration;

use tributary_runtime::choice_key_value;
use tributary_runtime::config::{
    positive, split_list, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ParsedConfig, ValidationError,
};

use super::plan::{InsertMode, PkMode, Shape, TimestampPrecision};
use super::zone::{WriteZones, DATE_TIMEZONE};
use crate::jdbc::calendar::DATE_CALENDAR_SYSTEM;
use crate::jdbc::connection::{self, Dialect};
use crate::jdbc::identifiers::QUOTE_SQL_IDENTIFIERS;
use crate::jdbc::time_zone::DB_TIMEZONE;

choice_key_value!(InsertMode, PkMode, TimestampPrecision);

/// `insert.mode`.
pub(super) const INSERT_MODE: Key<InsertMode> = Key::new(
    ConfigKey::optional("insert.mode", ConfigType::String, "insert", "insert, upsert or update.").check(|v| {
        InsertMode::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be one of insert, upsert, update".into())
    }),
);
/// `pk.mode`.
pub(super) const PK_MODE: Key<PkMode> = Key::new(
    ConfigKey::optional(
        "pk.mode",
        ConfigType::String,
        "none",
        "none, kafka, record_key or record_value: where the primary key comes from.",
    )
    .check(|v| {
        PkMode::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be one of none, kafka, record_key, record_value".into())
    }),
);
/// `pk.fields`.
pub(super) const PK_FIELDS: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "pk.fields",
    ConfigType::List,
    "",
    "The primary key's columns (their meaning depends on pk.mode).",
));
/// `fields.whitelist`.
pub(super) const FIELDS_WHITELIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "fields.whitelist",
    ConfigType::List,
    "",
    "The value fields to write; all when empty.",
));
/// `table.name.format`.
pub(super) const TABLE_NAME_FORMAT: Key<String> = Key::new(ConfigKey::optional(
    "table.name.format",
    ConfigType::String,
    "${topic}",
    "The destination table; ${topic} is the record's topic.",
));
/// `delete.enabled`.
pub(super) const DELETE_ENABLED: Key<bool> = Key::new(ConfigKey::optional(
    "delete.enabled",
    ConfigType::Boolean,
    "false",
    "Whether a tombstone deletes the row of its key (needs pk.mode=record_key).",
));
/// `replace.null.with.default`.
pub(super) const REPLACE_NULL_WITH_DEFAULT: Key<bool> = Key::new(ConfigKey::optional(
    "replace.null.with.default",
    ConfigType::Boolean,
    "true",
    "Whether a null value field is written as its schema's default, where it has one.",
));
/// `string.output.value.column.name`.
pub(super) const STRING_OUTPUT_VALUE_COLUMN_NAME: Key<String> = Key::new(ConfigKey::optional(
    "string.output.value.column.name",
    ConfigType::String,
    "record_value",
    "The column a value with a String schema (e.g. StringConverter's) is written to.",
));
/// `timestamp.fields.list`.
pub(super) const TIMESTAMP_FIELDS_LIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "timestamp.fields.list",
    ConfigType::List,
    "",
    "Value fields (INT64 or strings of digits) whose numbers are timestamps, counted from 1970 in timestamp.precision.mode's unit.",
));
/// `timestamp.precision.mode`.
pub(super) const TIMESTAMP_PRECISION_MODE: Key<TimestampPrecision> = Key::new(
    ConfigKey::optional(
        "timestamp.precision.mode",
        ConfigType::String,
        "MICROSECONDS",
        "What the numbers of timestamp.fields.list count from 1970: MICROSECONDS or NANOSECONDS.",
    )
    .check(|v| {
        TimestampPrecision::parse(v)
            .map(|_| ())
            .ok_or_else(|| "must be one of MICROSECONDS, NANOSECONDS".into())
    }),
);
/// `auto.create`.
pub(super) const AUTO_CREATE: Key<bool> = Key::new(ConfigKey::optional(
    "auto.create",
    ConfigType::Boolean,
    "false",
    "Whether to create a missing table from the record schema.",
));
/// `auto.evolve`.
pub(super) const AUTO_EVOLVE: Key<bool> = Key::new(ConfigKey::optional(
    "auto.evolve",
    ConfigType::Boolean,
    "false",
    "Whether to add columns for new optional fields.",
));
/// `batch.size`.
pub(super) const BATCH_SIZE: Key<usize> =
    Key::new(ConfigKey::optional("batch.size", ConfigType::Int, "3000", "Rows per statement.").check(positive));
/// `max.retries`.
pub(super) const MAX_RETRIES: Key<u32> = Key::new(ConfigKey::optional(
    "max.retries",
    ConfigType::Int,
    "10",
    "Failed writes in a row before the task fails.",
));
/// `retry.backoff.ms`.
pub(super) const RETRY_BACKOFF: Key<Duration> = Key::new(ConfigKey::optional(
    "retry.backoff.ms",
    ConfigType::Int,
    "3000",
    "Wait between retries.",
));
/// `table.types`: the kinds of tables (by their JDBC names) written to.
pub(super) const TABLE_TYPES: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "table.types",
        ConfigType::List,
        "TABLE",
        "The kinds of tables written to: TABLE, PARTITIONED TABLE, VIEW. A table of another kind is missing to \
         the sink (written to as a TABLE under auto.create).",
    )
    .check(|value| {
        split_list(value)
            .iter()
            .all(|kind| SINK_TABLE_TYPES.contains(&kind.to_ascii_uppercase().as_str()))
            .then_some(())
            .ok_or_else(|| format!("must be a list of {}", SINK_TABLE_TYPES.join(", ")))
    }),
);
/// The kinds `table.types` takes, as Confluent's sink's.
const SINK_TABLE_TYPES: [&str; 3] = ["TABLE", "PARTITIONED TABLE", "VIEW"];
/// `exactly.once.enabled`.
pub(super) const EXACTLY_ONCE_ENABLED: Key<bool> = Key::new(ConfigKey::optional(
    "exactly.once.enabled",
    ConfigType::Boolean,
    "false",
    "Tributary only: store written Kafka offsets in the target database with the rows and skip what was written, so no row is written twice.",
));
/// `exactly.once.offsets.table`.
pub(super) const EXACTLY_ONCE_OFFSETS_TABLE: Key<String> = Key::new(ConfigKey::optional(
    "exactly.once.offsets.table",
    ConfigType::String,
    "__tributary_sink_offsets",
    "Tributary only: the table holding the offsets for exactly.once.enabled.",
));

/// Every key of the sink.
pub(super) fn config_def() -> ConfigDef {
    connection::config_def()
        .key(&INSERT_MODE)
        .key(&PK_MODE)
        .key(&PK_FIELDS)
        .key(&FIELDS_WHITELIST)
        .key(&TABLE_NAME_FORMAT)
        .key(&DELETE_ENABLED)
        .key(&REPLACE_NULL_WITH_DEFAULT)
        .key(&STRING_OUTPUT_VALUE_COLUMN_NAME)
        .key(&TIMESTAMP_FIELDS_LIST)
        .key(&TIMESTAMP_PRECISION_MODE)
        .key(&AUTO_CREATE)
        .key(&AUTO_EVOLVE)
        .key(&BATCH_SIZE)
        .key(&MAX_RETRIES)
        .key(&RETRY_BACKOFF)
        .key(&EXACTLY_ONCE_ENABLED)
        .key(&EXACTLY_ONCE_OFFSETS_TABLE)
        .key(&DB_TIMEZONE)
        .key(&DATE_TIMEZONE)
        .key(&DATE_CALENDAR_SYSTEM)
        .key(&QUOTE_SQL_IDENTIFIERS)
        .key(&TABLE_TYPES)
}

/// The rules across keys: a key for deletes, upserts and updates. (A config with a bad key
/// has that key's own error; these rules are checked on a config whose keys are each valid.)
pub(super) fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let Ok(config) = config_def().parse(config) else {
        return Vec::new();
    };
    let error = |key: &str, message: &str| ValidationError {
        key: key.into(),
        message: message.into(),
    };
    let mut errors = Vec::new();
    let pk_mode = config.value(&PK_MODE);
    if config.value(&DELETE_ENABLED) && pk_mode != PkMode::RecordKey {
        errors.push(error(
            DELETE_ENABLED.name(),
            "delete.enabled=true needs pk.mode=record_key",
        ));
    }
    if config.value(&INSERT_MODE) != InsertMode::Insert && pk_mode == PkMode::None {
        errors.push(error(
            PK_MODE.name(),
            "insert.mode upsert and update need a primary key (pk.mode other than none)",
        ));
    }
    errors
}

/// What a task does with its records, from its validated config.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// Tables and columns.
    pub shape: Shape,
    /// Whether a missing table is created.
    pub auto_create: bool,
    /// Whether missing columns are added.
    pub auto_evolve: bool,
    /// `table.types`, upper case.
    pub table_types: Vec<String>,
    /// Rows per statement.
    pub batch_size: usize,
    /// Failed puts in a row before the task fails.
    pub max_retries: u32,
    /// The wait between them.
    pub retry_backoff: Duration,
    /// The offsets table, when exactly-once is on.
    pub offsets_table: Option<String>,
    /// The zones and the calendar dates and times are written in.
    pub zones: WriteZones,
}

impl Settings {
    /// The settings of `config`, for a database of `dialect`.
    pub(super) fn new(config: &ParsedConfig, dialect: Dialect) -> Self {
        let quoting = config.value(&QUOTE_SQL_IDENTIFIERS);
        Settings {
            shape: Shape {
                insert_mode: config.value(&INSERT_MODE),
                pk_mode: config.value(&PK_MODE),
                pk_fields: config.value(&PK_FIELDS),
                fields_whitelist: config.value(&FIELDS_WHITELIST),
                delete_enabled: config.value(&DELETE_ENABLED),
                table_format: config.value(&TABLE_NAME_FORMAT),
                replace_null_with_default: config.value(&REPLACE_NULL_WITH_DEFAULT),
                string_value_column: config.value(&STRING_OUTPUT_VALUE_COLUMN_NAME),
                timestamp_fields: config.value(&TIMESTAMP_FIELDS_LIST),
                timestamp_precision: config.value(&TIMESTAMP_PRECISION_MODE),
                quoting,
                lower_case_tables: quoting.lower_cases_tables(dialect),
            },
            auto_create: config.value(&AUTO_CREATE),
            auto_evolve: config.value(&AUTO_EVOLVE),
            table_types: config
                .value(&TABLE_TYPES)
                .iter()
                .map(|kind| kind.to_ascii_uppercase())
                .collect(),
            batch_size: config.value(&BATCH_SIZE),
            max_retries: config.value(&MAX_RETRIES),
            retry_backoff: config.value(&RETRY_BACKOFF),
            offsets_table: config
                .value(&EXACTLY_ONCE_ENABLED)
                .then(|| config.value(&EXACTLY_ONCE_OFFSETS_TABLE)),
            zones: WriteZones {
                time_zone: config.value(&DB_TIMEZONE),
                date_time_zone: config.value(&DATE_TIMEZONE),
                calendar: config.value(&DATE_CALENDAR_SYSTEM),
            },
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
        let parsed = config_def()
            .parse(&config(&[("connection.url", "jdbc:postgresql://db:5432/shop")]))
            .unwrap();
        let settings = Settings::new(&parsed, Dialect::Postgres);
        assert_eq!(settings.shape.insert_mode, InsertMode::Insert);
        assert_eq!(settings.shape.pk_mode, PkMode::None);
        assert_eq!(settings.shape.table_format, "${topic}");
        assert_eq!(settings.batch_size, 3000);
        assert_eq!(settings.max_retries, 10);
        assert_eq!(settings.retry_backoff, Duration::from_secs(3));
        assert_eq!(settings.offsets_table, None);
        let exactly_once = config_def()
            .parse(&config(&[
                ("connection.url", "jdbc:postgresql://db:5432/shop"),
                ("exactly.once.enabled", "true"),
            ]))
            .unwrap();
        assert_eq!(
            Settings::new(&exactly_once, Dialect::Postgres).offsets_table.as_deref(),
            Some("__tributary_sink_offsets")
        );
    }

    #[test]
    fn keys_are_checked_alone_and_together() {
        let errors = config_def().validate(&config(&[
            ("connection.url", "jdbc:oracle:thin:@x"),
            ("batch.size", "0"),
            ("table.types", "table, MATERIALIZED VIEW"),
        ]));
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["connection.url", "batch.size", "table.types"]);
        let kinds = config_def()
            .parse(&config(&[
                ("connection.url", "jdbc:postgresql://db/shop"),
                ("table.types", " view,Partitioned Table"),
            ]))
            .unwrap();
        assert_eq!(
            Settings::new(&kinds, Dialect::Postgres).table_types,
            ["VIEW", "PARTITIONED TABLE"]
        );
        let errors = validate(&config(&[
            ("connection.url", "jdbc:postgresql://db/shop"),
            ("insert.mode", "upsert"),
            ("delete.enabled", "true"),
        ]));
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["delete.enabled", "pk.mode"]);
    }
}
