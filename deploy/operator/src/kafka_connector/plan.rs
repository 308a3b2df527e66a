//! What to do about one KafkaConnector, decided from its spec, its annotations and what the
//! worker cluster reports: pure functions, so every rule Strimzi follows is tested without a
//! cluster. [`super::reconcile`] carries the decisions out in Strimzi's order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::spec::{AutoRestart, AutoRestartStatus, ConnectorState, KafkaConnectorSpec, KafkaConnectorStatus};
use crate::conditions::{self, timestamp, Failure};
use crate::connect_api::StateChange;

/// Restarts the connector: `true`, or `includeTasks`, `onlyFailed` or both, comma-separated.
pub const RESTART_ANNOTATION: &str = "strimzi.io/restart";
/// Restarts one task: its id.
pub const RESTART_TASK_ANNOTATION: &str = "strimzi.io/restart-task";
/// `list`, `alter` or `reset` the connector's offsets.
pub const OFFSETS_ANNOTATION: &str = "strimzi.io/connector-offsets";
/// The ConfigMap key offsets are listed to and altered from.
pub const OFFSETS_KEY: &str = "offsets.json";

/// Keys the spec sets, which `spec.config` cannot override.
const SPEC_KEYS: [&str; 4] = ["name", "connector.class", "tasks.max", "connector.plugin.version"];

/// The connector config a resource asks for, as the worker stores it: `spec.config` with every
/// value a string, plus `name`, `connector.class`, `tasks.max` and `connector.plugin.version`
/// from the spec (Strimzi's comparison set).
pub fn desired_config(name: &str, spec: &KafkaConnectorSpec) -> Result<BTreeMap<String, String>, String> {
    let class = spec
        .class
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or("spec.class is required: the connector class to run")?;
    let mut config: BTreeMap<String, String> = spec
        .config
        .iter()
        .flatten()
        .filter(|(key, value)| !SPEC_KEYS.contains(&key.as_str()) && !value.is_null())
        .map(|(key, value)| (key.clone(), config_value(value)))
        .collect();
    if let Some(tasks_max) = spec.tasks_max {
        config.insert("tasks.max".into(), tasks_max.to_string());
    }
    if let Some(version) = &spec.version {
        config.insert("connector.plugin.version".into(), version.clone());
    }
    config.insert("connector.class".into(), class.to_string());
    config.insert("name".into(), name.to_string());
    Ok(config)
}

/// A config value as Connect takes it: strings as they are, anything else as its JSON text.
pub(crate) fn config_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The state the resource asks for: `spec.state`, else the deprecated `pause: true`, else
/// running.
pub fn target_state(spec: &KafkaConnectorSpec) -> ConnectorState {
    match (spec.state, spec.pause) {
        (Some(state), _) => state,
        (None, Some(true)) => ConnectorState::Paused,
        _ => ConnectorState::Running,
    }
}

/// What to do about the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigStep {
    /// No such connector: `POST /connectors` in the target state.
    Create,
    /// It differs (changed in the resource, or over REST behind the operator's back): `PUT`.
    Update,
    /// As asked.
    Keep,
}

/// Compares the desired config with the worker's (`None`: no such connector), as strings.
pub fn config_step(desired: &BTreeMap<String, String>, actual: Option<&BTreeMap<String, String>>) -> ConfigStep {
    match actual {
        None => ConfigStep::Create,
        Some(actual) if actual != desired => ConfigStep::Update,
        Some(_) => ConfigStep::Keep,
    }
}

/// The call that moves a connector in `actual` state (the REST status's `connector.state`)
/// towards `target`; an error when it cannot (a FAILED connector cannot be paused). UNASSIGNED
/// and RESTARTING are passing states and left alone.
pub fn state_step(target: ConnectorState, actual: &str) -> Result<Option<StateChange>, String> {
    use ConnectorState::{Paused, Running, Stopped};
    Ok(match (actual, target) {
        ("RUNNING", Paused) | ("STOPPED", Paused) => Some(StateChange::Pause),
        ("RUNNING", Stopped) | ("PAUSED", Stopped) | ("FAILED", Stopped) => Some(StateChange::Stop),
        ("PAUSED", Running) | ("STOPPED", Running) => Some(StateChange::Resume),
        ("FAILED", Paused) => return Err("the connector cannot be paused since it is in the FAILED state".into()),
        _ => None,
    })
}

/// `POST /restart` arguments from `strimzi.io/restart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartRequest {
    /// `includeTasks`.
    pub include_tasks: bool,
    /// `onlyFailed`.
    pub only_failed: bool,
}

/// Reads `strimzi.io/restart`: `None` when absent, blank or containing `false`; an error for
/// a value other than `true`, `includeTasks`, `onlyFailed` or both.
pub fn restart_request(annotation: Option<&str>) -> Option<Result<RestartRequest, String>> {
    let value = annotation
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains("false"))?;
    if value == "true" {
        return Some(Ok(RestartRequest {
            include_tasks: false,
            only_failed: false,
        }));
    }
    let mut request = RestartRequest {
        include_tasks: false,
        only_failed: false,
    };
    for argument in value.split(',').map(str::trim) {
        match argument {
            "includeTasks" => request.include_tasks = true,
            "onlyFailed" => request.only_failed = true,
            _ => {
                return Some(Err(format!(
                    "Invalid annotation format: {RESTART_ANNOTATION}={value} (use true, includeTasks, onlyFailed or includeTasks,onlyFailed)"
                )))
            }
        }
    }
    Some(Ok(request))
}

/// Reads `strimzi.io/restart-task`: the task id.
pub fn restart_task_request(annotation: Option<&str>) -> Option<Result<u32, String>> {
    let value = annotation.map(str::trim).filter(|v| !v.is_empty())?;
    Some(
        value
            .parse()
            .map_err(|_| format!("Invalid annotation format: {RESTART_TASK_ANNOTATION}={value} (a task id)")),
    )
}

/// What `strimzi.io/connector-offsets` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetsRequest {
    /// Write them to `spec.listOffsets.toConfigMap`.
    List,
    /// Set them from `spec.alterOffsets.fromConfigMap` (the connector must be stopped).
    Alter,
    /// Reset them (the connector must be stopped).
    Reset,
}

/// Reads `strimzi.io/connector-offsets` against the spec: the request, or why it cannot be
/// carried out (a Warning condition, the annotation staying until the spec is fixed).
pub fn offsets_request(annotation: Option<&str>, spec: &KafkaConnectorSpec) -> Option<Result<OffsetsRequest, String>> {
    let value = annotation.map(str::trim).filter(|v| !v.is_empty())?;
    let stopped = target_state(spec) == ConnectorState::Stopped;
    Some(match value {
        "list" if spec.list_offsets.is_none() => {
            Err("Failed to list the connector offsets due to missing property listOffsets in KafkaConnector CR.".into())
        }
        "list" => Ok(OffsetsRequest::List),
        "alter" if spec.alter_offsets.is_none() => Err(
            "Failed to alter the connector offsets due to missing property alterOffsets in KafkaConnector CR.".into(),
        ),
        "alter" | "reset" if !stopped => Err(format!(
            "Failed to {value} the connector offsets: the connector must be stopped first (spec.state: stopped)."
        )),
        "alter" => Ok(OffsetsRequest::Alter),
        "reset" => Ok(OffsetsRequest::Reset),
        other => Err(format!(
            "Invalid annotation format: {OFFSETS_ANNOTATION}={other} (use list, alter or reset)"
        )),
    })
}

/// Whether the REST status shows the connector FAILED.
pub fn connector_failed(status: &Value) -> bool {
    status.pointer("/connector/state").and_then(Value::as_str) == Some("FAILED")
}

/// The ids of the FAILED tasks in a REST status.
pub fn failed_tasks(status: &Value) -> Vec<i64> {
    status
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|task| task.get("state").and_then(Value::as_str) == Some("FAILED"))
        .filter_map(|task| task.get("id").and_then(Value::as_i64))
        .collect()
}

/// Whether an auto-restart is due, and the `status.autoRestart` to write.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRestartDecision {
    /// Restart now (`includeTasks=true&onlyFailed=true`).
    pub restart: bool,
    /// The status afterwards.
    pub status: Option<AutoRestartStatus>,
}

/// Strimzi's auto-restart: a FAILED connector or task is restarted at once, then after
/// `n² + n` back-off units (capped at 60) following the n-th restart, at most `maxRestarts`
/// times; the count is forgotten once the connector has been healthy for that long. The unit
/// is a minute in Strimzi (and by default here).
pub fn auto_restart(
    name: &str,
    config: Option<&AutoRestart>,
    previous: Option<&AutoRestartStatus>,
    failing: bool,
    now: DateTime<Utc>,
    unit: Duration,
) -> AutoRestartDecision {
    let keep = AutoRestartDecision {
        restart: false,
        status: previous.cloned(),
    };
    let Some(config) = config.filter(|c| c.enabled != Some(false)) else {
        return AutoRestartDecision {
            restart: false,
            status: None,
        };
    };
    let since_last = |status: &AutoRestartStatus| {
        let last = status
            .last_restart_timestamp
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())?;
        (now - last.with_timezone(&Utc)).to_std().ok()
    };
    let backoff = |count: i64| unit * u32::try_from((count * count + count).min(60)).unwrap_or(60);
    if failing {
        let due = match previous {
            None => true,
            Some(status) => {
                let below_max = config.max_restarts.is_none_or(|max| status.count < max);
                let waited = since_last(status).is_none_or(|elapsed| elapsed >= backoff(status.count));
                below_max && waited
            }
        };
        if !due {
            return keep;
        }
        AutoRestartDecision {
            restart: true,
            status: Some(AutoRestartStatus {
                count: previous.map_or(0, |s| s.count) + 1,
                connector_name: Some(name.to_string()),
                last_restart_timestamp: Some(timestamp(now)),
            }),
        }
    } else {
        match previous {
            Some(status) if status.count > 0 && since_last(status).is_some_and(|e| e > backoff(status.count)) => {
                AutoRestartDecision {
                    restart: false,
                    status: None,
                }
            }
            _ => keep,
        }
    }
}

/// Why a connector is not ready, from its REST status.
pub fn not_ready_because(status: &Value) -> Option<String> {
    if connector_failed(status) {
        return Some("Connector has failed, see connectorStatus for more details.".into());
    }
    let failed = failed_tasks(status);
    (!failed.is_empty()).then(|| {
        let ids: Vec<String> = failed.iter().map(i64::to_string).collect();
        format!(
            "The following tasks have failed: {}, see connectorStatus for more details.",
            ids.join(", ")
        )
    })
}

/// What the reconciliation found, for the status.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The REST status.
    pub connector_status: Option<Value>,
    /// Its topics.
    pub topics: Option<Vec<String>>,
    /// `status.autoRestart`.
    pub auto_restart: Option<AutoRestartStatus>,
}

/// The status to write: `Ready` or `NotReady` (with the failure, or a FAILED connector or
/// task), warnings, and what was observed. A condition that did not change keeps its
/// `lastTransitionTime`.
pub fn status(
    spec: Option<&KafkaConnectorSpec>,
    generation: Option<i64>,
    outcome: Result<&Observed, &Failure>,
    warnings: &[Failure],
    previous: Option<&KafkaConnectorStatus>,
    now: DateTime<Utc>,
) -> KafkaConnectorStatus {
    let failure = match outcome {
        Err(failure) => Some(failure.clone()),
        Ok(observed) => observed
            .connector_status
            .as_ref()
            .and_then(not_ready_because)
            .map(|message| Failure {
                reason: "Throwable".into(),
                message,
            }),
    };
    let previous_conditions = previous.map(|p| p.conditions.as_slice()).unwrap_or_default();
    let conditions = conditions::conditions(failure.as_ref(), warnings, previous_conditions, now);
    let observed = outcome.ok();
    let connector_status = observed.and_then(|o| o.connector_status.clone());
    let running_tasks = connector_status
        .as_ref()
        .and_then(|s| s.get("tasks"))
        .and_then(Value::as_array)
        .map(|tasks| tasks.len() as i64);
    KafkaConnectorStatus {
        conditions,
        observed_generation: generation,
        auto_restart: observed
            .and_then(|o| o.auto_restart.clone())
            .or_else(|| outcome.err().and(previous.and_then(|p| p.auto_restart.clone()))),
        connector_status,
        tasks_max: spec.and_then(|s| s.tasks_max).or(running_tasks),
        topics: observed.and_then(|o| o.topics.clone()),
    }
}

/// The connectors on a cluster that no resource backs (deleted on clusters whose connectors are
/// managed only through resources, as Strimzi does with `use-connector-resources`).
pub fn unmanaged<'a>(on_cluster: &'a [String], resources: &BTreeSet<String>) -> Vec<&'a str> {
    on_cluster
        .iter()
        .filter(|name| !resources.contains(*name))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests;
