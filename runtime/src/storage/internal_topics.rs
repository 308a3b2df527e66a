//! Distributed mode's internal topics: created compacted when missing, and checked when they
//! exist, so a worker pointed at the wrong topics fails at start-up instead of losing data.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;

use super::StoreError;

/// One internal topic as the worker config describes it.
#[derive(Debug, Clone)]
pub struct InternalTopic {
    /// The worker setting naming it (`config.storage.topic`, …), for error messages.
    pub setting: &'static str,
    /// The topic.
    pub name: String,
    /// Partitions to create it with.
    pub partitions: i32,
    /// Replication factor to create it with; -1 takes the brokers' default.
    pub replication_factor: i32,
    /// The exact partition count an existing topic must have (the config topic's 1).
    pub required_partitions: Option<i32>,
}

/// How long a topic another worker is creating may take to show in the metadata; brokers of a
/// loaded cluster can lag several seconds behind a creation.
const CREATION_SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks the existing topics (compacted, required partition count), then creates the missing
/// ones compacted; nothing is created when a check fails.
pub async fn ensure_internal_topics(client: ClientConfig, topics: &[InternalTopic]) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + CREATION_SETTLE_TIMEOUT;
    let mut pause = Duration::from_millis(100);
    // `true` means some topic appeared meanwhile (another worker, or metadata lagging behind a
    // creation): check it again like any existing topic once the metadata shows it.
    while create_or_check(client.clone(), topics).await? {
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Other(format!(
                "an internal topic exists but its metadata could not be read within {} s; is it being created or deleted?",
                CREATION_SETTLE_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
    Ok(())
}

/// One pass of [`ensure_internal_topics`]; `true` when a topic thought missing already existed.
async fn create_or_check(client: ClientConfig, topics: &[InternalTopic]) -> Result<bool, StoreError> {
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let metadata_client = client.clone();
    let partitions = tokio::task::spawn_blocking(move || partition_counts(&metadata_client, &names))
        .await
        .map_err(|e| StoreError::caused("cannot read topic metadata", e))??;
    let admin: AdminClient<DefaultClientContext> = client
        .create()
        .map_err(|e| StoreError::caused("cannot create an admin client", e))?;
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
    let (existing, missing): (Vec<&InternalTopic>, Vec<&InternalTopic>) = topics
        .iter()
        .partition(|t| partitions.get(&t.name).is_some_and(|&n| n > 0));
    for topic in &existing {
        let count = partitions.get(&topic.name).copied().unwrap_or(0);
        if let Some(required) = topic.required_partitions {
            if count != required {
                return Err(StoreError::Other(format!(
                    "Topic '{}' supplied via the '{}' property is required to have a single partition in order to guarantee consistency of connector configurations, but it has {count} partitions.",
                    topic.name, topic.setting
                )));
            }
        }
    }
    if !existing.is_empty() {
        let specifiers: Vec<ResourceSpecifier<'_>> =
            existing.iter().map(|t| ResourceSpecifier::Topic(&t.name)).collect();
        let described = admin
            .describe_configs(&specifiers, &options)
            .await
            .map_err(|e| StoreError::caused("cannot describe the internal topics", e))?;
        for (topic, described) in existing.iter().zip(described) {
            let resource = described.map_err(|e| {
                StoreError::caused(format!("cannot describe topic {} ({})", topic.name, topic.setting), e)
            })?;
            let policy = resource
                .get("cleanup.policy")
                .and_then(|entry| entry.value.clone())
                .unwrap_or_default();
            match compact_only(&policy) {
                Some(true) => {}
                None => tracing::info!(
                    topic = %topic.name,
                    "unable to verify that the cleanup policy of the topic is 'compact': the brokers report none"
                ),
                Some(false) => return Err(StoreError::Other(format!(
                    "Topic '{}' supplied via the '{}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector configurations, but found the topic currently has 'cleanup.policy={policy}'. Continuing would likely result in eventually losing connector configurations and problems restarting this Connect cluster in the future. Change the '{}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.",
                    topic.name, topic.setting, topic.setting
                ))),
            }
        }
    }
    if missing.is_empty() {
        return Ok(false);
    }
    let new_topics: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|t| {
            NewTopic::new(&t.name, t.partitions, TopicReplication::Fixed(t.replication_factor))
                .set("cleanup.policy", "compact")
        })
        .collect();
    let created = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(|e| StoreError::caused("cannot create the internal topics", e))?;
    let mut existed = false;
    for result in created {
        match result {
            Ok(topic) => tracing::info!(topic = %topic, "created internal topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => existed = true,
            Err((topic, code)) => {
                let setting = topics.iter().find(|t| t.name == topic).map(|t| t.setting).unwrap_or("");
                return Err(StoreError::caused(
                    format!("cannot create topic {topic} ({setting})"),
                    code,
                ));
            }
        }
    }
    Ok(existed)
}

/// Whether a topic's `cleanup.policy` keeps an internal topic whole, as Apache's
/// `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact` judges it: only exactly `compact` does;
/// `None` (cannot tell, and the worker goes on) when the brokers report no policy, as for a topic
/// another worker created a moment ago or a principal not allowed to describe configs.
fn compact_only(policy: &str) -> Option<bool> {
    let mut policies = policy.split(',').map(str::trim).filter(|p| !p.is_empty()).peekable();
    policies.peek()?;
    Some(policies.all(|p| p == "compact"))
}

/// Partition counts of the named topics (0 for a topic that does not exist), waiting a little
/// for topics whose partitions have no leader yet (created a moment ago).
fn partition_counts(client: &ClientConfig, names: &[String]) -> Result<HashMap<String, i32>, StoreError> {
    let consumer: BaseConsumer = client
        .create()
        .map_err(|e| StoreError::caused("cannot create a metadata client", e))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let metadata = consumer
            .fetch_metadata(None, Duration::from_secs(30))
            .map_err(|e| StoreError::caused("cannot read topic metadata", e))?;
        let mut counts = HashMap::new();
        let mut settled = true;
        for name in names {
            let count = match metadata.topics().iter().find(|t| t.name() == name) {
                None => 0,
                Some(t)
                    if t.error() == Some(rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) =>
                {
                    0
                }
                Some(t) if t.partitions().is_empty() => {
                    settled = false;
                    0
                }
                Some(t) => t.partitions().len() as i32,
            };
            counts.insert(name.clone(), count);
        }
        if settled || std::time::Instant::now() >= deadline {
            return Ok(counts);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::compact_only;

    #[test]
    fn only_a_compact_policy_is_fit_and_none_reported_is_unknown() {
        assert_eq!(compact_only("compact"), Some(true));
        assert_eq!(compact_only(" compact "), Some(true));
        assert_eq!(compact_only("delete"), Some(false));
        assert_eq!(compact_only("compact,delete"), Some(false));
        assert_eq!(compact_only(""), None);
    }
}
