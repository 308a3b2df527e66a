//! The batch read of a consumer's fetched messages (`FetchQueue`, which sink and mirror tasks
//! read through) against a real broker: partitions a rebalance assigns are routed to it before
//! librdkafka assigns them, so every message arrives there, in its partition's order, with its
//! key, value, timestamp and headers (a null header value and an empty one kept apart), and
//! none on the consumer's own queue; the consumer then leaves its group as usual.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use tributary_harness::clients::{reliable_producer, unique_name};
use tributary_harness::shared_cluster;
use tributary_runtime::client::{Arrival, DropOffRuntime, FetchQueue, FetchRoute};

const RECORDS: i64 = 3_000;
const PARTITIONS: i32 = 3;

/// Routes what a rebalance assigns, as the sink task's consumer context does.
struct Routing(Arc<FetchRoute>);

impl ClientContext for Routing {}

impl ConsumerContext for Routing {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            self.0.route(consumer, partitions);
        }
    }
}

/// What a message must keep: key, value, timestamp and headers.
type Shape = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<i64>,
    Vec<(String, Option<Vec<u8>>)>,
);

fn shape(message: &impl Message) -> Shape {
    let headers = message
        .headers()
        .map(|h| {
            (0..h.count())
                .map(|i| {
                    let header = h.get(i);
                    (header.key.to_string(), header.value.map(<[u8]>::to_vec))
                })
                .collect()
        })
        .unwrap_or_default();
    (
        message.key().map(<[u8]>::to_vec),
        message.payload().map(<[u8]>::to_vec),
        message.timestamp().to_millis(),
        headers,
    )
}

/// The record `i` as produced: every fifth has no key, every seventh no headers.
fn expected(i: i64) -> Shape {
    let headers = if i % 7 == 0 {
        Vec::new()
    } else {
        vec![
            ("n".to_string(), Some(i.to_string().into_bytes())),
            ("none".to_string(), None),
            ("empty".to_string(), Some(Vec::new())),
        ]
    };
    (
        (i % 5 != 0).then(|| format!("key-{i}").into_bytes()),
        Some(format!("value-{i}").into_bytes()),
        Some(1_700_000_000_000 + i),
        headers,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routed_partitions_deliver_every_message_in_order_with_its_headers() {
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let topic = unique_name("fetch-queue");
    cluster.create_topic(&topic, PARTITIONS, 1).await.unwrap();
    let producer = reliable_producer(&bootstrap).unwrap();
    let mut deliveries = Vec::new();
    for i in 0..RECORDS {
        let (key, value, timestamp, headers) = expected(i);
        let mut record = FutureRecord::to(&topic)
            .payload(value.as_deref().unwrap())
            .timestamp(timestamp.unwrap())
            .partition((i % i64::from(PARTITIONS)) as i32);
        if let Some(key) = &key {
            record = record.key(key.as_slice());
        }
        if !headers.is_empty() {
            let mut owned = OwnedHeaders::new();
            for (key, value) in &headers {
                owned = owned.insert(Header {
                    key,
                    value: value.as_deref(),
                });
            }
            record = record.headers(owned);
        }
        deliveries.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
    }
    for delivered in futures::future::join_all(deliveries).await {
        assert!(matches!(delivered, Ok(Ok(_))), "{delivered:?}");
    }

    let route = Arc::new(FetchRoute::default());
    let consumer: StreamConsumer<Routing> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", unique_name("fetch-queue-group"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create_with_context(Routing(route.clone()))
        .unwrap();
    let consumer = Arc::new(DropOffRuntime::new(consumer));
    let fetch = FetchQueue::new(consumer.clone(), route).unwrap();
    consumer.subscribe(&[&topic]).unwrap();

    // By partition: (offset, shape) in the order read.
    let mut read: BTreeMap<i32, Vec<(i64, Shape)>> = BTreeMap::new();
    let mut count = 0;
    let mut events = consumer.stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while count < RECORDS {
        match fetch.next(500, &mut events, deadline).await {
            Arrival::Messages(fetched) => {
                for message in fetched.iter() {
                    let message = message.unwrap();
                    read.entry(message.partition())
                        .or_default()
                        .push((message.offset(), shape(&message)));
                    count += 1;
                }
            }
            Arrival::Event(Ok(message)) => panic!("a message reached the consumer's own queue: {message:?}"),
            // Errors on the consumer's own queue are not what this test is about.
            Arrival::Event(Err(_)) => {}
            Arrival::Nothing => panic!("only {count} of {RECORDS} messages arrived"),
        }
    }
    assert_eq!(count, RECORDS);
    assert_eq!(read.len(), PARTITIONS as usize);
    for (partition, messages) in &read {
        for (n, (offset, shape)) in messages.iter().enumerate() {
            assert_eq!(*offset, n as i64, "partition {partition} in offset order, each once");
            let index = n as i64 * i64::from(PARTITIONS) + i64::from(*partition);
            assert_eq!(shape, &expected(index), "record {index}");
        }
    }

    drop(events);
    drop(fetch);
    let consumer = Arc::try_unwrap(consumer)
        .ok()
        .expect("the fetch queue let its consumer go");
    tokio::time::timeout(Duration::from_secs(30), consumer.close())
        .await
        .expect("the consumer leaves its group");
}
