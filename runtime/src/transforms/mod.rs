//! Single message transformations and predicates, configured exactly as in Apache Kafka:
//! `transforms=a,b`, `transforms.a.type=<class>`, `transforms.a.<setting>=…`, and optionally
//! `transforms.a.predicate=p` with `transforms.a.negate=true`, where
//! `predicates=p`, `predicates.p.type=<class>`, `predicates.p.<setting>=…`.
//!
//! Every Apache built-in is here, one file each, registered under Apache's class names:
//! Cast, DropHeaders, ExtractField, Filter, Flatten, HeaderFrom, HoistField, InsertField,
//! InsertHeader, MaskField, RegexRouter, ReplaceField, SetSchemaMetadata, TimestampConverter,
//! TimestampRouter and ValueToKey (with `$Key`/`$Value` variants where Apache has them), and the
//! predicates TopicNameMatches, HasHeaderKey and RecordIsTombstone; and Debezium's
//! ExtractNewRecordState, which change data capture pipelines use to write rows.

mod cast;
mod extract_field;
mod extract_new_record_state;
mod field_path;
mod flatten;
mod headers;
mod hoist_field;
mod insert_field;
mod mask_field;
mod plugin;
mod predicates;
mod replace_field;
mod routers;
mod set_schema_metadata;
pub(crate) mod support;
#[cfg(test)]
mod tests;
mod timestamp_converter;
mod value_to_key;

use crate::converter::DataError;
use crate::data::ConnectRecord;

pub use plugin::{
    find_predicate, find_transform, predicate_plugins, transform_plugins, PredicatePlugin, TransformPlugin,
};

/// Changes, or drops, one record.
pub trait Transformation: Send + Sync {
    /// The transformed record, or `None` to drop it.
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError>;
}

/// Decides whether a transformation applies to a record.
pub trait Predicate: Send + Sync {
    /// Whether the record matches.
    fn test(&self, record: &ConnectRecord) -> bool;
}
