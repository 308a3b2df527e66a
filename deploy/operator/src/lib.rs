//! Tributary's Kubernetes operator.
//!
//! It runs worker clusters from `TributaryConnect` resources (Tributary's own kind, modelled on
//! Strimzi's `KafkaConnect`: [`tributary_connect`]), and it manages connectors the way Strimzi's cluster operator does, from the resources Strimzi
//! users already write: a `KafkaConnector` (`kafka.strimzi.io`, `v1` or `v1beta2`) labelled
//! `strimzi.io/cluster: <cluster>` becomes a connector on that worker cluster, through the
//! cluster's Kafka Connect REST API. The operator holds no state of its own: each
//! reconciliation compares the resource with what the REST API reports ([`kafka_connector::plan`],
//! pure) and acts ([`kafka_connector::reconcile`]).

pub mod clusters;
pub mod conditions;
pub mod connect_api;
pub mod kafka_connector;
pub mod operator;
pub mod tributary_connect;

pub use clusters::ClusterUrls;
pub use operator::{kube_client, kube_client_for, run, OperatorError, OperatorSettings};
