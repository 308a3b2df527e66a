//! Apache Kafka's predicates: `TopicNameMatches` (`pattern`, the whole topic name),
//! `HasHeaderKey` (`name`) and `RecordIsTombstone`.

use regex::Regex;

use super::support::parsed;
use super::Predicate;
use super::PredicatePlugin;
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key};
use crate::data::ConnectRecord;

struct TopicNameMatches(Regex);

impl Predicate for TopicNameMatches {
    fn test(&self, record: &ConnectRecord) -> bool {
        self.0.is_match(&record.topic)
    }
}

/// `pattern` (TopicNameMatches).
const PATTERN: Key<String> = Key::new(
    ConfigKey::required(
        "pattern",
        ConfigType::String,
        "A Java regular expression for matching against the name of a record's topic.",
    )
    .check(|v| Regex::new(v).map(|_| ()).map_err(|e| e.to_string()))
    .importance(Importance::Medium),
);

fn topic_def() -> ConfigDef {
    ConfigDef::new().key(&PATTERN)
}

fn create_topic(settings: &ConfigMap) -> Result<Box<dyn Predicate>, String> {
    let pattern = parsed(topic_def, settings)?.value(&PATTERN);
    Ok(Box::new(TopicNameMatches(
        Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?,
    )))
}

struct HasHeaderKey(String);

impl Predicate for HasHeaderKey {
    fn test(&self, record: &ConnectRecord) -> bool {
        record.headers.iter().any(|h| h.key == self.0)
    }
}

/// `name` (HasHeaderKey).
const NAME: Key<String> =
    Key::new(ConfigKey::required("name", ConfigType::String, "The header name.").importance(Importance::Medium));

fn header_def() -> ConfigDef {
    ConfigDef::new().key(&NAME)
}

fn create_header(settings: &ConfigMap) -> Result<Box<dyn Predicate>, String> {
    Ok(Box::new(HasHeaderKey(parsed(header_def, settings)?.value(&NAME))))
}

struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn test(&self, record: &ConnectRecord) -> bool {
        record.value.is_null()
    }
}

fn create_tombstone(_settings: &ConfigMap) -> Result<Box<dyn Predicate>, String> {
    Ok(Box::new(RecordIsTombstone))
}

inventory::submit! {
    PredicatePlugin {
        class: "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        aliases: &[],
        config_def: topic_def,
        create: create_topic,
    }
}

inventory::submit! {
    PredicatePlugin {
        class: "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        aliases: &[],
        config_def: header_def,
        create: create_header,
    }
}

inventory::submit! {
    PredicatePlugin {
        class: "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        aliases: &[],
        config_def: ConfigDef::new,
        create: create_tombstone,
    }
}
