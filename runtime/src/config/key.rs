//! Typed config keys: one `const` per key declares its name, type, default, documentation and
//! checks (a [`ConfigKey`]) together with the Rust type it is read as, so the declaration is the
//! only place a key's name and default are written. A [`ConfigDef`](super::ConfigDef) is built
//! from keys ([`ConfigDef::key`](super::ConfigDef::key)) and values are read back through them
//! ([`ParsedConfig::value`](super::ParsedConfig::value)), the way Kafka's `AbstractConfig`
//! reads a declared key.

use std::marker::PhantomData;
use std::time::Duration;

use super::{split_list, ConfigKey};

/// A declared config key whose value reads as `T`.
#[derive(Debug)]
pub struct Key<T> {
    def: ConfigKey,
    value: PhantomData<fn() -> T>,
}

impl<T: KeyValue> Key<T> {
    /// The key `def` declares, read as `T`.
    pub const fn new(def: ConfigKey) -> Self {
        Key {
            def,
            value: PhantomData,
        }
    }

    /// Its declaration.
    pub const fn def(&self) -> &ConfigKey {
        &self.def
    }

    /// Its name.
    pub const fn name(&self) -> &'static str {
        self.def.name
    }

    /// Its value in `config`, or its default when absent, without copying the config (for
    /// settings read where a whole [`ParsedConfig`](super::ParsedConfig) is not at hand; the
    /// value is read as `T` unchecked, so `config` must have been validated).
    pub fn read(&self, config: &super::ConfigMap) -> T {
        T::read(config.get(self.def.name).map(String::as_str).or(self.def.default))
    }
}

/// A Rust type a key's text is read as. Reading a validated value cannot fail; an absent value
/// (a key without a default that was not given) reads as the type's empty value.
pub trait KeyValue: Sized {
    /// The value of `raw`, the key's text.
    fn read(raw: Option<&str>) -> Self;
}

impl KeyValue for bool {
    fn read(raw: Option<&str>) -> Self {
        raw.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}

impl KeyValue for String {
    fn read(raw: Option<&str>) -> Self {
        raw.unwrap_or_default().to_string()
    }
}

/// A key whose default is unset (Apache's `null`): `None` unless given.
impl<T: KeyValue> KeyValue for Option<T> {
    fn read(raw: Option<&str>) -> Self {
        raw.map(|value| T::read(Some(value)))
    }
}

/// A comma-separated list, items trimmed, empty items dropped.
impl KeyValue for Vec<String> {
    fn read(raw: Option<&str>) -> Self {
        split_list(raw.unwrap_or_default())
    }
}

/// A `…ms` key read as a duration (a negative number as zero).
impl KeyValue for Duration {
    fn read(raw: Option<&str>) -> Self {
        Duration::from_millis(i64::read(raw).max(0) as u64)
    }
}

/// Numbers, read trimmed.
macro_rules! numbers {
    ($($number:ty),*) => {$(
        impl KeyValue for $number {
            fn read(raw: Option<&str>) -> Self {
                raw.and_then(|v| v.trim().parse().ok()).unwrap_or_default()
            }
        }
    )*};
}
numbers!(u16, i32, i64, u32, u64, usize, f64);

/// Implements [`KeyValue`] for enums read from their names: each has an inherent
/// `parse(&str) -> Option<Self>` (which the key's validator also uses) and a `Default` (what an
/// absent value reads as).
#[macro_export]
macro_rules! choice_key_value {
    ($($choice:ty),* $(,)?) => {$(
        impl $crate::config::KeyValue for $choice {
            fn read(raw: Option<&str>) -> Self {
                raw.and_then(<$choice>::parse).unwrap_or_default()
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigDef, ConfigMap, ConfigType};

    const BATCH: Key<usize> = Key::new(ConfigKey::optional(
        "batch.size",
        ConfigType::Int,
        "2000",
        "lines a poll",
    ));
    const BACKOFF: Key<Duration> = Key::new(ConfigKey::optional("backoff.ms", ConfigType::Long, "250", "wait"));
    const TOPICS: Key<Vec<String>> = Key::new(ConfigKey::unset("topics", ConfigType::List, "topics"));
    const PREFIX: Key<Option<String>> = Key::new(ConfigKey::unset("prefix", ConfigType::String, "prefix"));

    #[test]
    fn keys_read_their_defaults_and_values_as_their_types() {
        let def = ConfigDef::new().key(&BATCH).key(&BACKOFF).key(&TOPICS).key(&PREFIX);
        let parsed = def.parse(&ConfigMap::new()).unwrap();
        assert_eq!(parsed.value(&BATCH), 2000);
        assert_eq!(parsed.value(&BACKOFF), Duration::from_millis(250));
        assert!(parsed.value(&TOPICS).is_empty());
        assert_eq!(parsed.value(&PREFIX), None);
        let config: ConfigMap = [("topics", " a, b ,"), ("prefix", "p-"), ("batch.size", " 7 ")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let parsed = def.parse(&config).unwrap();
        assert_eq!(parsed.value(&TOPICS), ["a", "b"]);
        assert_eq!(parsed.value(&PREFIX).as_deref(), Some("p-"));
        assert_eq!(parsed.value(&BATCH), 7);
    }
}
