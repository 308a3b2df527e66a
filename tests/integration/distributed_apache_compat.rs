//! Internal-topic compatibility with Apache Kafka Connect: a real Apache Connect 4.3.1
//! distributed worker creates a FileStreamSource connector and commits its offsets; it stops;
//! a Tributary worker started on the same group and topics runs that connector and resumes from
//! the committed position, so nothing is read twice.

use crate::common;

use std::io::Write;
use std::time::Duration;

use common::workers::{free_port, ClusterSpec, WorkerProcess};
use common::{eventually, Api};
use serde_json::json;
use tributary_harness::clients::{consume_until, unique_name};
use tributary_harness::{shared_cluster, ChildProcess};

fn lines(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("legacy-{i:06}\n")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tributary_takes_over_an_apache_connect_cluster_and_resumes_its_offsets() {
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique_name("legacy");
    kafka.create_topic(&topic, 1, 1).await.unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, lines(0, 1000)).unwrap();

    let spec = ClusterSpec::new(&bootstrap, 1);
    let apache_port = free_port();
    let apache_config = dir.path().join("apache.properties");
    std::fs::write(&apache_config, spec.properties(apache_port)).unwrap();
    let mut command = kafka
        .distribution()
        .java("org.apache.kafka.connect.cli.ConnectDistributed", "512m");
    command.arg(&apache_config);
    let mut apache = ChildProcess::spawn(command, &dir.path().join("apache.log")).unwrap();
    let apache_api = Api::new(&format!("http://127.0.0.1:{apache_port}"));

    let config = json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "file": input.display().to_string(), "topic": topic, "tasks.max": "1"});
    eventually(
        Duration::from_secs(120),
        "Apache Connect to accept the connector",
        || async {
            let answer = reqwest::Client::new()
                .put(format!("http://127.0.0.1:{apache_port}/connectors/legacy-src/config"))
                .json(&config)
                .send()
                .await
                .ok()?;
            (answer.status().as_u16() == 201).then_some(())
        },
    )
    .await;
    let end_of_first = 1000 * 14;
    eventually(
        Duration::from_secs(60),
        "Apache Connect to commit the whole file",
        || async {
            let (_, body) = apache_api.get("/connectors/legacy-src/offsets").await;
            (body["offsets"][0]["offset"]["position"] == end_of_first).then_some(())
        },
    )
    .await;
    tokio::task::block_in_place(|| apache.terminate(Duration::from_secs(30)));
    assert!(apache.exit_status().is_some(), "Apache Connect did not stop");

    // More lines arrive while no worker runs.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap()
        .write_all(lines(1000, 500).as_bytes())
        .unwrap();

    let worker = WorkerProcess::start(&spec, dir.path(), "tributary");
    worker.wait_ready().await;
    let (_, connectors) = eventually(Duration::from_secs(60), "the Apache connector listed", || async {
        let (code, body) = worker.api.get("/connectors").await;
        (body == json!(["legacy-src"])).then_some((code, body))
    })
    .await;
    assert_eq!(connectors, json!(["legacy-src"]));
    let (_, stored) = worker.api.get("/connectors/legacy-src/config").await;
    assert_eq!(stored["file"], input.display().to_string());
    assert_eq!(
        stored["connector.class"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    worker
        .api
        .wait_for_state("legacy-src", "RUNNING", Duration::from_secs(60))
        .await;
    eventually(Duration::from_secs(60), "Tributary to commit the new lines", || async {
        let (_, body) = worker.api.get("/connectors/legacy-src/offsets").await;
        (body["offsets"][0]["offset"]["position"] == 1500 * 14).then_some(())
    })
    .await;
    // Resumed, not restarted: the first 1,000 lines are in the topic once.
    let records = consume_until(&bootstrap, &topic, 1501, Duration::from_secs(15), "read_committed")
        .await
        .unwrap();
    assert_eq!(records.len(), 1500);
    let last = rdkafka::Message::payload(&records[1499]).map(|p| String::from_utf8_lossy(p).to_string());
    assert_eq!(last.as_deref(), Some("legacy-001499"));
}
