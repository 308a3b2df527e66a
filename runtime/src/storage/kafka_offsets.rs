//! Source offsets in a compacted Kafka topic (`offset.storage.topic`), in Apache Kafka
//! Connect's format: key `["<connector>",{partition}]`, value the offset map as JSON, a null
//! value for a reset. A cluster pointed at an Apache Connect cluster's offsets topic resumes
//! its connectors where they were.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rdkafka::config::ClientConfig;

use super::kafka_log::{KafkaLog, LogRecord};
use super::offsets::{apply, parse_offset_key, read, read_all, Entries};
use super::{offset_key, OffsetStore, StoreError};
use crate::data::SourceMap;

/// The record Apache writes for one partition's offset (`None` resets it).
pub fn offset_record(connector: &str, partition: &SourceMap, offset: Option<&SourceMap>) -> (Vec<u8>, Option<Vec<u8>>) {
    let key = offset_key(connector, partition).into_bytes();
    let value = offset.map(|o| serde_json::Value::Object(o.clone()).to_string().into_bytes());
    (key, value)
}

/// Offsets kept in Kafka, read fully at start and on [`KafkaOffsetStore::read_to_end`].
pub struct KafkaOffsetStore {
    entries: Arc<Mutex<Entries>>,
    log: KafkaLog,
}

impl KafkaOffsetStore {
    /// Starts reading `topic`.
    pub fn start(topic: &str, consumer: ClientConfig, producer: ClientConfig) -> Result<Self, StoreError> {
        let entries = Arc::new(Mutex::new(Entries::new()));
        let sink = entries.clone();
        let handler = Box::new(move |record: LogRecord<'_>| {
            let Some(key) = record.key.and_then(|k| serde_json::from_slice(k).ok()) else {
                tracing::warn!(
                    offset = record.offset,
                    "ignoring an offset record whose key is not JSON"
                );
                return;
            };
            let Some((connector, partition)) = parse_offset_key(key) else {
                tracing::warn!(
                    offset = record.offset,
                    "ignoring an offset record whose key is not [connector, {{partition}}]"
                );
                return;
            };
            let offset = match record.value {
                None => None,
                Some(value) => match serde_json::from_slice::<serde_json::Value>(value) {
                    Ok(serde_json::Value::Object(map)) => Some(map),
                    Ok(serde_json::Value::Null) => None,
                    _ => {
                        tracing::warn!(connector = %connector, offset = record.offset, "ignoring an offset that is not a JSON object");
                        return;
                    }
                },
            };
            if let Ok(mut entries) = sink.lock() {
                apply(&mut entries, &connector, vec![(partition, offset)]);
            }
        });
        let log = KafkaLog::start(topic, consumer, producer, handler)?;
        Ok(KafkaOffsetStore { entries, log })
    }

    /// Waits until every offset written so far (by any worker) is in memory.
    pub async fn read_to_end(&self) -> Result<(), StoreError> {
        self.log.read_to_end().await
    }

    /// The offsets topic.
    pub fn topic(&self) -> &str {
        self.log.topic()
    }
}

#[async_trait]
impl OffsetStore for KafkaOffsetStore {
    fn get(&self, connector: &str, partition: &SourceMap) -> Option<SourceMap> {
        read(&self.entries, connector, partition)
    }

    fn all(&self, connector: &str) -> Vec<(SourceMap, SourceMap)> {
        read_all(&self.entries, connector)
    }

    async fn commit(&self, connector: &str, offsets: Vec<(SourceMap, Option<SourceMap>)>) -> Result<(), StoreError> {
        let records: Vec<_> = offsets
            .iter()
            .map(|(partition, offset)| offset_record(connector, partition, offset.as_ref()))
            .collect();
        self.log.send_all(&records).await?;
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| StoreError::Other("offset store lock poisoned".into()))?;
        apply(&mut entries, connector, offsets);
        Ok(())
    }
}
