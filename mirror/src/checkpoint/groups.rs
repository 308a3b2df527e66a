//! The source's consumer groups as a checkpoint flow sees them: which ones it checkpoints and
//! what they have committed. As Apache's connector (since Kafka 3.5), a flow checkpoints the
//! groups its group filter accepts that have committed an offset on a topic it copies; the
//! others (a group of another application, one that only joined) start no task and no read of
//! the offset syncs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use tributary_runtime::client::{ClientKind, DropOffRuntime};
use tributary_runtime::connector::ConnectError;

use crate::admin::ClusterAdmin;
use crate::config::MirrorConfig;
use crate::filter::NameFilter;

/// How long reading a group's committed offsets may take.
pub(super) const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A group's committed offset on the source: (topic, partition, offset, metadata).
pub(super) type Committed = (String, i32, i64, String);

/// Runs a blocking Kafka call off the async threads; its errors are retriable.
pub(super) async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, ConnectError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(ConnectError::failed)?
        .map_err(ConnectError::Retriable)
}

/// A client per (cluster, group), to read and commit the group's offsets; each a consumer in
/// the group that never joins it.
#[derive(Default)]
pub(super) struct GroupClients(HashMap<(&'static str, String), Arc<DropOffRuntime<BaseConsumer>>>);

impl GroupClients {
    /// The (cached) client of `group` on `cluster` (`source` or `target`).
    pub(super) fn get(
        &mut self,
        mirror: &MirrorConfig,
        cluster: &'static str,
        group: &str,
    ) -> Result<Arc<DropOffRuntime<BaseConsumer>>, ConnectError> {
        let key = (cluster, group.to_string());
        if let Some(consumer) = self.0.get(&key) {
            return Ok(consumer.clone());
        }
        let consumer = Arc::new(DropOffRuntime::new(group_client(mirror, cluster, group)?));
        self.0.insert(key, consumer.clone());
        Ok(consumer)
    }
}

/// A consumer in `group` on `cluster` that never joins it.
fn group_client(mirror: &MirrorConfig, cluster: &'static str, group: &str) -> Result<BaseConsumer, ConnectError> {
    let mut client = mirror.client(cluster, ClientKind::Consumer)?;
    client.set("group.id", group).set("enable.auto.commit", "false");
    client
        .create::<BaseConsumer>()
        .map_err(|e| ConnectError::caused(format!("cannot create a client for group {group}"), e))
}

/// The source's partitions of the topics `topics` accepts, internal topics left out.
pub(super) async fn accepted_partitions(
    source: &ClusterAdmin,
    topics: &NameFilter,
    mirror: &MirrorConfig,
) -> Result<Vec<(String, i32)>, ConnectError> {
    Ok(source
        .topic_partitions()
        .await?
        .into_iter()
        .filter(|(topic, _)| topics.accepts(topic) && !mirror.policy.is_internal_topic(topic))
        .flat_map(|(topic, count)| (0..count).map(move |p| (topic.clone(), p)))
        .collect())
}

/// What `group` (read with `consumer`) has committed on the source for `partitions`.
pub(super) async fn committed(
    consumer: Arc<DropOffRuntime<BaseConsumer>>,
    group: &str,
    partitions: &[(String, i32)],
) -> Result<Vec<Committed>, ConnectError> {
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted = TopicPartitionList::new();
    for (topic, partition) in partitions {
        wanted.add_partition(topic, *partition);
    }
    let group = group.to_string();
    blocking(move || {
        consumer
            .committed_offsets(wanted, READ_TIMEOUT)
            .map_err(|e| format!("cannot read the offsets of group {group}: {e}"))
            .map(|tpl| {
                tpl.elements()
                    .iter()
                    .filter_map(|e| match (e.offset(), e.metadata()) {
                        (Offset::Offset(at), metadata) => {
                            Some((e.topic().to_string(), e.partition(), at, metadata.to_string()))
                        }
                        _ => None,
                    })
                    .collect()
            })
    })
    .await
}

/// The source's groups that `groups` accepts and that have committed an offset on a partition
/// of a topic `topics` accepts. Each group is asked with a client made for it and dropped.
pub(super) async fn selected_groups(
    mirror: &MirrorConfig,
    source: &ClusterAdmin,
    groups: &NameFilter,
    topics: &NameFilter,
) -> Result<BTreeSet<String>, ConnectError> {
    let listed: Vec<String> = source
        .consumer_groups(None)
        .await?
        .into_keys()
        .filter(|g| groups.accepts(g))
        .collect();
    let partitions = accepted_partitions(source, topics, mirror).await?;
    let mut selected = BTreeSet::new();
    for group in listed {
        let consumer = Arc::new(DropOffRuntime::new(group_client(mirror, "source", &group)?));
        if !committed(consumer, &group, &partitions).await?.is_empty() {
            selected.insert(group);
        }
    }
    Ok(selected)
}
