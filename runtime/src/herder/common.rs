//! What both herders do the same way: checking a submitted connector config, validating
//! against a plugin, the Kafka cluster id, and reading or changing offsets (a sink's in its
//! consumer group, a source's in the offset store).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::OnceCell;

use super::{ConfigInfos, HerderError, HerderResult, OffsetEntry};
use crate::client::ClientKind;
use crate::config::{restore_references, ConfigMap};
use crate::connector::find_connector;
use crate::connector::{format_validation, Connector, OffsetMap};
use crate::error_chain::with_causes;
use crate::storage::OffsetStore;
use crate::worker::{
    connector_config_def, sink_consumer_group, SinkTopics, Worker, CONNECTOR_CLASS, NAME, TASKS_MAX, TOPICS,
    TOPICS_REGEX,
};

/// The connector's task configs for its `tasks.max`; more than that is an error, as in Apache
/// (`tasks.max.enforce`). The error is the trace to report. Values the raw `config` takes from
/// config providers go back into the task configs as references (Apache's reverse transform),
/// so that resolved secrets are never stored or shown.
pub(super) fn task_configs(
    name: &str,
    connector: &dyn Connector,
    config: &ConfigMap,
) -> Result<Vec<ConfigMap>, String> {
    let max_tasks = connector_config_def().with_defaults(config).value(&TASKS_MAX).max(1);
    match connector.task_configs(max_tasks) {
        Ok(configs) if configs.len() > max_tasks => Err(format!(
            "The connector {name} has generated {} tasks, which is greater than {max_tasks}, the maximum number of tasks it is configured to create.",
            configs.len()
        )),
        Ok(mut configs) => {
            restore_references(config, &mut configs);
            add_framework_keys(config, &mut configs);
            Ok(configs)
        }
        Err(e) => Err(e.trace()),
    }
}

/// What Apache's worker adds to every task config: the task's class, and a sink's topics.
fn add_framework_keys(config: &ConfigMap, configs: &mut [ConfigMap]) {
    let class = config
        .get(CONNECTOR_CLASS.name())
        .map(String::as_str)
        .unwrap_or_default();
    let mut keys: Vec<(&str, String)> = Vec::new();
    if let Ok(plugin) = find_connector(class) {
        keys.push(("task.class", plugin.task_class()));
        if plugin.type_name() == "sink" {
            for key in [TOPICS.name(), TOPICS_REGEX.name()] {
                if let Some(value) = config.get(key) {
                    keys.push((key, value.clone()));
                }
            }
        }
    }
    for task in configs {
        for (key, value) in &keys {
            task.entry((*key).to_string()).or_insert_with(|| value.clone());
        }
    }
}

/// Apache's message when offsets are changed on a connector that is not STOPPED.
pub(super) fn not_stopped(name: &str) -> HerderError {
    HerderError::BadRequest(format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
    ))
}

/// `source`, `sink` or `unknown`, from the config's `connector.class`.
pub(super) fn connector_type(config: &ConfigMap) -> &'static str {
    config
        .get(CONNECTOR_CLASS.name())
        .and_then(|class| find_connector(class).ok())
        .map(|p| p.type_name())
        .unwrap_or("unknown")
}

/// Rejects a connector submission with Apache's messages: a bad name, a name differing from
/// the URL's, or a config that does not validate. Returns the connector type.
pub(super) fn check_submission(worker: &Worker, name: &str, config: &ConfigMap) -> HerderResult<&'static str> {
    if name.trim().is_empty() {
        return Err(HerderError::BadRequest("Connector name cannot be empty".into()));
    }
    if name.contains('/') {
        return Err(HerderError::BadRequest("connector name should not contain '/'".into()));
    }
    // Apache's `name` validator (NonEmptyStringWithoutControlChars); a newline in a name would
    // forge log lines.
    let controls: Vec<String> = name
        .chars()
        .filter(|c| c.is_control())
        .map(|c| (c as u32).to_string())
        .collect();
    if !controls.is_empty() {
        return Err(HerderError::BadRequest(format!(
            "Invalid value {name} for configuration name: String may not contain control sequences but had the following ASCII chars: {}",
            controls.join(", ")
        )));
    }
    // Beyond Apache: these names cannot be addressed in a URL path.
    if name == "." || name == ".." {
        return Err(HerderError::BadRequest(format!(
            "connector name should not be '{name}'"
        )));
    }
    if let Some(inner) = config.get(NAME.name()) {
        if inner != name {
            return Err(HerderError::BadRequest(format!(
                "Connector name configuration ({inner}) doesn't match connector name in the URL ({name})"
            )));
        }
    }
    let mut full = config.clone();
    full.insert(NAME.name().into(), name.to_string());
    let (plugin, _, errors) = worker.validate(&full);
    if !errors.is_empty() {
        return Err(HerderError::BadRequest(format_validation(&errors)));
    }
    Ok(plugin.map(|p| p.type_name()).unwrap_or("unknown"))
}

/// `PUT /connector-plugins/{plugin}/config/validate`.
pub(super) fn validate_for_plugin(worker: &Worker, plugin: &str, mut config: ConfigMap) -> HerderResult<ConfigInfos> {
    let found = find_connector(plugin).map_err(|e| HerderError::NotFound(e.to_string()))?;
    match config.get(CONNECTOR_CLASS.name()) {
        None => {
            config.insert(CONNECTOR_CLASS.name().into(), plugin.to_string());
        }
        Some(class) if find_connector(class).map(|p| p.class) != Ok(found.class) => {
            return Err(HerderError::BadRequest(format!(
                "Included connector type {class} does not match request type {plugin}"
            )));
        }
        Some(_) => {}
    }
    let (_, def, errors) = worker.validate(&config);
    let class = config.get(CONNECTOR_CLASS.name()).cloned().unwrap_or_default();
    let embedded = super::embedded::embedded_keys(&config);
    let mut infos = ConfigInfos::build(&class, &def, &embedded, &config, &errors);
    super::embedded::show_plugins_in_effect(&mut infos, &worker.config().raw);
    Ok(infos)
}

/// The Kafka cluster id, asked once.
pub(super) async fn kafka_cluster_id(worker: &Worker, cell: &OnceCell<String>) -> String {
    cell.get_or_init(|| async { worker.config().fetch_cluster_id().await.unwrap_or_default() })
        .await
        .clone()
}

/// A consumer in the sink connector's group, for its offsets.
fn sink_group_consumer(worker: &Worker, name: &str) -> HerderResult<BaseConsumer> {
    let mut client = worker
        .config()
        .client(ClientKind::Consumer)
        .map_err(|errors| HerderError::Internal(crate::client::describe(&errors)))?
        .client_config();
    let group = sink_consumer_group(name);
    client
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| HerderError::Internal(format!("cannot create a consumer for {group}: {e}")))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> HerderResult<T> + Send + 'static) -> HerderResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HerderError::Internal(e.to_string()))?
}

/// The sink's group consumer and every partition of the topics it consumes.
async fn sink_partitions(
    worker: &Worker,
    name: &str,
    config: &ConfigMap,
) -> HerderResult<(BaseConsumer, TopicPartitionList)> {
    let consumer = sink_group_consumer(worker, name)?;
    let topics = SinkTopics::new(config).map_err(|errors| {
        let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
        HerderError::BadRequest(messages.join("; "))
    })?;
    blocking(move || {
        let metadata = consumer
            .fetch_metadata(None, Duration::from_secs(10))
            .map_err(|e| HerderError::Internal(format!("cannot read topic metadata: {e}")))?;
        let mut partitions = TopicPartitionList::new();
        for topic in metadata.topics() {
            if topics.matches(topic.name()) {
                for partition in topic.partitions() {
                    partitions.add_partition(topic.name(), partition.id());
                }
            }
        }
        Ok((consumer, partitions))
    })
    .await
}

fn sink_offset_entry(topic: &str, partition: i32, offset: Option<i64>) -> OffsetEntry {
    let mut key = serde_json::Map::new();
    key.insert("kafka_topic".into(), topic.into());
    key.insert("kafka_partition".into(), partition.into());
    OffsetEntry {
        partition: key,
        offset: offset.map(|o| {
            let mut value = serde_json::Map::new();
            value.insert("kafka_offset".into(), o.into());
            value
        }),
    }
}

/// The offsets of source connector `name` (its own offsets topic's over the worker's).
async fn source_offsets(worker: &Worker, name: &str, config: &ConfigMap) -> HerderResult<Arc<dyn OffsetStore>> {
    worker
        .source_offsets(name, config)
        .await
        .map_err(|e| HerderError::Internal(with_causes(&e)))
}

/// `GET /connectors/{c}/offsets`.
pub(super) async fn read_offsets(worker: &Worker, name: &str, config: &ConfigMap) -> HerderResult<Vec<OffsetEntry>> {
    if connector_type(config) != "sink" {
        return Ok(source_offsets(worker, name, config)
            .await?
            .all(name)
            .into_iter()
            .map(|(partition, offset)| OffsetEntry {
                partition,
                offset: Some(offset),
            })
            .collect());
    }
    let (consumer, partitions) = sink_partitions(worker, name, config).await?;
    let committed = blocking(move || {
        consumer
            .committed_offsets(partitions, Duration::from_secs(10))
            .map_err(|e| HerderError::Internal(format!("cannot read committed offsets: {e}")))
    })
    .await?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some(sink_offset_entry(e.topic(), e.partition(), Some(o))),
            _ => None,
        })
        .collect())
}

/// Asks the connector whether it can use `changes` (Apache's `alterOffsets`); a refusal is a 400
/// with its reason. Returns whether it vouched for them.
fn connector_accepts(config: &ConfigMap, changes: &[(OffsetMap, Option<OffsetMap>)]) -> HerderResult<bool> {
    let class = config
        .get(CONNECTOR_CLASS.name())
        .map(String::as_str)
        .unwrap_or_default();
    let plugin = find_connector(class).map_err(|e| HerderError::BadRequest(e.to_string()))?;
    plugin
        .alter_offsets
        .map_or(Ok(false), |check| check(config, changes))
        .map_err(HerderError::BadRequest)
}

/// Apache's answer to a successful alter or reset: the connector vouched for the offsets, or
/// only the framework's changed.
fn modified(vouched: bool, reset: bool) -> String {
    let done = if reset { "reset" } else { "altered" };
    if vouched {
        format!("The offsets for this connector have been {done} successfully")
    } else {
        format!(
            "The Connect framework-managed offsets for this connector have been {done} successfully. However, if this connector manages offsets externally, they will need to be manually {done} in the system that the connector uses."
        )
    }
}

/// `PATCH /connectors/{c}/offsets`, for a connector already known to be STOPPED.
pub(super) async fn alter_offsets(
    worker: &Worker,
    name: &str,
    config: &ConfigMap,
    offsets: Vec<OffsetEntry>,
) -> HerderResult<String> {
    if offsets.is_empty() {
        return Err(HerderError::BadRequest(
            "The offsets to be altered may not be null or empty".into(),
        ));
    }
    let changes: Vec<(OffsetMap, Option<OffsetMap>)> = offsets
        .iter()
        .map(|e| (e.partition.clone(), e.offset.clone()))
        .collect();
    let vouched = connector_accepts(config, &changes)?;
    if connector_type(config) == "sink" {
        let mut list = TopicPartitionList::new();
        for entry in &offsets {
            let topic = entry.partition.get("kafka_topic").and_then(|v| v.as_str());
            let partition = entry.partition.get("kafka_partition").and_then(|v| v.as_i64());
            let (Some(topic), Some(partition)) = (topic, partition) else {
                return Err(HerderError::BadRequest(
                    "Sink connector offsets need \"kafka_topic\" and \"kafka_partition\" in every partition".into(),
                ));
            };
            let offset = match &entry.offset {
                None => Offset::Beginning,
                Some(o) => match o.get("kafka_offset").and_then(|v| v.as_i64()) {
                    Some(o) if o >= 0 => Offset::Offset(o),
                    _ => {
                        return Err(HerderError::BadRequest(
                            "Sink connector offsets need a non-negative \"kafka_offset\"".into(),
                        ))
                    }
                },
            };
            list.add_partition_offset(topic, partition as i32, offset)
                .map_err(|e| HerderError::BadRequest(e.to_string()))?;
        }
        let consumer = sink_group_consumer(worker, name)?;
        let group = sink_consumer_group(name);
        blocking(move || {
            consumer
                .commit(&list, CommitMode::Sync)
                .map_err(|e| HerderError::Internal(format!("cannot commit offsets for group {group}: {e}")))
        })
        .await?;
    } else {
        let changes = offsets.into_iter().map(|e| (e.partition, e.offset)).collect();
        source_offsets(worker, name, config)
            .await?
            .commit(name, changes)
            .await
            .map_err(|e| HerderError::Internal(with_causes(&e)))?;
    }
    Ok(modified(vouched, false))
}

/// Deletes the sink connector's consumer group, as Apache resets a sink's offsets; a group
/// that does not exist (already reset) is no error.
async fn delete_sink_group(worker: &Worker, name: &str) -> HerderResult<()> {
    let admin: AdminClient<DefaultClientContext> = worker
        .config()
        .client(ClientKind::Admin)
        .map_err(|errors| HerderError::Internal(crate::client::describe(&errors)))?
        .client_config()
        .create()
        .map_err(|e| HerderError::Internal(format!("cannot create an admin client: {e}")))?;
    let group = sink_consumer_group(name);
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let failed = |e: &dyn std::fmt::Display| {
        HerderError::Internal(format!(
            "Failed to reset consumer group offsets for sink connector {name}: {e}"
        ))
    };
    let results = admin
        .delete_groups(&[group.as_str()], &options)
        .await
        .map_err(|e| failed(&e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, RDKafkaErrorCode::NonEmptyGroup)) => {
                return Err(HerderError::Internal(format!(
                    "Failed to reset consumer group offsets for connector {name} either because its tasks haven't stopped completely yet or the connector was resumed before the request to reset its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks."
                )))
            }
            Err((_, code)) => return Err(failed(&code)),
        }
    }
    Ok(())
}

/// `DELETE /connectors/{c}/offsets`, for a connector already known to be STOPPED.
pub(super) async fn reset_offsets(worker: &Worker, name: &str, config: &ConfigMap) -> HerderResult<String> {
    if connector_type(config) == "sink" {
        let vouched = connector_accepts(config, &[])?;
        delete_sink_group(worker, name).await?;
        Ok(modified(vouched, true))
    } else {
        let source_offsets = source_offsets(worker, name, config).await?;
        let changes: Vec<(OffsetMap, Option<OffsetMap>)> =
            source_offsets.all(name).into_iter().map(|(p, _)| (p, None)).collect();
        let vouched = connector_accepts(config, &changes)?;
        source_offsets
            .commit(name, changes)
            .await
            .map_err(|e| HerderError::Internal(with_causes(&e)))?;
        Ok(modified(vouched, true))
    }
}
