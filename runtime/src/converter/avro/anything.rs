//! Values without a schema, as Confluent's `AvroData` writes them: each in an
//! `io.confluent.connect.avro.Anything` record, which has an optional field for each kind of
//! value (boolean, bytes, double, float, int, long, string, an array of Anything, and a map as
//! an array of key and value Anythings), the value in its kind's field and the others null.
//! Read back, the first field set is the value; a record with none is null (an array's or a
//! map's null item).

use super::decode::{array, read_blocks, read_bytes, read_int, read_long, read_str};
use super::encode::{write_block_count, write_bytes, write_long};
use super::DataError;
use crate::data::Value;

/// The record's full name.
pub(super) const ANYTHING: &str = "io.confluent.connect.avro.Anything";

/// The record's schema, as Java's Avro writes `AvroData.ANYTHING_SCHEMA`.
pub(super) const ANYTHING_SCHEMA: &str = concat!(
    r#"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":["#,
    r#"{"name":"boolean","type":["null","boolean"],"default":null},"#,
    r#"{"name":"bytes","type":["null","bytes"],"default":null},"#,
    r#"{"name":"double","type":["null","double"],"default":null},"#,
    r#"{"name":"float","type":["null","float"],"default":null},"#,
    r#"{"name":"int","type":["null","int"],"default":null},"#,
    r#"{"name":"long","type":["null","long"],"default":null},"#,
    r#"{"name":"string","type":["null","string"],"default":null},"#,
    r#"{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},"#,
    r#"{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","#,
    r#""fields":[{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}"#
);

/// The record's fields, in order.
const FIELDS: usize = 9;

/// Writes `value` (a Connect value of no schema) as an Anything record.
pub(super) fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), DataError> {
    // The field that holds the value (none for null), by position.
    let field = match value {
        Value::Null => None,
        Value::Boolean(_) => Some(0),
        Value::Bytes(_) => Some(1),
        Value::Float64(_) => Some(2),
        Value::Float32(_) => Some(3),
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) => Some(4),
        Value::Int64(_) => Some(5),
        Value::String(_) => Some(6),
        Value::Array(_) => Some(7),
        Value::Map(_) => Some(8),
        Value::Struct(_) => {
            return Err(DataError::new(
                "a struct without a schema, which Avro's schemaless form cannot hold",
            ))
        }
    };
    for position in 0..FIELDS {
        // The union's branch: null (0) or the value (1).
        if Some(position) != field {
            write_long(0, out);
            continue;
        }
        write_long(1, out);
        match value {
            Value::Boolean(b) => out.push(u8::from(*b)),
            Value::Bytes(bytes) => write_bytes(bytes, out),
            Value::Float64(n) => out.extend_from_slice(&n.to_le_bytes()),
            Value::Float32(n) => out.extend_from_slice(&n.to_le_bytes()),
            Value::Int8(n) => write_long((*n).into(), out),
            Value::Int16(n) => write_long((*n).into(), out),
            Value::Int32(n) => write_long((*n).into(), out),
            Value::Int64(n) => write_long(*n, out),
            Value::String(text) => write_bytes(text.as_bytes(), out),
            Value::Array(items) => {
                write_block_count(items.len(), out);
                for item in items {
                    write(item, out)?;
                }
                write_long(0, out);
            }
            Value::Map(entries) => {
                write_block_count(entries.len(), out);
                for (key, value) in entries {
                    write(key, out)?;
                    write(value, out)?;
                }
                write_long(0, out);
            }
            Value::Null | Value::Struct(_) => {}
        }
    }
    Ok(())
}

/// Reads an Anything record as the Connect value (of no schema) it holds.
pub(super) fn read(input: &mut &[u8]) -> Result<Value, DataError> {
    let mut found = Value::Null;
    for position in 0..FIELDS {
        match read_long(input)? {
            0 => continue,
            1 => {}
            other => return Err(DataError::new(format!("union branch {other} does not exist"))),
        }
        let value = match position {
            0 => Value::Boolean(array::<1>(input)?[0] != 0),
            1 => Value::bytes(read_bytes(input)?.to_vec()),
            2 => Value::Float64(f64::from_le_bytes(array(input)?)),
            3 => Value::Float32(f32::from_le_bytes(array(input)?)),
            4 => Value::Int32(read_int(input)?),
            5 => Value::Int64(read_long(input)?),
            6 => Value::String(read_str(input)?.to_string()),
            7 => {
                let mut items = Vec::new();
                read_blocks(input, |input| {
                    items.push(read(input)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            _ => {
                let mut entries = Vec::new();
                read_blocks(input, |input| {
                    entries.push((read(input)?, read(input)?));
                    Ok(())
                })?;
                Value::Map(entries)
            }
        };
        // The first field set is the value, as Confluent's reads it.
        if found.is_null() {
            found = value;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_no_schema_are_written_and_read_as_anything_records() {
        let schema = apache_avro::Schema::parse_str(ANYTHING_SCHEMA).unwrap();
        let value = Value::Map(vec![
            (
                Value::String("k".into()),
                Value::Array(vec![Value::Int64(-3), Value::Null, Value::Boolean(true)]),
            ),
            (Value::Int16(7), Value::Float64(1.5)),
        ]);
        let mut out = Vec::new();
        write(&value, &mut out).unwrap();
        // As `apache-avro` reads it with the schema.
        let read_by_avro = apache_avro::from_avro_datum(&schema, &mut out.as_slice(), None).unwrap();
        let apache_avro::types::Value::Record(fields) = &read_by_avro else {
            panic!("a record: {read_by_avro:?}")
        };
        assert_eq!(fields.len(), 9);
        assert!(matches!(fields[8].1, apache_avro::types::Value::Union(1, _)));
        // And back: the Int16 is an int.
        let expected = Value::Map(vec![
            (
                Value::String("k".into()),
                Value::Array(vec![Value::Int64(-3), Value::Null, Value::Boolean(true)]),
            ),
            (Value::Int32(7), Value::Float64(1.5)),
        ]);
        assert_eq!(read(&mut out.as_slice()).unwrap(), expected);
        let mut out = Vec::new();
        assert!(write(
            &Value::Struct(crate::data::Struct::new(crate::data::Schema::string())),
            &mut out
        )
        .is_err());
    }
}
