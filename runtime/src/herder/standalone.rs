//! The standalone herder: one worker owns every connector; configs live in memory (seeded
//! from the files on the command line), offsets in the worker's offset store.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tokio::sync::{Mutex, OnceCell};

use super::{
    common, ConfigInfos, ConnectorInfo, ConnectorStateInfo, Herder, HerderError, HerderResult, OffsetEntry, TaskId,
    TaskInfo,
};
use crate::config::ConfigMap;
use crate::connector::Connector;
use crate::state::{State, TargetState};
use crate::worker::{TaskHandle, Worker};

struct Entry {
    config: ConfigMap,
    target: TargetState,
    connector_type: &'static str,
    connector: Option<Box<dyn Connector>>,
    task_configs: Vec<ConfigMap>,
    tasks: BTreeMap<u32, TaskHandle>,
}

/// Runs every connector on this one worker.
pub struct StandaloneHerder {
    worker: Worker,
    connectors: Mutex<BTreeMap<String, Entry>>,
    cluster_id: OnceCell<String>,
}

impl StandaloneHerder {
    /// A herder driving `worker`.
    pub fn new(worker: Worker) -> Self {
        StandaloneHerder {
            worker,
            connectors: Mutex::new(BTreeMap::new()),
            cluster_id: OnceCell::new(),
        }
    }

    /// The worker.
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Stops every connector and task (flushing and committing), for shutdown.
    pub async fn stop_all(&self) {
        let mut connectors = self.connectors.lock().await;
        // Every task at once, `task.shutdown.graceful.timeout.ms` in all, as Apache bounds the
        // shutdown: a task still busy then (its Kafka gone, say) is abandoned.
        let timeout = self.worker.config().task_shutdown_timeout();
        let handles: Vec<TaskHandle> = connectors
            .values_mut()
            .flat_map(|entry| std::mem::take(&mut entry.tasks).into_values())
            .collect();
        futures::future::join_all(handles.into_iter().map(|h| h.stop(timeout))).await;
        for (name, entry) in connectors.iter_mut() {
            self.stop_connector_object(name, entry).await;
        }
    }

    async fn start_entry(&self, name: &str, entry: &mut Entry) {
        let statuses = self.worker.statuses();
        let worker_id = self.worker.worker_id();
        match self.worker.start_connector(name, &entry.config).await {
            Err(e) => {
                tracing::error!(connector = %name, "connector failed to start: {e}");
                statuses.put_connector(name, State::Failed, Some(e.trace()), worker_id);
                return;
            }
            Ok(connector) => entry.connector = Some(connector),
        }
        statuses.put_connector(name, entry.target.observed(), None, worker_id);
        // As Apache: a connector started PAUSED (created so, or paused while STOPPED) makes no
        // tasks until it is resumed.
        if entry.target == TargetState::Started {
            self.start_tasks(name, entry);
        }
    }

    fn start_tasks(&self, name: &str, entry: &mut Entry) {
        let statuses = self.worker.statuses();
        let Some(connector) = &entry.connector else { return };
        let task_configs = match common::task_configs(name, connector.as_ref(), &entry.config) {
            Ok(configs) => configs,
            Err(trace) => {
                statuses.put_connector(name, State::Failed, Some(trace), self.worker.worker_id());
                return;
            }
        };
        statuses.remove_tasks_from(name, task_configs.len() as u32);
        for (index, task_config) in task_configs.iter().enumerate() {
            let task = index as u32;
            statuses.put_task(name, task, State::Unassigned, None, self.worker.worker_id());
            let handle = self
                .worker
                .start_task(name, task, &entry.config, task_config, entry.target);
            entry.tasks.insert(task, handle);
        }
        entry.task_configs = task_configs;
    }

    async fn stop_tasks(&self, entry: &mut Entry) {
        let timeout = self.worker.config().task_handover_timeout();
        let handles: Vec<TaskHandle> = std::mem::take(&mut entry.tasks).into_values().collect();
        futures::future::join_all(handles.into_iter().map(|h| h.stop(timeout))).await;
    }

    async fn stop_connector_object(&self, name: &str, entry: &mut Entry) {
        if let Some(mut connector) = entry.connector.take() {
            if let Err(e) = connector.stop().await {
                tracing::warn!(connector = %name, "connector stop failed: {e}");
            }
        }
    }

    /// Regenerates connector `name`'s task configs, as its connector asked; restarts its tasks
    /// when they changed.
    pub async fn reconfigure_tasks(&self, name: &str) {
        let mut connectors = self.connectors.lock().await;
        let Some(entry) = connectors.get_mut(name) else { return };
        let Some(connector) = &entry.connector else { return };
        if entry.target == TargetState::Stopped {
            return;
        }
        match common::task_configs(name, connector.as_ref(), &entry.config) {
            Ok(configs) if configs == entry.task_configs => {}
            Ok(_) => {
                tracing::info!(connector = %name, "task configs changed; restarting the tasks");
                self.stop_tasks(entry).await;
                self.start_tasks(name, entry);
            }
            Err(trace) => {
                self.worker
                    .statuses()
                    .put_connector(name, State::Failed, Some(trace), self.worker.worker_id());
            }
        }
    }

    async fn restart_one_task(&self, name: &str, entry: &mut Entry, task: u32) -> HerderResult<()> {
        let config = entry
            .task_configs
            .get(task as usize)
            .cloned()
            .ok_or_else(|| HerderError::NotFound(format!("Task {name}-{task} not found")))?;
        if let Some(handle) = entry.tasks.remove(&task) {
            handle.stop(self.worker.config().task_handover_timeout()).await;
        }
        self.worker
            .statuses()
            .put_task(name, task, State::Restarting, None, self.worker.worker_id());
        let handle = self.worker.start_task(name, task, &entry.config, &config, entry.target);
        entry.tasks.insert(task, handle);
        Ok(())
    }

    fn info(name: &str, entry: &Entry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: entry.config.clone(),
            tasks: (0..entry.task_configs.len() as u32)
                .map(|task| TaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: entry.connector_type.to_string(),
        }
    }

    /// The type and config of connector `name`, which must be STOPPED (offsets may only change
    /// then).
    async fn stopped_connector(&self, name: &str) -> HerderResult<ConfigMap> {
        let connectors = self.connectors.lock().await;
        let entry = connectors
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        if entry.target != TargetState::Stopped || !entry.tasks.is_empty() {
            return Err(common::not_stopped(name));
        }
        Ok(entry.config.clone())
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn assigned_here(&self) -> (usize, usize) {
        self.worker.statuses().assigned_to(self.worker.worker_id())
    }

    async fn connectors(&self) -> Vec<String> {
        self.connectors.lock().await.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let connectors = self.connectors.lock().await;
        let entry = connectors
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        Ok(Self::info(name, entry))
    }

    async fn create_connector(
        &self,
        name: &str,
        mut config: ConfigMap,
        initial: TargetState,
    ) -> HerderResult<ConnectorInfo> {
        let mut connectors = self.connectors.lock().await;
        if connectors.contains_key(name) {
            return Err(HerderError::AlreadyExists(format!("Connector {name} already exists")));
        }
        let connector_type = common::check_submission(&self.worker, name, &config)?;
        config.insert("name".into(), name.to_string());
        let mut entry = Entry {
            config,
            target: initial,
            connector_type,
            connector: None,
            task_configs: Vec::new(),
            tasks: BTreeMap::new(),
        };
        tracing::info!(connector = %name, "creating connector");
        self.start_entry(name, &mut entry).await;
        let info = Self::info(name, &entry);
        connectors.insert(name.to_string(), entry);
        Ok(info)
    }

    async fn put_connector_config(&self, name: &str, mut config: ConfigMap) -> HerderResult<(bool, ConnectorInfo)> {
        let existing = self.connectors.lock().await.contains_key(name);
        if !existing {
            return Ok((true, self.create_connector(name, config, TargetState::Started).await?));
        }
        let connector_type = common::check_submission(&self.worker, name, &config)?;
        config.insert("name".into(), name.to_string());
        let mut connectors = self.connectors.lock().await;
        let entry = connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        tracing::info!(connector = %name, "reconfiguring connector");
        self.stop_tasks(entry).await;
        self.stop_connector_object(name, entry).await;
        entry.config = config;
        entry.connector_type = connector_type;
        self.start_entry(name, entry).await;
        Ok((false, Self::info(name, entry)))
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut connectors = self.connectors.lock().await;
        let mut entry = connectors
            .remove(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        tracing::info!(connector = %name, "deleting connector");
        self.stop_tasks(&mut entry).await;
        self.stop_connector_object(name, &mut entry).await;
        self.worker.statuses().remove(name);
        Ok(())
    }

    async fn status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let connector_type = {
            let connectors = self.connectors.lock().await;
            connectors
                .get(name)
                .ok_or_else(|| HerderError::unknown_connector(name))?
                .connector_type
        };
        let status = self
            .worker
            .statuses()
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for connector {name}")))?;
        Ok(ConnectorStateInfo::from_status(name, connector_type, &status))
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let connectors = self.connectors.lock().await;
        let entry = connectors
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        Ok(TaskInfo::list(name, &entry.task_configs))
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let mut connectors = self.connectors.lock().await;
        let entry = connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        let status = self.worker.statuses().get(name);
        let connector_failed = status.as_ref().is_some_and(|s| s.state == State::Failed);
        let restart_connector = !only_failed || connector_failed;
        let tasks_to_restart: Vec<u32> = if include_tasks {
            status
                .as_ref()
                .map(|s| {
                    s.tasks
                        .iter()
                        .filter(|(_, t)| !only_failed || t.state == State::Failed)
                        .map(|(&id, _)| id)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        if restart_connector {
            tracing::info!(connector = %name, "restarting connector");
            self.stop_connector_object(name, entry).await;
            if entry.connector.is_none() && entry.tasks.is_empty() {
                // The connector never got to start tasks (it failed): start it whole.
                self.start_entry(name, entry).await;
            } else {
                match self.worker.start_connector(name, &entry.config).await {
                    Ok(connector) => {
                        entry.connector = Some(connector);
                        self.worker.statuses().put_connector(
                            name,
                            entry.target.observed(),
                            None,
                            self.worker.worker_id(),
                        );
                    }
                    Err(e) => self.worker.statuses().put_connector(
                        name,
                        State::Failed,
                        Some(e.to_string()),
                        self.worker.worker_id(),
                    ),
                }
            }
        }
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        for task in &tasks_to_restart {
            self.restart_one_task(name, entry, *task).await?;
        }
        let status = self
            .worker
            .statuses()
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        let mut info = ConnectorStateInfo::from_status(name, entry.connector_type, &status);
        if restart_connector {
            info.connector.state = State::Restarting;
        }
        for task in info.tasks.iter_mut().filter(|t| tasks_to_restart.contains(&t.id)) {
            task.state = State::Restarting;
            task.trace = None;
        }
        Ok(Some(info))
    }

    async fn restart_task(&self, name: &str, task: u32) -> HerderResult<()> {
        let mut connectors = self.connectors.lock().await;
        let entry = connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        self.restart_one_task(name, entry, task).await
    }

    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()> {
        let mut connectors = self.connectors.lock().await;
        let entry = connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        let previous = entry.target;
        entry.target = state;
        let statuses = self.worker.statuses();
        let worker_id = self.worker.worker_id();
        match state {
            TargetState::Stopped => {
                tracing::info!(connector = %name, "stopping connector");
                self.stop_tasks(entry).await;
                self.stop_connector_object(name, entry).await;
                entry.task_configs.clear();
                statuses.remove_tasks_from(name, 0);
                statuses.put_connector(name, State::Stopped, None, worker_id);
            }
            TargetState::Paused | TargetState::Started if previous == TargetState::Stopped => {
                self.start_entry(name, entry).await;
            }
            TargetState::Started if entry.tasks.is_empty() && entry.connector.is_some() => {
                // Paused since it started: its tasks are made now.
                statuses.put_connector(name, State::Running, None, worker_id);
                self.start_tasks(name, entry);
            }
            TargetState::Paused | TargetState::Started => {
                for task in entry.tasks.values() {
                    task.set_target(state);
                }
                let connector_state = if state == TargetState::Paused {
                    State::Paused
                } else {
                    State::Running
                };
                if entry.connector.is_some() {
                    statuses.put_connector(name, connector_state, None, worker_id);
                }
            }
        }
        Ok(())
    }

    async fn offsets(&self, name: &str) -> HerderResult<Vec<OffsetEntry>> {
        let config = {
            let connectors = self.connectors.lock().await;
            let entry = connectors
                .get(name)
                .ok_or_else(|| HerderError::unknown_connector(name))?;
            entry.config.clone()
        };
        common::read_offsets(&self.worker, name, &config).await
    }

    async fn alter_offsets(&self, name: &str, offsets: Vec<OffsetEntry>) -> HerderResult<String> {
        let config = self.stopped_connector(name).await?;
        common::alter_offsets(&self.worker, name, &config, offsets).await
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        let config = self.stopped_connector(name).await?;
        common::reset_offsets(&self.worker, name, &config).await
    }

    async fn topics(&self, name: &str) -> HerderResult<Vec<String>> {
        if !self.connectors.lock().await.contains_key(name) {
            return Err(HerderError::unknown_connector(name));
        }
        Ok(self.worker.statuses().topics(name))
    }

    async fn reset_topics(&self, name: &str) -> HerderResult<()> {
        if !self.connectors.lock().await.contains_key(name) {
            return Err(HerderError::unknown_connector(name));
        }
        self.worker.statuses().reset_topics(name);
        Ok(())
    }

    async fn validate(&self, plugin: &str, config: ConfigMap) -> HerderResult<ConfigInfos> {
        common::validate_for_plugin(&self.worker, plugin, config)
    }

    async fn kafka_cluster_id(&self) -> String {
        common::kafka_cluster_id(&self.worker, &self.cluster_id).await
    }
}
