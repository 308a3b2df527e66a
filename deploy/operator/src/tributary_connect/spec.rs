//! `TributaryConnect` (`connect.tributary.io/v1alpha1`): a cluster of Tributary workers, its
//! spec modelled on Strimzi 1.x's `KafkaConnect` (same field names and meanings, so a
//! KafkaConnect's spec carries over), and the status the operator writes. The CRD in
//! `deploy/crds/tributaryconnect.yaml` is generated from these types.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::conditions::{self, Condition};

/// A cluster of Tributary workers: the operator keeps its ConfigMap, Deployment, Service,
/// PodDisruptionBudget and ServiceAccount, and its KafkaConnectors name it with
/// `strimzi.io/cluster`.
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "connect.tributary.io",
    version = "v1alpha1",
    kind = "TributaryConnect",
    namespaced,
    status = "TributaryConnectStatus",
    shortname = "tc",
    category = "tributary",
    doc = "A cluster of Tributary workers (Kafka Connect compatible), modelled on Strimzi's KafkaConnect.",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.labelSelector"
    ),
    printcolumn(name = "Desired replicas", type_ = "integer", json_path = ".spec.replicas"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct TributaryConnectSpec {
    /// The number of worker pods.
    #[schemars(range(min = 0))]
    pub replicas: i32,
    /// The container image; the operator's default image when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Kafka's bootstrap servers (`host:port`, comma-separated).
    pub bootstrap_servers: String,
    /// The workers' group (`group.id`); clusters sharing Kafka need different ones.
    pub group_id: String,
    /// The topic holding connector configs (`config.storage.topic`).
    pub config_storage_topic: String,
    /// The topic holding connector and task statuses (`status.storage.topic`).
    pub status_storage_topic: String,
    /// The topic holding source offsets (`offset.storage.topic`).
    pub offset_storage_topic: String,
    /// TLS to Kafka: the certificates to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// How the workers authenticate to Kafka.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<ClientAuthentication>,
    /// Worker properties, as in a connect-distributed.properties file. Keys the spec sets
    /// (`bootstrap.servers`, `group.id`, the storage topics, `ssl.`, `sasl.`, `security.`,
    /// `listeners`, `rest.`, `plugin.path`) cannot be set here, as in Strimzi.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "any_object")]
    pub config: BTreeMap<String, serde_json::Value>,
    /// CPU and memory of each worker container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Prometheus scraping of `/metrics` on the REST port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Labels and annotations of the resources the operator creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// `{type: object, x-kubernetes-preserve-unknown-fields: true}`: values of any JSON type.
fn any_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}

/// `spec.tls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientTls {
    /// Certificates from Secrets; all of them are trusted.
    #[serde(default)]
    pub trusted_certificates: Vec<CertSecretSource>,
}

/// Certificates in a Secret: one key (`certificate`), or every key matching `pattern`
/// (e.g. `*.crt`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertSecretSource {
    /// The Secret.
    pub secret_name: String,
    /// The key holding a PEM certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// A glob over the Secret's keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// `spec.authentication`, in Strimzi's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientAuthentication {
    /// `tls`, `scram-sha-256`, `scram-sha-512` or `plain`.
    #[serde(rename = "type")]
    pub type_: AuthenticationType,
    /// For `tls`: the client certificate and key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_and_key: Option<CertAndKeySecretSource>,
    /// For SCRAM and PLAIN: the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// For SCRAM and PLAIN: the password, in a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret: Option<PasswordSecretSource>,
}

/// The authentication mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AuthenticationType {
    /// Mutual TLS with a client certificate.
    #[serde(rename = "tls")]
    Tls,
    /// SASL SCRAM-SHA-256.
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// SASL SCRAM-SHA-512.
    #[serde(rename = "scram-sha-512")]
    ScramSha512,
    /// SASL PLAIN.
    #[serde(rename = "plain")]
    Plain,
}

/// A certificate and its key in a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertAndKeySecretSource {
    /// The Secret.
    pub secret_name: String,
    /// The key holding the PEM certificate (chain).
    pub certificate: String,
    /// The key holding the PEM private key.
    pub key: String,
}

/// A password in a Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSecretSource {
    /// The Secret.
    pub secret_name: String,
    /// The key holding the password.
    pub password: String,
}

/// `spec.metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Metrics {
    /// Annotates the pods for Prometheus (`prometheus.io/scrape`, `port`, `path`); the
    /// series are served either way.
    pub enabled: bool,
}

/// `spec.template`: extra metadata for what the operator creates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// The Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<ResourceTemplate>,
    /// The worker pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<ResourceTemplate>,
    /// The REST API's Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_service: Option<ResourceTemplate>,
    /// The PodDisruptionBudget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<PodDisruptionBudgetTemplate>,
}

/// Metadata added to one created resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceTemplate {
    /// Its labels and annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataTemplate>,
}

/// Labels and annotations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MetadataTemplate {
    /// Added labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Added annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `spec.template.podDisruptionBudget`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodDisruptionBudgetTemplate {
    /// Its labels and annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataTemplate>,
    /// Pods that may be down at once during voluntary disruptions (1 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_unavailable: Option<i32>,
}

/// `status` of a TributaryConnect, as Strimzi writes a KafkaConnect's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TributaryConnectStatus {
    /// `Ready`, or `NotReady` with the reason; warnings.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The REST API's URL inside the Kubernetes cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Worker pods that exist (for the scale subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// The selector of the worker pods (for the scale subresource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    /// The connector plugins the workers offer, as `GET /connector-plugins` lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connector_plugins: Vec<ConnectorPlugin>,
}

impl conditions::Status for TributaryConnectStatus {
    fn conditions_mut(&mut self) -> &mut Vec<Condition> {
        &mut self.conditions
    }
}

/// One connector plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectorPlugin {
    /// Its class.
    pub class: String,
    /// `source` or `sink`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}
