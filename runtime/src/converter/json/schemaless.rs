//! Schemaless JSON read straight into Connect values, without a JSON tree first, as Apache's
//! JsonConverter reads it (Jackson with `USE_BIG_DECIMAL_FOR_FLOATS`): integers as int64 (the
//! low 64 bits of a larger one, as `BigInteger.longValue`), other numbers as float64 (the
//! nearest double, infinite beyond the range, never a negative zero), objects as maps with
//! string keys in their order, a repeated key's last value where the key first stood (as
//! Jackson's `ObjectNode` keeps it).
//!
//! serde_json gives an integer beyond 64 bits as a float and refuses a number beyond a double's
//! range; the few records holding one are read a second time, each number from its own text.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::data::Value;

/// The schemaless value of the JSON text `bytes` (nothing after it but whitespace).
pub(super) fn read(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match read_with(bytes, Schemaless(Numbers::AskAgain)) {
        Err(e) if [READ_AGAIN, OUT_OF_RANGE].iter().any(|m| e.to_string().starts_with(m)) => {
            read_with(bytes, Schemaless(Numbers::FromText))
        }
        read => read,
    }
}

/// One reading of the JSON text `bytes` by `seed`.
fn read_with(bytes: &[u8], seed: Schemaless) -> Result<Value, serde_json::Error> {
    let mut document = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut document)?;
    document.end()?;
    Ok(value)
}

/// The schemaless value of a JSON tree (which takes every kind of node, so cannot fail; its
/// numbers are as serde_json read them).
pub(super) fn from_node(node: &serde_json::Value) -> Value {
    Schemaless(Numbers::AsParsed).deserialize(node).unwrap_or_default()
}

/// The error that has a document read again with its numbers taken from their text.
const READ_AGAIN: &str = "a number to read from its text";

/// The start of serde_json's error for a number beyond a double's range.
const OUT_OF_RANGE: &str = "number out of range";

/// 2⁶³: integers from here on are beyond an int64.
const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;

/// Objects up to this many keys find a repeated key by a scan; larger ones keep an index.
const SCANNED_KEYS: usize = 16;

/// Reads one schemaless value.
#[derive(Clone, Copy)]
struct Schemaless(Numbers);

/// Where numbers come from.
#[derive(Clone, Copy, PartialEq)]
enum Numbers {
    /// As serde_json parsed them (a JSON tree's).
    AsParsed,
    /// As serde_json parses them, except those only their text tells: reading stops with
    /// [`READ_AGAIN`] at one.
    AskAgain,
    /// From their text: each value is taken as raw text first (the second reading).
    FromText,
}

impl<'de> DeserializeSeed<'de> for Schemaless {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.0 != Numbers::FromText {
            return deserializer.deserialize_any(self);
        }
        let text = <&RawValue>::deserialize(deserializer)?.get();
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Ok(number(text));
        }
        serde_json::Deserializer::from_str(text)
            .deserialize_any(self)
            .map_err(D::Error::custom)
    }
}

/// A JSON number's value as Jackson's tree and `BigDecimal` give it.
fn number(text: &str) -> Value {
    if text.contains(['.', 'e', 'E']) {
        return Value::Float64(super::decimal_float(text).unwrap_or(f64::NAN));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let low_bits = digits.bytes().fold(0u64, |acc, digit| {
        acc.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'))
    });
    Value::Int64(if negative { low_bits.wrapping_neg() } else { low_bits } as i64)
}

impl<'de> Visitor<'de> for Schemaless {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Boolean(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int64(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Int64(n as i64))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Value, E> {
        // Which of `-0` and `-0.0` it was, or whether an integer beyond 64 bits: only the
        // text says.
        let ambiguous = (n == 0.0 && n.is_sign_negative()) || (n.fract() == 0.0 && n.abs() >= TWO_TO_63);
        if ambiguous && self.0 == Numbers::AskAgain {
            return Err(E::custom(READ_AGAIN));
        }
        Ok(Value::Float64(if n == 0.0 { 0.0 } else { n }))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.to_string()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(items.size_hint().unwrap_or(0));
        while let Some(item) = items.next_element_seed(self)? {
            out.push(item);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(Value, Value)> = Vec::new();
        let mut index: Option<HashMap<String, usize>> = None;
        while let Some(key) = object.next_key::<String>()? {
            let value = object.next_value_seed(self)?;
            let repeated = match &index {
                Some(index) => index.get(&key).copied(),
                None => entries.iter().position(|(k, _)| k.as_str() == Some(key.as_str())),
            };
            if let Some(at) = repeated {
                entries[at].1 = value;
                continue;
            }
            if let Some(index) = &mut index {
                index.insert(key.clone(), entries.len());
            }
            entries.push((Value::String(key), value));
            if index.is_none() && entries.len() > SCANNED_KEYS {
                let keys = entries.iter().enumerate();
                index = Some(
                    keys.filter_map(|(i, (k, _))| Some((k.as_str()?.to_string(), i)))
                        .collect(),
                );
            }
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_and_the_text_read_alike() {
        let text = r#"{"a": 1, "b": [true, null, 2.5, "x"], "c": {"d": 18446744073709551615}, "a": -2}"#;
        let node: serde_json::Value = serde_json::from_str(text).unwrap();
        let expected = Value::Map(vec![
            ("a".into(), Value::Int64(-2)),
            (
                "b".into(),
                Value::Array(vec![Value::Boolean(true), Value::Null, Value::Float64(2.5), "x".into()]),
            ),
            ("c".into(), Value::Map(vec![("d".into(), Value::Int64(-1))])),
        ]);
        assert_eq!(read(text.as_bytes()).unwrap(), expected);
        assert_eq!(from_node(&node), expected);
    }

    /// Numbers as Apache's JsonConverter reads them (Jackson's tree with big decimals).
    #[test]
    fn numbers_read_as_jackson_reads_them() {
        let cases = [
            ("12345678901234567890", Value::Int64(-6101065172474983726)),
            ("123456789012345678901234567890", Value::Int64(-4362896299872285998)),
            ("-123456789012345678901234567890", Value::Int64(4362896299872285998)),
            ("-9223372036854775808", Value::Int64(i64::MIN)),
            ("1e19", Value::Float64(1e19)),
            ("1e400", Value::Float64(f64::INFINITY)),
            ("-1e400", Value::Float64(f64::NEG_INFINITY)),
            ("-0", Value::Int64(0)),
            ("0.1", Value::Float64(0.1)),
            // The nearest double, where serde_json's quick parse was one off.
            ("1.0715660391465826E-75", Value::Float64(1.0715660391465826E-75)),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text.as_bytes()).unwrap(), expected, "{text}");
        }
        let Value::Float64(zero) = read(b"-0.0").unwrap() else {
            panic!("a float")
        };
        assert!(
            zero == 0.0 && zero.is_sign_positive(),
            "BigDecimal has no negative zero"
        );
        // Read again from the text, the rest of the document reads the same.
        let text = r#"{"a": [1e400, "x", {"b": 18446744073709551616}], "a": 2.5, "c": null, "d": true}"#;
        assert_eq!(
            read(text.as_bytes()).unwrap(),
            Value::Map(vec![
                ("a".into(), Value::Float64(2.5)),
                ("c".into(), Value::Null),
                ("d".into(), Value::Boolean(true)),
            ])
        );
        let text = r#"[1e400, "x\"y", {"b": 18446744073709551616, "b": -0}]"#;
        assert_eq!(
            read(text.as_bytes()).unwrap(),
            Value::Array(vec![
                Value::Float64(f64::INFINITY),
                "x\"y".into(),
                Value::Map(vec![("b".into(), Value::Int64(0))]),
            ])
        );
        assert!(read(b"[1e400, nope]").is_err());
    }

    #[test]
    fn a_repeated_key_in_a_large_object_keeps_its_place() {
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k3\": 99, \"k39\": 98}}", keys.join(", "));
        let Value::Map(entries) = read(text.as_bytes()).unwrap() else {
            panic!("a map")
        };
        assert_eq!(entries.len(), 40);
        assert_eq!(entries[3], ("k3".into(), Value::Int64(99)));
        assert_eq!(entries[39], ("k39".into(), Value::Int64(98)));
    }
}
