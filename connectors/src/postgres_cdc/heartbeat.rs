//! Heartbeats (`heartbeat.interval.ms`), as Debezium writes them: while streaming, at most once
//! an interval, a record to topic `<topic.heartbeat.prefix>.<topic.prefix>` (partition 0) with
//! key `io.debezium.connector.common.ServerNameKey` (`serverName`: the topic prefix) and value
//! `io.debezium.connector.common.Heartbeat` (`ts_ms`: when it was made), carrying the stream's
//! position as its offset. When the captured tables are quiet, its commit is what moves the
//! committed offset on; `heartbeat.action.query` runs before each one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tributary_runtime::data::{
    ConnectRecord, Schema, SchemaBuilder, SchemaRef, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

/// When the next heartbeat is due, and what it is made of.
#[derive(Debug)]
pub(super) struct Heartbeats {
    interval: Duration,
    topic: Arc<str>,
    key: Value,
    next_due: Instant,
}

fn key_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("io.debezium.connector.common.ServerNameKey")
            .version(1)
            .field("serverName", Schema::string())
            .build()
    })
}

fn value_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("io.debezium.connector.common.Heartbeat")
            .version(1)
            .field("ts_ms", Schema::of(SchemaType::Int64))
            .build()
    })
}

impl Heartbeats {
    /// Heartbeats every `interval` to `topic` for the connector of topic prefix `prefix`, the
    /// first one an interval from now.
    pub(super) fn new(interval: Duration, topic: &str, prefix: &str) -> Self {
        let key = Struct::from_values(key_schema().clone(), vec![Value::String(prefix.into())])
            .map_or(Value::Null, Value::Struct);
        Heartbeats {
            interval,
            topic: topic.into(),
            key,
            next_due: Instant::now() + interval,
        }
    }

    /// Whether a heartbeat is due; if so, the next one is an interval from now.
    pub(super) fn due(&mut self) -> bool {
        let now = Instant::now();
        if now < self.next_due {
            return false;
        }
        self.next_due = now + self.interval;
        true
    }

    /// A heartbeat of `partition` at `offset`, made at `now_ms` (milliseconds since the epoch).
    pub(super) fn record(&self, partition: &Arc<SourceMap>, offset: SourceMap, now_ms: i64) -> SourceRecord {
        let value =
            Struct::from_values(value_schema().clone(), vec![Value::Int64(now_ms)]).map_or(Value::Null, Value::Struct);
        SourceRecord {
            source_partition: partition.clone(),
            source_offset: offset,
            record: ConnectRecord {
                topic: self.topic.clone(),
                partition: Some(0),
                key_schema: Some(SchemaRef::Static(key_schema())),
                key: self.key.clone(),
                value_schema: Some(SchemaRef::Static(value_schema())),
                value,
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_names_its_server_and_is_due_once_an_interval() {
        let mut heartbeats = Heartbeats::new(Duration::ZERO, "__debezium-heartbeat.shop", "shop");
        assert!(heartbeats.due());
        let partition = Arc::new(SourceMap::from_iter([("server".to_string(), "shop".into())]));
        let offset = SourceMap::from_iter([("lsn".to_string(), 42.into())]);
        let beat = heartbeats.record(&partition, offset.clone(), 1_700_000_000_000);
        assert_eq!(&*beat.record.topic, "__debezium-heartbeat.shop");
        assert_eq!(beat.record.partition, Some(0));
        assert_eq!(beat.source_offset, offset);
        let Value::Struct(key) = &beat.record.key else { panic!() };
        assert_eq!(key.get("serverName"), Some(&Value::String("shop".into())));
        let Value::Struct(value) = &beat.record.value else {
            panic!()
        };
        assert_eq!(value.get("ts_ms"), Some(&Value::Int64(1_700_000_000_000)));
        let mut hourly = Heartbeats::new(Duration::from_secs(3600), "t", "shop");
        assert!(!hourly.due());
    }
}
