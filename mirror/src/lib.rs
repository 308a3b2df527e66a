//! MirrorMaker 2 equivalent. So far: the replication policies ([`policy`]), the topic and group
//! filters ([`filter`]), the dedicated-mode file's flows ([`flows`]), and the
//! `MirrorSourceConnector` ([`source`]), with MirrorMaker 2's names, defaults and semantics.

pub mod filter;
pub mod flows;
pub mod policy;
pub mod source;

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// Returns the number of connector classes it registers.
pub fn link() -> usize {
    std::hint::black_box([source::CLASS].len())
}
