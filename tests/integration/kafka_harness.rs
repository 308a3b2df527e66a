//! The real-Kafka harness: one broker, three brokers with a crash, two clusters at once.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use rdkafka::message::Message;
use tributary_harness::clients::{consume_until, flush, produce_all, reliable_producer, unique_name};
use tributary_harness::{shared_cluster, shared_cluster_pair, KafkaCluster};

fn payload_number(message: &rdkafka::message::OwnedMessage) -> u64 {
    let text = std::str::from_utf8(message.payload().unwrap_or_default()).expect("utf-8 payload");
    text.parse().expect("numeric payload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_broker_carries_100k_keyed_records_in_partition_order() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let topic = unique_name("keyed");
    cluster.create_topic(&topic, 6, 1).await.unwrap();

    let producer = reliable_producer(&bootstrap).unwrap();
    let records = (0..100_000u64).map(|i| (format!("key-{}", i % 1000).into_bytes(), i.to_string().into_bytes()));
    let deliveries = produce_all(&producer, &topic, records, 10_000).await;
    assert!(deliveries.iter().all(Result::is_ok), "every send acknowledged");
    flush(&producer).await.unwrap();

    let messages = consume_until(&bootstrap, &topic, 100_000, Duration::from_secs(120), "read_committed")
        .await
        .unwrap();
    assert_eq!(messages.len(), 100_000);
    let distinct: HashSet<u64> = messages.iter().map(payload_number).collect();
    assert_eq!(distinct.len(), 100_000, "no record twice, none missing");

    let mut last_by_partition: BTreeMap<i32, u64> = BTreeMap::new();
    let mut partition_of_key: BTreeMap<Vec<u8>, i32> = BTreeMap::new();
    for message in &messages {
        let number = payload_number(message);
        if let Some(previous) = last_by_partition.insert(message.partition(), number) {
            assert!(
                previous < number,
                "partition {} went {previous} -> {number}",
                message.partition()
            );
        }
        let key = message.key().unwrap().to_vec();
        let partition = *partition_of_key.entry(key).or_insert(message.partition());
        assert_eq!(partition, message.partition(), "a key stays on one partition");
    }
    assert_eq!(last_by_partition.len(), 6, "keys spread over all partitions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_brokers_lose_no_acknowledged_record_when_one_is_killed() {
    let mut cluster = tokio::task::spawn_blocking(|| KafkaCluster::start(3))
        .await
        .unwrap()
        .unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let topic = unique_name("durable");
    cluster.create_topic(&topic, 3, 3).await.unwrap();
    let producer = reliable_producer(&bootstrap).unwrap();

    // Produce in three waves: before, during and after broker 2's crash and restart.
    let mut acknowledged = HashSet::new();
    let mut failed = 0usize;
    let mut next = 0u64;
    for wave in 0..3 {
        let records: Vec<_> = (next..next + 20_000)
            .map(|i| (i.to_string().into_bytes(), i.to_string().into_bytes()))
            .collect();
        next += 20_000;
        if wave == 1 {
            cluster.kill(1).unwrap();
        }
        let deliveries = produce_all(&producer, &topic, records.clone(), 2_000).await;
        for ((_, value), delivery) in records.iter().zip(deliveries) {
            match delivery {
                Ok(_) => {
                    acknowledged.insert(String::from_utf8(value.clone()).unwrap().parse::<u64>().unwrap());
                }
                Err(_) => failed += 1,
            }
        }
        if wave == 1 {
            cluster = tokio::task::spawn_blocking(move || {
                cluster.restart(1).unwrap();
                cluster
            })
            .await
            .unwrap();
        }
    }
    flush(&producer).await.unwrap();
    assert!(
        acknowledged.len() >= 50_000,
        "most sends acknowledged (failed: {failed})"
    );

    let messages = consume_until(
        &bootstrap,
        &topic,
        acknowledged.len(),
        Duration::from_secs(120),
        "read_committed",
    )
    .await
    .unwrap();
    let received: HashSet<u64> = messages.iter().map(payload_number).collect();
    let lost: Vec<_> = acknowledged.difference(&received).take(10).collect();
    assert!(lost.is_empty(), "acknowledged records lost, e.g. {lost:?}");
    for message in &messages {
        let key = std::str::from_utf8(message.key().unwrap()).unwrap();
        assert_eq!(key, payload_number(message).to_string(), "content intact");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clusters_run_side_by_side_unaware_of_each_other() {
    let (a, b) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    assert_ne!(a.bootstrap_servers(), b.bootstrap_servers());
    let topic = unique_name("only-in-a");
    a.create_topic(&topic, 1, 1).await.unwrap();
    let producer = reliable_producer(&a.bootstrap_servers()).unwrap();
    let sent = produce_all(&producer, &topic, [(b"k".to_vec(), b"1".to_vec())], 1).await;
    assert!(sent[0].is_ok());

    let probe: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", b.bootstrap_servers())
        .set("allow.auto.create.topics", "false")
        .create()
        .unwrap();
    let metadata = tokio::task::spawn_blocking(move || {
        rdkafka::consumer::Consumer::fetch_metadata(&probe, None, Duration::from_secs(10)).unwrap()
    })
    .await
    .unwrap();
    assert!(
        metadata.topics().iter().all(|t| t.name() != topic),
        "b does not see a's topic"
    );
    assert_eq!(metadata.brokers().len(), 1, "b has only its own broker");
    let in_a = consume_until(
        &a.bootstrap_servers(),
        &topic,
        1,
        Duration::from_secs(30),
        "read_committed",
    )
    .await
    .unwrap();
    assert_eq!(in_a.len(), 1);
}
