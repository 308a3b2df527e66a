//! Debezium's PostgreSQL connector (3.7.0, run by Apache Connect 4.3.1; both from Maven
//! Central) and Tributary's change data capture side by side on one PostgreSQL database: each
//! captures the same two tables (one with the default replica identity, one with `FULL`) of 104
//! columns (every type [`COLUMNS`] lists, geometric, extensions', a domain's and a composite
//! type among them, arrays of most, a default; eight of types Debezium leaves out; a long row
//! keeps only 128 bytes in line, its other values TOASTed, so that an update leaving them alone
//! does not send them), and a third of a single row, first a snapshot of the rows
//! already there, then inserts, updates (one of them changing a primary key), deletes and a
//! transaction of several changes, and writes them through JsonConverter with schemas, four
//! times at once: with transaction metadata (`provide.transaction.metadata`), with each of
//! Debezium's other modes of writing decimals, times, bytes, intervals and HSTORE (over two
//! configurations, one without tombstones and context headers, one keying a table by
//! `message.key.columns`), and with two columns excluded, updates skipped, columns masked and
//! cut, and heartbeats ([`VARIANTS`]). The records each writes, to the tables' topics, to the
//! transaction topic and the first heartbeat, must be the same, key, value and headers, schema
//! and payload, but for what no two runs share: the time an event was made, the connector's
//! version and its `topic.prefix`, the task's run id, and where in the log and in which
//! transaction a snapshot read its rows. A second test runs Debezium's ExtractNewRecordState
//! beside Tributary's in each of its five modes ([`UNWRAP_VARIANTS`]); a third sends both
//! connectors the same signals (incremental and blocking snapshots).

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::Api;

use rdkafka::message::Message;
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, headers_of, unique_name};
use tributary_harness::{debezium_postgres_plugin_path, shared_cluster, shared_postgres, ChildProcess, Database};
use tributary_runtime::mode::standalone::StandaloneRuntime;

const WAIT: Duration = Duration::from_secs(120);

/// Every column type the comparison covers.
const COLUMNS: &str = "id INT PRIMARY KEY, small SMALLINT, big BIGINT, flag BOOLEAN NOT NULL, ratio REAL, \
     score DOUBLE PRECISION, amount NUMERIC(10,2), free NUMERIC, name TEXT NOT NULL, code VARCHAR(10), \
     initials CHAR(3), day DATE, clock TIME, stamp TIMESTAMP(3), micros TIMESTAMP, zoned TIMESTAMPTZ, zoned3 TIMESTAMPTZ(3), \
     raw BYTEA, uid UUID, doc JSON, docb JSONB, counter INT NOT NULL DEFAULT 7, span INTERVAL, addr INET, \
     labels TEXT[], note TEXT, bit1 BIT(1), bits BIT(10), cash MONEY, tz TIMETZ, mood dbz_mood, page XML, \
     span_range INT4RANGE, mac MACADDR, spot POINT, prices NUMERIC(10,2)[], days DATE[], ids UUID[], \
     stamps TIMESTAMP[], ci CITEXT, kv HSTORE, tree LTREE, positive dbz_positive, moods dbz_mood[], \
     grid INT[][], seg LSEG, area BOX, ring CIRCLE, shape POLYGON, route PATH, ln LINE, period TSRANGE, \
     dates_range DATERANGE, nums NUMRANGE, net CIDR, mac8 MACADDR8, words TSVECTOR, oid_col OID, addrs INET[], \
     cashes MONEY[], bitss BIT(3)[], tzs TIMETZ[], pages XML[], spots POINT[], ranges INT4RANGE[], nets CIDR[], \
     macs MACADDR[], oids OID[], mac8s MACADDR8[], tsvs TSVECTOR[], bools BOOLEAN[], bigs BIGINT[], \
     smalls SMALLINT[], floats DOUBLE PRECISION[], reals REAL[], names VARCHAR(5)[], chars CHAR(2)[], \
     blobs BYTEA[], docs JSONB[], times TIME[], zoneds TIMESTAMPTZ[], spans INTERVAL[], varbits VARBIT[], \
     frees NUMERIC[], pair dbz_pair, lines LINE[], boxes BOX[], circles CIRCLE[], tsranges TSRANGE[], \
     tstzranges TSTZRANGE[], numranges NUMRANGE[], dateranges DATERANGE[], int8ranges INT8RANGE[], jsons JSON[], \
     citexts CITEXT[], int8r INT8RANGE, tstzr TSTZRANGE, chr \"char\", ints INT[], lsegs LSEG[], paths PATH[], \
     polys POLYGON[], hstores HSTORE[], ltrees LTREE[], seq SERIAL, bigseq BIGSERIAL, smallseq SMALLSERIAL, \
     made TIMESTAMP NOT NULL DEFAULT now(), madez TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP, token UUID DEFAULT gen_random_uuid(), \
     dday DATE DEFAULT CURRENT_DATE, dtime TIME(3) DEFAULT LOCALTIME, label VARCHAR(8) DEFAULT upper('x'), \
     dnum NUMERIC(8,3) DEFAULT random(), dfree NUMERIC DEFAULT random(), dflag BOOLEAN DEFAULT (random() > 2), \
     dreal REAL DEFAULT pi(), dint INT DEFAULT length('abc'), djson JSONB DEFAULT jsonb_build_object('a', 1), \
     divl INTERVAL DEFAULT make_interval(days => 1), dlist TEXT[] DEFAULT '{}', dip INET DEFAULT '1.2.3.4', \
     dpos dbz_positive DEFAULT 5, dtext TEXT DEFAULT 'lit', dmood dbz_mood DEFAULT 'ok', dbits BIT(3) DEFAULT B'101', \
     dints dbz_ints, dmoodd dbz_mood_d, pairs dbz_pair[]";

/// The values of [`COLUMNS`]' last columns in every row: their defaults (expressions Debezium
/// does not evaluate, and literals of types it reads no default for).
const DEFAULTED: &str = ", DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, \
     DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT";

/// The types [`COLUMNS`] uses beyond the built-in ones, made once per database: the enum of
/// column `mood`, the composite of `pair`, the domains of `positive`, `dints` and `dmoodd`
/// and the extensions' types.
const TYPES: &str = "DO $$ BEGIN CREATE TYPE dbz_mood AS ENUM ('sad', 'ok', 'happy'); \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
     DO $$ BEGIN CREATE DOMAIN dbz_positive AS INT CHECK (VALUE > 0); \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
     DO $$ BEGIN CREATE TYPE dbz_pair AS (a INT, b TEXT); \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
     DO $$ BEGIN CREATE DOMAIN dbz_ints AS INT[]; \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
     DO $$ BEGIN CREATE DOMAIN dbz_mood_d AS dbz_mood; \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
     CREATE EXTENSION IF NOT EXISTS citext; CREATE EXTENSION IF NOT EXISTS hstore; \
     CREATE EXTENSION IF NOT EXISTS ltree;";

/// Row `id`'s values for [`COLUMNS`]; every third row has NULL in each column that allows it.
/// Row 1's `note` is long enough to be stored out of line (TOASTed), so that an update leaving
/// it alone does not send it again.
fn row(id: i64) -> String {
    if id % 3 == 0 {
        return format!(
            "({id}, NULL, NULL, false, NULL, NULL, NULL, NULL, 'row {id}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, {id}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL, {id}, {id}, {id}{DEFAULTED}, NULL, NULL, NULL)"
        );
    }
    let note = if id == 1 {
        "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 300) i)".to_string()
    } else {
        format!("'note {id}'")
    };
    let sign = if id % 2 == 0 { -1 } else { 1 };
    format!(
        "({id}, {small}, {big}, {flag}, {ratio}.25, {score}e-7, {amount}.{cents:02}, {free}.{ones}, '😀ünï \"{id}\" \\ line', 'c{id}', 'x{initial}', \
         '2024-02-{day:02}', '13:{minute:02}:07.123456', '2023-11-14 22:13:20.{millis:03}', \
         '1969-07-20 20:17:40.{micros:06}', '2024-03-10 12:00:00.5+02', '2024-03-10 12:00:{minute:02}+02', '\\x00ff{id:02x}', \
         '6f1c2d3e-4a5b-4c6d-8e9f-{id:012x}', '{{\"n\": {id}, \"list\": [1, 2.5, null]}}', '{{\"b\": [true, {id}]}}', \
         {id}, '{span}', '10.0.0.{id}', ARRAY['a{id}', 'b c', NULL], {note}, B'{bit}', B'{id:010b}', {cash}.56, \
         '13:14:{minute:02}.5+02', '{mood}', '<a n=\"{id}\">x</a>', '[{id},{id}0)', '08:00:2b:01:02:{id:02x}', \
         '({ratio}.25,-{id}.5)', ARRAY[{amount}.{cents:02}, NULL], ARRAY['2024-02-{day:02}'::date], \
         ARRAY['6f1c2d3e-4a5b-4c6d-8e9f-{id:012x}'::uuid], ARRAY['2023-11-14 22:13:20.{micros:06}'::timestamp], \
         'MiXeD {id}', '\"a\"=>\"{id}\", \"b c\"=>NULL, \"k\"=>\"v\\\"q\", \"zeta\"=>\"z\"', 'top.s{id}.leaf', {id}, ARRAY['{mood}', 'ok']::dbz_mood[], \
         '{{{{1,2}},{{3,{id}}}}}', '[(0,0),(1,{id})]', '((0,0),(1,{id}))', '<(1,1),{id}>', '((0,0),(1,1),(1,{id}))', \
         '{path_open}(0,0),(1,{id}){path_close}', '{{1,-1,{id}}}', '[2024-01-01 10:00, 2024-01-{day:02} 10:00)', '[2024-01-01,2024-02-{day:02})', \
         '[1.5,{id}.5]', '10.{id}.0.0/16', '08:00:2b:01:02:03:04:{id:02x}', 'a fat cat {id}', {id}, \
         ARRAY['10.0.0.{id}'::inet], ARRAY['{cash}.56'::money], ARRAY[B'101'], ARRAY['13:14:15+02'::timetz], \
         ARRAY['<a/>'::xml], ARRAY['(1,{id})'::point], ARRAY['[1,{id}0)'::int4range], ARRAY['10.{id}.0.0/16'::cidr], \
         ARRAY['08:00:2b:01:02:{id:02x}'::macaddr], ARRAY[{id}::oid], ARRAY['08:00:2b:01:02:03:04:{id:02x}'::macaddr8], \
         ARRAY['a b'::tsvector], ARRAY[true, NULL, {flag}], ARRAY[{big}, NULL]::bigint[], ARRAY[{small}]::smallint[], \
         ARRAY[{score}e-7, 'NaN', '-Infinity']::float8[], ARRAY[{ratio}.25]::real[], ARRAY['v{id}', 'ü']::varchar(5)[], \
         ARRAY['a', 'bc']::char(2)[], ARRAY['\\x00ff'::bytea, NULL], ARRAY['{{\"k\": {id}}}'::jsonb, 'null'::jsonb], \
         ARRAY['13:14:15.5'::time], ARRAY['2024-03-10 12:00:00.5+02'::timestamptz], ARRAY['{span}'::interval], \
         ARRAY[B'101', B'1']::varbit[], ARRAY[{free}.{ones}, NULL]::numeric[], ROW({id}, 'p{id}')::dbz_pair, \
         ARRAY['{{1,-1,{id}}}'::line], ARRAY['((0,0),(1,{id}))'::box], ARRAY['<(1,1),{id}>'::circle], \
         ARRAY['[2024-01-01 10:00, 2024-01-{day:02} 10:00)'::tsrange], \
         ARRAY['[2024-01-01 10:00+02, 2024-01-{day:02} 10:00+02)'::tstzrange], ARRAY['[1.5,{id}.5]'::numrange], \
         ARRAY['[2024-01-01,2024-02-{day:02})'::daterange], ARRAY['[1,{id}0)'::int8range], ARRAY['{{\"j\": {id}}}'::json], \
         ARRAY['MiXeD'::citext], '[{id},{id}00)', '[2024-01-01 10:00+02, 2024-01-{day:02} 10:00+02)', 'x', \
         ARRAY[{id}, NULL, -{id}], ARRAY['[(0,0),(1,{id})]'::lseg], ARRAY['[(0,0),(1,{id})]'::path], \
         ARRAY['((0,0),(1,1),(1,{id}))'::polygon], ARRAY['a=>{id}'::hstore], ARRAY['top.s{id}'::ltree], {id}, {id}, {id}{DEFAULTED}, \
         ARRAY[1, {id}], '{mood}', ARRAY[ROW({id}, 'p')::dbz_pair, NULL])",
        small = sign * 32_000 + id,
        big = sign * 9_000_000_000_000_000_000 + id,
        flag = id % 2 == 0,
        ratio = sign * id,
        score = sign * id * 1_234_567,
        amount = sign * id * 1_000,
        cents = id % 100,
        free = sign * id,
        ones = "1".repeat(id as usize % 9 + 1),
        initial = id % 10,
        day = id % 28 + 1,
        minute = id % 60,
        millis = id % 1000,
        micros = id * 7 % 1_000_000,
        bit = id % 2,
        cash = sign * id * 1234,
        // Open paths on odd rows, closed on even.
        path_open = if id % 2 == 0 { "(" } else { "[" },
        path_close = if id % 2 == 0 { ")" } else { "]" },
        mood = ["sad", "ok", "happy"][id as usize % 3],
        span = if id % 2 == 0 {
            format!("-{id} days -02:03:04.5")
        } else {
            format!("1 year {id} mons {id} days 02:03:04.5")
        },
    )
}

/// The configurations compared, each run by both sides at once: a suffix of the connectors'
/// names, and what it sets beyond [`config`]'s. Debezium's defaults with transaction metadata
/// and every column's source type propagated,
/// then each of Debezium's other modes of writing decimals, times, bytes, intervals and HSTORE
/// (with no tombstones, no context headers, columns hashed and source types propagated by type;
/// a table keyed by columns of its
/// own and a placeholder for unsent values given in hex: not UTF-8 at its end, a quote and a
/// backslash before, bytes above 0x7f for the arrays of numbers), then two columns left out,
/// updates skipped, a message prefix left out, topics joined by `-` (and schema names made
/// valid Avro names), columns masked (a JSON column only marked) and cut, the composite type
/// included (`include.unknown.datatypes`), times as ISO text, and heartbeats; then times in
/// microseconds (with field names as `avro_unicode` writes them) and in nanoseconds.
const VARIANTS: [(&str, &[(&str, &str)]); 6] = [
    (
        "",
        &[
            ("provide.transaction.metadata", "true"),
            // Every column's PostgreSQL type in its schema.
            ("column.propagate.source.type", ".*"),
            // A column takes the first mapper naming it: a cut (BYTEA as bytes, cut) before the
            // source type, the source type before a hash (`code` is not hashed).
            ("column.truncate.to.2.chars", r"public\..*\.raw"),
            ("column.mask.hash.SHA-256.with.salt.s", r"public\..*\.code"),
        ],
    ),
    (
        "_ds",
        &[
            ("decimal.handling.mode", "string"),
            ("time.precision.mode", "adaptive_time_microseconds"),
            ("binary.handling.mode", "base64"),
            ("interval.handling.mode", "string"),
            ("hstore.handling.mode", "map"),
            // The FULL table keyed by two columns of its own (one of them NULL in some rows): an
            // update of `name` changes its key, the one of `id` no longer does.
            ("message.key.columns", r"public\..*_FULL:code,name"),
            // "€-~\"\\" and a byte no UTF-8 text has.
            ("unavailable.value.placeholder", "hex:e282ac2d7e225cff"),
            // SHA-3: of a TOASTed TEXT (the placeholder hashed), a TEXT's default and a key
            // column (hashed in the value, not in the key); in version 2 of a VARCHAR(8) (cut
            // to 8).
            (
                "column.mask.hash.SHA3-512.with.salt.s3",
                r"public\..*\.(note|dtext|code)",
            ),
            ("column.mask.hash.v2.SHA3-224.with.salt.k", r"public\..*\.label"),
        ],
    ),
    (
        "_dd",
        &[
            ("decimal.handling.mode", "double"),
            ("time.precision.mode", "connect"),
            ("binary.handling.mode", "hex"),
            ("tombstones.on.delete", "false"),
            ("extended.headers.enabled", "false"),
            // Hashes of a VARCHAR(10) (cut to 10), a TOASTed TEXT, a CITEXT and a "char";
            // version 2 of a TEXT with non-ASCII text, a CHAR(3) (cut to 3) and a JSON.
            (
                "column.mask.hash.SHA-256.with.salt.CzQMA0cB5K",
                r"public\..*\.(code|note|ci|chr)",
            ),
            (
                "column.mask.hash.v2.MD5.with.salt.pepper",
                r"public\..*\.(name|initials|doc)",
            ),
            // Source types by the type's name: serials by theirs, not their integers'; a
            // domain's own; a CHAR(3) named by the hash above takes the source type, which
            // comes first.
            (
                "datatype.propagate.source.type",
                r".+\.(serial|BIGSERIAL|smallserial|numeric|_int4|dbz_positive|bpchar),public\..*\.int8",
            ),
        ],
    ),
    (
        "_cf",
        &[
            ("column.exclude.list", r"public\..*\.(note|kv)"),
            ("message.prefix.exclude.list", "AUD.*"),
            // Table and heartbeat topics joined by `-`.
            ("topic.delimiter", "-"),
            ("skipped.operations", "u"),
            ("binary.handling.mode", "base64-url-safe"),
            ("heartbeat.interval.ms", "500"),
            // The key's `id` too: Debezium marks only the value's field.
            ("column.mask.with.5.chars", r"public\..*\.(code|doc|id)"),
            ("column.truncate.to.3.chars", r"public\..*\.(name|initials|labels)"),
            ("include.unknown.datatypes", "true"),
            ("time.precision.mode", "isostring"),
            // The topics' `-` written `_` in the schema names.
            ("schema.name.adjustment.mode", "avro"),
        ],
    ),
    (
        "_mi",
        &[
            ("time.precision.mode", "microseconds"),
            // Columns' underscores written `_u005f`.
            ("field.name.adjustment.mode", "avro_unicode"),
        ],
    ),
    ("_na", &[("time.precision.mode", "nanoseconds")]),
];

/// The records each changing table's updates make (3 updates, one in the transaction of three,
/// a key change's delete, tombstone and insert, and one in each of the two transactions of
/// both tables), which `skipped.operations=u` leaves out.
const UPDATES: usize = 9;

/// The tombstones among each changing table's records (after a key change's delete, two
/// deletes and the transaction's delete), which `tombstones.on.delete=false` leaves out.
const TOMBSTONES: usize = 4;

/// `topic.delimiter` of a configuration's `extra` settings (`.`, Debezium's default, when not
/// set).
fn delimiter<'a>(extra: &[(&str, &'a str)]) -> &'a str {
    extra
        .iter()
        .find(|(key, _)| *key == "topic.delimiter")
        .map_or(".", |(_, value)| value)
}

/// The topic of `table` (in schema `public`) for connectors of `prefix` with `extra` settings.
fn table_topic(prefix: &str, extra: &[(&str, &str)], table: &str) -> String {
    let d = delimiter(extra);
    format!("{prefix}{d}public{d}{table}")
}

/// The connector configuration both sides get: `prefix` names the topics, the slot and the
/// publication; `extra` adds to it.
fn config(database: &Database, prefix: &str, tables: &[String], extra: &[(&str, &str)]) -> Value {
    let include: Vec<String> = tables.iter().map(|table| format!("public\\.{table}")).collect();
    let mut config = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1",
        "database.port": database.port().to_string(),
        "database.user": "tributary",
        "database.dbname": "tributary",
        "topic.prefix": prefix,
        "slot.name": prefix,
        "publication.name": prefix,
        "publication.autocreate.mode": "filtered",
        "table.include.list": include.join(","),
        "plugin.name": "pgoutput",
    });
    for (key, value) in extra {
        config[*key] = json!(value);
    }
    config
}

/// A record as a consumer reads it: key and value as JSON (null for none), headers as text.
type Event = (Value, Value, Vec<(String, Option<Vec<u8>>)>);

/// The first `count` records of `topic`.
async fn events(topic: &str, count: usize) -> Vec<Event> {
    let messages = consume_until(
        &shared_cluster().bootstrap_servers(),
        topic,
        count,
        WAIT,
        "read_uncommitted",
    )
    .await
    .unwrap();
    let json = |bytes: Option<&[u8]>| bytes.map_or(Value::Null, |b| serde_json::from_slice(b).unwrap());
    messages
        .iter()
        .take(count)
        .map(|m| (json(m.key()), json(m.payload()), headers_of(m)))
        .collect()
}

/// `value` with `prefix` read as `<prefix>` in every text, the times an event was made at as
/// `<time>`, the connector's version as `<version>`, and, for a snapshot's event, the log
/// position and transaction it read at as `<snapshot>`. A streamed event keeps its source's
/// commit time, transaction and log positions: both sides read them from the same log.
fn normalised(value: &Value, prefix: &str) -> Value {
    let mut value: Value = serde_json::from_str(&value.to_string().replace(prefix, "<prefix>")).unwrap();
    let Some(payload) = value.get_mut("payload").and_then(Value::as_object_mut) else {
        return value;
    };
    let snapshot = payload.get("op") == Some(&json!("r"));
    for time in ["ts_ms", "ts_us", "ts_ns"] {
        if let Some(field) = payload.get_mut(time) {
            *field = json!("<time>");
        }
    }
    if let Some(source) = payload.get_mut("source").and_then(Value::as_object_mut) {
        source.insert("version".into(), json!("<version>"));
        if snapshot {
            for read_at in ["ts_ms", "ts_us", "ts_ns", "lsn", "txId", "xmin", "sequence"] {
                if source.contains_key(read_at) {
                    source.insert(read_at.into(), json!("<snapshot>"));
                }
            }
        }
    }
    value
}

/// `headers` as text, with `prefix` read as `<prefix>` and the task's run id (a new UUID each
/// time a task starts) as `<run>`.
fn normalised_headers(headers: &[(String, Option<Vec<u8>>)], prefix: &str) -> Vec<(String, Option<String>)> {
    headers
        .iter()
        .map(|(key, value)| {
            let text = value.as_deref().map(|v| {
                let text = String::from_utf8_lossy(v).replace(prefix, "<prefix>");
                if key == "__debezium.context.runId" && text.len() == 36 {
                    "<run>".to_string()
                } else {
                    text
                }
            });
            (key.clone(), text)
        })
        .collect()
}

/// Where `debezium` and `tributary` differ, one line each, under `at` (object members by name,
/// array items by index).
fn differences(at: &str, debezium: &Value, tributary: &Value, out: &mut Vec<String>) {
    match (debezium, tributary) {
        (Value::Object(d), Value::Object(t)) => {
            for (key, d_value) in d {
                differences(&format!("{at}.{key}"), d_value, t.get(key).unwrap_or(&Value::Null), out);
            }
            for (key, t_value) in t.iter().filter(|(key, _)| !d.contains_key(*key)) {
                out.push(format!("{at}.{key}: Debezium has none, Tributary {t_value}"));
            }
        }
        (Value::Array(d), Value::Array(t)) if d.len() == t.len() => {
            for (i, (d_item, t_item)) in d.iter().zip(t).enumerate() {
                differences(&format!("{at}[{i}]"), d_item, t_item, out);
            }
        }
        _ if debezium != tributary => out.push(format!("{at}: Debezium {debezium}, Tributary {tributary}")),
        _ => {}
    }
}

/// Compares Debezium's `debezium` records (of connector `apache_prefix`) with Tributary's `ours`
/// (of `tributary_prefix`), one by one, adding to `mismatches` under `label`.
fn compare(
    label: &str,
    (debezium, apache_prefix): (&[Event], &str),
    (ours, tributary_prefix): (&[Event], &str),
    mismatches: &mut Vec<String>,
) {
    for (i, (d, t)) in debezium.iter().zip(ours).enumerate() {
        let (d_key, d_value) = (normalised(&d.0, apache_prefix), normalised(&d.1, apache_prefix));
        let (t_key, t_value) = (normalised(&t.0, tributary_prefix), normalised(&t.1, tributary_prefix));
        differences(&format!("{label} record {i} key"), &d_key, &t_key, mismatches);
        differences(&format!("{label} record {i} value"), &d_value, &t_value, mismatches);
        let (d_headers, t_headers) = (
            normalised_headers(&d.2, apache_prefix),
            normalised_headers(&t.2, tributary_prefix),
        );
        if d_headers != t_headers {
            mismatches.push(format!(
                "{label} record {i} headers:\n  Debezium  {d_headers:?}\n  Tributary {t_headers:?}"
            ));
        }
    }
}

/// Compares the first `records` records of `table` each side wrote (its worker, connector and
/// topic), adding to `mismatches`; a side short of them is named with both connectors' status.
async fn compare_tables(
    table: &str,
    records: usize,
    (apache, apache_prefix, apache_topic): (&Api, &str, &str),
    (tributary, tributary_prefix, tributary_topic): (&Api, &str, &str),
    mismatches: &mut Vec<String>,
) {
    let debezium = events(apache_topic, records).await;
    let ours = events(tributary_topic, records).await;
    if (debezium.len(), ours.len()) != (records, records) {
        let (_, d_status) = apache.get(&format!("/connectors/{apache_prefix}/status")).await;
        let (_, t_status) = tributary.get(&format!("/connectors/{tributary_prefix}/status")).await;
        mismatches.push(format!(
            "{table}: {records} records expected, Debezium wrote {} ({d_status}), Tributary {} ({t_status})",
            debezium.len(),
            ours.len()
        ));
    }
    compare(
        &format!("{apache_prefix} {table}"),
        (&debezium, apache_prefix),
        (&ours, tributary_prefix),
        mismatches,
    );
}

/// An Apache Connect worker with Debezium's plugin and Tributary's worker, side by side on the
/// shared cluster, both writing through JsonConverter (with schemas).
async fn beside_debezium(dir: &Path) -> (ChildProcess, Api, StandaloneRuntime, Api) {
    tributary_connectors::link();
    let plugin_path = tokio::task::spawn_blocking(debezium_postgres_plugin_path)
        .await
        .unwrap()
        .unwrap();
    common::workers::standalone_side_by_side(
        shared_cluster(),
        dir,
        "org.apache.kafka.connect.json.JsonConverter",
        Some(&plugin_path),
    )
    .await
}

/// Runs `statements` as one transaction.
fn transaction(database: &Database, statements: &str) {
    database
        .sql("tributary", &format!("BEGIN; {statements} COMMIT;"))
        .unwrap();
}

/// Waits until the `sides` connectors whose slots' names begin with `base` stream (without a
/// snapshot, each starts at its slot, which has a confirmed position once it is made: a slot
/// being made waits for the transactions running then, and captures nothing committed before
/// it is).
async fn every_side_streams(database: &Database, base: &str, sides: usize) {
    common::eventually(WAIT, "every side to stream", || async {
        let active = database
            .sql(
                "tributary",
                &format!(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '{base}%' AND active \
                     AND confirmed_flush_lsn IS NOT NULL"
                ),
            )
            .unwrap_or_default();
        (active.trim() == sides.to_string()).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_events_are_what_debezium_writes() {
    let kafka = shared_cluster();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_apache_process, apache, runtime, tributary) = beside_debezium(dir.path()).await;

    let base = unique_name("dbz").replace('-', "_");
    // The tables that change, and one of a single row read between them (how a snapshot marks
    // a table's only row).
    let tables = [format!("{base}_keyed"), format!("{base}_full")];
    let single = format!("{base}_single");
    // Each captured table with its rows before the changes and its records after them: 6
    // snapshot rows, 3 inserts, 3 updates (one of infinite dates and times), a key changed (a delete, its tombstone and an
    // insert), 2 deletes (each with its tombstone), a transaction of an insert, an update
    // and a delete with its tombstone, and an update in each of two transactions of both tables.
    let captured = [
        (tables[0].clone(), 6usize, 6 + 3 + 3 + 3 + 4 + 4 + 2),
        (single.clone(), 1, 1),
        (tables[1].clone(), 6, 6 + 3 + 3 + 3 + 4 + 4 + 2),
    ];
    for (table, rows, _) in &captured {
        let rows: Vec<String> = (1..=*rows as i64).map(row).collect();
        database
            .sql(
                "tributary",
                &format!(
                    "{TYPES} CREATE TABLE {table} ({COLUMNS}) WITH (toast_tuple_target = 128); \
                     INSERT INTO {table} VALUES {};",
                    rows.join(", ")
                ),
            )
            .unwrap();
    }
    database
        .sql(
            "tributary",
            &format!("ALTER TABLE {} REPLICA IDENTITY FULL;", tables[1]),
        )
        .unwrap();

    let sides: Vec<_> = VARIANTS
        .iter()
        .flat_map(|(suffix, extra)| {
            [
                ("Debezium", &apache, format!("{base}_a{suffix}"), *extra),
                ("Tributary", &tributary, format!("{base}_t{suffix}"), *extra),
            ]
        })
        .collect();
    let names: Vec<String> = captured.iter().map(|(table, ..)| table.clone()).collect();
    for (who, api, prefix, extra) in &sides {
        let d = delimiter(extra);
        let topics = names.iter().map(|table| table_topic(prefix, extra, table)).chain([
            format!("{prefix}{d}transaction"),
            format!("__debezium-heartbeat{d}{prefix}"),
            format!("{prefix}.message"),
        ]);
        for topic in topics {
            kafka.create_topic(&topic, 1, 1).await.unwrap();
        }
        let (status, body) = api
            .post(
                "/connectors",
                json!({"name": prefix, "config": config(database, prefix, &names, extra)}),
            )
            .await;
        assert_eq!(status, 201, "{who}: {body}");
    }
    // Both snapshots read before anything changes: a change made during one would be in one
    // side's snapshot and in the other's stream.
    for (who, api, prefix, extra) in &sides {
        for (table, rows, _) in &captured {
            let snapshot = events(&table_topic(prefix, extra, table), *rows).await;
            if snapshot.len() < *rows {
                let (_, status) = api.get(&format!("/connectors/{prefix}/status")).await;
                panic!("{who} read {} of {table}'s {rows} rows: {status}", snapshot.len());
            }
        }
    }

    for table in &tables {
        transaction(database, &format!("INSERT INTO {table} VALUES {};", row(10)));
        transaction(
            database,
            &format!("INSERT INTO {table} VALUES {}, {};", row(11), row(12)),
        );
        transaction(
            database,
            &format!("UPDATE {table} SET name = 'renamed', amount = 0.5, free = 1e-20 WHERE id = 1;"),
        );
        transaction(
            database,
            &format!("UPDATE {table} SET score = 'NaN', ratio = '-Infinity', doc = NULL WHERE id = 2;"),
        );
        // PostgreSQL's infinite dates and times, alone and in arrays.
        transaction(
            database,
            &format!(
                "UPDATE {table} SET day = 'infinity', stamp = '-infinity', micros = 'infinity', \
                 zoned = 'infinity', zoned3 = '-infinity', days = ARRAY['-infinity'::date, '2024-01-01'], \
                 stamps = ARRAY['infinity'::timestamp], zoneds = ARRAY['-infinity'::timestamptz] WHERE id = 6;"
            ),
        );
        transaction(database, &format!("UPDATE {table} SET id = 40 WHERE id = 4;"));
        transaction(database, &format!("DELETE FROM {table} WHERE id = 5;"));
        transaction(database, &format!("DELETE FROM {table} WHERE id = 3;"));
        transaction(
            database,
            &format!(
                "INSERT INTO {table} VALUES {}; UPDATE {table} SET flag = NOT flag WHERE id = 6; \
                 DELETE FROM {table} WHERE id = 10;",
                row(13)
            ),
        );
    }
    // Both tables in one transaction, in one order then the other: whichever order Debezium
    // lists a transaction's tables in (`data_collections`), one of the two is not the order
    // they were first changed in.
    for pair in [[&tables[0], &tables[1]], [&tables[1], &tables[0]]] {
        let updates: String = pair
            .iter()
            .map(|table| format!("UPDATE {table} SET flag = NOT flag WHERE id = 2;"))
            .collect();
        transaction(database, &updates);
    }
    // Logical decoding messages, last (a transaction of only a message): one in a transaction,
    // one on its own (bytes no text holds), one of a prefix `_cf` leaves out.
    transaction(
        database,
        "SELECT pg_logical_emit_message(true, 'outbox', 'in a transaction');",
    );
    transaction(
        database,
        "SELECT pg_logical_emit_message(false, 'outbox', '\\x00ff7e'::bytea);",
    );
    transaction(database, "SELECT pg_logical_emit_message(false, 'audit', 'left out');");

    let mut mismatches = Vec::new();
    for pair in sides.chunks(2) {
        let [(_, apache, apache_prefix, extra), (_, tributary, tributary_prefix, _)] = pair else {
            unreachable!("sides come in pairs")
        };
        for (table, rows, records) in &captured {
            // (No configuration does both: a skipped key change has no tombstone to leave out.)
            let changes = records > rows;
            let records = records
                - if changes && extra.contains(&("skipped.operations", "u")) {
                    UPDATES
                } else {
                    0
                }
                - if changes && extra.contains(&("tombstones.on.delete", "false")) {
                    TOMBSTONES
                } else {
                    0
                };
            compare_tables(
                table,
                records,
                (apache, apache_prefix, &table_topic(apache_prefix, extra, table)),
                (
                    tributary,
                    tributary_prefix,
                    &table_topic(tributary_prefix, extra, table),
                ),
                &mut mismatches,
            )
            .await;
        }
        if extra.iter().any(|(key, _)| *key == "heartbeat.interval.ms") {
            let d = delimiter(extra);
            let debezium = events(&format!("__debezium-heartbeat{d}{apache_prefix}"), 1).await;
            let ours = events(&format!("__debezium-heartbeat{d}{tributary_prefix}"), 1).await;
            if (debezium.len(), ours.len()) != (1, 1) {
                mismatches.push(format!(
                    "heartbeats: Debezium wrote {}, Tributary {}",
                    debezium.len(),
                    ours.len()
                ));
            }
            compare(
                &format!("{apache_prefix} heartbeat"),
                (&debezium, apache_prefix),
                (&ours, tributary_prefix),
                &mut mismatches,
            );
        }
        let messages = if extra.iter().any(|(key, _)| *key == "message.prefix.exclude.list") {
            2
        } else {
            3
        };
        let debezium = events(&format!("{apache_prefix}.message"), messages).await;
        let ours = events(&format!("{tributary_prefix}.message"), messages).await;
        if (debezium.len(), ours.len()) != (messages, messages) {
            mismatches.push(format!(
                "messages: {messages} expected, Debezium wrote {}, Tributary {}",
                debezium.len(),
                ours.len()
            ));
        }
        compare(
            &format!("{apache_prefix} message"),
            (&debezium, apache_prefix),
            (&ours, tributary_prefix),
            &mut mismatches,
        );
        if !extra.contains(&("provide.transaction.metadata", "true")) {
            continue;
        }
        // Each streamed transaction's BEGIN and END: 8 per changing table, the two
        // transactions of both, and the one of a message.
        let boundaries = 2 * 8 * tables.len() + 2 * 2 + 2;
        let debezium = events(&format!("{apache_prefix}.transaction"), boundaries).await;
        let ours = events(&format!("{tributary_prefix}.transaction"), boundaries).await;
        if (debezium.len(), ours.len()) != (boundaries, boundaries) {
            mismatches.push(format!(
                "transaction topic: {boundaries} records expected, Debezium wrote {}, Tributary {}",
                debezium.len(),
                ours.len()
            ));
        }
        compare(
            &format!("{apache_prefix} transaction"),
            (&debezium, apache_prefix),
            (&ours, tributary_prefix),
            &mut mismatches,
        );
    }
    runtime.shutdown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// One configuration of [`unwrapped_rows_are_what_debezium_writes`]: a suffix of the
/// connectors' names, the transformation's settings, and how many records the test's changes
/// make.
struct Unwrap {
    suffix: &'static str,
    settings: &'static [(&'static str, &'static str)],
    records: usize,
}

/// Debezium's ExtractNewRecordState in each of its `delete.tombstone.handling.mode`s, with
/// fields and headers added.
const UNWRAP_VARIANTS: [Unwrap; 5] = [
    Unwrap {
        suffix: "_tomb",
        settings: &[
            ("add.fields", "op,table,lsn,txId,id"),
            ("add.headers", "op,db,source.lsn:where"),
        ],
        records: 5,
    },
    Unwrap {
        suffix: "_drop",
        settings: &[
            ("delete.tombstone.handling.mode", "drop"),
            ("add.fields.prefix", "dbz_"),
            ("add.fields", "op"),
        ],
        records: 4,
    },
    Unwrap {
        suffix: "_rw",
        settings: &[("delete.tombstone.handling.mode", "rewrite"), ("add.fields", "op")],
        records: 5,
    },
    Unwrap {
        suffix: "_rwt",
        settings: &[
            ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
            ("replace.null.with.default", "false"),
            ("add.headers.prefix", "h_"),
            ("add.headers", "op"),
        ],
        records: 6,
    },
    Unwrap {
        suffix: "_d2t",
        settings: &[
            ("delete.tombstone.handling.mode", "delete-to-tombstone"),
            ("add.headers", "op"),
        ],
        records: 5,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwrapped_rows_are_what_debezium_writes() {
    let kafka = shared_cluster();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_apache_process, apache, runtime, tributary) = beside_debezium(dir.path()).await;
    assert_eq!(definition_differences(&apache, &tributary).await, Vec::<String>::new());
    let base = unique_name("unwrap").replace('-', "_");
    // A nullable column with a default: a delete's row (only its key under the default replica
    // identity) takes the default in the rewrite modes unless replace.null.with.default=false.
    let table = format!("{base}_rows");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, name TEXT NOT NULL, note TEXT DEFAULT 'none', \
                 amount NUMERIC(10,2))"
            ),
        )
        .unwrap();
    let sides: Vec<_> = UNWRAP_VARIANTS
        .iter()
        .flat_map(|variant| {
            let Unwrap {
                suffix,
                settings,
                records,
            } = variant;
            [
                (&apache, format!("{base}_a{suffix}"), *settings, *records),
                (&tributary, format!("{base}_t{suffix}"), *settings, *records),
            ]
        })
        .collect();
    for (api, prefix, settings, _) in &sides {
        kafka
            .create_topic(&format!("{prefix}.public.{table}"), 1, 1)
            .await
            .unwrap();
        let mut config = config(
            database,
            prefix,
            std::slice::from_ref(&table),
            &[("snapshot.mode", "no_data")],
        );
        config["transforms"] = json!("unwrap");
        config["transforms.unwrap.type"] = json!("io.debezium.transforms.ExtractNewRecordState");
        for (key, value) in *settings {
            config[format!("transforms.unwrap.{key}")] = json!(value);
        }
        let (status, body) = api.post("/connectors", json!({"name": prefix, "config": config})).await;
        assert_eq!(status, 201, "{prefix}: {body}");
    }
    every_side_streams(database, &base, sides.len()).await;
    for statement in [
        format!("INSERT INTO {table} VALUES (1, 'one', 'first', 1.50)"),
        format!("INSERT INTO {table} VALUES (2, 'two', NULL, NULL)"),
        format!("INSERT INTO {table} (id, name) VALUES (3, 'three')"),
        format!("UPDATE {table} SET amount = 2.25 WHERE id = 1"),
        format!("DELETE FROM {table} WHERE id = 2"),
    ] {
        transaction(database, &format!("{statement};"));
    }
    let mut mismatches = Vec::new();
    for pair in sides.chunks(2) {
        let [(_, apache_prefix, _, records), (_, tributary_prefix, ..)] = pair else {
            unreachable!("sides come in pairs")
        };
        let debezium = events(&format!("{apache_prefix}.public.{table}"), *records).await;
        let ours = events(&format!("{tributary_prefix}.public.{table}"), *records).await;
        if (debezium.len(), ours.len()) != (*records, *records) {
            mismatches.push(format!(
                "{apache_prefix}: {records} records expected, Debezium wrote {}, Tributary {}",
                debezium.len(),
                ours.len()
            ));
        }
        compare(
            apache_prefix,
            (&debezium, apache_prefix),
            (&ours, tributary_prefix),
            &mut mismatches,
        );
    }
    runtime.shutdown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The types of the signaling table's rows in the order written to its topic (the window
/// rows' ids and times differ by run).
fn signal_types(records: &[Event]) -> Vec<String> {
    records
        .iter()
        .map(|(_, value, _)| {
            let payload = &value["payload"];
            format!(
                "{} {}",
                payload["op"].as_str().unwrap_or("?"),
                payload["after"]["type"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// Signals beside Debezium: an incremental snapshot of two tables in chunks of two (one table
/// keyed by two columns, a text with a quote among them; one read under an additional
/// condition), then a blocking snapshot of one table under a SELECT and a change streamed after
/// it: the same events, and the same rows in each side's signaling table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_snapshots_are_what_debezium_writes() {
    let kafka = shared_cluster();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_apache_process, apache, runtime, tributary) = beside_debezium(dir.path()).await;
    let base = unique_name("incr").replace('-', "_");
    // A table of one key column, one of two (a text among them, read in chunks by both), and
    // one signaling table per side (each side writes its windows into its own).
    let (single, pair) = (format!("{base}_single"), format!("{base}_pair"));
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {single} (id INT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(10,2)); \
                 INSERT INTO {single} SELECT i, 'row ' || i, i * 1.25 FROM generate_series(1, 5) i; \
                 CREATE TABLE {pair} (a INT, b TEXT, v INT, PRIMARY KEY (a, b)); \
                 INSERT INTO {pair} VALUES (1, 'x', 1), (1, 'y''s', 2), (2, 'x', 3), (3, 'a', 4), (3, 'b', 0);"
            ),
        )
        .unwrap();
    let sides = [
        ("Debezium", &apache, format!("{base}_a")),
        ("Tributary", &tributary, format!("{base}_t")),
    ];
    for (who, api, prefix) in &sides {
        let signals = format!("{prefix}_signal");
        database
            .sql(
                "tributary",
                &format!(
                    "CREATE TABLE {signals} (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, \
                     data VARCHAR(2048) NULL);"
                ),
            )
            .unwrap();
        for table in [&single, &pair, &signals] {
            kafka
                .create_topic(&format!("{prefix}.public.{table}"), 1, 1)
                .await
                .unwrap();
        }
        let tables = [single.clone(), pair.clone(), signals.clone()];
        let config = config(
            database,
            prefix,
            &tables,
            &[
                ("snapshot.mode", "no_data"),
                ("signal.data.collection", &format!("public.{signals}")),
                ("incremental.snapshot.chunk.size", "2"),
            ],
        );
        let (status, body) = api.post("/connectors", json!({"name": prefix, "config": config})).await;
        assert_eq!(status, 201, "{who}: {body}");
    }
    // Both streaming: an insert arrives on each side.
    every_side_streams(database, &base, sides.len()).await;
    transaction(database, &format!("INSERT INTO {single} VALUES (6, 'row 6', 7.5);"));
    for (who, _, prefix) in &sides {
        let inserted = events(&format!("{prefix}.public.{single}"), 1).await;
        assert_eq!(inserted.len(), 1, "{who} streams no change");
    }
    // The snapshot of both tables, the pair's rows with v > 0 only.
    for (_, _, prefix) in &sides {
        let data = json!({
            "data-collections": [format!("public.{single}"), format!("public\\.{base}_p.*")],
            "type": "incremental",
            "additional-conditions": [{"data-collection": format!("public.{pair}"), "filter": "v > 0"}],
        });
        transaction(
            database,
            &format!(
                "INSERT INTO {prefix}_signal VALUES ('ad-hoc-1', 'execute-snapshot', '{}');",
                data.to_string().replace('\'', "''")
            ),
        );
    }
    // The six rows and the insert before them; the pair's four rows the condition keeps.
    for (_, _, prefix) in &sides {
        events(&format!("{prefix}.public.{single}"), 7).await;
        events(&format!("{prefix}.public.{pair}"), 4).await;
    }
    // Every window of both written (the signal and six windows: three of the first table's
    // rows, one ending it and reading the pair's first, one more, one finding none left).
    for (who, _, prefix) in &sides {
        common::eventually(WAIT, &format!("{who}'s last window"), || async {
            let rows = database
                .sql("tributary", &format!("SELECT count(*) FROM {prefix}_signal"))
                .unwrap_or_default();
            (rows.trim() == "13").then_some(())
        })
        .await;
    }
    // Then a blocking snapshot of the first table's rows a SELECT keeps, asked of both in one
    // transaction (the last commit both read before the change streamed after it), and that
    // change.
    let mut blocking = String::new();
    for (_, _, prefix) in &sides {
        let data = json!({
            "data-collections": [format!("public.{single}")],
            "type": "blocking",
            "additional-conditions": [{
                "data-collection": format!("public.{single}"),
                "filter": format!("SELECT * FROM public.{single} WHERE id > 3"),
            }],
        });
        blocking.push_str(&format!(
            "INSERT INTO {prefix}_signal VALUES ('ad-hoc-2', 'execute-snapshot', '{}');",
            data.to_string().replace('\'', "''")
        ));
    }
    transaction(database, &blocking);
    for (_, _, prefix) in &sides {
        events(&format!("{prefix}.public.{single}"), 7 + 3).await;
    }
    transaction(database, &format!("INSERT INTO {single} VALUES (7, 'row 7', 8.75);"));
    let mut mismatches = Vec::new();
    let [(_, apache, apache_prefix), (_, tributary, tributary_prefix)] = &sides;
    for (table, records) in [(&single, 7 + 3 + 1), (&pair, 4)] {
        compare_tables(
            table,
            records,
            (apache, apache_prefix, &format!("{apache_prefix}.public.{table}")),
            (
                tributary,
                tributary_prefix,
                &format!("{tributary_prefix}.public.{table}"),
            ),
            &mut mismatches,
        )
        .await;
    }
    // Both sides wrote the same windows, in the same order, once the snapshot ended.
    let signal_topic = |prefix: &str| format!("{prefix}.public.{prefix}_signal");
    let all = |prefix: String| async move {
        consume_until(
            &shared_cluster().bootstrap_servers(),
            &signal_topic(&prefix),
            1000,
            Duration::from_secs(5),
            "read_uncommitted",
        )
        .await
        .unwrap()
        .iter()
        .map(|m| {
            let json = |bytes: Option<&[u8]>| bytes.map_or(Value::Null, |b| serde_json::from_slice(b).unwrap());
            (json(m.key()), json(m.payload()), Vec::new())
        })
        .collect::<Vec<Event>>()
    };
    let (debezium, ours) = (
        signal_types(&all(apache_prefix.clone()).await),
        signal_types(&all(tributary_prefix.clone()).await),
    );
    if debezium != ours {
        mismatches.push(format!(
            "signaling table's records:\n  Debezium  {debezium:?}\n  Tributary {ours:?}"
        ));
    }
    runtime.shutdown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Where Tributary's definitions of Debezium's connector and transformation keys differ from
/// Debezium's on purpose: (class, key, what).
const KNOWN_DEFINITION_DIFFERENCES: &[(&str, &str, &str)] = &[
    // Debezium checks these in its connector's validation, which reports them missing as
    // Tributary's does; its key definitions call them optional.
    (POSTGRES, "database.hostname", "required"),
    (POSTGRES, "database.user", "required"),
    (POSTGRES, "database.dbname", "required"),
    (POSTGRES, "topic.prefix", "required"),
    // Tributary decodes pgoutput only.
    (POSTGRES, "plugin.name", "default_value"),
    // A task whose database stays down fails after five attempts in a row, where Debezium's
    // retries forever by default (-1, which Tributary takes too).
    (POSTGRES, "errors.max.retries", "default_value"),
    // The plugins' versions.
    (POSTGRES, "connector.plugin.version", "default_value"),
    // Debezium's keys its connector reads without listing them.
    (POSTGRES, "topic.heartbeat.prefix", "defined"),
    (POSTGRES, "topic.transaction", "defined"),
    (POSTGRES, "topic.delimiter", "defined"),
    // Apache's key for the defaults of null fields, which the transformation takes too.
    (UNWRAP, "replace.null.with.default", "defined"),
];

const POSTGRES: &str = "io.debezium.connector.postgresql.PostgresConnector";
const UNWRAP: &str = "io.debezium.transforms.ExtractNewRecordState";

/// The type, requirement and default of every key both Debezium (in Apache Connect) and
/// Tributary define for Debezium's PostgreSQL connector and ExtractNewRecordState, and the keys
/// only Tributary defines, compared; Debezium's many keys Tributary does not take are not (the
/// README names those it takes). The differences beyond [`KNOWN_DEFINITION_DIFFERENCES`], one
/// line each.
async fn definition_differences(apache: &Api, tributary: &Api) -> Vec<String> {
    let mut found = Vec::new();
    for class in [POSTGRES, UNWRAP] {
        let mut sides = Vec::new();
        for api in [apache, tributary] {
            let path = format!("/connector-plugins/{class}/config");
            // Apache's worker answers 404 while it loads its plugins.
            let keys = common::eventually(WAIT, &format!("{path} from {}", api.base()), || async {
                let (code, keys) = api.get(&path).await;
                (code == 200).then_some(keys)
            })
            .await;
            let by_name: std::collections::BTreeMap<String, Value> = keys
                .as_array()
                .into_iter()
                .flatten()
                .map(|key| (key["name"].as_str().unwrap_or_default().to_string(), key.clone()))
                .collect();
            sides.push(by_name);
        }
        let known = |key: &str, what: &str| KNOWN_DEFINITION_DIFFERENCES.contains(&(class, key, what));
        for (name, ours) in &sides[1] {
            let Some(theirs) = sides[0].get(name) else {
                if !known(name, "defined") {
                    found.push(format!("{class} {name}: only Tributary defines it"));
                }
                continue;
            };
            for field in ["type", "required", "default_value"] {
                if theirs[field] != ours[field] && !known(name, field) {
                    found.push(format!(
                        "{class} {name} {field}: Debezium {} / Tributary {}",
                        theirs[field], ours[field]
                    ));
                }
            }
        }
    }
    found
}
