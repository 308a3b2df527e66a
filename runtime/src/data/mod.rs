//! The Connect data model: schemas (with Apache's logical types), values, structs, headers and
//! the source and sink records that move through converters, transforms and tasks; with
//! [`DataError`] for a value that does not fit, and numbers and decimals as Java prints them.

mod decimal;
mod error;
mod java_calendar;
mod java_text;
mod record;
mod schema;
mod schema_ref;
mod value;
mod values_parse;
mod values_text;

pub use decimal::{decimal_from_text, decimal_text};
pub use error::DataError;
pub use java_calendar::{
    gregorian_day_of_hybrid_fields, hybrid_day_of_gregorian_fields, java_calendar_fields, java_strict_calendar_day,
};
pub(crate) use java_text::java_trim;
pub use java_text::{java_double, java_float, java_utf8_text, write_java_text};
pub use record::{ConnectRecord, Header, SinkRecord, SourceMap, SourceRecord, TimestampType};
pub use schema::{logical, Field, Parameters, Schema, SchemaBuilder, SchemaType};
pub use schema_ref::SchemaRef;
pub use value::{Struct, Value};
pub use values_parse::parse_values_text;
pub use values_text::write_values_text;
