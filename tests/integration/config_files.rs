//! Every example file in `config/` parses, and the connector examples are valid connector
//! configs for the plugins they name.

use std::path::Path;
use std::sync::Arc;

use tributary_runtime::config::read_properties_file;
use tributary_runtime::storage::{MemoryOffsetStore, StatusStore};
use tributary_runtime::worker::{Worker, WorkerConfig};

fn config_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

#[test]
fn every_config_file_parses() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(config_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "properties") {
            let map = read_properties_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!map.is_empty(), "{} has settings", path.display());
            seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "connect-distributed.properties",
            "connect-file-sink.properties",
            "connect-file-source.properties",
            "connect-mirror-maker.properties",
            "connect-standalone.properties",
            "jdbc-sink.properties",
            "jdbc-source.properties",
        ]
    );
    let mirror = read_properties_file(&config_dir().join("connect-mirror-maker.properties")).unwrap();
    assert_eq!(mirror["clusters"], "A, B");
    assert_eq!(mirror["A->B.enabled"], "true");
}

#[test]
fn example_connectors_validate() {
    tributary_connectors::link();
    // The JDBC examples take their passwords from the environment.
    std::env::set_var("PG_PASSWORD", "example");
    std::env::set_var("MYSQL_PASSWORD", "example");
    let worker_config = read_properties_file(&config_dir().join("connect-standalone.properties")).unwrap();
    let worker = Worker::new(
        WorkerConfig::new(worker_config),
        Arc::new(MemoryOffsetStore::default()),
        Arc::new(StatusStore::default()),
    )
    .unwrap();
    for file in [
        "connect-file-source.properties",
        "connect-file-sink.properties",
        "jdbc-source.properties",
        "jdbc-sink.properties",
    ] {
        let config = read_properties_file(&config_dir().join(file)).unwrap();
        let (plugin, _, errors) = worker.validate(&config);
        assert!(plugin.is_some(), "{file} names a known connector");
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
}
