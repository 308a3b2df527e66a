//! The connector's config keys (Debezium's names and defaults) and the settings its task is
//! built from: the server and TLS, the slot and publication, the tables captured.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pgwire_replication::{Lsn, ReplicationConfig, SslMode, TlsConfig};
use regex::Regex;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::ConnectOptions;
use tributary_runtime::config::{
    positive, split_list, ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, ParsedConfig, ValidationError,
};

use super::columns::{BinaryHandling, DecimalHandling, Mapping, TimePrecision};
use super::hash_mask::TextHash;
use super::naming::NameAdjustment;
use super::pgoutput::{RelationColumn, TextRewrite};
use super::placeholder::{Placeholder, DEFAULT_PLACEHOLDER};

/// The longest topic name Kafka takes.
const MAX_TOPIC_LENGTH: usize = 249;

/// Whether a topic's name may hold `c`, as Kafka's (and Debezium's naming strategy's) rule
/// says: an ASCII letter or digit, `.`, `_` or `-`.
fn topic_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The shortest interval between two status updates to the server.
const MIN_STATUS_INTERVAL: Duration = Duration::from_millis(1);

/// A text key with a default.
const fn text(name: &'static str, default: &'static str, documentation: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::String, default, documentation)
}

/// `database.hostname`.
pub(super) const HOSTNAME: Key<String> = Key::new(ConfigKey::required(
    "database.hostname",
    ConfigType::String,
    "The server's host.",
));
/// `database.port`.
pub(super) const PORT: Key<u16> = Key::new(ConfigKey::optional(
    "database.port",
    ConfigType::Int,
    "5432",
    "The server's port.",
));
/// `database.user`.
pub(super) const USER: Key<String> = Key::new(ConfigKey::required(
    "database.user",
    ConfigType::String,
    "A user with the REPLICATION attribute.",
));
/// `database.password`.
pub(super) const PASSWORD: Key<String> = Key::new(ConfigKey::unset(
    "database.password",
    ConfigType::Password,
    "Its password.",
));
/// `database.dbname`.
pub(super) const DBNAME: Key<String> = Key::new(ConfigKey::required(
    "database.dbname",
    ConfigType::String,
    "The database to capture.",
));
/// `topic.prefix`.
pub(super) const TOPIC_PREFIX: Key<String> = Key::new(ConfigKey::required(
    "topic.prefix",
    ConfigType::String,
    "Topic prefix and logical server name: topics are <prefix>.<schema>.<table>.",
));
/// `plugin.name`.
pub(super) const PLUGIN_NAME: Key<String> = Key::new(
    text("plugin.name", "pgoutput", "The logical decoding plugin: only pgoutput.").check(|v| {
        (v.trim() == "pgoutput")
            .then_some(())
            .ok_or_else(|| "only pgoutput is supported".into())
    }),
);
/// `slot.name`.
pub(super) const SLOT_NAME: Key<String> = Key::new(text("slot.name", "debezium", "The replication slot."));
/// `slot.drop.on.stop`.
pub(super) const SLOT_DROP_ON_STOP: Key<bool> = Key::new(ConfigKey::optional(
    "slot.drop.on.stop",
    ConfigType::Boolean,
    "false",
    "Whether the replication slot is dropped when the task stops in order (the connector deleted, \
     stopped or moved); a new slot then begins where the server is, so what changed in between is \
     not captured. For tests and short-lived set-ups.",
));
/// `publication.name`.
pub(super) const PUBLICATION_NAME: Key<String> =
    Key::new(text("publication.name", "dbz_publication", "The publication."));
/// `publication.autocreate.mode`.
pub(super) const PUBLICATION_AUTOCREATE: Key<String> = Key::new(
    text(
        "publication.autocreate.mode",
        "all_tables",
        "all_tables, filtered or disabled: how a missing publication is created.",
    )
    .check(|v| {
        ["all_tables", "filtered", "disabled"]
            .contains(&v.trim())
            .then_some(())
            .ok_or_else(|| "must be all_tables, filtered or disabled".into())
    }),
);
/// `table.include.list`.
pub(super) const TABLE_INCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "table.include.list",
        ConfigType::List,
        "Tables to capture (regexes over schema.table); all when empty.",
    )
    .check(valid_patterns),
);
/// `publish.via.partition.root`.
pub(super) const PUBLISH_VIA_PARTITION_ROOT: Key<bool> = Key::new(ConfigKey::optional(
    "publish.via.partition.root",
    ConfigType::Boolean,
    "false",
    "Whether a publication the connector creates sends the changes of a partitioned table's \
     partitions as the partitioned table's (publish_via_partition_root), so they go to its topic.",
));
/// `schema.include.list`.
pub(super) const SCHEMA_INCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "schema.include.list",
        ConfigType::List,
        "Schemas whose tables are captured (regexes over schema names); all when empty.",
    )
    .check(valid_patterns)
    .importance(Importance::High),
);
/// `schema.exclude.list`.
pub(super) const SCHEMA_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "schema.exclude.list",
        ConfigType::List,
        "Schemas whose tables are not captured (regexes over schema names).",
    )
    .check(valid_patterns),
);
/// `table.exclude.list`.
pub(super) const TABLE_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "table.exclude.list",
        ConfigType::List,
        "Tables not to capture (regexes over schema.table).",
    )
    .check(valid_patterns),
);
/// `column.include.list`.
pub(super) const COLUMN_INCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "column.include.list",
        ConfigType::List,
        "Columns in the events (regexes over schema.table.column); all when empty.",
    )
    .check(valid_patterns),
);
/// `column.exclude.list`.
pub(super) const COLUMN_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "column.exclude.list",
        ConfigType::List,
        "Columns left out of the events (regexes over schema.table.column).",
    )
    .check(valid_patterns),
);
/// `column.propagate.source.type`.
pub(super) const PROPAGATE_SOURCE_TYPE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "column.propagate.source.type",
        ConfigType::List,
        "Columns whose schemas carry their PostgreSQL type, length, scale and name as parameters \
         __debezium.source.column.* (regexes over schema.table.column).",
    )
    .check(valid_patterns),
);
/// `datatype.propagate.source.type`.
pub(super) const PROPAGATE_SOURCE_DATATYPE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "datatype.propagate.source.type",
        ConfigType::List,
        "Columns whose schemas carry their PostgreSQL type, length, scale and name as parameters \
         __debezium.source.column.*, by their type (regexes over schema.table.type, the type named \
         as the JDBC driver names it: varchar, int4, serial, _int4, a domain's or enum's own name).",
    )
    .check(valid_patterns),
);
/// `message.key.columns`.
pub(super) const MESSAGE_KEY_COLUMNS: Key<String> = Key::new(
    ConfigKey::unset(
        "message.key.columns",
        ConfigType::String,
        "Keys of your choosing: entries <table regex>:<column>,<column> separated by ';'. A \
         table's events are keyed by the columns its entries name (in the table's order), \
         instead of its primary key's.",
    )
    .check(|v| message_keys(v).map(|_| ())),
);
/// `skipped.operations`.
pub(super) const SKIPPED_OPERATIONS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "skipped.operations",
        ConfigType::List,
        "t",
        "Changes not written: c (inserts), u (updates), d (deletes), t (truncates, which are \
         never written), or none.",
    )
    .check(|v| {
        split_list(v)
            .iter()
            .all(|op| ["c", "u", "d", "t", "none"].contains(&op.as_str()))
            .then_some(())
            .ok_or_else(|| "must be a list of c, u, d, t or none".into())
    }),
);
/// `skip.messages.without.change`.
pub(super) const SKIP_UNCHANGED: Key<bool> = Key::new(ConfigKey::optional(
    "skip.messages.without.change",
    ConfigType::Boolean,
    "false",
    "Whether an update that changed none of the columns written (column.include.list, \
     column.exclude.list) is left out; it needs the old row, i.e. the table's REPLICA IDENTITY FULL.",
));
/// `replica.identity.autoset.values`.
pub(super) const REPLICA_IDENTITY_AUTOSET: Key<String> = Key::new(
    ConfigKey::unset(
        "replica.identity.autoset.values",
        ConfigType::String,
        "Comma-separated `<table regex>:<identity>` entries (regexes over `schema.table`; DEFAULT, \
         FULL, NOTHING or INDEX <index>): the REPLICA IDENTITY the connector gives each captured \
         table an entry matches, when the table's is another, before streaming.",
    )
    .check(|v| replica_identities(v).map(|_| ())),
);
/// `message.prefix.include.list`.
pub(super) const MESSAGE_PREFIX_INCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "message.prefix.include.list",
        ConfigType::List,
        "Regexes over the prefixes of logical decoding messages (pg_logical_emit_message) written to \
         <topic.prefix>.message; every prefix when empty.",
    )
    .check(valid_patterns),
);
/// `message.prefix.exclude.list`.
pub(super) const MESSAGE_PREFIX_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "message.prefix.exclude.list",
        ConfigType::List,
        "Regexes over the prefixes of logical decoding messages not written.",
    )
    .check(valid_patterns),
);
/// `snapshot.include.collection.list`.
pub(super) const SNAPSHOT_INCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "snapshot.include.collection.list",
        ConfigType::List,
        "Regexes over `schema.table`: the captured tables a snapshot reads (every captured table \
         when empty); the others' changes are streamed all the same.",
    )
    .check(valid_patterns),
);
/// `snapshot.mode`.
pub(super) const SNAPSHOT_MODE: Key<String> = Key::new(
    text(
        "snapshot.mode",
        "initial",
        "When the tables are read before streaming: initial (on the first start), always (on \
         every start), initial_only (on the first start, and nothing streamed), when_needed (on \
         the first start, and when the slot is gone), no_data (never; also `never`) or \
         configuration_based (as the snapshot.mode.configuration.based.* keys say).",
    )
    .one_of(&[
        "initial",
        "always",
        "initial_only",
        "when_needed",
        "no_data",
        "never",
        "configuration_based",
    ]),
);
/// `snapshot.mode.configuration.based.snapshot.data`.
pub(super) const CONFIGURED_SNAPSHOT_DATA: Key<bool> = Key::new(ConfigKey::optional(
    "snapshot.mode.configuration.based.snapshot.data",
    ConfigType::Boolean,
    "false",
    "With snapshot.mode=configuration_based: whether every start reads the tables.",
));
/// `snapshot.mode.configuration.based.start.stream`.
pub(super) const CONFIGURED_START_STREAM: Key<bool> = Key::new(ConfigKey::optional(
    "snapshot.mode.configuration.based.start.stream",
    ConfigType::Boolean,
    "false",
    "With snapshot.mode=configuration_based: whether changes are streamed (no slot is made when not).",
));
/// `snapshot.mode.configuration.based.snapshot.on.data.error`.
pub(super) const CONFIGURED_SNAPSHOT_ON_DATA_ERROR: Key<bool> = Key::new(ConfigKey::optional(
    "snapshot.mode.configuration.based.snapshot.on.data.error",
    ConfigType::Boolean,
    "false",
    "With snapshot.mode=configuration_based: whether a start that finds the slot gone (after the \
     first) reads the tables.",
));
/// `snapshot.mode.configuration.based.snapshot.schema`: Debezium's, without effect (Tributary
/// keeps no schema history).
pub(super) const CONFIGURED_SNAPSHOT_SCHEMA: Key<bool> = Key::new(ConfigKey::optional(
    "snapshot.mode.configuration.based.snapshot.schema",
    ConfigType::Boolean,
    "false",
    "Debezium's; no effect here: the connector keeps no schema history.",
));
/// `snapshot.mode.configuration.based.snapshot.on.schema.error`: Debezium's, without effect.
pub(super) const CONFIGURED_SNAPSHOT_ON_SCHEMA_ERROR: Key<bool> = Key::new(ConfigKey::optional(
    "snapshot.mode.configuration.based.snapshot.on.schema.error",
    ConfigType::Boolean,
    "false",
    "Debezium's; no effect here: the connector keeps no schema history.",
));
/// `snapshot.delay.ms`.
pub(super) const SNAPSHOT_DELAY: Key<Duration> = Key::new(ConfigKey::optional(
    "snapshot.delay.ms",
    ConfigType::Long,
    "0",
    "How long a start that reads the tables waits before it does (for instance while a cluster \
     of workers settles).",
));
/// `streaming.delay.ms`.
pub(super) const STREAMING_DELAY: Key<Duration> = Key::new(ConfigKey::optional(
    "streaming.delay.ms",
    ConfigType::Long,
    "0",
    "How long the task waits after the snapshot (or its absence) before it reads changes.",
));
/// `signal.data.collection`.
pub(super) const SIGNAL_DATA_COLLECTION: Key<Vec<String>> = Key::new(
    ConfigKey::unset(
        "signal.data.collection",
        ConfigType::List,
        "The signaling table, `<schema>.<table>` (columns id, type and data, all text; captured \
         and published like the tables): a row inserted with type execute-snapshot starts an \
         incremental snapshot of the tables its data names, read in chunks while changes \
         stream. Signaling is off when unset.",
    )
    .check(|v| match split_list(v).as_slice() {
        [] => Ok(()),
        [table] if signal_table(table).is_some() => Ok(()),
        [_] => Err("must name a table as <schema>.<table>".into()),
        _ => Err("one signaling table: the connector captures one database".into()),
    }),
);
/// `signal.enabled.channels`.
pub(super) const SIGNAL_CHANNELS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "signal.enabled.channels",
        ConfigType::List,
        "source",
        "Where signals are read from: source (the signaling table) is the only channel here.",
    )
    .check(|v| {
        split_list(v)
            .iter()
            .all(|channel| channel == "source")
            .then_some(())
            .ok_or_else(|| "only the source channel (the signaling table) is supported".into())
    }),
);
/// `signal.poll.interval.ms`: Debezium's, without effect.
pub(super) const SIGNAL_POLL_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "signal.poll.interval.ms",
    ConfigType::Long,
    "5000",
    "Debezium's poll interval of its other channels; no effect here (the signaling table's rows \
     arrive with the changes).",
));
/// `signal.emit.failure.max.retries`.
pub(super) const SIGNAL_EMIT_RETRIES: Key<i64> = Key::new(ConfigKey::optional(
    "signal.emit.failure.max.retries",
    ConfigType::Int,
    "0",
    "How many times writing a snapshot window's mark into the signaling table is tried again \
     after it failed.",
));
/// `signal.emit.failure.backoff.ms`.
pub(super) const SIGNAL_EMIT_BACKOFF: Key<Duration> = Key::new(ConfigKey::optional(
    "signal.emit.failure.backoff.ms",
    ConfigType::Long,
    "10000",
    "The wait before writing a window's mark again.",
));
/// `incremental.snapshot.chunk.size`.
pub(super) const INCREMENTAL_CHUNK_SIZE: Key<usize> = Key::new(
    ConfigKey::optional(
        "incremental.snapshot.chunk.size",
        ConfigType::Int,
        "1024",
        "Rows an incremental snapshot reads at a time (its memory and its window).",
    )
    .check(positive),
);
/// `incremental.snapshot.watermarking.strategy`.
pub(super) const INCREMENTAL_WATERMARKING: Key<String> = Key::new(
    ConfigKey::optional(
        "incremental.snapshot.watermarking.strategy",
        ConfigType::String,
        "INSERT_INSERT",
        "How a chunk's window is marked in the signaling table: insert_insert (a row opens it, \
         another closes it) or insert_delete (the opening row is deleted to close it, so the \
         table does not grow).",
    )
    .check(|v| {
        ["insert_insert", "insert_delete"]
            .contains(&v.trim().to_ascii_lowercase().as_str())
            .then_some(())
            .ok_or_else(|| "must be insert_insert or insert_delete".into())
    }),
);
/// `incremental.snapshot.allow.schema.changes`: Debezium's, without effect.
pub(super) const INCREMENTAL_SCHEMA_CHANGES: Key<bool> = Key::new(ConfigKey::optional(
    "incremental.snapshot.allow.schema.changes",
    ConfigType::Boolean,
    "false",
    "Debezium's (for its MySQL connector); no effect here: each chunk is read with the table's \
     columns of the moment.",
));
/// `snapshot.select.statement.overrides`.
pub(super) const SNAPSHOT_OVERRIDES: Key<Vec<String>> = Key::new(ConfigKey::unset(
    "snapshot.select.statement.overrides",
    ConfigType::String,
    "Tables (schema.table) whose snapshot reads the rows of a SELECT of your own, given in key \
     snapshot.select.statement.overrides.<schema>.<table> (for instance a WHERE that leaves \
     out rows). It must return the table's columns.",
));
/// `tombstones.on.delete`.
pub(super) const TOMBSTONES_ON_DELETE: Key<bool> = Key::new(ConfigKey::optional(
    "tombstones.on.delete",
    ConfigType::Boolean,
    "true",
    "Whether a delete is followed by a tombstone.",
));
/// `extended.headers.enabled`.
pub(super) const EXTENDED_HEADERS: Key<bool> = Key::new(ConfigKey::optional(
    "extended.headers.enabled",
    ConfigType::Boolean,
    "true",
    "Whether each record carries Debezium's context headers (`__debezium.context.*`: the \
     connector's logical name, the task, the connector's name and the task's run).",
));
/// `decimal.handling.mode`.
pub(super) const DECIMAL_HANDLING: Key<String> = Key::new(
    text(
        "decimal.handling.mode",
        "precise",
        "How NUMERIC and MONEY values are written: precise (Connect's Decimal), double or string.",
    )
    .one_of(&["precise", "double", "string"]),
);
/// `time.precision.mode`.
pub(super) const TIME_PRECISION: Key<String> = Key::new(
    text(
        "time.precision.mode",
        "adaptive",
        "How dates, times and timestamps are written: adaptive (each column's precision), \
         adaptive_time_microseconds (times in microseconds), connect (Connect's Date, Time and \
         Timestamp, in milliseconds), microseconds, nanoseconds or isostring (ISO-8601 text).",
    )
    .one_of(&[
        "adaptive",
        "adaptive_time_microseconds",
        "connect",
        "microseconds",
        "nanoseconds",
        "isostring",
    ]),
);
/// `interval.handling.mode`.
pub(super) const INTERVAL_HANDLING: Key<String> = Key::new(
    text(
        "interval.handling.mode",
        "numeric",
        "How intervals are written: numeric (microseconds) or string (ISO 8601).",
    )
    .one_of(&["numeric", "string"]),
);
/// `binary.handling.mode`.
pub(super) const BINARY_HANDLING: Key<String> = Key::new(
    text(
        "binary.handling.mode",
        "bytes",
        "How BYTEA values are written: bytes, base64, base64-url-safe or hex.",
    )
    .one_of(&["bytes", "base64", "base64-url-safe", "hex"]),
);
/// `hstore.handling.mode`.
pub(super) const HSTORE_HANDLING: Key<String> = Key::new(
    text(
        "hstore.handling.mode",
        "json",
        "How HSTORE values are written: json (text) or map.",
    )
    .one_of(&["json", "map"]),
);
/// `include.unknown.datatypes`.
pub(super) const INCLUDE_UNKNOWN_TYPES: Key<bool> = Key::new(ConfigKey::optional(
    "include.unknown.datatypes",
    ConfigType::Boolean,
    "false",
    "Whether columns of composite types are written (as their text's bytes, as binary.handling.mode \
     writes bytes) rather than left out.",
));
/// `schema.name.adjustment.mode`.
pub(super) const SCHEMA_NAME_ADJUSTMENT: Key<String> = Key::new(
    ConfigKey::optional(
        "schema.name.adjustment.mode",
        ConfigType::String,
        "none",
        "How schema names are made valid for converters that need it: none, avro (a character \
         Avro does not take written _) or avro_unicode (it and underscores written _u<hex>).",
    )
    .check(name_adjustment),
);
/// `field.name.adjustment.mode`.
pub(super) const FIELD_NAME_ADJUSTMENT: Key<String> = Key::new(
    ConfigKey::optional(
        "field.name.adjustment.mode",
        ConfigType::String,
        "none",
        "How field names (columns) are made valid for converters that need it: none, avro or \
         avro_unicode, as schema.name.adjustment.mode.",
    )
    .check(name_adjustment),
);
/// `provide.transaction.metadata`.
pub(super) const TRANSACTION_METADATA: Key<bool> = Key::new(ConfigKey::optional(
    "provide.transaction.metadata",
    ConfigType::Boolean,
    "false",
    "Whether each streamed transaction's BEGIN and END go to topic <topic.prefix>.<topic.transaction> \
     and each change event carries its place in its transaction (`transaction`).",
));
/// `topic.transaction`.
pub(super) const TOPIC_TRANSACTION: Key<String> = Key::new(text(
    "topic.transaction",
    "transaction",
    "The transaction metadata topic's name after <topic.prefix>.",
));
/// `topic.delimiter`.
pub(super) const TOPIC_DELIMITER: Key<String> = Key::new(
    text(
        "topic.delimiter",
        ".",
        "What joins the parts of a topic's name: <topic.prefix>, schema and table; \
         <topic.prefix> and topic.transaction; topic.heartbeat.prefix and <topic.prefix>.",
    )
    .check(|v| {
        (!v.is_empty() && v.chars().all(topic_character))
            .then_some(())
            .ok_or_else(|| {
                format!(
                    "{v:?} has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)"
                )
            })
    }),
);
/// `heartbeat.interval.ms`.
pub(super) const HEARTBEAT_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "heartbeat.interval.ms",
    ConfigType::Int,
    "0",
    "How often, while streaming, a heartbeat record carries the stream's position to topic \
     <topic.heartbeat.prefix>.<topic.prefix> (its offset committed moves the slot on when the \
     captured tables are quiet); 0 for none.",
));
/// `topic.heartbeat.prefix`.
pub(super) const HEARTBEAT_TOPIC_PREFIX: Key<String> = Key::new(text(
    "topic.heartbeat.prefix",
    "__debezium-heartbeat",
    "The heartbeat topic's name before .<topic.prefix>.",
));
/// `heartbeat.action.query`.
pub(super) const HEARTBEAT_ACTION_QUERY: Key<String> = Key::new(ConfigKey::unset(
    "heartbeat.action.query",
    ConfigType::String,
    "SQL run before each heartbeat (for instance an update of a captured table, so that a \
     database whose captured tables are quiet still sends changes).",
));
/// `unavailable.value.placeholder`.
pub(super) const UNAVAILABLE_PLACEHOLDER: Key<String> = Key::new(
    text(
        "unavailable.value.placeholder",
        DEFAULT_PLACEHOLDER,
        "What a TOASTed value an update left alone (which the stream does not send) is written as: \
         this text, or the bytes after hex: in hex digits (shaped by column type as Debezium shapes it).",
    )
    .check(|v| Placeholder::parse(v).map(|_| ())),
);
/// `max.batch.size`.
pub(super) const MAX_BATCH_SIZE: Key<usize> = Key::new(
    ConfigKey::optional("max.batch.size", ConfigType::Int, "2048", "Records per batch at most.").check(positive),
);
/// `poll.interval.ms`.
pub(super) const POLL_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "poll.interval.ms",
    ConfigType::Long,
    "500",
    "How long to wait when there are no new changes.",
));
/// `database.sslmode`.
pub(super) const SSL_MODE: Key<String> = Key::new(
    text(
        "database.sslmode",
        "prefer",
        "TLS to the server: disable, allow (taken as prefer), prefer (TLS when the server offers \
         it), require, verify-ca or verify-full.",
    )
    .check(|v| {
        ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
            .contains(&v.trim())
            .then_some(())
            .ok_or_else(|| "must be disable, allow, prefer, require, verify-ca or verify-full".into())
    }),
);
/// `database.sslrootcert`.
pub(super) const SSL_ROOT_CERT: Key<String> = Key::new(ConfigKey::unset(
    "database.sslrootcert",
    ConfigType::String,
    "A PEM file of the CA certificates to trust (verify-ca, verify-full); the public roots when empty.",
));
/// `database.sslcert`.
pub(super) const SSL_CERT: Key<String> = Key::new(ConfigKey::unset(
    "database.sslcert",
    ConfigType::String,
    "A PEM file of the client's certificate (and its chain), for a server that authenticates \
     clients by certificate; with database.sslkey.",
));
/// `database.sslkey`.
pub(super) const SSL_KEY: Key<String> = Key::new(ConfigKey::unset(
    "database.sslkey",
    ConfigType::String,
    "A PEM file of the private key of database.sslcert (PKCS #8, PKCS #1 or SEC1, not encrypted).",
));
/// `database.sslpassword`: Debezium's password of an encrypted key, which Tributary does not
/// read (refused at validation).
pub(super) const SSL_PASSWORD: Key<String> = Key::new(ConfigKey::unset(
    "database.sslpassword",
    ConfigType::Password,
    "The password of an encrypted database.sslkey; not supported: give the key unencrypted.",
));
/// `database.initial.statements`.
pub(super) const INITIAL_STATEMENTS: Key<String> = Key::new(ConfigKey::unset(
    "database.initial.statements",
    ConfigType::String,
    "SQL statements, separated by semicolons (`;;` for a semicolon within one), run on each SQL \
     connection when it is made (not the replication connection): for session settings.",
));
/// `lsn.flush.mode`.
pub(super) const LSN_FLUSH_MODE: Key<String> = Key::new(
    ConfigKey::unset(
        "lsn.flush.mode",
        ConfigType::String,
        "Who confirms positions to the slot: connector (up to what the worker committed), manual \
         (never: another process moves the slot) or connector_and_driver (as connector: the slot is \
         never confirmed beyond the committed offsets). When unset, flush.lsn.source decides.",
    )
    .check(|v| {
        (v.trim().is_empty() || FlushMode::from_name(v).is_some())
            .then_some(())
            .ok_or_else(|| "must be connector, manual or connector_and_driver".into())
    }),
);
/// `flush.lsn.source`: Debezium's older form of `lsn.flush.mode` (false: manual).
pub(super) const FLUSH_LSN_SOURCE: Key<bool> = Key::new(ConfigKey::optional(
    "flush.lsn.source",
    ConfigType::Boolean,
    "true",
    "Whether the connector confirms positions to the slot (false: another process does), when \
     lsn.flush.mode is unset.",
));
/// `status.update.interval.ms`.
pub(super) const STATUS_UPDATE_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "status.update.interval.ms",
    ConfigType::Int,
    "10000",
    "How often the server is told the position it may confirm for the slot.",
));
/// `errors.max.retries`.
pub(super) const MAX_RETRIES: Key<i64> = Key::new(ConfigKey::optional(
    "errors.max.retries",
    ConfigType::Int,
    "5",
    "Failed attempts in a row (database down) before the task fails; -1 for no limit (Debezium's \
     default), 0 to fail at the first.",
));
/// `retriable.restart.connector.wait.ms`.
pub(super) const RETRY_WAIT: Key<Duration> = Key::new(ConfigKey::optional(
    "retriable.restart.connector.wait.ms",
    ConfigType::Long,
    "10000",
    "Wait between attempts.",
));

/// Every key of the connector.
pub(super) fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&HOSTNAME)
        .key(&PORT)
        .key(&USER)
        .key(&PASSWORD)
        .key(&DBNAME)
        .key(&TOPIC_PREFIX)
        .key(&PLUGIN_NAME)
        .key(&SLOT_NAME)
        .key(&SLOT_DROP_ON_STOP)
        .key(&PUBLICATION_NAME)
        .key(&PUBLICATION_AUTOCREATE)
        .key(&PUBLISH_VIA_PARTITION_ROOT)
        .key(&SCHEMA_INCLUDE)
        .key(&SCHEMA_EXCLUDE)
        .key(&TABLE_INCLUDE)
        .key(&TABLE_EXCLUDE)
        .key(&COLUMN_INCLUDE)
        .key(&COLUMN_EXCLUDE)
        .key(&PROPAGATE_SOURCE_TYPE)
        .key(&PROPAGATE_SOURCE_DATATYPE)
        .key(&MESSAGE_KEY_COLUMNS)
        .key(&SKIPPED_OPERATIONS)
        .key(&SKIP_UNCHANGED)
        .key(&MESSAGE_PREFIX_INCLUDE)
        .key(&MESSAGE_PREFIX_EXCLUDE)
        .key(&SNAPSHOT_MODE)
        .key(&SNAPSHOT_DELAY)
        .key(&STREAMING_DELAY)
        .key(&CONFIGURED_SNAPSHOT_DATA)
        .key(&CONFIGURED_SNAPSHOT_SCHEMA)
        .key(&CONFIGURED_START_STREAM)
        .key(&CONFIGURED_SNAPSHOT_ON_SCHEMA_ERROR)
        .key(&CONFIGURED_SNAPSHOT_ON_DATA_ERROR)
        .key(&SNAPSHOT_INCLUDE)
        .key(&REPLICA_IDENTITY_AUTOSET)
        .key(&SNAPSHOT_OVERRIDES)
        .key(&SIGNAL_DATA_COLLECTION)
        .key(&SIGNAL_CHANNELS)
        .key(&SIGNAL_POLL_INTERVAL)
        .key(&SIGNAL_EMIT_RETRIES)
        .key(&SIGNAL_EMIT_BACKOFF)
        .key(&INCREMENTAL_CHUNK_SIZE)
        .key(&INCREMENTAL_WATERMARKING)
        .key(&INCREMENTAL_SCHEMA_CHANGES)
        .key(&TOMBSTONES_ON_DELETE)
        .key(&EXTENDED_HEADERS)
        .key(&DECIMAL_HANDLING)
        .key(&TIME_PRECISION)
        .key(&INTERVAL_HANDLING)
        .key(&BINARY_HANDLING)
        .key(&HSTORE_HANDLING)
        .key(&INCLUDE_UNKNOWN_TYPES)
        .key(&SCHEMA_NAME_ADJUSTMENT)
        .key(&FIELD_NAME_ADJUSTMENT)
        .key(&TRANSACTION_METADATA)
        .key(&TOPIC_TRANSACTION)
        .key(&TOPIC_DELIMITER)
        .key(&HEARTBEAT_INTERVAL)
        .key(&HEARTBEAT_TOPIC_PREFIX)
        .key(&HEARTBEAT_ACTION_QUERY)
        .key(&UNAVAILABLE_PLACEHOLDER)
        .key(&MAX_BATCH_SIZE)
        .key(&POLL_INTERVAL)
        .key(&SSL_MODE)
        .key(&SSL_ROOT_CERT)
        .key(&SSL_CERT)
        .key(&SSL_KEY)
        .key(&SSL_PASSWORD)
        .key(&INITIAL_STATEMENTS)
        .key(&LSN_FLUSH_MODE)
        .key(&FLUSH_LSN_SOURCE)
        .key(&STATUS_UPDATE_INTERVAL)
        .key(&MAX_RETRIES)
        .key(&RETRY_WAIT)
}

/// The compiled regexes of a table or column list (`Err` with the bad pattern's message):
/// each matches a whole name, in any case, as Debezium's lists do.
fn patterns(list: &[String]) -> Result<Vec<Regex>, String> {
    list.iter()
        .map(|p| Regex::new(&format!("(?i)^(?:{p})$")).map_err(|e| format!("bad pattern {p:?}: {e}")))
        .collect()
}

/// The patterns of `message.key.columns` (`<table regex>:<column>,<column>;...`), one
/// `<table regex>.<column>` per column named, in the order named, matched against
/// `schema.table.column` names.
fn message_keys(value: &str) -> Result<Vec<Regex>, String> {
    let entries: Vec<Vec<Regex>> = value
        .split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let malformed = || format!("{entry:?} is not <table regex>:<column>,<column>,...");
            let (table, columns) = entry.split_once(':').ok_or_else(malformed)?;
            let columns: Vec<&str> = columns.split(',').map(str::trim).collect();
            if table.trim().is_empty() || columns.iter().any(|c| c.is_empty() || c.contains(':')) {
                return Err(malformed());
            }
            let table = table.trim();
            patterns(
                &columns
                    .iter()
                    .map(|column| format!("{table}.{column}"))
                    .collect::<Vec<_>>(),
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(entries.into_iter().flatten().collect())
}

/// The rewrites of `column.mask.with.<n>.chars`, `column.truncate.to.<n>.chars` and
/// `column.mask.hash.[v2.]<algorithm>.with.salt.<salt>` keys of
/// `config`, in Debezium's order (see below), each with its columns' patterns (`Err` with a bad
/// pattern's message or an unknown hash algorithm).
pub(super) fn text_rewrites(
    config: &tributary_runtime::config::ConfigMap,
) -> Result<Vec<(TextRewrite, Vec<Regex>)>, String> {
    let mut rewrites = Vec::new();
    for (key, value) in config {
        let rewrite = if let Some(length) = key
            .strip_prefix("column.mask.with.")
            .and_then(|k| k.strip_suffix(".chars"))
        {
            length.parse().ok().map(TextRewrite::Mask)
        } else if let Some(length) = key
            .strip_prefix("column.truncate.to.")
            .and_then(|k| k.strip_suffix(".chars"))
        {
            length.parse().ok().map(TextRewrite::Truncate)
        } else {
            TextHash::from_key(key)
                .transpose()?
                .map(|hash| TextRewrite::Hash(Arc::new(hash), None))
        };
        if let Some(rewrite) = rewrite {
            rewrites.push((rewrite, patterns(&split_list(value))?));
        }
    }
    // A column takes the first rule that names it, in Debezium's order of rules: cuts, then
    // masks, then hashes (version 1 before 2).
    rewrites.sort_by_key(|(rewrite, _)| match rewrite {
        TextRewrite::Truncate(_) => 0,
        TextRewrite::Mask(_) => 1,
        TextRewrite::Hash(hash, _) => 2 + usize::from(hash.is_v2()),
    });
    Ok(rewrites)
}

/// Whether `name` is selected by an include list (every name when it is empty) and not
/// refused by an exclude list, as Debezium's `*.include.list`/`*.exclude.list` pairs select.
fn selected(include: &[Regex], exclude: &[Regex], name: &str) -> bool {
    (include.is_empty() || include.iter().any(|r| r.is_match(name))) && !exclude.iter().any(|r| r.is_match(name))
}

/// Debezium's checks across keys: an include list and its exclude list are not both given (the
/// exclude list refused, with Debezium's message).
pub(super) fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let given = |name: &str| config.get(name).is_some_and(|v| !v.trim().is_empty());
    let mut errors: Vec<ValidationError> = [
        (&SCHEMA_INCLUDE, &SCHEMA_EXCLUDE),
        (&TABLE_INCLUDE, &TABLE_EXCLUDE),
        (&COLUMN_INCLUDE, &COLUMN_EXCLUDE),
        (&MESSAGE_PREFIX_INCLUDE, &MESSAGE_PREFIX_EXCLUDE),
    ]
    .into_iter()
    .filter(|(include, exclude)| given(include.name()) && given(exclude.name()))
    .map(|(include, exclude)| ValidationError {
        key: exclude.name().to_string(),
        message: format!("\"{}\" is already specified", include.name()),
    })
    .collect();
    for (present, missing) in [(&SSL_CERT, &SSL_KEY), (&SSL_KEY, &SSL_CERT)] {
        if given(present.name()) && !given(missing.name()) {
            errors.push(ValidationError {
                key: missing.name().to_string(),
                message: format!("is needed with {}", present.name()),
            });
        }
    }
    if given(SSL_PASSWORD.name()) {
        errors.push(ValidationError {
            key: SSL_PASSWORD.name().to_string(),
            message: "encrypted client keys are not supported: give database.sslkey the key unencrypted \
                      (openssl pkey -in <key> -out <unencrypted key>) and leave this key unset"
                .to_string(),
        });
    }
    errors
}

/// The statements of `database.initial.statements`: split at each `;`, where `;;` is a
/// semicolon within a statement, trimmed, empty ones left out (as Debezium's JDBC connection
/// reads them).
fn statements(value: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ';' {
            current.push(c);
        } else if chars.next_if_eq(&';').is_some() {
            current.push(';');
        } else {
            statements.push(std::mem::take(&mut current));
        }
    }
    statements.push(current);
    statements
        .into_iter()
        .map(|statement| statement.trim().to_string())
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// A `replica.identity.autoset.values` entry.
#[derive(Debug, Clone)]
pub(super) struct ReplicaIdentity {
    /// The tables it applies to, by `schema.table`.
    pub(super) tables: Regex,
    /// The identity it gives them.
    pub(super) identity: Identity,
}

/// A table's REPLICA IDENTITY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Identity {
    /// The primary key's columns.
    Default,
    /// Every column.
    Full,
    /// None.
    Nothing,
    /// `USING INDEX <index>`: the index's columns.
    Index(String),
}

impl Identity {
    /// The clause of `ALTER TABLE` that sets it.
    pub(super) fn clause(&self) -> String {
        match self {
            Identity::Default => "REPLICA IDENTITY DEFAULT".into(),
            Identity::Full => "REPLICA IDENTITY FULL".into(),
            Identity::Nothing => "REPLICA IDENTITY NOTHING".into(),
            Identity::Index(index) => format!("REPLICA IDENTITY USING INDEX \"{}\"", index.replace('"', "\"\"")),
        }
    }

    /// Whether a table whose `pg_class.relreplident` is `code` (`d`, `f`, `n` or `i`), with
    /// replica identity index `index` (as `regclass` names it: qualified and quoted where it
    /// must be), has this identity.
    pub(super) fn is(&self, code: &str, index: Option<&str>) -> bool {
        let unqualified = |index: &str| {
            index
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string()
        };
        match self {
            Identity::Default => code == "d",
            Identity::Full => code == "f",
            Identity::Nothing => code == "n",
            Identity::Index(wanted) => code == "i" && index.map(unqualified).as_deref() == Some(wanted.as_str()),
        }
    }
}

/// The entries of `replica.identity.autoset.values` (`<table regex>:<identity>`,
/// comma-separated; the identity in any case, an index named by a word), as Debezium's
/// `ReplicaIdentityMapper` reads them.
fn replica_identities(value: &str) -> Result<Vec<ReplicaIdentity>, String> {
    value
        .split(',')
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            let malformed = || {
                format!(
                    "{:?} is not <table regex>:<replica identity> (DEFAULT, FULL, NOTHING or INDEX <index>)",
                    entry.trim()
                )
            };
            let (tables, identity) = entry.trim().split_once(':').ok_or_else(malformed)?;
            if tables.is_empty() || tables.contains(char::is_whitespace) {
                return Err(malformed());
            }
            let identity = match identity.to_ascii_uppercase().as_str() {
                "DEFAULT" => Identity::Default,
                "FULL" => Identity::Full,
                "NOTHING" => Identity::Nothing,
                upper if upper.starts_with("INDEX ") => {
                    let index = &identity["INDEX ".len()..];
                    if index.is_empty() || !index.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        return Err(malformed());
                    }
                    Identity::Index(index.to_string())
                }
                _ => return Err(malformed()),
            };
            let tables = patterns(&[tables.to_string()])?.remove(0);
            Ok(ReplicaIdentity { tables, identity })
        })
        .collect()
}

/// A [`Validator`](tributary_runtime::config::Validator) of a list of table regexes.
fn valid_patterns(value: &str) -> Result<(), String> {
    patterns(&split_list(value)).map(|_| ())
}

/// `lsn.flush.mode`: who confirms positions to the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FlushMode {
    /// The connector, up to what the worker committed (`connector`, and
    /// `connector_and_driver`, whose driver's flushes past that Tributary does not make).
    Connector,
    /// Another process (`manual`).
    Manual,
}

impl FlushMode {
    /// The mode of an `lsn.flush.mode` value (trimmed, in any case).
    fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "connector" | "connector_and_driver" => Some(FlushMode::Connector),
            "manual" => Some(FlushMode::Manual),
            _ => None,
        }
    }

    /// The mode `config` gives: `lsn.flush.mode`, else `flush.lsn.source`.
    fn of(config: &ParsedConfig) -> Self {
        FlushMode::from_name(&config.value(&LSN_FLUSH_MODE)).unwrap_or(if config.value(&FLUSH_LSN_SOURCE) {
            FlushMode::Connector
        } else {
            FlushMode::Manual
        })
    }
}

/// `snapshot.mode`: when the tables are read before (or instead of) streaming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum SnapshotMode {
    /// On the first start (until a snapshot was handed out completely).
    #[default]
    Initial,
    /// On every start of the task.
    Always,
    /// On the first start, and nothing streamed: no slot is made.
    InitialOnly,
    /// On the first start, and on a start that finds the slot gone (the changes since the
    /// committed offset are lost with it).
    WhenNeeded,
    /// Never (`no_data`, or `never` as Debezium 2 named it).
    NoData,
    /// As its keys say (`configuration_based`): on every start (`data`), and on a start
    /// after the first that finds the slot gone (`on_data_error`); nothing streamed, and no
    /// slot made, unless `stream`.
    ConfigurationBased {
        data: bool,
        stream: bool,
        on_data_error: bool,
    },
}

impl SnapshotMode {
    /// The mode of a `snapshot.mode` value (trimmed, in any case).
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "initial" => SnapshotMode::Initial,
            "always" => SnapshotMode::Always,
            "initial_only" => SnapshotMode::InitialOnly,
            "when_needed" => SnapshotMode::WhenNeeded,
            "no_data" | "never" => SnapshotMode::NoData,
            _ => return None,
        })
    }

    /// The mode `config` gives: `snapshot.mode`, and, for `configuration_based`, its keys.
    fn of(config: &ParsedConfig) -> Self {
        let name = config.value(&SNAPSHOT_MODE);
        if name.trim().eq_ignore_ascii_case("configuration_based") {
            return SnapshotMode::ConfigurationBased {
                data: config.value(&CONFIGURED_SNAPSHOT_DATA),
                stream: config.value(&CONFIGURED_START_STREAM),
                on_data_error: config.value(&CONFIGURED_SNAPSHOT_ON_DATA_ERROR),
            };
        }
        SnapshotMode::from_name(&name).unwrap_or_default()
    }

    /// Whether changes are streamed after the snapshot (or its absence).
    pub(super) fn streams(self) -> bool {
        match self {
            SnapshotMode::InitialOnly => false,
            SnapshotMode::ConfigurationBased { stream, .. } => stream,
            _ => true,
        }
    }

    /// Whether a start reads the tables: `first_run` until a snapshot was handed out
    /// completely (or something was streamed), `slot_missing` when the task's slot is not
    /// there.
    pub(super) fn reads_tables(self, first_run: bool, slot_missing: bool) -> bool {
        match self {
            SnapshotMode::Initial | SnapshotMode::InitialOnly => first_run,
            SnapshotMode::Always => true,
            SnapshotMode::WhenNeeded => first_run || slot_missing,
            SnapshotMode::NoData => false,
            SnapshotMode::ConfigurationBased {
                data, on_data_error, ..
            } => data || (on_data_error && !first_run && slot_missing),
        }
    }
}

/// The task's settings.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) user: String,
    pub(super) password: String,
    /// `database.sslmode`: disable, prefer, require, verify-ca or verify-full.
    pub(super) ssl_mode: String,
    /// `database.sslrootcert`: the CA certificates (PEM) verify-ca and verify-full trust.
    pub(super) ssl_root_cert: Option<String>,
    /// `database.sslcert` and `database.sslkey`: the client's certificate and key (PEM), when
    /// both are given.
    pub(super) client_certificate: Option<(PathBuf, PathBuf)>,
    pub(super) prefix: String,
    pub(super) database: String,
    pub(super) slot: String,
    /// `slot.drop.on.stop`.
    pub(super) drop_slot_on_stop: bool,
    /// `lsn.flush.mode` (or `flush.lsn.source`).
    pub(super) flush_mode: FlushMode,
    pub(super) publication: String,
    pub(super) autocreate: String,
    /// `publish.via.partition.root`.
    pub(super) via_partition_root: bool,
    /// `schema.include.list` and `schema.exclude.list`.
    pub(super) schema_include: Vec<Regex>,
    pub(super) schema_exclude: Vec<Regex>,
    pub(super) include: Vec<Regex>,
    pub(super) exclude: Vec<Regex>,
    pub(super) column_include: Vec<Regex>,
    pub(super) column_exclude: Vec<Regex>,
    /// `column.propagate.source.type`.
    pub(super) propagate_source_type: Vec<Regex>,
    /// `datatype.propagate.source.type`.
    pub(super) propagate_source_datatype: Vec<Regex>,
    /// `message.key.columns`: a pattern per key column named, in the order named.
    pub(super) message_keys: Vec<Regex>,
    /// `column.mask.with.<n>.chars`, `column.truncate.to.<n>.chars` and `column.mask.hash.*`:
    /// each rewrite with the patterns of the columns it applies to.
    pub(super) text_rewrites: Vec<(TextRewrite, Vec<Regex>)>,
    /// `skipped.operations`: the `op` codes not written.
    pub(super) skipped: Vec<String>,
    /// `skip.messages.without.change`.
    pub(super) skip_unchanged: bool,
    /// `message.prefix.include.list` and `message.prefix.exclude.list`.
    pub(super) message_prefix_include: Vec<Regex>,
    pub(super) message_prefix_exclude: Vec<Regex>,
    /// `snapshot.mode`.
    pub(super) snapshot: SnapshotMode,
    /// `snapshot.select.statement.overrides`: each listed table's SELECT, by `schema.table`.
    pub(super) snapshot_selects: HashMap<String, String>,
    /// `replica.identity.autoset.values`, in the order given.
    pub(super) replica_identities: Vec<ReplicaIdentity>,
    /// `snapshot.include.collection.list` (every captured table when empty).
    pub(super) snapshot_include: Vec<Regex>,
    pub(super) tombstones: bool,
    pub(super) extended_headers: bool,
    /// How columns are written: `decimal.handling.mode`, `time.precision.mode`,
    /// `binary.handling.mode`, `interval.handling.mode`, `hstore.handling.mode` and
    /// `include.unknown.datatypes`.
    pub(super) mapping: Mapping,
    /// `unavailable.value.placeholder`.
    pub(super) placeholder: Arc<Placeholder>,
    /// The transaction metadata topic (`<topic.prefix>.<topic.transaction>`) when
    /// `provide.transaction.metadata` is on.
    pub(super) transaction_topic: Option<String>,
    /// `heartbeat.interval.ms` (none for 0) and the heartbeat topic,
    /// `<topic.heartbeat.prefix>.<topic.prefix>`.
    pub(super) heartbeat: Option<(Duration, String)>,
    /// `topic.delimiter`.
    pub(super) delimiter: String,
    /// `heartbeat.action.query`, when set.
    pub(super) heartbeat_action_query: Option<String>,
    /// `database.initial.statements`, one by one.
    pub(super) initial_statements: Arc<[String]>,
    pub(super) max_batch: usize,
    pub(super) poll_interval: Duration,
    pub(super) status_interval: Duration,
    /// `errors.max.retries`; `None` for no limit (a negative value).
    pub(super) max_retries: Option<u32>,
    pub(super) retry_wait: Duration,
    /// `snapshot.delay.ms` and `streaming.delay.ms`.
    pub(super) snapshot_delay: Duration,
    pub(super) streaming_delay: Duration,
    /// Incremental snapshots, when `signal.data.collection` names a signaling table.
    pub(super) signaling: Option<Signaling>,
}

/// Incremental snapshots' settings.
#[derive(Debug, Clone)]
pub(super) struct Signaling {
    /// The signaling table: schema and name.
    pub(super) table: (String, String),
    /// `incremental.snapshot.chunk.size`.
    pub(super) chunk_size: usize,
    /// `incremental.snapshot.watermarking.strategy=insert_delete`: a window closes by deleting
    /// the row that opened it.
    pub(super) close_by_delete: bool,
    /// `signal.emit.failure.max.retries`.
    pub(super) emit_retries: u32,
    /// `signal.emit.failure.backoff.ms`.
    pub(super) emit_backoff: Duration,
}

/// Checks a name adjustment mode.
fn name_adjustment(value: &str) -> Result<(), String> {
    NameAdjustment::parse(value)
        .map(|_| ())
        .ok_or_else(|| "must be none, avro or avro_unicode".to_string())
}

/// `schema` and `table` of a signaling table named `<schema>.<table>`.
fn signal_table(name: &str) -> Option<(String, String)> {
    match name.split('.').collect::<Vec<_>>().as_slice() {
        [schema, table] if !schema.is_empty() && !table.is_empty() => Some((schema.to_string(), table.to_string())),
        _ => None,
    }
}

impl Settings {
    /// The settings of `config`.
    pub(super) fn new(config: &ParsedConfig) -> Self {
        Settings {
            host: config.value(&HOSTNAME),
            port: config.value(&PORT),
            user: config.value(&USER),
            password: config.value(&PASSWORD),
            ssl_mode: config.value(&SSL_MODE).trim().to_string(),
            ssl_root_cert: Some(config.value(&SSL_ROOT_CERT)).filter(|p| !p.trim().is_empty()),
            client_certificate: Some((config.value(&SSL_CERT), config.value(&SSL_KEY)))
                .filter(|(cert, key)| !cert.trim().is_empty() && !key.trim().is_empty())
                .map(|(cert, key)| (PathBuf::from(cert.trim()), PathBuf::from(key.trim()))),
            prefix: config.value(&TOPIC_PREFIX),
            database: config.value(&DBNAME),
            slot: config.value(&SLOT_NAME),
            drop_slot_on_stop: config.value(&SLOT_DROP_ON_STOP),
            flush_mode: FlushMode::of(config),
            publication: config.value(&PUBLICATION_NAME),
            autocreate: config.value(&PUBLICATION_AUTOCREATE).trim().to_string(),
            via_partition_root: config.value(&PUBLISH_VIA_PARTITION_ROOT),
            schema_include: patterns(&config.value(&SCHEMA_INCLUDE)).unwrap_or_default(),
            schema_exclude: patterns(&config.value(&SCHEMA_EXCLUDE)).unwrap_or_default(),
            include: patterns(&config.value(&TABLE_INCLUDE)).unwrap_or_default(),
            exclude: patterns(&config.value(&TABLE_EXCLUDE)).unwrap_or_default(),
            column_include: patterns(&config.value(&COLUMN_INCLUDE)).unwrap_or_default(),
            column_exclude: patterns(&config.value(&COLUMN_EXCLUDE)).unwrap_or_default(),
            propagate_source_type: patterns(&config.value(&PROPAGATE_SOURCE_TYPE)).unwrap_or_default(),
            propagate_source_datatype: patterns(&config.value(&PROPAGATE_SOURCE_DATATYPE)).unwrap_or_default(),
            message_keys: message_keys(&config.value(&MESSAGE_KEY_COLUMNS)).unwrap_or_default(),
            text_rewrites: text_rewrites(config.values()).unwrap_or_default(),
            skipped: config.value(&SKIPPED_OPERATIONS),
            skip_unchanged: config.value(&SKIP_UNCHANGED),
            message_prefix_include: patterns(&config.value(&MESSAGE_PREFIX_INCLUDE)).unwrap_or_default(),
            message_prefix_exclude: patterns(&config.value(&MESSAGE_PREFIX_EXCLUDE)).unwrap_or_default(),
            snapshot: SnapshotMode::of(config),
            replica_identities: replica_identities(&config.value(&REPLICA_IDENTITY_AUTOSET)).unwrap_or_default(),
            snapshot_include: patterns(&config.value(&SNAPSHOT_INCLUDE)).unwrap_or_default(),
            snapshot_selects: config
                .value(&SNAPSHOT_OVERRIDES)
                .into_iter()
                .filter_map(|table| {
                    let select = config.get(&format!("{}.{table}", SNAPSHOT_OVERRIDES.name()))?;
                    let select = select.trim().trim_end_matches(';').trim_end();
                    (!select.is_empty()).then(|| (table, select.to_string()))
                })
                .collect(),
            tombstones: config.value(&TOMBSTONES_ON_DELETE),
            extended_headers: config.value(&EXTENDED_HEADERS),
            mapping: Mapping {
                decimals: DecimalHandling::from_name(&config.value(&DECIMAL_HANDLING)).unwrap_or_default(),
                times: TimePrecision::from_name(&config.value(&TIME_PRECISION)).unwrap_or_default(),
                binary: BinaryHandling::from_name(&config.value(&BINARY_HANDLING)).unwrap_or_default(),
                intervals_as_text: config.value(&INTERVAL_HANDLING).trim().eq_ignore_ascii_case("string"),
                hstore_as_map: config.value(&HSTORE_HANDLING).trim().eq_ignore_ascii_case("map"),
                unknown_types: config.value(&INCLUDE_UNKNOWN_TYPES),
                schema_names: NameAdjustment::parse(&config.value(&SCHEMA_NAME_ADJUSTMENT)).unwrap_or_default(),
                field_names: NameAdjustment::parse(&config.value(&FIELD_NAME_ADJUSTMENT)).unwrap_or_default(),
            },
            placeholder: Arc::new(Placeholder::parse(&config.value(&UNAVAILABLE_PLACEHOLDER)).unwrap_or_default()),
            transaction_topic: config.value(&TRANSACTION_METADATA).then(|| {
                [
                    config.value(&TOPIC_PREFIX),
                    config.value(&TOPIC_TRANSACTION).trim().to_string(),
                ]
                .join(&config.value(&TOPIC_DELIMITER))
            }),
            heartbeat: Some(config.value(&HEARTBEAT_INTERVAL))
                .filter(|interval| !interval.is_zero())
                .map(|interval| {
                    let prefix = config.value(&HEARTBEAT_TOPIC_PREFIX);
                    let topic =
                        [prefix.trim().to_string(), config.value(&TOPIC_PREFIX)].join(&config.value(&TOPIC_DELIMITER));
                    (interval, topic)
                }),
            delimiter: config.value(&TOPIC_DELIMITER),
            heartbeat_action_query: Some(config.value(&HEARTBEAT_ACTION_QUERY)).filter(|q| !q.trim().is_empty()),
            initial_statements: statements(&config.value(&INITIAL_STATEMENTS)).into(),
            max_batch: config.value(&MAX_BATCH_SIZE),
            poll_interval: config.value(&POLL_INTERVAL),
            status_interval: config.value(&STATUS_UPDATE_INTERVAL).max(MIN_STATUS_INTERVAL),
            max_retries: u32::try_from(config.value(&MAX_RETRIES)).ok(),
            retry_wait: config.value(&RETRY_WAIT),
            snapshot_delay: config.value(&SNAPSHOT_DELAY),
            streaming_delay: config.value(&STREAMING_DELAY),
            signaling: config
                .value(&SIGNAL_DATA_COLLECTION)
                .first()
                .and_then(|name| signal_table(name))
                .map(|table| Signaling {
                    table,
                    chunk_size: config.value(&INCREMENTAL_CHUNK_SIZE),
                    close_by_delete: config
                        .value(&INCREMENTAL_WATERMARKING)
                        .eq_ignore_ascii_case("insert_delete"),
                    emit_retries: u32::try_from(config.value(&SIGNAL_EMIT_RETRIES)).unwrap_or(0),
                    emit_backoff: config.value(&SIGNAL_EMIT_BACKOFF),
                }),
        }
    }

    /// Where `schema.table` comes in a snapshot: tables are read in the order of the first
    /// `table.include.list` pattern each matches, as Debezium reads them, then by name.
    pub(super) fn snapshot_rank(&self, schema: &str, table: &str) -> usize {
        let name = format!("{schema}.{table}");
        self.include
            .iter()
            .position(|r| r.is_match(&name))
            .unwrap_or(self.include.len())
    }

    /// The topic of table `schema`.`table`: `<topic.prefix>`, the schema and the table joined
    /// by `topic.delimiter`, made a valid topic name as Debezium's naming strategy makes it
    /// (another character than a letter, digit, `.`, `_` or `-` as `_`, cut to 249
    /// characters).
    pub(super) fn table_topic(&self, schema: &str, table: &str) -> String {
        let joined = [self.prefix.as_str(), schema, table]
            .into_iter()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(&self.delimiter);
        let mut topic: String = joined
            .chars()
            .map(|c| if topic_character(c) { c } else { '_' })
            .take(MAX_TOPIC_LENGTH)
            .collect();
        if topic == "." || topic == ".." {
            topic = topic.replace('.', "_");
        }
        topic
    }

    /// Whether a snapshot reads captured table `schema.table` (`snapshot.include.collection.list`).
    pub(super) fn snapshots(&self, schema: &str, table: &str) -> bool {
        let name = format!("{schema}.{table}");
        self.snapshot_include.is_empty() || self.snapshot_include.iter().any(|r| r.is_match(&name))
    }

    /// These settings for a blocking snapshot a signal asked for: reading the captured tables
    /// `collections` names (regexes over `schema.table`, as `table.include.list` takes them),
    /// each table `selects` names (`schema.table`) with that SELECT.
    pub(super) fn for_blocking_snapshot(
        &self,
        collections: &[String],
        selects: &[(String, String)],
    ) -> Result<Settings, String> {
        let mut settings = self.clone();
        settings.snapshot_include = patterns(collections)?;
        settings.snapshot_selects = selects.iter().cloned().collect();
        Ok(settings)
    }

    /// Whether `schema.table` is captured: its schema selected by the schema lists and its
    /// name by the table lists, as Debezium's filters select tables.
    pub(super) fn captures(&self, schema: &str, table: &str) -> bool {
        selected(&self.schema_include, &self.schema_exclude, schema)
            && selected(&self.include, &self.exclude, &format!("{schema}.{table}"))
    }

    /// Marks the columns of `schema`.`table` that `column.include.list` and
    /// `column.exclude.list` leave out of the events, and returns the positions of the key's
    /// columns in the key's order: those `message.key.columns` names, in the order it names
    /// them (a pattern's matches in the table's order), as Debezium keys them; else the primary
    /// key's, in the table's order.
    pub(super) fn select_columns(&self, schema: &str, table: &str, columns: &mut [RelationColumn]) -> Vec<usize> {
        let names: Vec<String> = columns
            .iter()
            .map(|column| format!("{schema}.{table}.{}", column.name))
            .collect();
        for (column, name) in columns.iter_mut().zip(&names) {
            column.excluded = !selected(&self.column_include, &self.column_exclude, name);
            // A "char" holds one byte.
            let declared_length = match column.type_oid {
                18 => Some(1),
                1042 | 1043 | 1014 | 1015 => usize::try_from(column.type_modifier - 4).ok(),
                _ => None,
            };
            let names_it = |patterns: &[Regex]| patterns.iter().any(|r| r.is_match(name));
            let type_name = column.declared_type_name.as_deref().or(column.type_name.as_deref());
            let typed = format!("{schema}.{table}.{}", type_name.unwrap_or_default());
            // Debezium gives a column the first of its column mappers that names it: a cut, a
            // mask, the source type's parameters (by the column's name, then by its type's), a
            // hash.
            let first = self
                .text_rewrites
                .iter()
                .find(|(_, patterns)| names_it(patterns))
                .map(|(rewrite, _)| rewrite);
            column.propagate_source_type = !matches!(first, Some(TextRewrite::Truncate(_) | TextRewrite::Mask(_)))
                && (names_it(&self.propagate_source_type)
                    || self.propagate_source_datatype.iter().any(|r| r.is_match(&typed)));
            column.rewrite = first
                .filter(|_| !column.propagate_source_type)
                .and_then(|rewrite| match rewrite {
                    // A column declared no longer than the cut is left alone, as Debezium
                    // leaves it (and no later rule applies).
                    TextRewrite::Truncate(cut) if declared_length.is_some_and(|length| length <= *cut) => None,
                    // A hash is cut to the column's declared length.
                    TextRewrite::Hash(hash, _) => Some(TextRewrite::Hash(hash.clone(), declared_length)),
                    rewrite => Some(rewrite.clone()),
                });
        }
        let mut key: Vec<usize> = Vec::new();
        for pattern in &self.message_keys {
            for (position, name) in names.iter().enumerate() {
                if pattern.is_match(name) && !key.contains(&position) {
                    key.push(position);
                }
            }
        }
        if key.is_empty() {
            key = (0..columns.len()).filter(|&i| columns[i].key).collect();
        }
        key
    }

    /// Whether changes of kind `op` (`c`, `u`, `d`) are left out (`skipped.operations`).
    pub(super) fn skips(&self, op: &str) -> bool {
        self.skipped.iter().any(|skipped| skipped == op)
    }

    /// TLS for the replication connection, by `database.sslmode`, with the client's
    /// certificate when one is given.
    pub(super) fn tls(&self) -> TlsConfig {
        let ca = self.ssl_root_cert.as_ref().map(PathBuf::from);
        let tls = match self.ssl_mode.as_str() {
            "disable" => TlsConfig::disabled(),
            "require" => TlsConfig {
                ca_pem_path: ca,
                ..TlsConfig::require()
            },
            "verify-ca" => TlsConfig::verify_ca(ca),
            // The host as the name to verify, also when it is an IP address (as libpq does).
            "verify-full" => TlsConfig {
                sni_hostname: Some(self.host.clone()),
                ..TlsConfig::verify_full(ca)
            },
            _ => TlsConfig {
                mode: SslMode::Prefer,
                ca_pem_path: ca,
                ..TlsConfig::default()
            },
        };
        self.with_client_certificate(tls)
    }

    /// `tls` with the client's certificate, when one is given.
    fn with_client_certificate(&self, mut tls: TlsConfig) -> TlsConfig {
        if let Some((cert, key)) = &self.client_certificate {
            tls.client_cert_pem_path = Some(cert.clone());
            tls.client_key_pem_path = Some(key.clone());
        }
        tls
    }

    /// The SQL connections' settings: the server, the user, TLS by `database.sslmode` (with
    /// the client's certificate when one is given), UTC.
    pub(super) fn connect_options(&self) -> PgConnectOptions {
        let mut options = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .password(&self.password)
            .database(&self.database)
            .ssl_mode(match self.ssl_mode.as_str() {
                "disable" => PgSslMode::Disable,
                "require" => PgSslMode::Require,
                "verify-ca" => PgSslMode::VerifyCa,
                "verify-full" => PgSslMode::VerifyFull,
                _ => PgSslMode::Prefer,
            })
            .options([("TimeZone", "UTC")])
            .disable_statement_logging();
        if let Some(ca) = &self.ssl_root_cert {
            options = options.ssl_root_cert(ca);
        }
        if let Some((cert, key)) = &self.client_certificate {
            options = options.ssl_client_cert(cert).ssl_client_key(key);
        }
        options
    }

    /// The replication connection's settings, streaming from `start` (the slot's confirmed
    /// position when it is further on).
    pub(super) fn replication(&self, start: u64) -> ReplicationConfig {
        ReplicationConfig::new(
            self.host.as_str(),
            self.user.as_str(),
            self.password.as_str(),
            self.database.as_str(),
            self.slot.as_str(),
            self.publication.as_str(),
        )
        .with_port(self.port)
        .with_tls(self.tls())
        .with_start_lsn(Lsn::from_u64(start))
        .with_status_interval(self.status_interval)
        .with_wakeup_interval(self.status_interval)
        .with_options("-c TimeZone=UTC")
        .with_application_name("tributary")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_runtime::config::ConfigMap;
    use tributary_runtime::data::Value;

    /// Nullable TEXT columns named `names`, those in `keyed` in the primary key.
    fn text_columns(names: &[&str], keyed: &[&str]) -> Vec<RelationColumn> {
        names
            .iter()
            .map(|name| RelationColumn {
                key: keyed.contains(name),
                optional: true,
                name: name.to_string(),
                type_oid: 25,
                type_modifier: -1,
                ..RelationColumn::default()
            })
            .collect()
    }

    #[test]
    fn defaults_come_from_the_declarations_alone() {
        let config: ConfigMap = [
            ("database.hostname", "db"),
            ("database.user", "replicator"),
            ("database.dbname", "shop"),
            ("topic.prefix", "shop"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let settings = Settings::new(&config_def().parse(&config).unwrap());
        assert_eq!(settings.port, 5432);
        assert_eq!(settings.slot, "debezium");
        assert_eq!(settings.publication, "dbz_publication");
        assert!(settings.snapshot == SnapshotMode::Initial && settings.tombstones);
        assert_eq!(settings.max_batch, 2048);
        assert_eq!(settings.poll_interval, Duration::from_millis(500));
        assert_eq!(settings.status_interval, Duration::from_secs(10));
        assert_eq!(
            (settings.max_retries, settings.retry_wait),
            (Some(5), Duration::from_secs(10))
        );
        // Debezium's -1: no limit (it read as 0 retries before).
        let mut unlimited = config.clone();
        unlimited.insert("errors.max.retries".into(), "-1".into());
        assert_eq!(
            Settings::new(&config_def().parse(&unlimited).unwrap()).max_retries,
            None
        );
        assert!(settings.captures("public", "orders"));
        // Modes are read as they are validated: trimmed, booleans in any case.
        let mut spaced = config.clone();
        spaced.insert("snapshot.mode".into(), "initial ".into());
        spaced.insert("tombstones.on.delete".into(), " FALSE".into());
        let settings = Settings::new(&config_def().parse(&spaced).unwrap());
        assert_eq!(
            settings.snapshot,
            SnapshotMode::Initial,
            "a trimmed 'initial' still snapshots"
        );
        assert!(!settings.tombstones);
        assert_eq!(*settings.placeholder, Placeholder::default());
        let mut bad = config.clone();
        bad.insert("table.include.list".into(), "public.(".into());
        assert_eq!(config_def().validate(&bad)[0].key, "table.include.list");
        // Schemas, then tables, as Debezium's filters select them.
        let mut schemas = config.clone();
        schemas.insert("schema.include.list".into(), "sales, inv.*".into());
        let settings = Settings::new(&config_def().parse(&schemas).unwrap());
        assert!(settings.captures("SALES", "orders") && settings.captures("inventory", "items"));
        assert!(!settings.captures("public", "orders") && !settings.captures("salesx", "orders"));
        schemas.insert("schema.exclude.list".into(), "sales".into());
        let refused = validate(&schemas);
        assert_eq!(
            refused,
            [ValidationError {
                key: "schema.exclude.list".into(),
                message: "\"schema.include.list\" is already specified".into(),
            }]
        );
        assert_eq!(
            statements(" SET a = 1;SET b = 'x;;y' ;; ;"),
            ["SET a = 1", "SET b = 'x;y' ;"]
        );
        assert!(statements("").is_empty());
        let identities = replica_identities(" public\\.a.*:full, inv.items:INDEX items_pk ,x:Default").unwrap();
        let clauses: Vec<String> = identities.iter().map(|entry| entry.identity.clause()).collect();
        assert_eq!(
            clauses,
            [
                "REPLICA IDENTITY FULL",
                "REPLICA IDENTITY USING INDEX \"items_pk\"",
                "REPLICA IDENTITY DEFAULT"
            ]
        );
        assert!(identities[0].tables.is_match("PUBLIC.accounts") && !identities[0].tables.is_match("public.b"));
        assert!(identities[0].identity.is("f", None) && !identities[0].identity.is("d", None));
        assert!(
            identities[1].identity.is("i", Some("inv.\"items_pk\"")) && !identities[1].identity.is("i", Some("other"))
        );
        for bad in ["public.a", "public.a:PARTIAL", "public.a:INDEX", "public a:FULL"] {
            assert!(replica_identities(bad).is_err(), "{bad}");
        }
        // Who confirms positions to the slot.
        let mut flushing = config.clone();
        assert_eq!(
            Settings::new(&config_def().parse(&flushing).unwrap()).flush_mode,
            FlushMode::Connector
        );
        flushing.insert("flush.lsn.source".into(), "false".into());
        assert_eq!(
            Settings::new(&config_def().parse(&flushing).unwrap()).flush_mode,
            FlushMode::Manual
        );
        flushing.insert("lsn.flush.mode".into(), " Connector_And_Driver".into());
        assert_eq!(
            Settings::new(&config_def().parse(&flushing).unwrap()).flush_mode,
            FlushMode::Connector
        );
        flushing.insert("lsn.flush.mode".into(), "driver".into());
        assert_eq!(config_def().validate(&flushing)[0].key, "lsn.flush.mode");
        // Topics: joined by topic.delimiter, made valid as Debezium's naming strategy makes them.
        let mut delimited = config.clone();
        delimited.insert("topic.delimiter".into(), "_".into());
        delimited.insert("provide.transaction.metadata".into(), "true".into());
        delimited.insert("heartbeat.interval.ms".into(), "100".into());
        let settings = Settings::new(&config_def().parse(&delimited).unwrap());
        assert_eq!(settings.table_topic("public", "Order Items"), "shop_public_Order_Items");
        assert_eq!(settings.table_topic("", "é"), "shop__");
        assert_eq!(settings.transaction_topic.as_deref(), Some("shop_transaction"));
        assert_eq!(
            settings.heartbeat.map(|(_, topic)| topic).as_deref(),
            Some("__debezium-heartbeat_shop")
        );
        delimited.insert("topic.delimiter".into(), "/".into());
        assert_eq!(config_def().validate(&delimited)[0].key, "topic.delimiter");
        // Signaling: one table, <schema>.<table>; chunks and windows as asked.
        let mut signaling = config.clone();
        signaling.insert("signal.data.collection".into(), "public.signals".into());
        signaling.insert(
            "incremental.snapshot.watermarking.strategy".into(),
            "INSERT_DELETE".into(),
        );
        let settings = Settings::new(&config_def().parse(&signaling).unwrap());
        let signals = settings.signaling.expect("signaling");
        assert_eq!(signals.table, ("public".to_string(), "signals".to_string()));
        assert_eq!((signals.chunk_size, signals.close_by_delete), (1024, true));
        for (key, value) in [
            ("signal.data.collection", "signals"),
            ("signal.data.collection", "public.a,public.b"),
            ("signal.enabled.channels", "source,kafka"),
            ("incremental.snapshot.chunk.size", "0"),
        ] {
            let mut wrong = signaling.clone();
            wrong.insert(key.into(), value.into());
            assert_eq!(config_def().validate(&wrong)[0].key, key, "{value}");
        }
        // A client certificate: both files or neither; no encrypted key.
        let mut certificate = config.clone();
        certificate.insert("database.sslcert".into(), " /tls/client.crt".into());
        let refused = validate(&certificate);
        assert_eq!(
            refused,
            [ValidationError {
                key: "database.sslkey".into(),
                message: "is needed with database.sslcert".into(),
            }]
        );
        certificate.insert("database.sslkey".into(), "/tls/client.key".into());
        assert_eq!(validate(&certificate), []);
        let settings = Settings::new(&config_def().parse(&certificate).unwrap());
        let tls = settings.tls();
        assert_eq!(tls.client_cert_pem_path, Some(PathBuf::from("/tls/client.crt")));
        assert_eq!(tls.client_key_pem_path, Some(PathBuf::from("/tls/client.key")));
        certificate.insert("database.sslmode".into(), "allow".into());
        let settings = Settings::new(&config_def().parse(&certificate).unwrap());
        assert_eq!(settings.tls().mode, SslMode::Prefer);
        assert!(matches!(settings.connect_options().get_ssl_mode(), PgSslMode::Prefer));
        certificate.insert("database.sslpassword".into(), "secret".into());
        let refused = validate(&certificate);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].key, "database.sslpassword");
        assert!(refused[0]
            .message
            .starts_with("encrypted client keys are not supported"));
        let mut placeholder = config.clone();
        placeholder.insert("unavailable.value.placeholder".into(), "hex:7".into());
        let refused = config_def().validate(&placeholder);
        assert_eq!(refused[0].key, "unavailable.value.placeholder", "odd hex digits");
        placeholder.insert("unavailable.value.placeholder".into(), "hex:4e2f41".into());
        let settings = Settings::new(&config_def().parse(&placeholder).unwrap());
        assert_eq!(settings.placeholder.text, "N/A");
        let mut decimals = config.clone();
        decimals.insert("decimal.handling.mode".into(), "String".into());
        let settings = Settings::new(&config_def().parse(&decimals).unwrap());
        assert_eq!(settings.mapping.decimals, DecimalHandling::String);
        let mut columns = config.clone();
        columns.insert("column.exclude.list".into(), r"public\.orders\.(secret|note)".into());
        columns.insert("skipped.operations".into(), "u,d".into());
        let settings = Settings::new(&config_def().parse(&columns).unwrap());
        let mut described = text_columns(&["id", "secret", "notes"], &[]);
        settings.select_columns("public", "orders", &mut described);
        let excluded: Vec<bool> = described.iter().map(|c| c.excluded).collect();
        assert_eq!(excluded, [false, true, false]);
        // Lists match names in any case, as Debezium's do.
        assert!(settings.captures("PUBLIC", "Orders"));
        assert!(settings.skips("u") && settings.skips("d") && !settings.skips("c"));
        let mut skipping = config.clone();
        skipping.insert("skipped.operations".into(), "u,x".into());
        assert_eq!(config_def().validate(&skipping)[0].key, "skipped.operations");
        for (name, mode) in [
            ("always", SnapshotMode::Always),
            (" Initial_Only", SnapshotMode::InitialOnly),
            ("when_needed", SnapshotMode::WhenNeeded),
            ("no_data", SnapshotMode::NoData),
            ("never", SnapshotMode::NoData),
        ] {
            assert_eq!(SnapshotMode::from_name(name), Some(mode), "{name}");
        }
        let mut configured = config.clone();
        configured.insert("snapshot.mode".into(), "Configuration_Based".into());
        configured.insert(
            "snapshot.mode.configuration.based.snapshot.on.data.error".into(),
            "true".into(),
        );
        let mode = Settings::new(&config_def().parse(&configured).unwrap()).snapshot;
        assert_eq!(
            mode,
            SnapshotMode::ConfigurationBased {
                data: false,
                stream: false,
                on_data_error: true
            }
        );
        assert!(!mode.streams());
        // (first run, slot missing): only a later start that finds the slot gone.
        let reads: Vec<bool> = [(true, true), (false, false), (false, true)]
            .into_iter()
            .map(|(first, missing)| mode.reads_tables(first, missing))
            .collect();
        assert_eq!(reads, [false, false, true]);
        // A mode Debezium does not have is refused, not ignored.
        for (key, value) in [
            ("snapshot.mode", "schema_only"),
            ("decimal.handling.mode", "exact"),
            ("time.precision.mode", "nanos"),
            ("interval.handling.mode", "words"),
            ("binary.handling.mode", "base32"),
            ("hstore.handling.mode", "list"),
        ] {
            let mut unsupported = config.clone();
            unsupported.insert(key.into(), value.into());
            let errors = config_def().validate(&unsupported);
            assert!(errors.iter().any(|e| e.key == key), "{key}={value}: {errors:?}");
        }
    }

    #[test]
    fn masked_hashed_and_truncated_columns_are_the_ones_their_keys_name() {
        let config: ConfigMap = [
            ("database.hostname", "db"),
            ("database.user", "replicator"),
            ("database.dbname", "shop"),
            ("topic.prefix", "shop"),
            ("column.mask.with.4.chars", r"public\.orders\.(card|note)"),
            ("column.truncate.to.3.chars", r"public\.orders\.(note|code)"),
            (
                "column.mask.hash.v2.SHA-256.with.salt.salt",
                r"public\.orders\.(digest|code|doc)",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let settings = Settings::new(&config_def().parse(&config).unwrap());
        let mut columns = text_columns(&["card", "note", "code", "id", "digest", "doc"], &[]);
        // `code` is a VARCHAR(3): no longer than the cut, so left alone, though a hash names it
        // too (a column takes the first rule, cuts before masks before hashes).
        columns[2].type_oid = 1043;
        columns[2].type_modifier = 3 + 4;
        // `digest` is a VARCHAR(5): its hash is cut to 5.
        columns[4].type_oid = 1043;
        columns[4].type_modifier = 5 + 4;
        // `doc` is JSON: its schema is marked, its value left alone.
        columns[5].type_oid = 114;
        settings.select_columns("public", "orders", &mut columns);
        let rewrites: Vec<_> = columns.iter().map(|c| c.rewrite.clone()).collect();
        let hash = text_rewrites(&config).unwrap().pop().map(|(rewrite, _)| rewrite);
        let Some(TextRewrite::Hash(hash, None)) = hash else {
            panic!("the hash rule last: {hash:?}");
        };
        assert_eq!(
            rewrites,
            [
                Some(TextRewrite::Mask(4)),
                Some(TextRewrite::Truncate(3)),
                None,
                None,
                Some(TextRewrite::Hash(hash.clone(), Some(5))),
                Some(TextRewrite::Hash(hash.clone(), None)),
            ]
        );
        assert_eq!(
            TextRewrite::Mask(4).apply(25, Value::Null),
            Value::String("****".into())
        );
        assert_eq!(
            TextRewrite::Truncate(3).apply(25, Value::String("abcdef".into())),
            Value::String("abc".into())
        );
        assert_eq!(TextRewrite::Truncate(3).apply(25, Value::Null), Value::Null);
        // Java counts UTF-16 units: 😀 is two; one cut in half leaves a '?'.
        assert_eq!(
            TextRewrite::Truncate(3).apply(25, Value::String("😀üx".into())),
            Value::String("😀ü".into())
        );
        assert_eq!(
            TextRewrite::Truncate(3).apply(25, Value::String("a😀😀".into())),
            Value::String("a😀".into())
        );
        assert_eq!(
            TextRewrite::Truncate(2).apply(25, Value::String("a😀".into())),
            Value::String("a?".into())
        );
        // sha256("saltvalue"), cut to the declared length.
        let cut = TextRewrite::Hash(hash.clone(), Some(5));
        assert_eq!(
            cut.apply(1043, Value::String("value".into())),
            Value::String("d430a".into())
        );
        assert_eq!(cut.apply(1043, Value::Null), Value::Null, "a null is not hashed");
        let json = Value::String("{}".into());
        assert_eq!(TextRewrite::Hash(hash, None).apply(114, json.clone()), json);
        assert_eq!(TextRewrite::Mask(4).apply(114, json.clone()), json);
        let mut bad = config.clone();
        bad.insert("column.mask.with.2.chars".into(), "public.(".into());
        assert!(text_rewrites(&bad).is_err());
        let mut unknown = config.clone();
        unknown.insert("column.mask.hash.MD2.with.salt.s".into(), "public.orders.card".into());
        assert!(text_rewrites(&unknown).is_err_and(|e| e.contains("MD2")));
    }

    #[test]
    fn a_column_takes_the_first_mapper_that_names_it() {
        let config: ConfigMap = [
            ("database.hostname", "db"),
            ("database.user", "replicator"),
            ("database.dbname", "shop"),
            ("topic.prefix", "shop"),
            ("column.truncate.to.2.chars", r"public\.orders\.raw"),
            ("column.mask.with.4.chars", r"public\.orders\.card"),
            ("column.propagate.source.type", r"public\.orders\..*"),
            ("column.mask.hash.SHA-256.with.salt.s", r"public\.orders\.(code|card)"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let settings = Settings::new(&config_def().parse(&config).unwrap());
        let mut columns = text_columns(&["raw", "card", "code", "id"], &[]);
        settings.select_columns("public", "orders", &mut columns);
        let mappers: Vec<_> = columns
            .iter()
            .map(|c| (c.rewrite.clone(), c.propagate_source_type))
            .collect();
        assert_eq!(
            mappers,
            [
                (Some(TextRewrite::Truncate(2)), false),
                (Some(TextRewrite::Mask(4)), false),
                (None, true),
                (None, true)
            ],
            "a cut or a mask before the source type, the source type before a hash"
        );
    }

    #[test]
    fn message_key_columns_choose_a_tables_key_in_its_column_order() {
        let mut config: ConfigMap = [
            ("database.hostname", "db"),
            ("database.user", "replicator"),
            ("database.dbname", "shop"),
            ("topic.prefix", "shop"),
            ("message.key.columns", r" public\.ord.*:name, id ; inventory\.items:sku"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let settings = Settings::new(&config_def().parse(&config).unwrap());
        let columns = |keyed: &[&str]| text_columns(&["id", "note", "name"], keyed);
        // In the order named, as Debezium's keys are.
        assert_eq!(
            settings.select_columns("public", "Orders", &mut columns(&["note"])),
            [2, 0]
        );
        // A table no entry names keeps its primary key.
        assert_eq!(
            settings.select_columns("public", "customers", &mut columns(&["note"])),
            [1]
        );
        for bad in [
            "public.orders",
            "public.orders:",
            ":id",
            "public.orders:id,,name",
            "a:b:c",
        ] {
            config.insert("message.key.columns".into(), bad.into());
            let errors = config_def().validate(&config);
            assert!(
                errors.iter().any(|e| e.key == "message.key.columns"),
                "{bad}: {errors:?}"
            );
        }
    }
}
