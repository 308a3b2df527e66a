//! Source offset stores.
//!
//! An offset is keyed, as in Apache Kafka Connect, by `["<connector>",{<source partition>}]`
//! and valued by the connector's offset map; a `None` value deletes it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::connector::OffsetReader;
use crate::data::SourceMap;

/// An offset store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backing file could not be read or written.
    #[error("offset file {path}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The backing file is not what this store writes.
    #[error("offset file {path} is corrupt: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A request to Kafka (or another step) failed: what failed, and the error that caused it
    /// (kept as the source, so that a message or status trace built with
    /// [`crate::error_chain::with_causes`] shows every cause).
    #[error("{context}")]
    Caused {
        /// What failed.
        context: String,
        /// Why.
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Anything else, with no error behind it (a timeout, a topic unfit for its role).
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// `context` failed because of `cause`.
    pub fn caused(context: impl Into<String>, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Caused {
            context: context.into(),
            cause: cause.into(),
        }
    }
}

/// The key Apache Kafka Connect uses for a source partition's offset.
pub fn offset_key(connector: &str, partition: &SourceMap) -> String {
    serde_json::Value::Array(vec![
        serde_json::Value::String(connector.to_string()),
        serde_json::Value::Object(partition.clone()),
    ])
    .to_string()
}

/// Keeps source offsets.
#[async_trait]
pub trait OffsetStore: Send + Sync {
    /// The committed offset of `connector`'s `partition`.
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap>;

    /// Every committed partition and offset of `connector`.
    fn all(&self, connector: &str) -> Vec<(SourceMap, SourceMap)>;

    /// Durably records `offsets` (a `None` offset deletes the partition's offset).
    async fn commit(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) -> Result<(), StoreError>;

    /// Told that an exactly-once transaction wrote `offsets` to this store's topic: a store
    /// layered over another writes them there too. Nothing to do for the others.
    async fn written_in_transaction(&self, _connector: &str, _offsets: Vec<(SourceMap, Option<SourceMap>)>) {}
}

/// A connector's view of a store, handed to its connector and tasks.
pub struct ConnectorOffsetsReader {
    store: Arc<dyn OffsetStore>,
    connector: String,
}

impl ConnectorOffsetsReader {
    /// `connector`'s offsets in `store`.
    pub fn new(store: Arc<dyn OffsetStore>, connector: &str) -> Self {
        ConnectorOffsetsReader {
            store,
            connector: connector.to_string(),
        }
    }
}

impl OffsetReader for ConnectorOffsetsReader {
    fn offset(&self, partition: &SourceMap) -> Option<SourceMap> {
        self.store.get(&self.connector, partition)
    }
}

/// The connector and source partition of an Apache offset key, `["<connector>",{partition}]`.
pub(super) fn parse_offset_key(key: serde_json::Value) -> Option<(String, SourceMap)> {
    let serde_json::Value::Array(mut parts) = key else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    match (parts.pop(), parts.pop()) {
        (Some(serde_json::Value::Object(partition)), Some(serde_json::Value::String(connector))) => {
            Some((connector, partition))
        }
        _ => None,
    }
}

pub(super) type Entries = BTreeMap<String, (String, SourceMap, SourceMap)>;

pub(super) fn apply(entries: &mut Entries, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
    for (partition, offset) in offsets {
        let key = offset_key(connector, &partition);
        match offset {
            Some(offset) => {
                entries.insert(key, (connector.to_string(), partition, offset));
            }
            None => {
                entries.remove(&key);
            }
        }
    }
}

pub(super) fn read(entries: &Mutex<Entries>, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
    let entries = entries.lock().ok()?;
    entries
        .get(&offset_key(connector, partition))
        .map(|(_, _, o)| o.clone())
}

pub(super) fn read_all(entries: &Mutex<Entries>, connector: &str) -> Vec<(SourceMap, SourceMap)> {
    let Ok(entries) = entries.lock() else {
        return Vec::new();
    };
    entries
        .values()
        .filter(|(c, _, _)| c == connector)
        .map(|(_, p, o)| (p.clone(), o.clone()))
        .collect()
}

/// Offsets in memory only (tests, and connectors whose offsets need not survive).
#[derive(Default)]
pub struct MemoryOffsetStore {
    entries: Mutex<Entries>,
}

#[async_trait]
impl OffsetStore for MemoryOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        read(&self.entries, connector, partition)
    }

    fn all(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        read_all(&self.entries, connector)
    }

    async fn commit(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) -> Result<(), StoreError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| StoreError::Other("offset store lock poisoned".into()))?;
        apply(&mut entries, connector, offsets);
        Ok(())
    }
}

/// Offsets in a local JSON file, rewritten atomically (temporary file, fsync, rename) on every
/// commit, so a crash leaves either the old or the new file, never a torn one.
pub struct FileOffsetStore {
    path: PathBuf,
    entries: Mutex<Entries>,
    /// Serialises writers so an older snapshot never replaces a newer one.
    write_lock: tokio::sync::Mutex<()>,
}

impl FileOffsetStore {
    /// Opens (or starts) the offset file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut entries = Entries::new();
        match std::fs::read(path) {
            Ok(bytes) if !bytes.is_empty() => {
                let corrupt = |message: String| StoreError::Corrupt {
                    path: path.display().to_string(),
                    message,
                };
                let rows: Vec<(serde_json::Value, SourceMap)> =
                    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
                for (key, offset) in rows {
                    let (connector, partition) =
                        parse_offset_key(key).ok_or_else(|| corrupt("a key is not [connector, {partition}]".into()))?;
                    apply(&mut entries, &connector, vec![(partition, Some(offset))]);
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        Ok(FileOffsetStore {
            path: path.to_path_buf(),
            entries: Mutex::new(entries),
            write_lock: tokio::sync::Mutex::new(()),
        })
    }

    fn write_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(contents)?;
        temp.as_file().sync_all()?;
        temp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        read(&self.entries, connector, partition)
    }

    fn all(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        read_all(&self.entries, connector)
    }

    async fn commit(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) -> Result<(), StoreError> {
        let _writer = self.write_lock.lock().await;
        let snapshot = {
            let mut entries = self
                .entries
                .lock()
                .map_err(|_| StoreError::Other("offset store lock poisoned".into()))?;
            apply(&mut entries, connector, offsets);
            let rows: Vec<(serde_json::Value, &SourceMap)> = entries
                .values()
                .map(|(c, p, o)| {
                    (
                        serde_json::Value::Array(vec![c.clone().into(), serde_json::Value::Object(p.clone())]),
                        o,
                    )
                })
                .collect();
            serde_json::to_vec(&rows).map_err(|e| StoreError::caused("cannot encode the offsets", e))?
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || Self::write_file(&path, &snapshot))
            .await
            .map_err(|e| StoreError::caused("the offset writer failed", e))?
            .map_err(|source| StoreError::Io {
                path: self.path.display().to_string(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: serde_json::Value) -> SourceMap {
        json.as_object().cloned().unwrap()
    }

    #[tokio::test]
    async fn file_store_survives_reopen_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        let store = FileOffsetStore::open(&path).unwrap();
        let a = map(serde_json::json!({"filename": "a.txt"}));
        let b = map(serde_json::json!({"filename": "b.txt"}));
        store
            .commit(
                "c1",
                vec![
                    (a.clone(), Some(map(serde_json::json!({"position": 10})))),
                    (b.clone(), Some(map(serde_json::json!({"position": 5})))),
                ],
            )
            .await
            .unwrap();
        store.commit("c1", vec![(b.clone(), None)]).await.unwrap();
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert_eq!(reopened.get("c1", &a), Some(map(serde_json::json!({"position": 10}))));
        assert_eq!(reopened.get("c1", &b), None);
        assert_eq!(reopened.get("c2", &a), None);
        assert_eq!(reopened.all("c1").len(), 1);
    }

    #[test]
    fn keys_match_apache() {
        let partition = map(serde_json::json!({"filename": "/tmp/in.txt"}));
        assert_eq!(offset_key("src", &partition), r#"["src",{"filename":"/tmp/in.txt"}]"#);
    }

    #[test]
    fn corrupt_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(FileOffsetStore::open(&path), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn an_unreadable_file_names_the_file_and_keeps_the_reason_as_its_cause() {
        let dir = tempfile::tempdir().unwrap();
        let Err(error) = FileOffsetStore::open(dir.path()) else {
            panic!("a directory opened as an offset file");
        };
        let file = format!("offset file {}", dir.path().display());
        assert_eq!(error.to_string(), file);
        let reason = std::error::Error::source(&error)
            .expect("the I/O error is kept")
            .to_string();
        assert_eq!(crate::error_chain::with_causes(&error), format!("{file}: {reason}"));
    }
}
