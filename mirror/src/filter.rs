//! Which topics and consumer groups a flow mirrors: `topics` / `topics.exclude` and `groups` /
//! `groups.exclude`, comma-separated regular expressions that must match the whole name, with
//! MirrorMaker 2's defaults. These are MirrorMaker 2's default filters; its `*.filter.class`
//! keys name no other ([`crate::config::only_default_class`]).

use regex::Regex;
use tributary_runtime::config::{split_list, ConfigMap, ValidationError};

use crate::checkpoint::{GROUPS, GROUPS_EXCLUDE};
use crate::config::{TOPICS, TOPICS_EXCLUDE};
use crate::source::CONFIG_PROPERTIES_EXCLUDE;

/// MirrorMaker 2's default `topics.exclude` (internal topics are never mirrored whatever the
/// filter says: [`crate::policy::ReplicationPolicy::is_internal_topic`]).
pub const DEFAULT_TOPICS_EXCLUDE: &str = r"mm2.*\.internal, .*\.replica, __.*";
/// MirrorMaker 2's default `groups.exclude`.
pub const DEFAULT_GROUPS_EXCLUDE: &str = "console-consumer-.*, connect-.*, __.*";

/// MirrorMaker 2's default `config.properties.exclude` (4.3.1's, its dots unescaped as
/// there): topic configs never copied.
pub const DEFAULT_CONFIG_PROPERTIES_EXCLUDE: &str = "follower.replication.throttled.replicas, leader.replication.throttled.replicas, message.timestamp.difference.max.ms, log.message.timestamp.before.max.ms, log.message.timestamp.after.max.ms, message.timestamp.type, unclean.leader.election.enable, min.insync.replicas";

/// A bad pattern, named by the setting it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value {value} for configuration {key}: {message}")]
pub struct BadPattern {
    /// The setting.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The regex error.
    pub message: String,
}

impl From<BadPattern> for ValidationError {
    fn from(e: BadPattern) -> Self {
        ValidationError {
            message: e.to_string(),
            key: e.key,
        }
    }
}

/// Names to include and to exclude.
#[derive(Debug, Clone)]
pub struct NameFilter {
    include: Regex,
    exclude: Regex,
}

impl NameFilter {
    /// The topic filter of a mirror config (`topics`, `topics.exclude`; the pre-3.0
    /// `topics.blacklist` is read when `topics.exclude` is absent).
    pub fn topics(config: &ConfigMap) -> Result<Self, BadPattern> {
        Self::build(
            config,
            TOPICS.name(),
            &[TOPICS_EXCLUDE.name(), "topics.blacklist"],
            DEFAULT_TOPICS_EXCLUDE,
        )
    }

    /// The group filter of a mirror config (`groups`, `groups.exclude` or `groups.blacklist`).
    pub fn groups(config: &ConfigMap) -> Result<Self, BadPattern> {
        Self::build(
            config,
            GROUPS.name(),
            &[GROUPS_EXCLUDE.name(), "groups.blacklist"],
            DEFAULT_GROUPS_EXCLUDE,
        )
    }

    /// The topic configs copied to remote topics: all but `config.properties.exclude`.
    pub fn config_properties(config: &ConfigMap) -> Result<Self, BadPattern> {
        Self::build(
            config,
            "config.properties.include",
            &[CONFIG_PROPERTIES_EXCLUDE.name(), "config.properties.blacklist"],
            DEFAULT_CONFIG_PROPERTIES_EXCLUDE,
        )
    }

    fn build(
        config: &ConfigMap,
        include_key: &str,
        exclude_keys: &[&str],
        default_exclude: &str,
    ) -> Result<Self, BadPattern> {
        let include_value = config.get(include_key).map(String::as_str).unwrap_or(".*");
        let (exclude_key, exclude_value) = exclude_keys
            .iter()
            .find_map(|k| config.get(*k).map(|v| (*k, v.as_str())))
            .unwrap_or((exclude_keys[0], default_exclude));
        Ok(NameFilter {
            include: whole_name_pattern(include_key, include_value)?,
            exclude: whole_name_pattern(exclude_key, exclude_value)?,
        })
    }

    /// Whether `name` is included and not excluded.
    pub fn accepts(&self, name: &str) -> bool {
        self.include.is_match(name) && !self.exclude.is_match(name)
    }
}

/// One regex matching a whole name against any of the comma-separated patterns (an empty list
/// matches nothing).
fn whole_name_pattern(key: &str, value: &str) -> Result<Regex, BadPattern> {
    let patterns = split_list(value);
    let bad = |message: String| BadPattern {
        key: key.to_string(),
        value: value.to_string(),
        message,
    };
    for pattern in &patterns {
        Regex::new(pattern).map_err(|e| bad(e.to_string()))?;
    }
    if patterns.is_empty() {
        return Regex::new("[^\\s\\S]").map_err(|e| bad(e.to_string()));
    }
    let alternatives: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Regex::new(&format!("^(?:{})$", alternatives.join("|"))).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn replaceable_classes_are_mirrormaker_s_own_or_refused_as_apache_refuses_a_missing_class() {
        use crate::checkpoint::GROUP_FILTER_CLASS;
        use crate::config::{FORWARDING_ADMIN_CLASS, TOPIC_FILTER_CLASS};
        use crate::source::CONFIG_PROPERTY_FILTER_CLASS;
        use tributary_runtime::config::ConfigDef;

        let def = ConfigDef::new()
            .key(&FORWARDING_ADMIN_CLASS)
            .key(&TOPIC_FILTER_CLASS)
            .key(&GROUP_FILTER_CLASS)
            .key(&CONFIG_PROPERTY_FILTER_CLASS);
        let defaults = config(&[
            (
                "topic.filter.class",
                "org.apache.kafka.connect.mirror.DefaultTopicFilter",
            ),
            ("group.filter.class", "DefaultGroupFilter"),
            (
                "forwarding.admin.class",
                "org.apache.kafka.clients.admin.ForwardingAdmin",
            ),
        ]);
        assert_eq!(def.validate(&defaults), vec![]);
        let custom = config(&[
            ("topic.filter.class", "com.acme.TopicFilter"),
            (
                "config.property.filter.class",
                "org.apache.kafka.connect.mirror.DefaultTopicFilter",
            ),
        ]);
        let messages: Vec<String> = def.validate(&custom).into_iter().map(|e| e.message).collect();
        assert_eq!(
            messages,
            [
                "Invalid value com.acme.TopicFilter for configuration topic.filter.class: Class com.acme.TopicFilter could not be found.",
                "Invalid value org.apache.kafka.connect.mirror.DefaultTopicFilter for configuration config.property.filter.class: Class org.apache.kafka.connect.mirror.DefaultTopicFilter could not be found.",
            ]
        );
    }

    #[test]
    fn defaults_mirror_everything_but_internal_topics_and_groups() {
        let topics = NameFilter::topics(&config(&[])).unwrap();
        assert!(topics.accepts("orders"));
        for excluded in ["__consumer_offsets", "mm2-offset-syncs.A.internal", "orders.replica"] {
            assert!(!topics.accepts(excluded), "{excluded}");
        }
        // Left to the replication policy's internal topics, as MirrorMaker 2 4.x's default.
        assert!(topics.accepts("x-internal"));
        let groups = NameFilter::groups(&config(&[])).unwrap();
        assert!(groups.accepts("billing"));
        assert!(!groups.accepts("connect-my-sink"));
        assert!(!groups.accepts("console-consumer-123"));
    }

    #[test]
    fn patterns_match_whole_names() {
        let topics =
            NameFilter::topics(&config(&[("topics", "orders, pay.*"), ("topics.exclude", "payroll")])).unwrap();
        assert!(topics.accepts("orders"));
        assert!(!topics.accepts("orders-eu"), "a pattern matches the whole name");
        assert!(topics.accepts("payments"));
        assert!(!topics.accepts("payroll"));
        let legacy = NameFilter::topics(&config(&[("topics.blacklist", "orders")])).unwrap();
        assert!(!legacy.accepts("orders"));
        assert!(
            legacy.accepts("__consumer_offsets"),
            "an explicit exclusion replaces the default"
        );
    }

    #[test]
    fn a_bad_regex_names_its_setting() {
        let error = NameFilter::topics(&config(&[("topics", "orders, ([")])).unwrap_err();
        assert_eq!(error.key, "topics");
        assert!(error
            .to_string()
            .starts_with("Invalid value orders, ([ for configuration topics:"));
    }
}
