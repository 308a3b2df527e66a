//! `io.debezium.transforms.ExtractNewRecordState`, Debezium's "unwrap": a change event (a value
//! whose schema's name ends in `.Envelope`) becomes the row it leaves, `after`, so that sinks
//! see plain rows. Other records pass unchanged. As Debezium 3.7 does it:
//!
//! - `delete.tombstone.handling.mode`: what becomes of a delete and of the tombstone after it.
//!   `tombstone` (the default) writes the delete as a record with no value (but the row's value
//!   schema) and drops the tombstone; `drop` drops both; `delete-to-tombstone` writes the delete
//!   as a tombstone (no value, no schema) and drops the tombstone; `rewrite` writes the delete as
//!   its `before` row with a field `__deleted` of `"true"` (every other row `"false"`) and drops
//!   the tombstone; `rewrite-with-tombstone` does the same but keeps the tombstone (which, as
//!   Debezium's shares its delete's list of headers, also carries the headers added to the
//!   delete). In the
//!   rewrite modes a null field takes its schema's default (`replace.null.with.default`, on by
//!   default).
//! - `add.fields` / `add.headers`: envelope fields added to the row or as headers, each named
//!   `<prefix><field>` (`add.fields.prefix` / `add.headers.prefix`, `__` by default): `op` and
//!   `ts_ms` from the envelope, `id`, `total_order` and `data_collection_order` from its
//!   `transaction`, any other name from its `source`, `<struct>.<field>` from that struct
//!   (named `<prefix><struct>_<field>`), and `<field>:<name>` named `<prefix><name>`. A tombstone
//!   gets the `op` header only, `d`.
//! - `route.by.field`: the row's field (a delete's `before` row's) whose value names the topic.
//!
//! A truncate (neither `before` nor `after`) is dropped. `drop.fields.header.name` is refused:
//! the header lists of Debezium's other transformations are not made here.

use std::sync::{Arc, Mutex};

use super::support::{schema_basics, with_default, with_fields_added, SchemaCache, REPLACE_NULL_WITH_DEFAULT};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Header, Schema, SchemaRef, Struct, Value};

/// Debezium's class name.
const CLASS: &str = "io.debezium.transforms.ExtractNewRecordState";

/// The field the rewrite modes add.
const DELETED_FIELD: &str = "__deleted";

/// `delete.tombstone.handling.mode`.
const DELETE_TOMBSTONE_HANDLING: Key<String> = Key::new(
    ConfigKey::optional(
        "delete.tombstone.handling.mode",
        ConfigType::String,
        "tombstone",
        "What becomes of deletes and tombstones: drop, tombstone, rewrite, rewrite-with-tombstone \
         or delete-to-tombstone.",
    )
    .one_of(&[
        "drop",
        "tombstone",
        "rewrite",
        "rewrite-with-tombstone",
        "delete-to-tombstone",
    ]),
);
/// `route.by.field`.
const ROUTE_BY_FIELD: Key<String> = Key::new(ConfigKey::optional(
    "route.by.field",
    ConfigType::String,
    "",
    "The row's field whose value names the topic.",
));
/// `add.fields.prefix`.
const ADD_FIELDS_PREFIX: Key<String> = Key::new(ConfigKey::optional(
    "add.fields.prefix",
    ConfigType::String,
    "__",
    "The prefix of the added fields' names.",
));
/// `add.fields`.
const ADD_FIELDS: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "add.fields",
    ConfigType::List,
    "",
    "Envelope fields added to the row (op, ts_ms, source fields, <struct>.<field>, <field>:<name>).",
));
/// `add.headers.prefix`.
const ADD_HEADERS_PREFIX: Key<String> = Key::new(ConfigKey::optional(
    "add.headers.prefix",
    ConfigType::String,
    "__",
    "The prefix of the added headers' names.",
));
/// `add.headers`.
const ADD_HEADERS: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "add.headers",
    ConfigType::List,
    "",
    "Envelope fields added as headers, named as add.fields names them.",
));
/// `drop.fields.header.name`.
const DROP_FIELDS_HEADER: Key<String> = Key::new(
    ConfigKey::unset(
        "drop.fields.header.name",
        ConfigType::String,
        "Not supported: must be empty.",
    )
    .check(|v| {
        v.trim()
            .is_empty()
            .then_some(())
            .ok_or_else(|| "dropping the fields a header lists is not supported".into())
    }),
);

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&DELETE_TOMBSTONE_HANDLING)
        .key(&ROUTE_BY_FIELD)
        .key(&ADD_FIELDS_PREFIX)
        .key(&ADD_FIELDS)
        .key(&ADD_HEADERS_PREFIX)
        .key(&ADD_HEADERS)
        .key(&REPLACE_NULL_WITH_DEFAULT)
        .key(&DROP_FIELDS_HEADER)
}

/// `delete.tombstone.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteHandling {
    Drop,
    Tombstone,
    Rewrite,
    RewriteWithTombstone,
    DeleteToTombstone,
}

impl DeleteHandling {
    fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_lowercase().as_str() {
            "drop" => DeleteHandling::Drop,
            "rewrite" => DeleteHandling::Rewrite,
            "rewrite-with-tombstone" => DeleteHandling::RewriteWithTombstone,
            "delete-to-tombstone" => DeleteHandling::DeleteToTombstone,
            _ => DeleteHandling::Tombstone,
        }
    }

    fn rewrites(self) -> bool {
        matches!(self, DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone)
    }
}

/// An envelope field named in `add.fields` or `add.headers`.
#[derive(Debug, Clone)]
struct FieldReference {
    /// The envelope's struct holding it (`source`, `transaction`), or none for the envelope's own.
    parent: Option<String>,
    field: String,
    /// The added field's or header's name.
    name: String,
}

impl FieldReference {
    /// `op`, `source.ts_ms`, `lsn:position`… with `prefix`.
    fn parse(prefix: &str, text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let path: Vec<&str> = parts[0].split('.').collect();
        let field = path.get(1).unwrap_or(&path[0]).to_string();
        let parent = match path.len() {
            1 => match field.as_str() {
                "id" | "total_order" | "data_collection_order" => Some("transaction".to_string()),
                "op" | "ts_ms" => None,
                _ => Some("source".to_string()),
            },
            _ => Some(path[0].to_string()),
        };
        let name = match (parts.as_slice(), &parent) {
            ([_], Some(parent)) if path.len() > 1 => format!("{prefix}{parent}_{field}"),
            ([_], _) => format!("{prefix}{field}"),
            ([_, renamed], _) => format!("{prefix}{renamed}"),
            _ => return Err(format!("Unexpected field name: {text}")),
        };
        Ok(FieldReference { parent, field, name })
    }

    /// The field's schema in an envelope of `envelope` (its basics, optional), when it has the
    /// field (in its struct, or else in the envelope itself).
    fn schema(&self, envelope: &Schema) -> Option<Arc<Schema>> {
        let parent = match &self.parent {
            Some(parent) => &envelope.field(parent)?.schema,
            None => envelope,
        };
        let field = parent.field(&self.field).or_else(|| envelope.field(&self.field))?;
        Some(schema_basics(&field.schema).optional().build())
    }

    /// The field's value in `envelope`.
    fn value(&self, envelope: &Struct) -> Value {
        let parent = match &self.parent {
            Some(parent) => match envelope.get(parent) {
                Some(Value::Struct(parent)) => parent,
                _ => return Value::Null,
            },
            None => envelope,
        };
        let holder = if parent.schema().field(&self.field).is_some() {
            parent
        } else {
            envelope
        };
        holder.get(&self.field).cloned().unwrap_or(Value::Null)
    }
}

/// The transformation, as configured.
struct ExtractNewRecordState {
    deletes: DeleteHandling,
    route_by_field: Option<String>,
    fields: Vec<FieldReference>,
    headers: Vec<FieldReference>,
    replace_null_with_default: bool,
    /// The row schema with the added fields, by row schema.
    with_fields: SchemaCache,
    /// The row schema with `__deleted`, by row schema.
    with_deleted: SchemaCache,
    /// The topic, key and added headers of the last delete, for the tombstone after it: a
    /// Debezium tombstone shares its delete's list of headers, so with
    /// `rewrite-with-tombstone` it carries the headers added to the delete before its own.
    last_delete: Mutex<Option<LastDelete>>,
}

/// A delete's topic and key, and the headers added to it.
struct LastDelete {
    topic: Arc<str>,
    key: Value,
    headers: Vec<Header>,
}

fn create(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    let references = |prefix: &Key<String>, list: &Key<Vec<String>>| -> Result<Vec<FieldReference>, String> {
        let prefix = config.value(prefix);
        config
            .value(list)
            .iter()
            .map(|text| FieldReference::parse(&prefix, text))
            .collect()
    };
    Ok(Box::new(ExtractNewRecordState {
        deletes: DeleteHandling::from_name(&config.value(&DELETE_TOMBSTONE_HANDLING)),
        route_by_field: Some(config.value(&ROUTE_BY_FIELD)).filter(|f| !f.is_empty()),
        fields: references(&ADD_FIELDS_PREFIX, &ADD_FIELDS)?,
        headers: references(&ADD_HEADERS_PREFIX, &ADD_HEADERS)?,
        replace_null_with_default: config.value(&REPLACE_NULL_WITH_DEFAULT),
        with_fields: SchemaCache::default(),
        with_deleted: SchemaCache::default(),
        last_delete: Mutex::new(None),
    }))
}

/// The field `name` of envelope `envelope`, taken out, with its schema: a row struct, or null.
fn row(envelope: &mut Struct, name: &str) -> (Option<Arc<Schema>>, Value) {
    let schema = envelope.schema().field(name).map(|f| f.schema.clone());
    (schema, envelope.take(name))
}

impl ExtractNewRecordState {
    /// The `add.headers` headers of `envelope` (none: a tombstone's).
    fn headers(&self, envelope: Option<&Struct>) -> Vec<Header> {
        self.headers
            .iter()
            .filter_map(|reference| match envelope {
                None => (reference.field == "op").then(|| Header {
                    key: reference.name.clone(),
                    schema: Some(SchemaRef::string()),
                    value: Value::String("d".into()),
                }),
                Some(envelope) => Some(Header {
                    key: reference.name.clone(),
                    schema: Some(reference.schema(envelope.schema())?.into()),
                    value: reference.value(envelope),
                }),
            })
            .collect()
    }

    /// `row` (of `schema`) with a `__deleted` field of `deleted`, a null field taking its
    /// default when `replace.null.with.default`.
    fn with_deleted(
        &self,
        schema: &Arc<Schema>,
        row: &Struct,
        deleted: bool,
    ) -> Result<(Arc<Schema>, Value), DataError> {
        let updated = self.with_deleted.get_or_build(schema, || {
            Ok(with_fields_added(schema, [(DELETED_FIELD, Schema::optional_string())]))
        })?;
        let mut value = Struct::new(updated.clone());
        for (field, field_value) in row.iter() {
            value.put(
                &field.name,
                with_default(field, field_value, self.replace_null_with_default).clone(),
            );
        }
        value.put(DELETED_FIELD, Value::String(deleted.to_string()));
        Ok((updated, Value::Struct(value)))
    }

    /// `row` (of `schema`) with the `add.fields` of `envelope`.
    fn with_fields(
        &self,
        schema: &Arc<Schema>,
        row: &Struct,
        envelope: &Struct,
    ) -> Result<(Arc<Schema>, Value), DataError> {
        let updated = self.with_fields.get_or_build(schema, || {
            let extra = self
                .fields
                .iter()
                .filter_map(|reference| Some((reference.name.as_str(), reference.schema(envelope.schema())?)));
            Ok(with_fields_added(schema, extra))
        })?;
        let mut value = Struct::new(updated.clone());
        for (field, field_value) in row.iter() {
            value.put(&field.name, field_value.clone());
        }
        for reference in &self.fields {
            if updated.field(&reference.name).is_some() {
                value.put(&reference.name, reference.value(envelope));
            }
        }
        Ok((updated, Value::Struct(value)))
    }

    /// The topic `route.by.field` names in `row`, if any.
    fn routed_topic(&self, row: &Value) -> Option<Arc<str>> {
        let (Some(field), Value::Struct(row)) = (&self.route_by_field, row) else {
            return None;
        };
        match row.get(field) {
            Some(Value::String(topic)) if !topic.trim().is_empty() => Some(topic.as_str().into()),
            _ => None,
        }
    }
}

impl Transformation for ExtractNewRecordState {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let tombstone = record.value.is_null();
        let is_envelope = matches!((&record.value_schema, &record.value),
            (Some(schema), Value::Struct(_)) if schema.name.as_deref().is_some_and(|name| name.ends_with(".Envelope")));
        // The envelope is taken out of the record: its value is replaced below.
        let envelope = match is_envelope.then(|| std::mem::take(&mut record.value)) {
            Some(Value::Struct(envelope)) => Some(envelope),
            _ => None,
        };
        let added = if tombstone || envelope.is_some() {
            self.headers(envelope.as_ref())
        } else {
            Vec::new()
        };
        if tombstone {
            if self.deletes != DeleteHandling::RewriteWithTombstone {
                return Ok(None);
            }
            let delete = self.last_delete.lock().ok().and_then(|mut last| last.take());
            if let Some(delete) = delete.filter(|delete| delete.topic == record.topic && delete.key == record.key) {
                record.headers.extend(delete.headers);
            }
            record.headers.extend(added);
            return Ok(Some(record));
        }
        record.headers.extend(added.iter().cloned());
        let Some(mut envelope) = envelope else {
            return Ok(Some(record));
        };
        let (after_schema, after) = row(&mut envelope, "after");
        let (before_schema, before) = row(&mut envelope, "before");
        let (schema, value, routing) = match (&after, &before) {
            // A truncate.
            (Value::Null, Value::Null) => return Ok(None),
            (Value::Null, _) => {
                if self.deletes == DeleteHandling::RewriteWithTombstone {
                    if let Ok(mut last) = self.last_delete.lock() {
                        *last = Some(LastDelete {
                            topic: record.topic.clone(),
                            key: record.key.clone(),
                            headers: added,
                        });
                    }
                }
                let (schema, value) = match self.deletes {
                    DeleteHandling::Drop => return Ok(None),
                    DeleteHandling::Tombstone => (after_schema, Value::Null),
                    DeleteHandling::DeleteToTombstone => (None, Value::Null),
                    DeleteHandling::Rewrite | DeleteHandling::RewriteWithTombstone => match (&before_schema, &before) {
                        (Some(schema), Value::Struct(row)) => {
                            let (schema, value) = self.with_deleted(schema, row, true)?;
                            (Some(schema), value)
                        }
                        _ => (before_schema, before.clone()),
                    },
                };
                (schema, value, self.routed_topic(&before))
            }
            (_, _) => {
                let (schema, value) = match (&after_schema, &after) {
                    (Some(schema), Value::Struct(row)) if self.deletes.rewrites() => {
                        let (schema, value) = self.with_deleted(schema, row, false)?;
                        (Some(schema), value)
                    }
                    _ => (after_schema, after),
                };
                let routing = self.routed_topic(&value);
                (schema, value, routing)
            }
        };
        let (schema, value) = match (&schema, &value) {
            (Some(row_schema), Value::Struct(row)) => {
                let (schema, value) = self.with_fields(row_schema, row, &envelope)?;
                (Some(schema), value)
            }
            (_, Value::Null) => (schema, value),
            _ => {
                return Err(DataError::new(format!(
                    "Only Struct objects supported for [source field insertion], found: {}",
                    value.kind()
                )))
            }
        };
        if let Some(topic) = routing {
            record.topic = topic;
        }
        record.value_schema = schema.map(SchemaRef::from);
        record.value = value;
        Ok(Some(record))
    }
}

inventory::submit! {
    super::TransformPlugin {
        class: CLASS,
        aliases: &[],
        config_def,
        create: |settings| create(&super::support::parsed(config_def, settings)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SchemaBuilder, SchemaType};

    /// An envelope of rows `{id, topic}` with `before` and `after` (null for none).
    fn change(before: Option<(i32, &str)>, after: Option<(i32, &str)>) -> ConnectRecord {
        let row_schema = SchemaBuilder::structure()
            .name("db.public.t.Value")
            .field("id", Schema::of(SchemaType::Int32))
            .field("topic", Schema::optional_string())
            .optional()
            .build();
        let envelope_schema = SchemaBuilder::structure()
            .name("db.public.t.Envelope")
            .field("before", row_schema.clone())
            .field("after", row_schema.clone())
            .field("op", Schema::string())
            .build();
        let row = |values: Option<(i32, &str)>| {
            values.map_or(Value::Null, |(id, topic)| {
                let mut row = Struct::new(row_schema.clone());
                row.put("id", Value::Int32(id));
                row.put("topic", Value::String(topic.into()));
                Value::Struct(row)
            })
        };
        let op = match (before, after) {
            (_, None) => "d",
            (None, _) => "c",
            _ => "u",
        };
        let mut envelope = Struct::new(envelope_schema.clone());
        envelope.put("before", row(before));
        envelope.put("after", row(after));
        envelope.put("op", Value::String(op.into()));
        ConnectRecord::new("db.public.t", Some(envelope_schema.into()), Value::Struct(envelope))
    }

    fn unwrap(settings: &[(&str, &str)]) -> Box<dyn Transformation> {
        let settings = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        create(&super::super::support::parsed(config_def, &settings).unwrap()).unwrap()
    }

    #[test]
    fn rows_are_routed_by_their_field_and_truncates_and_other_records_pass_as_debezium_has_them() {
        let routed = unwrap(&[("route.by.field", "topic")]);
        let insert = routed.apply(change(None, Some((1, "orders")))).unwrap().unwrap();
        assert_eq!(&*insert.topic, "orders");
        assert_eq!(
            insert.value_schema.as_ref().and_then(|s| s.name.as_deref()),
            Some("db.public.t.Value")
        );
        // A delete is routed by its old row; its tombstone form keeps the row's schema.
        let delete = routed.apply(change(Some((2, "archive")), None)).unwrap().unwrap();
        assert_eq!((&*delete.topic, delete.value.is_null()), ("archive", true));
        assert!(delete.value_schema.is_some());
        assert!(
            routed.apply(change(None, None)).unwrap().is_none(),
            "a truncate is dropped"
        );
        let plain = ConnectRecord::new("t", Some(SchemaRef::string()), Value::String("x".into()));
        assert_eq!(routed.apply(plain.clone()).unwrap(), Some(plain));
        let mut tombstone = change(None, Some((1, "orders")));
        tombstone.value = Value::Null;
        assert!(
            routed.apply(tombstone).unwrap().is_none(),
            "a tombstone is dropped by default"
        );
        let refused = [("drop.fields.header.name", "x")].map(|(k, v)| (k.to_string(), v.to_string()));
        assert!(super::super::support::parsed(config_def, &refused.into_iter().collect()).is_err());
    }

    #[test]
    fn field_references_are_named_as_debezium_names_them() {
        let named = |text: &str| {
            let reference = FieldReference::parse("__", text).unwrap();
            (reference.parent, reference.field, reference.name)
        };
        assert_eq!(named("op"), (None, "op".into(), "__op".into()));
        assert_eq!(named("lsn"), (Some("source".into()), "lsn".into(), "__lsn".into()));
        assert_eq!(
            named("source.ts_ms"),
            (Some("source".into()), "ts_ms".into(), "__source_ts_ms".into())
        );
        assert_eq!(named("id"), (Some("transaction".into()), "id".into(), "__id".into()));
        assert_eq!(
            named("table:TABLE"),
            (Some("source".into()), "table".into(), "__TABLE".into())
        );
        assert!(FieldReference::parse("__", "a:b:c").is_err());
    }
}
