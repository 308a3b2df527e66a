//! Records: what transforms see ([`ConnectRecord`]), and what source tasks produce and sink
//! tasks receive.

use std::sync::Arc;

use super::{SchemaRef, Value};

/// A source partition or offset: a JSON object whose meaning the connector defines
/// (e.g. `{"filename": "/data/in.txt"}` and `{"position": 1234}`).
pub type SourceMap = serde_json::Map<String, serde_json::Value>;

/// A record header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The header's name.
    pub key: String,
    /// Its schema, when known.
    pub schema: Option<SchemaRef>,
    /// Its value.
    pub value: Value,
}

/// The part of a record that transforms and converters work on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectRecord {
    /// The Kafka topic; shared, so the records of one topic do not each carry a copy of its
    /// name.
    pub topic: Arc<str>,
    /// The Kafka partition, when chosen (sources usually leave it to the partitioner).
    pub partition: Option<i32>,
    /// The key's schema.
    pub key_schema: Option<SchemaRef>,
    /// The key.
    pub key: Value,
    /// The value's schema.
    pub value_schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Headers, in order.
    pub headers: Vec<Header>,
    /// The Kafka offset, for records read by sink tasks (what `InsertField`'s `offset.field`
    /// inserts). A source task may set it to its own position for the record (a mirror task:
    /// the upstream offset) to have it handed back in [`crate::connector::Acknowledged`].
    pub kafka_offset: Option<i64>,
}

impl ConnectRecord {
    /// A record for `topic` with a value and its schema, nothing else.
    pub fn new(topic: impl Into<Arc<str>>, value_schema: Option<SchemaRef>, value: Value) -> Self {
        // Field by field: `..Default::default()` would allocate a default topic name per record
        // only to drop it.
        ConnectRecord {
            topic: topic.into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema,
            value,
            timestamp: None,
            headers: Vec::new(),
            kafka_offset: None,
        }
    }

    /// The last header named `key`.
    pub fn header(&self, key: &str) -> Option<&Header> {
        self.headers.iter().rev().find(|h| h.key == key)
    }
}

/// A record produced by a source task, with the position it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Where in the source system this record lives (e.g. which file); shared, so a task
    /// hands the same partition to each of its records without copying it.
    pub source_partition: Arc<SourceMap>,
    /// The position just after this record in that partition; committed once Kafka acknowledged.
    /// Empty when the record does not move the position by itself: a task that polls many
    /// records of one partition at once may give its offset to the last of them only (the
    /// worker commits the last position of each partition in a poll batch).
    pub source_offset: SourceMap,
    /// The record itself.
    pub record: ConnectRecord,
}

/// How a sink record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// No timestamp.
    #[default]
    NoTimestampType,
    /// Set by the producer.
    CreateTime,
    /// Set by the broker.
    LogAppendTime,
}

/// A record consumed from Kafka and handed to a sink task.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    /// The record after converters and transforms.
    pub record: ConnectRecord,
    /// The Kafka offset it was read at.
    pub kafka_offset: i64,
    /// The timestamp's kind.
    pub timestamp_type: TimestampType,
    /// The topic it was read from, when a transform gave the record another topic; `None`
    /// when the record's topic is still the one it was read from (see
    /// [`SinkRecord::original_topic`]). Kept apart so that a record read and delivered under
    /// its own topic holds one reference to the topic's name, not two.
    pub renamed_from: Option<Arc<str>>,
    /// The partition it was read from.
    pub original_partition: i32,
}

impl SinkRecord {
    /// The topic it was read from, before any transform renamed it.
    pub fn original_topic(&self) -> &str {
        self.renamed_from.as_deref().unwrap_or(&self.record.topic)
    }
}
