//! The Parquet sink task: buffers per file-to-be, writes whole files atomically, and skips
//! records the files already written hold.
//!
//! What is written is tracked per directory (a Kafka partition's, or one of its `field=value`
//! sub-directories): with `partition.field`, the files of one sub-directory can be ahead of
//! another's when the worker dies, and the records the lagging one misses are re-delivered
//! from the last committed offset and must not be skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, SinkTask, SinkTaskContext};
use tributary_runtime::data::{Schema, SinkRecord, Value};

use super::columns::{arrow_schema, record_batch};
use super::config::{config_def, Settings};

/// Records waiting to become one file.
struct Buffer {
    topic: String,
    partition: i32,
    schema: Arc<Schema>,
    values: Vec<Value>,
    first_offset: i64,
    last_offset: i64,
    bytes: usize,
    opened: Instant,
}

/// Where a file goes: (topic, partition, `field=value` sub-directory).
type FileKey = (String, i32, Option<String>);

/// Writes Parquet files.
pub(super) struct ParquetSinkTask {
    /// Shared with the blocking writes.
    settings: Arc<Settings>,
    /// Open buffers by the directory their file goes to.
    buffers: HashMap<FileKey, Buffer>,
    /// The last offset already in a file, by directory (read from the names on first sight).
    written: HashMap<FileKey, i64>,
}

/// The directory of a Kafka partition's files, or of one of its sub-directories.
fn file_dir(root: &Path, (topic, partition, sub_dir): &FileKey) -> PathBuf {
    let dir = root.join(topic).join(format!("partition={partition}"));
    match sub_dir {
        Some(sub_dir) => dir.join(sub_dir),
        None => dir,
    }
}

/// The last offset held by the files in `dir` (not its sub-directories), removing leftover
/// temporary files; -1 when there are none.
fn last_written_offset(dir: &Path) -> std::io::Result<i64> {
    let mut last = -1;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(last);
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            continue;
        } else if name.starts_with('.') && name.ends_with(".tmp") {
            std::fs::remove_file(&path)?;
        } else if let Some(stem) = name.strip_suffix(".parquet") {
            if let Some(end) = stem.rsplit('+').next().and_then(|e| e.parse::<i64>().ok()) {
                last = last.max(end);
            }
        }
    }
    Ok(last)
}

/// About how many bytes a value takes.
fn size_of(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 4,
        Value::Bytes(b) => b.len() + 4,
        Value::Struct(s) => s.values().iter().map(size_of).sum(),
        Value::Array(items) => items.iter().map(size_of).sum(),
        Value::Map(entries) => entries.iter().map(|(k, v)| size_of(k) + size_of(v)).sum(),
        _ => 8,
    }
}

/// Writes `buffer` as its file in `dir`: a temporary file synced, renamed, and the directory
/// synced.
fn write_file(settings: &Settings, dir: &Path, buffer: &Buffer) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = format!(
        "{}+{}+{}+{}.parquet",
        buffer.topic, buffer.partition, buffer.first_offset, buffer.last_offset
    );
    let path = dir.join(&name);
    let temporary = dir.join(format!(".{name}.tmp"));
    let arrow = arrow_schema(&buffer.schema)?;
    let batch = record_batch(&arrow, &buffer.values)?;
    let io = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", temporary.display());
    let file = std::fs::File::create(&temporary).map_err(|e| io(&e))?;
    let properties = WriterProperties::builder()
        .set_compression(settings.compression)
        .build();
    let mut writer = ArrowWriter::try_new(file, arrow, Some(properties)).map_err(|e| io(&e))?;
    writer.write(&batch).map_err(|e| io(&e))?;
    let file = writer.into_inner().map_err(|e| io(&e))?;
    file.sync_all().map_err(|e| io(&e))?;
    std::fs::rename(&temporary, &path).map_err(|e| io(&e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))?;
    Ok(path)
}

impl ParquetSinkTask {
    /// A task writing files under the directory its config names, as its settings say.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let config = config_def().parse(config).map_err(ConnectError::Config)?;
        Ok(ParquetSinkTask {
            settings: Arc::new(Settings::new(&config)),
            buffers: HashMap::new(),
            written: HashMap::new(),
        })
    }

    /// Writes out the buffer at `key`. When the write fails the buffer stays, so that a
    /// retried `put` of the same records adds nothing twice.
    async fn close(&mut self, key: &FileKey) -> Result<(), ConnectError> {
        let Some(buffer) = self.buffers.remove(key) else {
            return Ok(());
        };
        let settings = Arc::clone(&self.settings);
        let dir = file_dir(&settings.dir, key);
        let (buffer, written) = tokio::task::spawn_blocking(move || {
            let written = write_file(&settings, &dir, &buffer);
            (buffer, written)
        })
        .await
        .map_err(ConnectError::failed)?;
        match written {
            Ok(path) => {
                tracing::debug!(file = %path.display(), "wrote a Parquet file");
                self.written.insert(key.clone(), buffer.last_offset);
                Ok(())
            }
            Err(message) => {
                self.buffers.insert(key.clone(), buffer);
                Err(ConnectError::Retriable(message))
            }
        }
    }

    /// The last offset already in files or in the open buffer of `key` (files read once).
    async fn taken(&mut self, key: &FileKey) -> Result<i64, ConnectError> {
        if let Some(buffer) = self.buffers.get(key) {
            return Ok(buffer.last_offset);
        }
        if let Some(last) = self.written.get(key) {
            return Ok(*last);
        }
        let dir = file_dir(&self.settings.dir, key);
        let last = tokio::task::spawn_blocking(move || last_written_offset(&dir))
            .await
            .map_err(ConnectError::failed)??;
        self.written.insert(key.clone(), last);
        Ok(last)
    }
}

#[async_trait]
impl SinkTask for ParquetSinkTask {
    async fn start(&mut self, _context: SinkTaskContext) -> Result<(), ConnectError> {
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let settings = Arc::clone(&self.settings);
        for record in records {
            if record.record.value.is_null() {
                continue;
            }
            let (topic, partition) = (record.original_topic().to_string(), record.original_partition);
            let sub_dir = match (&settings.partition_field, &record.record.value) {
                (Some(field), Value::Struct(value)) => {
                    let text = match value.get(field) {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Null) | None => "null".to_string(),
                        Some(other) => format!("{other:?}"),
                    };
                    Some(format!("{field}={}", text.replace(['/', '\0'], "_")))
                }
                _ => None,
            };
            let key = (topic.clone(), partition, sub_dir);
            if record.kafka_offset <= self.taken(&key).await? {
                continue;
            }
            let schema = record.record.value_schema.as_deref().cloned().ok_or_else(|| {
                ConnectError::fatal(format!(
                    "record {topic}/{partition}@{}: the Parquet sink needs values with a schema",
                    record.kafka_offset
                ))
            })?;
            if self.buffers.get(&key).is_some_and(|b| b.schema != schema) {
                self.close(&key).await?;
            }
            let buffer = self.buffers.entry(key.clone()).or_insert_with(|| Buffer {
                topic,
                partition,
                schema,
                values: Vec::new(),
                first_offset: record.kafka_offset,
                last_offset: record.kafka_offset,
                bytes: 0,
                opened: Instant::now(),
            });
            buffer.bytes += size_of(&record.record.value);
            buffer.values.push(record.record.value.clone());
            buffer.last_offset = record.kafka_offset;
            if buffer.values.len() >= settings.flush_size || buffer.bytes >= settings.max_bytes {
                self.close(&key).await?;
            }
        }
        let expired: Vec<_> = self
            .buffers
            .iter()
            .filter(|(_, b)| settings.rotate.is_some_and(|r| b.opened.elapsed() >= r))
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            self.close(&key).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ConnectError> {
        // Offsets are committed after this: everything put must be in files.
        let keys: Vec<_> = self.buffers.keys().cloned().collect();
        for key in keys {
            self.close(&key).await?;
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_offset_comes_from_the_file_names_and_temporary_files_go() {
        let dir = tempfile::tempdir().unwrap();
        let partition = file_dir(dir.path(), &("orders".to_string(), 0, None));
        let france = file_dir(dir.path(), &("orders".to_string(), 0, Some("country=FR".to_string())));
        assert_eq!(france, partition.join("country=FR"));
        std::fs::create_dir_all(&france).unwrap();
        std::fs::write(partition.join("orders+0+0+99.parquet"), b"").unwrap();
        std::fs::write(france.join("orders+0+100+149.parquet"), b"").unwrap();
        std::fs::write(partition.join(".orders+0+150+199.parquet.tmp"), b"").unwrap();
        // Each directory answers for itself: a sub-directory ahead does not hide records another
        // still lacks.
        assert_eq!(last_written_offset(&partition).unwrap(), 99);
        assert_eq!(last_written_offset(&france).unwrap(), 149);
        assert!(!partition.join(".orders+0+150+199.parquet.tmp").exists());
        assert_eq!(last_written_offset(&dir.path().join("missing")).unwrap(), -1);
    }
}
