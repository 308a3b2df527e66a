//! One reconcile pass, decided without side effects: from the latest config, what runs here and
//! the statuses, the [`Plan`] says which tasks and connectors stop, start or change target, in
//! the order the herder applies them (everything that stops first, then what starts).

use std::collections::BTreeSet;

use super::Local;
use crate::herder::distributed::protocol::Work;
use crate::state::{State, TargetState};
use crate::storage::{ClusterConfig, ConnectorStatus};

/// A task: its connector's name and its number.
pub(super) type TaskKey = (String, u32);

/// What to record of a task once it has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterStop {
    /// Nothing: it stopped to move, or to start again with a new config.
    Nothing,
    /// Its status goes: the task no longer exists (fewer tasks, STOPPED or deleted).
    Forget,
    /// RESTARTING: a restart request named it.
    Restarting,
}

/// What happens to an assigned connector object, after the stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ConnectorStep {
    /// It runs as it should.
    Keep,
    /// It is started (or recorded STOPPED when that is its target).
    Start(TargetState),
    /// Its target became STOPPED: the object stops, its status says so.
    Stop,
    /// Its target changed between STARTED and PAUSED: only the status changes.
    Retarget(TargetState),
}

/// A connector object that stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConnectorStop {
    /// The connector.
    pub(super) name: String,
    /// Its config is gone: its status goes too.
    pub(super) forget_status: bool,
}

/// What one reconcile pass does, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// Restart requests before this config offset have been acted on.
    pub(super) restarts_from: i64,
    /// Tasks that stop (no longer ours, config changed, or restarted), with what to record.
    pub(super) stop_tasks: Vec<(TaskKey, AfterStop)>,
    /// Connector objects that stop (no longer ours, config changed or gone, or restarted).
    pub(super) stop_connectors: Vec<ConnectorStop>,
    /// Each assigned connector that has a config, with its step; its task configs are
    /// published after it.
    pub(super) connectors: Vec<(String, ConnectorStep)>,
    /// Running tasks whose target changed.
    pub(super) retarget_tasks: Vec<(TaskKey, TargetState)>,
    /// Assigned tasks that start, with their target.
    pub(super) start_tasks: Vec<(TaskKey, TargetState)>,
}

/// The plan that brings `local` in line with its assignment and `snapshot`; `status` gives a
/// connector's last known status (for restart requests limited to what FAILED).
pub(super) fn plan<C, T>(
    snapshot: &ClusterConfig,
    local: &Local<C, T>,
    status: impl Fn(&str) -> Option<ConnectorStatus>,
) -> Plan {
    let (restart_connectors, restart_tasks) = restarts(snapshot, local.restarts_from, status);

    let stop_tasks: Vec<(TaskKey, AfterStop)> = local
        .tasks
        .iter()
        .filter(|((name, task), running)| {
            let current = snapshot.tasks.get(name).and_then(|t| t.get(*task as usize));
            !local.assigned.contains(&Work::Task(name.clone(), *task))
                || snapshot.connectors.get(name) != Some(&running.connector_config)
                || current != Some(&running.task_config)
                || restart_tasks.contains(&(name.clone(), *task))
        })
        .map(|(key, _)| {
            let after = if key.1 as usize >= snapshot.task_count(&key.0) {
                AfterStop::Forget
            } else if restart_tasks.contains(key) {
                AfterStop::Restarting
            } else {
                AfterStop::Nothing
            };
            (key.clone(), after)
        })
        .collect();

    let stop_connectors: Vec<ConnectorStop> = local
        .connectors
        .iter()
        .filter(|(name, running)| {
            !local.assigned.contains(&Work::Connector(name.to_string()))
                || snapshot.connectors.get(*name) != Some(&running.config)
                || restart_connectors.contains(*name)
        })
        .map(|(name, _)| ConnectorStop {
            name: name.clone(),
            forget_status: !snapshot.connectors.contains_key(name),
        })
        .collect();

    let stopped_connectors: BTreeSet<&str> = stop_connectors.iter().map(|stop| stop.name.as_str()).collect();
    let mut connectors = Vec::new();
    for work in &local.assigned {
        let Work::Connector(name) = work else { continue };
        if !snapshot.connectors.contains_key(name) {
            continue;
        }
        let target = snapshot.target(name);
        let step = match local.connectors.get(name) {
            Some(running) if !stopped_connectors.contains(name.as_str()) => {
                if running.target == target {
                    ConnectorStep::Keep
                } else if target == TargetState::Stopped {
                    ConnectorStep::Stop
                } else if running.connector.is_none() {
                    ConnectorStep::Start(target)
                } else {
                    ConnectorStep::Retarget(target)
                }
            }
            _ => ConnectorStep::Start(target),
        };
        connectors.push((name.clone(), step));
    }

    let stopped_tasks: BTreeSet<&TaskKey> = stop_tasks.iter().map(|(key, _)| key).collect();
    let mut retarget_tasks = Vec::new();
    let mut start_tasks = Vec::new();
    for work in &local.assigned {
        let Work::Task(name, task) = work else { continue };
        let key = (name.clone(), *task);
        let target = snapshot.target(name);
        match local.tasks.get(&key) {
            Some(running) if !stopped_tasks.contains(&key) => {
                if running.target != target {
                    retarget_tasks.push((key, target));
                }
            }
            _ => {
                let has_configs = snapshot.connectors.contains_key(name)
                    && snapshot.tasks.get(name).is_some_and(|t| (*task as usize) < t.len());
                if has_configs && target != TargetState::Stopped {
                    start_tasks.push((key, target));
                }
            }
        }
    }

    Plan {
        restarts_from: snapshot.offset,
        stop_tasks,
        stop_connectors,
        connectors,
        retarget_tasks,
        start_tasks,
    }
}

/// The connectors and tasks that restart requests written since `from` name.
fn restarts(
    snapshot: &ClusterConfig,
    from: i64,
    status: impl Fn(&str) -> Option<ConnectorStatus>,
) -> (BTreeSet<String>, BTreeSet<TaskKey>) {
    let mut connectors = BTreeSet::new();
    let mut tasks = BTreeSet::new();
    for request in snapshot.restarts.iter().filter(|r| r.offset >= from) {
        let status = status(&request.connector);
        let connector_failed = status.as_ref().is_some_and(|s| s.state == State::Failed);
        if !request.only_failed || connector_failed {
            connectors.insert(request.connector.clone());
        }
        if request.include_tasks {
            for (&task, task_status) in status.as_ref().map(|s| &s.tasks).into_iter().flatten() {
                if !request.only_failed || task_status.state == State::Failed {
                    tasks.insert((request.connector.clone(), task));
                }
            }
        }
    }
    (connectors, tasks)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::ConfigMap;
    use crate::herder::distributed::{RunningConnector, RunningTask};
    use crate::storage::{RestartRequest, TaskStatus};

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A cluster config with connector `c` (config `{"v": version}`) and `tasks` tasks.
    fn snapshot(version: &str, tasks: usize) -> ClusterConfig {
        let mut snapshot = ClusterConfig::default();
        snapshot.offset = 10;
        snapshot.connectors.insert("c".into(), config(&[("v", version)]));
        snapshot.tasks.insert(
            "c".into(),
            (0..tasks).map(|t| config(&[("task", &t.to_string())])).collect(),
        );
        snapshot
    }

    /// What runs here: connector `c` (started with `version`, an object when `started`) and
    /// the given tasks of it, all STARTED, with everything in `assigned`.
    fn local(version: &str, started: bool, tasks: &[u32], assigned: &[Work]) -> Local<(), ()> {
        let mut local = Local {
            assigned: assigned.iter().cloned().collect(),
            connectors: BTreeMap::new(),
            tasks: BTreeMap::new(),
            restarts_from: 0,
        };
        local.connectors.insert(
            "c".into(),
            RunningConnector {
                config: config(&[("v", version)]),
                target: TargetState::Started,
                connector: started.then_some(()),
                generated: None,
                submitted: None,
            },
        );
        for &task in tasks {
            local.tasks.insert(
                ("c".into(), task),
                RunningTask {
                    handle: (),
                    connector_config: config(&[("v", version)]),
                    task_config: config(&[("task", &task.to_string())]),
                    target: TargetState::Started,
                },
            );
        }
        local
    }

    fn connector() -> Work {
        Work::Connector("c".into())
    }

    fn task(n: u32) -> Work {
        Work::Task("c".into(), n)
    }

    fn key(n: u32) -> TaskKey {
        ("c".into(), n)
    }

    #[test]
    fn nothing_changes_when_everything_runs_as_assigned() {
        let here = local("1", true, &[0, 1], &[connector(), task(0), task(1)]);
        let plan = plan(&snapshot("1", 2), &here, |_| None);
        assert_eq!(
            plan,
            Plan {
                restarts_from: 10,
                connectors: vec![("c".into(), ConnectorStep::Keep)],
                ..Plan::default()
            }
        );
    }

    #[test]
    fn a_new_assignment_starts_the_connector_and_its_tasks() {
        let mut here = local("1", true, &[], &[connector(), task(0), task(1)]);
        here.connectors.clear();
        let plan = plan(&snapshot("1", 2), &here, |_| None);
        assert_eq!(
            plan.connectors,
            vec![("c".into(), ConnectorStep::Start(TargetState::Started))]
        );
        assert_eq!(
            plan.start_tasks,
            vec![(key(0), TargetState::Started), (key(1), TargetState::Started)]
        );
    }

    #[test]
    fn a_changed_config_stops_and_starts_everything_again() {
        let here = local("1", true, &[0], &[connector(), task(0)]);
        let plan = plan(&snapshot("2", 1), &here, |_| None);
        assert_eq!(plan.stop_tasks, vec![(key(0), AfterStop::Nothing)]);
        assert_eq!(
            plan.stop_connectors,
            vec![ConnectorStop {
                name: "c".into(),
                forget_status: false
            }]
        );
        assert_eq!(
            plan.connectors,
            vec![("c".into(), ConnectorStep::Start(TargetState::Started))]
        );
        assert_eq!(plan.start_tasks, vec![(key(0), TargetState::Started)]);
    }

    #[test]
    fn revoked_work_stops_and_fewer_tasks_forget_their_status() {
        // Task 1 moved to another worker; task 2 no longer exists (two tasks now).
        let here = local("1", true, &[0, 1, 2], &[task(0)]);
        let plan = plan(&snapshot("1", 2), &here, |_| None);
        assert_eq!(
            plan.stop_tasks,
            vec![(key(1), AfterStop::Nothing), (key(2), AfterStop::Forget)]
        );
        assert_eq!(
            plan.stop_connectors,
            vec![ConnectorStop {
                name: "c".into(),
                forget_status: false
            }]
        );
        assert!(plan.connectors.is_empty() && plan.start_tasks.is_empty());
    }

    #[test]
    fn a_deleted_connector_stops_and_forgets_its_status() {
        let here = local("1", true, &[0], &[connector(), task(0)]);
        let plan = plan(&ClusterConfig::default(), &here, |_| None);
        assert_eq!(plan.stop_tasks, vec![(key(0), AfterStop::Forget)]);
        assert_eq!(
            plan.stop_connectors,
            vec![ConnectorStop {
                name: "c".into(),
                forget_status: true
            }]
        );
        assert!(plan.connectors.is_empty() && plan.start_tasks.is_empty());
    }

    #[test]
    fn target_states_change_without_restarts() {
        let here = local("1", true, &[0], &[connector(), task(0)]);
        let mut paused = snapshot("1", 1);
        paused.targets.insert("c".into(), TargetState::Paused);
        let plan_paused = plan(&paused, &here, |_| None);
        assert_eq!(
            plan_paused.connectors,
            vec![("c".into(), ConnectorStep::Retarget(TargetState::Paused))]
        );
        assert_eq!(plan_paused.retarget_tasks, vec![(key(0), TargetState::Paused)]);
        assert!(plan_paused.stop_tasks.is_empty() && plan_paused.start_tasks.is_empty());

        // STOPPED: the object stops; its tasks are gone from the config (Apache writes zero).
        let mut stopped = snapshot("1", 0);
        stopped.targets.insert("c".into(), TargetState::Stopped);
        let plan_stopped = plan(&stopped, &here, |_| None);
        assert_eq!(plan_stopped.connectors, vec![("c".into(), ConnectorStep::Stop)]);
        assert_eq!(plan_stopped.stop_tasks, vec![(key(0), AfterStop::Forget)]);

        // Resumed after a failed start: the object starts again.
        let failed = local("1", false, &[], &[connector()]);
        let mut resumed = snapshot("1", 0);
        resumed.targets.insert("c".into(), TargetState::Paused);
        assert_eq!(
            plan(&resumed, &failed, |_| None).connectors,
            vec![("c".into(), ConnectorStep::Start(TargetState::Paused))]
        );
    }

    #[test]
    fn restart_requests_restart_what_they_name_once() {
        let here = local("1", true, &[0, 1], &[connector(), task(0), task(1)]);
        let status = |_: &str| {
            let task_status = |state| TaskStatus {
                state,
                trace: None,
                worker_id: "w".into(),
            };
            Some(ConnectorStatus {
                state: State::Running,
                trace: None,
                worker_id: "w".into(),
                tasks: [(0, task_status(State::Running)), (1, task_status(State::Failed))].into(),
            })
        };
        let mut requested = snapshot("1", 2);
        requested.restarts.push(RestartRequest {
            offset: 5,
            connector: "c".into(),
            include_tasks: true,
            only_failed: true,
        });
        let plan_restart = plan(&requested, &here, status);
        assert!(plan_restart.stop_connectors.is_empty(), "the connector did not fail");
        assert_eq!(plan_restart.stop_tasks, vec![(key(1), AfterStop::Restarting)]);
        assert_eq!(plan_restart.start_tasks, vec![(key(1), TargetState::Started)]);
        assert_eq!(plan_restart.restarts_from, 10);

        // The next pass starts from the offset after the request: nothing restarts again.
        let mut later = local("1", true, &[0, 1], &[connector(), task(0), task(1)]);
        later.restarts_from = plan_restart.restarts_from;
        assert!(plan(&requested, &later, status).stop_tasks.is_empty());
    }
}
