//! What the mirror connectors ask of a cluster's admin API: its topics and partition counts,
//! creating and growing topics, reading and copying topic configs, and the single-partition
//! compacted internal topics (offset syncs, checkpoints). Errors are retriable: a cluster that
//! is down now may be back at the next attempt.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigEntry, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;
use rdkafka::ClientConfig;
use rdkafka_sys as sys;
use rdkafka_sys::rd_kafka_AlterConfigOpType_t as AlterOp;
use tributary_runtime::connector::ConnectError;

use crate::native::{c_string, text, Owned};

/// How long one admin or metadata request may take unless `admin.timeout.ms` says otherwise
/// (Apache's default).
pub const DEFAULT_ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Topic configs by name.
pub type TopicConfigs = BTreeMap<String, String>;

/// Changes to one topic's configs: values to set, and settings to remove (the topic then
/// takes its cluster's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChanges {
    /// The configs to set, by name.
    pub set: TopicConfigs,
    /// The configs to remove from the topic.
    pub delete: BTreeSet<String>,
}

/// The admin client of one cluster, with its alias for messages.
#[derive(Clone)]
pub struct ClusterAdmin {
    alias: String,
    admin: Arc<AdminClient<DefaultClientContext>>,
    timeout: Duration,
}

impl ClusterAdmin {
    /// An admin client for cluster `alias` with `client` settings, each request given
    /// `timeout`.
    pub fn new(alias: &str, client: &ClientConfig, timeout: Duration) -> Result<Self, ConnectError> {
        let admin = client
            .create()
            .map_err(|e| ConnectError::caused(format!("cannot create an admin client for cluster {alias}"), e))?;
        Ok(ClusterAdmin {
            alias: alias.to_string(),
            admin: Arc::new(admin),
            timeout,
        })
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new().request_timeout(Some(self.timeout))
    }

    /// How long one request may take.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
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
        let metadata = self.metadata(self.timeout).await?;
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
        let timeout = self.timeout;
        tokio::task::spawn_blocking(move || {
            let groups = admin.inner().fetch_group_list(only.as_deref(), timeout)?;
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
            .create_topics(&new_topics, &self.options())
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
            .create_partitions(&grow, &self.options())
            .await
            .map_err(|e| self.failed("add partitions", e))?
        {
            if let Err((topic, code)) = result {
                return Err(self.failed(&format!("add partitions to {topic}"), code));
            }
        }
        Ok(())
    }

    /// Each topic's configs as the cluster describes them (every config, with where its value
    /// comes from); a topic deleted meanwhile is left out.
    pub async fn describe_topic_configs(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<String, Vec<ConfigEntry>>, ConnectError> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let specifiers: Vec<ResourceSpecifier<'_>> = topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let results = self
            .admin
            .describe_configs(&specifiers, &self.options())
            .await
            .map_err(|e| self.failed("describe topic configs", e))?;
        Ok(topics
            .iter()
            .zip(results)
            .filter_map(|(topic, result)| Some((topic.clone(), result.ok()?.entries)))
            .collect())
    }

    /// The configs set on each topic itself (not broker or built-in defaults).
    pub async fn topic_configs(&self, topics: &[String]) -> Result<BTreeMap<String, TopicConfigs>, ConnectError> {
        Ok(self
            .describe_topic_configs(topics)
            .await?
            .into_iter()
            .map(|(topic, entries)| {
                let own = entries
                    .into_iter()
                    .filter(|e| matches!(e.source, ConfigSource::DynamicTopic) && !e.is_sensitive)
                    .filter_map(|e| Some((e.name, e.value?)))
                    .collect();
                (topic, own)
            })
            .collect())
    }

    /// Applies `changes` to each topic's configs with Kafka's IncrementalAlterConfigs, as
    /// MirrorMaker 2 does: the configs not named are left as they are.
    pub async fn alter_topic_configs(&self, changes: BTreeMap<String, ConfigChanges>) -> Result<(), ConnectError> {
        if changes.is_empty() {
            return Ok(());
        }
        let admin = self.clone();
        tokio::task::spawn_blocking(move || admin.incremental_alter_configs(&changes))
            .await
            .map_err(ConnectError::failed)?
    }

    fn incremental_alter_configs(&self, changes: &BTreeMap<String, ConfigChanges>) -> Result<(), ConnectError> {
        const WHAT: &str = "alter topic configs";
        let mut resources = Vec::with_capacity(changes.len());
        for (topic, change) in changes {
            let name = c_string(topic)?;
            // SAFETY: the name is copied; the resource is freed by its guard.
            let resource = unsafe {
                Owned(
                    sys::rd_kafka_ConfigResource_new(
                        sys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                        name.as_ptr(),
                    ),
                    sys::rd_kafka_ConfigResource_destroy,
                )
            };
            let set = change
                .set
                .iter()
                .map(|(key, value)| (key, Some(value), AlterOp::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET));
            let delete = change
                .delete
                .iter()
                .map(|key| (key, None, AlterOp::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE));
            for (key, value, op) in set.chain(delete) {
                let key = c_string(key)?;
                let value = value.map(|v| c_string(v)).transpose()?;
                let value_ptr = value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr());
                // SAFETY: the resource is live and the strings are copied; the error, if any, is
                // ours to free.
                let error = unsafe {
                    Owned(
                        sys::rd_kafka_ConfigResource_add_incremental_config(resource.0, key.as_ptr(), op, value_ptr),
                        sys::rd_kafka_error_destroy,
                    )
                };
                if !error.0.is_null() {
                    // SAFETY: the error is live; its string lives as long as it.
                    let why = unsafe { text(sys::rd_kafka_error_string(error.0)) };
                    return Err(self.failed(&format!("alter the configs of {topic}"), why));
                }
            }
            resources.push(resource);
        }
        let mut pointers: Vec<*mut sys::rd_kafka_ConfigResource_t> = resources.iter().map(|r| r.0).collect();
        let event = self
            .native_request(
                sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
                // SAFETY: the resources are copied by the call; all pointers are live for it.
                |client, options, queue| unsafe {
                    sys::rd_kafka_IncrementalAlterConfigs(client, pointers.as_mut_ptr(), pointers.len(), options, queue)
                },
            )
            .map_err(|failure| self.failed(WHAT, failure.message))?;
        // SAFETY: the event is an IncrementalAlterConfigs result; its resources live as long as
        // the event.
        unsafe {
            let result = sys::rd_kafka_event_IncrementalAlterConfigs_result(event.0);
            if result.is_null() {
                return Err(self.failed(WHAT, "unexpected reply"));
            }
            let mut count = 0;
            let results = sys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
            for i in 0..count {
                let resource = *results.add(i);
                if sys::rd_kafka_ConfigResource_error(resource) != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                {
                    let topic = text(sys::rd_kafka_ConfigResource_name(resource));
                    let why = text(sys::rd_kafka_ConfigResource_error_string(resource));
                    return Err(self.failed(&format!("alter the configs of {topic}"), why));
                }
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
