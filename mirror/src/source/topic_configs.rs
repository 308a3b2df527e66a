//! Which of a source topic's configs its remote topic gets, as MirrorMaker 2's
//! `DefaultConfigPropertyFilter` and `MirrorSourceConnector` decide: every config the source
//! describes, but for read-only and sensitive ones, those from the source brokers' static files
//! and those `config.properties.exclude` names. A config at its built-in default on the source
//! is removed from the remote topic, which then takes the target's default
//! (`use.defaults.from=target`, the default), or set to the source's default
//! (`use.defaults.from=source`); any other is set to the source's value. So a setting removed
//! on the source is removed on the remote topic at the next sync, and a setting made only on
//! the remote topic stays only where the source's value comes from its brokers' files or the
//! filter excludes it.

use rdkafka::admin::{ConfigEntry, ConfigSource};
use tributary_runtime::config::{ConfigKey, ConfigMap, ConfigType, Key};

use crate::admin::{ConfigChanges, TopicConfigs};
use crate::filter::{BadPattern, NameFilter};

/// `use.defaults.from`: whose defaults a config at its default on the source takes (`source`,
/// else the target's). A key of MirrorMaker 2's config property filter, which its connectors do
/// not list among their own; so neither do Tributary's.
const USE_DEFAULTS_FROM: Key<String> = Key::new(ConfigKey::optional(
    "use.defaults.from",
    ConfigType::String,
    "target",
    "Whose defaults a topic config at its default on the source takes: source or target.",
));

/// The topic configs a flow copies.
#[derive(Debug, Clone)]
pub(crate) struct ConfigPropertyFilter {
    properties: NameFilter,
    /// `use.defaults.from=source`: the source's defaults are set on remote topics.
    defaults_from_source: bool,
}

impl ConfigPropertyFilter {
    /// The filter of a mirror source config (`config.properties.exclude`,
    /// `use.defaults.from`).
    pub(crate) fn new(config: &ConfigMap) -> Result<Self, BadPattern> {
        Ok(ConfigPropertyFilter {
            properties: NameFilter::config_properties(config)?,
            defaults_from_source: USE_DEFAULTS_FROM.read(config) == "source",
        })
    }

    /// What the remote topic of a source topic described as `entries` gets: the configs to
    /// set and those to remove.
    pub(crate) fn remote_changes(&self, entries: Vec<ConfigEntry>) -> ConfigChanges {
        let mut changes = ConfigChanges::default();
        for entry in entries {
            if entry.is_read_only
                || entry.is_sensitive
                || matches!(entry.source, ConfigSource::StaticBroker)
                || !self.properties.accepts(&entry.name)
            {
                continue;
            }
            if matches!(entry.source, ConfigSource::Default) && !self.defaults_from_source {
                changes.delete.insert(entry.name);
            } else if let Some(value) = entry.value {
                changes.set.insert(entry.name, value);
            }
        }
        changes
    }
}

/// The part of `wanted` that a remote topic whose own settings are `current` still lacks
/// (none when it is in line).
pub(crate) fn outstanding(wanted: ConfigChanges, current: &TopicConfigs) -> Option<ConfigChanges> {
    let changes = ConfigChanges {
        set: wanted
            .set
            .into_iter()
            .filter(|(key, value)| current.get(key) != Some(value))
            .collect(),
        delete: wanted
            .delete
            .into_iter()
            .filter(|key| current.contains_key(key))
            .collect(),
    };
    (changes != ConfigChanges::default()).then_some(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &str, source: ConfigSource) -> ConfigEntry {
        ConfigEntry {
            name: name.to_string(),
            value: Some(value.to_string()),
            is_default: matches!(source, ConfigSource::Default),
            source,
            is_read_only: false,
            is_sensitive: false,
        }
    }

    fn described() -> Vec<ConfigEntry> {
        vec![
            entry("retention.ms", "86400000", ConfigSource::DynamicTopic),
            entry("segment.bytes", "1073741824", ConfigSource::Default),
            entry("compression.type", "zstd", ConfigSource::DynamicDefaultBroker),
            entry("max.message.bytes", "2000000", ConfigSource::StaticBroker),
            entry("min.insync.replicas", "2", ConfigSource::DynamicTopic),
            ConfigEntry {
                is_sensitive: true,
                ..entry("secret", "x", ConfigSource::DynamicTopic)
            },
        ]
    }

    fn filter(settings: &[(&str, &str)]) -> ConfigPropertyFilter {
        let config: ConfigMap = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ConfigPropertyFilter::new(&config).unwrap()
    }

    #[test]
    fn source_values_are_set_and_source_defaults_removed() {
        let changes = filter(&[]).remote_changes(described());
        let set: Vec<(&str, &str)> = changes.set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // Static broker settings, excluded and sensitive configs are neither set nor removed.
        assert_eq!(set, [("compression.type", "zstd"), ("retention.ms", "86400000")]);
        assert_eq!(changes.delete.iter().collect::<Vec<_>>(), ["segment.bytes"]);
    }

    #[test]
    fn use_defaults_from_source_sets_the_sources_defaults() {
        let changes = filter(&[("use.defaults.from", "source")]).remote_changes(described());
        assert_eq!(changes.set.get("segment.bytes").map(String::as_str), Some("1073741824"));
        assert!(changes.delete.is_empty());
    }

    #[test]
    fn only_what_the_remote_topic_lacks_is_outstanding() {
        let wanted = filter(&[]).remote_changes(described());
        let in_line = TopicConfigs::from([
            ("retention.ms".to_string(), "86400000".to_string()),
            ("compression.type".to_string(), "zstd".to_string()),
            ("cleanup.policy".to_string(), "compact".to_string()),
        ]);
        assert_eq!(outstanding(wanted.clone(), &in_line), None);
        let mut behind = in_line;
        behind.insert("retention.ms".into(), "1".into());
        behind.insert("segment.bytes".into(), "1000".into());
        let left = outstanding(wanted, &behind).unwrap();
        assert_eq!(left.set.keys().collect::<Vec<_>>(), ["retention.ms"]);
        assert_eq!(left.delete.iter().collect::<Vec<_>>(), ["segment.bytes"]);
    }
}
