//! Kafka client settings written with the Java clients' names, as users copy them from tuning
//! guides: in the worker file (`producer.*`, `consumer.*`) and in connector overrides
//! (`producer.override.*`, `consumer.override.*`), on a standalone worker and on a distributed
//! one. Records move end to end; an unknown key is only reported; a value no client can take is
//! refused up front with its key, at connector creation, at validation and at worker start.

use crate::common;

use std::io::Write;
use std::time::Duration;

use common::workers::{ClusterSpec, WorkerProcess};
use common::{config, eventually, start_worker, Api};
use serde_json::{json, Value};
use tributary_harness::clients::unique_name;
use tributary_harness::shared_cluster;
use tributary_runtime::mode::standalone::StandaloneRuntime;

/// Java names for the worker's clients, with values users copy from tuning guides.
const WORKER_SETTINGS: &[(&str, &str)] = &[
    ("producer.send.buffer.bytes", "-1"),
    ("producer.buffer.memory", "67108864"),
    ("producer.max.request.size", "2097152"),
    ("producer.delivery.timeout.ms", "120000"),
    ("consumer.receive.buffer.bytes", "-1"),
    ("consumer.fetch.max.wait.ms", "100"),
    ("consumer.max.poll.records", "50"),
    (
        "consumer.metric.reporters",
        "io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter",
    ),
];

/// A file source and a file sink with Java-named overrides (and one key nobody knows).
fn pipeline(dir: &std::path::Path, topic: &str) -> (Value, Value) {
    let source = json!({
        "connector.class": "FileStreamSource", "topic": topic,
        "file": dir.join("in.txt").display().to_string(),
        "producer.override.linger.ms": "1", "producer.override.send.buffer.bytes": "-1",
        "producer.override.compression.type": "zstd", "producer.override.no.such.setting": "1",
    });
    let sink = json!({
        "connector.class": "FileStreamSink", "topics": topic,
        "file": dir.join("out.txt").display().to_string(),
        "consumer.override.max.poll.records": "7", "consumer.override.fetch.max.wait.ms": "50",
        "consumer.override.receive.buffer.bytes": "-1",
    });
    (source, sink)
}

/// Creates the pipeline through `api` and checks 500 lines arrive in order.
async fn lines_arrive(api: &Api, dir: &std::path::Path, prefix: &str) {
    let topic = unique_name(prefix);
    std::fs::write(dir.join("in.txt"), "").unwrap();
    let (source, sink) = pipeline(dir, &topic);
    for (name, config) in [(format!("{prefix}-src"), source), (format!("{prefix}-sink"), sink)] {
        eventually(Duration::from_secs(60), "connector created", || {
            let (api, name, config) = (api.clone(), name.clone(), config.clone());
            async move {
                let (code, _) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
                // 409 until a distributed group has a leader.
                (code == 201).then_some(())
            }
        })
        .await;
        api.wait_for_state(&name, "RUNNING", Duration::from_secs(60)).await;
    }
    let mut input = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("in.txt"))
        .unwrap();
    let lines: Vec<String> = (0..500).map(|i| format!("{prefix} {i}")).collect();
    for line in &lines {
        writeln!(input, "{line}").unwrap();
    }
    drop(input);
    let output = dir.join("out.txt");
    eventually(Duration::from_secs(60), "every line in the sink's file", || {
        let written = std::fs::read_to_string(&output).unwrap_or_default();
        let done = written.lines().eq(lines.iter().map(String::as_str));
        async move { done.then_some(()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_names_in_the_worker_file_and_in_overrides_move_records_on_a_standalone_worker() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&cluster.bootstrap_servers(), dir.path(), WORKER_SETTINGS).await;
    lines_arrive(&api, dir.path(), "java-standalone").await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_names_in_overrides_move_records_on_a_distributed_worker() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ClusterSpec::new(&cluster.bootstrap_servers(), 1);
    for (key, value) in WORKER_SETTINGS {
        spec = spec.with(key, value);
    }
    let worker = WorkerProcess::start(&spec, dir.path(), "w1");
    worker.wait_ready().await;
    lines_arrive(&worker.api, dir.path(), "java-distributed").await;
    let log = std::fs::read_to_string(dir.path().join("w1.log")).unwrap_or_default();
    assert!(
        log.contains("The configuration 'no.such.setting' was supplied but isn't a known config."),
        "the unknown override is reported: {}",
        worker.log_tail(30)
    );
    assert!(
        log.contains("The configuration 'metric.reporters' has no effect here"),
        "the Java-only setting is reported: {}",
        worker.log_tail(30)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_no_client_can_take_are_refused_up_front_with_their_keys() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&cluster.bootstrap_servers(), dir.path(), &[]).await;
    let bad = json!({
        "connector.class": "FileStreamSink", "topics": "t", "file": dir.path().join("o").display().to_string(),
        "consumer.override.fetch.max.wait.ms": "soon",
        "producer.override.interceptor.classes": "com.example.Audit",
    });
    let (code, body) = api.put("/connectors/bad-overrides/config", Some(bad.clone())).await;
    assert_eq!(code, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("consumer.override.fetch.max.wait.ms"), "{message}");
    assert!(message.contains("producer.override.interceptor.classes"), "{message}");
    assert_eq!(api.get("/connectors/bad-overrides").await.0, 404, "nothing was created");

    let (code, validation) = api
        .put("/connector-plugins/FileStreamSink/config/validate", Some(bad))
        .await;
    assert_eq!(code, 200);
    let errors_of = |key: &str| -> Vec<String> {
        validation["configs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["value"]["name"] == key)
            .flat_map(|c| c["value"]["errors"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect()
    };
    let errors = errors_of("consumer.override.fetch.max.wait.ms");
    assert_eq!(errors.len(), 1, "{validation}");
    assert!(errors[0].contains("Invalid value"), "{errors:?}");
    runtime.shutdown().await;

    let mut worker = config(&[
        ("bootstrap.servers", &cluster.bootstrap_servers()),
        ("listeners", "http://127.0.0.1:0"),
        (
            "offset.storage.file.filename",
            &dir.path().join("offsets").display().to_string(),
        ),
        ("producer.buffer.memory", "lots"),
        ("consumer.auto.offset.reset", "sometimes"),
    ]);
    worker.insert("consumer.fetch.max.wait.ms".into(), "100".into());
    let error = StandaloneRuntime::start(worker, None)
        .await
        .err()
        .expect("the worker refuses to start")
        .to_string();
    assert!(error.contains("producer.buffer.memory"), "{error}");
    assert!(error.contains("consumer.auto.offset.reset"), "{error}");
}
