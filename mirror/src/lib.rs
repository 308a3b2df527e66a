//! MirrorMaker 2 equivalent, with its names, defaults, record formats and semantics: the three
//! connectors ([`source`], [`checkpoint`], [`heartbeat`]) over the shared settings
//! ([`config`]), replication policies ([`policy`]), topic and group filters ([`filter`]),
//! admin calls ([`admin`], [`acls`]; librdkafka's own where rust-rdkafka has none), internal
//! records ([`records`]) and offset translation ([`offset_sync`]); and dedicated mode
//! ([`dedicated`]) over the mirror file's flows ([`flows`]).

pub mod acls;
pub mod admin;
pub mod checkpoint;
pub mod config;
pub mod dedicated;
pub mod filter;
pub mod flows;
pub mod heartbeat;
mod native;
pub mod offset_sync;
pub mod policy;
pub mod provenance;
pub mod records;
pub mod source;

/// The connector classes this crate registers.
pub const CONNECTOR_CLASSES: [&str; 3] = [source::CLASS, checkpoint::CLASS, heartbeat::CLASS];

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// Returns the number of connector classes it registers.
pub fn link() -> usize {
    std::hint::black_box(CONNECTOR_CLASSES.len())
}

/// Locks a mutex, keeping its data if a panic poisoned it (only a bug could).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tributary_runtime::connector::connector_plugins;

    /// The registry holds exactly the classes [`super::CONNECTOR_CLASSES`] names.
    #[test]
    fn every_registered_connector_is_named() {
        let named: BTreeSet<String> = super::CONNECTOR_CLASSES.iter().map(|c| c.to_string()).collect();
        let registered: BTreeSet<String> = connector_plugins().map(|p| p.class.to_string()).collect();
        assert_eq!(registered, named);
    }
}
