//! The mirror connectors together between two real clusters, as Strimzi's KafkaMirrorMaker2
//! runs them: a consumer group that committed halfway through a topic in the source resumes on
//! the target without a gap (its offsets translated through the offset syncs, checkpointed,
//! and committed to the target's group), heartbeats arrive, and a new topic, a partition
//! increase, a topic config change and topic ACLs in the source reach the target within the
//! refresh interval (the remote topic keeping a setting of its own the config property filter
//! excludes; ACLs filtered as MirrorMaker 2 filters them). Beside Apache's connectors in an
//! Apache Connect worker: the groups a checkpoint connector takes, and how a source connector
//! copies topic configs, skips heartbeats topics and refuses unknown filter classes. Offsets also translate over the gaps transaction markers,
//! aborted transactions and compaction leave. Both clusters (shared by the tests) run Kafka's
//! StandardAuthorizer; ACLs are written and read with Kafka's own `kafka-acls` tool.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use std::time::Duration;

use common::{eventually, merged, start_worker};
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, produce_all, reliable_producer, send_waiting, unique_name};
use tributary_harness::{shared_cluster_pair, ChildProcess, KafkaCluster};
use tributary_mirror::records::{Checkpoint, Heartbeat};
use tributary_runtime::mode::standalone::StandaloneRuntime;

const RECORDS: usize = 2_000;
/// Where the source group committed, in each partition.
const COMMITTED: i64 = 500;
/// Where a group committed in the compacted topic: an odd offset, compacted away.
const COMPACTED_AT: i64 = 391;

fn client(bootstrap: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", bootstrap);
    client
}

/// A mirror connector's config between the two clusters: `extra` over the cluster settings.
fn mirror_config(a: &str, b: &str, extra: serde_json::Value) -> serde_json::Value {
    merged(
        json!({
            "source.cluster.alias": "A",
            "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": a,
            "target.cluster.bootstrap.servers": b,
        }),
        extra,
    )
}

/// Submits `connectors` to the worker behind `api` and waits until each runs.
async fn submit(api: &common::Api, connectors: &[(&str, serde_json::Value)]) {
    for (name, config) in connectors {
        let (code, body) = api
            .put(&format!("/connectors/{name}/config"), Some(config.clone()))
            .await;
        assert_eq!(code, 201, "{name}: {body}");
        api.wait_for_state(name, "RUNNING", Duration::from_secs(60)).await;
    }
}

/// Runs Kafka's ACL tool against `cluster` with `args`; its standard output.
async fn kafka_acls(cluster: &KafkaCluster, args: Vec<String>) -> String {
    let mut command = cluster.distribution().java("org.apache.kafka.tools.AclCommand", "256m");
    command
        .arg("--bootstrap-server")
        .arg(cluster.bootstrap_servers())
        .args(args);
    let output = tokio::process::Command::from(command).output().await.unwrap();
    assert!(
        output.status.success(),
        "kafka-acls: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every ACL of `cluster` as `topic pattern-type principal operation permission`.
async fn acls(cluster: &KafkaCluster) -> BTreeSet<String> {
    let listing = kafka_acls(cluster, vec!["--list".into()]).await;
    let mut resource = String::new();
    let mut entries = BTreeSet::new();
    for line in listing.lines() {
        let field = |line: &str, name: &str| {
            let start = line.find(&format!("{name}="))? + name.len() + 1;
            let end = line[start..].find([',', ')']).map_or(line.len(), |e| start + e);
            Some(line[start..end].to_string())
        };
        if line.starts_with("Current ACLs for resource") {
            resource = format!(
                "{} {}",
                field(line, "name").unwrap(),
                field(line, "patternType").unwrap()
            );
        } else if let (Some(principal), Some(operation), Some(permission)) = (
            field(line, "principal"),
            field(line, "operation"),
            field(line, "permissionType"),
        ) {
            entries.insert(format!("{resource} {principal} {operation} {permission}"));
        }
    }
    entries
}

/// The offsets group `group` committed in `topic`'s partitions `0..partitions`.
async fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = client(bootstrap).set("group.id", group).create().unwrap();
    let mut wanted = TopicPartitionList::new();
    for p in 0..partitions {
        wanted.add_partition(topic, p);
    }
    tokio::task::spawn_blocking(move || consumer.committed_offsets(wanted, Duration::from_secs(10)))
        .await
        .unwrap()
        .map(|tpl| {
            tpl.elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(at) => Some((e.partition(), at)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn topic_config(bootstrap: &str, topic: &str, key: &str) -> Option<String> {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .ok()?;
    let resource = described.into_iter().next()?.ok()?;
    let value = resource.get(key)?.value.clone();
    value
}

async fn partition_count(bootstrap: &str, topic: &str) -> usize {
    let consumer: BaseConsumer = client(bootstrap).create().unwrap();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .ok()
            .and_then(|m| m.topics().first().map(|t| t.partitions().len()))
            .unwrap_or(0)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_fail_over_without_a_gap_and_source_changes_reach_the_target() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("failover");
    let topic = format!("{prefix}-orders");
    let remote = format!("A.{topic}");
    let group = unique_name("billing");
    source.create_topic(&topic, 2, 1).await.unwrap();
    let producer = reliable_producer(&a).unwrap();
    let records = (0..RECORDS).map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes()));
    assert!(produce_all(&producer, &topic, records, 500)
        .await
        .iter()
        .all(Result::is_ok));
    // The source's records by (partition, offset).
    let original: BTreeMap<(i32, i64), Vec<u8>> =
        consume_until(&a, &topic, RECORDS, Duration::from_secs(30), "read_committed")
            .await
            .unwrap()
            .iter()
            .map(|m| ((m.partition(), m.offset()), m.payload().unwrap_or_default().to_vec()))
            .collect();
    assert_eq!(original.len(), RECORDS);
    // The group has processed the first half of each partition in the source.
    let consumer: BaseConsumer = client(&a).set("group.id", &group).create().unwrap();
    let mut position = TopicPartitionList::new();
    for p in 0..2 {
        position
            .add_partition_offset(&topic, p, Offset::Offset(COMMITTED))
            .unwrap();
    }
    consumer.commit(&position, CommitMode::Sync).unwrap();
    drop(consumer);

    let dir = tempfile::tempdir().unwrap();
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let (_worker, api) = start_worker(&b, dir.path(), &[("key.converter", bytes), ("value.converter", bytes)]).await;
    let with = |extra| mirror_config(&a, &b, extra);
    let connectors = [
        (
            "A->B.MirrorSourceConnector",
            with(json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                "topics": format!("{prefix}-.*"),
                "tasks.max": "2",
                "replication.factor": "1",
                "offset-syncs.topic.replication.factor": "1",
                "refresh.topics.interval.seconds": "2",
                "sync.topic.configs.interval.seconds": "2",
                "sync.topic.acls.interval.seconds": "2",
            })),
        ),
        (
            "A->B.MirrorCheckpointConnector",
            with(json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
                "groups": group,
                "checkpoints.topic.replication.factor": "1",
                "emit.checkpoints.interval.seconds": "1",
                "sync.group.offsets.enabled": "true",
                "sync.group.offsets.interval.seconds": "1",
            })),
        ),
        (
            "A->B.MirrorHeartbeatConnector",
            with(json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
                "heartbeats.topic.replication.factor": "1",
            })),
        ),
    ];
    submit(&api, &connectors).await;
    let copied = consume_until(&b, &remote, RECORDS, Duration::from_secs(60), "read_committed")
        .await
        .unwrap();
    assert_eq!(copied.len(), RECORDS);

    // The group's offsets reach the target: translated conservatively, never past what the
    // group committed, and, once the offset syncs of the whole copy are read, at most
    // offset.lag.max (100) records before it. (Translated while the copy was still under way,
    // an offset lands just past the newest sync then, far lower: the checkpoint task raises it.)
    let in_range = COMMITTED - 100..=COMMITTED;
    let translated = eventually(Duration::from_secs(60), "the group's offsets on the target", || {
        let (b, group, remote, in_range) = (b.clone(), group.clone(), remote.clone(), in_range.clone());
        async move {
            let offsets = committed(&b, &group, &remote, 2).await;
            for (partition, offset) in &offsets {
                assert!(
                    *offset <= COMMITTED,
                    "partition {partition}: translated past the group's position, to {offset}"
                );
            }
            (offsets.len() == 2 && offsets.values().all(|offset| in_range.contains(offset))).then_some(offsets)
        }
    })
    .await;
    let checkpoints = consume_until(
        &b,
        "A.checkpoints.internal",
        2,
        Duration::from_secs(30),
        "read_committed",
    )
    .await
    .unwrap();
    let checkpoints: Vec<Checkpoint> = checkpoints
        .iter()
        .map(|m| Checkpoint::decode(m.key(), m.payload()).unwrap())
        .collect();
    assert!(
        checkpoints
            .iter()
            .all(|c| c.group == group && c.topic == remote && c.upstream == COMMITTED),
        "{checkpoints:?}"
    );

    // The group resumes on the target: every record after its source position arrives.
    let resumed: StreamConsumer = client(&b)
        .set("group.id", &group)
        .set("auto.offset.reset", "latest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    resumed.subscribe(&[&remote]).unwrap();
    let expected = RECORDS - 2 * COMMITTED as usize;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    // Until every record after the source position has come and nothing more for 5 s.
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), resumed.recv()).await {
            Ok(Ok(m)) => seen.push(m.payload().unwrap_or_default().to_vec()),
            _ if seen.len() >= expected => break,
            _ => {}
        }
    }
    for ((partition, offset), value) in original
        .range((0, COMMITTED)..(0, i64::MAX))
        .chain(original.range((1, COMMITTED)..))
    {
        assert!(
            seen.contains(value),
            "the record at {partition}/{offset} was skipped after failover"
        );
    }
    // Where the group started: its committed offsets, which the checkpoint task leaves alone
    // while the group has a member on the target (it may have raised them past `translated`
    // before the member joined, as later syncs came in).
    let started = committed(&b, &group, &remote, 2).await;
    assert_eq!(started.len(), 2, "{started:?}");
    for (partition, offset) in &started {
        assert!(
            in_range.contains(offset) && *offset >= translated[partition],
            "partition {partition}: started at {offset}"
        );
    }
    let duplicates: usize = started.values().map(|o| (COMMITTED - o) as usize).sum();
    assert_eq!(
        seen.len(),
        expected + duplicates,
        "no more than the translation's margin is re-read"
    );

    let heartbeats = consume_until(&b, "heartbeats", 1, Duration::from_secs(30), "read_committed")
        .await
        .unwrap();
    let heartbeat = Heartbeat::decode(heartbeats[0].key(), heartbeats[0].payload()).unwrap();
    assert_eq!((heartbeat.source.as_str(), heartbeat.target.as_str()), ("A", "B"));

    // Changes in the source: a new topic, a partition increase, a config change.
    let added = format!("{prefix}-refunds");
    source.create_topic(&added, 1, 1).await.unwrap();
    let more = (0..100).map(|i| (format!("k{i}").into_bytes(), format!("r{i}").into_bytes()));
    assert!(produce_all(&producer, &added, more, 100)
        .await
        .iter()
        .all(Result::is_ok));
    // A setting of the remote topic's own that the config property filter excludes, which
    // config sync keeps.
    let target_admin: AdminClient<DefaultClientContext> = client(&b).create().unwrap();
    target_admin
        .alter_configs(
            &[AlterConfig::new(ResourceSpecifier::Topic(&remote)).set("min.insync.replicas", "1")],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    // ACLs on the mirrored topic, on a topic not mirrored, and on a prefix.
    let unmirrored = unique_name("unmirrored");
    let add = |args: &[&str]| {
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.insert(0, "--add".into());
        kafka_acls(source, args)
    };
    tokio::join!(
        add(&[
            "--allow-principal",
            "User:alice",
            "--deny-principal",
            "User:dave",
            "--operation",
            "Read",
            "--topic",
            &topic,
            "--topic",
            &unmirrored,
        ]),
        add(&[
            "--allow-principal",
            "User:bob",
            "--operation",
            "Write",
            "--operation",
            "All",
            "--topic",
            &topic
        ]),
        add(&[
            "--allow-principal",
            "User:erin",
            "--operation",
            "Read",
            "--topic",
            &format!("{prefix}-"),
            "--resource-pattern-type",
            "prefixed",
        ]),
    );
    let admin: AdminClient<DefaultClientContext> = client(&a).create().unwrap();
    admin
        .create_partitions(&[NewPartitions::new(&topic, 3)], &AdminOptions::new())
        .await
        .unwrap();
    admin
        .alter_configs(
            &[AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("retention.ms", "123456789")],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    let new_topic = consume_until(
        &b,
        &format!("A.{added}"),
        100,
        Duration::from_secs(60),
        "read_committed",
    )
    .await
    .unwrap();
    assert_eq!(new_topic.len(), 100, "the new topic is mirrored");
    eventually(
        Duration::from_secs(30),
        "the remote topic grown to 3 partitions",
        || {
            let (b, remote) = (b.clone(), remote.clone());
            async move { (partition_count(&b, &remote).await == 3).then_some(()) }
        },
    )
    .await;
    let record = rdkafka::producer::FutureRecord::to(&topic)
        .partition(2)
        .key("k")
        .payload("in the new partition");
    // A new producer: the first one's metadata does not know the new partition yet.
    reliable_producer(&a)
        .unwrap()
        .send(record, Duration::from_secs(30))
        .await
        .unwrap();
    let grown = consume_until(&b, &remote, RECORDS + 1, Duration::from_secs(60), "read_committed")
        .await
        .unwrap();
    assert!(
        grown
            .iter()
            .any(|m| m.partition() == 2 && m.payload() == Some(&b"in the new partition"[..])),
        "a record in the new partition is mirrored to the same partition"
    );
    eventually(Duration::from_secs(30), "retention.ms copied to the remote topic", || {
        let (b, remote) = (b.clone(), remote.clone());
        async move { (topic_config(&b, &remote, "retention.ms").await.as_deref() == Some("123456789")).then_some(()) }
    })
    .await;
    assert_eq!(
        own_topic_configs(&b, &remote)
            .await
            .and_then(|own| own.get("min.insync.replicas").cloned())
            .as_deref(),
        Some("1"),
        "the remote topic's own setting is kept"
    );
    // Literal ACLs of mirrored topics only; ALLOW WRITE dropped, ALLOW ALL made READ.
    let expected: BTreeSet<String> = ["User:alice READ ALLOW", "User:dave READ DENY", "User:bob READ ALLOW"]
        .iter()
        .map(|entry| format!("{remote} LITERAL {entry}"))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mirrored = || async {
        let all = acls(target).await;
        all.into_iter()
            .filter(|acl| acl.starts_with("A."))
            .collect::<BTreeSet<_>>()
    };
    let mut copied = mirrored().await;
    while copied != expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        copied = mirrored().await;
    }
    assert_eq!(copied, expected, "the target's ACLs");
}

/// Reads `topic` with `group` (from the group's committed position, else from the beginning)
/// until the record with value `last` arrived; offsets and values, in order.
async fn read_through(bootstrap: &str, group: &str, topic: &str, last: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let consumer: StreamConsumer = client(bootstrap)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut records = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while records.last().is_none_or(|(_, value): &(i64, Vec<u8>)| value != last) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = tokio::time::timeout(left, consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("{topic}: {last:?} not read within 60 s; read {}", records.len()))
            .unwrap();
        records.push((message.offset(), message.payload().unwrap_or_default().to_vec()));
    }
    records
}

/// Offsets translate over the gaps that transaction markers, aborted transactions and
/// compaction leave in a source topic: a group that committed at such a gap resumes on the
/// target without skipping a record, re-reading at most `offset.lag.max` (10) records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_translate_over_transaction_markers_and_compacted_gaps() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("gaps");
    let transactional = format!("{prefix}-transactional");
    let compacted = format!("{prefix}-compacted");
    source.create_topic(&transactional, 1, 1).await.unwrap();
    let admin: AdminClient<DefaultClientContext> = client(&a).create().unwrap();
    let compacted_topic = NewTopic::new(&compacted, 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "100")
        .set("min.cleanable.dirty.ratio", "0.001")
        .set("min.compaction.lag.ms", "0");
    for result in admin
        .create_topics(&[compacted_topic], &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap();
    }

    // 20 transactions of 25 records, every fifth aborted: markers and aborted records leave
    // offsets no committed reader sees.
    let producer: BaseProducer = client(&a).set("transactional.id", &prefix).create().unwrap();
    let topic = transactional.clone();
    tokio::task::spawn_blocking(move || {
        producer.init_transactions(Duration::from_secs(30)).unwrap();
        for t in 0..20 {
            producer.begin_transaction().unwrap();
            for i in 0..25 {
                let value = format!("t{t}-{i}");
                send_waiting(&producer, BaseRecord::to(&topic).key("k").payload(&value)).unwrap();
            }
            // Aborted records are written too (flushed first), leaving offsets behind.
            producer.flush(Duration::from_secs(30)).unwrap();
            if t % 5 == 2 {
                producer.abort_transaction(Duration::from_secs(30)).unwrap();
            } else {
                producer.commit_transaction(Duration::from_secs(30)).unwrap();
            }
        }
    })
    .await
    .unwrap();
    let transactional_records = read_through(&a, &unique_name("reader"), &transactional, b"t19-24").await;
    assert_eq!(transactional_records.len(), 16 * 25);

    // 400 records, every odd one with the same key: once compacted, only even offsets (and
    // the last duplicate) are left. Segments roll on the next write after 100 ms, so a record
    // is written every half second until the cleaner has run.
    let keyed = (0..400).map(|i| {
        let key = if i % 2 == 0 { format!("u{i}") } else { "dup".to_string() };
        (key.into_bytes(), format!("c{i}").into_bytes())
    });
    let producer = reliable_producer(&a).unwrap();
    assert!(produce_all(&producer, &compacted, keyed, 400)
        .await
        .iter()
        .all(Result::is_ok));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut rolls = 0;
    let (compacted_records, last_roll) = loop {
        let roll = format!("roll{rolls}").into_bytes();
        rolls += 1;
        let written = produce_all(&producer, &compacted, [(b"roll".to_vec(), roll.clone())], 1).await;
        assert!(written.iter().all(Result::is_ok));
        let records = read_through(&a, &unique_name("reader"), &compacted, &roll).await;
        if records.iter().all(|(offset, _)| *offset != COMPACTED_AT) {
            break (records, roll);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the source topic was not compacted within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // The group committed at the last transaction marker in the first topic and at a
    // compacted-away offset near the end of the second (where the translation's history is
    // densest, so it is exact there).
    let marker = transactional_records
        .windows(2)
        .rfind(|pair| pair[1].0 - pair[0].0 > 1)
        .map(|pair| pair[0].0 + 1)
        .unwrap();
    let group = unique_name("gaps-group");
    let consumer: BaseConsumer = client(&a).set("group.id", &group).create().unwrap();
    let mut position = TopicPartitionList::new();
    position
        .add_partition_offset(&transactional, 0, Offset::Offset(marker))
        .unwrap();
    position
        .add_partition_offset(&compacted, 0, Offset::Offset(COMPACTED_AT))
        .unwrap();
    consumer.commit(&position, CommitMode::Sync).unwrap();
    drop(consumer);

    // Aliases of this test's own, so its internal topics are apart from the other test's.
    let dir = tempfile::tempdir().unwrap();
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let (_worker, api) = start_worker(&b, dir.path(), &[("key.converter", bytes), ("value.converter", bytes)]).await;
    let aliases = json!({"source.cluster.alias": "S", "target.cluster.alias": "T"});
    let with = |extra| merged(mirror_config(&a, &b, aliases.clone()), extra);
    let connectors = [
        (
            "S->T.MirrorSourceConnector",
            with(json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                "topics": format!("{prefix}-.*"),
                "replication.factor": "1",
                "offset-syncs.topic.replication.factor": "1",
                "offset.lag.max": "10",
            })),
        ),
        (
            "S->T.MirrorCheckpointConnector",
            with(json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
                "groups": group,
                "checkpoints.topic.replication.factor": "1",
                "emit.checkpoints.interval.seconds": "1",
                "sync.group.offsets.enabled": "true",
                "sync.group.offsets.interval.seconds": "1",
            })),
        ),
    ];
    submit(&api, &connectors).await;

    for (topic, records, committed_at, last) in [
        (&transactional, &transactional_records, marker, b"t19-24".to_vec()),
        (&compacted, &compacted_records, COMPACTED_AT, last_roll),
    ] {
        let remote = format!("S.{topic}");
        let source_offsets: BTreeMap<&[u8], i64> = records.iter().map(|(o, v)| (v.as_slice(), *o)).collect();
        // Where the first record at or after the group's source position landed.
        let mirrored = read_through(&b, &unique_name("reader"), &remote, &last).await;
        let first_after = mirrored
            .iter()
            .find(|(_, value)| source_offsets[value.as_slice()] >= committed_at)
            .map(|(offset, _)| *offset)
            .unwrap();
        let resumed = eventually(
            Duration::from_secs(60),
            "the group's offset translated to within offset.lag.max",
            || {
                let (b, group, remote) = (b.clone(), group.clone(), remote.clone());
                async move {
                    let at = committed(&b, &group, &remote, 1).await.get(&0).copied()?;
                    (at >= first_after - 10).then_some(at)
                }
            },
        )
        .await;
        assert!(
            resumed <= first_after,
            "{topic}: translated to {resumed}, past {first_after}"
        );
        // The group resumes on the target from there, skipping nothing.
        let read = read_through(&b, &group, &remote, &last).await;
        assert_eq!(read.first().map(|(offset, _)| *offset), Some(resumed));
        let read: BTreeSet<i64> = read.iter().map(|(_, value)| source_offsets[value.as_slice()]).collect();
        // (Older roll records may be compacted away before the mirror reads them.)
        let skipped: Vec<i64> = records
            .iter()
            .filter(|(offset, value)| *offset >= committed_at && (!value.starts_with(b"roll") || *value == last))
            .map(|(offset, _)| *offset)
            .filter(|offset| !read.contains(offset))
            .collect();
        assert!(skipped.is_empty(), "{topic}: skipped after failover: {skipped:?}");
    }
}

/// As Apache's connector (Kafka 3.5 and later), a checkpoint flow takes only the groups that
/// have committed on a topic it copies: a group the group filter accepts whose offsets are all
/// elsewhere gets no task until it commits on a copied topic. Apache's connector, in an Apache
/// Connect worker beside Tributary's, is given the same config and must assign the same groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_groups_with_offsets_on_copied_topics_are_checkpointed() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("relevance");
    let (copied, elsewhere) = (format!("{prefix}-copied"), format!("{prefix}-elsewhere"));
    for topic in [&copied, &elsewhere] {
        source.create_topic(topic, 1, 1).await.unwrap();
    }
    let (reader, other) = (unique_name("reader"), unique_name("other"));
    commit_at(&a, &reader, &copied, 0);
    commit_at(&a, &other, &elsewhere, 0);

    let dir = tempfile::tempdir().unwrap();
    let (_workers, tributary, apache) = start_both_workers(target, dir.path()).await;
    let name = "G->B.MirrorCheckpointConnector";
    let config = merged(
        mirror_config(&a, &b, json!({"source.cluster.alias": "G"})),
        json!({
            "connector.class": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
            "topics": copied,
            "groups": format!("{reader},{other}"),
            "checkpoints.topic.replication.factor": "1",
            "refresh.groups.interval.seconds": "1",
        }),
    );
    for api in [&tributary, &apache] {
        create_when_taken(api, name, &config).await;
    }
    let assigned = |expected: Vec<String>| {
        let apis = [("Tributary", &tributary), ("Apache", &apache)];
        async move {
            for (side, api) in apis {
                eventually(
                    Duration::from_secs(60),
                    &format!("{side}'s task to checkpoint {expected:?}"),
                    || async {
                        let (code, tasks) = api.get(&format!("/connectors/{name}/tasks")).await;
                        let groups: Option<BTreeSet<&str>> = tasks[0]["config"]["task.assigned.groups"]
                            .as_str()
                            .map(|g| g.split(',').collect());
                        let wanted: BTreeSet<&str> = expected.iter().map(|g| g.as_str()).collect();
                        (code == 200 && groups == Some(wanted)).then_some(())
                    },
                )
                .await
            }
        }
    };
    assigned(vec![reader.clone()]).await;
    // The other group reads the copied topic too now: the next look for groups takes it.
    commit_at(&a, &other, &copied, 0);
    assigned(vec![reader, other]).await;
}

/// MirrorMaker 2's source connector in an Apache Connect worker beside Tributary's, each
/// copying the same source topics under an alias of its own: the three connectors define their
/// keys alike (but for the known keys only one defines); both refuse the same unknown
/// filter and admin classes at validation; both create the remote topic with the source's
/// settings; when a setting is removed on the source and another added, both remove and add
/// them on the remote topic, and remove a setting made only on the remote topic unless the
/// config property filter excludes it (Apache's incremental config sync); with config sync
/// off, both still create remote topics with the source's settings; and with
/// `heartbeats.replication.enabled=false` neither copies a heartbeats topic the topic filter
/// leaves out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_connectors_copy_topic_configs_and_skip_heartbeats_as_apache() {
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("configsync");
    let (topic, heartbeats) = (format!("{prefix}-events"), format!("{prefix}.heartbeats"));
    let source_admin: AdminClient<DefaultClientContext> = client(&a).create().unwrap();
    let new_topics = [
        NewTopic::new(&topic, 1, TopicReplication::Fixed(1)).set("retention.ms", "123456789"),
        NewTopic::new(&heartbeats, 1, TopicReplication::Fixed(1)),
    ];
    for result in source_admin
        .create_topics(&new_topics, &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap();
    }
    let producer = reliable_producer(&a).unwrap();
    for name in [&topic, &heartbeats] {
        let record = [(b"k".to_vec(), b"v".to_vec())];
        assert!(produce_all(&producer, name, record, 1).await.iter().all(Result::is_ok));
    }

    let dir = tempfile::tempdir().unwrap();
    let (_workers, tributary, apache) = start_both_workers(target, dir.path()).await;
    let sides = [("Apache", &apache, "AP"), ("Tributary", &tributary, "TR")];

    // The connectors' keys: the same type, default, requirement, importance, group and display
    // for the keys both define (but the default of connector.plugin.version, the plugin's
    // version); the keys only one defines are the known ones.
    for class in [
        "MirrorSourceConnector",
        "MirrorCheckpointConnector",
        "MirrorHeartbeatConnector",
    ] {
        let mut definitions = Vec::new();
        for (side, api, _) in sides {
            let (code, keys) = api.get(&format!("/connector-plugins/{class}/config")).await;
            assert_eq!(code, 200, "{side}: {keys}");
            let shapes: BTreeMap<String, Value> = keys
                .as_array()
                .unwrap()
                .iter()
                .map(|key| {
                    let name = key["name"].as_str().unwrap().to_string();
                    let default = match name.as_str() {
                        "connector.plugin.version" => Value::Null,
                        _ => key["default_value"].clone(),
                    };
                    let shape = json!([
                        key["type"],
                        default,
                        key["required"],
                        key["importance"],
                        key["group"],
                        key["order_in_group"],
                        key["width"],
                        key["display_name"]
                    ]);
                    (name, shape)
                })
                .collect();
            definitions.push(shapes);
        }
        let (apache_keys, tributary_keys) = (&definitions[0], &definitions[1]);
        for (key, shape) in apache_keys {
            match tributary_keys.get(key) {
                Some(ours) => assert_eq!(ours, shape, "{class} {key}: Tributary's definition, then Apache's"),
                None => assert!(
                    APACHE_ONLY_KEYS.contains(&key.as_str()) || key.starts_with("ssl.") || key.starts_with("sasl."),
                    "{class} {key}: Apache's key {shape} is not Tributary's"
                ),
            }
        }
        let tributary_only: BTreeSet<&str> = tributary_keys
            .keys()
            .filter(|key| !apache_keys.contains_key(*key))
            .map(String::as_str)
            .collect();
        let known: BTreeSet<&str> = TRIBUTARY_ONLY_KEYS
            .iter()
            .filter(|(of, _)| of.is_empty() || *of == class)
            .map(|(_, key)| *key)
            .collect();
        assert_eq!(tributary_only, known, "{class}: the keys only Tributary defines");
    }

    // Classes neither can load, named for the keys MirrorMaker 2 lets users replace.
    let mut refusals = Vec::new();
    for (_, api, alias) in sides {
        let mut found = BTreeMap::new();
        for (class, keys) in [
            (
                "MirrorSourceConnector",
                &[
                    "topic.filter.class",
                    "config.property.filter.class",
                    "forwarding.admin.class",
                ][..],
            ),
            ("MirrorCheckpointConnector", &["group.filter.class"][..]),
        ] {
            let mut config = mirror_config(&a, &b, json!({"source.cluster.alias": alias}));
            config["connector.class"] = json!(format!("org.apache.kafka.connect.mirror.{class}"));
            config["name"] = json!(format!("{alias}-{class}"));
            for key in keys {
                config[*key] = json!("com.example.Missing");
            }
            let (code, answer) = api
                .put(&format!("/connector-plugins/{class}/config/validate"), Some(config))
                .await;
            assert_eq!(code, 200, "{answer}");
            for entry in answer["configs"].as_array().unwrap() {
                let errors = &entry["value"]["errors"];
                if errors.as_array().is_some_and(|e| !e.is_empty()) {
                    found.insert(format!("{class} {}", entry["value"]["name"]), errors.clone());
                }
            }
        }
        refusals.push(found);
    }
    assert_eq!(refusals[0].len(), 4, "Apache's refusals: {:?}", refusals[0]);
    assert_eq!(refusals[0], refusals[1], "Apache's refusals, then Tributary's");

    let copied = json!({
        "topics": format!("{prefix}-.*"),
        "heartbeats.replication.enabled": "false",
        "sync.topic.configs.interval.seconds": "1",
    });
    // And a pair that is not enabled: running, without tasks, copying nothing.
    let disabled = json!({"topics": format!("{prefix}-.*"), "enabled": "false",
        "heartbeats.replication.enabled": "false"});
    for (_, api, alias) in sides {
        start_source_connector(api, &a, &b, alias, copied.clone()).await;
        start_source_connector(api, &a, &b, &format!("{alias}X"), disabled.clone()).await;
    }
    // The remote topics' own settings on both sides (of the connectors of the sides' aliases
    // followed by `suffix`), once `ready` holds for both.
    let remote_settings = |suffix: &'static str, ready: fn(&TopicConfigs) -> bool, what: &'static str| {
        let (b, topic) = (b.clone(), topic.clone());
        async move {
            let mut settings = Vec::new();
            for (side, _, alias) in sides {
                let remote = format!("{alias}{suffix}.{topic}");
                let own = eventually(Duration::from_secs(60), &format!("{side}: {remote} {what}"), || async {
                    own_topic_configs(&b, &remote).await.filter(ready)
                })
                .await;
                settings.push(own);
            }
            settings
        }
    };
    let created = remote_settings("", |own| own.contains_key("retention.ms"), "created").await;
    assert_eq!(
        created[0], created[1],
        "the remote topics as created, Apache's then Tributary's"
    );
    assert_eq!(created[0].get("retention.ms").map(String::as_str), Some("123456789"));
    for (_, _, alias) in sides {
        let copied = consume_until(
            &b,
            &format!("{alias}.{topic}"),
            1,
            Duration::from_secs(60),
            "read_committed",
        )
        .await
        .unwrap();
        assert_eq!(copied.len(), 1);
    }

    // Settings made only on the remote topics: one the filter copies, one it excludes.
    let target_admin: AdminClient<DefaultClientContext> = client(&b).create().unwrap();
    let remote_only: Vec<String> = sides.iter().map(|(_, _, alias)| format!("{alias}.{topic}")).collect();
    let own: Vec<AlterConfig<'_>> = remote_only
        .iter()
        .map(|remote| {
            AlterConfig::new(ResourceSpecifier::Topic(remote))
                .set("retention.ms", "123456789")
                .set("max.message.bytes", "1048000")
                .set("min.insync.replicas", "1")
        })
        .collect();
    for result in target_admin.alter_configs(&own, &AdminOptions::new()).await.unwrap() {
        result.unwrap();
    }
    // The source's retention.ms removed (a whole-config change), segment.ms set.
    let changed = AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("segment.ms", "3600000");
    for result in source_admin
        .alter_configs(&[changed], &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap();
    }
    let synced = remote_settings("", |own| own.contains_key("segment.ms"), "synced").await;
    assert_eq!(
        synced[0], synced[1],
        "the remote topics after the sync, Apache's then Tributary's"
    );
    let expected = TopicConfigs::from([
        ("min.insync.replicas".to_string(), "1".to_string()),
        ("segment.ms".to_string(), "3600000".to_string()),
    ]);
    assert_eq!(synced[0], expected);

    // With config sync off, remote topics are still created with the source's settings.
    // (Heartbeats replication stays off: by default a connector copies every heartbeats topic
    // of the shared source cluster, those of the other tests too.)
    let not_synced = json!({"topics": topic, "sync.topic.configs.enabled": "false",
        "heartbeats.replication.enabled": "false"});
    for (_, api, alias) in sides {
        start_source_connector(api, &a, &b, &format!("{alias}N"), not_synced.clone()).await;
    }
    let created = remote_settings("N", |own| !own.is_empty(), "created").await;
    assert_eq!(
        created[0], created[1],
        "remote topics created without config sync, Apache's then Tributary's"
    );
    assert_eq!(created[0].get("segment.ms").map(String::as_str), Some("3600000"));

    // Both found the heartbeats topic in the listing that found the other, and left it.
    let consumer: BaseConsumer = client(&b).create().unwrap();
    let metadata = tokio::task::spawn_blocking(move || consumer.fetch_metadata(None, Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
    let ours: Vec<String> = sides
        .iter()
        .flat_map(|(_, _, alias)| [format!("{alias}.{heartbeats}"), format!("{alias}N.{heartbeats}")])
        .collect();
    let copies: Vec<&str> = metadata
        .topics()
        .iter()
        .map(|t| t.name())
        .filter(|name| ours.iter().any(|o| o == name))
        .collect();
    assert!(copies.is_empty(), "heartbeats topics copied: {copies:?}");

    // The connectors not enabled run without tasks on both sides and created no remote topic
    // (they were made before the other connectors copied and synced their topics).
    for (side, api, alias) in sides {
        let name = format!("{alias}X->B.MirrorSourceConnector");
        let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
        assert_eq!(status["connector"]["state"], "RUNNING", "{side}: {status}");
        assert_eq!(status["tasks"], json!([]), "{side}: {status}");
        let remote = format!("{alias}X.{topic}");
        assert!(
            metadata.topics().iter().all(|t| t.name() != remote),
            "{side} created {remote}"
        );
    }
}

/// Keys MirrorMaker 2's connectors define that Tributary's do not (besides the `ssl.*` and
/// `sasl.*` client keys): the top-level client keys, which neither uses for its clients (those
/// take `source.cluster.*`, `target.cluster.*` and the clients' prefixes).
const APACHE_ONLY_KEYS: [&str; 1] = ["security.protocol"];

/// Keys Tributary's connectors define that MirrorMaker 2's do not, by connector (all when
/// empty): its provenance header; the clusters' bootstrap servers, which it requires at
/// validation (Apache's connectors fail at start without them); the topic filter, which
/// Apache's checkpoint connector reads without listing it; and `offset-syncs.topic.location`,
/// which Tributary's heartbeat connector lists with the keys all three share.
const TRIBUTARY_ONLY_KEYS: [(&str, &str); 6] = [
    ("MirrorSourceConnector", "provenance.header.enabled"),
    ("", "source.cluster.bootstrap.servers"),
    ("", "target.cluster.bootstrap.servers"),
    ("MirrorCheckpointConnector", "topics"),
    ("MirrorCheckpointConnector", "topics.exclude"),
    ("MirrorHeartbeatConnector", "offset-syncs.topic.location"),
];

/// Creates `<alias>->B.MirrorSourceConnector` from the source to the target cluster through
/// `api` (`extra` over the clusters, `alias` and one replica for what it creates), once the
/// worker takes it.
async fn start_source_connector(api: &common::Api, a: &str, b: &str, alias: &str, extra: serde_json::Value) {
    let name = format!("{alias}->B.MirrorSourceConnector");
    let config = merged(
        merged(
            mirror_config(a, b, json!({"source.cluster.alias": alias})),
            json!({
                "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                "replication.factor": "1",
                "offset-syncs.topic.replication.factor": "1",
                "sync.topic.acls.enabled": "false",
                "refresh.topics.interval.seconds": "1",
            }),
        ),
        extra,
    );
    create_when_taken(api, &name, &config).await;
}

/// A Tributary worker and an Apache Connect 4.3.1 worker on `target`, both with byte array
/// converters, their files in `dir`; returns once Apache serves REST. The processes (first)
/// live as long as it is kept.
async fn start_both_workers(
    target: &KafkaCluster,
    dir: &std::path::Path,
) -> ((StandaloneRuntime, ChildProcess), common::Api, common::Api) {
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let converters = [("key.converter", bytes), ("value.converter", bytes)];
    let (worker, tributary) = start_worker(&target.bootstrap_servers(), dir, &converters).await;
    let spec = converters.iter().fold(
        common::workers::ClusterSpec::new(&target.bootstrap_servers(), 1),
        |spec, (key, value)| spec.with(key, value),
    );
    let (apache_process, apache) = common::workers::start_apache_distributed(target, &spec, dir, "apache");
    wait_serving(&apache).await;
    ((worker, apache_process), tributary, apache)
}

/// Waits until the Apache Connect worker behind `apache` serves its REST API.
async fn wait_serving(apache: &common::Api) {
    eventually(Duration::from_secs(90), "Apache Connect to serve REST", || async {
        let answer = reqwest::get(format!("{}/connector-plugins", apache.base()))
            .await
            .ok()?;
        answer.status().is_success().then_some(())
    })
    .await;
}

/// Creates connector `name` with `config` through `api` once the worker takes it (Apache
/// answers 404 while its REST resources start, then 409 while it joins its group).
async fn create_when_taken(api: &common::Api, name: &str, config: &serde_json::Value) {
    let (code, body) = eventually(Duration::from_secs(60), "the worker to take the connector", || async {
        let answer = api
            .put(&format!("/connectors/{name}/config"), Some(config.clone()))
            .await;
        (answer.0 != 404 && answer.0 != 409).then_some(answer)
    })
    .await;
    assert_eq!(code, 201, "{body}");
}

/// Topic configs by name.
type TopicConfigs = BTreeMap<String, String>;

/// The settings made on `topic` itself in the cluster at `bootstrap` (None while it does not
/// exist).
async fn own_topic_configs(bootstrap: &str, topic: &str) -> Option<TopicConfigs> {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap).create().unwrap();
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &AdminOptions::new())
        .await
        .ok()?;
    let resource = described.into_iter().next()?.ok()?;
    Some(
        resource
            .entries
            .into_iter()
            .filter(|e| matches!(e.source, ConfigSource::DynamicTopic))
            .filter_map(|e| Some((e.name, e.value?)))
            .collect(),
    )
}

/// Commits `offset` for `group` on `topic`'s partition 0 in the cluster at `bootstrap`.
fn commit_at(bootstrap: &str, group: &str, topic: &str, offset: i64) {
    let consumer: BaseConsumer = client(bootstrap).set("group.id", group).create().unwrap();
    let mut position = TopicPartitionList::new();
    position.add_partition_offset(topic, 0, Offset::Offset(offset)).unwrap();
    consumer.commit(&position, CommitMode::Sync).unwrap();
}

/// Groups far behind the head translate to within `offset.lag.max` (100) of their committed
/// position, where MirrorMaker 2's exponentially thinned syncs leave them thousands of records
/// back: one committed before the mirror started, 28,000 records behind, and one that moves
/// while the mirror runs. No translation passes the committed position (the remote topic has
/// the source's offsets, so that would skip records on failover).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_far_behind_the_head_translate_within_offset_lag_max() {
    const TOTAL: usize = 40_000;
    let (source, target) = tokio::task::spawn_blocking(shared_cluster_pair).await.unwrap();
    let (a, b) = (source.bootstrap_servers(), target.bootstrap_servers());
    let prefix = unique_name("laggards");
    let topic = format!("{prefix}-events");
    // An alias of its own, so that its checkpoints do not mix with the other tests' in
    // `A.checkpoints.internal`.
    let remote = format!("L.{topic}");
    source.create_topic(&topic, 1, 1).await.unwrap();
    let producer = reliable_producer(&a).unwrap();
    let records = (0..TOTAL).map(|i| (Vec::new(), format!("{i}").into_bytes()));
    assert!(produce_all(&producer, &topic, records, 2_000)
        .await
        .iter()
        .all(Result::is_ok));
    let (laggard, mover) = (unique_name("laggard"), unique_name("mover"));
    commit_at(&a, &laggard, &topic, 11_875);
    commit_at(&a, &mover, &topic, 2_000);

    let dir = tempfile::tempdir().unwrap();
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let (_worker, api) = start_worker(&b, dir.path(), &[("key.converter", bytes), ("value.converter", bytes)]).await;
    let with = |extra| merged(mirror_config(&a, &b, extra), json!({"source.cluster.alias": "L"}));
    submit(
        &api,
        &[
            (
                "L->B.MirrorSourceConnector",
                with(json!({
                    "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                    "topics": topic,
                    "replication.factor": "1",
                    "offset-syncs.topic.replication.factor": "1",
                    "sync.topic.acls.enabled": "false",
                })),
            ),
            (
                "L->B.MirrorCheckpointConnector",
                with(json!({
                    "connector.class": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
                    "groups": format!("{laggard},{mover}"),
                    "checkpoints.topic.replication.factor": "1",
                    "emit.checkpoints.interval.seconds": "1",
                    "sync.group.offsets.enabled": "true",
                    "sync.group.offsets.interval.seconds": "1",
                })),
            ),
        ],
    )
    .await;
    let copied = consume_until(&b, &remote, TOTAL, Duration::from_secs(120), "read_committed")
        .await
        .unwrap();
    assert_eq!(copied.len(), TOTAL);

    let translated = |group: String, position: i64| {
        let (b, remote) = (b.clone(), remote.clone());
        async move {
            eventually(
                Duration::from_secs(60),
                &format!("{group} within 100 of {position}"),
                || {
                    let (b, group, remote) = (b.clone(), group.clone(), remote.clone());
                    async move {
                        let offset = *committed(&b, &group, &remote, 1).await.get(&0)?;
                        assert!(offset <= position, "{group}: translated past its position to {offset}");
                        (position - offset < 100).then_some(offset)
                    }
                },
            )
            .await
        }
    };
    translated(laggard.clone(), 11_875).await;
    translated(mover.clone(), 2_000).await;
    // The moving group goes on in the source; its translation follows.
    tokio::task::block_in_place(|| commit_at(&a, &mover, &topic, 30_123));
    translated(mover, 30_123).await;
    let offset = translated(laggard.clone(), 11_875).await;
    // The records the laggard would read again on the target, as its checkpoint lag says.
    let expected = format!(
        "tributary_mirror_checkpoint_lag_records{{connector=\"L->B.MirrorCheckpointConnector\",group=\"{laggard}\"}} {}",
        11_875 - offset
    );
    eventually(Duration::from_secs(30), &expected, || async {
        let text = api.metrics().await?;
        text.lines().any(|line| line == expected).then_some(())
    })
    .await;

    // A restarted checkpoint task reads the ~400 syncs back at start and thins them as it
    // reads, along where the groups stood: the laggard's next move still translates within
    // offset.lag.max.
    let checkpoints = "L->B.MirrorCheckpointConnector";
    let (code, body) = api
        .post(
            &format!("/connectors/{checkpoints}/restart?includeTasks=true"),
            json!(null),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    api.wait_for_state(checkpoints, "RUNNING", Duration::from_secs(30))
        .await;
    tokio::task::block_in_place(|| commit_at(&a, &laggard, &topic, 12_345));
    translated(laggard, 12_345).await;
}
