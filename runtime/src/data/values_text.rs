//! A Connect value's text as Apache's `Values.convertToString` writes it: what
//! `SimpleHeaderConverter`, the default header converter, puts in a header. Unlike Java's
//! `toString()` ([`super::write_java_text`]) it writes containers as JSON-like text: structs as
//! `{"name":value,...}` with their null fields, maps as `{"key":value}`, lists as `[a,b]`,
//! text inside them quoted (`"` and `\` escaped), bytes as base64 (quoted inside them);
//! decimals as `BigDecimal` prints them; dates, times and timestamps in ISO-8601, UTC, the
//! pattern chosen by the instant as Apache's `dateFormatFor` chooses it (before the second day
//! of 1970 a time, at a midnight a date, else a timestamp).

use base64::Engine as _;

use super::decimal::java_decimal_text;
use super::java_calendar::utc_fields;
use super::java_text::{java_double, java_float};
use super::{logical, Schema, Value};

/// Appends `value`'s text; `schema` tells its logical types. Top-level text is written as it
/// is.
pub fn write_values_text(out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>) {
    write(out, value, schema, false);
}

/// `embedded`: inside a struct, map or list, where text and bytes are quoted.
fn write(out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>, embedded: bool) {
    let logical = schema.and_then(|schema| schema.name.as_deref());
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(text) if embedded => write_quoted(out, text),
        Value::String(text) => out.extend_from_slice(text.as_bytes()),
        Value::Bytes(bytes) => match schema.and_then(Schema::decimal_scale) {
            Some(scale) => out.extend_from_slice(java_decimal_text(bytes, scale).as_bytes()),
            None => {
                let text = base64::engine::general_purpose::STANDARD.encode(bytes);
                write(out, &Value::String(text), None, embedded);
            }
        },
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Float32(f) => out.extend_from_slice(java_float(*f).as_bytes()),
        Value::Float64(f) => out.extend_from_slice(java_double(*f).as_bytes()),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item, item_schema, true);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, k, key_schema, true);
                out.push(b':');
                write(out, v, value_schema, true);
            }
            out.push(b'}');
        }
        Value::Struct(s) => {
            out.push(b'{');
            for (i, (field, v)) in s.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_quoted(out, &field.name);
                out.push(b':');
                write(out, v, Some(&field.schema), true);
            }
            out.push(b'}');
        }
        Value::Int32(days) if logical == Some(logical::DATE) => write_instant(out, i64::from(*days) * 86_400_000),
        Value::Int32(millis) if logical == Some(logical::TIME) => write_instant(out, i64::from(*millis)),
        Value::Int64(millis) if logical == Some(logical::TIMESTAMP) => write_instant(out, *millis),
        other => out.extend_from_slice(other.as_i64().unwrap_or_default().to_string().as_bytes()),
    }
}

/// The instant `millis` after the epoch, in the pattern Apache's `Values.dateFormatFor` picks
/// by the instant, not the logical type: a time of day before 1970-01-02 (a date or timestamp
/// then too), a date at any other midnight, else a timestamp. `SimpleDateFormat` pads the year to
/// four digits and no further.
fn write_instant(out: &mut Vec<u8>, millis: i64) {
    let at = utc_fields(millis);
    let (hour, minute, second, millisecond) = at.time();
    let (year, month, day) = (at.year, at.month, at.day);
    let text = if millis < 86_400_000 {
        format!("{hour:02}:{minute:02}:{second:02}.{millisecond:03}Z")
    } else if at.time_of_day == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millisecond:03}Z")
    };
    out.extend_from_slice(text.as_bytes());
}

/// `text` in double quotes, `"` and `\` escaped with a backslash.
fn write_quoted(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' || byte == b'\\' {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SchemaBuilder, SchemaType, Struct};

    fn text(value: &Value, schema: Option<&Schema>) -> String {
        let mut out = Vec::new();
        write_values_text(&mut out, value, schema);
        String::from_utf8(out).expect("text")
    }

    /// The texts Apache Connect 4.3.1's `Values.convertToString` gave for the same values.
    #[test]
    fn writes_what_apache_values_writes() {
        let schema = SchemaBuilder::structure()
            .field("id", Schema::of(SchemaType::Int32))
            .field("name", Schema::optional_string())
            .field("tags", SchemaBuilder::array(Schema::string()).optional().build())
            .field("b", Schema::optional_bytes())
            .field("f", Schema::optional_of(SchemaType::Float64))
            .build();
        let mut full = Struct::new(schema.clone());
        full.put("id", Value::Int32(40));
        full.put(
            "tags",
            Value::Array(vec![Value::String("a\"b".into()), Value::String("c\\d".into())]),
        );
        full.put("b", Value::bytes(vec![1, 2]));
        full.put("f", Value::Float64(1.0));
        assert_eq!(
            text(&Value::Struct(full), Some(&*schema)),
            r#"{"id":40,"name":null,"tags":["a\"b","c\\d"],"b":"AQI=","f":1.0}"#
        );
        let map = Value::Map(vec![
            (Value::String("k".into()), Value::Int32(1)),
            (Value::String("k2".into()), Value::Null),
        ]);
        assert_eq!(text(&map, None), r#"{"k":1,"k2":null}"#);
        let list = Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)]);
        assert_eq!(text(&list, None), "[1,2,3]");
        assert_eq!(text(&Value::String("top \"level\"".into()), None), "top \"level\"");
        let decimal = SchemaBuilder::decimal(2).build();
        assert_eq!(text(&Value::bytes(vec![4, 206]), Some(&*decimal)), "12.30");
        let timestamp = SchemaBuilder::new(SchemaType::Int64).name(logical::TIMESTAMP).build();
        assert_eq!(
            text(&Value::Int64(1_700_000_000_123), Some(&*timestamp)),
            "2023-11-14T22:13:20.123Z"
        );
        let date = SchemaBuilder::new(SchemaType::Int32).name(logical::DATE).build();
        assert_eq!(text(&Value::Int32(19_000), Some(&*date)), "2022-01-08");
        let time = SchemaBuilder::new(SchemaType::Int32).name(logical::TIME).build();
        assert_eq!(text(&Value::Int32(3_723_004), Some(&*time)), "01:02:03.004Z");
        let nested = Value::Array(vec![Value::Map(vec![(Value::String("a".into()), Value::Int32(1))])]);
        assert_eq!(text(&nested, None), r#"[{"a":1}]"#);
        // The pattern follows the instant: a timestamp at midnight as a date, the epoch's
        // date as a time; bytes as base64.
        assert_eq!(
            text(&Value::Int64(19_000 * 86_400_000), Some(&*timestamp)),
            "2022-01-08"
        );
        assert_eq!(text(&Value::Int32(0), Some(&*date)), "00:00:00.000Z");
        assert_eq!(text(&Value::bytes(vec![1, 2]), None), "AQI=");
        // Java 17's `SimpleDateFormat` in UTC, past chrono's range of years.
        for (millis, java) in [
            (-1, "23:59:59.999Z"),
            (i64::MIN, "16:47:04.192Z"),
            (8_000_000_000_000_000, "255479-11-28T14:13:20.000Z"),
            (i64::MAX, "292278994-08-17T07:12:55.807Z"),
        ] {
            assert_eq!(text(&Value::Int64(millis), Some(&*timestamp)), java);
        }
    }
}
