//! `MirrorCheckpointTask`: every `emit.checkpoints.interval.seconds`, reads the offset syncs to
//! their end, translates the committed source offsets of its groups, and returns a checkpoint
//! for each one that moved forward (the worker writes them to the target's checkpoints topic).
//! Every `sync.group.offsets.interval.seconds` (when enabled) it commits the latest
//! checkpoints to the target's groups that are empty there, never moving an offset backwards.
//! The checkpoints written before a restart are read back at start, so history survives it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tributary_runtime::client::ClientKind;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::connector::{ConnectError, SourceTask, SourceTaskContext};
use tributary_runtime::data::{ConnectRecord, SchemaRef, SourceMap, SourceRecord, Value};
use tributary_runtime::error_chain::with_causes;
use tributary_runtime::metrics::{IntGaugeVec, Metrics};
use tributary_runtime::storage::{KafkaLog, LogRecord};

use super::groups::{accepted_partitions, blocking, committed, GroupClients, READ_TIMEOUT};
use super::{
    config_def, ASSIGNED, EMIT_CHECKPOINTS_ENABLED, EMIT_CHECKPOINTS_INTERVAL_SECONDS, SYNC_GROUP_OFFSETS_ENABLED,
    SYNC_GROUP_OFFSETS_INTERVAL_SECONDS,
};
use crate::admin::ClusterAdmin;
use crate::config::{MirrorConfig, CONSUMER_POLL_TIMEOUT_MS};
use crate::filter::NameFilter;
use crate::lock;
use crate::offset_sync::OffsetSyncStore;
use crate::records::{Checkpoint, OffsetSync};

/// (group, remote topic, partition).
type CheckpointKey = (String, String, i32);

/// Starts reading `topic` on `cluster` (`source` or `target`) from its beginning with the
/// runtime's log reader, handing each record's key and value to `handle`, and waits until it
/// has read what the topic held.
async fn read_topic(
    mirror: &MirrorConfig,
    cluster: &str,
    topic: &str,
    mut handle: impl FnMut(Option<&[u8]>, Option<&[u8]>) + Send + 'static,
) -> Result<KafkaLog, ConnectError> {
    let (consumer, producer, name) = (
        mirror.client(cluster, ClientKind::Consumer)?,
        mirror.client(cluster, ClientKind::Producer)?,
        topic.to_string(),
    );
    let log = blocking(move || {
        KafkaLog::start(
            &name,
            consumer,
            producer,
            Box::new(move |record: LogRecord<'_>| handle(record.key, record.value)),
        )
        .map_err(|e| with_causes(&e))
    })
    .await?;
    log.read_to_end()
        .await
        .map_err(|e| ConnectError::Retriable(with_causes(&e)))?;
    Ok(log)
}

/// Stops a log reader off the async threads (its reader thread is joined).
async fn close(log: KafkaLog) {
    tokio::task::spawn_blocking(move || drop(log)).await.ok();
}

/// The series' name (docs/metrics.md describes it).
const CHECKPOINT_LAG_SERIES: &str = "tributary_mirror_checkpoint_lag_records";
/// Per group, the records its translated offsets trail its source offsets by, over every
/// partition: what the group would read again after failing over to the target.
static CHECKPOINT_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    Metrics::global().register_gauge(
        CHECKPOINT_LAG_SERIES,
        "Records a group would read again on the target after failing over to its checkpoints.",
        &["connector", "group"],
    )
});

/// Emits the checkpoints of a set of consumer groups.
pub(super) struct MirrorCheckpointTask {
    /// Parsed from the task config; `start` takes it into `state`.
    settings: Option<Settings>,
    /// Set by `start`, from the settings and what it read of the clusters.
    state: Option<State>,
}

/// What the task config says.
struct Settings {
    mirror: MirrorConfig,
    topics: NameFilter,
    groups: Vec<String>,
}

impl MirrorCheckpointTask {
    /// A task checkpointing the groups its config assigns it.
    pub(super) fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let settings = Settings {
            mirror: MirrorConfig::parse(&config_def(), config)?,
            topics: NameFilter::topics(config).map_err(ConnectError::failed)?,
            groups: tributary_runtime::config::split_list(config.get(ASSIGNED).map_or("", |g| g)),
        };
        Ok(MirrorCheckpointTask {
            settings: Some(settings),
            state: None,
        })
    }
}

struct State {
    /// The connector's name, as a metric label.
    connector: String,
    mirror: MirrorConfig,
    topics: NameFilter,
    groups: Vec<String>,
    source: ClusterAdmin,
    target: ClusterAdmin,
    checkpoints_topic: Arc<str>,
    /// Reads the offset syncs into `syncs`, from where it left off each round.
    syncs_log: KafkaLog,
    syncs: Arc<Mutex<OffsetSyncStore>>,
    /// The latest checkpoint of each group partition.
    latest: BTreeMap<CheckpointKey, Checkpoint>,
    group_clients: GroupClients,
    next_checkpoints: Option<Instant>,
    next_group_sync: Option<Instant>,
    bytes_schema: SchemaRef,
}

/// Notes `upstream`, committed by a group, in the lowest offset any group committed per
/// partition.
fn note_needed(needed: &mut HashMap<(String, i32), i64>, topic: &str, partition: i32, upstream: i64) {
    needed
        .entry((topic.to_string(), partition))
        .and_modify(|lowest| *lowest = (*lowest).min(upstream))
        .or_insert(upstream);
}

impl State {
    /// The checkpoints of every group that moved forward since its last one.
    async fn checkpoints(&mut self) -> Result<Vec<Checkpoint>, ConnectError> {
        // The syncs written since the last round.
        self.syncs_log
            .read_to_end()
            .await
            .map_err(|e| ConnectError::Retriable(with_causes(&e)))?;
        let partitions = accepted_partitions(&self.source, &self.topics, &self.mirror).await?;
        let mut checkpoints = Vec::new();
        // The lowest offset any group committed, per partition: the syncs from there up stay.
        let mut needed: HashMap<(String, i32), i64> = HashMap::new();
        for group in self.groups.clone() {
            let consumer = self.group_clients.get(&self.mirror, "source", &group)?;
            let offsets = committed(consumer, &group, &partitions).await?;
            let mut lag = 0;
            for (topic, partition, upstream, metadata) in offsets {
                note_needed(&mut needed, &topic, partition, upstream);
                let translated = {
                    let syncs = lock(&self.syncs);
                    syncs
                        .translate(&topic, partition, upstream)
                        .zip(syncs.translation_gap(&topic, partition, upstream))
                };
                let Some((downstream, gap)) = translated else {
                    continue;
                };
                lag += gap;
                let remote = self.mirror.policy.format_remote_topic(&self.mirror.source, &topic);
                let key = (group.clone(), remote.clone(), partition);
                // As Apache: forward, or a rewind of the group on the source.
                let moved = self
                    .latest
                    .get(&key)
                    .is_none_or(|last| upstream != last.upstream || downstream > last.downstream);
                if moved {
                    let checkpoint = Checkpoint {
                        group: group.clone(),
                        topic: remote,
                        partition,
                        upstream,
                        downstream,
                        metadata,
                    };
                    self.latest.insert(key, checkpoint.clone());
                    checkpoints.push(checkpoint);
                }
            }
            CHECKPOINT_LAG
                .with_label_values(&[self.connector.as_str(), group.as_str()])
                .set(lag);
        }
        lock(&self.syncs).compact(needed);
        Ok(checkpoints)
    }

    /// Commits the latest checkpoints to the target's groups that have no active member there,
    /// only where that moves the group's offset forward.
    async fn sync_group_offsets(&mut self) -> Result<(), ConnectError> {
        let mut by_group: BTreeMap<String, Vec<(String, i32, i64)>> = BTreeMap::new();
        for checkpoint in self.latest.values() {
            by_group.entry(checkpoint.group.clone()).or_default().push((
                checkpoint.topic.clone(),
                checkpoint.partition,
                checkpoint.downstream,
            ));
        }
        for (group, offsets) in by_group {
            let states = self.target.consumer_groups(Some(&group)).await?;
            let state = states.get(&group).map(String::as_str);
            if !matches!(state, None | Some("Empty") | Some("Dead")) {
                tracing::debug!(%group, ?state, "not syncing the offsets of a group active on the target");
                continue;
            }
            let consumer = self.group_clients.get(&self.mirror, "target", &group)?;
            blocking(move || {
                let mut wanted = TopicPartitionList::new();
                for (topic, partition, _) in &offsets {
                    wanted.add_partition(topic, *partition);
                }
                let current = consumer
                    .committed_offsets(wanted, READ_TIMEOUT)
                    .map_err(|e| format!("cannot read the target offsets of group {group}: {e}"))?;
                let mut commit = TopicPartitionList::new();
                for (topic, partition, downstream) in &offsets {
                    let ahead = current
                        .find_partition(topic, *partition)
                        .is_some_and(|e| matches!(e.offset(), Offset::Offset(at) if at >= *downstream));
                    if !ahead {
                        commit
                            .add_partition_offset(topic, *partition, Offset::Offset(*downstream))
                            .map_err(|e| e.to_string())?;
                    }
                }
                if commit.count() > 0 {
                    consumer
                        .commit(&commit, CommitMode::Sync)
                        .map_err(|e| format!("cannot commit the target offsets of group {group}: {e}"))?;
                    tracing::info!(%group, partitions = commit.count(), "synced group offsets to the target");
                }
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    fn record(&self, checkpoint: &Checkpoint) -> SourceRecord {
        let mut partition = SourceMap::new();
        partition.insert("group".into(), checkpoint.group.clone().into());
        partition.insert("topic".into(), checkpoint.topic.clone().into());
        partition.insert("partition".into(), checkpoint.partition.into());
        let mut offset = SourceMap::new();
        offset.insert("offset".into(), 0.into());
        SourceRecord {
            source_partition: Arc::new(partition),
            source_offset: offset,
            record: ConnectRecord {
                topic: self.checkpoints_topic.clone(),
                partition: Some(0),
                key_schema: Some(self.bytes_schema.clone()),
                key: Value::bytes(checkpoint.key()),
                value_schema: Some(self.bytes_schema.clone()),
                value: Value::bytes(checkpoint.value()),
                timestamp: None,
                headers: Vec::new(),
                kafka_offset: None,
            },
        }
    }
}

#[async_trait]
impl SourceTask for MirrorCheckpointTask {
    async fn start(&mut self, context: SourceTaskContext) -> Result<(), ConnectError> {
        let Settings { mirror, topics, groups } = self
            .settings
            .take()
            .ok_or_else(|| ConnectError::fatal("the checkpoint task was started twice"))?;
        // Where the groups stand, so that the syncs they need are kept while the topic is read.
        let source = mirror.admin("source")?;
        let mut group_clients = GroupClients::default();
        let partitions = accepted_partitions(&source, &topics, &mirror).await?;
        let mut needed = HashMap::new();
        for group in &groups {
            let consumer = group_clients.get(&mirror, "source", group)?;
            for (topic, partition, upstream, _) in committed(consumer, group, &partitions).await? {
                note_needed(&mut needed, &topic, partition, upstream);
            }
        }
        let syncs = Arc::new(Mutex::new(OffsetSyncStore::new(needed)));
        let store = syncs.clone();
        let syncs_log = read_topic(
            &mirror,
            mirror.offset_syncs_cluster(),
            &mirror.offset_syncs_topic(),
            move |key, value| match OffsetSync::decode(key, value) {
                Ok(sync) => lock(&store).add(sync),
                Err(e) => tracing::warn!("skipping an offset sync: {e}"),
            },
        )
        .await?;
        // Checkpoints written before this start: the history to continue from.
        let checkpoints_topic = mirror.policy.checkpoints_topic(&mirror.source);
        let restored = Arc::new(Mutex::new(BTreeMap::new()));
        let (mine, into) = (groups.clone(), restored.clone());
        let history = read_topic(&mirror, "target", &checkpoints_topic, move |key, value| {
            if let Ok(checkpoint) = Checkpoint::decode(key, value) {
                if mine.contains(&checkpoint.group) {
                    let key = (checkpoint.group.clone(), checkpoint.topic.clone(), checkpoint.partition);
                    lock(&into).insert(key, checkpoint);
                }
            }
        })
        .await?;
        close(history).await;
        let latest = std::mem::take(&mut *lock(&restored));
        tracing::info!(connector = %context.connector, task = context.task, groups = groups.len(), restored = latest.len(), "checkpoint task started");
        let now = Instant::now();
        self.state = Some(State {
            connector: context.connector.clone(),
            topics,
            groups,
            source,
            target: mirror.admin("target")?,
            checkpoints_topic: checkpoints_topic.into(),
            syncs_log,
            syncs,
            latest,
            group_clients,
            next_checkpoints: mirror.value(&EMIT_CHECKPOINTS_ENABLED).then_some(now),
            next_group_sync: mirror
                .value(&SYNC_GROUP_OFFSETS_ENABLED)
                .then(|| now + mirror.seconds(&SYNC_GROUP_OFFSETS_INTERVAL_SECONDS)),
            bytes_schema: SchemaRef::optional_bytes(),
            mirror,
        });
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        let Some(state) = &mut self.state else {
            return Ok(Vec::new());
        };
        let now = Instant::now();
        let mut records = Vec::new();
        if let Some(due) = state.next_checkpoints.filter(|due| *due <= now) {
            let checkpoints = state.checkpoints().await?;
            records = checkpoints.iter().map(|c| state.record(c)).collect();
            state.next_checkpoints = Some(due + state.mirror.seconds(&EMIT_CHECKPOINTS_INTERVAL_SECONDS));
        }
        if let Some(due) = state.next_group_sync.filter(|due| *due <= now) {
            state.sync_group_offsets().await?;
            state.next_group_sync = Some(due + state.mirror.seconds(&SYNC_GROUP_OFFSETS_INTERVAL_SECONDS));
        }
        if records.is_empty() {
            // `consumer.poll.timeout.ms`: the longest a poll waits, so a stop is noticed.
            let longest = now + state.mirror.value(&CONSUMER_POLL_TIMEOUT_MS);
            let next = [state.next_checkpoints, state.next_group_sync]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(longest);
            tokio::time::sleep_until(next.min(longest)).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(state) = self.state.take() {
            close(state.syncs_log).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod metric_tests {
    use tributary_runtime::metrics::Metrics;

    /// docs/metrics.md describes the series, and the worker serves it.
    #[test]
    fn the_series_is_documented_and_served() {
        let name = super::CHECKPOINT_LAG_SERIES;
        assert!(
            include_str!("../../../docs/metrics.md").contains(&format!("`{name}`")),
            "{name}"
        );
        super::CHECKPOINT_LAG.with_label_values(&["metric-test", "g"]).set(1);
        assert!(Metrics::global().render().contains(name), "{name}");
    }
}
