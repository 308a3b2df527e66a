//! `Datagen`: deterministic generated records at a target rate, for demos and benchmarks.
//!
//! Record `n` has key `key-<n mod keys>` and a value of exactly `value.size` bytes (format
//! `string`) or an `orders` struct (format `struct`: `id`, `customer`, `amount`, `note`). The
//! offset `{"sequence": n}` lets a restarted connector continue where it stopped; with
//! `max.records` it stops producing after that many.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tributary_runtime::config::{positive, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext, SourceTask, SourceTaskContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};
use tributary_runtime::data::{
    ConnectRecord, Schema, SchemaBuilder, SchemaRef, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

const CLASS: &str = "io.tributary.connect.datagen.DatagenConnector";

/// The task config key numbering the task.
const TASK_ID: &str = "task.id";

/// The classes this module registers.
pub const PLUGIN_CLASSES: [&str; 1] = [CLASS];

/// `topic`.
const TOPIC: Key<String> = Key::new(ConfigKey::required("topic", ConfigType::String, "Topic to write to."));
/// `rate`.
const RATE: Key<f64> = Key::new(ConfigKey::optional(
    "rate",
    ConfigType::Double,
    "0",
    "Records per second; 0 for as fast as possible.",
));
/// `max.records`.
const MAX_RECORDS: Key<i64> = Key::new(ConfigKey::optional(
    "max.records",
    ConfigType::Long,
    "-1",
    "Stop after this many records; -1 never stops.",
));
/// `value.size`.
const VALUE_SIZE: Key<usize> = Key::new(ConfigKey::optional(
    "value.size",
    ConfigType::Int,
    "100",
    "Bytes per value, for format 'string'.",
));
/// `keys`.
const KEYS: Key<u64> = Key::new(ConfigKey::optional("keys", ConfigType::Int, "1000", "Distinct keys.").check(positive));
/// `format`.
const FORMAT: Key<String> = Key::new(
    ConfigKey::optional("format", ConfigType::String, "string", "'string' or 'struct'.").one_of(&["string", "struct"]),
);
/// `batch.size`.
const BATCH_SIZE: Key<usize> =
    Key::new(ConfigKey::optional("batch.size", ConfigType::Int, "1000", "Records per poll.").check(positive));

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&TOPIC)
        .key(&RATE)
        .key(&MAX_RECORDS)
        .key(&VALUE_SIZE)
        .key(&KEYS)
        .key(&FORMAT)
        .key(&BATCH_SIZE)
}

/// The connector object: `tasks.max` tasks, each its own stream (`rate` and `max.records`
/// apply per task).
pub struct DatagenConnector {
    config: ConfigMap,
}

impl DatagenConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        config_def().parse(config).map_err(ConnectError::Config)?;
        Ok(DatagenConnector { config: config.clone() })
    }
}

#[async_trait]
impl Connector for DatagenConnector {
    async fn start(&mut self, _context: ConnectorContext) -> Result<(), ConnectError> {
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok((0..max_tasks.max(1))
            .map(|task| {
                let mut config = self.config.clone();
                config.insert(TASK_ID.into(), task.to_string());
                config
            })
            .collect())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

/// Generates records.
pub struct DatagenTask {
    topic: Arc<str>,
    rate: f64,
    max_records: i64,
    value_size: usize,
    keys: u64,
    structs: bool,
    batch_size: usize,
    next: u64,
    started_at: Instant,
    first_of_run: u64,
    partition: Arc<SourceMap>,
    string_schema: SchemaRef,
    struct_schema: Arc<Schema>,
}

impl DatagenTask {
    /// A task generating what its config asks for, from sequence 0 until `start` reads where
    /// the last run stopped.
    fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let parsed = config_def().parse(config).map_err(ConnectError::Config)?;
        let topic = parsed.value(&TOPIC);
        let task: u64 = config.get(TASK_ID).and_then(|t| t.parse().ok()).unwrap_or(0);
        let mut partition = SourceMap::new();
        partition.insert("datagen".into(), topic.clone().into());
        partition.insert("task".into(), task.into());
        Ok(DatagenTask {
            topic: topic.into(),
            rate: parsed.value(&RATE),
            max_records: parsed.value(&MAX_RECORDS),
            value_size: parsed.value(&VALUE_SIZE).max(13),
            keys: parsed.value(&KEYS),
            structs: parsed.value(&FORMAT).trim().eq_ignore_ascii_case("struct"),
            batch_size: parsed.value(&BATCH_SIZE),
            next: 0,
            started_at: Instant::now(),
            first_of_run: 0,
            partition: Arc::new(partition),
            string_schema: SchemaRef::string(),
            struct_schema: SchemaBuilder::structure()
                .name("io.tributary.datagen.Order")
                .field("id", Schema::of(SchemaType::Int64))
                .field("customer", Schema::string())
                .field("amount", Schema::of(SchemaType::Float64))
                .field("note", Schema::optional_string())
                .build(),
        })
    }

    fn value(&self, n: u64) -> (SchemaRef, Value) {
        if self.structs {
            let order = Struct::new(self.struct_schema.clone())
                .with("id", n as i64)
                .with("customer", format!("customer-{}", n % self.keys))
                .with("amount", Value::Float64((n % 10_000) as f64 / 100.0))
                .with("note", Value::Null);
            return (self.struct_schema.clone().into(), Value::Struct(order));
        }
        let mut text = format!("{n:012} ");
        let filler = b"abcdefghijklmnopqrstuvwxyz";
        while text.len() < self.value_size {
            text.push(filler[(n as usize + text.len()) % filler.len()] as char);
        }
        text.truncate(self.value_size);
        (self.string_schema.clone(), Value::String(text))
    }
}

#[async_trait]
impl SourceTask for DatagenTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        self.next = context
            .offsets
            .offset(&self.partition)
            .and_then(|o| o.get("sequence").and_then(|s| s.as_u64()))
            .unwrap_or(0);
        self.first_of_run = self.next;
        self.started_at = Instant::now();
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let mut count = self.batch_size as u64;
        if self.max_records >= 0 {
            count = count.min((self.max_records as u64).saturating_sub(self.next));
            if count == 0 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                return Ok(Vec::new());
            }
        }
        if self.rate > 0.0 {
            let allowed = (self.started_at.elapsed().as_secs_f64() * self.rate) as u64;
            let produced = self.next - self.first_of_run;
            if produced >= allowed {
                let wait = (produced + 1) as f64 / self.rate - self.started_at.elapsed().as_secs_f64();
                tokio::time::sleep(Duration::from_secs_f64(wait.clamp(0.001, 1.0))).await;
                return Ok(Vec::new());
            }
            count = count.min(allowed - produced);
        }
        let mut records = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let n = self.next;
            self.next += 1;
            let (schema, value) = self.value(n);
            let mut offset = SourceMap::new();
            offset.insert("sequence".into(), self.next.into());
            let mut record = ConnectRecord::new(self.topic.clone(), Some(schema), value);
            record.key_schema = Some(self.string_schema.clone());
            record.key = Value::String(format!("key-{}", n % self.keys));
            records.push(SourceRecord {
                source_partition: self.partition.clone(),
                source_offset: offset,
                record,
            });
        }
        Ok(records)
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["Datagen", "io.confluent.kafka.connect.datagen.DatagenConnector"],
        config_def,
        validate: None,
        alter_offsets: None,
        create: |config| Ok(Box::new(DatagenConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(DatagenTask::new(config)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoOffsets;

    impl tributary_runtime::connector::OffsetReader for NoOffsets {
        fn offset(&self, _partition: &SourceMap) -> Option<SourceMap> {
            None
        }
    }

    #[tokio::test]
    async fn format_is_read_as_it_is_validated() {
        let config: ConfigMap = [("topic", "t"), ("format", " STRUCT"), ("max.records", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(config_def().validate(&config).is_empty());
        let mut task = DatagenTask::new(&config).unwrap();
        let context = SourceTaskContext {
            connector: "d".into(),
            task: 0,
            offsets: Arc::new(NoOffsets),
        };
        task.start(context).await.unwrap();
        let records = task.poll().await.unwrap();
        assert!(
            matches!(records[0].record.value, Value::Struct(_)),
            "{:?}",
            records[0].record.value
        );
    }
}
