//! MirrorSourceConnector between two real clusters: every record of the selected topics lands
//! in `<alias>.<topic>` on the target, in the same partition and order, with the same key,
//! value, headers (whatever the worker's header converter) and timestamp; excluded and
//! internal topics are left alone; a restart resumes without copying anything twice.

use crate::common;

use std::time::Duration;

use common::{eventually, start_worker};
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::FutureRecord;
use serde_json::json;
use tributary_harness::clients::{consume_until, headers_of, reliable_producer, unique_name};
use tributary_harness::shared_cluster_pair;

const PER_TOPIC: usize = 3_000;

/// What must survive mirroring: partition, key, value, timestamp and headers.
type Shape = (
    i32,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<i64>,
    Vec<(String, Option<Vec<u8>>)>,
);

/// The shape of each record, in partition and offset order.
fn shape(records: &[OwnedMessage]) -> Vec<Shape> {
    let mut rows: Vec<_> = records
        .iter()
        .map(|m| {
            (
                m.partition(),
                m.key().map(<[u8]>::to_vec),
                m.payload().map(<[u8]>::to_vec),
                m.timestamp().to_millis(),
                headers_of(m),
                m.offset(),
            )
        })
        .collect();
    rows.sort_by_key(|r| (r.0, r.5));
    rows.into_iter().map(|(p, k, v, t, h, _)| (p, k, v, t, h)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_selected_topics_byte_for_byte_and_resumes_after_a_restart() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let prefix = unique_name("mirrored");
    // Unique, so that its metrics are its own among the tests sharing this process.
    let name = format!("A->B.MirrorSourceConnector-{prefix}");
    let topics = [format!("{prefix}-orders"), format!("{prefix}-payments")];
    let skipped = format!("{prefix}-skipped");
    for topic in topics.iter().chain([&skipped]) {
        source.create_topic(topic, 3, 1).await.unwrap();
    }
    let producer = reliable_producer(&source.bootstrap_servers()).unwrap();
    // Recent timestamps: records older than the brokers' retention (7 days) would be deleted.
    let base_timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 3_600_000;
    let produce = |from: usize, count: usize| {
        let producer = producer.clone();
        let topics = topics.clone();
        let skipped = skipped.clone();
        async move {
            let mut deliveries = Vec::new();
            for topic in topics.iter().chain([&skipped]) {
                for i in from..from + count {
                    let key = format!("key-{}", i % 97);
                    // Over 1 KiB: the mirror's producer reads such records in place.
                    let value = format!("{topic}-value-{i}-{}", "x".repeat(1000 + i % 100));
                    let headers = OwnedHeaders::new()
                        .insert(Header {
                            key: "trace",
                            value: Some(&[0u8, 159, 146, 150][..]),
                        })
                        .insert(Header {
                            key: "n",
                            value: Some(i.to_string().as_bytes()),
                        })
                        // A null value and an empty one stay apart.
                        .insert(Header {
                            key: "none",
                            value: None::<&[u8]>,
                        })
                        .insert(Header {
                            key: "empty",
                            value: Some(&[][..]),
                        });
                    let mut record = FutureRecord::to(topic)
                        .payload(&value)
                        .headers(headers)
                        .timestamp(base_timestamp + i as i64)
                        .partition((i % 3) as i32);
                    // Every tenth record has no key.
                    if i % 10 != 0 {
                        record = record.key(&key);
                    }
                    // Enqueued at once; the deliveries are awaited together below.
                    deliveries.push(
                        producer
                            .send_result(record)
                            .map_err(|(e, _)| e)
                            .expect("record enqueued"),
                    );
                }
            }
            let delivered = futures::future::join_all(deliveries).await;
            assert!(delivered.iter().all(|d| matches!(d, Ok(Ok(_)))));
        }
    };
    produce(0, PER_TOPIC).await;

    let dir = tempfile::tempdir().unwrap();
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    // A header converter that would wrap header bytes: mirrored headers must bypass it.
    let worker_settings = [
        ("key.converter", bytes),
        ("value.converter", bytes),
        ("header.converter", "org.apache.kafka.connect.json.JsonConverter"),
    ];
    let (worker, api) = start_worker(&target.bootstrap_servers(), dir.path(), &worker_settings).await;
    let config = json!({
        "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
        "source.cluster.alias": "A",
        "target.cluster.alias": "B",
        "source.cluster.bootstrap.servers": source.bootstrap_servers(),
        "target.cluster.bootstrap.servers": target.bootstrap_servers(),
        "topics": format!("{prefix}-.*"),
        "topics.exclude": skipped,
        "replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1",
        "tasks.max": "2",
    });
    let (code, body) = api
        .put(&format!("/connectors/{name}/config"), Some(config.clone()))
        .await;
    assert_eq!(code, 201, "{body}");
    api.wait_for_state(&name, "RUNNING", Duration::from_secs(60)).await;
    let (_, tasks) = api.get(&format!("/connectors/{name}/tasks")).await;
    assert_eq!(tasks.as_array().map(Vec::len), Some(2), "six partitions over two tasks");

    for topic in &topics {
        let remote = format!("A.{topic}");
        let copied = consume_until(
            &target.bootstrap_servers(),
            &remote,
            PER_TOPIC,
            Duration::from_secs(60),
            "read_committed",
        )
        .await
        .unwrap();
        let original = consume_until(
            &source.bootstrap_servers(),
            topic,
            PER_TOPIC,
            Duration::from_secs(60),
            "read_committed",
        )
        .await
        .unwrap();
        assert_eq!(copied.len(), PER_TOPIC, "{remote}");
        assert!(shape(&copied) == shape(&original), "{remote} differs from {topic}");
    }
    let none = consume_until(
        &target.bootstrap_servers(),
        &format!("A.{skipped}"),
        1,
        Duration::from_secs(3),
        "read_committed",
    )
    .await
    .unwrap();
    assert!(none.is_empty(), "an excluded topic was mirrored");
    // The first copy was followed as long work: each task's catch-up ends (done = total). (Not
    // their sum: under load a task's consumer may fetch records twice, which it counts twice.)
    let catch_up = |series: &'static str| {
        let api = api.clone();
        let name = name.clone();
        async move {
            let text = api.metrics().await?;
            let values: Vec<i64> = text
                .lines()
                .filter(|l| {
                    l.starts_with(&format!("{series}{{connector=\"{name}\",")) && l.contains("work=\"catch-up\"")
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
                .collect();
            (values.len() == 2).then_some(values)
        }
    };
    // Each batch's replication latency (its oldest record's timestamp, an hour ago here, to
    // the target's acknowledgement) is observed.
    eventually(
        Duration::from_secs(60),
        "replication latencies of an hour or more",
        || async {
            let text = api.metrics().await?;
            let prefix = format!("tributary_source_replication_latency_seconds_sum{{connector=\"{name}\",");
            let sums: Vec<f64> = text
                .lines()
                .filter(|l| l.starts_with(&prefix))
                .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
                .collect();
            (sums.len() == 2 && sums.iter().all(|sum| *sum >= 3_600.0)).then_some(())
        },
    )
    .await;
    eventually(Duration::from_secs(60), "each task's catch-up to end", || async {
        let (done, total) = (
            catch_up("tributary_progress_done").await?,
            catch_up("tributary_progress_total").await?,
        );
        (done == total && total.iter().all(|t| *t > 0)).then_some(())
    })
    .await;

    // Stop the worker, produce more, start again: only the new records are copied.
    worker.shutdown().await;
    produce(PER_TOPIC, 500).await;
    let (_worker, api) = start_worker(&target.bootstrap_servers(), dir.path(), &worker_settings).await;
    let (code, _) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201);
    for topic in &topics {
        let remote = format!("A.{topic}");
        let bootstrap = target.bootstrap_servers();
        let copied = consume_until(
            &bootstrap,
            &remote,
            PER_TOPIC + 500,
            Duration::from_secs(60),
            "read_committed",
        )
        .await
        .unwrap();
        assert_eq!(
            copied.len(),
            PER_TOPIC + 500,
            "{remote}: records missing after the restart"
        );
        // Asks for one more: waits a few seconds to see that no duplicate comes.
        let again = consume_until(
            &bootstrap,
            &remote,
            PER_TOPIC + 501,
            Duration::from_secs(5),
            "read_committed",
        )
        .await
        .unwrap();
        assert_eq!(
            again.len(),
            PER_TOPIC + 500,
            "{remote}: records copied twice after the restart"
        );
    }
}

/// A heartbeats topic of the source cluster (`<alias>.heartbeats`, written by the heartbeat
/// connector of a cluster further away) is mirrored though the topic filter does not select it,
/// as Apache's, unless `heartbeats.replication.enabled=false`: then only the selected topic is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_topics_are_mirrored_past_the_filter_unless_heartbeats_replication_is_off() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let far = unique_name("far");
    let (heartbeats, selected) = (format!("{far}.heartbeats"), format!("{far}-selected"));
    let producer = reliable_producer(&source.bootstrap_servers()).unwrap();
    for topic in [&heartbeats, &selected] {
        source.create_topic(topic, 1, 1).await.unwrap();
        producer
            .send(FutureRecord::to(topic).key("k").payload("v"), Duration::from_secs(30))
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&target.bootstrap_servers(), dir.path(), &[]).await;
    // A source alias per connector, so that their remote topics differ.
    for (alias, replication) in [(unique_name("on"), None), (unique_name("off"), Some("false"))] {
        let mut config = json!({
            "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            "source.cluster.alias": alias,
            "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": source.bootstrap_servers(),
            "target.cluster.bootstrap.servers": target.bootstrap_servers(),
            "topics": selected,
            "replication.factor": "1",
            "offset-syncs.topic.replication.factor": "1",
            "emit.offset-syncs.enabled": "false",
        });
        if let Some(enabled) = replication {
            config["heartbeats.replication.enabled"] = json!(enabled);
        }
        let name = format!("{alias}->B.MirrorSourceConnector");
        let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
        assert_eq!(code, 201, "{body}");
        let read = |topic: String, wait: Duration| {
            let bootstrap = target.bootstrap_servers();
            async move {
                consume_until(&bootstrap, &topic, 1, wait, "read_committed")
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(read(format!("{alias}.{selected}"), Duration::from_secs(60)).await, 1);
        // Both topics are found in the same listing: once the selected one is copied, a copy
        // of the heartbeats topic would follow within seconds.
        let wait = if replication.is_none() {
            Duration::from_secs(60)
        } else {
            Duration::from_secs(5)
        };
        let copied = read(format!("{alias}.{heartbeats}"), wait).await;
        assert_eq!(copied, usize::from(replication.is_none()), "{name}");
    }
}
