//! Connector and task states, as the REST API reports them.
//!
//! In distributed mode every change is also published as an Apache status record
//! (`status-connector-<name>` / `status-task-<name>-<n>` →
//! `{"state","trace","worker_id","generation"}`, null when forgotten) and the records of other
//! workers are applied back with [`StatusStore::apply_record`], so every worker shows the same
//! statuses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::state::State;

/// A task's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatus {
    /// Its state.
    pub state: State,
    /// The failure, when FAILED.
    pub trace: Option<String>,
    /// The worker running it.
    pub worker_id: String,
}

/// A connector's status and its tasks'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorStatus {
    /// The connector object's state.
    pub state: State,
    /// The failure, when FAILED.
    pub trace: Option<String>,
    /// The worker running it.
    pub worker_id: String,
    /// Task statuses by task number.
    pub tasks: BTreeMap<u32, TaskStatus>,
}

impl std::fmt::Debug for StatusStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusStore")
            .field("connectors", &self.connectors)
            .finish_non_exhaustive()
    }
}

/// A status record for the status topic: key and JSON value (`None` forgets the entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    /// `status-connector-<name>` or `status-task-<name>-<n>`.
    pub key: String,
    /// The JSON value, or `None` for a tombstone.
    pub value: Option<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct StatusValue {
    state: State,
    trace: Option<String>,
    worker_id: String,
    #[serde(default)]
    generation: i32,
}

/// Where a store sends its records (distributed mode).
pub type Publisher = Box<dyn Fn(StatusRecord) + Send + Sync>;

/// The statuses of every connector this worker knows.
#[derive(Default)]
pub struct StatusStore {
    connectors: Mutex<BTreeMap<String, ConnectorStatus>>,
    /// Topics each connector has used (`GET /connectors/{c}/topics`).
    topics: Mutex<BTreeMap<String, BTreeSet<String>>>,
    publisher: Mutex<Option<Publisher>>,
    generation: AtomicI32,
    /// The worker and generation of the last record applied for each status key.
    written_by: Mutex<BTreeMap<String, (String, i32)>>,
}

impl StatusStore {
    /// Publishes every local change to `publisher` from now on (distributed mode).
    pub fn publish_to(&self, publisher: Publisher) {
        if let Ok(mut slot) = self.publisher.lock() {
            *slot = Some(publisher);
        }
    }

    /// The group generation written into published records.
    pub fn set_generation(&self, generation: i32) {
        self.generation.store(generation, Ordering::Relaxed);
    }

    fn publish(&self, key: String, status: Option<(State, Option<String>, &str)>) {
        let Ok(slot) = self.publisher.lock() else { return };
        let Some(publisher) = slot.as_ref() else { return };
        let value = status.and_then(|(state, trace, worker_id)| {
            serde_json::to_vec(&StatusValue {
                state,
                trace,
                worker_id: worker_id.to_string(),
                generation: self.generation.load(Ordering::Relaxed),
            })
            .ok()
        });
        publisher(StatusRecord { key, value });
    }

    /// Sets the connector object's state (creating its entry).
    pub fn put_connector(&self, connector: &str, state: State, trace: Option<String>, worker_id: &str) {
        self.publish(
            format!("status-connector-{connector}"),
            Some((state, trace.clone(), worker_id)),
        );
        self.set_connector(connector, state, trace, worker_id);
    }

    fn set_connector(&self, connector: &str, state: State, trace: Option<String>, worker_id: &str) {
        if let Ok(mut all) = self.connectors.lock() {
            let entry = all.entry(connector.to_string()).or_insert_with(|| ConnectorStatus {
                state,
                trace: None,
                worker_id: worker_id.to_string(),
                tasks: BTreeMap::new(),
            });
            entry.state = state;
            entry.trace = trace;
            entry.worker_id = worker_id.to_string();
        }
    }

    /// Sets a task's state.
    pub fn put_task(&self, connector: &str, task: u32, state: State, trace: Option<String>, worker_id: &str) {
        self.publish(
            format!("status-task-{connector}-{task}"),
            Some((state, trace.clone(), worker_id)),
        );
        if let Ok(mut all) = self.connectors.lock() {
            if let Some(entry) = all.get_mut(connector) {
                entry.tasks.insert(
                    task,
                    TaskStatus {
                        state,
                        trace,
                        worker_id: worker_id.to_string(),
                    },
                );
            }
        }
    }

    /// Forgets tasks numbered `from` and up (after a reconfiguration to fewer tasks).
    pub fn remove_tasks_from(&self, connector: &str, from: u32) {
        let removed: Vec<u32> = match self.connectors.lock() {
            Ok(mut all) => match all.get_mut(connector) {
                Some(entry) => {
                    let removed = entry.tasks.keys().copied().filter(|&t| t >= from).collect();
                    entry.tasks.retain(|&t, _| t < from);
                    removed
                }
                None => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        for task in removed {
            self.publish(format!("status-task-{connector}-{task}"), None);
        }
    }

    /// Forgets one task (its connector was deleted).
    pub fn remove_task(&self, connector: &str, task: u32) {
        if let Ok(mut all) = self.connectors.lock() {
            if let Some(entry) = all.get_mut(connector) {
                entry.tasks.remove(&task);
            }
        }
        self.publish(format!("status-task-{connector}-{task}"), None);
    }

    /// Forgets a connector.
    pub fn remove(&self, connector: &str) {
        let removed = self.connectors.lock().ok().and_then(|mut all| all.remove(connector));
        if let Some(status) = removed {
            for task in status.tasks.keys() {
                self.publish(format!("status-task-{connector}-{task}"), None);
            }
            self.publish(format!("status-connector-{connector}"), None);
        }
    }

    /// How many connectors and tasks `worker_id` runs, by their statuses (any state but
    /// UNASSIGNED and STOPPED).
    pub fn assigned_to(&self, worker_id: &str) -> (usize, usize) {
        let Ok(connectors) = self.connectors.lock() else {
            return (0, 0);
        };
        let here =
            |state: State, worker: &str| worker == worker_id && !matches!(state, State::Unassigned | State::Stopped);
        let tasks = connectors
            .values()
            .flat_map(|c| c.tasks.values())
            .filter(|t| here(t.state, &t.worker_id))
            .count();
        let connectors = connectors.values().filter(|c| here(c.state, &c.worker_id)).count();
        (connectors, tasks)
    }

    /// The connector's status.
    pub fn get(&self, connector: &str) -> Option<ConnectorStatus> {
        self.connectors.lock().ok()?.get(connector).cloned()
    }

    /// Notes that `connector`'s task `task` used `topic` (published once per topic, as
    /// Apache's `status-topic-<topic>:connector-<connector>` record).
    pub fn record_topic(&self, connector: &str, task: u32, topic: &str) {
        let new = match self.topics.lock() {
            Ok(mut all) => all.entry(connector.to_string()).or_default().insert(topic.to_string()),
            Err(_) => false,
        };
        if !new {
            return;
        }
        let Ok(slot) = self.publisher.lock() else { return };
        if let Some(publisher) = slot.as_ref() {
            let value = serde_json::json!({"topic": {
                "name": topic,
                "connector": connector,
                "task": task,
                "discoverTimestamp": chrono::Utc::now().timestamp_millis(),
            }});
            publisher(StatusRecord {
                key: format!("status-topic-{topic}:connector-{connector}"),
                value: Some(value.to_string().into_bytes()),
            });
        }
    }

    /// The topics `connector` used, sorted.
    pub fn topics(&self, connector: &str) -> Vec<String> {
        self.topics
            .lock()
            .ok()
            .and_then(|all| all.get(connector).map(|t| t.iter().cloned().collect()))
            .unwrap_or_default()
    }

    /// Forgets the topics `connector` used.
    pub fn reset_topics(&self, connector: &str) {
        let removed = self.topics.lock().ok().and_then(|mut all| all.remove(connector));
        for topic in removed.into_iter().flatten() {
            self.publish(format!("status-topic-{topic}:connector-{connector}"), None);
        }
    }

    /// Whether `status` is a worker's UNASSIGNED for work another worker has since reported on
    /// from a later generation: the leaving worker's record reached the topic after the new
    /// owner's (two producers), and would otherwise hide the work's new state. Apache's workers
    /// write such a release only when no later generation's status is known (`putSafe`); this
    /// drops it when it arrives late. Any other record is applied, and remembered.
    fn is_stale_release(&self, key: &str, status: &StatusValue) -> bool {
        let Ok(mut written_by) = self.written_by.lock() else {
            return false;
        };
        if let Some((worker, generation)) = written_by.get(key) {
            if status.state == State::Unassigned && *worker != status.worker_id && *generation > status.generation {
                return true;
            }
        }
        written_by.insert(key.to_string(), (status.worker_id.clone(), status.generation));
        false
    }

    /// Applies a record read from the status topic (any worker's, this one's included).
    /// Unreadable records are ignored, and so are late releases ([`Self::is_stale_release`]).
    pub fn apply_record(&self, key: &str, value: Option<&[u8]>) {
        if let Some((topic, connector)) = key
            .strip_prefix("status-topic-")
            .and_then(|rest| rest.rsplit_once(":connector-"))
        {
            if let Ok(mut all) = self.topics.lock() {
                match value {
                    Some(_) => {
                        all.entry(connector.to_string()).or_default().insert(topic.to_string());
                    }
                    None => {
                        if let Some(topics) = all.get_mut(connector) {
                            topics.remove(topic);
                        }
                    }
                }
            }
            return;
        }
        let status = match value.map(serde_json::from_slice::<StatusValue>) {
            None => None,
            Some(Ok(status)) => Some(status),
            Some(Err(e)) => {
                tracing::warn!(key, "ignoring an unreadable status record: {e}");
                return;
            }
        };
        match &status {
            Some(status) if self.is_stale_release(key, status) => {
                tracing::debug!(key, "ignoring a release of work another worker took over since");
                return;
            }
            Some(_) => {}
            None => {
                if let Ok(mut written_by) = self.written_by.lock() {
                    written_by.remove(key);
                }
            }
        }
        if let Some(connector) = key.strip_prefix("status-connector-") {
            match status {
                Some(s) => self.set_connector(connector, s.state, s.trace, &s.worker_id),
                None => {
                    if let Ok(mut all) = self.connectors.lock() {
                        all.remove(connector);
                    }
                }
            }
        } else if let Some((connector, task)) = key
            .strip_prefix("status-task-")
            .and_then(|rest| rest.rsplit_once('-'))
            .and_then(|(c, t)| t.parse::<u32>().ok().map(|t| (c, t)))
        {
            let Ok(mut all) = self.connectors.lock() else { return };
            match status {
                Some(s) => {
                    let entry = all.entry(connector.to_string()).or_insert_with(|| ConnectorStatus {
                        state: State::Unassigned,
                        trace: None,
                        worker_id: String::new(),
                        tasks: BTreeMap::new(),
                    });
                    entry.tasks.insert(
                        task,
                        TaskStatus {
                            state: s.state,
                            trace: s.trace,
                            worker_id: s.worker_id,
                        },
                    );
                }
                None => {
                    if let Some(entry) = all.get_mut(connector) {
                        entry.tasks.remove(&task);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_in_apache_format() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let local = StatusStore::default();
        local.publish_to(Box::new(move |r| {
            tx.send(r).ok();
        }));
        local.set_generation(7);
        local.put_connector("my-conn", State::Running, None, "w1:8083");
        local.put_task("my-conn", 2, State::Failed, Some("boom".into()), "w1:8083");
        let first = rx.try_recv().unwrap();
        assert_eq!(first.key, "status-connector-my-conn");
        let value: serde_json::Value = serde_json::from_slice(first.value.as_ref().unwrap()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"state":"RUNNING","trace":null,"worker_id":"w1:8083","generation":7})
        );
        let second = rx.try_recv().unwrap();
        assert_eq!(second.key, "status-task-my-conn-2");

        let remote = StatusStore::default();
        remote.apply_record(&second.key, second.value.as_deref());
        remote.apply_record(&first.key, first.value.as_deref());
        let status = remote.get("my-conn").unwrap();
        assert_eq!(status.state, State::Running);
        assert_eq!(status.tasks[&2].trace.as_deref(), Some("boom"));

        local.remove("my-conn");
        let tombstones: Vec<StatusRecord> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert!(tombstones.iter().all(|r| r.value.is_none()));
        for record in &tombstones {
            remote.apply_record(&record.key, None);
        }
        assert!(remote.get("my-conn").is_none());

        local.record_topic("my-conn", 0, "orders");
        local.record_topic("my-conn", 1, "orders");
        let topic = rx.try_recv().unwrap();
        assert_eq!(topic.key, "status-topic-orders:connector-my-conn");
        assert!(rx.try_recv().is_err(), "a topic is published once");
        remote.apply_record(&topic.key, topic.value.as_deref());
        assert_eq!(remote.topics("my-conn"), vec!["orders".to_string()]);
        local.reset_topics("my-conn");
        let tombstone = rx.try_recv().unwrap();
        remote.apply_record(&tombstone.key, None);
        assert!(remote.topics("my-conn").is_empty());
    }

    /// A leaving worker's UNASSIGNED that reaches the topic after the new owner's RUNNING (of a
    /// later generation) does not hide the work's new state; a worker's own release does.
    #[test]
    fn a_late_release_of_work_taken_over_is_ignored() {
        let record = |state: &str, worker: &str, generation: i32| {
            serde_json::to_vec(&serde_json::json!({"state": state, "trace": null, "worker_id": worker,
                                                   "generation": generation}))
            .unwrap()
        };
        let store = StatusStore::default();
        let key = "status-connector-c";
        let task = "status-task-c-0";
        store.apply_record(key, Some(&record("RUNNING", "w1", 5)));
        store.apply_record(task, Some(&record("RUNNING", "w1", 5)));
        // w0 took both over in generation 6; w1's releases of generation 5 arrive after.
        store.apply_record(key, Some(&record("RUNNING", "w0", 6)));
        store.apply_record(task, Some(&record("RUNNING", "w0", 6)));
        store.apply_record(key, Some(&record("UNASSIGNED", "w1", 5)));
        store.apply_record(task, Some(&record("UNASSIGNED", "w1", 5)));
        let status = store.get("c").unwrap();
        assert_eq!((status.state, status.worker_id.as_str()), (State::Running, "w0"));
        assert_eq!(
            (status.tasks[&0].state, status.tasks[&0].worker_id.as_str()),
            (State::Running, "w0")
        );
        // The owner's own release, and any state of another worker, apply.
        store.apply_record(task, Some(&record("UNASSIGNED", "w0", 6)));
        assert_eq!(store.get("c").unwrap().tasks[&0].state, State::Unassigned);
        store.apply_record(task, Some(&record("FAILED", "w1", 5)));
        assert_eq!(store.get("c").unwrap().tasks[&0].state, State::Failed);
    }
}
