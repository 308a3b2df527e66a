//! Every rule of [`super`], without a cluster.

use serde_json::json;

use crate::kafka_connector::plan::{OFFSETS_ANNOTATION, RESTART_ANNOTATION, RESTART_TASK_ANNOTATION};

use super::*;

fn spec(value: Value) -> KafkaMirrorMaker2Spec {
    serde_json::from_value(value).unwrap()
}

/// Strimzi 1.2's example (`examples/mirror-maker/kafka-mirror-maker-2.yaml`), trimmed.
fn strimzi_v1_example() -> KafkaMirrorMaker2Spec {
    spec(json!({
        "replicas": 1,
        "target": {
            "alias": "cluster-b",
            "bootstrapServers": "cluster-b-kafka-bootstrap:9092",
            "groupId": "my-mirror-maker-2-group",
            "configStorageTopic": "__my-mirror-maker-2-config",
            "offsetStorageTopic": "__my-mirror-maker-2-offset",
            "statusStorageTopic": "__my-mirror-maker-2-status",
            "config": {"config.storage.replication.factor": -1},
        },
        "mirrors": [{
            "source": {"alias": "cluster-a", "bootstrapServers": "cluster-a-kafka-bootstrap:9092"},
            "sourceConnector": {"tasksMax": 1, "config": {"replication.factor": -1, "sync.topic.acls.enabled": "false"}},
            "checkpointConnector": {"tasksMax": 1, "config": {"refresh.groups.interval.seconds": 600}},
            "topicsPattern": ".*",
            "groupsPattern": ".*",
        }],
    }))
}

#[test]
fn strimzis_v1_example_gives_strimzis_connectors() {
    let connectors = connectors(&strimzi_v1_example(), &BTreeMap::new()).unwrap();
    let names: Vec<&str> = connectors.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cluster-a->cluster-b.MirrorSourceConnector",
            "cluster-a->cluster-b.MirrorCheckpointConnector"
        ]
    );
    let source = &connectors[0].spec;
    assert_eq!(
        source.class.as_deref(),
        Some("org.apache.kafka.connect.mirror.MirrorSourceConnector")
    );
    assert_eq!(source.tasks_max, Some(1));
    let config = source.config.as_ref().unwrap();
    let expected = [
        ("source.cluster.alias", json!("cluster-a")),
        (
            "source.cluster.bootstrap.servers",
            json!("cluster-a-kafka-bootstrap:9092"),
        ),
        ("source.cluster.security.protocol", json!("PLAINTEXT")),
        ("target.cluster.alias", json!("cluster-b")),
        (
            "target.cluster.bootstrap.servers",
            json!("cluster-b-kafka-bootstrap:9092"),
        ),
        ("target.cluster.security.protocol", json!("PLAINTEXT")),
        ("target.cluster.config.storage.replication.factor", json!(-1)),
        ("replication.factor", json!(-1)),
        ("sync.topic.acls.enabled", json!("false")),
        ("topics", json!(".*")),
        ("groups", json!(".*")),
    ];
    for (key, value) in expected {
        assert_eq!(config.get(key), Some(&value), "{key}");
    }
    assert_eq!(config.len(), 11, "{config:?}");
}

#[test]
fn the_workers_run_on_the_target_with_strimzis_names() {
    let workers = workers("my-mm2", "kafka", OwnerReference::default(), &strimzi_v1_example()).unwrap();
    assert_eq!(workers.component, Component::MirrorMaker2);
    assert_eq!(workers.spec.bootstrap_servers, "cluster-b-kafka-bootstrap:9092");
    assert_eq!(workers.spec.group_id, "my-mirror-maker-2-group");
    assert_eq!(workers.spec.offset_storage_topic, "__my-mirror-maker-2-offset");
    assert_eq!(workers.url(), "http://my-mm2-mirrormaker2-api.kafka.svc:8083");
    assert_eq!(Component::MirrorMaker2.deployment("my-mm2"), "my-mm2-mirrormaker2");
}

#[test]
fn a_v1beta2_spec_is_read_through_its_clusters() {
    let old = spec(json!({
        "replicas": 2,
        "connectCluster": "b",
        "clusters": [
            {"alias": "a", "bootstrapServers": "a:9092",
             "tls": {"trustedCertificates": [{"secretName": "a-ca", "certificate": "ca.crt"}]}},
            {"alias": "b", "bootstrapServers": "b:9092", "config": {"group.id": "mm2-group", "offset.flush.interval.ms": 5000}},
        ],
        "mirrors": [{
            "sourceCluster": "a",
            "targetCluster": "b",
            "sourceConnector": {"config": {"replication.factor": 1}, "pause": true},
            "heartbeatConnector": {"config": {"heartbeats.topic.replication.factor": 1}},
            "topicsPattern": "orders.*",
            "topicsBlacklistPattern": "orders-internal",
            "topicsExcludePattern": "orders-tmp",
            "groupsBlacklistPattern": "test-.*",
        }],
    }));
    let target = target(&old).unwrap();
    assert_eq!(target.group_id, "mm2-group");
    assert_eq!(target.config_storage_topic, "mirrormaker2-cluster-configs");
    assert_eq!(target.cluster.config.len(), 1, "the worker keys left the client config");
    let workers = workers("old", "kafka", OwnerReference::default(), &old).unwrap();
    assert_eq!(workers.spec.replicas, 2);
    assert_eq!(workers.secrets(), BTreeSet::from(["a-ca".to_string()]));

    let secrets = BTreeMap::new();
    let connectors = connectors(&old, &secrets).unwrap();
    let names: Vec<&str> = connectors.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a->b.MirrorSourceConnector", "a->b.MirrorHeartbeatConnector"]);
    let source = &connectors[0];
    assert_eq!(source.spec.pause, Some(true));
    let config = source.spec.config.as_ref().unwrap();
    assert_eq!(config["source.cluster.security.protocol"], json!("SSL"));
    assert_eq!(
        config["source.cluster.ssl.truststore.certificates"],
        json!("${directory:/opt/tributary/secrets/a-ca:ca.crt}")
    );
    assert_eq!(config["target.cluster.offset.flush.interval.ms"], json!(5000));
    assert_eq!(config["topics.exclude"], json!("orders-tmp"), "the new name wins");
    assert_eq!(config["groups.exclude"], json!("test-.*"));
}

#[test]
fn unknown_aliases_and_missing_targets_are_invalid() {
    let failure = target(&spec(json!({"mirrors": []}))).unwrap_err();
    assert_eq!(failure.message, "spec.target is required");
    let bad = spec(
        json!({"connectCluster": "b", "clusters": [{"alias": "b", "bootstrapServers": "b:9092"}],
        "mirrors": [{"sourceCluster": "nope", "sourceConnector": {}}]}),
    );
    let failure = connectors(&bad, &BTreeMap::new()).unwrap_err();
    assert_eq!(failure.message, "no cluster with alias 'nope' in spec.clusters");
}

#[test]
fn connectors_the_spec_dropped_are_unwanted() {
    let wanted = connectors(&strimzi_v1_example(), &BTreeMap::new()).unwrap();
    let on_cluster = vec![
        "cluster-a->cluster-b.MirrorSourceConnector".to_string(),
        "old->cluster-b.MirrorSourceConnector".to_string(),
    ];
    assert_eq!(unwanted(&on_cluster, &wanted), ["old->cluster-b.MirrorSourceConnector"]);
}

/// The spec of one of Strimzi's example manifests.
fn example(yaml: &str) -> KafkaMirrorMaker2Spec {
    let manifest: Value = serde_yaml::from_str(yaml).unwrap();
    serde_json::from_value(manifest["spec"].clone()).unwrap()
}

/// Strimzi 0.38's example (`v1beta2`: `connectCluster`, `clusters[]`) and Strimzi 1.2's (`v1`:
/// `target`, `source`) describe the same mirror: the same connectors, with the same clusters.
#[test]
fn strimzis_examples_of_both_schemas_give_the_same_connectors() {
    let old = example(include_str!(
        "../../../../../tests/fixtures/strimzi/0.38.0/kafka-mirror-maker-2.yaml"
    ));
    let new = example(include_str!(
        "../../../../../tests/fixtures/strimzi/1.2.0/kafka-mirror-maker-2.yaml"
    ));
    let secrets = BTreeMap::new();
    let (old, new) = (connectors(&old, &secrets).unwrap(), connectors(&new, &secrets).unwrap());
    /// A connector's name, class and cluster settings.
    type Summary = (String, Option<String>, Vec<(String, Value)>);
    let summary = |connectors: &[MirrorConnector]| -> Vec<Summary> {
        connectors
            .iter()
            .map(|c| {
                let clusters = c
                    .spec
                    .config
                    .iter()
                    .flatten()
                    .filter(|(key, _)| {
                        key.ends_with(".alias")
                            || key.ends_with(".bootstrap.servers")
                            || key.ends_with(".security.protocol")
                    })
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                (c.name.clone(), c.spec.class.clone(), clusters)
            })
            .collect()
    };
    assert_eq!(summary(&old), summary(&new));
    assert_eq!(old.len(), 2);
}

#[test]
fn restart_and_offsets_annotations_reach_the_connector_they_name() {
    let source = "cluster-a->cluster-b.MirrorSourceConnector";
    let checkpoint = "cluster-a->cluster-b.MirrorCheckpointConnector";
    let annotations = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let on_mm2 = annotations(&[
        (
            RESTART_CONNECTOR_ANNOTATION,
            &format!("{source}:includeTasks,onlyFailed"),
        ),
        (RESTART_CONNECTOR_TASK_ANNOTATION, &format!("{checkpoint}:0")),
        (OFFSETS_ANNOTATION, "list"),
        (MIRRORMAKER_CONNECTOR_ANNOTATION, checkpoint),
    ]);
    assert_eq!(
        connector_annotations(&on_mm2, source),
        annotations(&[(RESTART_ANNOTATION, "includeTasks,onlyFailed")])
    );
    assert_eq!(
        connector_annotations(&on_mm2, checkpoint),
        annotations(&[(RESTART_TASK_ANNOTATION, "0"), (OFFSETS_ANNOTATION, "list")])
    );
    let plain = annotations(&[(RESTART_CONNECTOR_ANNOTATION, source)]);
    assert_eq!(
        connector_annotations(&plain, source),
        annotations(&[(RESTART_ANNOTATION, "true")])
    );
    assert!(connector_annotations(&plain, checkpoint).is_empty());
    assert_eq!(
        mirror_maker_annotations(OFFSETS_ANNOTATION),
        [OFFSETS_ANNOTATION, MIRRORMAKER_CONNECTOR_ANNOTATION]
    );
    assert_eq!(
        mirror_maker_annotations(RESTART_ANNOTATION),
        [RESTART_CONNECTOR_ANNOTATION]
    );
}
