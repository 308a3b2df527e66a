//! `TributaryConnect`, Tributary's own worker-cluster resource: its types ([`spec`], from which
//! the CRD is generated), what it becomes ([`resources`], pure) and the reconciler that applies
//! that and reports the cluster's readiness ([`reconcile`]).

pub mod reconcile;
pub mod resources;
pub mod spec;

pub use spec::{TributaryConnect, TributaryConnectSpec, TributaryConnectStatus};

/// The TributaryConnect CRD as YAML, as shipped in `deploy/crds/tributaryconnect.yaml`.
pub fn crd_yaml() -> String {
    use kube::CustomResourceExt;
    let crd = serde_yaml::to_string(&TributaryConnect::crd()).unwrap_or_default();
    format!("# Generated from the operator's Rust types by `tributary operator --print-crd`; do not edit.\n{crd}")
}

#[cfg(test)]
mod tests {
    /// `deploy/crds/tributaryconnect.yaml` is what the types generate.
    #[test]
    fn the_shipped_crd_is_generated_from_the_types() {
        let shipped = include_str!("../../../crds/tributaryconnect.yaml");
        assert!(
            shipped == super::crd_yaml(),
            "deploy/crds/tributaryconnect.yaml is out of date; regenerate it with \
             `cargo run -- operator --print-crd > deploy/crds/tributaryconnect.yaml`"
        );
    }
}
