//! Debezium's transaction metadata (`provide.transaction.metadata`): a BEGIN and an END record
//! per streamed transaction that captured something, on topic `<topic.prefix>.transaction`
//! (key `io.debezium.connector.common.TransactionMetadataKey`, value `...TransactionMetadataValue`
//! with the END's event counts per table), and each change event's place in its transaction
//! (the envelope's `transaction` block: id, `total_order`, `data_collection_order`).
//!
//! As Debezium 3.7 writes them for PostgreSQL (compared in tests/integration/debezium_differential.rs):
//! a transaction's id is `<txId>:<LSN>`, the LSN being each change's own in its event's block, the
//! first change's in the BEGIN (written just before that change, so a transaction that captured
//! nothing has neither record), and the commit's end in the END. Tombstones are not counted.
//! The END lists the transaction's tables in the order of the Java `HashMap` Debezium counts
//! them in.

use std::sync::{Arc, OnceLock};

use tributary_runtime::data::{
    ConnectRecord, Schema, SchemaBuilder, SchemaRef, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

use super::columns::java_hash_map_order;

/// A change event's place in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TransactionOrder {
    /// `<txId>:<the change's LSN>`.
    pub id: String,
    /// Its position among the transaction's events, from 1.
    pub total_order: i64,
    /// Its position among the transaction's events of its table, from 1.
    pub data_collection_order: i64,
}

impl TransactionOrder {
    /// The envelope's `transaction` block's schema (the block is null without metadata, and
    /// for a snapshot's events).
    pub(super) fn schema() -> &'static Arc<Schema> {
        static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            SchemaBuilder::structure()
                .name("event.block")
                .version(1)
                .field("id", Schema::string())
                .field("total_order", Schema::of(SchemaType::Int64))
                .field("data_collection_order", Schema::of(SchemaType::Int64))
                .optional()
                .build()
        })
    }

    /// The block.
    pub(super) fn to_value(&self) -> Value {
        Struct::from_values(
            Self::schema().clone(),
            vec![
                Value::String(self.id.clone()),
                Value::Int64(self.total_order),
                Value::Int64(self.data_collection_order),
            ],
        )
        .map_or(Value::Null, Value::Struct)
    }
}

fn key_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("io.debezium.connector.common.TransactionMetadataKey")
            .version(1)
            .field("id", Schema::string())
            .build()
    })
}

fn collection_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("event.collection")
            .version(1)
            .field("data_collection", Schema::string())
            .field("event_count", Schema::of(SchemaType::Int64))
            .optional()
            .build()
    })
}

fn value_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        SchemaBuilder::structure()
            .name("io.debezium.connector.common.TransactionMetadataValue")
            .version(1)
            .field("status", Schema::string())
            .field("id", Schema::string())
            .field("event_count", Schema::optional_of(SchemaType::Int64))
            .field(
                "data_collections",
                SchemaBuilder::array(collection_schema().clone()).optional().build(),
            )
            .field("ts_ms", Schema::of(SchemaType::Int64))
            .build()
    })
}

/// The transaction whose events are being counted.
#[derive(Debug)]
struct Counting {
    xid: u32,
    events: i64,
    /// Events per table (`<schema>.<table>`), in the order the tables came (the END lists them
    /// so; Debezium's follow its hash map's order).
    per_table: Vec<(String, i64)>,
}

/// Counts the events of the open transaction and makes its BEGIN and END records.
#[derive(Debug)]
pub(super) struct TransactionMetadata {
    topic: Arc<str>,
    open: Option<Counting>,
}

impl TransactionMetadata {
    /// Metadata written to `topic`.
    pub(super) fn new(topic: &str) -> Self {
        TransactionMetadata {
            topic: topic.into(),
            open: None,
        }
    }

    /// Forgets a transaction cut short (a new session sends it again whole).
    pub(super) fn reset(&mut self) {
        self.open = None;
    }

    /// Counts an event of transaction `xid` on table `collection` at `lsn`: its place, and,
    /// for the transaction's first, the BEGIN record (`commit_ms` its commit time; it resumes
    /// from `offset`) to write before it.
    pub(super) fn event(
        &mut self,
        xid: u32,
        lsn: u64,
        collection: &str,
        commit_ms: i64,
        (partition, offset): (&Arc<SourceMap>, &SourceMap),
    ) -> (TransactionOrder, Option<SourceRecord>) {
        let id = format!("{xid}:{lsn}");
        let begin = if self.open.as_ref().is_some_and(|open| open.xid == xid) {
            None
        } else {
            self.open = None;
            Some(self.boundary("BEGIN", id.clone(), None, commit_ms, partition, offset))
        };
        let open = self.open.get_or_insert_with(|| Counting {
            xid,
            events: 0,
            per_table: Vec::new(),
        });
        open.events += 1;
        let in_table = match open.per_table.iter_mut().find(|(name, _)| name == collection) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                open.per_table.push((collection.to_string(), 1));
                1
            }
        };
        let order = TransactionOrder {
            id,
            total_order: open.events,
            data_collection_order: in_table,
        };
        (order, begin)
    }

    /// The END record of transaction `xid`, committed at `commit_ms` and ending at `end_lsn`
    /// (it resumes from `offset`), when it had events.
    pub(super) fn end(
        &mut self,
        xid: u32,
        end_lsn: u64,
        commit_ms: i64,
        (partition, offset): (&Arc<SourceMap>, &SourceMap),
    ) -> Option<SourceRecord> {
        let mut open = self.open.take().filter(|open| open.xid == xid)?;
        // Debezium counts a transaction's events per table in a Java HashMap, and lists the
        // tables in its order.
        java_hash_map_order(&mut open.per_table);
        let collections = open
            .per_table
            .into_iter()
            .filter_map(|(name, count)| {
                Struct::from_values(
                    collection_schema().clone(),
                    vec![Value::String(name), Value::Int64(count)],
                )
                .map(Value::Struct)
            })
            .collect();
        Some(self.boundary(
            "END",
            format!("{xid}:{end_lsn}"),
            Some((open.events, collections)),
            commit_ms,
            partition,
            offset,
        ))
    }

    fn boundary(
        &self,
        status: &str,
        id: String,
        counts: Option<(i64, Vec<Value>)>,
        commit_ms: i64,
        partition: &Arc<SourceMap>,
        offset: &SourceMap,
    ) -> SourceRecord {
        let (event_count, collections) = match counts {
            Some((events, collections)) => (Value::Int64(events), Value::Array(collections)),
            None => (Value::Null, Value::Null),
        };
        let key = Struct::from_values(key_schema().clone(), vec![Value::String(id.clone())])
            .map_or(Value::Null, Value::Struct);
        let value = Struct::from_values(
            value_schema().clone(),
            vec![
                Value::String(status.into()),
                Value::String(id),
                event_count,
                collections,
                Value::Int64(commit_ms),
            ],
        )
        .map_or(Value::Null, Value::Struct);
        SourceRecord {
            source_partition: partition.clone(),
            source_offset: offset.clone(),
            record: ConnectRecord {
                topic: self.topic.clone(),
                key_schema: Some(SchemaRef::Static(key_schema())),
                key,
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

    fn payload(record: &SourceRecord) -> Struct {
        match &record.record.value {
            Value::Struct(value) => value.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_transaction_is_counted_per_table_between_its_begin_and_end() {
        let mut metadata = TransactionMetadata::new("shop.transaction");
        let partition = Arc::new(SourceMap::new());
        let at = (&partition, &SourceMap::new());
        let (first, begin) = metadata.event(7, 100, "public.a", 5, at);
        let begin = begin.expect("the first event opens the transaction");
        assert_eq!(&*begin.record.topic, "shop.transaction");
        assert_eq!(payload(&begin).get("status"), Some(&Value::String("BEGIN".into())));
        assert_eq!(payload(&begin).get("id"), Some(&Value::String("7:100".into())));
        assert_eq!(payload(&begin).get("event_count"), Some(&Value::Null));
        assert_eq!(
            (first.id.as_str(), first.total_order, first.data_collection_order),
            ("7:100", 1, 1)
        );
        let (second, none) = metadata.event(7, 120, "public.b", 5, at);
        assert!(none.is_none());
        assert_eq!(
            (second.id.as_str(), second.total_order, second.data_collection_order),
            ("7:120", 2, 1)
        );
        let (third, _) = metadata.event(7, 140, "public.a", 5, at);
        assert_eq!((third.total_order, third.data_collection_order), (3, 2));
        let end = metadata
            .end(7, 200, 5, at)
            .expect("an END for a transaction with events");
        let end = payload(&end);
        assert_eq!(end.get("id"), Some(&Value::String("7:200".into())));
        assert_eq!(end.get("event_count"), Some(&Value::Int64(3)));
        let Some(Value::Array(collections)) = end.get("data_collections") else {
            panic!("{end:?}")
        };
        let counts: Vec<(Value, Value)> = collections
            .iter()
            .map(|c| match c {
                Value::Struct(c) => (
                    c.get("data_collection").cloned().unwrap(),
                    c.get("event_count").cloned().unwrap(),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            counts,
            [
                (Value::String("public.a".into()), Value::Int64(2)),
                (Value::String("public.b".into()), Value::Int64(1))
            ]
        );
        // A transaction without events has no END; the next one begins anew.
        assert!(metadata.end(8, 300, 5, at).is_none());
        assert!(metadata.event(9, 400, "public.a", 5, at).1.is_some());
    }
}
