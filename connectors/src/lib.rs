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

/// Every connector class this crate registers, module by module.
pub fn connector_classes() -> impl Iterator<Item = &'static str> {
    file::PLUGIN_CLASSES
        .into_iter()
        .chain(datagen::PLUGIN_CLASSES)
        .chain(jdbc::PLUGIN_CLASSES)
        .chain(parquet::PLUGIN_CLASSES)
        .chain(postgres_cdc::PLUGIN_CLASSES)
}

/// Makes sure this crate is linked into a binary, so its plugin registrations are present.
/// The `tributary` binary calls it once at start-up. Returns the number of connector classes
/// it registers.
pub fn link() -> usize {
    std::hint::black_box(connector_classes().count())
}

/// Locks a mutex, keeping its data if a panic poisoned it (only a bug could).
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
