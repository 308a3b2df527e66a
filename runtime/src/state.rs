//! Connector and task states: what a connector should be doing ([`TargetState`], written by
//! the REST API and kept by herders) and what a connector or task is observed doing ([`State`],
//! reported in statuses). Both are Apache Kafka Connect's, with its names on the wire.

use serde::{Deserialize, Serialize};

/// What a connector should be doing (persisted by herders; Apache's `TargetState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Running.
    Started,
    /// Paused: tasks keep their resources but stop polling and delivering.
    Paused,
    /// Stopped: tasks are shut down (a task told this exits).
    Stopped,
}

impl TargetState {
    /// The state a connector object reports once it has reached this target.
    pub fn observed(self) -> State {
        match self {
            TargetState::Started => State::Running,
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        }
    }
}

/// A connector's or task's observed state (Apache's `AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
