//! The distributed herder itself: serves the REST API from the config and status topics,
//! writes what changes (as the leader for connector and task configs, as any worker for target
//! states), and runs the work the leader assigns it.
//!
//! One loop reacts to group events, config-topic changes and a periodic tick by *reconciling*:
//! comparing what runs here with what the assignment and the latest config say, stopping what
//! must stop first, then starting what is missing. Everything that runs here is reported in the
//! member's JoinGroup metadata, which is how the leader moves only what must move.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot, watch, OnceCell};

mod leader;
mod plan;

use leader::{all_work, write_task_configs, Fencing, LeaderMemory};
use plan::{AfterStop, ConnectorStep, Plan};

use super::group::{self, Coordination, GroupCommand, GroupEvent, GroupSettings};
use super::protocol::{Assignment, AssignmentError, Work};
use super::DistributedSettings;
use crate::client::describe;
use crate::config::ConfigMap;
use crate::connector::Connector;
use crate::herder::{
    common, ConfigInfos, ConnectorInfo, ConnectorStateInfo, Herder, HerderError, HerderResult, OffsetEntry, TaskId,
    TaskInfo,
};
use crate::rest::signature::{sign, RequestSignature};
use crate::storage::{ClusterConfig, ConfigLog, KafkaOffsetStore, SessionKey, State, StoreError};
use crate::worker::{TargetState, TaskHandle, Worker};

/// How often the herder reconciles even when nothing was announced (retries included).
const TICK: Duration = Duration::from_secs(2);
/// How long the last status writes may take when the worker stops.
const STATUS_FLUSH_ON_EXIT: Duration = Duration::from_secs(5);
/// How long a submission of task configs to the leader is given before it is retried.
const SUBMIT_RETRY: Duration = Duration::from_secs(5);

/// What this worker knows of the group.
#[derive(Debug, Default)]
struct View {
    leader: bool,
    leader_url: Option<String>,
    rebalance_requested: bool,
    /// An assignment has been received: the worker is a member of its cluster.
    joined: bool,
}

/// A connector object that runs here (`C` is the object; the planner's tests use `()`).
struct RunningConnector<C = Box<dyn Connector>> {
    /// The config it was started with.
    config: ConfigMap,
    target: TargetState,
    /// `None` while STOPPED or after a failed start.
    connector: Option<C>,
    /// The task configs it generated last.
    generated: Option<Vec<ConfigMap>>,
    /// When those were last sent to the leader.
    submitted: Option<Instant>,
}

/// A task that runs here (`T` is its handle; the planner's tests use `()`).
struct RunningTask<T = TaskHandle> {
    handle: T,
    connector_config: ConfigMap,
    task_config: ConfigMap,
    target: TargetState,
}

/// What runs here, and what should.
struct Local<C = Box<dyn Connector>, T = TaskHandle> {
    assigned: BTreeSet<Work>,
    connectors: BTreeMap<String, RunningConnector<C>>,
    tasks: BTreeMap<(String, u32), RunningTask<T>>,
    /// Restart requests at or past this config offset are still to be acted on.
    restarts_from: i64,
}

struct Inner {
    worker: Worker,
    config: Arc<ConfigLog>,
    offsets: Arc<KafkaOffsetStore>,
    settings: DistributedSettings,
    url: String,
    view: Mutex<View>,
    owned: Mutex<BTreeSet<Work>>,
    leader_memory: Mutex<LeaderMemory>,
    local: tokio::sync::Mutex<Local>,
    commands: OnceLock<mpsc::UnboundedSender<GroupCommand>>,
    cluster_id: OnceCell<String>,
    /// Reaches other workers' REST APIs.
    http: reqwest::Client,
    /// Set once the worker is stopping for good.
    stopping: std::sync::atomic::AtomicBool,
    /// Waits until the status writes made so far are acknowledged.
    status_flush: Box<dyn Fn() -> oneshot::Receiver<()> + Send + Sync>,
    fencing: Option<Fencing>,
}

/// A worker of a distributed cluster.
#[derive(Clone)]
pub struct DistributedHerder {
    inner: Arc<Inner>,
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stops the connector object, if one runs; a failed stop is logged.
async fn stop_connector_object(name: &str, running: &mut RunningConnector) {
    if let Some(mut connector) = running.connector.take() {
        if let Err(e) = connector.stop().await {
            tracing::warn!(connector = %name, "connector stop failed: {e}");
        }
    }
}

fn internal(e: StoreError) -> HerderError {
    HerderError::Internal(e.to_string())
}

impl DistributedHerder {
    /// A herder over started stores; `status_flush` resolves once pending status writes are
    /// acknowledged. [`DistributedHerder::run`] joins the group.
    pub fn new(
        worker: Worker,
        config: Arc<ConfigLog>,
        offsets: Arc<KafkaOffsetStore>,
        settings: DistributedSettings,
        url: String,
        http: reqwest::Client,
        status_flush: Box<dyn Fn() -> oneshot::Receiver<()> + Send + Sync>,
    ) -> Self {
        let restarts_from = config.with(|c| c.offset);
        let fencing = Fencing::from_worker(worker.config());
        DistributedHerder {
            inner: Arc::new(Inner {
                worker,
                config,
                offsets,
                settings,
                url,
                view: Mutex::new(View::default()),
                owned: Mutex::new(BTreeSet::new()),
                leader_memory: Mutex::new(LeaderMemory::default()),
                local: tokio::sync::Mutex::new(Local {
                    assigned: BTreeSet::new(),
                    connectors: BTreeMap::new(),
                    tasks: BTreeMap::new(),
                    restarts_from,
                }),
                commands: OnceLock::new(),
                cluster_id: OnceCell::new(),
                http,
                stopping: std::sync::atomic::AtomicBool::new(false),
                status_flush,
                fencing,
            }),
        }
    }

    /// The worker.
    pub fn worker(&self) -> &Worker {
        &self.inner.worker
    }

    /// Whether this worker leads the group now.
    pub fn is_leader(&self) -> bool {
        self.inner.is_leader()
    }

    /// Joins the group and runs the assigned work until `shutdown` turns true (then stops
    /// everything, leaves the group and returns) or the worker cannot take part (an error).
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), String> {
        let inner = &self.inner;
        let settings = GroupSettings {
            bootstrap: inner
                .worker
                .config()
                .bootstrap_servers()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            group_id: inner.settings.group_id.clone(),
            client_id: format!("connect-{}", inner.worker.worker_id()),
            session_timeout: inner.settings.session_timeout,
            rebalance_timeout: inner.settings.rebalance_timeout,
            heartbeat_interval: inner.settings.heartbeat_interval,
            security: inner
                .worker
                .config()
                .group_security()
                .map_err(|errors| describe(&errors))?,
        };
        let coordination: Arc<dyn Coordination> = inner.clone();
        let (commands, mut events) = group::spawn(settings, coordination);
        let _ = inner.commands.set(commands.clone());
        let mut changes = inner.config.changes();
        let mut reconfigurations = inner.worker.take_reconfiguration_requests();
        let mut tick = tokio::time::interval(TICK);
        let mut rejoin_at: Option<tokio::time::Instant> = None;
        let result = loop {
            tokio::select! {
                event = events.recv() => match event {
                    None => break Err("the group membership stopped".to_string()),
                    Some(GroupEvent::Assigned { generation, member_id, leader, assignment }) => {
                        if let Some(AssignmentError::DuplicateUrl(url)) = &assignment.error {
                            break Err(format!(
                                "another worker of group {} already advertises the REST URL {url}; give each worker its own rest.advertised.host.name/rest.advertised.port",
                                inner.settings.group_id
                            ));
                        }
                        tracing::info!(generation, member = %member_id, leader, leader_url = %assignment.leader_url, "assignment received");
                        rejoin_at = (leader && assignment.delay_ms > 0)
                            .then(|| tokio::time::Instant::now() + Duration::from_millis(assignment.delay_ms));
                        inner.on_assignment(generation, leader, assignment).await;
                    }
                    Some(GroupEvent::Rebalancing) => tracing::info!("the group is rebalancing"),
                    Some(GroupEvent::Lost(reason)) => {
                        tracing::warn!("lost group membership ({reason}); stopping all work");
                        {
                            let mut view = lock(&inner.view);
                            view.leader = false;
                            view.leader_url = None;
                        }
                        inner.local.lock().await.assigned.clear();
                        inner.reconcile().await;
                    }
                    Some(GroupEvent::Fatal(message)) => break Err(message),
                },
                changed = changes.changed() => {
                    if changed.is_err() {
                        break Err("the config topic reader stopped".to_string());
                    }
                    inner.reconcile().await;
                }
                _ = tick.tick() => inner.reconcile().await,
                Some(name) = async { match &mut reconfigurations { Some(r) => r.recv().await, None => None } }, if reconfigurations.is_some() => {
                    if let Some(running) = inner.local.lock().await.connectors.get_mut(&name) {
                        // Generated anew (and submitted at once if changed) by the next pass.
                        running.generated = None;
                        running.submitted = None;
                    }
                    inner.reconcile().await;
                }
                _ = async { if let Some(at) = rejoin_at { tokio::time::sleep_until(at).await } }, if rejoin_at.is_some() => {
                    rejoin_at = None;
                    inner.request_rebalance("held-back work of a departed worker is due");
                }
                _ = shutdown.changed() => {
                    if *shutdown.borrow() {
                        break Ok(());
                    }
                }
            }
        };
        // Stopping for good: tasks get `task.shutdown.graceful.timeout.ms`, as in Apache, and
        // each further step its own bound, so that a worker whose Kafka is gone still exits.
        inner.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        inner.local.lock().await.assigned.clear();
        inner.reconcile().await;
        let _ = tokio::time::timeout(STATUS_FLUSH_ON_EXIT, (inner.status_flush)()).await;
        let (done, left) = oneshot::channel();
        if commands.send(GroupCommand::Leave(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), left).await;
        }
        result
    }
}

impl Inner {
    fn is_leader(&self) -> bool {
        lock(&self.view).leader
    }

    /// `Forward` to the leader unless this worker is the leader.
    fn require_leader(&self) -> HerderResult<()> {
        let view = lock(&self.view);
        if view.leader {
            Ok(())
        } else {
            Err(HerderError::Forward {
                url: view.leader_url.clone(),
            })
        }
    }

    fn request_rebalance(&self, reason: &str) {
        {
            let mut view = lock(&self.view);
            if view.rebalance_requested {
                return;
            }
            view.rebalance_requested = true;
        }
        tracing::info!("requesting a rebalance: {reason}");
        if let Some(commands) = self.commands.get() {
            let _ = commands.send(GroupCommand::Rejoin(reason.to_string()));
        }
    }

    async fn on_assignment(&self, generation: i32, leader: bool, assignment: Assignment) {
        {
            let mut view = lock(&self.view);
            view.leader = leader;
            view.leader_url = Some(assignment.leader_url.clone());
            view.rebalance_requested = false;
            view.joined = true;
        }
        self.worker.statuses().set_generation(generation);
        // Never start work on a config older than the leader's.
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.config.with(|c| c.offset) < assignment.config_offset && Instant::now() < deadline {
            if let Err(e) = self.config.read_to_end().await {
                tracing::warn!("reading the config topic: {e}");
            }
        }
        if let Err(e) = self.offsets.read_to_end().await {
            tracing::warn!("reading the offsets topic: {e}");
        }
        self.local.lock().await.assigned = assignment.work.clone();
        self.reconcile().await;
        if !assignment.revoked.is_empty() {
            // What was revoked is stopped; let the group hand it over.
            let _ = (self.status_flush)().await;
            lock(&self.view).rebalance_requested = false;
            self.request_rebalance("revoked work has stopped");
        }
    }

    /// How long a task may take to stop: `task.shutdown.graceful.timeout.ms` when the worker
    /// stops, the hand-over bound when work moves within the cluster.
    fn task_stop_timeout(&self) -> Duration {
        let config = self.worker.config();
        if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            config.task_shutdown_timeout()
        } else {
            config.task_handover_timeout()
        }
    }

    /// Brings what runs here in line with the assignment and the latest config: [`plan::plan`]
    /// decides, [`Inner::apply`] acts.
    async fn reconcile(&self) {
        if self.is_leader() {
            self.renew_session_key().await;
        }
        let snapshot = self.config.snapshot();
        let mut local = self.local.lock().await;
        let local = &mut *local;
        let statuses = self.worker.statuses();
        let plan = plan::plan(&snapshot, local, |name| statuses.get(name));
        self.apply(plan, &snapshot, local).await;

        *lock(&self.owned) = local
            .connectors
            .keys()
            .map(|name| Work::Connector(name.clone()))
            .chain(local.tasks.keys().map(|(name, task)| Work::Task(name.clone(), *task)))
            .collect();

        if self.is_leader() && all_work(&snapshot) != lock(&self.leader_memory).all {
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
                    statuses.put_connector(&name, common::observed(target), None, worker_id);
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
                statuses.put_connector(name, common::observed(target), None, worker_id);
            }
            Err(e) => {
                tracing::error!(connector = %name, "connector failed to start: {e}");
                statuses.put_connector(name, State::Failed, Some(e.to_string()), worker_id);
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
                    Err(e) => Err(e.to_string()),
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

    /// As the leader: writes a session key when there is none, or when it is older than
    /// `inter.worker.key.ttl.ms`.
    async fn renew_session_key(&self) {
        let signing = &self.settings.signing;
        let now_ms = now_millis();
        let ttl_ms = i64::try_from(signing.key_ttl.as_millis()).unwrap_or(i64::MAX);
        let fresh = self.config.with(|c| {
            c.session_key
                .as_ref()
                .is_some_and(|k| k.algorithm == signing.key_algorithm && now_ms.saturating_sub(k.created_ms) < ttl_ms)
        });
        if fresh {
            return;
        }
        let mut key = vec![0u8; signing.key_size_bits.div_ceil(8)];
        if let Err(e) = openssl::rand::rand_bytes(&mut key) {
            tracing::warn!("cannot make a session key: {e}");
            return;
        }
        let session_key = SessionKey {
            key,
            algorithm: signing.key_algorithm.clone(),
            created_ms: now_ms,
        };
        let written = self.config.put_session_key(&session_key).await;
        match written.and(self.config.read_to_end().await) {
            Ok(()) => tracing::info!(algorithm = %session_key.algorithm, "wrote a new session key"),
            Err(e) => tracing::warn!("cannot write a new session key: {e}"),
        }
    }

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
        common::read_offsets(&inner.worker, name, &config, inner.offsets.as_ref()).await
    }

    async fn alter_offsets(&self, name: &str, offsets: Vec<OffsetEntry>) -> HerderResult<String> {
        let inner = &self.inner;
        inner.require_leader()?;
        let config = inner.stopped_connector(name).await?;
        common::alter_offsets(&inner.worker, name, &config, inner.offsets.as_ref(), offsets).await
    }

    async fn reset_offsets(&self, name: &str) -> HerderResult<String> {
        let inner = &self.inner;
        inner.require_leader()?;
        let config = inner.stopped_connector(name).await?;
        inner.offsets.read_to_end().await.map_err(internal)?;
        common::reset_offsets(&inner.worker, name, &config, inner.offsets.as_ref()).await
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
