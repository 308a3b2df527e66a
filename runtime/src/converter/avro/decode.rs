//! Avro's binary encoding read straight into Connect values, guided by the writer's Avro
//! schema and the Connect schema it maps to.
//!
//! The values are the ones `apache-avro`'s value tree converts to (map entries in the order
//! they were written), without building that tree for every record: a record is read in one
//! pass, its fields the Connect schema lacks skipped.

use std::sync::Arc;

use apache_avro::schema::{RecordSchema, Schema as Avro};

use super::names::{resolve, Names};
use super::schema::UNION;
use crate::converter::DataError;
use crate::data::{logical, Schema, SchemaType, Struct, Value};

/// Reads a value written as `avro` from the front of `input`, as the Connect schema `schema`
/// describes it.
pub(super) fn read(input: &mut &[u8], avro: &Avro, schema: &Arc<Schema>, names: &Names) -> Result<Value, DataError> {
    let avro = resolve(avro, names)?;
    Ok(match avro {
        Avro::Null => Value::Null,
        Avro::Boolean => match array(input)? {
            [0] => Value::Boolean(false),
            [1] => Value::Boolean(true),
            [other] => return Err(DataError::new(format!("{other} is not an Avro boolean"))),
        },
        Avro::Int | Avro::Date | Avro::TimeMillis => {
            let n = read_int(input)?;
            match schema.schema_type {
                SchemaType::Int8 => Value::Int8(n as i8),
                SchemaType::Int16 => Value::Int16(n as i16),
                // A Connect `Time` (what `time-millis` reads as) is checked, as Confluent's
                // AvroData checks it.
                _ if logical::is_time(schema) => Value::Int32(logical::time_to_logical(n)?),
                _ => Value::Int32(n),
            }
        }
        Avro::Long
        | Avro::TimestampMillis
        | Avro::TimestampMicros
        | Avro::TimestampNanos
        | Avro::TimeMicros
        | Avro::LocalTimestampMillis
        | Avro::LocalTimestampMicros
        | Avro::LocalTimestampNanos => Value::Int64(read_long(input)?),
        Avro::Float => Value::Float32(f32::from_le_bytes(array(input)?)),
        Avro::Double => Value::Float64(f64::from_le_bytes(array(input)?)),
        Avro::String => Value::String(read_str(input)?.to_string()),
        Avro::Uuid => {
            let bytes = read_bytes(input)?;
            let uuid = if bytes.len() == 16 {
                apache_avro::Uuid::from_slice(bytes).map_err(|e| DataError::new(e.to_string()))?
            } else {
                let text = std::str::from_utf8(bytes).map_err(|e| DataError::new(e.to_string()))?;
                apache_avro::Uuid::parse_str(text)
                    .map_err(|e| DataError::new(format!("'{text}' is not a UUID: {e}")))?
            };
            Value::String(uuid.hyphenated().to_string())
        }
        Avro::Enum(e) => {
            let index = read_int(input)?;
            let symbol = usize::try_from(index)
                .ok()
                .and_then(|i| e.symbols.get(i))
                .ok_or_else(|| {
                    DataError::new(format!(
                        "{index} is not a symbol of the Avro enum {}",
                        e.name.fullname(None)
                    ))
                })?;
            Value::String(symbol.clone())
        }
        Avro::Bytes => Value::bytes(read_bytes(input)?.to_vec()),
        Avro::Fixed(f) => Value::bytes(take(input, f.size)?.to_vec()),
        Avro::Decimal(decimal) => match resolve(&decimal.inner, names)? {
            Avro::Fixed(f) => Value::bytes(take(input, f.size)?.to_vec()),
            _ => Value::bytes(read_bytes(input)?.to_vec()),
        },
        Avro::Union(union) => {
            let index = read_long(input)?;
            let variant = usize::try_from(index)
                .ok()
                .and_then(|i| union.variants().get(i))
                .ok_or_else(|| DataError::new(format!("union branch {index} does not exist")))?;
            if schema.name.as_deref() != Some(UNION) || schema.schema_type != SchemaType::Struct {
                return read(input, variant, schema, names);
            }
            // Connect's stand-in for a general union: a struct with the branch's field set.
            if matches!(variant, Avro::Null) {
                return Ok(Value::Null);
            }
            let position = union.variants()[..index as usize]
                .iter()
                .filter(|v| !matches!(v, Avro::Null))
                .count();
            let field = schema
                .fields
                .get(position)
                .ok_or_else(|| DataError::new(format!("union branch {index} has no field")))?;
            let mut out = Struct::new(schema.clone());
            let value = read(input, variant, &field.schema, names)?;
            out.put(&field.name, value);
            Value::Struct(out)
        }
        Avro::Array(array) if schema.schema_type == SchemaType::Map => {
            // A map whose keys are not strings: an array of key/value records.
            let (Some(keys), Some(values)) = (&schema.key_schema, &schema.value_schema) else {
                return Err(DataError::new("a map schema without key or value schema"));
            };
            let Avro::Record(entry) = resolve(&array.items, names)? else {
                return Err(DataError::new("a map written as an array of other than records"));
            };
            let [key, value] = entry.fields.as_slice() else {
                return Err(DataError::new("a map entry record without two fields"));
            };
            let mut entries = Vec::new();
            read_blocks(input, |input| {
                let k = read(input, &key.schema, keys, names)?;
                let v = read(input, &value.schema, values, names)?;
                entries.push((k, v));
                Ok(())
            })?;
            Value::Map(entries)
        }
        Avro::Array(array) => {
            let element = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| DataError::new("an array schema without element schema"))?;
            let mut items = Vec::new();
            read_blocks(input, |input| {
                items.push(read(input, &array.items, element, names)?);
                Ok(())
            })?;
            Value::Array(items)
        }
        Avro::Map(map) => {
            let values = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| DataError::new("a map schema without value schema"))?;
            let mut entries = Vec::new();
            read_blocks(input, |input| {
                let k = Value::String(read_str(input)?.to_string());
                entries.push((k, read(input, &map.types, values, names)?));
                Ok(())
            })?;
            Value::Map(entries)
        }
        Avro::Record(record) if schema.schema_type == SchemaType::Struct => read_record(input, record, schema, names)?,
        other => {
            return Err(DataError::new(format!(
                "an Avro {:?} does not fit a {} schema",
                apache_avro::schema::SchemaKind::from(other),
                schema.schema_type.name()
            )))
        }
    })
}

fn read_record(
    input: &mut &[u8],
    record: &RecordSchema,
    schema: &Arc<Schema>,
    names: &Names,
) -> Result<Value, DataError> {
    let mut values = vec![Value::Null; schema.fields.len()];
    for field in &record.fields {
        match schema.field(&field.name) {
            Some(connect) => values[connect.index] = read(input, &field.schema, &connect.schema, names)?,
            None => skip(input, &field.schema, names)?,
        }
    }
    Struct::from_values(schema.clone(), values)
        .map(Value::Struct)
        .ok_or_else(|| DataError::new("struct field count mismatch"))
}

/// Passes over a value written as `avro`.
fn skip(input: &mut &[u8], avro: &Avro, names: &Names) -> Result<(), DataError> {
    match resolve(avro, names)? {
        Avro::Null => {}
        Avro::Boolean => {
            take(input, 1)?;
        }
        Avro::Int
        | Avro::Long
        | Avro::Enum(_)
        | Avro::Date
        | Avro::TimeMillis
        | Avro::TimeMicros
        | Avro::TimestampMillis
        | Avro::TimestampMicros
        | Avro::TimestampNanos
        | Avro::LocalTimestampMillis
        | Avro::LocalTimestampMicros
        | Avro::LocalTimestampNanos => {
            read_long(input)?;
        }
        Avro::Float => {
            take(input, 4)?;
        }
        Avro::Double => {
            take(input, 8)?;
        }
        Avro::Bytes | Avro::String | Avro::Uuid | Avro::BigDecimal => {
            read_bytes(input)?;
        }
        Avro::Fixed(f) => {
            take(input, f.size)?;
        }
        Avro::Duration => {
            take(input, 12)?;
        }
        Avro::Decimal(decimal) => skip(input, &decimal.inner, names)?,
        Avro::Union(union) => {
            let index = read_long(input)?;
            let variant = usize::try_from(index)
                .ok()
                .and_then(|i| union.variants().get(i))
                .ok_or_else(|| DataError::new(format!("union branch {index} does not exist")))?;
            skip(input, variant, names)?;
        }
        Avro::Array(array) => read_blocks(input, |input| skip(input, &array.items, names))?,
        Avro::Map(map) => read_blocks(input, |input| {
            read_bytes(input)?;
            skip(input, &map.types, names)
        })?,
        Avro::Record(record) => {
            for field in &record.fields {
                skip(input, &field.schema, names)?;
            }
        }
        Avro::Ref { name } => return Err(DataError::new(format!("the Avro type {name:?} is not defined"))),
    }
    Ok(())
}

/// Reads an array's or a map's blocks, calling `item` for each item.
pub(super) fn read_blocks(
    input: &mut &[u8],
    mut item: impl FnMut(&mut &[u8]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    loop {
        let count = match read_long(input)? {
            0 => return Ok(()),
            // A negative count: its items are preceded by their size in bytes.
            negative if negative < 0 => {
                read_long(input)?;
                negative.unsigned_abs()
            }
            count => count as u64,
        };
        // Every item takes a byte at least (an Avro value of no bytes has no Connect type).
        if count > input.len() as u64 {
            return Err(DataError::new(format!(
                "a block of {count} items in {} bytes left",
                input.len()
            )));
        }
        for _ in 0..count {
            item(input)?;
        }
    }
}

fn take<'a>(input: &mut &'a [u8], len: usize) -> Result<&'a [u8], DataError> {
    if input.len() < len {
        return Err(DataError::new("the Avro data ends early"));
    }
    let (taken, rest) = input.split_at(len);
    *input = rest;
    Ok(taken)
}

pub(super) fn array<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], DataError> {
    let mut out = [0; N];
    out.copy_from_slice(take(input, N)?);
    Ok(out)
}

/// A `long`: seven bits a byte, least significant first, then zigzag.
pub(super) fn read_long(input: &mut &[u8]) -> Result<i64, DataError> {
    let mut zigzag: u64 = 0;
    for shift in (0..64).step_by(7) {
        let [byte] = array(input)?;
        zigzag |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64));
        }
    }
    Err(DataError::new("an Avro long of more than ten bytes"))
}

pub(super) fn read_int(input: &mut &[u8]) -> Result<i32, DataError> {
    let n = read_long(input)?;
    i32::try_from(n).map_err(|_| DataError::new(format!("{n} is out of range for an Avro int")))
}

/// `bytes` or a `string`'s bytes: the length, then the bytes.
pub(super) fn read_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], DataError> {
    let len = read_long(input)?;
    let len = usize::try_from(len).map_err(|_| DataError::new(format!("{len} is not a length")))?;
    take(input, len)
}

pub(super) fn read_str<'a>(input: &mut &'a [u8]) -> Result<&'a str, DataError> {
    std::str::from_utf8(read_bytes(input)?)
        .map_err(|e| DataError::new(format!("an Avro string that is not UTF-8: {e}")))
}
