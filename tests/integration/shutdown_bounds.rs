//! A worker stops within a bound even when what it talks to is gone: with its broker stopped
//! first, a standalone worker running a source and a JDBC sink, and a distributed one, exit on
//! SIGTERM within `task.shutdown.graceful.timeout.ms` plus the fixed bounds of their other
//! shutdown steps.

use crate::common;

use std::time::{Duration, Instant};

use common::workers::{free_port, ClusterSpec, WorkerProcess};
use common::{eventually, merged};
use serde_json::json;
use tributary_harness::clients::unique_name;
use tributary_harness::{shared_postgres, KafkaCluster};

/// The tasks' graceful stop, as configured below.
const TASK_SHUTDOWN: Duration = Duration::from_secs(3);
/// What the worker allows its other shutdown steps (leaving the group, the last status and
/// offset writes, closing clients, the REST API) before it exits anyway.
const OTHER_STEPS: Duration = Duration::from_secs(20);
/// Room for a loaded 2-core machine.
const MARGIN: Duration = Duration::from_secs(5);

/// Stops `worker` with SIGTERM and fails unless it exits within `bound`.
fn stop_within(worker: &mut WorkerProcess, bound: Duration) {
    let started = Instant::now();
    tokio::task::block_in_place(|| worker.stop());
    let took = started.elapsed();
    assert!(
        took < bound,
        "the worker took {took:?} to stop with its broker gone (bound {bound:?}):\n{}",
        worker
            .log_tail(20_000)
            .lines()
            .filter(|l| !l.contains("AllBrokersDown")
                && !l.contains("BrokerTransportFailure")
                && !l.contains("Connection refused"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{} stopped in {took:?} with the broker gone", worker.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_kafka_is_gone_exits_within_its_bound_on_sigterm() {
    let mut cluster = tokio::task::spawn_blocking(|| KafkaCluster::start(1))
        .await
        .unwrap()
        .unwrap();
    let database = tokio::task::spawn_blocking(shared_postgres).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("bounded").replace('-', "_");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    let port = free_port();
    let properties = dir.path().join("worker.properties");
    std::fs::write(
        &properties,
        format!(
            "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\noffset.storage.file.filename={}\n\
             offset.flush.interval.ms=500\ntask.shutdown.graceful.timeout.ms={}\n",
            cluster.bootstrap_servers(),
            dir.path().join("offsets").display(),
            TASK_SHUTDOWN.as_millis()
        ),
    )
    .unwrap();
    let mut worker = WorkerProcess::run(dir.path(), "worker", port, "standalone", &properties);
    worker.wait_ready().await;
    let json_converters = json!({
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    });
    worker
        .put_connector(
            "orders-generator",
            &merged(
                json!({"connector.class": "Datagen", "topic": topic, "format": "struct", "rate": "200"}),
                json_converters.clone(),
            ),
        )
        .await;
    worker
        .put_connector(
            "orders-to-postgres",
            &merged(
                json!({"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                    "connection.url": database.jdbc_url(), "connection.user": "tributary",
                    "topics": topic, "auto.create": "true", "insert.mode": "insert",
                    "consumer.override.auto.offset.reset": "earliest"}),
                json_converters,
            ),
        )
        .await;
    eventually(Duration::from_secs(60), "rows in PostgreSQL", || async {
        let count = database
            .sql("tributary", &format!("SELECT count(*) FROM {topic}"))
            .ok()?;
        (count.trim().parse::<u64>().ok()? > 0).then_some(())
    })
    .await;

    tokio::task::block_in_place(|| cluster.stop(0)).unwrap();
    stop_within(&mut worker, TASK_SHUTDOWN + OTHER_STEPS + MARGIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributed_worker_whose_kafka_is_gone_exits_within_its_bound_on_sigterm() {
    let mut cluster = tokio::task::spawn_blocking(|| KafkaCluster::start(1))
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("bounded");
    let spec = ClusterSpec::new(&cluster.bootstrap_servers(), 1).with(
        "task.shutdown.graceful.timeout.ms",
        &TASK_SHUTDOWN.as_millis().to_string(),
    );
    let mut worker = WorkerProcess::start(&spec, dir.path(), "member");
    worker.wait_ready().await;
    let output = dir.path().join("out.txt");
    worker
        .put_connector(
            "generator",
            &json!({"connector.class": "Datagen", "topic": topic, "rate": "200"}),
        )
        .await;
    worker
        .put_connector(
            "to-file",
            &json!({"connector.class": "FileStreamSink", "topics": topic, "file": output.display().to_string()}),
        )
        .await;
    eventually(Duration::from_secs(60), "lines in the sink's file", || async {
        let text = std::fs::read_to_string(&output).unwrap_or_default();
        (!text.is_empty()).then_some(())
    })
    .await;

    tokio::task::block_in_place(|| cluster.stop(0)).unwrap();
    stop_within(&mut worker, TASK_SHUTDOWN + OTHER_STEPS + MARGIN);
}
