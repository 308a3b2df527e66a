//! The opt-in provenance header (`provenance.header.enabled`, a Tributary addition): each
//! mirrored record carries, in header [`HEADER`], the aliases of the clusters it was mirrored
//! from, in order. A flow never copies a record that has already been on its target cluster, so
//! even with the identity replication policy (the same topic names on both sides, where naming
//! cannot reveal a cycle) an active/active pair or a ring never loops.

/// The header's key.
pub const HEADER: &str = "tributary.mirror.path";

/// Whether a record with provenance `path` (the header's value, if any) has been on cluster
/// `alias`.
pub fn visited(path: Option<&[u8]>, alias: &str) -> bool {
    path.is_some_and(|path| path.split(|b| *b == b',').any(|hop| hop == alias.as_bytes()))
}

/// The provenance of a record mirrored from cluster `source`: `path` with `source` appended.
pub fn extended(path: Option<&[u8]>, source: &str) -> Vec<u8> {
    match path {
        Some(path) if !path.is_empty() => [path, b",", source.as_bytes()].concat(),
        _ => source.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_not_copied_back_to_a_cluster_it_has_been_on() {
        let from_a = extended(None, "A");
        assert_eq!(from_a, b"A");
        assert!(visited(Some(&from_a), "A"), "B->A must skip what came from A");
        assert!(!visited(Some(&from_a), "C"), "B->C may copy it on");
        let via_b = extended(Some(&from_a), "B");
        assert_eq!(via_b, b"A,B");
        assert!(visited(Some(&via_b), "A") && visited(Some(&via_b), "B"));
        assert!(!visited(Some(b"AB"), "A"), "whole aliases only");
        assert!(!visited(None, "A"));
    }
}
