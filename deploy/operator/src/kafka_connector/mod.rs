//! Strimzi's `KafkaConnector`: its types ([`spec`]), the decisions ([`plan`], pure) and the
//! reconciler that carries them out against a worker cluster's REST API ([`reconcile`]).

pub mod plan;
pub mod reconcile;
pub mod spec;

pub use spec::{KafkaConnector, KafkaConnectorSpec, KafkaConnectorStatus, CLUSTER_LABEL};
