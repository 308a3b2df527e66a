//! Where the worker keeps state: source offsets, statuses and (distributed mode) connector
//! configs. Standalone mode keeps offsets in a local file (`offset.storage.file.filename`);
//! distributed mode keeps all three in compacted Kafka topics, in Apache Kafka Connect's
//! formats.

mod config_log;
mod connector_offsets;
mod internal_topics;
mod kafka_log;
mod kafka_offsets;
mod offsets;
mod status;

pub use config_log::{ClusterConfig, ConfigLog, RestartRequest, SessionKey};
pub use connector_offsets::{ConnectorOffsetTopics, LayeredOffsetStore, OffsetTopicClients};
pub use internal_topics::{ensure_internal_topics, InternalTopic};
pub use kafka_log::{KafkaLog, LogRecord, RecordHandler};
pub use kafka_offsets::{offset_record, KafkaOffsetStore};
pub use offsets::{offset_key, ConnectorOffsetsReader, FileOffsetStore, MemoryOffsetStore, OffsetStore, StoreError};
pub use status::{ConnectorStatus, Publisher, StatusRecord, StatusStore, TaskStatus};
