//! Tributary's built-in connectors, one folder each; each owns its config keys, validation,
//! tasks and tests, and registers itself with the runtime's plugin registry.
//!
//! - [`file`]: `FileStreamSource` and `FileStreamSink`, Apache Kafka's file connectors.
//! - [`datagen`]: deterministic generated records at a target rate, for demos and benchmarks.
//! - `jdbc` (feature `jdbc`): PostgreSQL and MySQL/MariaDB tables, Confluent JDBC-style.
//! - `postgres_cdc` (feature `postgres-cdc`): PostgreSQL change data capture, Debezium-style.
//! - `parquet` (feature `parquet`): topic data as Parquet files (Arrow).
//!
//! All three features are on by default.

#[cfg(any(feature = "jdbc", feature = "parquet"))]
mod config_per_task;
pub mod datagen;
pub mod file;
#[cfg(feature = "jdbc")]
pub mod jdbc;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "postgres-cdc")]
pub mod postgres_cdc;

/// Every connector class this crate registers, module by module (the modules of the
/// features built).
pub fn connector_classes() -> impl Iterator<Item = &'static str> {
    let classes = file::PLUGIN_CLASSES.iter().chain(&datagen::PLUGIN_CLASSES);
    #[cfg(feature = "jdbc")]
    let classes = classes.chain(&jdbc::PLUGIN_CLASSES);
    #[cfg(feature = "parquet")]
    let classes = classes.chain(&parquet::PLUGIN_CLASSES);
    #[cfg(feature = "postgres-cdc")]
    let classes = classes.chain(&postgres_cdc::PLUGIN_CLASSES);
    classes.copied()
}

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// The `tributary` binary calls it once at start-up. Returns the number of connector classes
/// it registers.
pub fn link() -> usize {
    std::hint::black_box(connector_classes().count())
}

/// Locks a mutex, keeping its data if a panic poisoned it (only a bug could).
#[cfg(feature = "jdbc")]
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use tributary_runtime::connector::connector_plugins;

    /// The registry holds exactly the classes [`super::connector_classes`] names: a module
    /// added without its classes in that list (or a registration lost) fails here.
    #[test]
    fn every_registered_connector_is_named_once() {
        let named: Vec<&str> = super::connector_classes().collect();
        let unique: BTreeSet<String> = named.iter().map(|c| c.to_string()).collect();
        assert_eq!(unique.len(), named.len(), "a class is named twice: {named:?}");
        let registered: BTreeSet<String> = connector_plugins().map(|p| p.class.to_string()).collect();
        assert_eq!(registered, unique);
    }
}
