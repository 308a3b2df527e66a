//! Strimzi's `KafkaMirrorMaker2`: its types ([`spec`], both of Strimzi's schemas), what it asks
//! for ([`plan`], pure: the workers on the target cluster and the mirror connectors) and the
//! reconciler ([`reconcile`]), which runs the workers as a TributaryConnect's and the connectors
//! as KafkaConnectors.

pub mod plan;
pub mod reconcile;
pub mod spec;

pub use spec::{KafkaMirrorMaker2, KafkaMirrorMaker2Spec, KafkaMirrorMaker2Status};
