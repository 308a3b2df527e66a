//! Tributary's Kubernetes operator.
//!
//! It runs worker clusters from `TributaryConnect` resources (Tributary's own kind, modelled on
//! Strimzi's `KafkaConnect`: [`tributary_connect`]) and manages connectors the way Strimzi's
//! cluster operator does, from the resources Strimzi users already write: a `KafkaConnector`
//! (`kafka.strimzi.io`, `v1` or `v1beta2`) labelled `strimzi.io/cluster: <cluster>` becomes a
//! connector on that worker cluster, through the cluster's Kafka Connect REST API
//! ([`kafka_connector`]); a `KafkaMirrorMaker2` becomes workers on its target cluster running
//! the mirror connectors ([`mirror_maker2`]). The operator holds no state of its own: each
//! reconciliation compares the resource with what the API server and the REST API report
//! (pure `plan` modules) and acts (`reconcile` modules).

pub mod clusters;
pub mod conditions;
pub mod connect_api;
pub mod kafka_connector;
pub mod mirror_maker2;
pub mod operator;
pub mod strimzi_resource;
pub mod tributary_connect;

pub use clusters::ClusterUrls;
pub use operator::{kube_client, kube_client_for, run, OperatorError, OperatorSettings};
