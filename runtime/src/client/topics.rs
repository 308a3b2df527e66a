//! Topics the worker creates for connectors, as Apache's `TopicAdmin` does: a sink's dead
//! letter queue, a source's new topics under `topic.creation.*` (KIP-158). Whether a topic
//! exists is asked first (a metadata request that creates nothing), so that a principal allowed
//! to write a topic but not to create topics can use one that exists.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::types::RDKafkaRespErr;

/// How long a metadata request or a creation may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    /// Its name.
    pub name: String,
    /// Partitions; -1 takes the brokers' default.
    pub partitions: i32,
    /// Replication factor; -1 takes the brokers' default.
    pub replication_factor: i32,
    /// Topic configs (`cleanup.policy`, `retention.ms`…).
    pub configs: Vec<(String, String)>,
}

/// What [`create_if_missing`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// The topic was created.
    Created,
    /// It existed already.
    Existed,
}

/// Creates `topic` unless it exists, with the clients `config` (an admin's settings) makes.
pub async fn create_if_missing(config: &ClientConfig, topic: &NewTopicSpec) -> Result<Creation, String> {
    let (metadata_config, name) = (config.clone(), topic.name.clone());
    let exists = tokio::task::spawn_blocking(move || exists(&metadata_config, &name))
        .await
        .map_err(|e| e.to_string())??;
    if exists {
        return Ok(Creation::Existed);
    }
    let admin: AdminClient<DefaultClientContext> = config.create().map_err(|e| e.to_string())?;
    let mut new = NewTopic::new(
        &topic.name,
        topic.partitions,
        TopicReplication::Fixed(topic.replication_factor),
    );
    for (key, value) in &topic.configs {
        new = new.set(key, value);
    }
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let created = admin.create_topics([&new], &options).await.map_err(|e| e.to_string())?;
    match created.into_iter().next() {
        Some(Ok(_)) => Ok(Creation::Created),
        Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => Ok(Creation::Existed),
        Some(Err((_, code))) => Err(code.to_string()),
        None => Err("the brokers answered nothing".into()),
    }
}

/// Whether `topic` exists (blocking).
fn exists(config: &ClientConfig, topic: &str) -> Result<bool, String> {
    let consumer: BaseConsumer = config.create().map_err(|e| e.to_string())?;
    let metadata = consumer
        .fetch_metadata(Some(topic), TIMEOUT)
        .map_err(|e| e.to_string())?;
    Ok(metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error() != Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)))
}
