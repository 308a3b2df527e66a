//! The REST API's requests as a distributed worker answers them: reads from the config and
//! status topics, writes forwarded to the leader where Apache forwards them, and the signed
//! internal request that carries task configs to the leader.

use async_trait::async_trait;

use super::leader::write_task_configs;
use super::{internal, lock, DistributedHerder, Inner, RunningTask};
use crate::config::ConfigMap;
use crate::herder::{
    common, ConfigInfos, ConnectorInfo, ConnectorStateInfo, Herder, HerderError, HerderResult, OffsetEntry, TaskId,
    TaskInfo,
};
use crate::rest::signature::RequestSignature;
use crate::state::{State, TargetState};

impl Inner {
    /// Checks that an internal request was signed with the cluster's session key.
    fn verify(&self, signature: Option<RequestSignature>) -> HerderResult<()> {
        let signing = &self.settings.signing;
        let signature =
            signature.ok_or_else(|| HerderError::BadRequest("Internal request missing required signature".into()))?;
        if !signing.verification_algorithms.contains(&signature.algorithm) {
            return Err(HerderError::BadRequest(format!(
                "This worker does not support the '{}' key signing algorithm used by other workers. This worker is currently configured to use: {:?}. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.",
                signature.algorithm, signing.verification_algorithms
            )));
        }
        let key = self.config.with(|c| c.session_key.clone());
        match key {
            Some(key) if signature.is_valid(&key.key) => Ok(()),
            Some(_) => Err(HerderError::Forbidden(
                "Internal request contained invalid signature.".into(),
            )),
            None => Err(HerderError::Conflict(
                "The leader has not written a session key yet; try again shortly".into(),
            )),
        }
    }

    fn connector_config(&self, name: &str) -> HerderResult<ConfigMap> {
        self.config
            .with(|c| c.connectors.get(name).cloned())
            .ok_or_else(|| HerderError::unknown_connector(name))
    }

    fn info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.config.with(|c| {
            let config = c
                .connectors
                .get(name)
                .ok_or_else(|| HerderError::unknown_connector(name))?;
            Ok(ConnectorInfo {
                name: name.to_string(),
                config: config.clone(),
                tasks: (0..c.task_count(name) as u32)
                    .map(|task| TaskId {
                        connector: name.to_string(),
                        task,
                    })
                    .collect(),
                connector_type: common::connector_type(config).to_string(),
            })
        })
    }

    /// Leader: STOPPED with no task configs; with exactly-once, the source tasks' producers are
    /// fenced first, so none of them can commit after the stop.
    async fn stop_tasks_cluster_wide(&self, name: &str) -> HerderResult<()> {
        let _checked = self.config.checked_writes().await;
        self.catch_up().await?;
        let (tasks, kind) = self.config.with(|c| {
            (
                c.task_count(name),
                c.connectors.get(name).map(common::connector_type).unwrap_or("unknown"),
            )
        });
        if let (Some(fencing), "source") = (&self.fencing, kind) {
            fencing.fence(name, 0..tasks).await?;
        }
        self.config.stop_connector(name).await.map_err(internal)
    }

    /// Reads the config topic to its end, so a write is checked against the latest state.
    async fn catch_up(&self) -> HerderResult<()> {
        self.config.read_to_end().await.map_err(internal)
    }

    /// The connector's config, when it is STOPPED with no tasks (offsets may only change then).
    async fn stopped_connector(&self, name: &str) -> HerderResult<ConfigMap> {
        self.catch_up().await?;
        self.config.with(|c| {
            let config = c
                .connectors
                .get(name)
                .ok_or_else(|| HerderError::unknown_connector(name))?;
            if c.target(name) != TargetState::Stopped || c.task_count(name) > 0 {
                return Err(common::not_stopped(name));
            }
            Ok(config.clone())
        })
    }
}

#[async_trait]
impl Herder for DistributedHerder {
    fn assigned_here(&self) -> (usize, usize) {
        let worker = &self.inner.worker;
        worker.statuses().assigned_to(worker.worker_id())
    }

    fn started(&self) -> bool {
        lock(&self.inner.view).joined
    }

    async fn connectors(&self) -> Vec<String> {
        self.inner.config.with(|c| c.connectors.keys().cloned().collect())
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.inner.info(name)
    }

    async fn create_connector(
        &self,
        name: &str,
        mut config: ConfigMap,
        initial: TargetState,
    ) -> HerderResult<ConnectorInfo> {
        let inner = &self.inner;
        inner.require_leader()?;
        inner.catch_up().await?;
        if inner.config.with(|c| c.connectors.contains_key(name)) {
            return Err(HerderError::AlreadyExists(format!("Connector {name} already exists")));
        }
        common::check_submission(&inner.worker, name, &config)?;
        config.insert("name".into(), name.to_string());
        tracing::info!(connector = %name, "creating connector");
        inner
            .config
            .create_connector(name, &config, initial)
            .await
            .map_err(internal)?;
        inner.catch_up().await?;
        inner.info(name)
    }

    async fn put_connector_config(&self, name: &str, mut config: ConfigMap) -> HerderResult<(bool, ConnectorInfo)> {
        let inner = &self.inner;
        inner.require_leader()?;
        inner.catch_up().await?;
        let created = !inner.config.with(|c| c.connectors.contains_key(name));
        common::check_submission(&inner.worker, name, &config)?;
        config.insert("name".into(), name.to_string());
        tracing::info!(connector = %name, created, "writing connector config");
        inner.config.put_connector(name, &config).await.map_err(internal)?;
        inner.catch_up().await?;
        Ok((created, inner.info(name)?))
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let inner = &self.inner;
        inner.require_leader()?;
        let _checked = inner.config.checked_writes().await;
        inner.catch_up().await?;
        inner.connector_config(name)?;
        tracing::info!(connector = %name, "deleting connector");
        inner.config.remove_connector(name).await.map_err(internal)?;
        inner.catch_up().await
    }

    async fn status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let config = self.inner.connector_config(name)?;
        let status = self
            .inner
            .worker
            .statuses()
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("No status found for connector {name}")))?;
        Ok(ConnectorStateInfo::from_status(
            name,
            common::connector_type(&config),
            &status,
        ))
    }

    async fn tasks(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.inner.config.with(|c| {
            if !c.connectors.contains_key(name) {
                return Err(HerderError::unknown_connector(name));
            }
            Ok(TaskInfo::list(
                name,
                c.tasks.get(name).map(Vec::as_slice).unwrap_or(&[]),
            ))
        })
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let inner = &self.inner;
        inner.require_leader()?;
        inner.catch_up().await?;
        let config = inner.connector_config(name)?;
        let status = inner.worker.statuses().get(name);
        inner
            .config
            .request_restart(name, include_tasks, only_failed)
            .await
            .map_err(internal)?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        let status = status.ok_or_else(|| HerderError::NotFound(format!("No status found for connector {name}")))?;
        let mut info = ConnectorStateInfo::from_status(name, common::connector_type(&config), &status);
        if !only_failed || info.connector.state == State::Failed {
            info.connector.state = State::Restarting;
        }
        if include_tasks {
            for task in info.tasks.iter_mut() {
                if !only_failed || task.state == State::Failed {
                    task.state = State::Restarting;
                    task.trace = None;
                }
            }
        }
        Ok(Some(info))
    }

    async fn restart_task(&self, name: &str, task: u32) -> HerderResult<()> {
        let inner = &self.inner;
        inner.connector_config(name)?;
        if inner.config.with(|c| c.task_count(name)) <= task as usize {
            return Err(HerderError::NotFound(format!("Task {name}-{task} not found")));
        }
        let key = (name.to_string(), task);
        {
            let mut local = inner.local.lock().await;
            if let Some(running) = local.tasks.remove(&key) {
                tracing::info!(connector = %name, task, "restarting task");
                running.handle.stop(inner.task_stop_timeout()).await;
                inner
                    .worker
                    .statuses()
                    .put_task(name, task, State::Restarting, None, inner.worker.worker_id());
                let handle = inner.worker.start_task(
                    name,
                    task,
                    &running.connector_config,
                    &running.task_config,
                    running.target,
                );
                local.tasks.insert(key, RunningTask { handle, ..running });
                return Ok(());
            }
        }
        let owner = inner
            .worker
            .statuses()
            .get(name)
            .and_then(|s| s.tasks.get(&task).map(|t| t.worker_id.clone()))
            .filter(|id| !id.is_empty() && id != inner.worker.worker_id());
        Err(HerderError::Forward {
            url: owner.map(|id| format!("http://{id}")),
        })
    }

    async fn set_target_state(&self, name: &str, state: TargetState) -> HerderResult<()> {
        let inner = &self.inner;
        inner.connector_config(name)?;
        tracing::info!(connector = %name, ?state, "writing target state");
        if state == TargetState::Stopped {
            // Only the leader writes task configs.
            inner.require_leader()?;
            inner.stop_tasks_cluster_wide(name).await?;
        } else {
            inner.config.put_target_state(name, state).await.map_err(internal)?;
        }
        inner.catch_up().await
    }

    async fn offsets(&self, name: &str) -> HerderResult<Vec<OffsetEntry>> {
        let inner = &self.inner;
        let config = inner.connector_config(name)?;
        inner.offsets.read_to_end().await.map_err(internal)?;
        common::read_offsets(&inner.worker, name, &config).await
    }

    async fn alter_offsets(&self, name: &str, offsets: Vec<OffsetEntry>) -> HerderResult<String> {
        let inner = &self.inner;
        inner.require_leader()?;
        let config = inner.stopped_connector(name).await?;
        common::alter_offsets(&inner.worker, name, &config, offsets).await
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        let inner = &self.inner;
        inner.require_leader()?;
        let config = inner.stopped_connector(name).await?;
        inner.offsets.read_to_end().await.map_err(internal)?;
        common::reset_offsets(&inner.worker, name, &config).await
    }

    async fn topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.inner.connector_config(name)?;
        Ok(self.inner.worker.statuses().topics(name))
    }

    async fn reset_topics(&self, name: &str) -> HerderResult<()> {
        self.inner.connector_config(name)?;
        self.inner.worker.statuses().reset_topics(name);
        Ok(())
    }

    async fn validate(&self, plugin: &str, config: ConfigMap) -> HerderResult<ConfigInfos> {
        common::validate_for_plugin(&self.inner.worker, plugin, config)
    }

    async fn kafka_cluster_id(&self) -> String {
        common::kafka_cluster_id(&self.inner.worker, &self.inner.cluster_id).await
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<ConfigMap>,
        signature: Option<RequestSignature>,
    ) -> HerderResult<()> {
        self.inner.require_leader()?;
        self.inner.verify(signature)?;
        write_task_configs(&self.inner.config, self.inner.fencing.as_ref(), name, configs).await
    }
}
