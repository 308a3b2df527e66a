//! `MirrorHeartbeatConnector`: one task writing a heartbeat (source alias, target alias, time)
//! to the target's `heartbeats` topic every `emit.heartbeats.interval.seconds`. The source
//! connector of the next hop mirrors `heartbeats` whatever its topic filter (unless its
//! `heartbeats.replication.enabled` is off), so each cluster's `<alias>.heartbeats` topics show
//! which clusters reach it and with what delay.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext, SourceTask, SourceTaskContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};
use tributary_runtime::data::{ConnectRecord, SchemaRef, SourceMap, SourceRecord, Value};

use crate::config::{common_config_def, MirrorConfig};
use crate::policy::HEARTBEATS_TOPIC;

/// Apache's class name.
pub const CLASS: &str = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

/// `emit.heartbeats.enabled`.
pub(crate) const EMIT_HEARTBEATS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "emit.heartbeats.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to write heartbeats.",
    )
    .importance(Importance::Low),
);
/// `emit.heartbeats.interval.seconds`.
pub(crate) const EMIT_HEARTBEATS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "emit.heartbeats.interval.seconds",
        ConfigType::Long,
        "1",
        "How often to write a heartbeat.",
    )
    .importance(Importance::Low),
);
/// `heartbeats.topic.replication.factor`.
pub(crate) const HEARTBEATS_TOPIC_REPLICATION_FACTOR: Key<i64> = Key::new(
    ConfigKey::optional(
        "heartbeats.topic.replication.factor",
        ConfigType::Short,
        "3",
        "Replication factor of the heartbeats topic.",
    )
    .importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    common_config_def()
        .key(&EMIT_HEARTBEATS_ENABLED)
        .key(&EMIT_HEARTBEATS_INTERVAL_SECONDS)
        .key(&HEARTBEATS_TOPIC_REPLICATION_FACTOR)
}

/// Creates the heartbeats topic and runs one task (none when heartbeats are disabled).
pub struct MirrorHeartbeatConnector {
    config: ConfigMap,
    mirror: MirrorConfig,
    enabled: bool,
}

impl MirrorHeartbeatConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        Ok(MirrorHeartbeatConnector {
            config: config.clone(),
            enabled: mirror.value(&EMIT_HEARTBEATS_ENABLED),
            mirror,
        })
    }
}

#[async_trait]
impl Connector for MirrorHeartbeatConnector {
    async fn start(&mut self, _context: ConnectorContext) -> Result<(), ConnectError> {
        let mirror = &self.mirror;
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
pub struct MirrorHeartbeatTask {
    source: String,
    target: String,
    interval: Duration,
    /// When the next heartbeat is due; `None` before `start` and after `stop`.
    next: Option<Instant>,
    bytes_schema: SchemaRef,
}

impl MirrorHeartbeatTask {
    /// A task writing heartbeats between the clusters its config names.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        Ok(MirrorHeartbeatTask {
            source: mirror.source.clone(),
            target: mirror.target.clone(),
            interval: mirror.seconds(&EMIT_HEARTBEATS_INTERVAL_SECONDS),
            next: None,
            bytes_schema: SchemaRef::optional_bytes(),
        })
    }
}

#[async_trait]
impl SourceTask for MirrorHeartbeatTask {
    async fn start(&mut self, _context: SourceTaskContext) -> Result<(), ConnectError> {
        self.next = Some(Instant::now());
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Some(next) = self.next else {
            return Ok(Vec::new());
        };
        tokio::time::sleep_until(next).await;
        self.next = Some(next + self.interval);
        let timestamp = tributary_runtime::clock::now_millis();
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
                topic: HEARTBEATS_TOPIC.into(),
                partition: Some(0),
                key_schema: Some(self.bytes_schema.clone()),
                key: Value::bytes(heartbeat.key()),
                value_schema: Some(self.bytes_schema.clone()),
                value: Value::bytes(heartbeat.value()),
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
        validate: Some(crate::config::client_problems),
        alter_offsets: None,
        create: |config| Ok(Box::new(MirrorHeartbeatConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(MirrorHeartbeatTask::new(config)?))),
    }
}
