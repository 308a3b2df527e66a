//! Tributary's built-in connectors, one folder each; each owns its config keys, validation,
//! tasks and tests, and registers itself with the runtime's plugin registry.
//!
//! - [`file`]: `FileStreamSource` and `FileStreamSink`, Apache Kafka's file connectors.
//! - [`datagen`]: deterministic generated records at a target rate, for demos and benchmarks.
//! - [`jdbc`]: PostgreSQL and MySQL/MariaDB tables, Confluent JDBC-style.
//! - [`postgres_cdc`]: PostgreSQL change data capture, Debezium-style.
//! - [`parquet`]: topic data as Parquet files (Arrow).

mod config_per_task;
pub mod datagen;
pub mod file;
pub mod jdbc;
pub mod parquet;
pub mod postgres_cdc;

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// The `tributary` binary calls it once at start-up.
pub fn link() -> usize {
    std::hint::black_box(
        file::PLUGIN_CLASSES.len()
            + datagen::PLUGIN_CLASSES.len()
            + jdbc::PLUGIN_CLASSES.len()
            + postgres_cdc::PLUGIN_CLASSES.len(),
    )
}

/// Locks a mutex, keeping its data if a panic poisoned it (only a bug could).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
