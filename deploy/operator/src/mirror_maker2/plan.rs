//! What a KafkaMirrorMaker2 asks for, as pure functions, following Strimzi's
//! `KafkaMirrorMaker2Connectors`: its workers (a [`WorkerCluster`] on the target cluster, named
//! `<name>-mirrormaker2…`) and its connectors (`<source>-><target>.MirrorSourceConnector`,
//! `….MirrorCheckpointConnector` and, in `v1beta2`, `….MirrorHeartbeatConnector`), each a
//! KafkaConnector spec whose config carries both clusters' settings under `source.cluster.` and
//! `target.cluster.`, then the connector's own config, then the mirror's patterns.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::Value;

use super::spec::{KafkaMirrorMaker2Spec, Mirror, MirrorCluster, TargetCluster};
use crate::conditions::Failure;
use crate::kafka_connector::plan::{OFFSETS_ANNOTATION, RESTART_ANNOTATION, RESTART_TASK_ANNOTATION};
use crate::kafka_connector::spec::KafkaConnectorSpec;
use crate::tributary_connect::resources::{client_security, security_secrets, Component, WorkerCluster};
use crate::tributary_connect::TributaryConnectSpec;

/// The Java package of the mirror connectors.
const CONNECTOR_PACKAGE: &str = "org.apache.kafka.connect.mirror";
/// Worker settings of a `v1beta2` connect cluster that the `v1` target has as fields, with
/// Strimzi 0.38's defaults.
const V1BETA2_WORKER_KEYS: [(&str, &str); 4] = [
    ("group.id", "mirrormaker2-cluster"),
    ("config.storage.topic", "mirrormaker2-cluster-configs"),
    ("offset.storage.topic", "mirrormaker2-cluster-offsets"),
    ("status.storage.topic", "mirrormaker2-cluster-status"),
];

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new("InvalidResourceException", message)
}

/// The cluster the workers run on: `spec.target`, or (`v1beta2`) the cluster in `clusters`
/// that `connectCluster` names, its worker settings read from its config.
pub fn target(spec: &KafkaMirrorMaker2Spec) -> Result<TargetCluster, Failure> {
    if let Some(target) = &spec.target {
        return Ok(target.clone());
    }
    let alias = spec
        .connect_cluster
        .as_deref()
        .ok_or_else(|| invalid("spec.target is required"))?;
    let cluster = named_cluster(spec, alias)?;
    let mut config = cluster.config.clone();
    let mut worker = |key: &str, default: &str| match config.remove(key) {
        Some(Value::String(value)) => value,
        _ => default.to_string(),
    };
    let [group, configs, offsets, statuses] = V1BETA2_WORKER_KEYS.map(|(key, default)| worker(key, default));
    Ok(TargetCluster {
        cluster: MirrorCluster {
            config,
            ..cluster.clone()
        },
        group_id: group,
        config_storage_topic: configs,
        offset_storage_topic: offsets,
        status_storage_topic: statuses,
    })
}

/// The `v1beta2` cluster with `alias`.
fn named_cluster<'a>(spec: &'a KafkaMirrorMaker2Spec, alias: &str) -> Result<&'a MirrorCluster, Failure> {
    spec.clusters
        .iter()
        .flatten()
        .find(|cluster| cluster.alias == alias)
        .ok_or_else(|| invalid(format!("no cluster with alias '{alias}' in spec.clusters")))
}

/// A mirror's source cluster: `source`, or (`v1beta2`) the cluster `sourceCluster` names.
pub fn source<'a>(spec: &'a KafkaMirrorMaker2Spec, mirror: &'a Mirror) -> Result<&'a MirrorCluster, Failure> {
    if let Some(source) = &mirror.source {
        return Ok(source);
    }
    let alias = mirror
        .source_cluster
        .as_deref()
        .ok_or_else(|| invalid("every mirror needs a source"))?;
    named_cluster(spec, alias)
}

/// The workers of KafkaMirrorMaker2 `name` in `namespace`: on the target cluster, reading the
/// sources' Secrets too.
pub fn workers(
    name: &str,
    namespace: &str,
    owner: OwnerReference,
    spec: &KafkaMirrorMaker2Spec,
) -> Result<WorkerCluster, Failure> {
    let target = target(spec)?;
    let mut connector_secrets = BTreeSet::new();
    for mirror in &spec.mirrors {
        let source = source(spec, mirror)?;
        connector_secrets.extend(security_secrets(source.tls.as_ref(), source.authentication.as_ref()));
    }
    Ok(WorkerCluster {
        component: Component::MirrorMaker2,
        name: name.to_string(),
        namespace: namespace.to_string(),
        owner,
        spec: TributaryConnectSpec {
            replicas: spec.replicas.unwrap_or(1),
            image: spec.image.clone(),
            bootstrap_servers: target.cluster.bootstrap_servers,
            group_id: target.group_id,
            config_storage_topic: target.config_storage_topic,
            status_storage_topic: target.status_storage_topic,
            offset_storage_topic: target.offset_storage_topic,
            tls: target.cluster.tls,
            authentication: target.cluster.authentication,
            config: target.cluster.config,
            resources: spec.resources.clone(),
            metrics: None,
            template: spec.template.clone(),
        },
        connector_secrets,
    })
}

/// One connector a KafkaMirrorMaker2 asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorConnector {
    /// `<source>-><target>.<Class>`.
    pub name: String,
    /// Its spec, `class` and the full config set.
    pub spec: KafkaConnectorSpec,
}

/// Every connector the spec asks for, in mirror order (source, checkpoint, heartbeat).
pub fn connectors(
    spec: &KafkaMirrorMaker2Spec,
    secrets: &BTreeMap<String, Secret>,
) -> Result<Vec<MirrorConnector>, Failure> {
    let target = target(spec)?;
    let mut out = Vec::new();
    for mirror in &spec.mirrors {
        let source = source(spec, mirror)?;
        let kinds = [
            ("MirrorSourceConnector", &mirror.source_connector),
            ("MirrorCheckpointConnector", &mirror.checkpoint_connector),
            ("MirrorHeartbeatConnector", &mirror.heartbeat_connector),
        ];
        for (class, connector) in kinds {
            let Some(connector) = connector else { continue };
            let mut config = BTreeMap::new();
            cluster_settings(&mut config, &target.cluster, "target.cluster.", secrets)?;
            cluster_settings(&mut config, source, "source.cluster.", secrets)?;
            config.extend(connector.config.clone().unwrap_or_default());
            let patterns = [
                ("topics", &mirror.topics_pattern),
                ("topics.exclude", &mirror.topics_exclude_pattern),
                ("groups", &mirror.groups_pattern),
                ("groups.exclude", &mirror.groups_exclude_pattern),
            ];
            for (key, pattern) in patterns {
                if let Some(pattern) = pattern {
                    config.insert(key.to_string(), Value::String(pattern.clone()));
                }
            }
            let deprecated = [
                ("topics.exclude", &mirror.topics_blacklist_pattern),
                ("groups.exclude", &mirror.groups_blacklist_pattern),
            ];
            for (key, pattern) in deprecated {
                if let Some(pattern) = pattern {
                    config
                        .entry(key.to_string())
                        .or_insert_with(|| Value::String(pattern.clone()));
                }
            }
            out.push(MirrorConnector {
                name: format!("{}->{}.{class}", source.alias, target.cluster.alias),
                spec: KafkaConnectorSpec {
                    class: Some(format!("{CONNECTOR_PACKAGE}.{class}")),
                    config: Some(config),
                    ..connector.clone()
                },
            });
        }
    }
    Ok(out)
}

/// `<prefix>alias`, `<prefix>bootstrap.servers`, the security settings and the cluster's own
/// config, each under `prefix`.
fn cluster_settings(
    config: &mut BTreeMap<String, Value>,
    cluster: &MirrorCluster,
    prefix: &str,
    secrets: &BTreeMap<String, Secret>,
) -> Result<(), Failure> {
    config.insert(format!("{prefix}alias"), Value::String(cluster.alias.clone()));
    config.insert(
        format!("{prefix}bootstrap.servers"),
        Value::String(cluster.bootstrap_servers.clone()),
    );
    for (key, value) in client_security(cluster.tls.as_ref(), cluster.authentication.as_ref(), secrets)? {
        config.insert(format!("{prefix}{key}"), Value::String(value));
    }
    for (key, value) in &cluster.config {
        config.insert(format!("{prefix}{key}"), value.clone());
    }
    Ok(())
}

/// Restarts one connector: `<connector>` or `<connector>:includeTasks,onlyFailed`.
pub const RESTART_CONNECTOR_ANNOTATION: &str = "strimzi.io/restart-connector";
/// Restarts one task: `<connector>:<task>`.
pub const RESTART_CONNECTOR_TASK_ANNOTATION: &str = "strimzi.io/restart-connector-task";
/// Which connector `strimzi.io/connector-offsets` is for.
pub const MIRRORMAKER_CONNECTOR_ANNOTATION: &str = "strimzi.io/mirrormaker-connector";

/// The KafkaConnector annotations that connector `name` is reconciled with: the
/// KafkaMirrorMaker2's annotations that target it, in a KafkaConnector's terms
/// (`strimzi.io/restart-connector: <name>[:<args>]` is `strimzi.io/restart: <args>|true`,
/// `strimzi.io/restart-connector-task: <name>:<task>` is `strimzi.io/restart-task: <task>`,
/// `strimzi.io/connector-offsets` with `strimzi.io/mirrormaker-connector: <name>` is itself).
pub fn connector_annotations(annotations: &BTreeMap<String, String>, name: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(value) = annotations.get(RESTART_CONNECTOR_ANNOTATION) {
        let (connector, arguments) = value.split_once(':').unwrap_or((value, "true"));
        if connector == name {
            out.insert(RESTART_ANNOTATION.to_string(), arguments.to_string());
        }
    }
    if let Some((connector, task)) = annotations
        .get(RESTART_CONNECTOR_TASK_ANNOTATION)
        .and_then(|value| value.rsplit_once(':'))
    {
        if connector == name {
            out.insert(RESTART_TASK_ANNOTATION.to_string(), task.to_string());
        }
    }
    if annotations.get(MIRRORMAKER_CONNECTOR_ANNOTATION).map(String::as_str) == Some(name) {
        if let Some(operation) = annotations.get(OFFSETS_ANNOTATION) {
            out.insert(OFFSETS_ANNOTATION.to_string(), operation.clone());
        }
    }
    out
}

/// The KafkaMirrorMaker2 annotations to remove once a connector's reconciliation acted on the
/// KafkaConnector annotation `done`.
pub fn mirror_maker_annotations(done: &str) -> &'static [&'static str] {
    match done {
        RESTART_ANNOTATION => &[RESTART_CONNECTOR_ANNOTATION],
        RESTART_TASK_ANNOTATION => &[RESTART_CONNECTOR_TASK_ANNOTATION],
        OFFSETS_ANNOTATION => &[OFFSETS_ANNOTATION, MIRRORMAKER_CONNECTOR_ANNOTATION],
        _ => &[],
    }
}

/// Connectors on the cluster that the spec no longer asks for (deleted, as Strimzi does).
pub fn unwanted<'a>(on_cluster: &'a [String], wanted: &[MirrorConnector]) -> Vec<&'a str> {
    on_cluster
        .iter()
        .filter(|name| !wanted.iter().any(|c| &c.name == *name))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests;
