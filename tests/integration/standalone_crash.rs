//! kill -9 of a standalone worker mid-stream: after a restart every line arrives, and the only
//! duplicates are the lines after the last committed offset, produced within one flush interval.

use crate::common;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::ClientConfig;
use tributary_harness::clients::unique_name;
use tributary_harness::shared_cluster;

/// Lines in the input, written at a steady pace while the worker runs.
const LINES: u64 = 200_000;
/// Each line is 19 digits and a newline, so a byte position names a line.
const LINE_BYTES: u64 = 20;
const FLUSH_INTERVAL_MS: u64 = 1000;
/// Allowed on top of the flush interval for the last commit's poll, ack and file write.
const COMMIT_MARGIN_MS: i64 = 2000;

fn spawn_worker(dir: &Path, log: &str) -> tokio::process::Child {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("standalone")
        .arg(dir.join("worker.properties"))
        .arg(dir.join("source.properties"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("tributary binary starts")
}

fn committed_position(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("connect.offsets")).unwrap_or_default();
    let rows: Vec<(serde_json::Value, serde_json::Value)> = serde_json::from_str(&text).unwrap_or_default();
    rows.first()
        .and_then(|(_, offset)| offset["position"].as_u64())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_and_duplicates_stay_within_one_flush_interval() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let topic = unique_name("crash");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    std::fs::write(
        dir.path().join("worker.properties"),
        format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:0\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms={FLUSH_INTERVAL_MS}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n",
            dir.path().join("connect.offsets").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("source.properties"),
        format!(
            "name=crash-source\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n",
            input.display()
        ),
    )
    .unwrap();

    // Append the lines over about six seconds.
    let writer_path = input.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut file = std::fs::OpenOptions::new().append(true).open(writer_path).unwrap();
        let started = Instant::now();
        for chunk in 0..(LINES / 1000) {
            let mut text = String::with_capacity(20_000);
            for i in chunk * 1000..(chunk + 1) * 1000 {
                text.push_str(&format!("{i:019}\n"));
            }
            file.write_all(text.as_bytes()).unwrap();
            let due = Duration::from_millis(chunk * 30);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    });

    let mut first = spawn_worker(dir.path(), "worker-1.log");
    // Kill once a commit has happened mid-stream, then give the offset file a moment to settle.
    common::eventually(Duration::from_secs(60), "a first offset commit", || async {
        let position = committed_position(dir.path());
        (position > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(FLUSH_INTERVAL_MS / 2)).await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let committed_line = committed_position(dir.path()) / LINE_BYTES;
    assert!(
        committed_line < LINES,
        "killed mid-stream (committed line {committed_line})"
    );

    let mut second = spawn_worker(dir.path(), "worker-2.log");
    writer.await.unwrap();

    // Read until every line was seen; a single partition keeps production order.
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", unique_name("crash-check"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    let mut first_seen: HashMap<u64, i64> = HashMap::new();
    let mut duplicates: Vec<(u64, i64)> = Vec::new();
    let mut stream = consumer.stream();
    let deadline = Instant::now() + Duration::from_secs(180);
    while (first_seen.len() as u64) < LINES {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(message)) = tokio::time::timeout(left, stream.next()).await else {
            panic!("only {} of {LINES} lines arrived", first_seen.len());
        };
        let message = message.unwrap();
        let line: u64 = std::str::from_utf8(message.payload().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let timestamp = message.timestamp().to_millis().unwrap();
        if let Some(&original) = first_seen.get(&line) {
            duplicates.push((line, original));
        } else {
            first_seen.insert(line, timestamp);
        }
    }
    second.start_kill().unwrap();

    // Every duplicate is a line after the last commit before the kill, in one block from it.
    let lines: Vec<u64> = duplicates.iter().map(|(l, _)| *l).collect();
    if let (Some(&low), Some(&high)) = (lines.iter().min(), lines.iter().max()) {
        assert_eq!(low, committed_line, "re-reading starts at the committed position");
        assert_eq!(
            lines.len() as u64,
            high - low + 1,
            "duplicates form one contiguous block"
        );
        let stamps: Vec<i64> = duplicates.iter().map(|(_, t)| *t).collect();
        let span = stamps.iter().max().unwrap() - stamps.iter().min().unwrap();
        assert!(
            span <= FLUSH_INTERVAL_MS as i64 + COMMIT_MARGIN_MS,
            "duplicated records were first produced over {span} ms, more than one flush interval ({FLUSH_INTERVAL_MS} ms) + {COMMIT_MARGIN_MS} ms"
        );
    }
    eprintln!(
        "kill -9 at committed line {committed_line}: {} duplicates, all {LINES} lines delivered",
        duplicates.len()
    );
}
