//! Logical decoding messages (`pg_logical_emit_message`), as Debezium writes them: one record
//! each to topic `<topic.prefix>.message`, key `io.debezium.connector.postgresql.MessageKey`
//! (`prefix`), value `io.debezium.connector.postgresql.MessageValue` with `op` `m`, `ts_ms`
//! (when the record was made), `source`, `transaction` and `message` (`prefix`, and `content`
//! as `binary.handling.mode` writes bytes). `message.prefix.include.list` and
//! `message.prefix.exclude.list` choose the prefixes written.

use std::sync::Arc;

use regex::Regex;
use tributary_runtime::data::{
    ConnectRecord, Schema, SchemaBuilder, SchemaRef, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

use super::columns::BinaryHandling;
use super::events::{source_schema, SourceInfo};
use super::transactions::TransactionOrder;

/// The data collection a message counts under in transaction metadata.
pub(super) const DATA_COLLECTION: &str = "LOGICAL_DECODING_MESSAGE";

/// The schemas and topic of a connector's message records, and which prefixes it writes.
#[derive(Debug, Clone)]
pub(super) struct LogicalMessages {
    topic: Arc<str>,
    binary: BinaryHandling,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    key_schema: Arc<Schema>,
    block_schema: Arc<Schema>,
    value_schema: Arc<Schema>,
}

impl LogicalMessages {
    /// The messages of the connector of topic prefix `prefix`, their content written as
    /// `binary` says, those whose prefix `include` matches (any, when empty) and `exclude`
    /// does not.
    pub(super) fn new(prefix: &str, binary: BinaryHandling, include: Vec<Regex>, exclude: Vec<Regex>) -> Self {
        let key_schema = SchemaBuilder::structure()
            .name("io.debezium.connector.postgresql.MessageKey")
            .version(1)
            .field("prefix", Schema::optional_string())
            .build();
        let block_schema = SchemaBuilder::structure()
            .name("io.debezium.connector.postgresql.Message")
            .version(1)
            .field("prefix", Schema::optional_string())
            .field("content", binary.schema().optional().build())
            .build();
        let value_schema = SchemaBuilder::structure()
            .name("io.debezium.connector.postgresql.MessageValue")
            .version(1)
            .field("op", Schema::string())
            .field("ts_ms", Schema::optional_of(SchemaType::Int64))
            .field("source", source_schema().clone())
            .field("transaction", TransactionOrder::schema().clone())
            .field("message", block_schema.clone())
            .build();
        LogicalMessages {
            topic: format!("{prefix}.message").into(),
            binary,
            include,
            exclude,
            key_schema,
            block_schema,
            value_schema,
        }
    }

    /// Whether messages of `prefix` are written.
    pub(super) fn writes(&self, prefix: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(prefix)))
            && !self.exclude.iter().any(|r| r.is_match(prefix))
    }

    /// The record of message `content` of `prefix`, from `source`, of `partition` at `offset`,
    /// made at `now_ms` (milliseconds since the epoch).
    pub(super) fn record(
        &self,
        (prefix, content): (&str, &[u8]),
        source: &SourceInfo,
        (partition, offset): (&Arc<SourceMap>, SourceMap),
        now_ms: i64,
    ) -> Result<SourceRecord, String> {
        let mismatch = || "message schema mismatch".to_string();
        let key =
            Struct::from_values(self.key_schema.clone(), vec![Value::String(prefix.into())]).ok_or_else(mismatch)?;
        let block = Struct::from_values(
            self.block_schema.clone(),
            vec![Value::String(prefix.into()), self.binary.value(content.to_vec())],
        )
        .ok_or_else(mismatch)?;
        let value = Struct::from_values(
            self.value_schema.clone(),
            vec![
                Value::String("m".into()),
                Value::Int64(now_ms),
                source.block("", "")?,
                source
                    .transaction
                    .as_ref()
                    .map_or(Value::Null, TransactionOrder::to_value),
                Value::Struct(block),
            ],
        )
        .ok_or_else(mismatch)?;
        Ok(SourceRecord {
            source_partition: partition.clone(),
            source_offset: offset,
            record: ConnectRecord {
                topic: self.topic.clone(),
                key_schema: Some(SchemaRef::Shared(self.key_schema.clone())),
                key: Value::Struct(key),
                value_schema: Some(SchemaRef::Shared(self.value_schema.clone())),
                value: Value::Struct(value),
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regex(pattern: &str) -> Regex {
        Regex::new(&format!("(?i)^(?:{pattern})$")).unwrap()
    }

    #[test]
    fn prefixes_are_chosen_and_content_written_as_binary_handling_says() {
        let all = LogicalMessages::new("shop", BinaryHandling::Hex, Vec::new(), vec![regex("aud.*")]);
        assert!(all.writes("outbox") && !all.writes("AUDIT"));
        let only = LogicalMessages::new("shop", BinaryHandling::Bytes, vec![regex("outbox")], Vec::new());
        assert!(only.writes("OUTBOX") && !only.writes("outbox2"));
        let source = SourceInfo {
            name: "shop".into(),
            db: "db".into(),
            ts_us: 1_000_000,
            snapshot: "false",
            tx_id: None,
            lsn: Some(7),
            sequence: None,
            transaction: None,
        };
        let partition = Arc::new(SourceMap::from_iter([("server".to_string(), "shop".into())]));
        let record = all
            .record(("outbox", &[0, 255]), &source, (&partition, SourceMap::new()), 5)
            .unwrap();
        assert_eq!(&*record.record.topic, "shop.message");
        let Value::Struct(value) = &record.record.value else {
            panic!()
        };
        assert_eq!(value.get("op"), Some(&Value::String("m".into())));
        let Some(Value::Struct(message)) = value.get("message") else {
            panic!()
        };
        assert_eq!(message.get("content"), Some(&Value::String("00ff".into())));
    }
}
