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

/// Checks the existing topics (compacted, required partition count), then creates the missing
/// ones compacted; nothing is created when a check fails.
pub async fn ensure_internal_topics(client: ClientConfig, topics: &[InternalTopic]) -> Result<(), StoreError> {
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let metadata_client = client.clone();
    let partitions = tokio::task::spawn_blocking(move || partition_counts(&metadata_client, &names))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))??;
    let admin: AdminClient<DefaultClientContext> = client
        .create()
        .map_err(|e| StoreError::Other(format!("cannot create an admin client: {e}")))?;
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
            .map_err(|e| StoreError::Other(format!("cannot describe the internal topics: {e}")))?;
        for (topic, described) in existing.iter().zip(described) {
            let resource = described.map_err(|e| {
                StoreError::Other(format!("cannot describe topic {} ({}): {e}", topic.name, topic.setting))
            })?;
            let policy = resource
                .get("cleanup.policy")
                .and_then(|entry| entry.value.clone())
                .unwrap_or_default();
            if !policy.split(',').any(|p| p.trim() == "compact") {
                return Err(StoreError::Other(format!(
                    "Topic '{}' supplied via the '{}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector configurations, but found the topic currently has 'cleanup.policy={policy}'. Continuing would likely result in eventually losing connector configurations and problems restarting this Connect cluster in the future. Change the '{}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.",
                    topic.name, topic.setting, topic.setting
                )));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
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
        .map_err(|e| StoreError::Other(format!("cannot create the internal topics: {e}")))?;
    for result in created {
        match result {
            Ok(topic) => tracing::info!(topic = %topic, "created internal topic"),
            // Another worker starting at the same time created it.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                let setting = topics.iter().find(|t| t.name == topic).map(|t| t.setting).unwrap_or("");
                return Err(StoreError::Other(format!(
                    "cannot create topic {topic} ({setting}): {code}"
                )));
            }
        }
    }
    Ok(())
}

/// Partition counts of the named topics (0 for a topic that does not exist).
fn partition_counts(client: &ClientConfig, names: &[String]) -> Result<HashMap<String, i32>, StoreError> {
    let consumer: BaseConsumer = client
        .create()
        .map_err(|e| StoreError::Other(format!("cannot create a metadata client: {e}")))?;
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(30))
        .map_err(|e| StoreError::Other(format!("cannot read topic metadata: {e}")))?;
    Ok(names
        .iter()
        .map(|name| {
            let count = metadata
                .topics()
                .iter()
                .find(|t| t.name() == name && t.error().is_none())
                .map_or(0, |t| t.partitions().len() as i32);
            (name.clone(), count)
        })
        .collect())
}
