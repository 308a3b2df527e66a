//! File source → Kafka → file sink on a real broker: a million lines arrive identical (each
//! record stamped with its send time), and poison records go to the dead letter queue or fail
//! the task, as configured.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::{eventually, start_worker, Api};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, Timestamp};
use serde_json::json;
use tributary_harness::clients::{consume_until, produce_all, reliable_producer, unique_name};
use tributary_harness::{shared_cluster, KafkaCluster};
use tributary_runtime::clock::now_millis;
use tributary_runtime::mode::standalone::StandaloneRuntime;

const STRING: &str = "org.apache.kafka.connect.storage.StringConverter";

/// A new one-partition topic named after `prefix`, and a worker whose keys and values are
/// text (StringConverter).
async fn topic_and_text_worker(cluster: &KafkaCluster, dir: &Path, prefix: &str) -> (String, StandaloneRuntime, Api) {
    let topic = unique_name(prefix);
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    let (runtime, api) = start_worker(
        &cluster.bootstrap_servers(),
        dir,
        &[("key.converter", STRING), ("value.converter", STRING)],
    )
    .await;
    (topic, runtime, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_lines_round_trip_identically() {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..1_000_000u32 {
            writeln!(file, "line {i:07} {}", "x".repeat((i % 40) as usize)).unwrap();
        }
    }
    let expected_len = std::fs::metadata(&input).unwrap().len();
    let started_ms = now_millis();
    let (topic, runtime, api) = topic_and_text_worker(cluster, dir.path(), "million").await;
    let source = json!({"name": unique_name("src"), "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": input.display().to_string(), "topic": topic}});
    let sink = json!({"name": unique_name("sink"), "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "file": output.display().to_string(), "topics": topic}});
    assert_eq!(api.post("/connectors", source).await.0, 201);
    assert_eq!(api.post("/connectors", sink).await.0, 201);
    eventually(Duration::from_secs(300), "the sink to write every line", || async {
        let written = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
        (written >= expected_len).then_some(())
    })
    .await;
    runtime.shutdown().await;
    let (a, b) = (std::fs::read(&input).unwrap(), std::fs::read(&output).unwrap());
    assert_eq!(a.len(), b.len(), "same size");
    assert!(a == b, "output identical to input");
    // Each record is stamped with the time its line was read (CreateTime), as Apache's file
    // source stamps it.
    let first = consume_until(
        &cluster.bootstrap_servers(),
        &topic,
        10_000,
        Duration::from_secs(60),
        "read_committed",
    )
    .await
    .unwrap();
    let finished_ms = now_millis();
    for message in &first {
        let Timestamp::CreateTime(at) = message.timestamp() else {
            panic!("{:?}", message.timestamp());
        };
        assert!(
            (started_ms..=finished_ms).contains(&at),
            "{at} not in {started_ms}..={finished_ms}"
        );
    }
}

/// A producer queue of 50 records: each run of a poll's 2,000 lines is handed to librdkafka in
/// parts, the task waiting for deliveries between them; every line arrives once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_producer_queue_holds_the_source_back_without_loss_or_duplicates() {
    let lines: Vec<String> = (0..20_000u32).map(|i| format!("line {i:05}")).collect();
    full_queue_round_trip("queue-full", lines).await;
}

/// Lines of 1 KiB go to librdkafka in place (not copied), and stay alive until delivered: each
/// line differs, so a line freed or reused too early arrives changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lines_left_in_place_arrive_unchanged_through_a_full_producer_queue() {
    let lines: Vec<String> = (0..5_000u32)
        .map(|i| format!("line {i:05} {}", ((i % 26) as u8 + b'a') as char).repeat(100))
        .collect();
    full_queue_round_trip("queue-full-long", lines).await;
}

/// A file source of `lines`, its producer's queue bounded to 50 records: every line arrives
/// once, in order, and nothing else.
async fn full_queue_round_trip(name: &str, lines: Vec<String>) {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let (topic, runtime, api) = topic_and_text_worker(cluster, dir.path(), name).await;
    let source = json!({"name": unique_name("src"), "config": {
        "connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic,
        "producer.override.queue.buffering.max.messages": "50"}});
    assert_eq!(api.post("/connectors", source).await.0, 201);
    let read = consume_until(
        &cluster.bootstrap_servers(),
        &topic,
        lines.len(),
        Duration::from_secs(120),
        "read_committed",
    )
    .await
    .unwrap();
    let values: Vec<&str> = read.iter().map(|m| m.payload_view::<str>().unwrap().unwrap()).collect();
    assert_eq!(values, lines, "every line once, in order");
    // Nothing more than the lines: the partition ends right after them once the task's
    // producer has flushed (at shutdown).
    runtime.shutdown().await;
    let bootstrap = cluster.bootstrap_servers();
    let end = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        consumer.fetch_watermarks(&topic, 0, Duration::from_secs(10)).unwrap().1
    })
    .await
    .unwrap();
    assert_eq!(end, lines.len() as i64, "records in the topic");
}

async fn send_poisoned(bootstrap: &str, topic: &str) {
    let producer = reliable_producer(bootstrap).unwrap();
    let records = vec![
        (b"k1".to_vec(), br#"{"n":1}"#.to_vec()),
        (b"k2".to_vec(), b"{this is not json".to_vec()),
        (b"k3".to_vec(), br#"{"n":3}"#.to_vec()),
    ];
    assert!(produce_all(&producer, topic, records, 1)
        .await
        .iter()
        .all(Result::is_ok));
}

fn json_sink(name: &str, topic: &str, out: &std::path::Path, tolerance: &str, dlq: &str) -> serde_json::Value {
    json!({"name": name, "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
        "key.converter": STRING,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": tolerance,
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_record_goes_to_the_dead_letter_queue_with_context() {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("poisoned");
    let dlq = unique_name("dlq");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    cluster.create_topic(&dlq, 1, 1).await.unwrap();
    send_poisoned(&bootstrap, &topic).await;
    let (runtime, api) = start_worker(&bootstrap, dir.path(), &[]).await;
    let out = dir.path().join("out.txt");
    let name = unique_name("tolerant");
    assert_eq!(
        api.post("/connectors", json_sink(&name, &topic, &out, "all", &dlq))
            .await
            .0,
        201
    );

    let dead = consume_until(&bootstrap, &dlq, 1, Duration::from_secs(60), "read_committed")
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let record = &dead[0];
    assert_eq!(record.key(), Some(&b"k2"[..]));
    assert_eq!(record.payload(), Some(&b"{this is not json"[..]), "original bytes kept");
    let headers: std::collections::HashMap<String, String> = record
        .headers()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h.key.to_string(),
                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
            )
        })
        .collect();
    assert_eq!(headers["__connect.errors.topic"], topic);
    assert_eq!(headers["__connect.errors.partition"], "0");
    assert_eq!(headers["__connect.errors.offset"], "1");
    assert_eq!(headers["__connect.errors.connector.name"], name);
    assert_eq!(headers["__connect.errors.task.id"], "0");
    assert_eq!(headers["__connect.errors.stage"], "VALUE_CONVERTER");
    assert!(headers["__connect.errors.exception.message"].contains("serialization error"));

    eventually(Duration::from_secs(30), "the good records in the file", || async {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text.lines().count() == 2).then_some(())
    })
    .await;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{n=1}\n{n=3}\n");
    api.wait_for_state(&name, "RUNNING", Duration::from_secs(10)).await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_record_fails_the_task_without_tolerance_and_nothing_is_lost() {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("poisoned-strict");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    send_poisoned(&bootstrap, &topic).await;
    let (runtime, api) = start_worker(&bootstrap, dir.path(), &[]).await;
    let out = dir.path().join("out.txt");
    let name = unique_name("strict");
    assert_eq!(
        api.post("/connectors", json_sink(&name, &topic, &out, "none", ""))
            .await
            .0,
        201
    );

    let trace = eventually(Duration::from_secs(30), "the task to fail", || async {
        let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
        let task = status["tasks"].get(0)?.clone();
        (task["state"] == "FAILED").then(|| task["trace"].as_str().unwrap_or_default().to_string())
    })
    .await;
    assert!(trace.contains("VALUE_CONVERTER"), "{trace}");
    assert!(trace.contains("serialization error"), "{trace}");
    assert_eq!(
        api.get(&format!("/connectors/{name}/status")).await.1["connector"]["state"],
        "RUNNING"
    );

    // Restarting the failed task retries the same record, and fails again the same way.
    let (code, restarting) = api
        .post(
            &format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
            json!({}),
        )
        .await;
    assert_eq!(code, 202);
    assert_eq!(restarting["tasks"][0]["state"], "RESTARTING");
    eventually(Duration::from_secs(30), "the task to fail again", || async {
        let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
        (status["tasks"][0]["state"] == "FAILED").then_some(())
    })
    .await;

    // Tolerating errors from now on delivers everything after the poison record too.
    let mut config = api.get(&format!("/connectors/{name}/config")).await.1;
    config["errors.tolerance"] = json!("all");
    assert_eq!(
        api.put(&format!("/connectors/{name}/config"), Some(config)).await.0,
        200
    );
    eventually(Duration::from_secs(30), "the good records in the file", || async {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text == "{n=1}\n{n=3}\n").then_some(())
    })
    .await;
    runtime.shutdown().await;
}

/// The file sink does not read headers, so the worker skips them for it, but a transform
/// still gets them: a Filter with a HasHeaderKey predicate drops the record that has the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transforms_still_see_headers_the_file_sink_does_not_read() {
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::producer::FutureRecord;
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("headers");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    let producer = reliable_producer(&bootstrap).unwrap();
    for (value, skip) in [("a", false), ("b", true), ("c", false)] {
        let mut record = FutureRecord::<(), _>::to(&topic).payload(value);
        if skip {
            record = record.headers(OwnedHeaders::new().insert(Header {
                key: "skip",
                value: Some("yes"),
            }));
        }
        producer.send(record, Duration::from_secs(30)).await.unwrap();
    }
    let (runtime, api) = start_worker(&bootstrap, dir.path(), &[]).await;
    let out = dir.path().join("out.txt");
    let name = unique_name("filtered");
    let config = json!({"name": name, "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
        "value.converter": STRING,
        "transforms": "drop", "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.drop.predicate": "hasSkip",
        "predicates": "hasSkip",
        "predicates.hasSkip.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        "predicates.hasSkip.name": "skip"}});
    assert_eq!(api.post("/connectors", config).await.0, 201);
    eventually(Duration::from_secs(30), "the last record in the file", || async {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        text.ends_with("c\n").then_some(())
    })
    .await;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a\nc\n");
    runtime.shutdown().await;
}

/// A paused sink delivers nothing, even from a topic that appears (and is assigned to its
/// task) while it is paused, and loses nothing: after resuming, every record arrives, the new
/// topic's too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_sink_keeps_the_records_of_partitions_assigned_while_paused() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_name("paused");
    let (first, second) = (format!("{prefix}-a"), format!("{prefix}-b"));
    cluster.create_topic(&first, 1, 1).await.unwrap();
    let producer = reliable_producer(&bootstrap).unwrap();
    let send = |topic: String, value: String| {
        let producer = producer.clone();
        async move {
            let record = rdkafka::producer::FutureRecord::<(), _>::to(&topic).payload(&value);
            producer.send(record, Duration::from_secs(30)).await.unwrap();
        }
    };
    send(first.clone(), "a1".into()).await;
    let (runtime, api) = start_worker(&bootstrap, dir.path(), &[]).await;
    let out = dir.path().join("out.txt");
    let name = unique_name("paused-sink");
    let config = json!({"name": name, "config": {
        "connector.class": "FileStreamSink", "topics.regex": format!("{prefix}-.*"),
        "file": out.display().to_string(), "value.converter": STRING,
        // New topics matching the pattern are found within half a second.
        "consumer.override.metadata.max.age.ms": "500"}});
    assert_eq!(api.post("/connectors", config).await.0, 201);
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    eventually(Duration::from_secs(30), "the first record in the file", || async {
        (read() == "a1\n").then_some(())
    })
    .await;

    assert_eq!(api.put(&format!("/connectors/{name}/pause"), None).await.0, 202);
    eventually(Duration::from_secs(30), "the task PAUSED", || async {
        let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
        (status["tasks"][0]["state"] == "PAUSED").then_some(())
    })
    .await;
    cluster.create_topic(&second, 1, 1).await.unwrap();
    let later: Vec<String> = (1..=5).map(|i| format!("b{i}")).collect();
    for value in &later {
        send(second.clone(), value.clone()).await;
    }
    // Ten metadata refreshes: the task is assigned the new topic and fetches from it, but
    // nothing may reach the file while it is paused.
    let watch_until = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < watch_until {
        assert_eq!(read(), "a1\n", "a paused sink wrote records");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert_eq!(api.put(&format!("/connectors/{name}/resume"), None).await.0, 202);
    // At least once: a record may come twice (the rebalance that assigned the new topic can
    // hand back the first one uncommitted), but none may be missing.
    let expected: std::collections::BTreeSet<String> = std::iter::once("a1".to_string()).chain(later).collect();
    eventually(Duration::from_secs(30), "every record in the file", || async {
        let found: std::collections::BTreeSet<String> = read().lines().map(str::to_string).collect();
        (found == expected).then_some(())
    })
    .await;
    runtime.shutdown().await;
}
