//! Reconciling: bringing what runs on this worker in line with its assignment and the latest
//! config. [`plan::plan`](super::plan::plan) decides without side effects; [`Inner::apply`]
//! stops, starts and retargets, and a running connector's task configs are generated and handed
//! to the leader.

use std::time::{Duration, Instant};

use super::leader::{all_work, write_task_configs};
use super::plan::{self, AfterStop, ConnectorStep, Plan};
use super::protocol::Work;
use super::{lock, Inner, Local, RunningConnector, RunningTask};
use crate::config::ConfigMap;
use crate::error_chain::with_causes;
use crate::herder::common;
use crate::rest::signature::sign;
use crate::state::{State, TargetState};
use crate::storage::ClusterConfig;

/// How long a submission of task configs to the leader is given before it is retried.
const SUBMIT_RETRY: Duration = Duration::from_secs(5);

/// Stops the connector object, if one runs; a failed stop is logged.
async fn stop_connector_object(name: &str, running: &mut RunningConnector) {
    if let Some(mut connector) = running.connector.take() {
        if let Err(e) = connector.stop().await {
            tracing::warn!(connector = %name, "connector stop failed: {e}");
        }
    }
}

impl Inner {
    /// How long a task may take to stop: `task.shutdown.graceful.timeout.ms` when the worker
    /// stops, the hand-over bound when work moves within the cluster.
    pub(super) fn task_stop_timeout(&self) -> Duration {
        let config = self.worker.config();
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            config.task_shutdown_timeout()
        } else {
            config.task_handover_timeout()
        }
    }

    /// Brings what runs here in line with the assignment and the latest config: [`plan::plan`]
    /// decides, [`Inner::apply`] acts.
    pub(super) async fn reconcile(&self) {
        if self.is_leader() {
            self.renew_session_key().await;
        }
        let snapshot = self.config.snapshot();
        let mut local = self.local.lock().await;
        let local = &mut *local;
        let statuses = self.worker.statuses();
        let plan = plan::plan(&snapshot, local, |name| statuses.get(name));
        self.apply(plan, &snapshot, local).await;

        let owned = local
            .connectors
            .keys()
            .map(|name| Work::Connector(name.clone()))
            .chain(local.tasks.keys().map(|(name, task)| Work::Task(name.clone(), *task)))
            .collect();
        let work_changed = {
            let mut view = lock(&self.view);
            view.owned = owned;
            // The leader compares with what its last assignment placed; a follower with the
            // config it had then.
            let known = if view.leader {
                &view.leader_memory.all
            } else {
                &view.work_at_assignment
            };
            view.joined && all_work(&snapshot) != *known
        };
        if work_changed {
            self.request_rebalance("connectors or tasks were added or removed");
        }
    }

    /// Carries out `plan`: stops first (tasks in parallel, each within its stop timeout), then
    /// connector objects, then what starts.
    async fn apply(&self, plan: Plan, snapshot: &ClusterConfig, local: &mut Local) {
        let statuses = self.worker.statuses();
        let worker_id = self.worker.worker_id();
        local.restarts_from = plan.restarts_from;

        let timeout = self.task_stop_timeout();
        let mut stopping = Vec::new();
        for (key, after) in plan.stop_tasks {
            if let Some(running) = local.tasks.remove(&key) {
                tracing::info!(connector = %key.0, task = key.1, "stopping task");
                stopping.push(async move {
                    running.handle.stop(timeout).await;
                    (key, after)
                });
            }
        }
        for ((name, task), after) in futures::future::join_all(stopping).await {
            match after {
                AfterStop::Nothing => {}
                AfterStop::Forget => statuses.remove_task(&name, task),
                AfterStop::Restarting => statuses.put_task(&name, task, State::Restarting, None, worker_id),
            }
        }

        for stop in plan.stop_connectors {
            if let Some(mut running) = local.connectors.remove(&stop.name) {
                tracing::info!(connector = %stop.name, "stopping connector");
                stop_connector_object(&stop.name, &mut running).await;
            }
            if stop.forget_status {
                statuses.remove(&stop.name);
            }
        }
        for (name, step) in plan.connectors {
            let Some(config) = snapshot.connectors.get(&name) else {
                continue;
            };
            match step {
                ConnectorStep::Keep => {}
                ConnectorStep::Start(target) => {
                    let running = self.start_connector(&name, config, target).await;
                    local.connectors.insert(name.clone(), running);
                }
                ConnectorStep::Stop => {
                    if let Some(running) = local.connectors.get_mut(&name) {
                        running.target = TargetState::Stopped;
                        stop_connector_object(&name, running).await;
                        running.generated = None;
                    }
                    statuses.put_connector(&name, State::Stopped, None, worker_id);
                }
                ConnectorStep::Retarget(target) => {
                    if let Some(running) = local.connectors.get_mut(&name) {
                        running.target = target;
                    }
                    statuses.put_connector(&name, target.observed(), None, worker_id);
                }
            }
            if let Some(running) = local.connectors.get_mut(&name) {
                self.publish_task_configs(&name, running, snapshot);
            }
        }

        for (key, target) in plan.retarget_tasks {
            if let Some(running) = local.tasks.get_mut(&key) {
                running.target = target;
                running.handle.set_target(target);
            }
        }
        for ((name, task), target) in plan.start_tasks {
            let (Some(connector_config), Some(task_config)) = (
                snapshot.connectors.get(&name),
                snapshot.tasks.get(&name).and_then(|t| t.get(task as usize)),
            ) else {
                continue;
            };
            tracing::info!(connector = %name, task, "starting task");
            let handle = self
                .worker
                .start_task(&name, task, connector_config, task_config, target);
            local.tasks.insert(
                (name, task),
                RunningTask {
                    handle,
                    connector_config: connector_config.clone(),
                    task_config: task_config.clone(),
                    target,
                },
            );
        }
    }

    async fn start_connector(&self, name: &str, config: &ConfigMap, target: TargetState) -> RunningConnector {
        let statuses = self.worker.statuses();
        let worker_id = self.worker.worker_id();
        let mut running = RunningConnector {
            config: config.clone(),
            target,
            connector: None,
            generated: None,
            submitted: None,
        };
        if target == TargetState::Stopped {
            statuses.put_connector(name, State::Stopped, None, worker_id);
            return running;
        }
        tracing::info!(connector = %name, "starting connector");
        match self.worker.start_connector(name, config).await {
            Ok(connector) => {
                running.connector = Some(connector);
                statuses.put_connector(name, target.observed(), None, worker_id);
            }
            Err(e) => {
                tracing::error!(connector = %name, "connector failed to start: {e}");
                statuses.put_connector(name, State::Failed, Some(e.trace()), worker_id);
            }
        }
        running
    }

    /// Generates the connector's task configs (once per start) and, when they differ from the
    /// committed ones, hands them to the leader, which alone writes them.
    fn publish_task_configs(&self, name: &str, running: &mut RunningConnector, snapshot: &ClusterConfig) {
        let Some(connector) = &running.connector else { return };
        // As Apache: a connector PAUSED before it ever had tasks makes none until resumed.
        if running.target == TargetState::Paused && snapshot.task_count(name) == 0 {
            return;
        }
        if running.generated.is_none() {
            match common::task_configs(name, connector.as_ref(), &running.config) {
                Ok(configs) => running.generated = Some(configs),
                Err(trace) => {
                    self.worker
                        .statuses()
                        .put_connector(name, State::Failed, Some(trace), self.worker.worker_id());
                    running.connector = None;
                    return;
                }
            }
        }
        let Some(generated) = &running.generated else { return };
        if snapshot.tasks.get(name).map(Vec::as_slice).unwrap_or(&[]) == generated.as_slice() {
            return;
        }
        if running.submitted.is_some_and(|at| at.elapsed() < SUBMIT_RETRY) {
            return;
        }
        running.submitted = Some(Instant::now());
        let configs = generated.clone();
        let name = name.to_string();
        let (leader, leader_url) = {
            let view = lock(&self.view);
            (view.leader, view.leader_url.clone())
        };
        let config = self.config.clone();
        let http = self.http.clone();
        let fencing = self.fencing.clone();
        let signing_key = snapshot.session_key.as_ref().map(|k| k.key.clone());
        let algorithm = self.settings.signing.signature_algorithm.clone();
        tokio::spawn(async move {
            let result = if leader {
                write_task_configs(&config, fencing.as_ref(), &name, configs.clone())
                    .await
                    .map_err(|e| e.to_string())
            } else if let Some(url) = leader_url {
                let target = format!("{}/connectors/{name}/tasks", url.trim_end_matches('/'));
                let body = serde_json::to_vec(&configs).unwrap_or_default();
                let mut request = http
                    .post(&target)
                    .header(reqwest::header::CONTENT_TYPE, "application/json");
                if let Some(key) = &signing_key {
                    match sign(&algorithm, key, &body) {
                        Ok(headers) => {
                            for (name, value) in headers {
                                request = request.header(name, value);
                            }
                        }
                        Err(e) => tracing::warn!(connector = %name, "cannot sign the task configs: {e}"),
                    }
                }
                match request.body(body).send().await {
                    Ok(answer) if answer.status().is_success() => Ok(()),
                    Ok(answer) => Err(format!("the leader answered {}", answer.status())),
                    Err(e) => Err(with_causes(&e)),
                }
            } else {
                Err("no leader is known".into())
            };
            match result {
                Ok(()) => tracing::info!(connector = %name, tasks = configs.len(), "task configs submitted"),
                Err(e) => tracing::warn!(connector = %name, "cannot submit task configs yet: {e}"),
            }
        });
    }
}
