//! An Avro schema's names: the named types it defines, references resolved through them, and
//! the name its subject takes.

use std::collections::HashMap;

use apache_avro::schema::{Name, Schema as Avro};

use crate::converter::DataError;

/// The named types of an Avro schema, by full name, for its references.
pub(super) type Names = HashMap<String, Avro>;

/// Every named type `schema` defines.
pub(super) fn of(schema: &Avro) -> Names {
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

/// `schema`, or the named type it refers to.
pub(super) fn resolve<'a>(schema: &'a Avro, names: &'a Names) -> Result<&'a Avro, DataError> {
    match schema {
        Avro::Ref { name } => names
            .get(&name.fullname(None))
            .ok_or_else(|| DataError::new(format!("the Avro schema refers to {name:?}, which it does not define"))),
        other => Ok(other),
    }
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
