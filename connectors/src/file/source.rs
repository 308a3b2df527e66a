//! `FileStreamSource`: lines of a file into a topic.
//!
//! Source partition `{"filename": <file>}`, offset `{"position": <byte after the line>}`, as
//! Apache's connector keeps them. A line ends at `\n`, `\r\n` or `\r`; a last line with no end
//! yet waits for one. Truncation (the file shrank below our position) restarts at 0; rotation
//! (a new file at the path) finishes the old file, then reads the new one from 0.

use std::os::unix::fs::{FileExt, MetadataExt};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncReadExt;
use tributary_runtime::clock::now_millis;
use tributary_runtime::config::{positive, ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, ParsedConfig};
use tributary_runtime::connector::{ConnectError, OffsetMap, SourceTask, SourceTaskContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};
use tributary_runtime::data::{java_utf8_text, ConnectRecord, SchemaRef, SourceMap, SourceRecord, Value};

use crate::config_per_task::ConfigPerTask;

pub(super) const CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
/// How long to wait before looking again when the file has no new complete line.
const IDLE_WAIT: Duration = Duration::from_millis(200);
/// Bytes read from the file per read call.
const READ_CHUNK: usize = 256 * 1024;

/// `file`.
const FILE: Key<Option<String>> = Key::new(
    ConfigKey::unset(
        "file",
        ConfigType::String,
        "Source filename. If not specified, the standard input will be used.",
    )
    .importance(Importance::High),
);
/// `topic`.
const TOPIC: Key<String> =
    Key::new(ConfigKey::required("topic", ConfigType::String, "The topic to publish data to.").check(single_topic));
/// `batch.size`.
const BATCH_SIZE: Key<usize> = Key::new(
    ConfigKey::optional(
        "batch.size",
        ConfigType::Int,
        "2000",
        "The maximum number of records the source task can read from the file each time it is polled.",
    )
    .check(positive)
    .importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&FILE).key(&TOPIC).key(&BATCH_SIZE)
}

/// The file to read, `None` for the standard input.
fn file(config: &ParsedConfig) -> Option<String> {
    config
        .value(&FILE)
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
}

/// Apache's `NonEmptyString`; a list of topics (a name Kafka would refuse) with the message
/// Apache's 3.x connector, which took a list, gave it.
fn single_topic(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("String must be non-empty".into())
    } else if value.contains(',') {
        Err("'topic' in FileStreamSourceConnector configuration requires definition of a single topic".into())
    } else {
        Ok(())
    }
}

/// Apache's checks of offsets to write: a `filename` partition and a non-negative whole
/// `position`; removals are always allowed, so that stale offsets can be cleaned up.
fn alter_offsets(config: &ConfigMap, offsets: &[(OffsetMap, Option<OffsetMap>)]) -> Result<bool, String> {
    if config.get(FILE.name()).is_none_or(|f| f.trim().is_empty()) {
        return Err("Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.".into());
    }
    for (partition, offset) in offsets {
        let Some(offset) = offset else { continue };
        let position = offset
            .get("position")
            .ok_or("Offset objects should either be null or contain the key 'position'")?;
        if !(position.is_i64() || position.is_u64()) {
            return Err("The value for the 'position' key in the offset is expected to be a Long value".into());
        }
        if position.as_i64().is_some_and(|p| p < 0) {
            return Err("The value for the 'position' key in the offset should be a non-negative value".into());
        }
        if !partition.contains_key("filename") {
            return Err("Partition objects should contain the key 'filename'".into());
        }
    }
    Ok(true)
}

/// Where the lines come from.
enum Input {
    /// A file, read at the task's position on one of tokio's blocking threads straight into the
    /// task's buffer (tokio's `File` reads into a buffer of its own and copies it: 3% of the
    /// worker's CPU at 1 KiB lines).
    File(Arc<std::fs::File>),
    /// The standard input.
    Stdin(tokio::io::Stdin),
}

/// Reads lines and remembers where it is.
pub struct FileStreamSourceTask {
    path: Option<String>,
    topic: Arc<str>,
    batch_size: usize,
    input: Option<Input>,
    inode: Option<u64>,
    /// Byte position of the first byte of `buffer` in the file.
    position: u64,
    /// Bytes read and not yet consumed in `buffer[start..filled]`; the rest of it is room for
    /// the next read, zeroed once when the buffer grows rather than before every read.
    buffer: Vec<u8>,
    /// How much of `buffer` holds bytes read from the input.
    filled: usize,
    /// Where the next line starts in `buffer`.
    start: usize,
    partition: Arc<SourceMap>,
    schema: SchemaRef,
    /// A `\r` ended the last line: a `\n` right after it belongs to that line.
    after_cr: bool,
}

impl FileStreamSourceTask {
    /// A task reading the file its config names (or the standard input).
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let config = config_def().parse(config).map_err(ConnectError::Config)?;
        let path = file(&config);
        let mut partition = SourceMap::new();
        if let Some(path) = &path {
            partition.insert("filename".into(), path.clone().into());
        }
        Ok(FileStreamSourceTask {
            path,
            topic: config.value(&TOPIC).trim().into(),
            batch_size: config.value(&BATCH_SIZE),
            input: None,
            inode: None,
            position: 0,
            buffer: Vec::new(),
            filled: 0,
            start: 0,
            partition: Arc::new(partition),
            schema: SchemaRef::string(),
            after_cr: false,
        })
    }

    async fn open(&mut self, position: u64) -> Result<(), ConnectError> {
        let Some(path) = &self.path else {
            self.input = Some(Input::Stdin(tokio::io::stdin()));
            return Ok(());
        };
        let file = match tokio::fs::File::open(path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(file = %path, "file does not exist yet; waiting for it");
                return Ok(());
            }
            Err(e) => return Err(ConnectError::Retriable(format!("cannot open {path}: {e}"))),
        };
        let metadata = file.metadata().await?;
        let position = if metadata.len() < position {
            tracing::warn!(file = %path, position, length = metadata.len(), "file is shorter than the committed position (truncated); reading from the start");
            0
        } else {
            position
        };
        self.inode = Some(metadata.ino());
        self.position = position;
        self.filled = 0;
        self.start = 0;
        self.input = Some(Input::File(Arc::new(file.into_std().await)));
        Ok(())
    }

    /// At end of file: reopens when the path now names another file (rotation) or the file got
    /// shorter than our position (truncation).
    async fn check_rotation(&mut self) -> Result<(), ConnectError> {
        let Some(path) = self.path.clone() else { return Ok(()) };
        let Ok(metadata) = tokio::fs::metadata(&path).await else {
            return Ok(());
        };
        let consumed = self.position + self.start as u64;
        if Some(metadata.ino()) != self.inode {
            tracing::info!(file = %path, "file was rotated; reading the new file from the start");
            self.open(0).await?;
        } else if metadata.len() < consumed {
            tracing::warn!(file = %path, "file was truncated; reading from the start");
            self.open(0).await?;
        }
        Ok(())
    }

    /// Reads more of the input after `buffer[..filled]`: the number of bytes read (0 at its
    /// end), `None` without an input.
    async fn read_more(&mut self) -> std::io::Result<Option<usize>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        let filled = self.filled;
        if self.buffer.len() < filled + READ_CHUNK {
            self.buffer.resize(filled + READ_CHUNK, 0);
        }
        let read = match input {
            Input::Stdin(stdin) => stdin.read(&mut self.buffer[filled..]).await?,
            Input::File(file) => {
                let (file, at) = (file.clone(), self.position + filled as u64);
                let mut buffer = std::mem::take(&mut self.buffer);
                // Until the buffer is back, nothing in it counts: if this future is dropped or
                // the read is lost, the next read starts again at `position`.
                self.filled = 0;
                let (buffer, read) = tokio::task::spawn_blocking(move || {
                    let read = file.read_at(&mut buffer[filled..], at);
                    (buffer, read)
                })
                .await
                .map_err(std::io::Error::other)?;
                self.buffer = buffer;
                self.filled = filled;
                read?
            }
        };
        self.filled = filled + read;
        Ok(Some(read))
    }

    /// A record of `line` read at `read_at` (its timestamp, as Apache's connector stamps the
    /// time it reads a line), without a position: [`Self::take_lines`] gives it to the last
    /// record it takes only (the worker commits the last position of a batch; a map per line
    /// was a large part of the cost of a 100-byte line).
    fn record(&self, line: &[u8], read_at: i64) -> SourceRecord {
        let mut record = ConnectRecord::new(
            self.topic.clone(),
            Some(self.schema.clone()),
            Value::String(java_utf8_text(line)),
        );
        record.timestamp = Some(read_at);
        SourceRecord {
            source_partition: self.partition.clone(),
            source_offset: SourceMap::new(),
            record,
        }
    }

    /// Complete lines already in the buffer, up to the batch size, each stamped with the time
    /// they are taken (read once); the last line taken carries the position after it.
    fn take_lines(&mut self, records: &mut Vec<SourceRecord>) {
        let taken_before = records.len();
        let read_at = now_millis();
        while records.len() < self.batch_size {
            let rest = &self.buffer[self.start..self.filled];
            if self.after_cr && rest.first() == Some(&b'\n') {
                self.start += 1;
                self.after_cr = false;
                continue;
            }
            // Many bytes at a time: a byte-by-byte search took a tenth of the worker's CPU at 100 B.
            let Some(end) = memchr::memchr2(b'\n', b'\r', rest) else {
                break;
            };
            let is_cr = rest[end] == b'\r';
            if is_cr && end + 1 == rest.len() {
                // Cannot tell yet whether a `\n` follows; wait for more bytes.
                break;
            }
            let mut consumed = end + 1;
            if is_cr && rest[end + 1] == b'\n' {
                consumed += 1;
            }
            let record = self.record(&rest[..end], read_at);
            if records.len() == records.capacity() {
                // Room for the rest of the batch at once: growing the vector record by record
                // copies it over and over.
                records.reserve(self.batch_size - records.len());
            }
            records.push(record);
            self.start += consumed;
            self.after_cr = false;
        }
        if records.len() > taken_before {
            if let Some(last) = records.last_mut() {
                let next_position = self.position + self.start as u64;
                last.source_offset.insert("position".into(), next_position.into());
            }
        }
    }
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        let position = context
            .offsets
            .offset(&self.partition)
            .and_then(|offset| offset.get("position").and_then(|p| p.as_u64()))
            .unwrap_or(0);
        if position > 0 {
            tracing::info!(connector = %context.connector, file = ?self.path, position, "resuming from the committed position");
        }
        self.open(position).await
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let mut records = Vec::new();
        if self.input.is_none() {
            self.open(0).await?;
            if self.input.is_none() {
                tokio::time::sleep(IDLE_WAIT).await;
                return Ok(records);
            }
        }
        loop {
            self.take_lines(&mut records);
            if records.len() >= self.batch_size {
                return Ok(records);
            }
            // Drop consumed bytes, then read more.
            if self.start > 0 {
                self.position += self.start as u64;
                self.buffer.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            }
            let read = match self.read_more().await {
                Ok(Some(read)) => read,
                Ok(None) => return Ok(records),
                Err(e) => return Err(ConnectError::Retriable(format!("reading {:?} failed: {e}", self.path))),
            };
            if read == 0 {
                if records.is_empty() {
                    self.check_rotation().await?;
                    tokio::time::sleep(IDLE_WAIT).await;
                }
                return Ok(records);
            }
        }
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.input = None;
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.file.FileStreamSourceConnector"],
        config_def,
        validate: None,
        alter_offsets: Some(alter_offsets),
        create: |config| Ok(Box::new(ConfigPerTask::single(config))),
        tasks: TaskFactory::Source(|config| Ok(Box::new(FileStreamSourceTask::new(config)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tributary_runtime::connector::OffsetReader;

    struct NoOffsets;
    impl OffsetReader for NoOffsets {
        fn offset(&self, _partition: &SourceMap) -> Option<SourceMap> {
            None
        }
    }

    async fn started(path: &std::path::Path) -> FileStreamSourceTask {
        let mut config = ConfigMap::new();
        config.insert("file".into(), path.display().to_string());
        config.insert("topic".into(), "t".into());
        config.insert("batch.size".into(), "3".into());
        let context = SourceTaskContext {
            connector: "c".into(),
            task: 0,
            offsets: Arc::new(NoOffsets),
        };
        let mut task = FileStreamSourceTask::new(&config).unwrap();
        task.start(context).await.unwrap();
        task
    }

    /// Each record's line and the position it carries (only the last of a poll has one).
    fn lines(records: &[SourceRecord]) -> Vec<(String, Option<u64>)> {
        records
            .iter()
            .map(|r| {
                (
                    r.record.value.as_str().unwrap().to_string(),
                    r.source_offset.get("position").and_then(|p| p.as_u64()),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn reads_lines_with_every_terminator_and_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\nbb\r\nc\rdd\npartial").unwrap();
        let mut task = started(&path).await;
        let before = now_millis();
        let first = task.poll().await.unwrap();
        let after = now_millis();
        assert_eq!(
            lines(&first),
            [("a".into(), None), ("bb".into(), None), ("c".into(), Some(8))]
        );
        for record in &first {
            let stamped = record.record.timestamp.expect("a line's read time");
            assert!(
                (before..=after).contains(&stamped),
                "read at {stamped}, not in {before}..={after}"
            );
        }
        let second = task.poll().await.unwrap();
        assert_eq!(lines(&second), [("dd".into(), Some(11))]);
        assert!(
            task.poll().await.unwrap().is_empty(),
            "the partial line waits for its end"
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map(|mut f| std::io::Write::write_all(&mut f, b" line\n"))
            .unwrap()
            .unwrap();
        assert_eq!(lines(&task.poll().await.unwrap()), [("partial line".into(), Some(24))]);
    }

    /// Lines are UTF-8 (as Java's reader decodes them): malformed bytes become U+FFFD, the rest
    /// of the line is kept, and the position counts the bytes.
    #[tokio::test]
    async fn malformed_utf8_reads_as_replacement_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"caf\xc3\xa9\nbad \xff byte\n").unwrap();
        let mut task = started(&path).await;
        assert_eq!(
            lines(&task.poll().await.unwrap()),
            [("café".into(), None), ("bad \u{fffd} byte".into(), Some(17))]
        );
    }

    /// A line longer than one read grows the buffer and arrives whole, and the lines after it
    /// keep their positions (the last line of each read's take carries one).
    #[tokio::test]
    async fn a_line_longer_than_a_read_arrives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let long: String = (0..READ_CHUNK * 2 + 10)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        std::fs::write(&path, format!("short\n{long}\nafter\n")).unwrap();
        let mut task = started(&path).await;
        let end = (6 + long.len() + 1 + 6) as u64;
        assert_eq!(
            lines(&task.poll().await.unwrap()),
            [("short".into(), Some(6)), (long, None), ("after".into(), Some(end))]
        );
    }

    #[tokio::test]
    async fn truncation_restarts_from_the_beginning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut task = started(&path).await;
        assert_eq!(task.poll().await.unwrap().len(), 2);
        std::fs::write(&path, "x\n").unwrap();
        assert!(task.poll().await.unwrap().is_empty());
        assert_eq!(lines(&task.poll().await.unwrap()), [("x".into(), Some(2))]);
    }

    #[tokio::test]
    async fn rotation_reads_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "old\n").unwrap();
        let mut task = started(&path).await;
        assert_eq!(task.poll().await.unwrap().len(), 1);
        std::fs::rename(&path, dir.path().join("in.txt.1")).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        assert!(task.poll().await.unwrap().is_empty());
        assert_eq!(lines(&task.poll().await.unwrap()), [("new".into(), Some(4))]);
    }

    #[test]
    fn validation_requires_one_topic() {
        let config: ConfigMap = [("topic", "a,b")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let errors = config_def().validate(&config);
        assert!(errors[0].message.contains("single topic"));
    }
}
