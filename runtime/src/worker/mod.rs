//! The worker: runs connector objects and their tasks, knowing nothing of clusters.
//!
//! A herder tells it to start or stop connector X and task X-n with config C; it builds the
//! converters, transforms, Kafka clients and error handling each task needs, runs the task loop
//! on its own tokio task, and reports states to the status store.

mod ack_log;
mod config;
mod delivery;
mod errant;
mod errors;
mod exactly_once;
pub mod listeners;
mod override_policy;
mod sink;
mod sink_context;
mod sink_topics;
mod source;
mod topic_creation;
mod transform_chain;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{
    connector_config_def, sink_config_def, source_config_def, worker_config_def, TopicTracking, WorkerConfig,
    CONNECTOR_CLASS, CONNECTOR_PLUGIN_VERSION, NAME, TASKS_MAX, TOPICS, TOPICS_REGEX,
};
use config::{CONNECTOR_OFFSETS_TOPIC, DEAD_LETTER_QUEUE_TOPIC};
pub use delivery::DeliveryTracker;
pub use errors::{ErrorHandler, RawRecord, Stage};
pub use exactly_once::ExactlyOnceSource;
pub use override_policy::OverridePolicy;
pub use sink_topics::{sink_consumer_group, SinkTopics};
use topic_creation::TopicCreation;
pub(crate) use transform_chain::transform_config_def;
pub use transform_chain::{TransformChain, PREDICATES, TRANSFORMS};

use crate::client::{ClientKind, ClientSettings};
use crate::config::{ConfigDef, ConfigMap, ConfigProviders, ValidationError};
use crate::connector::{find_connector, ConnectError, Connector, ConnectorContext, ConnectorPlugin, TaskFactory};
use crate::metrics::Metrics;
use crate::state::{State, TargetState};
use crate::storage::{ConnectorOffsetTopics, LayeredOffsetStore, OffsetStore, OffsetTopicClients, StatusStore};

/// A running task, as its herder holds it.
pub struct TaskHandle {
    control: watch::Sender<TargetState>,
    join: JoinHandle<()>,
}

impl TaskHandle {
    /// Pauses or resumes the task.
    pub fn set_target(&self, state: TargetState) {
        self.control.send_replace(state);
    }

    /// Stops the task: asks it to finish (flush, commit, `stop`), waits up to `timeout`, then
    /// abandons it.
    pub async fn stop(self, timeout: Duration) {
        self.control.send_replace(TargetState::Stopped);
        let abort = self.join.abort_handle();
        if tokio::time::timeout(timeout, self.join).await.is_err() {
            tracing::warn!("task did not stop within {timeout:?}; abandoning it");
            abort.abort();
        }
    }
}

/// Runs connectors and tasks for a herder.
pub struct Worker {
    config: WorkerConfig,
    providers: ConfigProviders,
    offsets: Arc<dyn OffsetStore>,
    statuses: Arc<StatusStore>,
    worker_id: String,
    /// Set when source tasks run exactly once (a distributed worker with
    /// `exactly.once.source.support=enabled`).
    exactly_once: Option<ExactlyOnceSource>,
    /// Source connectors' own offsets topics (distributed mode).
    connector_offset_topics: Option<Arc<ConnectorOffsetTopics>>,
    /// Connector names whose connectors asked for new task configs.
    reconfigurations: mpsc::UnboundedSender<String>,
    reconfiguration_requests: std::sync::Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

/// Everything a task loop needs from its worker.
pub(crate) struct TaskSetup {
    pub connector: String,
    pub task: u32,
    /// The connector's config, provider references resolved.
    pub connector_config: ConfigMap,
    /// The task's config from `task_configs`, provider references resolved.
    pub task_config: ConfigMap,
    pub worker: WorkerConfig,
    pub offsets: Arc<dyn OffsetStore>,
    pub statuses: Arc<StatusStore>,
    pub worker_id: String,
    pub exactly_once: Option<ExactlyOnceSource>,
    pub connector_offset_topics: Option<Arc<ConnectorOffsetTopics>>,
    pub control: watch::Receiver<TargetState>,
}

impl TaskSetup {
    /// Reports the task's state.
    pub(crate) fn report(&self, state: State, trace: Option<String>) {
        if let Some(trace) = &trace {
            tracing::error!(connector = %self.connector, task = self.task, "task failed: {trace}");
        }
        self.statuses
            .put_task(&self.connector, self.task, state, trace, &self.worker_id);
        let name = match state {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
        };
        Metrics::global().set_task_state(&self.connector, self.task, name);
    }

    /// The Kafka client settings of this task's client of `kind`: the worker's `<kind>.*`
    /// settings, then the connector's `<kind>.override.*` settings, translated for librdkafka;
    /// overrides the worker's policy refuses and settings it cannot honour fail the task.
    pub(crate) fn client_settings(&self, kind: ClientKind, client_id: &str) -> Result<ClientSettings, ConnectError> {
        let mut settings = connector_client_settings(&self.worker, &self.connector, &self.connector_config, kind)?;
        settings.set("client.id", client_id);
        Ok(settings)
    }

    /// The offsets of a source task's connector: the worker's, under those of the
    /// connector's own offsets topic when it names one.
    pub(crate) async fn source_offsets(&self) -> Result<Arc<dyn OffsetStore>, ConnectError> {
        source_offsets(
            &self.worker,
            self.offsets.clone(),
            self.connector_offset_topics.as_deref(),
            &self.connector,
            &self.connector_config,
        )
        .await
    }
}

/// The settings of a client of `kind` for connector `name`'s work: the worker's `<kind>.*`
/// settings, then the connector's `<kind>.override.*` settings, translated for librdkafka;
/// overrides the worker's policy refuses and settings librdkafka cannot honour are errors.
fn connector_client_settings(
    worker: &WorkerConfig,
    name: &str,
    connector_config: &ConfigMap,
    kind: ClientKind,
) -> Result<ClientSettings, ConnectError> {
    worker.override_policy().check(connector_config, kind)?;
    let java = with_overrides(worker.java_client_settings(kind), connector_config, kind);
    let settings = ClientSettings::translate(&java, kind).map_err(|errors| {
        ConnectError::fatal(format!(
            "the {} settings of connector {name} are invalid: {}",
            kind.prefix(),
            crate::client::describe(&errors)
        ))
    })?;
    settings.warn_unused(&format!("{name} {}", kind.prefix()));
    Ok(settings)
}

/// The offset store of source connector `name`: `worker_offsets`, under a store of the
/// connector's `offsets.storage.topic` when `topics` (distributed mode) and the config name
/// one other than the worker's own topic on the worker's cluster (Apache's
/// `offsetStoreForRegularSourceConnector`).
async fn source_offsets(
    worker: &WorkerConfig,
    worker_offsets: Arc<dyn OffsetStore>,
    topics: Option<&ConnectorOffsetTopics>,
    name: &str,
    connector_config: &ConfigMap,
) -> Result<Arc<dyn OffsetStore>, ConnectError> {
    let topic = CONNECTOR_OFFSETS_TOPIC.read(connector_config);
    let topic = topic.trim();
    let Some(topics) = topics.filter(|_| !topic.is_empty()) else {
        return Ok(worker_offsets);
    };
    let client =
        |kind| connector_client_settings(worker, name, connector_config, kind).map(|settings| settings.client_config());
    let clients = OffsetTopicClients {
        consumer: client(ClientKind::Consumer)?,
        producer: client(ClientKind::Producer)?,
        admin: client(ClientKind::Admin)?,
    };
    let worker_cluster = worker
        .java_client_settings(ClientKind::Producer)
        .get("bootstrap.servers")
        .cloned();
    if topics.is_workers(topic) && clients.producer.get("bootstrap.servers") == worker_cluster.as_deref() {
        return Ok(worker_offsets);
    }
    let own = topics
        .store(topic, clients)
        .await
        .map_err(|e| ConnectError::caused(format!("cannot read the connector's offsets topic {topic}"), e))?;
    Ok(Arc::new(LayeredOffsetStore::new(own, worker_offsets)))
}

/// `java` with a connector's `<kind>.override.*` settings on top.
fn with_overrides(mut java: ConfigMap, connector_config: &ConfigMap, kind: ClientKind) -> ConfigMap {
    let prefix = format!("{}.override.", kind.prefix());
    for (key, value) in connector_config {
        if let Some(rest) = key.strip_prefix(&prefix) {
            java.insert(rest.to_string(), value.clone());
        }
    }
    java
}

/// A validation error for each `<kind>.override.*` setting a client cannot honour.
fn override_errors(worker: &WorkerConfig, connector_config: &ConfigMap) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    for kind in [ClientKind::Producer, ClientKind::Consumer, ClientKind::Admin] {
        let java = with_overrides(worker.java_client_settings(kind), connector_config, kind);
        for error in ClientSettings::translate(&java, kind).err().unwrap_or_default() {
            let key = format!("{}.override.{}", kind.prefix(), error.key);
            if connector_config.contains_key(&key) {
                errors.push(ValidationError {
                    message: format!("Invalid value for configuration {key}: {}", error.message),
                    key,
                });
            }
        }
    }
    errors
}

/// The Kafka clients the tasks of a connector `config` use, as Apache's herder counts them
/// (`connectorUsesProducer` and the like): a source's producer, and its admin client with
/// `topic.creation.*`; a sink's consumer, and with a dead letter queue its producer and admin
/// client.
fn clients_used(tasks: &TaskFactory, config: &ConfigMap) -> Vec<ClientKind> {
    match tasks {
        TaskFactory::Source(_) if TopicCreation::asked_for(config) => {
            vec![ClientKind::Producer, ClientKind::Admin]
        }
        TaskFactory::Source(_) => vec![ClientKind::Producer],
        TaskFactory::Sink(_) if !DEAD_LETTER_QUEUE_TOPIC.read(config).trim().is_empty() => {
            vec![ClientKind::Consumer, ClientKind::Producer, ClientKind::Admin]
        }
        TaskFactory::Sink(_) => vec![ClientKind::Consumer],
    }
}

impl Worker {
    /// A worker with its stores.
    pub fn new(
        config: WorkerConfig,
        offsets: Arc<dyn OffsetStore>,
        statuses: Arc<StatusStore>,
    ) -> Result<Self, ConnectError> {
        let providers = ConfigProviders::from_worker_config(&config.raw).map_err(ConnectError::failed)?;
        let worker_id = config.worker_id();
        let (reconfigurations, requests) = mpsc::unbounded_channel();
        Ok(Worker {
            config,
            providers,
            offsets,
            statuses,
            worker_id,
            exactly_once: None,
            connector_offset_topics: None,
            reconfigurations,
            reconfiguration_requests: std::sync::Mutex::new(Some(requests)),
        })
    }

    /// Lets source connectors keep their offsets in a topic of their own
    /// (`offsets.storage.topic`), as a distributed worker does.
    pub fn with_connector_offset_topics(mut self, topics: ConnectorOffsetTopics) -> Self {
        self.connector_offset_topics = Some(Arc::new(topics));
        self
    }

    /// The offsets of source connector `name` with `config` (its own offsets topic's over the
    /// worker's, when it names one).
    pub async fn source_offsets(&self, name: &str, config: &ConfigMap) -> Result<Arc<dyn OffsetStore>, ConnectError> {
        let resolved = self.providers.resolve(config).map_err(ConnectError::failed)?;
        source_offsets(
            &self.config,
            self.offsets.clone(),
            self.connector_offset_topics.as_deref(),
            name,
            &resolved,
        )
        .await
    }

    /// Runs source tasks exactly once, as `identity` (a distributed worker whose config enables
    /// `exactly.once.source.support`).
    pub fn with_exactly_once_source(mut self, identity: ExactlyOnceSource) -> Self {
        self.exactly_once = Some(identity);
        self
    }

    /// How source tasks run exactly once, if they do.
    pub fn exactly_once_source(&self) -> Option<&ExactlyOnceSource> {
        self.exactly_once.as_ref()
    }

    /// The names of connectors that asked for their task configs to be regenerated
    /// ([`ConnectorContext::request_task_reconfiguration`]); for the herder, once.
    pub fn take_reconfiguration_requests(&self) -> Option<mpsc::UnboundedReceiver<String>> {
        self.reconfiguration_requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The worker's settings.
    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// The id shown in statuses.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The status store.
    pub fn statuses(&self) -> &Arc<StatusStore> {
        &self.statuses
    }

    /// Every problem with a connector config: framework keys, the plugin's keys, transforms,
    /// converters, and the connector's own cross-key checks. Provider references are resolved
    /// first, so a missing secret is reported too.
    pub fn validate(&self, config: &ConfigMap) -> (Option<&'static ConnectorPlugin>, ConfigDef, Vec<ValidationError>) {
        let class = config.get(CONNECTOR_CLASS.name()).cloned().unwrap_or_default();
        let plugin = find_connector(&class).ok();
        let framework = match plugin.map(|p| p.tasks) {
            Some(TaskFactory::Sink(_)) => sink_config_def(),
            Some(TaskFactory::Source(_)) => source_config_def(),
            None => connector_config_def(),
        };
        let def = match plugin {
            Some(p) => framework.merge(&(p.config_def)()),
            None => framework,
        };
        let resolved = match self.providers.resolve(config) {
            Ok(resolved) => resolved,
            Err(e) => {
                let key = match &e {
                    crate::config::ProviderError::UnknownProvider { key, .. }
                    | crate::config::ProviderError::Unresolved { key, .. } => key.clone(),
                    crate::config::ProviderError::UnsupportedClass { name, .. } => name.clone(),
                };
                return (
                    plugin,
                    def,
                    vec![ValidationError {
                        key,
                        message: e.to_string(),
                    }],
                );
            }
        };
        let mut errors = def.validate(&resolved);
        if plugin.is_none() && !class.trim().is_empty() {
            errors.push(ValidationError {
                key: CONNECTOR_CLASS.name().into(),
                message: format!(
                    "Invalid value {class} for configuration connector.class: Class {class} could not be found."
                ),
            });
        }
        if let Some(plugin) = plugin {
            match plugin.tasks {
                TaskFactory::Sink(_) => errors.extend(SinkTopics::new(&resolved).err().unwrap_or_default()),
                TaskFactory::Source(_) if self.config.topic_creation() => {
                    errors.extend(TopicCreation::from_config(&resolved).err().unwrap_or_default());
                }
                TaskFactory::Source(_) => {}
            }
            if let Some(validate) = plugin.validate {
                errors.extend(validate(&resolved));
            }
        }
        errors.extend(override_errors(&self.config, &resolved));
        if let Some(plugin) = plugin {
            let policy = self.config.override_policy();
            for kind in clients_used(&plugin.tasks, &resolved) {
                errors.extend(policy.refusals(&resolved, kind));
            }
        }
        if let Err(chain_errors) = TransformChain::from_config(&resolved) {
            errors.extend(chain_errors);
        }
        for role in [
            crate::converter::ConverterRole::Key,
            crate::converter::ConverterRole::Value,
            crate::converter::ConverterRole::Header,
        ] {
            let Some(class) = resolved.get(role.config_key()).filter(|c| !c.trim().is_empty()) else {
                continue;
            };
            // The converter's own settings' problems are theirs, as in Apache's answer; a
            // converter that cannot be made otherwise is its class key's.
            let settings_errors = crate::converter::find_converter(class)
                .map(|plugin| crate::converter::converter_setting_errors(plugin, role, &resolved))
                .unwrap_or_default();
            if !settings_errors.is_empty() {
                errors.extend(settings_errors);
            } else if let Err(e) = crate::converter::converter_for(role, &resolved, &self.config.raw) {
                errors.push(ValidationError {
                    key: role.config_key().into(),
                    message: format!("Invalid value for configuration {}: {e}", role.config_key()),
                });
            }
        }
        (plugin, def, errors)
    }

    /// The Kafka clients Apache's worker sets up for a source connector object (its offset
    /// store's): a producer, and with exactly-once support a consumer and an admin client.
    fn source_connector_clients(&self) -> &'static [ClientKind] {
        if self.exactly_once.is_some() {
            &[ClientKind::Producer, ClientKind::Consumer, ClientKind::Admin]
        } else {
            &[ClientKind::Producer]
        }
    }

    /// Creates and starts connector `name`'s connector object.
    pub async fn start_connector(&self, name: &str, config: &ConfigMap) -> Result<Box<dyn Connector>, ConnectError> {
        let resolved = self.providers.resolve(config).map_err(ConnectError::failed)?;
        let class = resolved.get(CONNECTOR_CLASS.name()).cloned().unwrap_or_default();
        let plugin = find_connector(&class).map_err(ConnectError::failed)?;
        let offsets = if let TaskFactory::Source(_) = plugin.tasks {
            // Apache's source connector sets up its offset store's clients, checked then.
            for &kind in self.source_connector_clients() {
                self.config.override_policy().check(&resolved, kind)?;
            }
            let topics = self.connector_offset_topics.as_deref();
            source_offsets(&self.config, self.offsets.clone(), topics, name, &resolved).await?
        } else {
            self.offsets.clone()
        };
        let mut connector = (plugin.create)(&resolved)?;
        let context = ConnectorContext::new(
            name.to_string(),
            Arc::new(crate::storage::ConnectorOffsetsReader::new(offsets, name)),
            self.reconfigurations.clone(),
        );
        connector.start(context).await?;
        Ok(connector)
    }

    /// Starts task `task` of connector `name` in `target` state.
    pub fn start_task(
        &self,
        name: &str,
        task: u32,
        connector_config: &ConfigMap,
        task_config: &ConfigMap,
        target: TargetState,
    ) -> TaskHandle {
        let (control, control_rx) = watch::channel(target);
        // The task's retry count exists (at 0) from its start, so that alerts and dashboards
        // see a series rather than none.
        Metrics::global()
            .task_retries
            .with_label_values(&[name, task.to_string().as_str()])
            .inc_by(0);
        let resolved = self
            .providers
            .resolve(connector_config)
            .and_then(|c| self.providers.resolve(task_config).map(|t| (c, t)));
        let setup = |connector_config: ConfigMap, task_config: ConfigMap| TaskSetup {
            connector: name.to_string(),
            task,
            connector_config,
            task_config,
            worker: self.config.clone(),
            offsets: self.offsets.clone(),
            statuses: self.statuses.clone(),
            worker_id: self.worker_id.clone(),
            exactly_once: self.exactly_once.clone(),
            connector_offset_topics: self.connector_offset_topics.clone(),
            control: control_rx,
        };
        let join = match resolved {
            Err(e) => {
                let setup = setup(connector_config.clone(), task_config.clone());
                let message = e.to_string();
                tokio::spawn(async move { setup.report(State::Failed, Some(message)) })
            }
            Ok((connector_config, task_config)) => {
                let class = connector_config
                    .get(CONNECTOR_CLASS.name())
                    .cloned()
                    .unwrap_or_default();
                let setup = setup(connector_config, task_config);
                match find_connector(&class).map(|p| p.tasks) {
                    Ok(TaskFactory::Source(make)) => tokio::spawn(source::run(setup, make)),
                    Ok(TaskFactory::Sink(make)) => tokio::spawn(sink::run(setup, make)),
                    Err(e) => {
                        let message = e.to_string();
                        tokio::spawn(async move { setup.report(State::Failed, Some(message)) })
                    }
                }
            }
        };
        TaskHandle { control, join }
    }
}
