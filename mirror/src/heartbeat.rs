//! `MirrorHeartbeatConnector`: one task writing a heartbeat (source alias, target alias, time)
//! to the target's `heartbeats` topic every `emit.heartbeats.interval.seconds`. The source
//! connector of the next hop mirrors `heartbeats` whatever its topic filter, so each cluster's
//! `<alias>.heartbeats` topics show which clusters reach it and with what delay.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::time::Instant;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext, SourceTask, SourceTaskContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};
use tributary_runtime::data::{ConnectRecord, Schema, SourceMap, SourceRecord, Value};

use crate::config::{common_config_def, MirrorConfig};
use crate::policy::HEARTBEATS_TOPIC;

/// Apache's class name.
pub const CLASS: &str = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

/// `emit.heartbeats.enabled`.
pub(crate) const EMIT_HEARTBEATS_ENABLED: Key<bool> = Key::new(ConfigKey::optional(
    "emit.heartbeats.enabled",
    ConfigType::Boolean,
    "true",
    "Whether to write heartbeats.",
));
/// `emit.heartbeats.interval.seconds`.
pub(crate) const EMIT_HEARTBEATS_INTERVAL_SECONDS: Key<i64> = Key::new(ConfigKey::optional(
    "emit.heartbeats.interval.seconds",
    ConfigType::Long,
    "1",
    "How often to write a heartbeat.",
));
/// `heartbeats.topic.replication.factor`.
pub(crate) const HEARTBEATS_TOPIC_REPLICATION_FACTOR: Key<i64> = Key::new(ConfigKey::optional(
    "heartbeats.topic.replication.factor",
    ConfigType::Int,
    "3",
    "Replication factor of the heartbeats topic.",
));

fn config_def() -> ConfigDef {
    common_config_def()
        .key(&EMIT_HEARTBEATS_ENABLED)
        .key(&EMIT_HEARTBEATS_INTERVAL_SECONDS)
        .key(&HEARTBEATS_TOPIC_REPLICATION_FACTOR)
}

/// Creates the heartbeats topic and runs one task (none when heartbeats are disabled).
#[derive(Default)]
pub struct MirrorHeartbeatConnector {
    config: ConfigMap,
    enabled: bool,
}

#[async_trait]
impl Connector for MirrorHeartbeatConnector {
    fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        crate::config::client_problems(config)
    }

    async fn start(&mut self, config: &ConfigMap, _context: ConnectorContext) -> Result<(), ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        self.config = config.clone();
        self.enabled = mirror.value(&EMIT_HEARTBEATS_ENABLED);
        if self.enabled {
            // Compacted, one partition, as Apache creates it.
            mirror
                .admin("target")?
                .ensure_compacted_topic(
                    HEARTBEATS_TOPIC,
                    mirror.value(&HEARTBEATS_TOPIC_REPLICATION_FACTOR) as i32,
                )
                .await?;
        }
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        Ok(if self.enabled {
            vec![self.config.clone()]
        } else {
            Vec::new()
        })
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

/// Writes the heartbeats.
#[derive(Default)]
pub struct MirrorHeartbeatTask {
    source: String,
    target: String,
    interval: Duration,
    next: Option<Instant>,
    bytes_schema: Option<Arc<Schema>>,
}

#[async_trait]
impl SourceTask for MirrorHeartbeatTask {
    async fn start(&mut self, config: &ConfigMap, _context: SourceTaskContext) -> Result<(), ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        self.source = mirror.source.clone();
        self.target = mirror.target.clone();
        self.interval = mirror.seconds(&EMIT_HEARTBEATS_INTERVAL_SECONDS);
        self.next = Some(Instant::now());
        self.bytes_schema = Some(Schema::optional_bytes());
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Some(next) = self.next else {
            return Ok(Vec::new());
        };
        tokio::time::sleep_until(next).await;
        self.next = Some(next + self.interval);
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let heartbeat = crate::records::Heartbeat {
            source: self.source.clone(),
            target: self.target.clone(),
            timestamp,
        };
        let mut partition = SourceMap::new();
        partition.insert("sourceClusterAlias".into(), self.source.clone().into());
        partition.insert("targetClusterAlias".into(), self.target.clone().into());
        let mut offset = SourceMap::new();
        offset.insert("offset".into(), 0.into());
        Ok(vec![SourceRecord {
            source_partition: Arc::new(partition),
            source_offset: offset,
            record: ConnectRecord {
                topic: HEARTBEATS_TOPIC.to_string(),
                partition: Some(0),
                key_schema: self.bytes_schema.clone(),
                key: Value::Bytes(heartbeat.key()),
                value_schema: self.bytes_schema.clone(),
                value: Value::Bytes(heartbeat.value()),
                timestamp: Some(timestamp),
                headers: Vec::new(),
                kafka_offset: None,
            },
        }])
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.next = None;
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["MirrorHeartbeatConnector", "MirrorHeartbeat"],
        config_def,
        create: || Box::new(MirrorHeartbeatConnector::default()),
        tasks: TaskFactory::Source(|| Box::new(MirrorHeartbeatTask::default())),
    }
}
