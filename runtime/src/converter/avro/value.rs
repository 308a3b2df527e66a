//! Avro values (as `apache-avro` decodes them) to Connect values, guided by the Avro schema the
//! bytes were written with and the Connect schema it maps to; the named types and the branch
//! matching that reading and [`super::encode`] share.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::schema::{Name, Schema as Avro};
use apache_avro::types::Value as AvroValue;

use super::schema::{NAMESPACE, UNION};
use crate::converter::DataError;
use crate::data::{Schema, SchemaType, Struct, Value};

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

/// The Connect value of `value`, read with `avro`, for the Connect schema `schema`.
pub(super) fn to_connect(
    value: AvroValue,
    avro: &Avro,
    schema: &Arc<Schema>,
    names: &Names,
) -> Result<Value, DataError> {
    let avro = resolve(avro, names)?;
    let wrong = |v: &AvroValue| {
        DataError::new(format!(
            "the Avro value {v:?} does not fit a {} schema",
            schema.schema_type.name()
        ))
    };
    Ok(match value {
        AvroValue::Null => Value::Null,
        AvroValue::Union(index, inner) => {
            let Avro::Union(union) = avro else {
                return Err(wrong(&inner));
            };
            let variant = union
                .variants()
                .get(index as usize)
                .ok_or_else(|| DataError::new(format!("union branch {index} does not exist")))?;
            if schema.name.as_deref() == Some(UNION) && schema.schema_type == SchemaType::Struct {
                if matches!(*inner, AvroValue::Null) {
                    return Ok(Value::Null);
                }
                let nulls_before = union.variants()[..index as usize]
                    .iter()
                    .filter(|v| matches!(v, Avro::Null))
                    .count();
                let position = index as usize - nulls_before;
                let field = schema
                    .fields
                    .get(position)
                    .ok_or_else(|| DataError::new(format!("union branch {index} has no field")))?;
                let mut out = Struct::new(schema.clone());
                let converted = to_connect(*inner, variant, &field.schema, names)?;
                out.put(&field.name, converted);
                return Ok(Value::Struct(out));
            }
            to_connect(*inner, variant, schema, names)?
        }
        AvroValue::Boolean(b) => Value::Boolean(b),
        AvroValue::Int(n) | AvroValue::Date(n) | AvroValue::TimeMillis(n) => match schema.schema_type {
            SchemaType::Int8 => Value::Int8(n as i8),
            SchemaType::Int16 => Value::Int16(n as i16),
            _ => Value::Int32(n),
        },
        AvroValue::Long(n)
        | AvroValue::TimestampMillis(n)
        | AvroValue::TimestampMicros(n)
        | AvroValue::TimestampNanos(n)
        | AvroValue::TimeMicros(n)
        | AvroValue::LocalTimestampMillis(n)
        | AvroValue::LocalTimestampMicros(n)
        | AvroValue::LocalTimestampNanos(n) => Value::Int64(n),
        AvroValue::Float(f) => Value::Float32(f),
        AvroValue::Double(f) => Value::Float64(f),
        AvroValue::String(s) | AvroValue::Enum(_, s) => Value::String(s),
        AvroValue::Uuid(u) => Value::String(u.to_string()),
        AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => Value::bytes(b),
        AvroValue::Decimal(d) => Value::bytes(Vec::<u8>::try_from(d).map_err(|e| DataError::new(e.to_string()))?),
        AvroValue::Array(items) => {
            let item_avro = match avro {
                Avro::Array(a) => a.items.as_ref(),
                _ => return Err(wrong(&AvroValue::Array(items))),
            };
            if schema.schema_type == SchemaType::Map {
                let (Some(keys), Some(values)) = (&schema.key_schema, &schema.value_schema) else {
                    return Err(DataError::new("a map schema without key or value schema"));
                };
                let Avro::Record(entry) = resolve(item_avro, names)? else {
                    return Err(DataError::new("a map written as an array of other than records"));
                };
                let [key_field, value_field] = entry.fields.as_slice() else {
                    return Err(DataError::new("a map entry record without two fields"));
                };
                let mut entries = Vec::with_capacity(items.len());
                for item in items {
                    let AvroValue::Record(fields) = item else {
                        return Err(wrong(&item));
                    };
                    let mut fields = fields.into_iter().map(|(_, v)| v);
                    let (Some(k), Some(v)) = (fields.next(), fields.next()) else {
                        return Err(DataError::new("a map entry without key and value"));
                    };
                    entries.push((
                        to_connect(k, &key_field.schema, keys, names)?,
                        to_connect(v, &value_field.schema, values, names)?,
                    ));
                }
                return Ok(Value::Map(entries));
            }
            let element = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| DataError::new("an array schema without element schema"))?;
            Value::Array(
                items
                    .into_iter()
                    .map(|item| to_connect(item, item_avro, element, names))
                    .collect::<Result<_, _>>()?,
            )
        }
        AvroValue::Map(entries) => {
            let Avro::Map(map) = avro else {
                return Err(wrong(&AvroValue::Map(entries)));
            };
            let values = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| DataError::new("a map schema without value schema"))?;
            let mut sorted: Vec<(String, AvroValue)> = entries.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(
                sorted
                    .into_iter()
                    .map(|(k, v)| Ok((Value::String(k), to_connect(v, &map.types, values, names)?)))
                    .collect::<Result<_, DataError>>()?,
            )
        }
        AvroValue::Record(fields) => {
            let Avro::Record(record) = avro else {
                return Err(wrong(&AvroValue::Record(fields)));
            };
            let mut out = Struct::new(schema.clone());
            for ((name, v), field) in fields.into_iter().zip(&record.fields) {
                let Some(connect_field) = schema.field(&name) else {
                    continue;
                };
                let converted = to_connect(v, &field.schema, &connect_field.schema, names)?;
                out.put(&name, converted);
            }
            Value::Struct(out)
        }
        other @ (AvroValue::BigDecimal(_) | AvroValue::Duration(_)) => return Err(wrong(&other)),
    })
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
