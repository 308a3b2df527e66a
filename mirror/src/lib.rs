//! MirrorMaker 2 equivalent. So far: the replication policies ([`policy`]), the topic and group
//! filters ([`filter`]) and the dedicated-mode file's flows ([`flows`]), with MirrorMaker 2's
//! names, defaults and semantics. The mirror connectors and the `mirror` mode build on them.

pub mod filter;
pub mod flows;
pub mod policy;

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
pub fn link() -> usize {
    0
}
