//! A broker killed (SIGKILL) and restarted under load, under a two-worker cluster moving a file
//! through Kafka into another file: the tasks recover by themselves and every line arrives.
//! Has its own three-broker cluster, since it breaks it.

use crate::common;

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use common::eventually;
use common::workers::{start_file_pipeline, ClusterSpec, WorkerProcess};
use tributary_harness::clients::unique_name;
use tributary_harness::KafkaCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_and_restarted_under_load_loses_no_line() {
    let mut kafka = tokio::task::spawn_blocking(|| KafkaCluster::start(3))
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = ClusterSpec::new(&kafka.bootstrap_servers(), 3);
    let workers = [
        WorkerProcess::start(&spec, dir.path(), "w0"),
        WorkerProcess::start(&spec, dir.path(), "w1"),
    ];
    for worker in &workers {
        worker.wait_ready().await;
    }
    let topic = unique_name("broker-failure");
    kafka.create_topic(&topic, 3, 3).await.unwrap();
    let api = workers[0].api.clone();
    let (input, output) = start_file_pipeline(&api, dir.path(), "bf", &topic).await;

    const LINES: u64 = 40_000;
    let writer_input = input.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut file = std::fs::OpenOptions::new().append(true).open(writer_input).unwrap();
        let started = Instant::now();
        for chunk in 0..LINES / 500 {
            let text: String = (chunk * 500..(chunk + 1) * 500)
                .map(|i| format!("line-{i:08}\n"))
                .collect();
            file.write_all(text.as_bytes()).unwrap();
            let due = Duration::from_millis(12_000 * (chunk + 1) / (LINES / 500));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    tokio::task::block_in_place(|| kafka.kill(0)).unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    tokio::task::block_in_place(|| kafka.restart(0)).unwrap();
    writer.await.unwrap();

    let seen = eventually(Duration::from_secs(120), "every line in the output", || async {
        let text = std::fs::read_to_string(&output).unwrap_or_default();
        let seen: HashSet<&str> = text.lines().collect();
        (seen.len() as u64 == LINES).then_some(seen.len())
    })
    .await;
    assert_eq!(seen as u64, LINES);
    for name in ["bf-src", "bf-sink"] {
        api.wait_for_state(name, "RUNNING", Duration::from_secs(30)).await;
    }
}
