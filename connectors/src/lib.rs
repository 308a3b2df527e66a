//! Tributary's built-in connectors, one folder each; each owns its config keys, validation,
//! tasks and tests, and registers itself with the runtime's plugin registry.
//!
//! - [`file`]: `FileStreamSource` and `FileStreamSink`, Apache Kafka's file connectors.
//! - [`datagen`]: deterministic generated records at a target rate, for demos and benchmarks.

pub mod datagen;
pub mod file;

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// The `tributary` binary calls it once at start-up.
pub fn link() -> usize {
    std::hint::black_box(file::PLUGIN_CLASSES.len() + datagen::PLUGIN_CLASSES.len())
}
