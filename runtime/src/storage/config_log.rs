//! Connector configs, task configs and target states in the config topic
//! (`config.storage.topic`, one partition), in Apache Kafka Connect's record formats:
//!
//! | key | value |
//! |---|---|
//! | `connector-<name>` | `{"properties":{…}}`, null when deleted |
//! | `task-<name>-<n>` | `{"properties":{…}}` |
//! | `commit-<name>` | `{"tasks":N}`: the preceding task configs take effect together |
//! | `target-state-<name>` | `{"state":"PAUSED","state.v2":"STOPPED"}` |
//! | `restart-connector-<name>` | `{"include-tasks":bool,"only-failed":bool}` |
//! | `session-key` | `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":ms}` |
//!
//! Every worker reads the whole topic into a [`ClusterConfig`] snapshot; a cluster pointed at
//! an Apache Connect cluster's config topic sees its connectors.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use rdkafka::config::ClientConfig;
use serde_json::{json, Value};
use tokio::sync::{watch, Mutex, MutexGuard};

use super::kafka_log::{KafkaLog, LogRecord};
use super::StoreError;
use crate::config::ConfigMap;
use crate::state::TargetState;

/// A request, written to the config topic, to restart a connector and maybe its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartRequest {
    /// The config-topic offset of the request (its identity).
    pub offset: i64,
    /// The connector.
    pub connector: String,
    /// Restart tasks too.
    pub include_tasks: bool,
    /// Only what is FAILED.
    pub only_failed: bool,
}

/// The key that signs requests between the workers of a cluster, written by the leader.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The secret.
    pub key: Vec<u8>,
    /// Its Java algorithm name (`HmacSHA256`).
    pub algorithm: String,
    /// When the leader made it, in ms since the epoch.
    pub created_ms: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKey")
            .field("algorithm", &self.algorithm)
            .field("created_ms", &self.created_ms)
            .finish_non_exhaustive()
    }
}

impl SessionKey {
    fn parse(value: &Value) -> Option<Self> {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD
            .decode(value.get("key")?.as_str()?)
            .ok()?;
        Some(SessionKey {
            key,
            algorithm: value.get("algorithm")?.as_str()?.to_string(),
            created_ms: value.get("creation-timestamp")?.as_i64()?,
        })
    }
}

/// Everything the config topic says, as of `offset`.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// The offset after the last record read.
    pub offset: i64,
    /// Connector configs by name.
    pub connectors: BTreeMap<String, ConfigMap>,
    /// Target states (a connector with none is STARTED).
    pub targets: BTreeMap<String, TargetState>,
    /// Committed task configs by connector.
    pub tasks: BTreeMap<String, Vec<ConfigMap>>,
    /// Task configs written but not yet committed.
    pending: BTreeMap<String, BTreeMap<u32, ConfigMap>>,
    /// Restart requests, oldest first (the last 1,000).
    pub restarts: Vec<RestartRequest>,
    /// The latest session key.
    pub session_key: Option<SessionKey>,
    /// The offset after the last record that added or removed a connector or changed a
    /// connector's task count: a worker whose assignment was made at an earlier offset knows
    /// that the assignment does not cover the work there is now.
    pub work_changed_at: i64,
}

impl ClusterConfig {
    /// The connector's target state.
    pub fn target(&self, connector: &str) -> TargetState {
        self.targets.get(connector).copied().unwrap_or(TargetState::Started)
    }

    /// Number of committed tasks of `connector`.
    pub fn task_count(&self, connector: &str) -> usize {
        self.tasks.get(connector).map_or(0, Vec::len)
    }

    fn apply(&mut self, key: &str, value: Option<Value>, offset: i64) {
        self.offset = offset + 1;
        let properties = |value: &Value| -> Option<ConfigMap> {
            let map = value.get("properties")?.as_object()?;
            Some(
                map.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        };
        if let Some(name) = key.strip_prefix("connector-") {
            match value.as_ref().and_then(properties) {
                Some(config) => {
                    if self.connectors.insert(name.to_string(), config).is_none() {
                        self.work_changed_at = self.offset;
                    }
                }
                None => {
                    if self.connectors.remove(name).is_some() {
                        self.work_changed_at = self.offset;
                    }
                    self.targets.remove(name);
                    self.tasks.remove(name);
                    self.pending.remove(name);
                }
            }
        } else if let Some(rest) = key.strip_prefix("task-") {
            let Some((name, task)) = rest
                .rsplit_once('-')
                .and_then(|(n, t)| t.parse::<u32>().ok().map(|t| (n, t)))
            else {
                return;
            };
            if let Some(config) = value.as_ref().and_then(properties) {
                self.pending.entry(name.to_string()).or_default().insert(task, config);
            }
        } else if let Some(name) = key.strip_prefix("commit-") {
            let count = value.as_ref().and_then(|v| v.get("tasks")).and_then(Value::as_u64);
            let Some(count) = count else { return };
            let pending = self.pending.remove(name).unwrap_or_default();
            let previous = self.tasks.remove(name).unwrap_or_default();
            let configs: Option<Vec<ConfigMap>> = (0..count as u32)
                .map(|t| pending.get(&t).or_else(|| previous.get(t as usize)).cloned())
                .collect();
            match configs {
                Some(configs) => {
                    if configs.len() != previous.len() {
                        self.work_changed_at = self.offset;
                    }
                    self.tasks.insert(name.to_string(), configs);
                }
                None => {
                    tracing::warn!(connector = %name, "task configs commit refers to task configs never written; ignoring it")
                }
            }
        } else if let Some(name) = key.strip_prefix("target-state-") {
            let state = value.as_ref().and_then(|v| {
                v.get("state.v2")
                    .or_else(|| v.get("state"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            match state.as_deref() {
                Some("PAUSED") => {
                    self.targets.insert(name.to_string(), TargetState::Paused);
                }
                Some("STOPPED") => {
                    self.targets.insert(name.to_string(), TargetState::Stopped);
                }
                Some("STARTED") => {
                    self.targets.insert(name.to_string(), TargetState::Started);
                }
                _ => {
                    self.targets.remove(name);
                }
            }
        } else if key == "session-key" {
            match value.as_ref().and_then(SessionKey::parse) {
                Some(session_key) => self.session_key = Some(session_key),
                None => tracing::warn!("ignoring an unreadable session key record"),
            }
        } else if let Some(name) = key.strip_prefix("restart-connector-") {
            let flag = |k: &str| {
                value
                    .as_ref()
                    .and_then(|v| v.get(k))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            self.restarts.push(RestartRequest {
                offset,
                connector: name.to_string(),
                include_tasks: flag("include-tasks"),
                only_failed: flag("only-failed"),
            });
            if self.restarts.len() > 1_000 {
                self.restarts.remove(0);
            }
        }
    }
}

/// The config topic: a live [`ClusterConfig`] and the writes Apache's workers make.
pub struct ConfigLog {
    snapshot: Arc<RwLock<ClusterConfig>>,
    changes: watch::Receiver<i64>,
    log: KafkaLog,
    /// See [`ConfigLog::checked_writes`].
    checked_writes: Mutex<()>,
}

impl ConfigLog {
    /// Starts reading `topic`.
    pub fn start(topic: &str, consumer: ClientConfig, producer: ClientConfig) -> Result<Self, StoreError> {
        let snapshot = Arc::new(RwLock::new(ClusterConfig::default()));
        let (notify, changes) = watch::channel(0);
        let sink = snapshot.clone();
        let handler = Box::new(move |record: LogRecord<'_>| {
            let Some(key) = record.key.and_then(|k| std::str::from_utf8(k).ok()) else {
                return;
            };
            let value = match record.value.map(serde_json::from_slice::<Value>) {
                None => None,
                Some(Ok(value)) => Some(value),
                Some(Err(e)) => {
                    tracing::warn!(key, "ignoring an unreadable config record: {e}");
                    None
                }
            };
            if let Ok(mut snapshot) = sink.write() {
                snapshot.apply(key, value, record.offset);
                notify.send(snapshot.offset).ok();
            }
        });
        let log = KafkaLog::start(topic, consumer, producer, handler)?;
        Ok(ConfigLog {
            snapshot,
            changes,
            log,
            checked_writes: Mutex::new(()),
        })
    }

    /// Held by the leader from the read a write is decided on to the write itself (task
    /// configs for a connector found running), and across the writes that would change that
    /// decision (a stop, a delete), so that they do not interleave: a connector stopped between
    /// a task config write's check and its write would otherwise get its tasks back. Apache's
    /// herder gets the same from running every such request on its one thread.
    pub async fn checked_writes(&self) -> MutexGuard<'_, ()> {
        self.checked_writes.lock().await
    }

    /// A copy of the current snapshot.
    pub fn snapshot(&self) -> ClusterConfig {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Runs `f` on the current snapshot without copying it.
    pub fn with<R>(&self, f: impl FnOnce(&ClusterConfig) -> R) -> R {
        match self.snapshot.read() {
            Ok(snapshot) => f(&snapshot),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// Notified with the new offset after every record.
    pub fn changes(&self) -> watch::Receiver<i64> {
        self.changes.clone()
    }

    /// Waits until every record written so far is in the snapshot.
    pub async fn read_to_end(&self) -> Result<(), StoreError> {
        self.log.read_to_end().await
    }

    /// Writes a connector's config.
    pub async fn put_connector(&self, name: &str, config: &ConfigMap) -> Result<(), StoreError> {
        let value = json!({ "properties": config }).to_string();
        self.log
            .send(format!("connector-{name}").as_bytes(), Some(value.as_bytes()))
            .await
    }

    /// Writes a new connector's config and target state together.
    pub async fn create_connector(
        &self,
        name: &str,
        config: &ConfigMap,
        target: TargetState,
    ) -> Result<(), StoreError> {
        let mut records = Vec::new();
        if target != TargetState::Started {
            records.push(target_record(name, target));
        }
        records.push((
            format!("connector-{name}").into_bytes(),
            Some(json!({ "properties": config }).to_string().into_bytes()),
        ));
        self.log.send_all(&records).await
    }

    /// Deletes a connector: tombstones for its config and target state (offsets stay).
    pub async fn remove_connector(&self, name: &str) -> Result<(), StoreError> {
        self.log
            .send_all(&[
                (format!("connector-{name}").into_bytes(), None),
                (format!("target-state-{name}").into_bytes(), None),
            ])
            .await
    }

    /// Writes task configs and the commit record that makes them take effect.
    pub async fn put_task_configs(&self, name: &str, configs: &[ConfigMap]) -> Result<(), StoreError> {
        self.log.send_all(&task_records(name, configs)).await
    }

    /// Stops a connector as Apache does: no task configs, then the STOPPED target state, in one
    /// ordered batch so that nothing can slip in between.
    pub async fn stop_connector(&self, name: &str) -> Result<(), StoreError> {
        let mut records = task_records(name, &[]);
        records.push(target_record(name, TargetState::Stopped));
        self.log.send_all(&records).await
    }

    /// Writes a target state.
    pub async fn put_target_state(&self, name: &str, target: TargetState) -> Result<(), StoreError> {
        self.log.send_all(&[target_record(name, target)]).await
    }

    /// Writes a new session key.
    pub async fn put_session_key(&self, session_key: &SessionKey) -> Result<(), StoreError> {
        use base64::Engine;
        let value = json!({
            "key": base64::engine::general_purpose::STANDARD.encode(&session_key.key),
            "algorithm": session_key.algorithm,
            "creation-timestamp": session_key.created_ms,
        })
        .to_string();
        self.log.send(b"session-key", Some(value.as_bytes())).await
    }

    /// Writes a restart request.
    pub async fn request_restart(&self, name: &str, include_tasks: bool, only_failed: bool) -> Result<(), StoreError> {
        let value = json!({ "include-tasks": include_tasks, "only-failed": only_failed }).to_string();
        self.log
            .send(format!("restart-connector-{name}").as_bytes(), Some(value.as_bytes()))
            .await
    }
}

/// Task config records followed by the commit record that makes them take effect.
fn task_records(name: &str, configs: &[ConfigMap]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut records: Vec<(Vec<u8>, Option<Vec<u8>>)> = configs
        .iter()
        .enumerate()
        .map(|(i, config)| {
            (
                format!("task-{name}-{i}").into_bytes(),
                Some(json!({ "properties": config }).to_string().into_bytes()),
            )
        })
        .collect();
    records.push((
        format!("commit-{name}").into_bytes(),
        Some(json!({ "tasks": configs.len() }).to_string().into_bytes()),
    ));
    records
}

/// Apache's target-state record: STOPPED is written as `state=PAUSED` plus `state.v2=STOPPED`
/// so that older workers fall back to PAUSED.
fn target_record(name: &str, target: TargetState) -> (Vec<u8>, Option<Vec<u8>>) {
    let value = match target {
        TargetState::Started => json!({ "state": "STARTED", "state.v2": "STARTED" }),
        TargetState::Paused => json!({ "state": "PAUSED", "state.v2": "PAUSED" }),
        TargetState::Stopped => json!({ "state": "PAUSED", "state.v2": "STOPPED" }),
    };
    (
        format!("target-state-{name}").into_bytes(),
        Some(value.to_string().into_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(config: &mut ClusterConfig, key: &str, value: Option<Value>) {
        let offset = config.offset;
        config.apply(key, value, offset);
    }

    #[test]
    fn reads_apache_records() {
        let mut config = ClusterConfig::default();
        apply(
            &mut config,
            "connector-my-src",
            Some(json!({"properties": {"connector.class": "FileStreamSource", "tasks.max": "2"}})),
        );
        apply(&mut config, "task-my-src-0", Some(json!({"properties": {"file": "a"}})));
        apply(&mut config, "task-my-src-1", Some(json!({"properties": {"file": "b"}})));
        assert_eq!(config.task_count("my-src"), 0, "tasks take effect only at their commit");
        apply(&mut config, "commit-my-src", Some(json!({"tasks": 2})));
        assert_eq!(config.task_count("my-src"), 2);
        assert_eq!(config.tasks["my-src"][1]["file"], "b");
        assert_eq!(config.target("my-src"), TargetState::Started);
        apply(
            &mut config,
            "target-state-my-src",
            Some(json!({"state": "PAUSED", "state.v2": "STOPPED"})),
        );
        assert_eq!(config.target("my-src"), TargetState::Stopped);
        apply(&mut config, "target-state-my-src", Some(json!({"state": "PAUSED"})));
        assert_eq!(config.target("my-src"), TargetState::Paused);
        apply(
            &mut config,
            "restart-connector-my-src",
            Some(json!({"include-tasks": true, "only-failed": false})),
        );
        assert!(config.restarts[0].include_tasks && !config.restarts[0].only_failed);
        apply(&mut config, "connector-my-src", None);
        assert!(config.connectors.is_empty() && config.tasks.is_empty() && config.targets.is_empty());
        assert_eq!(config.offset, 8);
    }

    #[test]
    fn work_changes_are_connectors_added_or_removed_and_task_counts() {
        let mut config = ClusterConfig::default();
        let connector = Some(json!({"properties": {"connector.class": "FileStreamSource"}}));
        apply(&mut config, "connector-a", connector.clone());
        assert_eq!(config.work_changed_at, 1, "a new connector");
        apply(&mut config, "connector-a", connector);
        apply(&mut config, "task-a-0", Some(json!({"properties": {"file": "x"}})));
        assert_eq!(
            config.work_changed_at, 1,
            "a connector's new config, a task config not committed"
        );
        apply(&mut config, "commit-a", Some(json!({"tasks": 1})));
        assert_eq!(config.work_changed_at, 4, "a task count from 0 to 1");
        apply(&mut config, "task-a-0", Some(json!({"properties": {"file": "y"}})));
        apply(&mut config, "commit-a", Some(json!({"tasks": 1})));
        apply(&mut config, "target-state-a", Some(json!({"state": "PAUSED"})));
        assert_eq!(config.work_changed_at, 4, "the same task count, a target state");
        apply(&mut config, "connector-a", None);
        assert_eq!(config.work_changed_at, 8, "a connector removed");
        apply(&mut config, "connector-a", None);
        assert_eq!(config.work_changed_at, 8, "removing it again changes nothing");
    }

    #[test]
    fn writes_apache_target_states() {
        let (_, value) = target_record("c", TargetState::Stopped);
        let value: Value = serde_json::from_slice(&value.unwrap()).unwrap();
        assert_eq!(value, json!({"state": "PAUSED", "state.v2": "STOPPED"}));
    }

    #[test]
    fn reads_apache_session_keys() {
        let mut config = ClusterConfig::default();
        apply(
            &mut config,
            "session-key",
            Some(json!({"key": "c2VjcmV0", "algorithm": "HmacSHA256", "creation-timestamp": 1_700_000_000_000i64})),
        );
        let key = config.session_key.clone().unwrap();
        assert_eq!(
            (key.key.as_slice(), key.algorithm.as_str()),
            (b"secret".as_slice(), "HmacSHA256")
        );
        assert_eq!(key.created_ms, 1_700_000_000_000);
        assert!(!format!("{key:?}").contains("secret"), "the key stays out of logs");
        apply(&mut config, "session-key", Some(json!({"key": 1})));
        assert_eq!(config.session_key, Some(key), "an unreadable record changes nothing");
    }
}
