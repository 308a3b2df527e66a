//! What the mirror connectors ask of a cluster's admin API: its topics and partition counts,
//! creating and growing topics, reading and copying topic configs, and the single-partition
//! compacted internal topics (offset syncs, checkpoints). Errors are retriable: a cluster that
//! is down now may be back at the next attempt.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;
use rdkafka::ClientConfig;
use tributary_runtime::connector::ConnectError;

/// How long one admin or metadata request may take (Apache's `admin.timeout.ms` default).
const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Topic configs by name.
pub type TopicConfigs = BTreeMap<String, String>;

/// The admin client of one cluster, with its alias for messages.
#[derive(Clone)]
pub struct ClusterAdmin {
    alias: String,
    admin: Arc<AdminClient<DefaultClientContext>>,
}

impl ClusterAdmin {
    /// An admin client for cluster `alias` with `client` settings.
    pub fn new(alias: &str, client: &ClientConfig) -> Result<Self, ConnectError> {
        let admin = client
            .create()
            .map_err(|e| ConnectError::caused(format!("cannot create an admin client for cluster {alias}"), e))?;
        Ok(ClusterAdmin {
            alias: alias.to_string(),
            admin: Arc::new(admin),
        })
    }

    fn options() -> AdminOptions {
        AdminOptions::new().request_timeout(Some(ADMIN_TIMEOUT))
    }

    pub(crate) fn failed(&self, what: &str, e: impl std::fmt::Display) -> ConnectError {
        ConnectError::Retriable(format!("cannot {what} on cluster {}: {e}", self.alias))
    }

    /// librdkafka's handle of the admin client, for the calls rust-rdkafka does not wrap; valid
    /// while `self` lives.
    pub(crate) fn native_client(&self) -> *mut rdkafka_sys::rd_kafka_t {
        self.admin.inner().native_ptr()
    }

    /// The cluster's metadata, fetched within `timeout`.
    async fn metadata(&self, timeout: Duration) -> Result<Metadata, ConnectError> {
        let admin = self.admin.clone();
        tokio::task::spawn_blocking(move || admin.inner().fetch_metadata(None, timeout))
            .await
            .map_err(ConnectError::failed)?
            .map_err(|e| self.failed("list the topics", e))
    }

    /// Whether the cluster answers within `timeout`.
    pub async fn check_reachable(&self, timeout: Duration) -> Result<(), ConnectError> {
        self.metadata(timeout).await.map(|_| ())
    }

    /// Every topic of the cluster and its partition count.
    pub async fn topic_partitions(&self) -> Result<BTreeMap<String, i32>, ConnectError> {
        let metadata = self.metadata(ADMIN_TIMEOUT).await?;
        Ok(metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| (t.name().to_string(), t.partitions().len() as i32))
            .collect())
    }

    /// The consumer groups of the cluster (all, or just `only`) and their states (`Empty`,
    /// `Stable`, …).
    pub async fn consumer_groups(&self, only: Option<&str>) -> Result<BTreeMap<String, String>, ConnectError> {
        let admin = self.admin.clone();
        let only = only.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            let groups = admin.inner().fetch_group_list(only.as_deref(), ADMIN_TIMEOUT)?;
            Ok(groups
                .groups()
                .iter()
                .filter(|g| g.protocol_type() == "consumer" || g.protocol_type().is_empty())
                .map(|g| (g.name().to_string(), g.state().to_string()))
                .collect())
        })
        .await
        .map_err(ConnectError::failed)?
        .map_err(|e: rdkafka::error::KafkaError| self.failed("list the consumer groups", e))
    }

    /// Creates the topics that do not exist yet (name, partitions, configs); existing ones are
    /// left alone. Returns the names created.
    pub async fn create_topics(
        &self,
        topics: &[(String, i32, TopicConfigs)],
        replication_factor: i32,
    ) -> Result<Vec<String>, ConnectError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let new_topics: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|(name, partitions, configs)| {
                configs.iter().fold(
                    NewTopic::new(name, *partitions, TopicReplication::Fixed(replication_factor)),
                    |topic, (key, value)| topic.set(key, value),
                )
            })
            .collect();
        let results = self
            .admin
            .create_topics(&new_topics, &Self::options())
            .await
            .map_err(|e| self.failed("create topics", e))?;
        let mut created = Vec::new();
        for result in results {
            match result {
                Ok(topic) => created.push(topic),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(self.failed(&format!("create topic {topic}"), code)),
            }
        }
        Ok(created)
    }

    /// Grows topics to the given partition counts.
    pub async fn add_partitions(&self, topics: &[(String, i32)]) -> Result<(), ConnectError> {
        if topics.is_empty() {
            return Ok(());
        }
        let grow: Vec<NewPartitions<'_>> = topics
            .iter()
            .map(|(name, count)| NewPartitions::new(name, *count as usize))
            .collect();
        for result in self
            .admin
            .create_partitions(&grow, &Self::options())
            .await
            .map_err(|e| self.failed("add partitions", e))?
        {
            if let Err((topic, code)) = result {
                return Err(self.failed(&format!("add partitions to {topic}"), code));
            }
        }
        Ok(())
    }

    /// The configs set explicitly on each topic (not broker or built-in defaults).
    pub async fn topic_configs(&self, topics: &[String]) -> Result<BTreeMap<String, TopicConfigs>, ConnectError> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let specifiers: Vec<ResourceSpecifier<'_>> = topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let results = self
            .admin
            .describe_configs(&specifiers, &Self::options())
            .await
            .map_err(|e| self.failed("describe topic configs", e))?;
        let mut configs = BTreeMap::new();
        for (topic, result) in topics.iter().zip(results) {
            // A topic deleted meanwhile has no configs to copy.
            let Ok(resource) = result else { continue };
            configs.insert(
                topic.clone(),
                resource
                    .entries
                    .into_iter()
                    .filter(|e| matches!(e.source, ConfigSource::DynamicTopic) && !e.is_sensitive)
                    .filter_map(|e| Some((e.name, e.value?)))
                    .collect(),
            );
        }
        Ok(configs)
    }

    /// Sets each topic's configs to exactly `configs` (those not named return to their defaults).
    pub async fn set_topic_configs(&self, configs: &BTreeMap<String, TopicConfigs>) -> Result<(), ConnectError> {
        if configs.is_empty() {
            return Ok(());
        }
        let alters: Vec<AlterConfig<'_>> = configs
            .iter()
            .map(|(topic, entries)| {
                entries
                    .iter()
                    .fold(AlterConfig::new(ResourceSpecifier::Topic(topic)), |alter, (k, v)| {
                        alter.set(k, v)
                    })
            })
            .collect();
        for result in self
            .admin
            .alter_configs(&alters, &Self::options())
            .await
            .map_err(|e| self.failed("alter topic configs", e))?
        {
            if let Err((resource, code)) = result {
                return Err(self.failed(&format!("alter the configs of {resource:?}"), code));
            }
        }
        Ok(())
    }

    /// Creates `name` as a single-partition compacted topic if it is missing (offset syncs,
    /// checkpoints).
    pub async fn ensure_compacted_topic(&self, name: &str, replication_factor: i32) -> Result<(), ConnectError> {
        let configs = TopicConfigs::from([("cleanup.policy".to_string(), "compact".to_string())]);
        let created = self
            .create_topics(&[(name.to_string(), 1, configs)], replication_factor)
            .await?;
        if !created.is_empty() {
            tracing::info!(cluster = %self.alias, topic = %name, "created internal topic");
        }
        Ok(())
    }
}
