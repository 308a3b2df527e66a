//! `MirrorSourceConnector`: copies the topics a flow selects from the source cluster to the
//! target, as MirrorMaker 2 does: keys, values, headers (raw bytes), timestamps and partition
//! numbers preserved, topics renamed by the replication policy, remote topics created with the
//! source's partition count and topic configs. Every `refresh.topics.interval.seconds` it looks
//! again: new topics are created remotely, grown partitions grown, and the tasks reconfigured;
//! every `sync.topic.configs.interval.seconds` topic configs are copied again (see
//! [`topic_configs`]), and every
//! `sync.topic.acls.interval.seconds` the source's literal topic ACLs (see [`crate::acls`]). Source
//! partitions are spread over the tasks round-robin; each task resumes after the last offset
//! committed for its partitions (`{"cluster","topic","partition"}` → `{"offset"}`, Apache's
//! format) and emits offset syncs for the checkpoint connector.

mod task;
mod topic_configs;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use crate::acls::{AclError, TopicAcl};
use crate::admin::{ClusterAdmin, ConfigChanges, TopicConfigs};
use crate::config::{polling_config_def, round_robin, with_topic_filter, MirrorConfig, ENABLED};
use crate::filter::NameFilter;
use crate::lock;
use topic_configs::ConfigPropertyFilter;

/// Apache's class name.
pub const CLASS: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
/// The task config key listing a task's source partitions (`topic-partition`, comma-separated).
const ASSIGNED: &str = "task.assigned.partitions";

/// `config.properties.exclude`.
pub(crate) const CONFIG_PROPERTIES_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "config.properties.exclude",
        ConfigType::List,
        crate::filter::DEFAULT_CONFIG_PROPERTIES_EXCLUDE,
        "Topic configs not to copy (regexes).",
    )
    .importance(Importance::High),
);
/// `config.property.filter.class`: MirrorMaker 2's default filter only.
pub(crate) const CONFIG_PROPERTY_FILTER_CLASS: Key<String> = Key::new(
    ConfigKey::optional(
        "config.property.filter.class",
        ConfigType::Class,
        "org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter",
        "Which topic configs to copy: config.properties.exclude.",
    )
    .importance(Importance::Low)
    .check(|class| crate::config::only_default_class(class, "DefaultConfigPropertyFilter")),
);
/// `replication.factor`.
pub(crate) const REPLICATION_FACTOR: Key<i64> = Key::new(
    ConfigKey::optional(
        "replication.factor",
        ConfigType::Int,
        "2",
        "Replication factor of created remote topics.",
    )
    .importance(Importance::Low),
);
/// `refresh.topics.enabled`.
pub(crate) const REFRESH_TOPICS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "refresh.topics.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to look for new topics and partitions periodically.",
    )
    .importance(Importance::Low),
);
/// `refresh.topics.interval.seconds`.
pub(crate) const REFRESH_TOPICS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "refresh.topics.interval.seconds",
        ConfigType::Long,
        "600",
        "How often to look for new topics and partitions.",
    )
    .importance(Importance::Low),
);
/// `sync.topic.configs.enabled`.
pub(crate) const SYNC_TOPIC_CONFIGS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "sync.topic.configs.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to copy topic configs to remote topics.",
    )
    .importance(Importance::Low),
);
/// `sync.topic.configs.interval.seconds`.
pub(crate) const SYNC_TOPIC_CONFIGS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "sync.topic.configs.interval.seconds",
        ConfigType::Long,
        "600",
        "How often to copy topic configs.",
    )
    .importance(Importance::Low),
);
/// `sync.topic.acls.enabled`.
pub(crate) const SYNC_TOPIC_ACLS_ENABLED: Key<bool> = Key::new(ConfigKey::optional("sync.topic.acls.enabled", ConfigType::Boolean, "true", "Whether to copy the source's literal topic ACLs to remote topics (never ALLOW WRITE; ALLOW ALL becomes ALLOW READ).").importance(Importance::Low));
/// `sync.topic.acls.interval.seconds`.
pub(crate) const SYNC_TOPIC_ACLS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "sync.topic.acls.interval.seconds",
        ConfigType::Long,
        "600",
        "How often to copy topic ACLs.",
    )
    .importance(Importance::Low),
);
/// `emit.offset-syncs.enabled`.
pub(crate) const EMIT_OFFSET_SYNCS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "emit.offset-syncs.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to emit offset syncs (needed to translate consumer offsets).",
    )
    .importance(Importance::Low),
);
/// `offset-syncs.topic.replication.factor`.
pub(crate) const OFFSET_SYNCS_TOPIC_REPLICATION_FACTOR: Key<i64> = Key::new(
    ConfigKey::optional(
        "offset-syncs.topic.replication.factor",
        ConfigType::Short,
        "3",
        "Replication factor of the offset-syncs topic.",
    )
    .importance(Importance::Low),
);
/// `provenance.header.enabled`.
pub(crate) const PROVENANCE_HEADER_ENABLED: Key<bool> = Key::new(ConfigKey::optional("provenance.header.enabled", ConfigType::Boolean, "false", "Tributary only: mark mirrored records with the clusters they came through, and never copy a record to a cluster it has been on (safe active/active with the identity policy)."));
/// `heartbeats.replication.enabled`.
pub(crate) const HEARTBEATS_REPLICATION_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "heartbeats.replication.enabled",
        ConfigType::Boolean,
        "true",
        "Whether heartbeats topics are mirrored whatever the topic filter says; when false, only if it selects them.",
    )
    .importance(Importance::Low),
);
/// `offset.lag.max`.
pub(crate) const OFFSET_LAG_MAX: Key<i64> = Key::new(
    ConfigKey::optional(
        "offset.lag.max",
        ConfigType::Long,
        "100",
        "How far behind an offset sync may fall before one is sent at once.",
    )
    .importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    with_topic_filter(polling_config_def())
        .key(&CONFIG_PROPERTIES_EXCLUDE)
        .key(&CONFIG_PROPERTY_FILTER_CLASS)
        .key(&REPLICATION_FACTOR)
        .key(&REFRESH_TOPICS_ENABLED)
        .key(&REFRESH_TOPICS_INTERVAL_SECONDS)
        .key(&SYNC_TOPIC_CONFIGS_ENABLED)
        .key(&SYNC_TOPIC_CONFIGS_INTERVAL_SECONDS)
        .key(&SYNC_TOPIC_ACLS_ENABLED)
        .key(&SYNC_TOPIC_ACLS_INTERVAL_SECONDS)
        .key(&EMIT_OFFSET_SYNCS_ENABLED)
        .key(&OFFSET_SYNCS_TOPIC_REPLICATION_FACTOR)
        .key(&PROVENANCE_HEADER_ENABLED)
        .key(&OFFSET_LAG_MAX)
        .key(&HEARTBEATS_REPLICATION_ENABLED)
}

/// Finds the topics to mirror and keeps their remote copies in shape.
struct TopicSync {
    mirror: MirrorConfig,
    topics: NameFilter,
    /// `heartbeats.replication.enabled`: heartbeats topics mirrored past the filter.
    heartbeats_past_filter: bool,
    config_properties: ConfigPropertyFilter,
    source: ClusterAdmin,
    target: ClusterAdmin,
}

impl TopicSync {
    fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        Ok(TopicSync {
            topics: NameFilter::topics(config).map_err(ConnectError::failed)?,
            heartbeats_past_filter: mirror.value(&HEARTBEATS_REPLICATION_ENABLED),
            config_properties: ConfigPropertyFilter::new(config).map_err(ConnectError::failed)?,
            source: mirror.admin("source")?,
            target: mirror.admin("target")?,
            mirror,
        })
    }

    /// Whether source topic `topic` is mirrored: selected by the filter (heartbeats topics
    /// always, unless `heartbeats.replication.enabled` is off), not internal, and not a copy of
    /// a topic of the target.
    fn mirrors(&self, topic: &str) -> bool {
        let policy = &self.mirror.policy;
        let heartbeats = self.heartbeats_past_filter && policy.is_heartbeats_topic(topic);
        (self.topics.accepts(topic) || heartbeats)
            && !policy.is_internal_topic(topic)
            && !policy.is_cycle(&self.mirror.target, topic)
    }

    /// The source topics to mirror and their partition counts.
    async fn source_topics(&self) -> Result<BTreeMap<String, i32>, ConnectError> {
        Ok(self
            .source
            .topic_partitions()
            .await?
            .into_iter()
            .filter(|(t, _)| self.mirrors(t))
            .collect())
    }

    fn remote(&self, topic: &str) -> String {
        self.mirror.policy.format_remote_topic(&self.mirror.source, topic)
    }

    /// What each remote topic's configs get from its source topic's, by remote topic.
    async fn remote_changes(&self, topics: &[String]) -> Result<BTreeMap<String, ConfigChanges>, ConnectError> {
        Ok(self
            .source
            .describe_topic_configs(topics)
            .await?
            .into_iter()
            .map(|(topic, entries)| (self.remote(&topic), self.config_properties.remote_changes(entries)))
            .collect())
    }

    /// Creates missing remote topics (with the source's configs, also when
    /// `sync.topic.configs.enabled` is off, as Apache's connector) and grows those with fewer
    /// partitions than their source.
    async fn prepare_remote_topics(&self, topics: &BTreeMap<String, i32>) -> Result<(), ConnectError> {
        let existing = self.target.topic_partitions().await?;
        let missing: Vec<String> = topics
            .keys()
            .filter(|t| !existing.contains_key(&self.remote(t)))
            .cloned()
            .collect();
        let mut changes = self.remote_changes(&missing).await?;
        let create: Vec<(String, i32, TopicConfigs)> = missing
            .iter()
            .map(|t| {
                let remote = self.remote(t);
                let topic_configs = changes.remove(&remote).unwrap_or_default().set;
                (remote, topics[t], topic_configs)
            })
            .collect();
        let replication = self.mirror.value(&REPLICATION_FACTOR) as i32;
        for created in self.target.create_topics(&create, replication).await? {
            tracing::info!(topic = %created, "created remote topic");
        }
        let grow: Vec<(String, i32)> = topics
            .iter()
            .map(|(t, count)| (self.remote(t), *count))
            .filter(|(remote, count)| existing.get(remote).is_some_and(|have| have < count))
            .collect();
        for (remote, count) in &grow {
            tracing::info!(topic = %remote, partitions = count, "growing remote topic");
        }
        self.target.add_partitions(&grow).await
    }

    /// Brings the remote topics' configs in line with their source topics'
    /// ([`ConfigPropertyFilter::remote_changes`]) with incremental changes; remote topics
    /// already in line are left alone.
    async fn sync_configs(&self, topics: &BTreeMap<String, i32>) -> Result<(), ConnectError> {
        let names: Vec<String> = topics.keys().cloned().collect();
        let wanted = self.remote_changes(&names).await?;
        let remote: Vec<String> = wanted.keys().cloned().collect();
        let current = self.target.topic_configs(&remote).await?;
        let outstanding: BTreeMap<String, ConfigChanges> = wanted
            .into_iter()
            .filter_map(|(topic, changes)| {
                let left = topic_configs::outstanding(changes, current.get(&topic)?)?;
                Some((topic, left))
            })
            .collect();
        for topic in outstanding.keys() {
            tracing::info!(topic = %topic, "copying topic configs to the remote topic");
        }
        self.target.alter_topic_configs(outstanding).await
    }

    /// Copies the source's ACLs on mirrored topics to their remote topics, as MirrorMaker 2
    /// does ([`TopicAcl::mirrored`]).
    async fn sync_acls(&self) -> Result<(), AclError> {
        let acls: Vec<TopicAcl> = self
            .source
            .topic_acls()
            .await?
            .into_iter()
            .filter(|acl| self.mirrors(&acl.topic))
            .filter_map(|acl| {
                let remote = self.remote(&acl.topic);
                acl.mirrored(remote)
            })
            .collect();
        tracing::debug!(acls = acls.len(), "copying topic ACLs to the remote topics");
        self.target.create_topic_acls(acls).await
    }

    /// Creates the offset-syncs topic if offset syncs are emitted.
    async fn prepare_offset_syncs_topic(&self) -> Result<(), ConnectError> {
        if !self.mirror.value(&EMIT_OFFSET_SYNCS_ENABLED) {
            return Ok(());
        }
        let admin = if self.mirror.offset_syncs_cluster() == "source" {
            &self.source
        } else {
            &self.target
        };
        admin
            .ensure_compacted_topic(
                &self.mirror.offset_syncs_topic(),
                self.mirror.value(&OFFSET_SYNCS_TOPIC_REPLICATION_FACTOR) as i32,
            )
            .await
    }
}

/// The connector object: finds the topics to mirror, prepares their remote topics, splits
/// their partitions between tasks, and watches for changes.
pub struct MirrorSourceConnector {
    config: ConfigMap,
    /// Shared with the refresh loop.
    sync: Arc<TopicSync>,
    /// Source partition counts of the mirrored topics, by topic; updated by the refresh loop.
    partitions: Arc<Mutex<BTreeMap<String, i32>>>,
    refresh: Option<JoinHandle<()>>,
}

impl MirrorSourceConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        Ok(MirrorSourceConnector {
            config: config.clone(),
            sync: Arc::new(TopicSync::new(config)?),
            partitions: Arc::default(),
            refresh: None,
        })
    }
}

/// Apache's checks of a source connector's config: its topic and topic-config filters, its
/// replication policy, and its clusters' client settings.
fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let mut errors: Vec<ValidationError> = [NameFilter::topics(config), NameFilter::config_properties(config)]
        .into_iter()
        .filter_map(Result::err)
        .map(ValidationError::from)
        .collect();
    if let Err(e) = crate::policy::ReplicationPolicy::from_config(config) {
        errors.push(ValidationError {
            key: "replication.policy.class".into(),
            message: e.to_string(),
        });
    }
    errors.extend(crate::config::client_problems(config));
    errors
}

#[async_trait]
impl Connector for MirrorSourceConnector {
    async fn start(&mut self, context: ConnectorContext) -> Result<(), ConnectError> {
        let sync = &self.sync;
        if !sync.mirror.value(&ENABLED) {
            tracing::info!(connector = %context.name, "enabled=false: nothing is replicated");
            return Ok(());
        }
        sync.prepare_offset_syncs_topic().await?;
        let topics = sync.source_topics().await?;
        tracing::info!(connector = %context.name, topics = topics.len(), "topics to mirror found");
        sync.prepare_remote_topics(&topics).await?;
        *lock(&self.partitions) = topics;
        self.refresh = Some(tokio::spawn(refresh_loop(
            Arc::clone(sync),
            self.partitions.clone(),
            context,
        )));
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let all: Vec<String> = lock(&self.partitions)
            .iter()
            .flat_map(|(topic, count)| (0..*count).map(move |p| format!("{topic}-{p}")))
            .collect();
        Ok(round_robin(&self.config, ASSIGNED, &all, max_tasks))
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(refresh) = self.refresh.take() {
            refresh.abort();
        }
        Ok(())
    }
}

/// Looks for new topics and partitions, and copies topic configs, at their intervals; asks for
/// new task configs when the partitions to mirror changed.
async fn refresh_loop(sync: Arc<TopicSync>, partitions: Arc<Mutex<BTreeMap<String, i32>>>, context: ConnectorContext) {
    let mut refresh = sync
        .mirror
        .every(&REFRESH_TOPICS_ENABLED, &REFRESH_TOPICS_INTERVAL_SECONDS);
    let mut configs = sync
        .mirror
        .every(&SYNC_TOPIC_CONFIGS_ENABLED, &SYNC_TOPIC_CONFIGS_INTERVAL_SECONDS);
    let mut acls = sync
        .mirror
        .every(&SYNC_TOPIC_ACLS_ENABLED, &SYNC_TOPIC_ACLS_INTERVAL_SECONDS);
    // Said once: a cluster has no authorizer (there may be one after a rolling restart).
    let mut no_authorizer_told = false;
    if acls.is_some() {
        sync_acls(&sync, &context, &mut no_authorizer_told).await;
    }
    loop {
        tokio::select! {
            _ = async { refresh.as_mut()?.tick().await; Some(()) }, if refresh.is_some() => {
                match refresh_topics(&sync, &partitions).await {
                    Ok(true) => context.request_task_reconfiguration(),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(connector = %context.name, "refreshing the topics to mirror: {e}"),
                }
            }
            _ = async { configs.as_mut()?.tick().await; Some(()) }, if configs.is_some() => {
                let topics = lock(&partitions).clone();
                if let Err(e) = sync.sync_configs(&topics).await {
                    tracing::warn!(connector = %context.name, "copying topic configs: {e}");
                }
            }
            _ = async { acls.as_mut()?.tick().await; Some(()) }, if acls.is_some() => {
                sync_acls(&sync, &context, &mut no_authorizer_told).await;
            }
            else => return,
        }
    }
}

/// Copies topic ACLs once. A cluster without an authorizer has no ACLs to sync: said once
/// (`told`), as MirrorMaker 2 does.
async fn sync_acls(sync: &TopicSync, context: &ConnectorContext, told: &mut bool) {
    match sync.sync_acls().await {
        Ok(()) => {}
        Err(AclError::SecurityDisabled) if !*told => {
            *told = true;
            tracing::info!(
                connector = %context.name,
                "a cluster has no ACL authorizer, so topic ACLs are not synced; set sync.topic.acls.enabled=false to stop trying"
            );
        }
        Err(AclError::SecurityDisabled) => {}
        Err(AclError::Failed(e)) => tracing::warn!(connector = %context.name, "copying topic ACLs: {e}"),
    }
}

/// Brings the remote topics in line with the source; whether the partitions to mirror changed.
async fn refresh_topics(sync: &TopicSync, partitions: &Mutex<BTreeMap<String, i32>>) -> Result<bool, ConnectError> {
    let topics = sync.source_topics().await?;
    if topics == *lock(partitions) {
        return Ok(false);
    }
    sync.prepare_remote_topics(&topics).await?;
    tracing::info!(topics = topics.len(), "the topics or partitions to mirror changed");
    *lock(partitions) = topics;
    Ok(true)
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["MirrorSourceConnector", "MirrorSource"],
        config_def,
        validate: Some(validate),
        alter_offsets: None,
        create: |config| Ok(Box::new(MirrorSourceConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(task::MirrorSourceTask::new(config)?))),
    }
}
