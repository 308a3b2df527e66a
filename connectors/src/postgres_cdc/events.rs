//! Debezium's change events for PostgreSQL, shaped as Debezium 3.7 shapes them: per table, topic
//! `<topic.prefix>.<schema>.<table>`, key struct `<topic>.Key` (the primary key's columns, or
//! those `message.key.columns` names), and
//! value `<topic>.Envelope` (version 2) with `before`, `after` (`<topic>.Value`, a field
//! required for each `NOT NULL` column), `source` (`io.debezium.connector.postgresql.Source`),
//! `transaction` (null unless `provide.transaction.metadata`: [`super::transactions`]), `op`
//! (`r`, `c`, `u`, `d`) and `ts_ms`/`ts_us`/`ts_ns`. Column values are mapped as
//! [`super::columns`] says.

use std::sync::{Arc, OnceLock};

use tributary_runtime::data::{
    ConnectRecord, Header, Schema, SchemaBuilder, SchemaRef, SchemaType, SourceMap, SourceRecord, Struct, Value,
};

use super::columns::{
    column_schema, convert, missing, omitted_by_debezium, source_type_parameters, unavailable, Mapping, Reading,
};
use super::pgoutput::{Datum, Relation, RelationColumn, TextRewrite};
use super::placeholder::Placeholder;
use super::transactions::TransactionOrder;

/// Debezium's connector version the `source` block reports: the version whose events these
/// are shaped as.
pub(super) const VERSION: &str = "3.7.0.Final-tributary";

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// Read by the snapshot.
    Read,
    /// Inserted.
    Create,
    /// Updated.
    Update,
    /// Deleted.
    Delete,
}

impl Op {
    /// The event's `op`.
    pub(super) fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
        }
    }
}

/// Where a change came from, for the `source` block.
#[derive(Debug, Clone)]
pub(super) struct SourceInfo {
    /// `topic.prefix`.
    pub name: String,
    /// The database's name.
    pub db: String,
    /// Commit (or snapshot) time, microseconds since the epoch.
    pub ts_us: i64,
    /// `false` for a streamed change; for a snapshot's, `first` (its first record),
    /// `first_in_data_collection` (a later table's first), `true`, `last_in_data_collection`
    /// (a table's last) or `last` (its last record).
    pub snapshot: &'static str,
    /// The transaction id.
    pub tx_id: Option<i64>,
    /// The change's LSN.
    pub lsn: Option<i64>,
    /// `["<last commit lsn>","<lsn>"]`, as Debezium writes it.
    pub sequence: Option<String>,
    /// The event's place in its transaction, with transaction metadata.
    pub transaction: Option<TransactionOrder>,
}

impl SourceInfo {
    /// The `source` block of an event of table `schema`.`table` (empty names for an event of
    /// no table).
    pub(super) fn block(&self, schema: &str, table: &str) -> Result<Value, String> {
        Struct::from_values(
            source_schema().clone(),
            vec![
                Value::String(VERSION.into()),
                Value::String("postgresql".into()),
                Value::String(self.name.clone()),
                Value::Int64(self.ts_us.div_euclid(1000)),
                Value::String(self.snapshot.into()),
                Value::String(self.db.clone()),
                self.sequence.clone().map_or(Value::Null, Value::String),
                Value::Int64(self.ts_us),
                Value::Int64(self.ts_us.saturating_mul(1000)),
                Value::String(schema.into()),
                Value::String(table.into()),
                self.tx_id.map_or(Value::Null, Value::Int64),
                self.lsn.map_or(Value::Null, Value::Int64),
                Value::Null,
                Value::Null,
                Value::Null,
            ],
        )
        .map(Value::Struct)
        .ok_or_else(|| "source block mismatch".to_string())
    }
}

/// The schema of the `source` block.
pub(super) fn source_schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let snapshot = SchemaBuilder::new(SchemaType::String)
            .name("io.debezium.data.Enum")
            .version(1)
            .parameter(
                "allowed",
                "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
            )
            .default_value(Value::String("false".into()))
            .optional()
            .build();
        SchemaBuilder::structure()
            .name("io.debezium.connector.postgresql.Source")
            .version(1)
            .field("version", Schema::string())
            .field("connector", Schema::string())
            .field("name", Schema::string())
            .field("ts_ms", Schema::of(SchemaType::Int64))
            .field("snapshot", snapshot)
            .field("db", Schema::string())
            .field("sequence", Schema::optional_string())
            .field("ts_us", Schema::optional_of(SchemaType::Int64))
            .field("ts_ns", Schema::optional_of(SchemaType::Int64))
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::optional_of(SchemaType::Int64))
            .field("lsn", Schema::optional_of(SchemaType::Int64))
            .field("xmin", Schema::optional_of(SchemaType::Int64))
            .field("origin", Schema::optional_string())
            .field("origin_lsn", Schema::optional_of(SchemaType::Int64))
            .build()
    })
}

/// The headers Debezium puts on every record of a task (`extended.headers.enabled`):
/// `__debezium.context.connectorLogicalName` (`topic.prefix`), `.taskId`, `.connectorName`
/// (`postgresql`) and `.runId` (a new UUID each time the task starts), as text.
#[derive(Debug, Clone, Default)]
pub(super) struct ContextHeaders(Arc<[Header]>);

impl ContextHeaders {
    /// The headers of task `task` of a connector with `topic.prefix` `prefix`, or none.
    pub(super) fn new(enabled: bool, prefix: &str, task: u32) -> Self {
        if !enabled {
            return ContextHeaders::default();
        }
        let header = |key: &str, value: String| Header {
            key: format!("__debezium.context.{key}"),
            schema: Some(SchemaRef::string()),
            value: Value::String(value),
        };
        ContextHeaders(Arc::from([
            header("connectorLogicalName", prefix.to_string()),
            header("taskId", task.to_string()),
            header("connectorName", "postgresql".to_string()),
            header("runId", uuid::Uuid::now_v7().to_string()),
        ]))
    }

    /// Adds them after a record's own headers.
    pub(super) fn append_to(&self, record: &mut ConnectRecord) {
        record.headers.extend(self.0.iter().cloned());
    }
}

/// `datum`, or, for a TOASTed value the stream did not send because it did not change, the
/// old row's value when the stream sent that (`REPLICA IDENTITY FULL`).
fn sent_or_old<'a>(datum: &'a Datum, old: Option<&'a Datum>) -> &'a Datum {
    match (datum, old) {
        (Datum::Unchanged, Some(old @ Datum::Text(_))) => old,
        _ => datum,
    }
}

/// Row `new` with the values it was not sent taken from row `old` where it has them (the
/// insert that ends a key change, which has no old row of its own).
pub(super) fn with_old_values(new: &[Datum], old: &[Datum]) -> Vec<Datum> {
    new.iter()
        .enumerate()
        .map(|(i, datum)| sent_or_old(datum, old.get(i)).clone())
        .collect()
}

/// The schemas and topic of one table's events.
#[derive(Debug)]
pub(super) struct TableEvents {
    /// The topic.
    pub topic: Arc<str>,
    relation: Relation,
    /// Each column's schema; none for a column Debezium leaves out.
    columns: Vec<Option<Arc<Schema>>>,
    /// The key's columns (positions in the relation's), in the key's order.
    key_columns: Vec<usize>,
    mapping: Mapping,
    /// What a value the stream did not send is written as.
    placeholder: Arc<Placeholder>,
    /// `<schema>.<table>`.
    data_collection: String,
    key_schema: Option<Arc<Schema>>,
    value_schema: Arc<Schema>,
    envelope_schema: Arc<Schema>,
}

impl TableEvents {
    /// The events of `relation` to `topic`, keyed by the columns at positions `key` (in
    /// that order; those left out of the events are left out of the key too), its columns
    /// written as `mapping` says, a value the stream did not send as `placeholder`, its rows
    /// read as `reading` says.
    pub(super) fn new(
        topic: String,
        relation: Relation,
        key: Vec<usize>,
        mapping: Mapping,
        placeholder: Arc<Placeholder>,
        reading: Reading,
    ) -> Self {
        let with_parameters = |schema: Arc<Schema>, parameters: Vec<(&str, String)>| {
            if parameters.is_empty() {
                return schema;
            }
            parameters
                .iter()
                .fold(schema.to_builder(), |builder, (name, value)| {
                    builder.parameter(name, value)
                })
                .build()
        };
        // Each kept column's schema as the key has it: Debezium applies no column mapper to
        // keys (no mark, no source type, and their values are not rewritten). The value's is
        // marked by the column's rewrite or carries its source type, as asked.
        let key_fields: Vec<Option<Arc<Schema>>> = relation
            .columns
            .iter()
            .map(|column| {
                (!column.excluded && !omitted_by_debezium(column, mapping)).then(|| column_schema(column, mapping))
            })
            .collect();
        let columns: Vec<Option<Arc<Schema>>> = relation
            .columns
            .iter()
            .zip(&key_fields)
            .map(|(column, schema)| {
                let mut parameters: Vec<(&str, String)> = column
                    .rewrite
                    .as_ref()
                    .map(TextRewrite::parameter)
                    .into_iter()
                    .collect();
                if column.propagate_source_type {
                    parameters.extend(source_type_parameters(column, reading));
                }
                Some(with_parameters(schema.clone()?, parameters))
            })
            .collect();
        let kept = || {
            relation
                .columns
                .iter()
                .zip(&columns)
                .filter_map(|(column, schema)| Some((column, schema.as_ref()?)))
        };
        let key_columns: Vec<usize> = key
            .into_iter()
            .filter(|&i| columns.get(i).is_some_and(Option::is_some))
            .collect();
        // Debezium's adjustments of names (`schema.name.adjustment.mode`,
        // `field.name.adjustment.mode`).
        let schema_name = |suffix: &str| mapping.schema_names.schema_name(&format!("{topic}.{suffix}"));
        let field_name = |column: &RelationColumn| mapping.field_names.field_name(&column.name);
        let key_schema = (!key_columns.is_empty()).then(|| {
            key_columns
                .iter()
                .filter_map(|&i| Some((&relation.columns[i], key_fields[i].as_ref()?)))
                .fold(SchemaBuilder::structure().name(&schema_name("Key")), |b, (c, s)| {
                    b.field(&field_name(c), s.clone())
                })
                .build()
        });
        let value_schema = kept()
            .fold(SchemaBuilder::structure().name(&schema_name("Value")), |b, (c, s)| {
                b.field(&field_name(c), s.clone())
            })
            .optional()
            .build();
        let envelope_schema = SchemaBuilder::structure()
            .name(&schema_name("Envelope"))
            .version(2)
            .field("before", value_schema.clone())
            .field("after", value_schema.clone())
            .field("source", source_schema().clone())
            .field("transaction", TransactionOrder::schema().clone())
            .field("op", Schema::string())
            .field("ts_ms", Schema::optional_of(SchemaType::Int64))
            .field("ts_us", Schema::optional_of(SchemaType::Int64))
            .field("ts_ns", Schema::optional_of(SchemaType::Int64))
            .build();
        let data_collection = format!("{}.{}", relation.namespace, relation.name);
        TableEvents {
            topic: topic.into(),
            relation,
            columns,
            key_columns,
            mapping,
            placeholder,
            data_collection,
            key_schema,
            value_schema,
            envelope_schema,
        }
    }

    /// The table as `<schema>.<table>` (a data collection, in Debezium's words).
    pub(super) fn data_collection(&self) -> &str {
        &self.data_collection
    }

    /// The key's schema (none for a table without a key).
    pub(super) fn key_schema(&self) -> Option<SchemaRef> {
        self.key_schema.clone().map(SchemaRef::from)
    }

    /// The envelope's schema.
    pub(super) fn envelope_schema(&self) -> SchemaRef {
        self.envelope_schema.clone().into()
    }

    /// A row as a `<topic>.Value` struct. A TOASTed column an update left alone takes its
    /// value from the `old` row when that has it (`REPLICA IDENTITY FULL`), else Debezium's
    /// placeholder (text and bytes; other types null); a required field without a value (a
    /// delete's old row carries only the replica identity's columns) holds the column's
    /// default, else its type's zero, as Debezium fills it; each then masked, hashed or cut as
    /// the column's rule says, as Debezium rewrites them.
    fn row(&self, datums: &[Datum], old: Option<&[Datum]>) -> Result<Value, String> {
        let mut values = Vec::with_capacity(self.value_schema.fields.len());
        for (i, ((column, schema), datum)) in self.relation.columns.iter().zip(&self.columns).zip(datums).enumerate() {
            let Some(schema) = schema else {
                continue;
            };
            let datum = sent_or_old(datum, old.and_then(|old| old.get(i)));
            values.push(match datum {
                Datum::Text(text) => self.convert(column, schema, text)?,
                // Debezium's column mappers rewrite what its converters give, a placeholder or a
                // filled-in value too.
                Datum::Unchanged => {
                    self.rewritten(column, unavailable(column, schema, self.mapping, &self.placeholder)?)
                }
                Datum::Null if matches!(column.rewrite, Some(TextRewrite::Mask(_))) => {
                    self.rewritten(column, Value::Null)
                }
                Datum::Null if schema.optional => Value::Null,
                Datum::Null => self.rewritten(column, missing(schema)),
            });
        }
        values.resize(self.value_schema.fields.len(), Value::Null);
        Struct::from_values(self.value_schema.clone(), values)
            .map(Value::Struct)
            .ok_or_else(|| "column count mismatch".to_string())
    }

    /// A column's value from its text, rewritten as `column.mask.with.<n>.chars`,
    /// `column.mask.hash.*` or `column.truncate.to.<n>.chars` asks.
    fn convert(&self, column: &RelationColumn, schema: &Arc<Schema>, text: &str) -> Result<Value, String> {
        Ok(self.rewritten(column, convert(column, schema, self.mapping, text)?))
    }

    /// `value` of `column`, rewritten as `column.mask.with.<n>.chars`, `column.mask.hash.*` or
    /// `column.truncate.to.<n>.chars` asks.
    fn rewritten(&self, column: &RelationColumn, value: Value) -> Value {
        match &column.rewrite {
            Some(rewrite) => rewrite.apply(column.type_oid, value),
            None => value,
        }
    }

    /// Whether rows `old` and `new` differ in a key column (compared as the stream sent them,
    /// without converting them).
    pub(super) fn key_changed(&self, old: &[Datum], new: &[Datum]) -> bool {
        self.key_columns.iter().any(|&i| old.get(i) != new.get(i))
    }

    /// Whether an update from row `old` to row `new` left every column written as it was
    /// (`skip.messages.without.change`), comparing the values the events would carry.
    pub(super) fn unchanged(&self, old: &[Datum], new: &[Datum]) -> Result<bool, String> {
        Ok(self.row(old, None)? == self.row(new, Some(old))?)
    }

    /// The table's description.
    pub(super) fn relation(&self) -> &Relation {
        &self.relation
    }

    /// The values of a row's key columns, as the stream sent them (without converting them).
    pub(super) fn key_datums(&self, datums: &[Datum]) -> Vec<Datum> {
        self.key_columns
            .iter()
            .map(|&i| datums.get(i).cloned().unwrap_or(Datum::Null))
            .collect()
    }

    /// The key of a row (null for a table without a key).
    pub(super) fn key(&self, datums: &[Datum]) -> Result<Value, String> {
        let Some(schema) = &self.key_schema else {
            return Ok(Value::Null);
        };
        let mut values = Vec::with_capacity(self.key_columns.len());
        // Not rewritten: Debezium's column mappers leave keys alone.
        for (&i, field) in self.key_columns.iter().zip(&schema.fields) {
            let Some(column) = self.relation.columns.get(i) else {
                continue;
            };
            values.push(match datums.get(i) {
                Some(Datum::Text(text)) => convert(column, &field.schema, self.mapping, text)?,
                _ => Value::Null,
            });
        }
        Struct::from_values(schema.clone(), values)
            .map(Value::Struct)
            .ok_or_else(|| "key column count mismatch".to_string())
    }

    /// The envelope of a change made into an event at `now_us` (microseconds since the epoch).
    pub(super) fn envelope(
        &self,
        op: Op,
        before: Option<&[Datum]>,
        after: Option<&[Datum]>,
        source: &SourceInfo,
        now_us: i64,
    ) -> Result<Value, String> {
        let block = source.block(&self.relation.namespace, &self.relation.name)?;
        let old = before;
        let before = before.map(|d| self.row(d, None)).transpose()?.unwrap_or(Value::Null);
        let after = after.map(|d| self.row(d, old)).transpose()?.unwrap_or(Value::Null);
        Struct::from_values(
            self.envelope_schema.clone(),
            vec![
                before,
                after,
                block,
                source
                    .transaction
                    .as_ref()
                    .map_or(Value::Null, TransactionOrder::to_value),
                Value::String(op.code().into()),
                Value::Int64(now_us.div_euclid(1000)),
                Value::Int64(now_us),
                Value::Int64(now_us.saturating_mul(1000)),
            ],
        )
        .map(Value::Struct)
        .ok_or_else(|| "envelope mismatch".to_string())
    }

    /// One change as a source record of `partition` at `offset`, keyed by the row's replica
    /// identity (taken from `after`, or from `before` for a delete).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &self,
        partition: &Arc<SourceMap>,
        op: Op,
        before: Option<&[Datum]>,
        after: Option<&[Datum]>,
        source: &SourceInfo,
        offset: SourceMap,
        now_us: i64,
    ) -> Result<SourceRecord, String> {
        Ok(SourceRecord {
            source_partition: partition.clone(),
            source_offset: offset,
            record: ConnectRecord {
                topic: self.topic.clone(),
                key_schema: self.key_schema(),
                key: self.key(after.or(before).unwrap_or_default())?,
                value_schema: Some(self.envelope_schema()),
                value: self.envelope(op, before, after, source, now_us)?,
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres_cdc::pgoutput::RelationColumn;

    fn column(name: &str, type_oid: u32, type_modifier: i32, key: bool) -> RelationColumn {
        RelationColumn {
            key,
            optional: !key,
            default: None,
            enum_labels: None,
            name: name.into(),
            type_oid,
            type_modifier,
            ..RelationColumn::default()
        }
    }

    /// The events of `relation` as streamed, keyed by its first column, written by default.
    fn streamed_events(relation: Relation) -> TableEvents {
        TableEvents::new(
            format!("shop.{}.{}", relation.namespace, relation.name),
            relation,
            vec![0],
            Mapping::default(),
            Arc::default(),
            Reading::Stream,
        )
    }

    #[test]
    fn a_column_debezium_does_not_know_is_left_out() {
        let relation = Relation {
            id: 1,
            namespace: "public".into(),
            name: "prices".into(),
            // id, a MONEY[] and a text.
            columns: vec![
                column("id", 23, -1, true),
                column("cashes", 791, -1, false),
                column("note", 25, -1, false),
            ],
        };
        let events = streamed_events(relation);
        let names: Vec<&str> = events.value_schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "note"]);
        let row = [
            Datum::Text("7".into()),
            Datum::Text("{$1.00}".into()),
            Datum::Text("hi".into()),
        ];
        let Value::Struct(value) = events.row(&row, None).unwrap() else {
            panic!()
        };
        assert_eq!(value.get("note"), Some(&Value::String("hi".into())));
    }

    #[test]
    fn keys_and_envelopes_are_named_after_the_topic() {
        let relation = Relation {
            id: 1,
            namespace: "public".into(),
            name: "orders".into(),
            columns: vec![column("id", 23, -1, true), column("note", 25, -1, false)],
        };
        let events = streamed_events(relation);
        assert_eq!(&*events.topic, "shop.public.orders");
        assert_eq!(
            events.key_schema().unwrap().name.as_deref(),
            Some("shop.public.orders.Key")
        );
        let row = [Datum::Text("7".into()), Datum::Text("hi".into())];
        let Value::Struct(key) = events.key(&row).unwrap() else {
            panic!()
        };
        assert_eq!(key.get("id"), Some(&Value::Int32(7)));
        let source = SourceInfo {
            name: "shop".into(),
            db: "db".into(),
            ts_us: 1_000,
            snapshot: "false",
            tx_id: Some(5),
            lsn: Some(6),
            sequence: None,
            transaction: None,
        };
        let Value::Struct(envelope) = events.envelope(Op::Create, None, Some(&row), &source, 2).unwrap() else {
            panic!()
        };
        assert_eq!(envelope.get("op"), Some(&Value::String("c".into())));
        assert_eq!(envelope.get("before"), Some(&Value::Null));
        assert_eq!(envelope.schema().name.as_deref(), Some("shop.public.orders.Envelope"));
    }
}
