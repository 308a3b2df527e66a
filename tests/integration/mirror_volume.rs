//! MirrorSourceConnector at volume: 20 topics × 6 partitions, 2,000,000 records with keys (some
//! null), headers (some none) and timestamps. The target must hold every record exactly once, in source
//! order per partition, in the same partition, with the same bytes.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use common::start_worker;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::json;
use tributary_harness::clients::{send_waiting, unique_name};
use tributary_harness::shared_cluster_pair;

const TOPICS: usize = 20;
const PARTITIONS: i32 = 6;
const PER_TOPIC: usize = 100_000;

/// Each partition's records, as hashes of (key, value, headers, timestamp) in offset order.
type Digest = BTreeMap<(String, i32), Vec<u64>>;

fn client(bootstrap: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", bootstrap);
    client
}

fn produce(bootstrap: &str, topics: &[String]) {
    let producer: BaseProducer = client(bootstrap)
        .set("linger.ms", "20")
        .set("enable.idempotence", "true")
        .set("queue.buffering.max.messages", "500000")
        .create()
        .unwrap();
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 3_600_000;
    for topic in topics {
        for i in 0..PER_TOPIC {
            let key = format!("key-{i}");
            let value = format!("{topic}-value-{i:>32}");
            let n = i.to_string();
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: "trace",
                    value: Some(&[0u8, 159, 146, 150][..]),
                })
                .insert(Header {
                    key: "n",
                    value: Some(n.as_bytes()),
                });
            let mut record = BaseRecord::<String, String>::to(topic)
                .payload(&value)
                .timestamp(base + i as i64)
                .partition((i % PARTITIONS as usize) as i32);
            if i % 10 != 0 {
                record = record.key(&key);
            }
            // Every seventh record has no headers: runs handed to librdkafka mix records with
            // headers and without, each with its own timestamp.
            if i % 7 != 0 {
                record = record.headers(headers);
            }
            send_waiting(&producer, record).unwrap();
        }
    }
    producer.flush(Duration::from_secs(120)).unwrap();
}

/// Reads every partition of `topics` (named `rename(topic)` on this cluster) to `expected`
/// records each, or until `deadline`.
fn digest(bootstrap: &str, topics: &[String], rename: impl Fn(&str) -> String, deadline: Instant) -> Digest {
    let consumer: BaseConsumer = client(bootstrap)
        .set("group.id", unique_name("volume-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    let mut names = HashMap::new();
    for topic in topics {
        let name = rename(topic);
        for p in 0..PARTITIONS {
            assignment.add_partition_offset(&name, p, Offset::Beginning).unwrap();
        }
        names.insert(name, topic.clone());
    }
    consumer.assign(&assignment).unwrap();
    let mut digest = Digest::new();
    let mut total = 0;
    while total < TOPICS * PER_TOPIC && Instant::now() < deadline {
        let Some(Ok(message)) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let mut hasher = DefaultHasher::new();
        message.key().hash(&mut hasher);
        message.payload().hash(&mut hasher);
        message.timestamp().to_millis().hash(&mut hasher);
        for header in message.headers().iter().flat_map(|h| h.iter()) {
            header.key.hash(&mut hasher);
            header.value.hash(&mut hasher);
        }
        digest
            .entry((names[message.topic()].clone(), message.partition()))
            .or_default()
            .push(hasher.finish());
        total += 1;
    }
    digest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_million_records_arrive_exactly_in_order_with_the_same_bytes() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("volume");
    let topics: Vec<String> = (0..TOPICS).map(|t| format!("{prefix}-{t}")).collect();
    for topic in &topics {
        source.create_topic(topic, PARTITIONS, 1).await.unwrap();
    }
    let (bootstrap, list) = (a.clone(), topics.clone());
    tokio::task::spawn_blocking(move || produce(&bootstrap, &list))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let (_worker, api) = start_worker(&b, dir.path(), &[("key.converter", bytes), ("value.converter", bytes)]).await;
    let config = json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "source.cluster.alias": "A",
        "target.cluster.alias": "B",
        "source.cluster.bootstrap.servers": a,
        "target.cluster.bootstrap.servers": b,
        "topics": format!("{prefix}-.*"),
        "replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1",
        "tasks.max": "2",
    });
    let (code, body) = api
        .put("/connectors/A->B.MirrorSourceConnector/config", Some(config))
        .await;
    assert_eq!(code, 201, "{body}");

    let deadline = Instant::now() + Duration::from_secs(300);
    let (bootstrap, list) = (b.clone(), topics.clone());
    let copied = tokio::task::spawn_blocking(move || digest(&bootstrap, &list, |t| format!("A.{t}"), deadline));
    let (bootstrap, list) = (a.clone(), topics.clone());
    let original = tokio::task::spawn_blocking(move || digest(&bootstrap, &list, str::to_string, deadline));
    let (copied, original) = (copied.await.unwrap(), original.await.unwrap());
    assert_eq!(original.values().map(Vec::len).sum::<usize>(), TOPICS * PER_TOPIC);
    for (partition, records) in &original {
        let mirrored = copied.get(partition).map(Vec::as_slice).unwrap_or_default();
        assert!(
            mirrored == records.as_slice(),
            "{partition:?}: {}",
            difference(records, mirrored)
        );
    }
}

/// How a partition's copy differs from its source: the counts, whether it holds the same
/// records, and where its order jumps (target offset, source offset of the record there).
fn difference(source: &[u64], target: &[u64]) -> String {
    let offsets: HashMap<u64, usize> = source.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    let order: Vec<Option<usize>> = target.iter().map(|h| offsets.get(h).copied()).collect();
    let mut jumps: Vec<(usize, Option<usize>)> = order.first().map(|&o| (0, o)).into_iter().collect();
    jumps.extend(
        order
            .windows(2)
            .enumerate()
            .filter(|(_, pair)| pair[1] != pair[0].map(|o| o + 1))
            .map(|(i, pair)| (i + 1, pair[1]))
            .take(20),
    );
    let (mut sorted_source, mut sorted_target) = (source.to_vec(), target.to_vec());
    sorted_source.sort_unstable();
    sorted_target.sort_unstable();
    format!(
        "{} records in the source, {} in the target, the same records: {}; runs start at (target \
         offset, source offset) {jumps:?}",
        source.len(),
        target.len(),
        sorted_source == sorted_target
    )
}
