//! Schemaless JSON read straight into Connect values, without a JSON tree first: integers as
//! int64 (float64 beyond it), other numbers as float64, objects as maps with string keys in
//! their order, a repeated key's last value where the key first stood (as Jackson's `ObjectNode`
//! keeps it).

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::data::Value;

/// The schemaless value of the JSON text `bytes` (nothing after it but whitespace).
pub(super) fn read(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut document = serde_json::Deserializer::from_slice(bytes);
    let value = Schemaless.deserialize(&mut document)?;
    document.end()?;
    Ok(value)
}

/// The schemaless value of a JSON tree (which takes every kind of node, so cannot fail).
pub(super) fn from_node(node: &serde_json::Value) -> Value {
    Schemaless.deserialize(node).unwrap_or_default()
}

/// Objects up to this many keys find a repeated key by a scan; larger ones keep an index.
const SCANNED_KEYS: usize = 16;

/// Reads one schemaless value.
#[derive(Clone, Copy)]
struct Schemaless;

impl<'de> DeserializeSeed<'de> for Schemaless {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
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
        Ok(i64::try_from(n).map_or(Value::Float64(n as f64), Value::Int64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Float64(n))
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
            (
                "c".into(),
                Value::Map(vec![("d".into(), Value::Float64(18446744073709551615.0))]),
            ),
        ]);
        assert_eq!(read(text.as_bytes()).unwrap(), expected);
        assert_eq!(from_node(&node), expected);
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
