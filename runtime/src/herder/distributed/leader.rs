//! The leader's part: the assignment computed in each rebalance (with what the leader
//! remembers between rebalances), the checked writes of task configs, with the zombie fencing
//! of exactly-once sources, and the session key that signs internal requests.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::group::Coordination;
use super::protocol::{Assignment, AssignmentError, MemberMetadata, Work};
use super::{assignor, internal, lock, Inner};
use crate::client::ClientKind;
use crate::clock::now_millis;
use crate::config::ConfigMap;
use crate::error_chain::with_causes;
use crate::herder::{common, HerderError, HerderResult};
use crate::state::TargetState;
use crate::storage::{ClusterConfig, ConfigLog, SessionKey};
use crate::worker::{ExactlyOnceSource, Worker};

/// What the leader remembers between rebalances.
#[derive(Debug, Default)]
pub(super) struct LeaderMemory {
    /// What each member was given (or still runs) at the last assignment.
    assigned: BTreeMap<String, BTreeSet<Work>>,
    /// Every piece of work that existed at the last assignment.
    pub(super) all: BTreeSet<Work>,
    /// Work of departed members, and since when it has been waiting.
    lost_since: BTreeMap<Work, Instant>,
}

/// Every connector and task the config says exists.
pub(super) fn all_work(config: &ClusterConfig) -> BTreeSet<Work> {
    let mut all = BTreeSet::new();
    for name in config.connectors.keys() {
        all.insert(Work::Connector(name.clone()));
        for task in 0..config.task_count(name) as u32 {
            all.insert(Work::Task(name.clone(), task));
        }
    }
    all
}

/// Fences the transactional ids of source tasks that no longer exist, so that a zombie
/// instance of a removed task cannot commit (exactly-once; a task that still exists is fenced by
/// its next instance's `init_transactions`).
#[derive(Clone)]
pub(super) struct Fencing {
    identity: ExactlyOnceSource,
    client: rdkafka::ClientConfig,
}

impl Fencing {
    /// Fencing for `worker`, when its source tasks run exactly once.
    pub(super) fn from_worker(worker: &Worker) -> Option<Self> {
        let identity = worker.exactly_once_source()?.clone();
        let client = worker.config().client(ClientKind::Producer).ok()?.client_config();
        Some(Fencing { identity, client })
    }

    pub(super) async fn fence(&self, connector: &str, tasks: std::ops::Range<usize>) -> HerderResult<()> {
        for task in tasks {
            let mut client = self.client.clone();
            client.set("transactional.id", self.identity.transactional_id(connector, task));
            tokio::task::spawn_blocking(move || {
                let producer: rdkafka::producer::BaseProducer = client.create()?;
                rdkafka::producer::Producer::init_transactions(&producer, Duration::from_secs(30))
            })
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))?
            .map_err(|e| HerderError::Internal(format!("cannot fence task {connector}-{task}: {e}")))?;
            tracing::info!(connector, task, "fenced the producer of a removed task");
        }
        Ok(())
    }
}

/// The leader's write of a connector's task configs, checked against the latest config: the
/// connector exists, is not STOPPED (a late submission must not revive its tasks), and the
/// configs differ from the committed ones. With exactly-once, removed source tasks are fenced
/// first.
pub(super) async fn write_task_configs(
    config: &ConfigLog,
    fencing: Option<&Fencing>,
    name: &str,
    configs: Vec<ConfigMap>,
) -> HerderResult<()> {
    let _checked = config.checked_writes().await;
    config.read_to_end().await.map_err(internal)?;
    let current = config.with(|c| {
        c.connectors.get(name).map(|connector| {
            (
                c.target(name),
                c.tasks.get(name).is_some_and(|t| *t == configs),
                c.task_count(name),
                common::connector_type(connector),
            )
        })
    });
    match current {
        None => Err(HerderError::unknown_connector(name)),
        Some((TargetState::Stopped, ..)) | Some((_, true, ..)) => Ok(()),
        Some((_, false, previous, kind)) => {
            if let (Some(fencing), "source") = (fencing, kind) {
                if configs.len() < previous {
                    fencing.fence(name, configs.len()..previous).await?;
                }
            }
            tracing::info!(connector = %name, tasks = configs.len(), "writing task configs");
            config.put_task_configs(name, &configs).await.map_err(internal)?;
            config.read_to_end().await.map_err(internal)
        }
    }
}

#[async_trait]
impl Coordination for Inner {
    fn metadata(&self) -> MemberMetadata {
        MemberMetadata {
            url: self.url.clone(),
            config_offset: self.config.with(|c| c.offset),
            owned: lock(&self.view).owned.clone(),
        }
    }

    async fn assign(
        &self,
        generation: i32,
        leader_id: &str,
        members: Vec<(String, MemberMetadata)>,
    ) -> BTreeMap<String, Assignment> {
        if let Err(e) = self.config.read_to_end().await {
            tracing::warn!(
                "the leader could not read the config topic to its end: {}",
                with_causes(&e)
            );
        }
        let snapshot = self.config.snapshot();
        let all = all_work(&snapshot);
        let mut assignments = BTreeMap::new();
        // One member per REST URL: a later duplicate that runs nothing is refused.
        let mut by_url: BTreeMap<&str, &str> = BTreeMap::new();
        let mut accepted: Vec<(String, BTreeSet<Work>)> = Vec::new();
        let mut ordered: Vec<&(String, MemberMetadata)> = members.iter().collect();
        {
            // Members of the previous generation keep their URL over newcomers.
            let view = lock(&self.view);
            let known = |id: &str| view.leader_memory.assigned.contains_key(id);
            ordered.sort_by(|a, b| {
                known(&b.0)
                    .cmp(&known(&a.0))
                    .then(b.1.owned.len().cmp(&a.1.owned.len()))
                    .then(a.0.cmp(&b.0))
            });
        }
        for (id, metadata) in ordered {
            if by_url.contains_key(metadata.url.as_str()) {
                assignments.insert(
                    id.clone(),
                    Assignment {
                        error: Some(AssignmentError::DuplicateUrl(metadata.url.clone())),
                        ..Assignment::default()
                    },
                );
                continue;
            }
            by_url.insert(&metadata.url, id);
            accepted.push((id.clone(), metadata.owned.clone()));
        }
        accepted.sort_by(|a, b| a.0.cmp(&b.0));
        let leader_url = members
            .iter()
            .find(|(id, _)| id == leader_id)
            .map(|(_, m)| m.url.clone())
            .unwrap_or_else(|| self.url.clone());

        // Work whose owner vanished may be held back for a while, in case it returns.
        let delay = self.settings.scheduled_rebalance_delay;
        let mut view = lock(&self.view);
        let memory = &mut view.leader_memory;
        let running_now: BTreeSet<&Work> = accepted.iter().flat_map(|(_, owned)| owned.iter()).collect();
        let present: BTreeSet<&str> = accepted.iter().map(|(id, _)| id.as_str()).collect();
        let now = Instant::now();
        let mut lost_since = std::mem::take(&mut memory.lost_since);
        for (member, work) in &memory.assigned {
            if present.contains(member.as_str()) {
                continue;
            }
            for item in work {
                if all.contains(item) && !running_now.contains(item) {
                    lost_since.entry(item.clone()).or_insert(now);
                }
            }
        }
        lost_since.retain(|item, _| all.contains(item) && !running_now.contains(item));
        let mut held_back = BTreeSet::new();
        let mut delay_ms = 0u64;
        if !delay.is_zero() {
            for (item, since) in &lost_since {
                let waited = now.duration_since(*since);
                if waited < delay {
                    held_back.insert(item.clone());
                    delay_ms = delay_ms.max((delay - waited).as_millis() as u64);
                }
            }
        }
        let shares = assignor::assign(&accepted, &all, &held_back);
        lost_since.retain(|item, _| held_back.contains(item));
        memory.lost_since = lost_since;
        memory.assigned = shares
            .iter()
            .map(|(id, share)| (id.clone(), share.work.union(&share.revoked).cloned().collect()))
            .collect();
        memory.all = all;
        let moving: usize = shares.values().map(|s| s.revoked.len()).sum();
        tracing::info!(
            generation,
            members = accepted.len(),
            work = memory.all.len(),
            revoked = moving,
            held_back = held_back.len(),
            "computed assignments"
        );
        let urls: BTreeMap<String, String> = by_url
            .iter()
            .map(|(url, id)| (id.to_string(), url.to_string()))
            .collect();
        for (id, share) in shares {
            assignments.insert(
                id,
                Assignment {
                    error: None,
                    leader: leader_id.to_string(),
                    leader_url: leader_url.clone(),
                    config_offset: snapshot.offset,
                    work: share.work,
                    revoked: share.revoked,
                    delay_ms,
                    members: urls.clone(),
                },
            );
        }
        assignments
    }
}

impl Inner {
    /// As the leader: writes a session key when there is none, or when it is older than
    /// `inter.worker.key.ttl.ms`.
    pub(super) async fn renew_session_key(&self) {
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
            Err(e) => tracing::warn!("cannot write a new session key: {}", with_causes(&e)),
        }
    }
}
