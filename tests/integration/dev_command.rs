//! `tributary dev`, the README's first command, run as a user runs it (the built binary): its
//! local Kafka, worker and demo pipeline come up, orders reach the file the guide names, nothing
//! is logged as an error, and Ctrl-C stops it all.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::eventually;
use serde_json::Value;
use tributary_harness::ChildProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_runs_the_demo_pipeline_without_an_error_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dev.log");
    let port = common::workers::free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command
        .args(["dev", "--port", &port.to_string()])
        .env_remove("RUST_LOG");
    let mut dev = ChildProcess::spawn(command, &log).unwrap();
    let printed = || std::fs::read_to_string(&log).unwrap_or_default();

    // Polled with a plain client: the port refuses connections until the worker is up.
    let statuses = format!("http://127.0.0.1:{port}/connectors?expand=status");
    eventually(
        Duration::from_secs(120),
        "both demo connectors and their tasks RUNNING",
        || async {
            let body: Value = reqwest::get(&statuses).await.ok()?.json().await.ok()?;
            ["demo-datagen", "demo-file-sink"]
                .iter()
                .all(|name| {
                    let status = &body[name]["status"];
                    status["connector"]["state"] == "RUNNING" && status["tasks"][0]["state"] == "RUNNING"
                })
                .then_some(())
        },
    )
    .await;
    // The guide's line "Pipeline:  demo-datagen -> topic … -> demo-file-sink -> FILE".
    let sink_file = eventually(Duration::from_secs(10), "the guide's pipeline line", || async {
        printed().lines().find_map(|line| {
            line.trim()
                .strip_prefix("Pipeline:")?
                .rsplit("-> ")
                .next()
                .map(str::to_string)
        })
    })
    .await;
    eventually(Duration::from_secs(60), "20 orders in the sink's file", || async {
        let orders = std::fs::read_to_string(sink_file.trim()).ok()?.lines().count();
        (orders >= 20).then_some(())
    })
    .await;
    let output = printed();
    assert!(!output.contains(" ERROR "), "the demo logged an error:\n{output}");

    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(dev.pid() as libc::pid_t, libc::SIGINT);
    }
    let status = eventually(Duration::from_secs(60), "dev to exit after Ctrl-C", || {
        let status = dev.exit_status();
        async move { status }
    })
    .await;
    assert!(status.success(), "{status}:\n{}", printed());
    assert!(printed().contains("Stopping..."));
}
