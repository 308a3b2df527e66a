//! Connector and task states, as the REST API reports them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// A connector's or task's observed state (Apache's `AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Not yet running anywhere.
    Unassigned,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Failed; the status has a trace.
    Failed,
    /// Being restarted.
    Restarting,
    /// Stopped (connectors only).
    Stopped,
}

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

/// The statuses of every connector this worker knows.
#[derive(Debug, Default)]
pub struct StatusStore {
    connectors: Mutex<BTreeMap<String, ConnectorStatus>>,
}

impl StatusStore {
    /// Sets the connector object's state (creating its entry).
    pub fn put_connector(&self, connector: &str, state: State, trace: Option<String>, worker_id: &str) {
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
        if let Ok(mut all) = self.connectors.lock() {
            if let Some(entry) = all.get_mut(connector) {
                entry.tasks.retain(|&t, _| t < from);
            }
        }
    }

    /// Forgets a connector.
    pub fn remove(&self, connector: &str) {
        if let Ok(mut all) = self.connectors.lock() {
            all.remove(connector);
        }
    }

    /// The connector's status.
    pub fn get(&self, connector: &str) -> Option<ConnectorStatus> {
        self.connectors.lock().ok()?.get(connector).cloned()
    }
}
