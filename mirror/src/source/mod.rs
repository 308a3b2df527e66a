//! `MirrorSourceConnector`: copies the topics a flow selects from the source cluster to the
//! target, as MirrorMaker 2 does: keys, values, headers (raw bytes), timestamps and partition
//! numbers preserved, topics renamed by the replication policy, remote topics created with the
//! source's partition count (and grown when the source grows). Source partitions are spread
//! over the tasks round-robin; each task resumes after the last offset committed for its
//! partitions (`{"cluster","topic","partition"}` → `{"offset"}`, Apache's format).

mod task;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use tributary_runtime::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, ValidationError};
use tributary_runtime::connector::{ConnectError, Connector, ConnectorContext};
use tributary_runtime::plugins::{ConnectorPlugin, TaskFactory};

use crate::filter::NameFilter;
use crate::policy::ReplicationPolicy;

/// Apache's class name.
pub const CLASS: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
/// The task config key listing a task's source partitions (`topic-partition`, comma-separated).
const ASSIGNED: &str = "task.assigned.partitions";

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::required(
            "source.cluster.alias",
            ConfigType::String,
            "Alias of the source cluster.",
        ))
        .define(ConfigKey::optional(
            "target.cluster.alias",
            ConfigType::String,
            "target",
            "Alias of the target cluster.",
        ))
        .define(ConfigKey::required(
            "source.cluster.bootstrap.servers",
            ConfigType::List,
            "Brokers of the source cluster.",
        ))
        .define(ConfigKey::required(
            "target.cluster.bootstrap.servers",
            ConfigType::List,
            "Brokers of the target cluster (where remote topics are created).",
        ))
        .define(ConfigKey::optional(
            "topics",
            ConfigType::List,
            ".*",
            "Topics to mirror (regexes).",
        ))
        .define(ConfigKey::optional(
            "topics.exclude",
            ConfigType::List,
            crate::filter::DEFAULT_TOPICS_EXCLUDE,
            "Topics not to mirror (regexes).",
        ))
        .define(ConfigKey::optional(
            "replication.factor",
            ConfigType::Int,
            "2",
            "Replication factor of created remote topics.",
        ))
        .define(ConfigKey::optional(
            "replication.policy.class",
            ConfigType::String,
            "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
            "How remote topics are named.",
        ))
        .define(ConfigKey::optional(
            "replication.policy.separator",
            ConfigType::String,
            ".",
            "Separator of the default replication policy.",
        ))
}

/// Client settings for `cluster` (`source` or `target`) and client `kind`: `<cluster>.cluster.*`
/// (without its `alias` and other clients' sections), then `<cluster>.cluster.<kind>.*` and `<cluster>.<kind>.*`.
pub(crate) fn cluster_client(config: &ConfigMap, cluster: &str, kind: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    let common = format!("{cluster}.cluster.");
    for (key, value) in config {
        if let Some(rest) = key.strip_prefix(&common) {
            if rest != "alias" && !["consumer.", "producer.", "admin."].iter().any(|p| rest.starts_with(p)) {
                client.set(rest, value);
            }
        }
    }
    for prefix in [format!("{cluster}.cluster.{kind}."), format!("{cluster}.{kind}.")] {
        for (key, value) in config {
            if let Some(rest) = key.strip_prefix(&prefix) {
                client.set(rest, value);
            }
        }
    }
    client
}

/// The connector object: finds the topics to mirror, prepares their remote topics, and splits
/// their partitions between tasks.
#[derive(Default)]
pub struct MirrorSourceConnector {
    config: ConfigMap,
    /// Source partitions to mirror, by topic.
    partitions: BTreeMap<String, i32>,
}

#[async_trait]
impl Connector for MirrorSourceConnector {
    fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        if let Err(e) = NameFilter::topics(config) {
            errors.push(ValidationError {
                key: e.key.clone(),
                message: e.to_string(),
            });
        }
        if let Err(e) = ReplicationPolicy::from_config(config) {
            errors.push(ValidationError {
                key: "replication.policy.class".into(),
                message: e.to_string(),
            });
        }
        errors
    }

    async fn start(&mut self, config: &ConfigMap, context: ConnectorContext) -> Result<(), ConnectError> {
        self.config = config.clone();
        let policy = ReplicationPolicy::from_config(config).map_err(|e| ConnectError::fatal(e.to_string()))?;
        let filter = NameFilter::topics(config).map_err(|e| ConnectError::fatal(e.to_string()))?;
        let source = config.get("source.cluster.alias").cloned().unwrap_or_default();
        let target = config
            .get("target.cluster.alias")
            .cloned()
            .unwrap_or_else(|| "target".into());
        let client = cluster_client(config, "source", "admin");
        let partitions = tokio::task::spawn_blocking(move || -> Result<BTreeMap<String, i32>, String> {
            let consumer: BaseConsumer = client.create().map_err(|e| e.to_string())?;
            let metadata = consumer
                .fetch_metadata(None, Duration::from_secs(30))
                .map_err(|e| format!("cannot list the topics of cluster {source}: {e}"))?;
            Ok(metadata
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .map(|t| t.name())
                .filter(|t| (filter.accepts(t) || policy.is_heartbeats_topic(t)) && !policy.is_internal_topic(t))
                .filter(|t| !policy.is_cycle(&target, t))
                .filter_map(|t| {
                    let count = metadata.topics().iter().find(|m| m.name() == t)?.partitions().len() as i32;
                    Some((t.to_string(), count))
                })
                .collect())
        })
        .await
        .map_err(|e| ConnectError::fatal(e.to_string()))?
        .map_err(ConnectError::Retriable)?;
        tracing::info!(connector = %context.name, topics = partitions.len(), "topics to mirror found");
        self.create_remote_topics(&partitions).await?;
        self.partitions = partitions;
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        let all: Vec<String> = self
            .partitions
            .iter()
            .flat_map(|(topic, count)| (0..*count).map(move |p| format!("{topic}-{p}")))
            .collect();
        let tasks = max_tasks.min(all.len());
        Ok((0..tasks)
            .map(|task| {
                let mine: Vec<&str> = all.iter().skip(task).step_by(tasks).map(String::as_str).collect();
                let mut config = self.config.clone();
                config.insert(ASSIGNED.into(), mine.join(","));
                config
            })
            .collect())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        Ok(())
    }
}

impl MirrorSourceConnector {
    /// Creates missing remote topics with the source's partition count, and grows existing ones
    /// that have fewer partitions.
    async fn create_remote_topics(&self, partitions: &BTreeMap<String, i32>) -> Result<(), ConnectError> {
        if partitions.is_empty() {
            return Ok(());
        }
        let policy = ReplicationPolicy::from_config(&self.config).map_err(|e| ConnectError::fatal(e.to_string()))?;
        let source = self.config.get("source.cluster.alias").cloned().unwrap_or_default();
        let replication: i32 = self
            .config
            .get("replication.factor")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(2);
        let client = cluster_client(&self.config, "target", "admin");
        let admin: AdminClient<DefaultClientContext> = client
            .create()
            .map_err(|e| ConnectError::fatal(format!("cannot create an admin client for the target: {e}")))?;
        let remote: Vec<(String, i32)> = partitions
            .iter()
            .map(|(topic, count)| (policy.format_remote_topic(&source, topic), *count))
            .collect();
        let new_topics: Vec<NewTopic<'_>> = remote
            .iter()
            .map(|(name, count)| NewTopic::new(name, *count, TopicReplication::Fixed(replication)))
            .collect();
        let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
        let created = admin
            .create_topics(&new_topics, &options)
            .await
            .map_err(|e| ConnectError::Retriable(format!("cannot create remote topics: {e}")))?;
        for result in created {
            match result {
                Ok(topic) => tracing::info!(topic = %topic, "created remote topic"),
                Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    return Err(ConnectError::Retriable(format!(
                        "cannot create remote topic {topic}: {code}"
                    )))
                }
            }
        }
        let metadata_client = client.clone();
        let names: Vec<String> = remote.iter().map(|(n, _)| n.clone()).collect();
        let existing = tokio::task::spawn_blocking(move || -> Result<BTreeMap<String, i32>, String> {
            let consumer: BaseConsumer = metadata_client.create().map_err(|e| e.to_string())?;
            let metadata = consumer
                .fetch_metadata(None, Duration::from_secs(30))
                .map_err(|e| e.to_string())?;
            Ok(metadata
                .topics()
                .iter()
                .filter(|t| names.iter().any(|n| n == t.name()))
                .map(|t| (t.name().to_string(), t.partitions().len() as i32))
                .collect())
        })
        .await
        .map_err(|e| ConnectError::fatal(e.to_string()))?
        .map_err(ConnectError::Retriable)?;
        let grow: Vec<NewPartitions<'_>> = remote
            .iter()
            .filter(|(name, count)| existing.get(name).is_some_and(|have| have < count))
            .map(|(name, count)| NewPartitions::new(name, *count as usize))
            .collect();
        if !grow.is_empty() {
            for result in admin
                .create_partitions(&grow, &options)
                .await
                .map_err(|e| ConnectError::Retriable(format!("cannot add partitions to remote topics: {e}")))?
            {
                if let Err((topic, code)) = result {
                    return Err(ConnectError::Retriable(format!(
                        "cannot add partitions to {topic}: {code}"
                    )));
                }
            }
        }
        Ok(())
    }
}

inventory::submit! {
    ConnectorPlugin {
        class: CLASS,
        aliases: &["MirrorSourceConnector", "MirrorSource"],
        config_def,
        create: || Box::new(MirrorSourceConnector::default()),
        tasks: TaskFactory::Source(|| Box::new(task::MirrorSourceTask::default())),
    }
}
