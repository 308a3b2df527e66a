//! Numbers and values as Java prints them, for every place whose output Apache's would be
//! compared with: `JsonConverter` (as Jackson writes doubles), `StringConverter`, `Cast` to
//! string, the file sink's lines; bytes read as text the way Java's UTF-8 decoder reads
//! them, and text trimmed as Java trims it.

use super::decimal::java_decimal_text;
use super::java_calendar::utc_fields;
use super::{logical, Schema, Value};

/// Java's `String.trim`: characters up to U+0020 off both ends.
pub(crate) fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// `bytes` as text, as Java's `new String(bytes, UTF_8)` reads them: each malformed sequence
/// becomes U+FFFD. Valid UTF-8 (nearly always) is checked with SIMD instructions where the
/// processor has them (`simdutf8`; in a file sink's profile at 1 KiB records, 5.6% of the
/// samples where the standard library's check took 9.3%); only invalid bytes take the slower
/// lossy decoding.
pub fn java_utf8_text(bytes: &[u8]) -> String {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Appends a Connect value's text as Java's `toString()` of it gives it (what Apache's file
/// sink prints and its `StringConverter` writes), `schema` telling its logical types: a
/// decimal as `BigDecimal`, a date, time or timestamp as `java.util.Date` in a JVM whose zone
/// is UTC (`Thu Jan 01 00:00:00 UTC 1970`), lists as `[a, b]`, maps as `{k=v}`, structs as
/// `Struct{name=value,...}` without their null fields. Bytes are written as they are, where
/// Java would print an array's identity (`[B@1b6d3586`).
pub fn write_java_text(out: &mut Vec<u8>, value: &Value, schema: Option<&Schema>) {
    let logical = schema.and_then(|schema| schema.name.as_deref());
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => match schema.and_then(Schema::decimal_scale) {
            Some(scale) => out.extend_from_slice(java_decimal_text(b, scale).as_bytes()),
            None => out.extend_from_slice(b),
        },
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Float32(f) => out.extend_from_slice(java_float(*f).as_bytes()),
        Value::Float64(f) => out.extend_from_slice(java_double(*f).as_bytes()),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_java_text(out, item, item_schema);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_java_text(out, k, key_schema);
                out.push(b'=');
                write_java_text(out, v, value_schema);
            }
            out.push(b'}');
        }
        Value::Struct(s) => {
            out.extend_from_slice(b"Struct{");
            let mut first = true;
            for (field, v) in s.iter().filter(|(_, v)| !v.is_null()) {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(field.name.as_bytes());
                out.push(b'=');
                write_java_text(out, v, Some(&field.schema));
            }
            out.push(b'}');
        }
        Value::Int32(days) if logical == Some(logical::DATE) => write_java_date(out, i64::from(*days) * 86_400_000),
        Value::Int32(millis) if logical == Some(logical::TIME) => write_java_date(out, i64::from(*millis)),
        Value::Int64(millis) if logical == Some(logical::TIMESTAMP) => write_java_date(out, *millis),
        other => out.extend_from_slice(other.as_i64().unwrap_or_default().to_string().as_bytes()),
    }
}

/// `java.util.Date`'s `toString()` of `millis` since the epoch, in UTC, as Java's calendar gives
/// it: the Julian calendar's date before 1582-10-15, and the year of its era as a plain number
/// (1 BC, year 0, as `1`).
fn write_java_date(out: &mut Vec<u8>, millis: i64) {
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = utc_fields(millis);
    let (hour, minute, second, _) = at.time();
    let text = format!(
        "{} {} {:02} {hour:02}:{minute:02}:{second:02} UTC {}",
        WEEKDAYS[at.weekday],
        MONTHS[at.month as usize - 1],
        at.day,
        if at.year > 0 { at.year } else { 1 - at.year },
    );
    out.extend_from_slice(text.as_bytes());
}

/// A double as Java's `Double.toString` writes it: plain between 10⁻³ and 10⁷, else
/// `d.dddE±n`, always with a fractional digit.
pub fn java_double(value: f64) -> String {
    java_text(
        value.abs(),
        value.is_nan(),
        value.is_infinite(),
        value.is_sign_negative(),
        value.is_subnormal(),
    )
}

/// A float as Java's `Float.toString` writes it.
pub fn java_float(value: f32) -> String {
    java_text(
        value.abs(),
        value.is_nan(),
        value.is_infinite(),
        value.is_sign_negative(),
        value.is_subnormal(),
    )
}

/// Java's text of a number of magnitude `abs`, from ryu's shortest digits.
fn java_text<F>(abs: F, nan: bool, infinite: bool, negative: bool, subnormal: bool) -> String
where
    F: ryu::Float + std::fmt::LowerExp + std::str::FromStr + PartialEq,
{
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format(abs);
    if subnormal && single_digit(shortest) {
        let two_digits = format!("{abs:.1e}");
        if two_digits.parse::<F>().ok() == Some(abs) {
            return java_format(nan, infinite, negative, &two_digits);
        }
    }
    java_format(nan, infinite, negative, shortest)
}

/// Whether ryu's shortest form has one significant digit. Java prints at least two, the two
/// nearest the exact value: 4.9E-324 for the smallest double, where the shortest is 5e-324.
/// Only subnormal numbers, with few bits of precision, are far enough from their one-digit
/// form for the two to differ from it and a zero.
fn single_digit(shortest: &str) -> bool {
    let mantissa = shortest.split(['e', 'E']).next().unwrap_or(shortest);
    let significant = mantissa.trim_start_matches(['0', '.']).trim_end_matches(['0', '.']);
    significant.bytes().filter(u8::is_ascii_digit).count() <= 1
}

/// Java's layout of a number given ryu's shortest digits of its magnitude.
fn java_format(nan: bool, infinite: bool, negative: bool, shortest: &str) -> String {
    if nan {
        return "NaN".into();
    }
    let sign = if negative { "-" } else { "" };
    if infinite {
        return format!("{sign}Infinity");
    }
    // Split ryu's shortest form into significant digits and a decimal exponent.
    let (mantissa, exp) = match shortest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut point = int_part.len() as i32 + exp; // position of the decimal point in `digits`
    let leading = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading);
    point -= leading as i32;
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        return format!("{sign}0.0");
    }
    // Value = 0.d1d2d3… × 10^point; Java's scientific exponent is point - 1.
    let sci_exp = point - 1;
    if (-3..7).contains(&sci_exp) {
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        format!("{sign}{text}")
    } else {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{}E{}", &digits[..1], frac, sci_exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (1e21, "1.0E21"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (-0.0, "-0.0"),
            (f64::from_bits(1), "4.9E-324"),
            (1e7, "1.0E7"),
            (2e-300, "2.0E-300"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_double(value), expected, "{value}");
        }
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(java_float(f32::from_bits(1)), "1.4E-45");
        assert_eq!(java_float(-0.0), "-0.0");
    }

    /// What Apache's file sink printed for the same values (the JSON differential test reads
    /// them through both).
    #[test]
    fn logical_values_print_as_java_prints_them() {
        use crate::data::{SchemaBuilder, SchemaType};
        let text = |value: Value, schema: &Schema| {
            let mut out = Vec::new();
            write_java_text(&mut out, &value, Some(schema));
            String::from_utf8(out).unwrap()
        };
        let timestamp = SchemaBuilder::new(SchemaType::Int64).name(logical::TIMESTAMP).build();
        assert_eq!(
            text(Value::Int64(1700000000123), &timestamp),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        let date = SchemaBuilder::new(SchemaType::Int32).name(logical::DATE).build();
        assert_eq!(text(Value::Int32(19000), &date), "Sat Jan 08 00:00:00 UTC 2022");
        // Julian before 1582-10-15, the year unpadded, as Java 17 prints them.
        assert_eq!(text(Value::Int32(-200_000), &date), "Mon May 25 00:00:00 UTC 1422");
        assert_eq!(text(Value::Int32(-700_000), &date), "Thu Jun 21 00:00:00 UTC 53");
        // The year of its era (BC years too), for years far from ours as well.
        for (millis, java) in [
            (-62_167_219_200_000, "Sat Jan 03 00:00:00 UTC 1"),
            (-62_198_755_200_001, "Thu Jan 02 23:59:59 UTC 2"),
            (-8_000_000_000_000_000, "Tue Apr 06 09:46:40 UTC 251536"),
            (8_000_000_000_000_000, "Fri Nov 28 14:13:20 UTC 255479"),
            (i64::MIN, "Sun Dec 02 16:47:04 UTC 292269055"),
            (i64::MAX, "Sun Aug 17 07:12:55 UTC 292278994"),
        ] {
            assert_eq!(text(Value::Int64(millis), &timestamp), java);
        }
        assert_eq!(text(Value::Int32(i32::MIN), &date), "Tue Mar 03 00:00:00 UTC 5877521");
        assert_eq!(text(Value::Int32(i32::MAX), &date), "Fri Jul 11 00:00:00 UTC 5881580");
        let time = SchemaBuilder::new(SchemaType::Int32).name(logical::TIME).build();
        assert_eq!(text(Value::Int32(3723004), &time), "Thu Jan 01 01:02:03 UTC 1970");
        let decimal = SchemaBuilder::decimal(2).build();
        let list = SchemaBuilder::array(decimal.clone()).build();
        let cents = |n: i64| Value::bytes(crate::data::decimal_from_text(&n.to_string(), 0).unwrap());
        assert_eq!(
            text(Value::Array(vec![cents(1230), cents(-5)]), &list),
            "[12.30, -0.05]"
        );
    }
}
