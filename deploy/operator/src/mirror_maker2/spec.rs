//! `KafkaMirrorMaker2` as Strimzi defines it (`kafka.strimzi.io`): the `v1` schema (`target`,
//! `mirrors[].source`) and the older `v1beta2` one (`connectCluster`, `clusters[]`,
//! `mirrors[].sourceCluster`, a heartbeat connector), read into one set of types; the status
//! the operator writes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::conditions::{self, Condition};
use crate::kafka_connector::spec::{AutoRestartStatus, KafkaConnectorSpec};
use crate::strimzi_resource::StrimziResource;
use crate::tributary_connect::spec::{ClientAuthentication, ClientTls, ConnectorPlugin, Template};

/// `spec` of a KafkaMirrorMaker2, in both of Strimzi's schemas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KafkaMirrorMaker2Spec {
    /// Worker pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The container image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `v1`: the cluster the workers run on and mirror to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetCluster>,
    /// `v1beta2`: the alias of the cluster in `clusters` the workers run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_cluster: Option<String>,
    /// `v1beta2`: every cluster, by alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<MirrorCluster>>,
    /// What is mirrored from where.
    #[serde(default)]
    pub mirrors: Vec<Mirror>,
    /// CPU and memory of each worker container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Labels and annotations of what the operator creates (Strimzi's `template`, the parts
    /// Tributary reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// A Kafka cluster a mirror reads from (or, in `v1beta2`, any cluster).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MirrorCluster {
    /// Its alias (`source.cluster.alias`, the prefix of mirrored topics).
    pub alias: String,
    /// Its bootstrap servers.
    pub bootstrap_servers: String,
    /// TLS to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// Authentication to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<ClientAuthentication>,
    /// Client settings for it (and, for the `v1beta2` connect cluster, the worker's).
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
}

/// `spec.target` (`v1`): the cluster mirrored to, which the workers also use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetCluster {
    /// Its alias, address, TLS, authentication and client settings (the workers' properties).
    #[serde(flatten)]
    pub cluster: MirrorCluster,
    /// The workers' group.
    pub group_id: String,
    /// The workers' config topic.
    pub config_storage_topic: String,
    /// The workers' status topic.
    pub status_storage_topic: String,
    /// The workers' offsets topic.
    pub offset_storage_topic: String,
}

/// One mirror: a source cluster and the connectors that copy from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Mirror {
    /// `v1`: the source cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<MirrorCluster>,
    /// `v1beta2`: the source cluster's alias in `clusters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_cluster: Option<String>,
    /// `v1beta2`: the target's alias (the connect cluster's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_cluster: Option<String>,
    /// `MirrorSourceConnector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_connector: Option<KafkaConnectorSpec>,
    /// `MirrorCheckpointConnector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_connector: Option<KafkaConnectorSpec>,
    /// `v1beta2`: `MirrorHeartbeatConnector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_connector: Option<KafkaConnectorSpec>,
    /// Topics mirrored (`topics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics_pattern: Option<String>,
    /// Topics left out (`topics.exclude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics_exclude_pattern: Option<String>,
    /// `v1beta2`'s deprecated name of `topicsExcludePattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics_blacklist_pattern: Option<String>,
    /// Consumer groups whose offsets are checkpointed (`groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_pattern: Option<String>,
    /// Groups left out (`groups.exclude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_exclude_pattern: Option<String>,
    /// `v1beta2`'s deprecated name of `groupsExcludePattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_blacklist_pattern: Option<String>,
}

/// `status` of a KafkaMirrorMaker2, as Strimzi writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KafkaMirrorMaker2Status {
    /// `Ready`, or `NotReady` with the reason; warnings.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The workers' REST API inside the Kubernetes cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `GET /connectors/<name>/status` of each mirror connector.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connectors: Vec<serde_json::Value>,
    /// Restarts done by each connector's `autoRestart`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_restart_statuses: Vec<AutoRestartStatus>,
    /// The connector plugins the workers offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connector_plugins: Vec<ConnectorPlugin>,
    /// The selector of the worker pods (for the scale subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    /// Worker pods that exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
}

impl conditions::Status for KafkaMirrorMaker2Status {
    fn conditions_mut(&mut self) -> &mut Vec<Condition> {
        &mut self.conditions
    }
}

/// A KafkaMirrorMaker2 read from the API server, whichever version served it.
pub type KafkaMirrorMaker2 = StrimziResource<KafkaMirrorMaker2Spec, KafkaMirrorMaker2Status>;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::kafka_connector::spec::tests::{properties, rust_fields};

    /// Every field the operator reads is in the shipped CRD at the version that has it (the
    /// CRD has more: JVM, logging, tracing and rack settings Tributary has no use for).
    #[test]
    fn the_types_read_only_fields_of_the_shipped_crd() {
        let crd: Value =
            serde_yaml::from_str(include_str!("../../../crds/kafkamirrormaker2.yaml")).expect("the CRD parses");
        let spec_fields = rust_fields::<KafkaMirrorMaker2Spec>();
        let status_fields = rust_fields::<KafkaMirrorMaker2Status>();
        assert!(spec_fields.contains("mirrors.sourceConnector.autoRestart.maxRestarts"));
        let mut served = BTreeSet::new();
        for version in crd["spec"]["versions"].as_array().unwrap() {
            let schema = &version["schema"]["openAPIV3Schema"]["properties"];
            properties(&schema["spec"], "", &mut served);
            let mut crd_status = BTreeSet::new();
            properties(&schema["status"], "", &mut crd_status);
            assert!(
                status_fields.is_subset(&crd_status),
                "{:?}",
                status_fields.difference(&crd_status).collect::<Vec<_>>()
            );
        }
        // `class` is the KafkaConnector field the mirror connectors share the type with; the
        // operator sets it itself.
        let unknown: Vec<&String> = spec_fields
            .iter()
            .filter(|field| !served.contains(*field) && !field.ends_with(".class"))
            .collect();
        assert!(unknown.is_empty(), "{unknown:?}");
    }
}
