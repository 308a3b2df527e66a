//! `MirrorCheckpointConnector`: for the consumer groups a flow selects (`groups`,
//! `groups.exclude`, and as Apache only those that have committed on a topic it copies),
//! translates their committed source offsets through the offset syncs and
//! writes checkpoints to `<source>.checkpoints.internal` on the target, in Apache's record
//! format; with `sync.group.offsets.enabled` it also commits the translated offsets to the
//! target's groups while they are empty there, never moving them backwards. Groups are spread
//! over the tasks round-robin, and looked for again every `refresh.groups.interval.seconds`.

mod groups;
mod task;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::task::JoinHandle;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::connector::{ConnectorPlugin, TaskFactory};

use self::groups::selected_groups;
use crate::admin::ClusterAdmin;
use crate::config::{polling_config_def, round_robin, with_topic_filter, MirrorConfig, ENABLED};
use crate::filter::NameFilter;
use crate::lock;

/// Apache's class name.
pub const CLASS: &str = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
/// The task config key listing a task's consumer groups (comma-separated).
const ASSIGNED: &str = "task.assigned.groups";

/// `groups`.
pub(crate) const GROUPS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "groups",
        ConfigType::List,
        ".*",
        "Consumer groups to checkpoint (regexes).",
    )
    .importance(Importance::High),
);
/// `groups.exclude`.
pub(crate) const GROUPS_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "groups.exclude",
        ConfigType::List,
        crate::filter::DEFAULT_GROUPS_EXCLUDE,
        "Consumer groups not to checkpoint (regexes).",
    )
    .importance(Importance::High),
);
/// `group.filter.class`: MirrorMaker 2's default filter only.
pub(crate) const GROUP_FILTER_CLASS: Key<String> = Key::new(
    ConfigKey::optional(
        "group.filter.class",
        ConfigType::Class,
        "org.apache.kafka.connect.mirror.DefaultGroupFilter",
        "Which consumer groups to checkpoint: groups and groups.exclude.",
    )
    .importance(Importance::Low)
    .check(|class| crate::config::only_default_class(class, "DefaultGroupFilter")),
);
/// `emit.checkpoints.enabled`.
pub(crate) const EMIT_CHECKPOINTS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "emit.checkpoints.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to write checkpoints.",
    )
    .importance(Importance::Low),
);
/// `emit.checkpoints.interval.seconds`.
pub(crate) const EMIT_CHECKPOINTS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "emit.checkpoints.interval.seconds",
        ConfigType::Long,
        "60",
        "How often to write checkpoints.",
    )
    .importance(Importance::Low),
);
/// `sync.group.offsets.enabled`.
pub(crate) const SYNC_GROUP_OFFSETS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "sync.group.offsets.enabled",
        ConfigType::Boolean,
        "false",
        "Whether to commit translated offsets to the target's consumer groups.",
    )
    .importance(Importance::Low),
);
/// `sync.group.offsets.interval.seconds`.
pub(crate) const SYNC_GROUP_OFFSETS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "sync.group.offsets.interval.seconds",
        ConfigType::Long,
        "60",
        "How often to commit translated offsets to the target's consumer groups.",
    )
    .importance(Importance::Low),
);
/// `refresh.groups.enabled`.
pub(crate) const REFRESH_GROUPS_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "refresh.groups.enabled",
        ConfigType::Boolean,
        "true",
        "Whether to look for new consumer groups periodically.",
    )
    .importance(Importance::Low),
);
/// `refresh.groups.interval.seconds`.
pub(crate) const REFRESH_GROUPS_INTERVAL_SECONDS: Key<i64> = Key::new(
    ConfigKey::optional(
        "refresh.groups.interval.seconds",
        ConfigType::Long,
        "600",
        "How often to look for new consumer groups.",
    )
    .importance(Importance::Low),
);
/// `checkpoints.topic.replication.factor`.
pub(crate) const CHECKPOINTS_TOPIC_REPLICATION_FACTOR: Key<i64> = Key::new(
    ConfigKey::optional(
        "checkpoints.topic.replication.factor",
        ConfigType::Short,
        "3",
        "Replication factor of the checkpoints topic.",
    )
    .importance(Importance::Low),
);

fn config_def() -> ConfigDef {
    with_topic_filter(polling_config_def())
        .key(&GROUPS)
        .key(&GROUPS_EXCLUDE)
        .key(&GROUP_FILTER_CLASS)
        .key(&EMIT_CHECKPOINTS_ENABLED)
        .key(&EMIT_CHECKPOINTS_INTERVAL_SECONDS)
        .key(&SYNC_GROUP_OFFSETS_ENABLED)
        .key(&SYNC_GROUP_OFFSETS_INTERVAL_SECONDS)
        .key(&REFRESH_GROUPS_ENABLED)
        .key(&REFRESH_GROUPS_INTERVAL_SECONDS)
        .key(&CHECKPOINTS_TOPIC_REPLICATION_FACTOR)
}

/// The connector object: finds the groups to checkpoint and splits them between tasks.
pub struct MirrorCheckpointConnector {
    config: ConfigMap,
    /// Shared with the loop that looks for groups again.
    mirror: Arc<MirrorConfig>,
    /// The groups the flow selects.
    filter: NameFilter,
    /// The topics it copies: a group is checkpointed once it has committed on one of them.
    topics: NameFilter,
    source: ClusterAdmin,
    groups: Arc<Mutex<BTreeSet<String>>>,
    refresh: Option<JoinHandle<()>>,
}

impl MirrorCheckpointConnector {
    /// The connector of `config`.
    pub fn new(config: &ConfigMap) -> Result<Self, ConnectError> {
        let mirror = MirrorConfig::parse(&config_def(), config)?;
        Ok(MirrorCheckpointConnector {
            config: config.clone(),
            filter: NameFilter::groups(config).map_err(ConnectError::failed)?,
            topics: NameFilter::topics(config).map_err(ConnectError::failed)?,
            source: mirror.admin("source")?,
            mirror: Arc::new(mirror),
            groups: Arc::default(),
            refresh: None,
        })
    }
}

/// Apache's checks of a checkpoint connector's config: its topic and group filters, and its
/// clusters' client settings.
fn validate(config: &ConfigMap) -> Vec<ValidationError> {
    let mut errors: Vec<ValidationError> = [NameFilter::topics(config), NameFilter::groups(config)]
        .into_iter()
        .filter_map(Result::err)
        .map(ValidationError::from)
        .collect();
    errors.extend(crate::config::client_problems(config));
    errors
}

#[async_trait]
impl Connector for MirrorCheckpointConnector {
    async fn start(&mut self, context: ConnectorContext) -> Result<(), ConnectError> {
        let mirror = &self.mirror;
        if !mirror.value(&ENABLED) {
            tracing::info!(connector = %context.name, "enabled=false: no group is checkpointed");
            return Ok(());
        }
        let (source, filter, topics) = (self.source.clone(), self.filter.clone(), self.topics.clone());
        mirror
            .admin("target")?
            .ensure_compacted_topic(
                &mirror.policy.checkpoints_topic(&mirror.source),
                mirror.value(&CHECKPOINTS_TOPIC_REPLICATION_FACTOR) as i32,
            )
            .await?;
        let groups = selected_groups(mirror, &source, &filter, &topics).await?;
        tracing::info!(connector = %context.name, groups = groups.len(), "consumer groups to checkpoint found");
        *lock(&self.groups) = groups;
        let (known, flow) = (self.groups.clone(), self.mirror.clone());
        self.refresh = mirror
            .every(&REFRESH_GROUPS_ENABLED, &REFRESH_GROUPS_INTERVAL_SECONDS)
            .map(|mut every| {
                tokio::spawn(async move {
                    loop {
                        every.tick().await;
                        match selected_groups(&flow, &source, &filter, &topics).await {
                            Ok(groups) if groups != *lock(&known) => {
                                tracing::info!(connector = %context.name, groups = groups.len(), "the consumer groups to checkpoint changed");
                                *lock(&known) = groups;
                                context.request_task_reconfiguration();
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(connector = %context.name, "listing consumer groups: {e}"),
                        }
                    }
                })
            });
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let groups: Vec<String> = lock(&self.groups).iter().cloned().collect();
        Ok(round_robin(&self.config, ASSIGNED, &groups, max_tasks))
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        if let Some(refresh) = self.refresh.take() {
            refresh.abort();
        }
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["MirrorCheckpointConnector", "MirrorCheckpoint"],
        config_def,
        validate: Some(validate),
        alter_offsets: None,
        create: |config| Ok(Box::new(MirrorCheckpointConnector::new(config)?)),
        tasks: TaskFactory::Source(|config| Ok(Box::new(task::MirrorCheckpointTask::new(config)?))),
    }
}
