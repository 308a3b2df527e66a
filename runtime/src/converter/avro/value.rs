//! What writing and reading Avro share: a schema's named types, references resolved through
//! them, which union branch a Connect value takes, and a schema's name for the subject.

use std::collections::HashMap;

use apache_avro::schema::{Name, Schema as Avro};

use super::schema::NAMESPACE;
use crate::converter::DataError;
use crate::data::Value;

/// The named types of an Avro schema, by full name, for its references.
pub(super) type Names = HashMap<String, Avro>;

/// Every named type `schema` defines.
pub(super) fn names(schema: &Avro) -> Names {
    fn collect(schema: &Avro, out: &mut Names) {
        match schema {
            Avro::Record(record) => {
                out.insert(record.name.fullname(None), schema.clone());
                for field in &record.fields {
                    collect(&field.schema, out);
                }
            }
            Avro::Enum(e) => {
                out.insert(e.name.fullname(None), schema.clone());
            }
            Avro::Fixed(f) => {
                out.insert(f.name.fullname(None), schema.clone());
            }
            Avro::Decimal(d) => collect(&d.inner, out),
            Avro::Array(a) => collect(&a.items, out),
            Avro::Map(m) => collect(&m.types, out),
            Avro::Union(u) => u.variants().iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut out = Names::new();
    collect(schema, &mut out);
    out
}

pub(super) fn resolve<'a>(schema: &'a Avro, names: &'a Names) -> Result<&'a Avro, DataError> {
    match schema {
        Avro::Ref { name } => names
            .get(&name.fullname(None))
            .ok_or_else(|| DataError::new(format!("the Avro schema refers to {name:?}, which it does not define"))),
        other => Ok(other),
    }
}

/// Whether `value` is of a kind `avro` takes (a struct: a record of the same name first).
pub(super) fn fits(value: &Value, avro: &Avro) -> bool {
    match (value, avro) {
        (Value::Boolean(_), Avro::Boolean) => true,
        (Value::Int8(_) | Value::Int16(_) | Value::Int32(_), Avro::Int | Avro::Date | Avro::TimeMillis) => true,
        (
            Value::Int64(_),
            Avro::Long
            | Avro::TimestampMillis
            | Avro::TimestampMicros
            | Avro::TimeMicros
            | Avro::LocalTimestampMillis
            | Avro::LocalTimestampMicros,
        ) => true,
        (Value::Float32(_), Avro::Float) | (Value::Float64(_), Avro::Double) => true,
        (Value::String(_), Avro::String | Avro::Enum(_) | Avro::Uuid) => true,
        (Value::Bytes(_), Avro::Bytes | Avro::Fixed(_) | Avro::Decimal(_)) => true,
        (Value::Array(_), Avro::Array(_)) | (Value::Map(_), Avro::Map(_) | Avro::Array(_)) => true,
        (Value::Struct(s), Avro::Record(record)) => match &s.schema().name {
            Some(name) => record.name.fullname(None) == *name || record.name.name == short(name),
            None => record.name.namespace.as_deref() == Some(NAMESPACE),
        },
        _ => false,
    }
}

fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The full name of a named Avro schema (a record's, for RecordNameStrategy), else its type.
pub(super) fn schema_name(schema: &Avro) -> String {
    match schema.name() {
        Some(Name { name, namespace }) => match namespace {
            Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
            _ => name.clone(),
        },
        None => match schema {
            Avro::Union(u) => u
                .variants()
                .iter()
                .find(|v| !matches!(v, Avro::Null))
                .map(schema_name)
                .unwrap_or_else(|| "null".to_string()),
            other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_ascii_lowercase(),
        },
    }
}
