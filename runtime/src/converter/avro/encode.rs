//! Connect values written straight in Avro's binary encoding, guided by the writer's Avro
//! schema.
//!
//! The bytes are the ones `apache-avro` writes for the same value (map entries in the Connect
//! map's order), without building its value tree for every record (a `String` per field name)
//! and walking schema and tree again to validate them: a record is written in one pass.

use apache_avro::schema::{RecordSchema, Schema as Avro, UnionSchema};
use apache_avro::types::Value as AvroValue;

use super::names::{resolve, Names};
use super::schema::{NAMESPACE, UNION};
use crate::converter::registry::{field_value, scrub_name};
use crate::converter::DataError;
use crate::data::{logical, Struct, Value};

/// What values are written with besides their Avro type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Writing<'a> {
    /// The named types of the writer's schema.
    pub names: &'a Names,
    /// `ignore.default.for.nullables`: a struct's null field is written as null, where by
    /// default (as Connect's `Struct.get`, which Confluent's AvroData reads fields with) it is
    /// written as its Connect default.
    pub ignore_default_for_nullables: bool,
}

/// Appends `value`, as the Avro type `avro` describes, to `out`. On an error `out` may hold
/// part of the value.
pub(super) fn write(value: &Value, avro: &Avro, to: Writing<'_>, out: &mut Vec<u8>) -> Result<(), DataError> {
    let avro = resolve(avro, to.names)?;
    match (avro, value) {
        (Avro::Union(union), value) => write_union(union, value, to, out)?,
        (Avro::Null, Value::Null) => {}
        (_, Value::Null) => return Err(DataError::new("a null value for a required Avro type")),
        (Avro::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
        (Avro::Int | Avro::Date, v) => write_long(int32(v).ok_or_else(|| mismatch(v, avro))?.into(), out),
        // A Connect `Time` (the only schema written as `time-millis`), checked as Confluent's
        // AvroData checks it.
        (Avro::TimeMillis, v) => {
            let millis = logical::time_from_logical(int32(v).ok_or_else(|| mismatch(v, avro))?)?;
            write_long(millis.into(), out)
        }
        (
            Avro::Long
            | Avro::TimestampMillis
            | Avro::TimestampMicros
            | Avro::TimeMicros
            | Avro::LocalTimestampMillis
            | Avro::LocalTimestampMicros,
            v,
        ) => write_long(v.as_i64().ok_or_else(|| mismatch(v, avro))?, out),
        (Avro::Float, Value::Float32(f)) => out.extend_from_slice(&f.to_le_bytes()),
        (Avro::Double, Value::Float64(f)) => out.extend_from_slice(&f.to_le_bytes()),
        (Avro::Double, Value::Float32(f)) => out.extend_from_slice(&f64::from(*f).to_le_bytes()),
        (Avro::String, Value::String(s)) => write_bytes(s.as_bytes(), out),
        (Avro::Uuid, Value::String(s)) => {
            let uuid =
                apache_avro::Uuid::parse_str(s).map_err(|e| DataError::new(format!("'{s}' is not a UUID: {e}")))?;
            let mut text = apache_avro::Uuid::encode_buffer();
            write_bytes(uuid.hyphenated().encode_lower(&mut text).as_bytes(), out)
        }
        (Avro::Enum(e), Value::String(s)) => {
            let index = e.symbols.iter().position(|symbol| symbol == s).ok_or_else(|| {
                DataError::new(format!(
                    "'{s}' is not a symbol of the Avro enum {}",
                    e.name.fullname(None)
                ))
            })?;
            write_long(index as i64, out)
        }
        (Avro::Bytes, Value::Bytes(b)) => write_bytes(b, out),
        (Avro::Fixed(f), Value::Bytes(b)) if b.len() == f.size => out.extend_from_slice(b),
        (Avro::Decimal(decimal), Value::Bytes(b)) => match resolve(&decimal.inner, to.names)? {
            Avro::Fixed(f) => write_sign_extended(b, f.size, out)?,
            _ => write_bytes(b, out),
        },
        (Avro::Array(array), Value::Map(entries)) => {
            // A map whose keys are not strings: an array of key/value records, as Confluent
            // writes it.
            let Avro::Record(entry) = resolve(&array.items, to.names)? else {
                return Err(mismatch(value, avro));
            };
            let [key, value_field] = entry.fields.as_slice() else {
                return Err(mismatch(value, avro));
            };
            write_block_count(entries.len(), out);
            for (k, v) in entries {
                write(k, &key.schema, to, out)?;
                write(v, &value_field.schema, to, out)?;
            }
            out.push(0);
        }
        (Avro::Array(array), Value::Array(items)) => {
            write_block_count(items.len(), out);
            for item in items {
                write(item, &array.items, to, out)?;
            }
            out.push(0);
        }
        (Avro::Map(map), Value::Map(entries)) => {
            write_block_count(entries.len(), out);
            for (k, v) in entries {
                let Value::String(k) = k else {
                    return Err(DataError::new(format!(
                        "an Avro map key must be a string, not {}",
                        k.kind()
                    )));
                };
                write_bytes(k.as_bytes(), out);
                write(v, &map.types, to, out)?;
            }
            out.push(0);
        }
        (Avro::Record(record), Value::Struct(s)) => write_record(record, s, to, out)?,
        (avro, value) => return Err(mismatch(value, avro)),
    }
    Ok(())
}

/// Whether `value` is of a kind `avro` takes (a struct: a record of the same name first).
fn fits(value: &Value, avro: &Avro) -> bool {
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

fn mismatch(value: &Value, avro: &Avro) -> DataError {
    DataError::new(format!(
        "a {} value does not fit the Avro type {:?}",
        value.kind(),
        apache_avro::schema::SchemaKind::from(avro)
    ))
}

fn int32(value: &Value) -> Option<i32> {
    match value {
        Value::Int8(n) => Some(i32::from(*n)),
        Value::Int16(n) => Some(i32::from(*n)),
        Value::Int32(n) => Some(*n),
        _ => None,
    }
}

fn write_record(record: &RecordSchema, value: &Struct, to: Writing<'_>, out: &mut Vec<u8>) -> Result<(), DataError> {
    for field in &record.fields {
        // By name; a name scrubbed for Avro (`scrub.invalid.names`) matches its scrubbed form.
        let schema = value.schema();
        let connect = schema
            .field(&field.name)
            .or_else(|| schema.fields.iter().find(|f| scrub_name(&f.name, true) == field.name));
        let written = match connect {
            Some(connect) => {
                let v = field_value(connect, &value.values()[connect.index], to.ignore_default_for_nullables);
                write(v, &field.schema, to, out)
            }
            // A field the record's schema lacks (the latest registered version has more): its
            // default.
            None => match &field.default {
                Some(default) => AvroValue::from(default.clone())
                    .resolve(&field.schema)
                    .and_then(|default| apache_avro::to_avro_datum(&field.schema, default))
                    .map(|bytes| out.extend_from_slice(&bytes))
                    .map_err(|e| DataError::new(e.to_string())),
                None => write(&Value::Null, &field.schema, to, out),
            },
        };
        written.map_err(|e| DataError::new(format!("field {}: {}", field.name, e.0)))?;
    }
    Ok(())
}

/// Writes the branch of `union` that `value` takes: its index, then the value.
fn write_union(union: &UnionSchema, value: &Value, to: Writing<'_>, out: &mut Vec<u8>) -> Result<(), DataError> {
    let variants = union.variants();
    if value.is_null() {
        let index = variants
            .iter()
            .position(|v| matches!(v, Avro::Null))
            .ok_or_else(|| DataError::new("a null value for an Avro union without null"))?;
        write_long(index as i64, out);
        return Ok(());
    }
    // Connect's stand-in for a general union: the one field set says which branch.
    let value = match value {
        Value::Struct(s) if s.schema().name.as_deref() == Some(UNION) => s
            .values()
            .iter()
            .find(|v| !v.is_null())
            .ok_or_else(|| DataError::new("a union struct with no field set"))?,
        other => other,
    };
    let start = out.len();
    let mut last_error = None;
    for (index, variant) in variants.iter().enumerate() {
        if matches!(variant, Avro::Null) || !fits(value, resolve(variant, to.names)?) {
            continue;
        }
        write_long(index as i64, out);
        match write(value, variant, to, out) {
            Ok(()) => return Ok(()),
            Err(e) => {
                out.truncate(start);
                last_error = Some(e);
            }
        }
    }
    Err(last_error
        .unwrap_or_else(|| DataError::new(format!("a {} value fits no branch of the Avro union", value.kind()))))
}

/// An `int` or a `long`: zigzag, then seven bits a byte, least significant first.
pub(super) fn write_long(n: i64, out: &mut Vec<u8>) {
    let mut zigzag = ((n << 1) ^ (n >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

/// `bytes` or a `string`: the length, then the bytes.
pub(super) fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

/// The count of an array's or a map's only block (none for an empty one; the caller ends the
/// blocks with a 0).
pub(super) fn write_block_count(count: usize, out: &mut Vec<u8>) {
    if count > 0 {
        write_long(count as i64, out);
    }
}

/// A decimal's big-endian two's-complement `bytes` as a `fixed` of `size` bytes: its sign
/// extended, or bytes that only repeat the sign dropped.
fn write_sign_extended(bytes: &[u8], size: usize, out: &mut Vec<u8>) -> Result<(), DataError> {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let sign = if negative { 0xff } else { 0x00 };
    // The shortest form: a leading sign byte goes when the next byte carries the same sign.
    let mut shortest = bytes;
    while let [first, second, ..] = shortest {
        if *first != sign || (second & 0x80 != 0) != negative {
            break;
        }
        shortest = &shortest[1..];
    }
    if shortest.len() > size {
        return Err(DataError::new(format!(
            "a decimal of {} bytes does not fit an Avro fixed of {size}",
            shortest.len()
        )));
    }
    out.resize(out.len() + size - shortest.len(), sign);
    out.extend_from_slice(shortest);
    Ok(())
}
