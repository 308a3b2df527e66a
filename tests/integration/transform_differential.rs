//! Single message transforms applied by Apache Kafka Connect 4.3.1 and by Tributary to the same
//! lines, side by side on one broker: each runs the same FileStreamSource connectors, one per
//! chain of transforms (fields hoisted, inserted, renamed, masked, cast, dates parsed, keys and
//! headers made, a nested field extracted, topics renamed, records filtered), writing through JsonConverter with schemas
//! (a struct through StringConverter in one), and the records each writes (key, value and headers, byte for byte) must be the same. A
//! line a transform refuses (text cast to a number, say) is skipped by both under
//! `errors.tolerance=all`.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::Api;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use serde_json::{json, Map, Value};
use tributary_harness::clients::{consume_until, headers_of, unique_name};
use tributary_harness::{shared_cluster, KafkaCluster};

const WAIT: Duration = Duration::from_secs(90);

/// The lines every chain reads.
const LINES: &[&str] = &[
    "1.5",
    "-0",
    "abc",
    "12345678901234567890",
    "2023-11-14 22:13:20",
    " 7 ",
    "true",
    "1e400",
    "ünïcødé \"quoted\" back\\slash\ttab",
];

/// The chains of transforms: a name, a last line that every transform of the chain takes (so
/// that both sides' offsets reach the file's end: Apache commits no offset for a record its
/// error handler skipped), and the connector's settings beside `connector.class`, `file` and
/// `topic`.
fn chains() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "insert",
            "end",
            json!({
                "transforms": "hoist,insert",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "line",
                "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
                "transforms.insert.static.field": "origin",
                "transforms.insert.static.value": "file",
                "transforms.insert.topic.field": "topic",
                "transforms.insert.partition.field": "partition",
                "transforms.insert.timestamp.field": "at",
            }),
        ),
        (
            "mask-rename",
            "end",
            json!({
                "transforms": "hoist,secret,mask,metadata,rename",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "line",
                "transforms.secret.type": "org.apache.kafka.connect.transforms.InsertField$Value",
                "transforms.secret.static.field": "secret",
                "transforms.secret.static.value": "s3cr3t",
                "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
                "transforms.mask.fields": "secret",
                "transforms.mask.replacement": "***",
                "transforms.metadata.type": "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
                "transforms.metadata.schema.name": "lines.Line",
                "transforms.metadata.schema.version": "3",
                "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
                "transforms.rename.renames": "line:text",
            }),
        ),
        (
            "cast-double",
            "1",
            json!({
                "transforms": "hoist,cast",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "n",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "n:float64",
            }),
        ),
        (
            "cast-int",
            "1",
            json!({
                "transforms": "hoist,cast",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "n",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "n:int64",
            }),
        ),
        (
            "cast-whole",
            "true",
            json!({
                "transforms": "cast",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "boolean",
            }),
        ),
        (
            "timestamp",
            "2024-02-29 12:00:00",
            json!({
                "transforms": "hoist,parse,unix",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "at",
                "transforms.parse.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                "transforms.parse.field": "at",
                "transforms.parse.format": "yyyy-MM-dd HH:mm:ss",
                "transforms.parse.target.type": "Timestamp",
                "transforms.unix.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                "transforms.unix.field": "at",
                "transforms.unix.target.type": "string",
                "transforms.unix.format": "dd/MM/yyyy HH:mm",
            }),
        ),
        (
            "key-headers",
            "end",
            json!({
                "transforms": "inner,outer,flatten,key,extract,origin,copy",
                "transforms.inner.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.inner.field": "inner",
                "transforms.outer.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.outer.field": "outer",
                "transforms.flatten.type": "org.apache.kafka.connect.transforms.Flatten$Value",
                "transforms.flatten.delimiter": "_",
                "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey",
                "transforms.key.fields": "outer_inner",
                "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
                "transforms.extract.field": "outer_inner",
                "transforms.origin.type": "org.apache.kafka.connect.transforms.InsertHeader",
                "transforms.origin.header": "origin",
                "transforms.origin.value.literal": "file",
                "transforms.copy.type": "org.apache.kafka.connect.transforms.HeaderFrom$Value",
                "transforms.copy.fields": "outer_inner",
                "transforms.copy.headers": "copied",
                "transforms.copy.operation": "copy",
            }),
        ),
        (
            "nested-extract",
            "end",
            json!({
                "transforms": "inner,outer,extract",
                "transforms.inner.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.inner.field": "in.ner",
                "transforms.outer.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.outer.field": "outer",
                "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.extract.field": "outer.`in.ner`",
                "transforms.extract.field.syntax.version": "v2",
            }),
        ),
        (
            "number-header",
            "1",
            json!({
                "transforms": "hoist,cast,move",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "n",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
                "transforms.cast.spec": "n:float64",
                "transforms.move.type": "org.apache.kafka.connect.transforms.HeaderFrom$Value",
                "transforms.move.fields": "n",
                "transforms.move.headers": "n",
                "transforms.move.operation": "move",
            }),
        ),
        (
            "to-string",
            "2024-02-29 12:00:00",
            json!({
                "value.converter": "org.apache.kafka.connect.storage.StringConverter",
                "transforms": "hoist,copy,date",
                "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
                "transforms.hoist.field": "line",
                "transforms.copy.type": "org.apache.kafka.connect.transforms.InsertField$Value",
                "transforms.copy.static.field": "at",
                "transforms.copy.static.value": "2024-02-29 12:00:00",
                "transforms.date.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
                "transforms.date.field": "at",
                "transforms.date.format": "yyyy-MM-dd HH:mm:ss",
                "transforms.date.target.type": "Date",
            }),
        ),
        (
            "route",
            "end",
            json!({
                "transforms": "route,keep",
                "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                "transforms.route.regex": "(.*)",
                "transforms.route.replacement": "$1-routed",
                "transforms.keep.type": "org.apache.kafka.connect.transforms.Filter",
                "transforms.keep.predicate": "tombstone",
                "predicates": "tombstone",
                "predicates.tombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            }),
        ),
    ]
}

/// `value`'s text with each side's own topic name in place of `<topic>`, and a field `at`
/// (InsertField's timestamp.field) that holds the record's own timestamp as `<timestamp>`:
/// each side stamps a line with the time it read it, and both must write that time as the
/// record's timestamp too.
fn normalised(value: &Option<Vec<u8>>, timestamp: Option<i64>, topic: &str) -> Option<String> {
    let text = String::from_utf8_lossy(value.as_deref()?).replace(topic, "<topic>");
    let Ok(mut json) = serde_json::from_str::<Value>(&text) else {
        return Some(text);
    };
    if json["payload"]["at"].as_i64().is_some_and(|at| Some(at) == timestamp) {
        json["payload"]["at"] = json!("<timestamp>");
        return Some(json.to_string());
    }
    Some(text)
}

/// A record as a consumer reads it: key, value and headers, as bytes, and its timestamp.
type Written = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
    Option<i64>,
);

/// Every record of `topic` (its end offset read first).
async fn written(kafka: &KafkaCluster, topic: &str) -> Vec<Written> {
    let bootstrap = kafka.bootstrap_servers();
    let owned_topic = topic.to_string();
    let end = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new().set("bootstrap.servers", &bootstrap).create()?;
        consumer
            .fetch_watermarks(&owned_topic, 0, Duration::from_secs(10))
            .map(|(_, high)| high)
    })
    .await
    .unwrap()
    .unwrap();
    let messages = consume_until(
        &kafka.bootstrap_servers(),
        topic,
        end as usize,
        WAIT,
        "read_uncommitted",
    )
    .await
    .unwrap();
    messages
        .iter()
        .map(|m| {
            (
                m.key().map(<[u8]>::to_vec),
                m.payload().map(<[u8]>::to_vec),
                headers_of(m),
                m.timestamp().to_millis(),
            )
        })
        .collect()
}

/// Waits until the source `name` on `api` has committed the offset of `file`'s end: every
/// record before it has been written. Apache's position counts the characters it read (its
/// reader decodes UTF-8 first), Tributary's the bytes; either is the end.
async fn read_whole_file(api: &Api, name: &str, file: &Path, who: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let ends = [text.len() as u64, text.chars().count() as u64];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, offsets) = api.get(&format!("/connectors/{name}/offsets")).await;
        if offsets["offsets"][0]["offset"]["position"]
            .as_u64()
            .is_some_and(|position| ends.contains(&position))
        {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
            panic!("{who}'s {name} did not commit the file's end ({ends:?}): offsets {offsets}, status {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text(bytes: &Option<Vec<u8>>) -> String {
    bytes
        .as_deref()
        .map_or("null".into(), |b| String::from_utf8_lossy(b).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_write_what_apache_connect_writes() {
    tributary_connectors::link();
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (_apache_process, apache, runtime, tributary) = common::workers::standalone_side_by_side(
        kafka,
        dir.path(),
        "org.apache.kafka.connect.json.JsonConverter",
        None,
    )
    .await;

    // Each side's connectors, with the topic each writes to.
    let mut runs = Vec::new();
    for (chain, last, transforms) in chains() {
        let input = dir.path().join(format!("{chain}.txt"));
        let lines: String = LINES.iter().chain([&last]).map(|l| format!("{l}\n")).collect();
        std::fs::write(&input, lines).unwrap();
        for (who, api) in [("Apache", &apache), ("Tributary", &tributary)] {
            let name = unique_name(chain);
            let topic = unique_name(&format!("smt-{chain}"));
            kafka.create_topic(&topic, 1, 1).await.unwrap();
            let routed = format!("{topic}-routed");
            kafka.create_topic(&routed, 1, 1).await.unwrap();
            let mut config = Map::new();
            config.insert("connector.class".into(), json!("FileStreamSource"));
            config.insert("file".into(), json!(input.display().to_string()));
            config.insert("topic".into(), json!(topic));
            config.insert("errors.tolerance".into(), json!("all"));
            config.extend(transforms.as_object().cloned().unwrap_or_default());
            let (status, body) = api.post("/connectors", json!({"name": name, "config": config})).await;
            assert_eq!(status, 201, "{who} {chain}: {body}");
            let written_to = if chain == "route" { routed } else { topic };
            runs.push((chain, api, name, written_to, input.clone()));
        }
    }
    let mut mismatches = Vec::new();
    for pair in runs.chunks(2) {
        let [(chain, apache_api, apache_name, apache_topic, input), (_, tributary_api, tributary_name, tributary_topic, _)] =
            pair
        else {
            unreachable!("runs come in pairs")
        };
        read_whole_file(apache_api, apache_name, input, "Apache Connect").await;
        read_whole_file(tributary_api, tributary_name, input, "Tributary").await;
        let (apache_records, tributary_records) = (
            written(kafka, apache_topic).await,
            written(kafka, tributary_topic).await,
        );
        assert!(!apache_records.is_empty(), "{chain}: Apache wrote nothing");
        if apache_records.len() != tributary_records.len() {
            mismatches.push(format!(
                "{chain}: Apache wrote {} records, Tributary {}",
                apache_records.len(),
                tributary_records.len()
            ));
        }
        for (i, (a, t)) in apache_records.iter().zip(&tributary_records).enumerate() {
            let same_value = normalised(&a.1, a.3, apache_topic) == normalised(&t.1, t.3, tributary_topic);
            if a.0 != t.0 || !same_value || a.2 != t.2 {
                mismatches.push(format!(
                    "{chain} record {i}:\n  Apache    key {} value {} headers {:?} timestamp {:?}\n  Tributary key {} value {} headers {:?} timestamp {:?}",
                    text(&a.0),
                    text(&a.1),
                    a.2.iter().map(|(k, v)| (k, text(v))).collect::<Vec<_>>(),
                    a.3,
                    text(&t.0),
                    text(&t.1),
                    t.2.iter().map(|(k, v)| (k, text(v))).collect::<Vec<_>>(),
                    t.3,
                ));
            }
        }
    }
    runtime.shutdown().await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
