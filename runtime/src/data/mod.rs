//! The Connect data model: schemas (with Apache's logical types), values, structs, headers and
//! the source and sink records that move through converters, transforms and tasks.

mod record;
mod schema;
mod value;

pub use record::{ConnectRecord, Header, SinkRecord, SourceMap, SourceRecord, TimestampType};
pub use schema::{logical, Field, Schema, SchemaBuilder, SchemaType};
pub use value::{Struct, Value};
