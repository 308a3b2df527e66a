//! A source connector's own offsets topic (`offsets.storage.topic` in its config, KIP-618),
//! as Apache's distributed worker keeps it: created compacted when missing (with the worker's
//! `offset.storage.partitions` and `offset.storage.replication.factor`) on the cluster the
//! connector's clients reach, read before the connector or a task starts, and layered over the
//! worker's offsets topic: an offset in the connector's topic wins, one only in the worker's
//! topic is still used (a connector given its own topic resumes where it was), and commits go
//! to the connector's topic first, then to the worker's.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use rdkafka::config::ClientConfig;

use super::{ensure_internal_topics, InternalTopic, KafkaOffsetStore, OffsetStore, StoreError};
use crate::data::SourceMap;

/// The clients a connector's offsets topic is read, written and created with (the connector's
/// consumer, producer and admin settings).
pub struct OffsetTopicClients {
    /// Reads the topic.
    pub consumer: ClientConfig,
    /// Writes it.
    pub producer: ClientConfig,
    /// Creates it when missing.
    pub admin: ClientConfig,
}

/// The connectors' own offsets topics of one worker, each read by one store shared by the
/// connectors and tasks that name it.
pub struct ConnectorOffsetTopics {
    /// The worker's offsets topic: partitions and replication factor for new topics.
    template: InternalTopic,
    stores: tokio::sync::Mutex<HashMap<(String, String), Arc<KafkaOffsetStore>>>,
}

impl ConnectorOffsetTopics {
    /// Topics created like the worker's offsets topic `template`.
    pub fn new(template: InternalTopic) -> Self {
        ConnectorOffsetTopics {
            template,
            stores: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Whether `topic` is the worker's own offsets topic.
    pub fn is_workers(&self, topic: &str) -> bool {
        topic == self.template.name
    }

    /// The store of `topic` on the cluster `clients` reach, created (and the topic with it)
    /// at its first use, and read to its end.
    pub async fn store(&self, topic: &str, clients: OffsetTopicClients) -> Result<Arc<KafkaOffsetStore>, StoreError> {
        let cluster = clients
            .producer
            .get("bootstrap.servers")
            .unwrap_or_default()
            .to_string();
        let store = {
            let mut stores = self.stores.lock().await;
            match stores.get(&(cluster.clone(), topic.to_string())) {
                Some(store) => store.clone(),
                None => {
                    let spec = InternalTopic {
                        setting: "offsets.storage.topic",
                        name: topic.to_string(),
                        ..self.template.clone()
                    };
                    ensure_internal_topics(clients.admin, &[spec]).await?;
                    let store = Arc::new(KafkaOffsetStore::start(topic, clients.consumer, clients.producer)?);
                    stores.insert((cluster, topic.to_string()), store.clone());
                    store
                }
            }
        };
        store.read_to_end().await?;
        Ok(store)
    }
}

/// A connector's offsets in its own topic, over the worker's.
pub struct LayeredOffsetStore {
    connector: Arc<dyn OffsetStore>,
    worker: Arc<dyn OffsetStore>,
}

impl LayeredOffsetStore {
    /// `connector`'s offsets over `worker`'s.
    pub fn new(connector: Arc<dyn OffsetStore>, worker: Arc<dyn OffsetStore>) -> Self {
        LayeredOffsetStore { connector, worker }
    }
}

#[async_trait]
impl OffsetStore for LayeredOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        self.connector
            .get(connector, partition)
            .or_else(|| self.worker.get(connector, partition))
    }

    fn all(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        let mut offsets = self.worker.all(connector);
        for (partition, offset) in self.connector.all(connector) {
            match offsets.iter_mut().find(|(p, _)| *p == partition) {
                Some(entry) => entry.1 = offset,
                None => offsets.push((partition, offset)),
            }
        }
        offsets
    }

    /// The connector's topic first, then the worker's (whose failure is only logged, as
    /// Apache's); resets go to the worker's topic first, so that an offset left there never
    /// shows through once the connector's topic no longer has it.
    async fn commit(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) -> Result<(), StoreError> {
        if offsets.iter().any(|(_, offset)| offset.is_none()) {
            self.worker.commit(connector, offsets.clone()).await?;
            return self.connector.commit(connector, offsets).await;
        }
        self.connector.commit(connector, offsets.clone()).await?;
        self.written_in_transaction(connector, offsets).await;
        Ok(())
    }

    /// The worker's topic gets the offsets a transaction wrote to the connector's, as Apache's
    /// exactly-once tasks write them (its failure only logged).
    async fn written_in_transaction(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) {
        if let Err(e) = self.worker.commit(connector, offsets).await {
            tracing::warn!(
                connector,
                "could not write offsets to the worker's offsets topic too: {e}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryOffsetStore;

    fn map(key: &str, value: i64) -> SourceMap {
        [(key.to_string(), serde_json::json!(value))].into_iter().collect()
    }

    #[tokio::test]
    async fn the_connectors_topic_wins_and_the_workers_fills_in() {
        let (own, worker) = (
            Arc::new(MemoryOffsetStore::default()),
            Arc::new(MemoryOffsetStore::default()),
        );
        worker
            .commit(
                "c",
                vec![(map("p", 1), Some(map("o", 10))), (map("p", 2), Some(map("o", 20)))],
            )
            .await
            .unwrap();
        own.commit("c", vec![(map("p", 2), Some(map("o", 21)))]).await.unwrap();
        let layered = LayeredOffsetStore::new(own.clone(), worker.clone());
        assert_eq!(layered.get("c", &map("p", 1)), Some(map("o", 10)));
        assert_eq!(layered.get("c", &map("p", 2)), Some(map("o", 21)));
        let mut all = layered.all("c");
        all.sort_by_key(|(p, _)| p["p"].as_i64());
        assert_eq!(all, vec![(map("p", 1), map("o", 10)), (map("p", 2), map("o", 21))]);

        layered
            .commit("c", vec![(map("p", 3), Some(map("o", 30)))])
            .await
            .unwrap();
        assert_eq!(own.get("c", &map("p", 3)), Some(map("o", 30)));
        assert_eq!(worker.get("c", &map("p", 3)), Some(map("o", 30)));
        layered.commit("c", vec![(map("p", 1), None)]).await.unwrap();
        assert_eq!(layered.get("c", &map("p", 1)), None);
    }
}
