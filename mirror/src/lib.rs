//! MirrorMaker 2 equivalent: mirror source, checkpoint and heartbeat connectors, replication
//! policies, offset syncs and the dedicated `mirror` mode. Not built yet: this crate reserves
//! the place the design card gives it.

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
pub fn link() -> usize {
    0
}
