//! Dedicated mode (`tributary mirror <file>`) between two real clusters, from Apache's file
//! format: two processes on the same file share the flows C->D and D->C (active/active, with a
//! topic filter that matches the remote topics too, so only cycle detection keeps records from
//! going round); a topic created while they run is picked up; after one process is killed with
//! -9, the other carries on and nothing is missing in the target. With `exactly.once.source.support=enabled`, a kill -9 mid-run and a
//! restart leave every record exactly once for a `read_committed` consumer. With the identity
//! policy both ways, the provenance header keeps records from looping. Bad files and
//! unreachable clusters are refused before anything starts, with every problem named.
//!
//! The tests share one pair of clusters; each uses its own cluster aliases (and so its own
//! worker groups and internal topics).

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use std::time::Duration;

use common::eventually;
use common::workers::WorkerProcess;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::ClientConfig;
use tributary_harness::clients::{consume_until, distinct_values_until, produce_all, reliable_producer, unique_name};
use tributary_harness::shared_cluster_pair;

const PER_ROUND: usize = 3_000;

/// The distinct values of `topic` on cluster `bootstrap`, once `expected` of them arrived (or
/// after 90 s). Distinct: a mirror is at least once, and a task that moves to the other process
/// may copy again what it copied since its last offset commit.
async fn values(bootstrap: &str, topic: &str, expected: usize) -> BTreeSet<Vec<u8>> {
    distinct_values_until(bootstrap, topic, expected, Duration::from_secs(90), "read_committed")
        .await
        .unwrap()
}

/// Replication factors of 1 for every topic a flow creates (single-broker clusters).
const SINGLE_BROKER: &str = "replication.factor = 1\ncheckpoints.topic.replication.factor = 1\n\
     heartbeats.topic.replication.factor = 1\noffset-syncs.topic.replication.factor = 1\n\
     offset.storage.replication.factor = 1\nstatus.storage.replication.factor = 1\n\
     config.storage.replication.factor = 1\n";

/// Writes a mirror file holding `text` into `dir`.
fn mirror_file(dir: &Path, text: impl AsRef<str>) -> PathBuf {
    let file = dir.join("mirror.properties");
    std::fs::write(&file, text.as_ref()).expect("mirror file written");
    file
}

/// Waits for `process` to exit with a failure, as a refused start does; returns its log's end.
async fn refused(mut process: WorkerProcess) -> String {
    let status = eventually(Duration::from_secs(30), "the process to exit", || {
        let status = process.exit_status();
        async move { status }
    })
    .await;
    assert!(!status.success(), "the process exited successfully");
    process.log_tail(20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_flow_and_survive_a_kill() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("dedicated");
    let topics = [format!("{prefix}-clicks"), format!("{prefix}-views")];
    for topic in &topics {
        source.create_topic(topic, 3, 1).await.unwrap();
    }
    // A topic of the target's own, mirrored the other way.
    let local = format!("{prefix}-local");
    target.create_topic(&local, 1, 1).await.unwrap();
    let on_b = (0..100).map(|i| (format!("k{i}").into_bytes(), format!("b-{i}").into_bytes()));
    assert!(produce_all(&reliable_producer(&b).unwrap(), &local, on_b, 100)
        .await
        .iter()
        .all(Result::is_ok));
    let producer = reliable_producer(&a).unwrap();
    let produce = |round: usize| {
        let (producer, topics) = (producer.clone(), topics.clone());
        async move {
            for topic in &topics {
                let records = (round * PER_ROUND..(round + 1) * PER_ROUND)
                    .map(|i| (format!("k{i}").into_bytes(), format!("{topic}-{i}").into_bytes()));
                assert!(produce_all(&producer, topic, records, 1_000)
                    .await
                    .iter()
                    .all(Result::is_ok));
            }
        }
    };
    produce(0).await;

    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        format!(
            "clusters = C, D\nC.bootstrap.servers = {a}\nD.bootstrap.servers = {b}\nC->D.enabled = true\n\
             D->C.enabled = true\ntopics = .*{prefix}.*\ntasks.max = 2\n{SINGLE_BROKER}\
             offset.flush.interval.ms = 1000\nrefresh.topics.interval.seconds = 2\n"
        ),
    );
    let mut first = WorkerProcess::run(dir.path(), "mirror-1", 0, "mirror", &file);
    let mut second = WorkerProcess::run(dir.path(), "mirror-2", 0, "mirror", &file);
    for topic in &topics {
        let copied = values(&b, &format!("C.{topic}"), PER_ROUND).await;
        assert_eq!(copied.len(), PER_ROUND, "C.{topic}");
    }
    let heartbeats = consume_until(&b, "heartbeats", 1, Duration::from_secs(30), "read_committed")
        .await
        .unwrap();
    assert!(!heartbeats.is_empty(), "heartbeats are written to the target");
    let back = values(&a, &format!("D.{local}"), 100).await;
    assert_eq!(back.len(), 100, "D->C mirrors D's own topic");
    // A topic created while both run: whichever process finds it, the leader writes the new
    // task configs (MirrorMaker 2's KAFKA-9981 lost such changes in dedicated mode).
    let added = format!("{prefix}-added");
    source.create_topic(&added, 2, 1).await.unwrap();
    let more = (0..100).map(|i| (format!("k{i}").into_bytes(), format!("added-{i}").into_bytes()));
    assert!(produce_all(&producer, &added, more, 100)
        .await
        .iter()
        .all(Result::is_ok));
    assert_eq!(
        values(&b, &format!("C.{added}"), 100).await.len(),
        100,
        "the new topic is mirrored"
    );

    // Kill one process mid-run; the other takes over its tasks and nothing goes missing.
    first.kill();
    produce(1).await;
    for topic in &topics {
        let copied = values(&b, &format!("C.{topic}"), 2 * PER_ROUND).await;
        let missing: Vec<usize> = (0..2 * PER_ROUND)
            .filter(|i| !copied.contains(format!("{topic}-{i}").as_bytes()))
            .collect();
        assert!(missing.is_empty(), "C.{topic}: {} records missing", missing.len());
    }
    assert!(second.exit_status().is_none(), "the surviving process is still running");
    // Nothing went round the loop: no C.D.* topic on D, no D.C.* topic on C.
    for (bootstrap, looped) in [(&b, format!("C.D.{local}")), (&a, format!("D.C.{}", topics[0]))] {
        let none = consume_until(bootstrap, &looped, 1, Duration::from_secs(2), "read_committed")
            .await
            .unwrap();
        assert!(none.is_empty(), "{looped} exists: records went round the loop");
    }
    second.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_mirroring_survives_a_kill_without_duplicates() {
    const RECORDS: usize = 200_000;
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let topic = unique_name("exactly-once");
    let remote = format!("E.{topic}");
    source.create_topic(&topic, 3, 1).await.unwrap();
    let records = (0..RECORDS).map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes()));
    assert!(produce_all(&reliable_producer(&a).unwrap(), &topic, records, 5_000)
        .await
        .iter()
        .all(Result::is_ok));

    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        format!(
            "clusters = E, F\nE.bootstrap.servers = {a}\nF.bootstrap.servers = {b}\nE->F.enabled = true\n\
             E->F.topics = {topic}\ntasks.max = 2\n{SINGLE_BROKER}exactly.once.source.support = enabled\n\
             emit.checkpoints.enabled = false\nemit.heartbeats.enabled = false\n"
        ),
    );
    let mut mirror = WorkerProcess::run(dir.path(), "mirror-eos", 0, "mirror", &file);
    // Kill it once part of the topic is across, while the rest is in flight.
    let watcher: BaseConsumer = ClientConfig::new().set("bootstrap.servers", &b).create().unwrap();
    let remote_end = move || {
        (0..3)
            .map(|p| {
                watcher
                    .fetch_watermarks(&remote, p, Duration::from_secs(5))
                    .map_or(0, |(_, high)| high)
            })
            .sum::<i64>()
    };
    let remote_end = std::sync::Arc::new(remote_end);
    eventually(Duration::from_secs(90), "a quarter of the records mirrored", || {
        let remote_end = remote_end.clone();
        async move {
            let end = tokio::task::spawn_blocking(move || remote_end()).await.unwrap();
            (end >= RECORDS as i64 / 4).then_some(())
        }
    })
    .await;
    mirror.kill();
    mirror.restart();
    let copied = consume_until(
        &b,
        &format!("E.{topic}"),
        RECORDS + 1,
        Duration::from_secs(60),
        "read_committed",
    )
    .await
    .unwrap();
    let distinct: BTreeSet<&[u8]> = copied.iter().filter_map(|m| m.payload()).collect();
    assert_eq!(distinct.len(), RECORDS, "every record arrived");
    assert_eq!(copied.len(), RECORDS, "no record arrived twice");
    mirror.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_active_active_with_the_provenance_header_does_not_loop() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (g, h) = (source.bootstrap_servers(), target.bootstrap_servers());
    // The identity policy: the same topic name on both sides, both ways.
    let topic = unique_name("identity");
    for (cluster, bootstrap, prefix) in [(source, &g, "g"), (target, &h, "h")] {
        cluster.create_topic(&topic, 1, 1).await.unwrap();
        let records = (0..100).map(|i| (format!("k{i}").into_bytes(), format!("{prefix}-{i}").into_bytes()));
        assert!(
            produce_all(&reliable_producer(bootstrap).unwrap(), &topic, records, 100)
                .await
                .iter()
                .all(Result::is_ok)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        format!(
            "clusters = G, H\nG.bootstrap.servers = {g}\nH.bootstrap.servers = {h}\nG->H.enabled = true\n\
             H->G.enabled = true\ntopics = {topic}\n{SINGLE_BROKER}provenance.header.enabled = true\n\
             replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n\
             emit.heartbeats.enabled = false\nemit.checkpoints.enabled = false\n"
        ),
    );
    let mut mirror = WorkerProcess::run(dir.path(), "mirror-identity", 0, "mirror", &file);
    // Each side ends with its own 100 records and the other's 100, and no more: a loop would
    // copy them back and forth for ever.
    for bootstrap in [&g, &h] {
        let both = values(bootstrap, &topic, 200).await;
        assert_eq!(both.len(), 200, "both sides' records on {bootstrap}");
        let settled = consume_until(bootstrap, &topic, 201, Duration::from_secs(5), "read_committed")
            .await
            .unwrap();
        assert_eq!(settled.len(), 200, "records went round the loop on {bootstrap}");
    }
    mirror.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_stops_the_start_before_anything_is_created() {
    let (_, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let v = target.bootstrap_servers();
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        format!(
            "clusters = U, V\nU.bootstrap.servers = {nobody}\nV.bootstrap.servers = {v}\nU->V.enabled = true\n\
             admin.timeout.ms = 3000\n{SINGLE_BROKER}"
        ),
    );
    let log = refused(WorkerProcess::run(dir.path(), "unreachable-mirror", 0, "mirror", &file)).await;
    assert!(log.contains(&format!("cannot reach cluster U at {nobody}")), "{log}");
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", &v).create().unwrap();
    let metadata = admin.inner().fetch_metadata(None, Duration::from_secs(10)).unwrap();
    assert!(
        metadata
            .topics()
            .iter()
            .all(|t| !t.name().contains(".U.") && !t.name().starts_with("U.")),
        "nothing of flow U->V was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:1\nA->C.enabled = true\nA->B.enabled = true\n\
         A->B.topics = ([\n",
    );
    let log = refused(WorkerProcess::run(dir.path(), "bad-mirror", 0, "mirror", &file)).await;
    for problem in [
        "names cluster C",
        "cluster B has no B.bootstrap.servers",
        "invalid value ([ for topics",
    ] {
        assert!(log.contains(problem), "{problem} not reported:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_values_no_client_can_take_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = mirror_file(
        dir.path(),
        "clusters = A, B\nA.bootstrap.servers = 127.0.0.1:1\nB.bootstrap.servers = 127.0.0.1:1\n\
         A->B.enabled = true\nA.consumer.fetch.max.wait.ms = soon\nB.producer.partitioner.class = com.example.Mine\n\
         A.consumer.receive.buffer.bytes = -1\n",
    );
    let log = refused(WorkerProcess::run(dir.path(), "bad-clients", 0, "mirror", &file)).await;
    for problem in ["fetch.max.wait.ms", "partitioner.class", "com.example.Mine"] {
        assert!(log.contains(problem), "{problem} not reported:\n{log}");
    }
    assert!(
        !log.contains("receive.buffer.bytes"),
        "a good value is not reported:\n{log}"
    );
}
