//! Connect values written as the JSON documents Confluent's JSON Schema converter writes:
//! bytes as base64 text, decimals as base64 of their unscaled bytes (as numbers with every digit
//! under `decimal.format=NUMERIC`), dates and times as numbers, maps
//! as objects (string keys) or arrays of `{key, value}` objects, a `oneOf` struct as its one set
//! branch.

use serde_json::Value as Json;

use super::schema::{JsonSchemaOptions, ONE_OF};
use crate::converter::json::{write_base64, write_string, DecimalFormat};
use crate::converter::DataError;
use crate::data::decimal_text;
use crate::data::{logical, Schema, SchemaType, Value};

/// `value` of `schema` as JSON (a schema's default, for its document).
pub(super) fn to_json(schema: &Schema, value: &Value, options: &JsonSchemaOptions) -> Result<Json, DataError> {
    let mut out = Vec::new();
    write_json(schema, value, options, &mut out)?;
    serde_json::from_slice(&out).map_err(|e| DataError::new(e.to_string()))
}

/// Appends `value` of `schema` to `out` as JSON, the fields of a struct in the schema's order,
/// decimals and nulls as `options` say. On an error `out` may hold part of the value.
pub(super) fn write_json(
    schema: &Schema,
    value: &Value,
    options: &JsonSchemaOptions,
    out: &mut Vec<u8>,
) -> Result<(), DataError> {
    if value.is_null() {
        return match &schema.default {
            Some(default) if !default.is_null() && !options.ignore_default_for_nullables => {
                write_json(schema, default, options, out)
            }
            _ if schema.optional => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            _ => Err(DataError::new(
                "Conversion error: null value for field that is required and has no default value",
            )),
        };
    }
    if let (Some(scale), Value::Bytes(unscaled), DecimalFormat::Numeric) =
        (schema.decimal_scale(), value, options.decimals)
    {
        // The number as written, every digit kept (Confluent writes a BigDecimal's); by
        // default, as other bytes, base64 of the unscaled bytes.
        out.extend_from_slice(decimal_text(unscaled, scale).as_bytes());
        return Ok(());
    }
    let mismatch = || {
        DataError::new(format!(
            "Invalid type for {}: {}",
            schema.schema_type.name().to_uppercase(),
            value.kind()
        ))
    };
    match (schema.schema_type, value) {
        (SchemaType::Boolean, Value::Boolean(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (SchemaType::Int8, Value::Int8(n)) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        (SchemaType::Int16, Value::Int16(n)) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        (SchemaType::Int32, Value::Int32(n)) => {
            // A Connect `Time` is checked, as Confluent's JsonSchemaData checks it.
            if logical::is_time(schema) {
                logical::time_from_logical(*n)?;
            }
            out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes())
        }
        (SchemaType::Int64, Value::Int64(n)) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        (SchemaType::Float32, Value::Float32(n)) => write_float(out, n)?,
        (SchemaType::Float64, Value::Float64(n)) => write_float(out, n)?,
        (SchemaType::String, Value::String(s)) => write_string(out, s),
        (SchemaType::Bytes, Value::Bytes(b)) => write_base64(out, b),
        (SchemaType::Array, Value::Array(items)) => {
            let element = schema.value_schema.as_deref().ok_or_else(mismatch)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(element, item, options, out)?;
            }
            out.push(b']');
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let (Some(keys), Some(values)) = (schema.key_schema.as_deref(), schema.value_schema.as_deref()) else {
                return Err(mismatch());
            };
            if keys.schema_type == SchemaType::String && !keys.optional {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    let Value::String(k) = k else { return Err(mismatch()) };
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(out, k);
                    out.push(b':');
                    write_json(values, v, options, out)?;
                }
                out.push(b'}');
            } else {
                out.push(b'[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"key\":");
                    write_json(keys, k, options, out)?;
                    out.extend_from_slice(b",\"value\":");
                    write_json(values, v, options, out)?;
                    out.push(b'}');
                }
                out.push(b']');
            }
        }
        (SchemaType::Struct, Value::Struct(s)) if schema.name.as_deref() == Some(ONE_OF) => {
            match s.iter().find(|(_, v)| !v.is_null()) {
                Some((field, v)) => write_json(&field.schema, v, options, out)?,
                None => out.extend_from_slice(b"null"),
            }
        }
        (SchemaType::Struct, Value::Struct(s)) => {
            out.push(b'{');
            for (i, field) in schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, &field.name);
                out.push(b':');
                let v = s.get(&field.name).unwrap_or(&Value::Null);
                write_json(&field.schema, v, options, out)
                    .map_err(|e| DataError::new(format!("field {}: {}", field.name, e.0)))?;
            }
            out.push(b'}');
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// A float as `serde_json` writes it (`null` for NaN and the infinities).
fn write_float(out: &mut Vec<u8>, n: &impl serde::Serialize) -> Result<(), DataError> {
    serde_json::to_writer(out, n).map_err(|e| DataError::new(e.to_string()))
}
