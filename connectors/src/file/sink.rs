//! `FileStreamSink`: record values appended to a file (or stdout), one per line. Each `put`
//! batch is rendered into one buffer and written with a single write, so output appears as
//! soon as it is consumed; `flush` flushes the file before consumer offsets are committed.

use async_trait::async_trait;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use tributary_runtime::connector::{ConnectError, SinkTask, SinkTaskContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};
use tributary_runtime::data::{java_double, java_float};
use tributary_runtime::data::{SinkRecord, Value};

use crate::config_per_task::ConfigPerTask;

pub(super) const CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

/// `file`.
const FILE: Key<Option<String>> = Key::new(ConfigKey::unset(
    "file",
    ConfigType::String,
    "Destination filename. If not specified, the standard output will be used.",
));

fn config_def() -> ConfigDef {
    ConfigDef::new().key(&FILE)
}

/// Appends values.
pub struct FileStreamSinkTask {
    /// The file to append to; `None` for the standard output.
    path: Option<String>,
    /// Opened by `start`.
    writer: Option<Box<dyn AsyncWrite + Send + Sync + Unpin>>,
    line: Vec<u8>,
}

impl FileStreamSinkTask {
    /// A task appending to the file its config names (or the standard output).
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let config = config_def().parse(config).map_err(ConnectError::Config)?;
        let path = config
            .value(&FILE)
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty());
        Ok(FileStreamSinkTask {
            path,
            writer: None,
            line: Vec::new(),
        })
    }
}

/// A value's text as Apache's sink prints it (`Object.toString()` of the Connect value).
fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => out.extend_from_slice(b),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Float32(f) => out.extend_from_slice(java_float(*f).as_bytes()),
        Value::Float64(f) => out.extend_from_slice(java_double(*f).as_bytes()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_value(out, k);
                out.push(b'=');
                write_value(out, v);
            }
            out.push(b'}');
        }
        Value::Struct(s) => {
            out.extend_from_slice(b"Struct{");
            let mut first = true;
            for (field, v) in s.iter().filter(|(_, v)| !v.is_null()) {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(field.name.as_bytes());
                out.push(b'=');
                write_value(out, v);
            }
            out.push(b'}');
        }
        other => out.extend_from_slice(other.as_i64().unwrap_or_default().to_string().as_bytes()),
    }
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    async fn start(&mut self, _context: SinkTaskContext) -> Result<(), ConnectError> {
        let output: Box<dyn AsyncWrite + Send + Sync + Unpin> = match &self.path {
            None => Box::new(tokio::io::stdout()),
            Some(path) => Box::new(
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await
                    .map_err(|e| {
                        ConnectError::caused(
                            format!("Couldn't find or create file '{path}' for FileStreamSinkTask"),
                            e,
                        )
                    })?,
            ),
        };
        self.writer = Some(output);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| ConnectError::fatal("put before start"))?;
        self.line.clear();
        for record in records {
            write_value(&mut self.line, &record.record.value);
            self.line.push(b'\n');
        }
        writer.write_all(&self.line).await?;
        Ok(())
    }

    fn reads_headers(&self) -> bool {
        false
    }

    async fn flush(&mut self) -> Result<(), ConnectError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.flush().await?;
        }
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(mut writer) = self.writer.take() {
            writer.flush().await?;
        }
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["io.tributary.connect.file.FileStreamSinkConnector"],
        config_def,
        validate: None,
        // The file keeps no offsets of its own: the consumer group's are the whole truth.
        alter_offsets: Some(|_config, _offsets| Ok(true)),
        create: |config| Ok(Box::new(ConfigPerTask::new(config))),
        tasks: TaskFactory::Sink(|config| Ok(Box::new(FileStreamSinkTask::new(config)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_java_prints_them() {
        let mut out = Vec::new();
        write_value(
            &mut out,
            &Value::Array(vec![Value::Float32(0.1), Value::Float64(0.1), Value::Float32(1e10)]),
        );
        assert_eq!(String::from_utf8(out).unwrap(), "[0.1, 0.1, 1.0E10]");
    }
}
