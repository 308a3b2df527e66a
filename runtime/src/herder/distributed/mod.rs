//! The distributed herder: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in Kafka topics, and split the
//! connectors and tasks between them. Kafka is the whole coordination engine, as for Apache
//! Kafka Connect: no consensus of our own, no external store.
//!
//! [`DistributedHerder`] serves the REST API from the config and status topics
//! ([`requests`]), writes what changes (as the leader for connector and task configs, as any
//! worker for target states), and runs the work the leader assigns it. One loop
//! ([`DistributedHerder::run`]) reacts to group events, config-topic changes and a periodic tick
//! by *reconciling* ([`reconcile`]): comparing what runs here with what the assignment and the
//! latest config say ([`plan`]), stopping what must stop first, then starting what is missing.
//! Everything that runs here is reported in the member's JoinGroup metadata, which is how the
//! leader ([`leader`]) moves only what must move.

mod assignor;
mod connection;
mod group;
mod leader;
mod liveness;
mod plan;
mod protocol;
mod reconcile;
mod requests;
mod settings;
mod transport;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch, OnceCell};

use crate::client::describe;
use crate::config::ConfigMap;
use crate::connector::Connector;
use crate::error_chain::with_causes;
use crate::herder::{HerderError, HerderResult};
use crate::state::TargetState;
use crate::storage::{ConfigLog, KafkaOffsetStore, StoreError};
use crate::worker::{TaskHandle, Worker};
use group::{Coordination, GroupCommand, GroupEvent, GroupSettings};
use leader::{Fencing, LeaderMemory};
use protocol::{Assignment, AssignmentError, Work};

pub use settings::DistributedSettings;

/// How often the herder reconciles even when nothing was announced (retries included).
const TICK: Duration = Duration::from_secs(2);
/// How long the last status writes may take when the worker stops.
const STATUS_FLUSH_ON_EXIT: Duration = Duration::from_secs(5);

/// What this worker knows of the group and tells it. One lock for all of it, held only
/// for reads and writes of these fields (never across an await): the group's thread reads
/// `owned` and the leader's memory while the herder reconciles.
#[derive(Debug, Default)]
struct View {
    leader: bool,
    leader_url: Option<String>,
    rebalance_requested: bool,
    /// An assignment has been received: the worker is a member of its cluster.
    joined: bool,
    /// What runs here, as told to the group in this member's JoinGroup metadata.
    owned: BTreeSet<Work>,
    /// Every connector and task the config held when this member took its last assignment:
    /// when the config topic adds or removes work beyond it, every member rejoins at once (as
    /// Apache's workers do), instead of the followers learning of the leader's rebalance at
    /// their next heartbeat.
    work_at_assignment: BTreeSet<Work>,
    /// As the leader: what it remembers between rebalances.
    leader_memory: LeaderMemory,
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
    /// Held across the awaits of a reconcile pass, so that passes do not interleave.
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn internal(e: StoreError) -> HerderError {
    HerderError::Internal(with_causes(&e))
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
        let fencing = Fencing::from_worker(&worker);
        DistributedHerder {
            inner: Arc::new(Inner {
                worker,
                config,
                offsets,
                settings,
                url,
                view: Mutex::new(View::default()),
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
        inner.commands.set(commands.clone()).ok();
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
        if tokio::time::timeout(STATUS_FLUSH_ON_EXIT, (inner.status_flush)())
            .await
            .is_err()
        {
            tracing::warn!("statuses not all written within {STATUS_FLUSH_ON_EXIT:?} of stopping");
        }
        let (done, left) = oneshot::channel();
        if commands.send(GroupCommand::Leave(done)).is_ok()
            && tokio::time::timeout(Duration::from_secs(10), left).await.is_err()
        {
            tracing::warn!("did not leave the group within 10 s; stopping anyway");
        }
        result
    }
}

/// The group view.
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
            commands.send(GroupCommand::Rejoin(reason.to_string())).ok();
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
                tracing::warn!("reading the config topic: {}", with_causes(&e));
            }
        }
        if let Err(e) = self.offsets.read_to_end().await {
            tracing::warn!("reading the offsets topic: {}", with_causes(&e));
        }
        let (work, work_changed_at) = self.config.with(|c| (leader::all_work(c), c.work_changed_at));
        lock(&self.view).work_at_assignment = work;
        self.local.lock().await.assigned = assignment.work.clone();
        self.reconcile().await;
        if !assignment.revoked.is_empty() {
            // What was revoked is stopped; let the group hand it over.
            (self.status_flush)().await.ok();
            lock(&self.view).rebalance_requested = false;
            self.request_rebalance("revoked work has stopped");
        } else if work_changed_at > assignment.config_offset {
            // Connectors or tasks were added or removed after the config the leader assigned
            // from, and read here before this assignment was taken in: the comparisons of later
            // passes start from the config as it is now and would not see that change.
            self.request_rebalance("connectors or tasks changed after the assignment's config");
        }
    }
}
