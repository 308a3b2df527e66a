//! JsonConverter read by Apache Kafka Connect 4.3.1 and by Tributary, side by side on one
//! broker: each runs a FileStreamSink over the same topics, one of plain JSON
//! (`schemas.enable=false`) and one of schema-and-payload envelopes (read twice: nulls and
//! left-out fields as their defaults, and with `replace.null.with.default=false` as nulls), and
//! the two files they print (`toString()` of each Connect value, one per line) must be the same
//! bytes. Numbers at the edges of a long and a double, escapes, nesting, repeated keys,
//! tombstones and a record that is not JSON at all (skipped by both under
//! `errors.tolerance=all`) are in the topics. A third topic's sinks insert each record's Kafka
//! topic, partition, offset and timestamp (InsertField on sink records) beside its value. A
//! fourth topic holds bare payloads that both read along one schema given as
//! `schema.content`; two more hold text in ISO-8859-1 and UTF-16, read by StringConverter
//! with `converter.encoding`.
//!
//! Objects read without a schema become Java `HashMap`s, printed in hash order: their keys here
//! are single letters in alphabetical order, which is that order too.

use crate::common;

use std::path::Path;
use std::time::Duration;

use rdkafka::producer::FutureRecord;
use serde_json::json;
use tributary_harness::clients::{reliable_producer, unique_name};
use tributary_harness::shared_cluster;

const WAIT: Duration = Duration::from_secs(90);

/// The last record of each topic: both files end with its line once everything is read.
const END: &str = r#""end""#;

/// Plain JSON values, as producers write them without a schema (`None` is a tombstone).
const PLAIN: &[Option<&str>] = &[
    Some(r#"{"a":1}"#),
    Some(r#"{"a":1.5,"b":-0.0,"c":1E2}"#),
    Some("12345678901234567890"),
    Some("123456789012345678901234567890"),
    Some("[1e400, -0, 1e19, 18446744073709551616, -1e-400]"),
    Some("-9223372036854775808"),
    Some("9007199254740993"),
    Some("-0"),
    Some("1.0"),
    Some("0.1"),
    Some("0.30000000000000004"),
    Some("123456789.123"),
    Some("1.7976931348623157e308"),
    Some("4.9e-324"),
    Some("1e400"),
    Some("[1.0E10, 1.0E-5, 0.001, 1e7, 1e6, 12345678.9]"),
    Some(r#""tab\there \u00e9 \ud83d\ude00 \"quoted\" back\\slash""#),
    Some(r#"[1,[2,"x"],null,true,{},[]]"#),
    Some(r#"{"k":{"n":[{"z":null}]}}"#),
    Some(r#"{"a":1,"a":2}"#),
    Some("null"),
    None,
    Some("true"),
    Some("42"),
    Some(r#""plain""#),
    Some(r#"{"a":"#),
    Some("  [ 1 , 2 ]  "),
    Some(END),
];

/// Arrays of doubles written with 17 significant digits, from bit patterns spread over 2⁻¹⁰⁰⁰ to
/// 2⁵⁹ (below 2⁶³, so that none is taken for an integer beyond 64 bits): each must be read as
/// the nearest double, as Java's parser reads it.
fn many_doubles() -> Vec<String> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..20)
        .map(|_| {
            let numbers: Vec<String> = (0..50)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let exponent = 23 + (state >> 52) % 1060;
                    let bits = (state & (1 << 63)) | (exponent << 52) | (state & ((1 << 52) - 1));
                    format!("{:.16e}", f64::from_bits(bits))
                })
                .collect();
            format!("[{}]", numbers.join(","))
        })
        .collect()
}

/// Schema-and-payload envelopes (`schemas.enable=true`).
fn enveloped() -> Vec<Option<String>> {
    let int = |t: &str| json!({"type": t, "optional": false});
    let every_type = json!({
        "schema": {"type": "struct", "name": "every", "optional": false, "fields": [
            {"field": "i8", "type": "int8"}, {"field": "i16", "type": "int16"},
            {"field": "i32", "type": "int32"}, {"field": "i64", "type": "int64"},
            {"field": "f32", "type": "float"}, {"field": "f64", "type": "double"},
            {"field": "yes", "type": "boolean"}, {"field": "text", "type": "string"},
            {"field": "gone", "type": "string", "optional": true},
            {"field": "list", "type": "array", "items": int("int32")},
            {"field": "map", "type": "map", "keys": int("string"), "values": int("int64")},
            {"field": "by_number", "type": "map", "keys": int("int32"), "values": int("string")},
            {"field": "inner", "type": "struct", "fields": [{"field": "x", "type": "double"}]},
            {"field": "left_out", "type": "string", "optional": true, "default": "none given"}
        ]},
        "payload": {
            "i8": -128, "i16": 32767, "i32": -2147483648, "i64": 9223372036854775807i64,
            "f32": 0.1, "f64": 1e-7, "yes": true, "text": "ünïcødé", "gone": null,
            "list": [3, 2, 1], "map": {"only": 5}, "by_number": [[7, "seven"]],
            "inner": {"x": 2.5}
        }
    });
    let optional_with_default = json!({"schema": {"type": "int32", "optional": true, "default": 7}, "payload": null});
    let float32 = json!({"schema": {"type": "float"}, "payload": 16777217.0});
    let primitive = json!({"schema": {"type": "int64"}, "payload": 5});
    let no_schema = json!({"schema": null, "payload": {"a": [1, 2.0]}});
    let decimal = r#"{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}"#;
    let texts = [
        format!(r#"{{"schema":{decimal},"payload":123456789012345678901234.56}}"#),
        format!(r#"{{"schema":{decimal},"payload":-0.05}}"#),
        format!(r#"{{"schema":{decimal},"payload":"AeI="}}"#),
        r#"{"schema":{"type":"int64"},"payload":12345678901234567890}"#.to_string(),
        r#"{"schema":{"type":"int32"},"payload":2147483648}"#.to_string(),
        r#"{"schema":{"type":"int8"},"payload":300}"#.to_string(),
        r#"{"schema":{"type":"double"},"payload":1e400}"#.to_string(),
        r#"{"schema":{"type":"double"},"payload":-0.0}"#.to_string(),
        r#"{"schema":{"type":"float"},"payload":1e39}"#.to_string(),
        r#"{"schema":{"type":"double"},"payload":"NaN"}"#.to_string(),
        r#"{"schema":{"type":"double"},"payload":"-Infinity"}"#.to_string(),
        r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":1700000000123}"#
            .to_string(),
        r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":19000}"#.to_string(),
        r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time"},"payload":3723004}"#.to_string(),
        // Before 1582-10-15 Java's calendar is Julian; a year under 1000 is printed unpadded.
        r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":-200000}"#.to_string(),
        r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":-700000}"#.to_string(),
        r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":-15000000000000}"#
            .to_string(),
        // Years BC print as the year of their era (1 BC as 1); years far past chrono's range.
        r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":-62167219200000}"#
            .to_string(),
        r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":-8000000000000000}"#
            .to_string(),
        r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":2147483647}"#.to_string(),
    ];
    [every_type, optional_with_default, float32, primitive, no_schema]
        .iter()
        .map(|v| Some(v.to_string()))
        .chain(texts.into_iter().map(Some))
        .chain([
            None,
            Some(format!(r#"{{"schema":{{"type":"string"}},"payload":{END}}}"#)),
        ])
        .collect()
}

/// The schema `schema.content` gives the bare payloads of [`FIXED`].
const FIXED_SCHEMA: &str = r#"{"type":"struct","name":"fixed","fields":[
    {"field":"v","type":"string"},
    {"field":"n","type":"int32","optional":true,"default":7},
    {"field":"t","type":"int64","name":"org.apache.kafka.connect.data.Timestamp","optional":true}]}"#;

/// Bare payloads of [`FIXED_SCHEMA`]: one whole, one with its defaults, an envelope (no `v`
/// there), one not JSON, a tombstone.
const FIXED: &[Option<&str>] = &[
    Some(r#"{"v":"a","n":1,"t":1700000000123}"#),
    Some(r#"{"v":"b"}"#),
    Some(r#"{"schema":{"type":"string"},"payload":"enveloped"}"#),
    Some(r#"{"v":"#),
    None,
    Some(r#"{"v":"end","n":2}"#),
];

/// A FileStreamSink printing `topic` into `file` through JsonConverter (or what `extra` sets),
/// skipping what it cannot read.
fn sink(topic: &str, file: &Path, schemas: bool, extra: &serde_json::Value) -> serde_json::Value {
    let mut connector = json!({"name": unique_name("json-sink"), "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": file.display().to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": schemas.to_string(),
        "errors.tolerance": "all"}});
    if let (Some(config), Some(extra)) = (connector["config"].as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    connector
}

/// Values hoisted into a struct's field `v`, and the record's Kafka topic, partition, offset and
/// timestamp inserted beside it: what a sink record carries, printed the same by both.
fn with_metadata() -> serde_json::Value {
    json!({
        "transforms": "hoist,insert",
        "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.hoist.field": "v",
        "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.insert.topic.field": "topic",
        "transforms.insert.partition.field": "partition",
        "transforms.insert.offset.field": "offset",
        "transforms.insert.timestamp.field": "at",
    })
}

/// Whether a printed file's last line is [`END`]'s record's (as it is, or hoisted into a
/// struct's first field `v`).
fn finished(text: &str) -> bool {
    text.ends_with('\n')
        && text
            .lines()
            .last()
            .is_some_and(|line| line == "end" || line.starts_with("Struct{v=end,"))
}

/// `file`'s text once its last line is [`END`]'s, or what it holds after `wait`.
async fn printed(file: &Path, wait: Duration) -> String {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Bytes print as they are, so the file need not be UTF-8.
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
        if finished(&text) || tokio::time::Instant::now() >= deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A difference Tributary keeps: what Apache prints, what Tributary prints instead, and why.
const ACCEPTED: &[(&str, &str, &str)] = &[
    (
        "0.0",
        "NaN",
        "a double's \"NaN\" string (as Jackson writes NaN) reads as NaN; Apache reads a string as 0.0",
    ),
    (
        "0.0",
        "-Infinity",
        "a double's \"-Infinity\" string (as Jackson writes it) reads as -Infinity; Apache reads 0.0",
    ),
];

/// Whether two lines print the same values: items that differ only in Java 17's choice of
/// digits for one double (its `Double.toString` is not always the shortest form, JDK-4511638,
/// fixed in Java 19) count as the same.
fn same_values(apache: &str, tributary: &str) -> bool {
    let (a_items, t_items): (Vec<&str>, Vec<&str>) = (apache.split(", ").collect(), tributary.split(", ").collect());
    let number = |item: &str| item.trim_matches(['[', ']']).parse::<f64>().ok();
    a_items.len() == t_items.len()
        && a_items
            .iter()
            .zip(&t_items)
            .all(|(a, t)| a == t || number(a).is_some_and(|a| Some(a) == number(t)))
}

/// What differs between two files' lines, but for the differences Tributary keeps.
fn differences(topic: &str, apache: &str, tributary: &str) -> Vec<String> {
    let (apache, tributary): (Vec<&str>, Vec<&str>) = (apache.lines().collect(), tributary.lines().collect());
    (0..apache.len().max(tributary.len()))
        .filter_map(|line| match (apache.get(line), tributary.get(line)) {
            (Some(a), Some(t)) if same_values(a, t) => None,
            (Some(a), Some(t)) if ACCEPTED.iter().any(|(x, y, _)| (x, y) == (a, t)) => None,
            (a, t) => Some(format!("{topic} line {line}: Apache {a:?}, Tributary {t:?}")),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_values_print_as_apache_connect_prints_them() {
    tributary_connectors::link();
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (plain_topic, enveloped_topic, metadata_topic, fixed_topic) = (
        unique_name("json-plain"),
        unique_name("json-enveloped"),
        unique_name("json-metadata"),
        unique_name("json-fixed"),
    );
    let producer = reliable_producer(&kafka.bootstrap_servers()).unwrap();
    let topics: [(&str, Vec<Option<String>>); 4] = [
        (
            &plain_topic,
            many_doubles()
                .into_iter()
                .map(Some)
                .chain(PLAIN.iter().map(|v| v.map(str::to_string)))
                .collect(),
        ),
        (&enveloped_topic, enveloped()),
        (
            &metadata_topic,
            [
                r#"{"schema":{"type":"int64"},"payload":5}"#,
                r#"{"schema":{"type":"struct","fields":[{"field":"x","type":"double"}]},"payload":{"x":0.5}}"#,
                r#"{"schema":{"type":"string"},"payload":"end"}"#,
            ]
            .into_iter()
            .map(|v| Some(v.to_string()))
            .collect(),
        ),
        (&fixed_topic, FIXED.iter().map(|v| v.map(str::to_string)).collect()),
    ];
    // Text in other character sets, read by StringConverter's converter.encoding.
    let (latin1_topic, utf16_topic) = (unique_name("text-latin1"), unique_name("text-utf16"));
    let texts: [(&str, &[&[u8]]); 2] = [
        (&latin1_topic, &[b"caf\xe9", b"\x80\xff\x00", b"end"]),
        (
            &utf16_topic,
            &[
                b"\xfe\xff\x00a\x00\xe9",
                b"\xff\xfeb\x00",
                b"\x00c\xd8\x00",
                b"\x00d\x00",
                b"\xfe\xff\x00e\x00n\x00d",
            ],
        ),
    ];
    for (topic, values) in texts {
        kafka.create_topic(topic, 1, 1).await.unwrap();
        for value in values {
            producer
                .send(
                    FutureRecord::<(), [u8]>::to(topic).payload(*value),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    }
    let text_in = |encoding: &str| {
        json!({"value.converter": "org.apache.kafka.connect.storage.StringConverter",
               "value.converter.converter.encoding": encoding})
    };
    for (topic, values) in &topics {
        kafka.create_topic(topic, 1, 1).await.unwrap();
        for value in values {
            let record = FutureRecord::<(), str>::to(topic);
            let record = match value {
                Some(text) => record.payload(text.as_str()),
                None => record,
            };
            producer
                .send(record, Duration::from_secs(30))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    }

    let (_apache_process, apache, runtime, tributary) = common::workers::standalone_side_by_side(
        kafka,
        dir.path(),
        "org.apache.kafka.connect.storage.StringConverter",
        None,
    )
    .await;

    // Both sides' sinks of every topic at once (the envelopes twice: nulls read as their
    // defaults, and as nulls), each side's file named after its sink's place here.
    let topics = [
        (&enveloped_topic, true, json!({})),
        (
            &enveloped_topic,
            true,
            json!({"value.converter.replace.null.with.default": "false"}),
        ),
        (&plain_topic, false, json!({})),
        (&metadata_topic, true, with_metadata()),
        (
            &fixed_topic,
            true,
            json!({"value.converter.schema.content": FIXED_SCHEMA}),
        ),
        (&latin1_topic, false, text_in("latin1")),
        (&utf16_topic, false, text_in("UTF-16")),
    ];
    let file = |who: &str, index: usize| dir.path().join(format!("{who}-{index}.txt"));
    let mut tributary_sinks = Vec::new();
    for (index, (topic, schemas, extra)) in topics.iter().enumerate() {
        for (who, api) in [("apache", &apache), ("tributary", &tributary)] {
            let connector = sink(topic, &file(who, index), *schemas, extra);
            if who == "tributary" {
                tributary_sinks.push(connector["name"].as_str().unwrap_or_default().to_string());
            }
            let (status, body) = api.post("/connectors", connector).await;
            assert_eq!(status, 201, "{body}");
        }
    }
    let mut mismatches = Vec::new();
    for (index, ((topic, _, _), sink_name)) in topics.iter().zip(&tributary_sinks).enumerate() {
        let apache_text = printed(&file("apache", index), WAIT).await;
        assert!(finished(&apache_text), "Apache Connect printed only {apache_text:?}");
        // Tributary has had as long as Apache already; a little more for its own start.
        let tributary_text = printed(&file("tributary", index), Duration::from_secs(30)).await;
        if !finished(&tributary_text) {
            let (_, status) = tributary.get(&format!("/connectors/{sink_name}/status")).await;
            mismatches.push(format!("{topic}: Tributary did not print every record: {status}"));
        }
        mismatches.extend(differences(topic, &apache_text, &tributary_text));
    }
    runtime.shutdown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
