//! Group membership through Kafka's group coordinator, with protocol type `connect`:
//! FindCoordinator, JoinGroup (with the MEMBER_ID_REQUIRED round trip), SyncGroup, Heartbeat
//! and LeaveGroup, on a task of its own so that heartbeats never wait for the herder.
//!
//! The member keeps running its work during a rebalance (the leader's assignments only move
//! what must move). It tells the herder to drop everything at once when it learns it is out of
//! the group, or when it has not reached the coordinator for a whole session timeout: by then
//! the group has given its work to others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::{mpsc, oneshot};

use super::connection::{Connection, ConnectionError};
use super::liveness;
use super::protocol::{Assignment, MemberMetadata, PROTOCOL_NAME, PROTOCOL_TYPE};
use crate::client::KafkaSecurity;
use crate::metrics::Metrics;

/// Kafka error codes the membership reacts to.
mod codes {
    pub(super) const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    pub(super) const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub(super) const NOT_COORDINATOR: i16 = 16;
    pub(super) const ILLEGAL_GENERATION: i16 = 22;
    pub(super) const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub(super) const UNKNOWN_MEMBER_ID: i16 = 25;
    pub(super) const REBALANCE_IN_PROGRESS: i16 = 27;
    pub(super) const MEMBER_ID_REQUIRED: i16 = 79;
}

/// How the member reaches the group.
#[derive(Debug, Clone)]
pub(super) struct GroupSettings {
    /// Bootstrap brokers (`host:port`).
    pub bootstrap: Vec<String>,
    /// `group.id`.
    pub group_id: String,
    /// Client id sent with every request.
    pub client_id: String,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `rebalance.timeout.ms`.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// How connections reach the brokers (the worker's `security.protocol`, `ssl.*`, `sasl.*`).
    pub security: KafkaSecurity,
}

/// What the membership tells the herder.
#[derive(Debug)]
pub(super) enum GroupEvent {
    /// The assignment of a new generation.
    Assigned {
        /// The generation.
        generation: i32,
        /// This member's id.
        member_id: String,
        /// Whether this member is the leader.
        leader: bool,
        /// What to run.
        assignment: Assignment,
    },
    /// A rebalance has started; keep running until the new assignment arrives.
    Rebalancing,
    /// This member is no longer in the group: stop everything now.
    Lost(String),
    /// The member cannot take part (e.g. an incompatible group); the worker must exit.
    Fatal(String),
}

/// What the herder asks of the membership.
#[derive(Debug)]
pub(super) enum GroupCommand {
    /// Start a rebalance (the leader after a config change; a member after revoking work).
    Rejoin(String),
    /// Leave the group (clean shutdown); answered once the LeaveGroup is sent.
    Leave(oneshot::Sender<()>),
}

/// The herder's side of a rebalance.
#[async_trait]
pub(super) trait Coordination: Send + Sync {
    /// The metadata this member joins with (what it runs now).
    fn metadata(&self) -> MemberMetadata;
    /// Leader only: every member's assignment.
    async fn assign(
        &self,
        generation: i32,
        leader_id: &str,
        members: Vec<(String, MemberMetadata)>,
    ) -> BTreeMap<String, Assignment>;
}

/// Starts the membership; returns its command sender and event receiver.
pub(super) fn spawn(
    settings: GroupSettings,
    coordination: Arc<dyn Coordination>,
) -> (mpsc::UnboundedSender<GroupCommand>, mpsc::UnboundedReceiver<GroupEvent>) {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (events, event_rx) = mpsc::unbounded_channel();
    let (dead, dead_rx) = mpsc::unbounded_channel();
    let member = Member {
        settings,
        coordination,
        events,
        member_id: String::new(),
        generation: -1,
        coordinator: None,
        last_contact: Instant::now(),
        holding_work: false,
        peers: BTreeMap::new(),
        watcher: None,
        dead,
    };
    tokio::spawn(member.run(command_rx, dead_rx));
    (commands, event_rx)
}

enum Failure {
    /// Try again after a short pause (rediscovering the coordinator when `reconnect`).
    Retry { reason: String, reconnect: bool },
    /// Rejoin at once.
    Rejoin,
    /// The group no longer knows this member as it was: drop the work and rejoin.
    Fenced(String),
    /// Give up.
    Fatal(String),
}

impl From<ConnectionError> for Failure {
    fn from(e: ConnectionError) -> Self {
        Failure::Retry {
            reason: e.to_string(),
            reconnect: true,
        }
    }
}

struct Member {
    settings: GroupSettings,
    coordination: Arc<dyn Coordination>,
    events: mpsc::UnboundedSender<GroupEvent>,
    member_id: String,
    generation: i32,
    coordinator: Option<Connection>,
    last_contact: Instant,
    holding_work: bool,
    /// The other members of the current generation: member id → REST URL.
    peers: BTreeMap<String, String>,
    /// Watches `peers`' REST listeners, reporting the dead ones to `dead`.
    watcher: Option<tokio::task::JoinHandle<()>>,
    dead: mpsc::UnboundedSender<String>,
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
    }
}

impl Member {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<GroupCommand>,
        mut dead: mpsc::UnboundedReceiver<String>,
    ) {
        let mut reason = "joining".to_string();
        'join: loop {
            let mut leaving = None;
            let started = Instant::now();
            let joined = {
                let join = self.join_and_sync(&reason);
                tokio::pin!(join);
                loop {
                    tokio::select! {
                        joined = &mut join => break joined,
                        command = commands.recv() => match command {
                            Some(GroupCommand::Leave(done)) => {
                                leaving = Some(done);
                                break Ok(());
                            }
                            // Already joining.
                            Some(GroupCommand::Rejoin(_)) => continue,
                            None => return,
                        },
                    }
                }
            };
            if let Some(done) = leaving {
                // The interrupted request leaves the connection mid-response.
                self.coordinator = None;
                return self.leave(done).await;
            }
            match joined {
                Ok(()) => {
                    let metrics = Metrics::global();
                    metrics.rebalances.inc();
                    metrics.rebalance_seconds.observe(started.elapsed().as_secs_f64());
                }
                Err(failure) => {
                    if !self.handle(failure) {
                        return;
                    }
                    reason = "rejoining after an error".into();
                    if let Some(done) = self.pause(&mut commands).await {
                        return self.leave(done).await;
                    }
                    continue 'join;
                }
            }
            loop {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(GroupCommand::Leave(done)) => return self.leave(done).await,
                        Some(GroupCommand::Rejoin(r)) => { reason = r; continue 'join }
                        None => return,
                    },
                    Some(member) = dead.recv() => {
                        if self.remove_dead(&member).await {
                            reason = format!("member {member} is gone");
                            continue 'join;
                        }
                    }
                    _ = tokio::time::sleep(self.settings.heartbeat_interval) => {
                        match self.heartbeat().await {
                            Ok(()) => self.last_contact = Instant::now(),
                            Err(Failure::Rejoin) => {
                                self.events.send(GroupEvent::Rebalancing).ok();
                                reason = "the group is rebalancing".into();
                                continue 'join;
                            }
                            Err(failure) => {
                                if !self.handle(failure) {
                                    return;
                                }
                                reason = "rejoining after a failed heartbeat".into();
                                continue 'join;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reacts to a failure; `false` when the member must stop.
    fn handle(&mut self, failure: Failure) -> bool {
        match failure {
            Failure::Fatal(message) => {
                self.events.send(GroupEvent::Fatal(message)).ok();
                return false;
            }
            Failure::Fenced(message) => {
                tracing::warn!("left the group: {message}");
                self.drop_work(message);
            }
            Failure::Retry { reason, reconnect } => {
                tracing::warn!(group = %self.settings.group_id, "group coordination failed, retrying: {reason}");
                if reconnect {
                    self.coordinator = None;
                }
                if self.last_contact.elapsed() > self.settings.session_timeout {
                    self.drop_work(format!(
                        "no contact with the group coordinator for over {:?}",
                        self.settings.session_timeout
                    ));
                }
            }
            Failure::Rejoin => {}
        }
        true
    }

    fn drop_work(&mut self, reason: String) {
        self.watch(BTreeMap::new());
        if self.holding_work {
            self.holding_work = false;
            self.events.send(GroupEvent::Lost(reason)).ok();
        }
    }

    /// Waits a retry backoff; returns a pending Leave if one arrives meanwhile.
    async fn pause(&mut self, commands: &mut mpsc::UnboundedReceiver<GroupCommand>) -> Option<oneshot::Sender<()>> {
        let sleep = tokio::time::sleep(Duration::from_millis(500));
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return None,
                command = commands.recv() => match command {
                    Some(GroupCommand::Leave(done)) => return Some(done),
                    Some(GroupCommand::Rejoin(_)) => continue,
                    None => return None,
                },
            }
        }
    }

    async fn coordinator(&mut self) -> Result<&mut Connection, Failure> {
        if self.coordinator.is_none() {
            let connection = self.find_coordinator().await?;
            self.coordinator = Some(connection);
        }
        self.coordinator.as_mut().ok_or(Failure::Retry {
            reason: "no coordinator".into(),
            reconnect: true,
        })
    }

    async fn find_coordinator(&self) -> Result<Connection, Failure> {
        let timeout = Duration::from_secs(10);
        let mut last_error = String::from("no bootstrap servers");
        for broker in &self.settings.bootstrap {
            let mut connection =
                match Connection::open(broker, &self.settings.client_id, timeout, &self.settings.security).await {
                    Ok(c) => c,
                    Err(e) => {
                        last_error = e.to_string();
                        continue;
                    }
                };
            let group = StrBytes::from_string(self.settings.group_id.clone());
            // v4 batches keys; older versions take one key.
            let request = match connection.version::<FindCoordinatorRequest>(4) {
                Ok(4) => FindCoordinatorRequest::default().with_coordinator_keys(vec![group]),
                _ => FindCoordinatorRequest::default().with_key(group),
            };
            let (version, response) = match connection.send(&request, 4).await {
                Ok(r) => r,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            let (error, host, port) = if version >= 4 {
                match response.coordinators.first() {
                    Some(c) => (c.error_code, c.host.to_string(), c.port),
                    None => (codes::COORDINATOR_NOT_AVAILABLE, String::new(), 0),
                }
            } else {
                (response.error_code, response.host.to_string(), response.port)
            };
            if error != 0 {
                return Err(Failure::Retry {
                    reason: format!("FindCoordinator returned error {error}"),
                    reconnect: true,
                });
            }
            let address = format!("{host}:{port}");
            return Connection::open(&address, &self.settings.client_id, timeout, &self.settings.security)
                .await
                .map_err(Failure::from);
        }
        Err(Failure::Retry {
            reason: format!("cannot reach any bootstrap server: {last_error}"),
            reconnect: true,
        })
    }

    async fn join_and_sync(&mut self, reason: &str) -> Result<(), Failure> {
        let metadata = serde_json::to_vec(&self.coordination.metadata())
            .map_err(|e| Failure::Fatal(format!("cannot encode member metadata: {e}")))?;
        let settings = self.settings.clone();
        loop {
            let request = JoinGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(settings.group_id.clone())))
                .with_session_timeout_ms(settings.session_timeout.as_millis() as i32)
                .with_rebalance_timeout_ms(settings.rebalance_timeout.as_millis() as i32)
                .with_member_id(StrBytes::from_string(self.member_id.clone()))
                .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(PROTOCOL_NAME))
                    .with_metadata(Bytes::from(metadata.clone()))])
                .with_reason(Some(StrBytes::from_string(reason.to_string())));
            let wait = settings.rebalance_timeout + Duration::from_secs(5);
            let (_, response) = self.coordinator().await?.send_within(&request, 9, wait).await?;
            match response.error_code {
                0 => {}
                codes::MEMBER_ID_REQUIRED => {
                    self.member_id = response.member_id.to_string();
                    continue;
                }
                codes::UNKNOWN_MEMBER_ID => {
                    self.member_id.clear();
                    return Err(Failure::Fenced("the coordinator no longer knows this member".into()));
                }
                codes::REBALANCE_IN_PROGRESS => continue,
                codes::NOT_COORDINATOR | codes::COORDINATOR_NOT_AVAILABLE | codes::COORDINATOR_LOAD_IN_PROGRESS => {
                    return Err(Failure::Retry {
                        reason: format!("JoinGroup returned error {}", response.error_code),
                        reconnect: true,
                    })
                }
                codes::INCONSISTENT_GROUP_PROTOCOL => {
                    return Err(Failure::Fatal(format!(
                        "group {} is used by workers speaking another protocol (an Apache Kafka Connect cluster?); give this cluster its own group.id",
                        settings.group_id
                    )))
                }
                code => {
                    return Err(Failure::Fatal(format!(
                        "cannot join group {}: JoinGroup returned error {code}",
                        settings.group_id
                    )))
                }
            }
            self.member_id = response.member_id.to_string();
            self.generation = response.generation_id;
            let leader_id = response.leader.to_string();
            let leader = leader_id == self.member_id;
            let assignments = if leader {
                let members: Vec<(String, MemberMetadata)> = response
                    .members
                    .iter()
                    .map(|m| {
                        let metadata = serde_json::from_slice(&m.metadata).unwrap_or_else(|e| {
                            tracing::warn!(member = %m.member_id, "unreadable member metadata: {e}");
                            MemberMetadata::default()
                        });
                        (m.member_id.to_string(), metadata)
                    })
                    .collect();
                let assignments = self.coordination.assign(self.generation, &leader_id, members).await;
                assignments
                    .into_iter()
                    .map(|(member, assignment)| {
                        let bytes = serde_json::to_vec(&assignment).unwrap_or_default();
                        SyncGroupRequestAssignment::default()
                            .with_member_id(StrBytes::from_string(member))
                            .with_assignment(Bytes::from(bytes))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let request = SyncGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(settings.group_id.clone())))
                .with_generation_id(self.generation)
                .with_member_id(StrBytes::from_string(self.member_id.clone()))
                .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
                .with_protocol_name(Some(StrBytes::from_static_str(PROTOCOL_NAME)))
                .with_assignments(assignments);
            let (_, response) = self.coordinator().await?.send_within(&request, 5, wait).await?;
            match response.error_code {
                0 => {}
                codes::REBALANCE_IN_PROGRESS => continue,
                codes::UNKNOWN_MEMBER_ID | codes::ILLEGAL_GENERATION => {
                    if response.error_code == codes::UNKNOWN_MEMBER_ID {
                        self.member_id.clear();
                    }
                    return Err(Failure::Fenced(format!(
                        "SyncGroup returned error {}",
                        response.error_code
                    )));
                }
                code => {
                    return Err(Failure::Retry {
                        reason: format!("SyncGroup returned error {code}"),
                        reconnect: matches!(code, codes::NOT_COORDINATOR | codes::COORDINATOR_NOT_AVAILABLE),
                    })
                }
            }
            let assignment: Assignment = serde_json::from_slice(&response.assignment)
                .map_err(|e| Failure::Fatal(format!("unreadable assignment from the leader: {e}")))?;
            self.last_contact = Instant::now();
            self.holding_work = true;
            let mut peers = assignment.members.clone();
            peers.remove(&self.member_id);
            self.watch(peers);
            tracing::info!(
                generation = self.generation,
                member = %self.member_id,
                leader,
                work = assignment.work.len(),
                "joined the group"
            );
            self.events
                .send(GroupEvent::Assigned {
                    generation: self.generation,
                    member_id: self.member_id.clone(),
                    leader,
                    assignment,
                })
                .ok();
            return Ok(());
        }
    }

    async fn heartbeat(&mut self) -> Result<(), Failure> {
        let request = HeartbeatRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(self.settings.group_id.clone())))
            .with_generation_id(self.generation)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        let (_, response) = self.coordinator().await?.send(&request, 4).await?;
        match response.error_code {
            0 => Ok(()),
            codes::REBALANCE_IN_PROGRESS => Err(Failure::Rejoin),
            codes::UNKNOWN_MEMBER_ID => {
                self.member_id.clear();
                Err(Failure::Fenced(
                    "the coordinator removed this member from the group".into(),
                ))
            }
            codes::ILLEGAL_GENERATION => Err(Failure::Fenced("the group moved to a newer generation".into())),
            code => Err(Failure::Retry {
                reason: format!("Heartbeat returned error {code}"),
                reconnect: matches!(
                    code,
                    codes::NOT_COORDINATOR | codes::COORDINATOR_NOT_AVAILABLE | codes::COORDINATOR_LOAD_IN_PROGRESS
                ),
            }),
        }
    }

    /// Watches `peers` from now on (none: stops watching).
    fn watch(&mut self, peers: BTreeMap<String, String>) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
        if !peers.is_empty() {
            self.watcher = Some(liveness::watch(peers.clone(), self.dead.clone()));
        }
        self.peers = peers;
    }

    /// LeaveGroup for `member` (this member, or a dead one) on the coordinator's connection.
    async fn leave_group(&mut self, member: &str, reason: &'static str) -> Result<(), String> {
        let group_id = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
        let member_id = StrBytes::from_string(member.to_string());
        let own = member == self.member_id;
        let connection = self.coordinator().await.map_err(|_| "no coordinator".to_string())?;
        // v3 and later name the leaving members in a list; earlier versions take one member id
        // (only a member's own), which later versions refuse to encode.
        let request = match connection.version::<LeaveGroupRequest>(5) {
            Ok(version) if version >= 3 => {
                LeaveGroupRequest::default()
                    .with_group_id(group_id)
                    .with_members(vec![MemberIdentity::default()
                        .with_member_id(member_id)
                        .with_reason(Some(StrBytes::from_static_str(reason)))])
            }
            _ if !own => return Err("the coordinator is too old to remove another member".into()),
            _ => LeaveGroupRequest::default()
                .with_group_id(group_id)
                .with_member_id(member_id),
        };
        let (_, response) = connection.send(&request, 5).await.map_err(|e| e.to_string())?;
        let code = match response.error_code {
            0 => response.members.first().map_or(0, |m| m.error_code),
            group_error => group_error,
        };
        match code {
            0 => Ok(()),
            code => Err(format!("LeaveGroup returned error {code}")),
        }
    }

    /// Removes a member found dead from the group; `true` when this member should rejoin (the
    /// group rebalances without it, whether this removal or another member's did it).
    async fn remove_dead(&mut self, member: &str) -> bool {
        if !self.peers.contains_key(member) {
            return false;
        }
        match self
            .leave_group(member, "its worker's REST listener refuses connections")
            .await
        {
            Ok(()) => tracing::warn!(%member, "removed a dead worker from the group"),
            // Another member removed it first (UNKNOWN_MEMBER_ID), or the coordinator cannot
            // (unreachable, too old): rejoining is right either way, and costs one rebalance.
            Err(e) => tracing::info!(%member, "could not remove a dead worker from the group: {e}"),
        }
        true
    }

    async fn leave(mut self, done: oneshot::Sender<()>) {
        if !self.member_id.is_empty() {
            let member = self.member_id.clone();
            if let Err(e) = self.leave_group(&member, "the worker is shutting down").await {
                tracing::warn!("LeaveGroup failed: {e}");
            }
        }
        done.send(()).ok();
    }
}
