//! `tributary dev`: a local Kafka, a worker and a demo pipeline, for trying Tributary out.
//!
//! The pipeline: `demo-datagen` generates 10 orders a second into topic `demo-orders`;
//! `demo-file-sink` writes them to a file. Both are ordinary connectors, managed over REST.

use std::path::Path;

use anyhow::Context;
use tributary_local_kafka::KafkaCluster;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::mode::standalone::StandaloneRuntime;
use tributary_runtime::rest::ApplyLogFilter;

/// The topic the demo pipeline flows through.
const DEMO_TOPIC: &str = "demo-orders";

fn map(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Runs the demo until Ctrl-C.
pub async fn run(port: u16, apply_log: ApplyLogFilter) -> anyhow::Result<()> {
    println!("Starting a local Apache Kafka (the first run fetches its jars with Maven)...");
    let kafka = tokio::task::spawn_blocking(|| KafkaCluster::start(1))
        .await
        .context("starting Kafka")?
        .context("starting Kafka")?;
    let bootstrap = kafka.bootstrap_servers();
    let dir = kafka.dir().to_path_buf();
    let offsets = dir.join("connect.offsets");
    let sink_file = dir.join(format!("{DEMO_TOPIC}.txt"));
    // Created before the sink subscribes to it, so that its consumer does not start by
    // reporting the topic missing.
    kafka
        .create_topic(DEMO_TOPIC, 1, 1)
        .await
        .with_context(|| format!("creating topic {DEMO_TOPIC}"))?;
    let worker = map(&[
        ("bootstrap.servers", &bootstrap),
        ("offset.storage.file.filename", &offsets.display().to_string()),
        ("offset.flush.interval.ms", "5000"),
        ("listeners", &format!("http://127.0.0.1:{port}")),
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
        ("value.converter.schemas.enable", "false"),
    ]);
    let runtime = StandaloneRuntime::start(worker, Some(apply_log)).await?;
    runtime
        .add_connector(map(&[
            ("name", "demo-datagen"),
            ("connector.class", "Datagen"),
            ("topic", DEMO_TOPIC),
            ("format", "struct"),
            ("rate", "10"),
        ]))
        .await?;
    runtime
        .add_connector(map(&[
            ("name", "demo-file-sink"),
            ("connector.class", "FileStreamSink"),
            ("topics", DEMO_TOPIC),
            ("file", &sink_file.display().to_string()),
        ]))
        .await?;
    print_guide(&bootstrap, port, &sink_file);
    crate::shutdown_signal().await;
    println!("Stopping...");
    runtime.shutdown().await;
    drop(kafka);
    Ok(())
}

fn print_guide(bootstrap: &str, port: u16, sink_file: &Path) {
    let api = format!("http://127.0.0.1:{port}");
    println!(
        "\nTributary is running.\n\
         \n  Kafka:     {bootstrap}\
         \n  REST API:  {api}\
         \n  Console:   {api}/ui\
         \n  Pipeline:  demo-datagen -> topic {DEMO_TOPIC} -> demo-file-sink -> {sink}\n\
         \nTry:\
         \n  curl -s {api}/connectors?expand=status\
         \n  curl -s {api}/connectors/demo-datagen/status\
         \n  curl -s -X PUT {api}/connectors/demo-datagen/pause\
         \n  curl -s -X PUT {api}/connectors/demo-datagen/resume\
         \n  curl -s {api}/connector-plugins\
         \n  tributary ctl --url {api} get connectors\
         \n  tail -f {sink}\n\
         \nCtrl-C stops the worker and Kafka.",
        sink = sink_file.display()
    );
}
