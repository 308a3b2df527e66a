//! A source connector's `topic.creation.*` settings (KIP-158), with which the worker creates a
//! topic before a task's first record to it, as Apache's does, when the worker's
//! `topic.creation.enable` is on (the default) and the config has any `topic.creation.` key.
//!
//! `topic.creation.groups` lists groups tried in order, each `topic.creation.<group>.include`
//! and `.exclude` (lists of regular expressions matching whole topic names; exclusion wins),
//! `.replication.factor` and `.partitions` (the default group's when unset; -1 for the
//! brokers' default), and any other `topic.creation.<group>.<topic config>`. The `default`
//! group takes every topic no listed group matches; its replication factor and partitions are
//! required. A topic that exists is used as it is.

use regex::Regex;

use crate::client::NewTopicSpec;
use crate::config::{split_list, ConfigMap, ValidationError};

/// What every `topic.creation.` key starts with.
const PREFIX: &str = "topic.creation.";
/// `topic.creation.groups`.
const GROUPS: &str = "topic.creation.groups";
/// The group that takes every topic.
const DEFAULT_GROUP: &str = "default";
/// A group's keys that are not topic configs.
const GROUP_KEYS: [&str; 4] = ["include", "exclude", "replication.factor", "partitions"];

/// How a connector's new topics are made.
#[derive(Debug)]
pub(crate) struct TopicCreation {
    /// The listed groups, in order.
    groups: Vec<CreationGroup>,
    /// The `default` group.
    default: CreationGroup,
}

/// One group of `topic.creation.<name>.*` settings.
#[derive(Debug)]
struct CreationGroup {
    /// `include`, anchored; `None` matches nothing (an empty list).
    include: Option<Regex>,
    /// `exclude`, anchored; `None` matches nothing.
    exclude: Option<Regex>,
    partitions: i32,
    replication_factor: i32,
    configs: Vec<(String, String)>,
}

impl TopicCreation {
    /// Whether `config` asks for topic creation: it has a `topic.creation.` key.
    pub(crate) fn asked_for(config: &ConfigMap) -> bool {
        config.keys().any(|k| k.starts_with(PREFIX))
    }

    /// The topic creation `config` asks for: `None` when it has no `topic.creation.` key.
    /// Errors carry Apache's messages, each under its key.
    pub(crate) fn from_config(config: &ConfigMap) -> Result<Option<Self>, Vec<ValidationError>> {
        if !TopicCreation::asked_for(config) {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let listed = split_list(config.get(GROUPS).map_or("", String::as_str));
        let mut names: Vec<String> = Vec::new();
        for name in &listed {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        if names.len() < listed.len() {
            errors.push(ValidationError {
                key: GROUPS.into(),
                message: format!(
                    "Invalid value [{}] for configuration {GROUPS}: Duplicate alias provided.",
                    listed.join(", ")
                ),
            });
        }
        if names.iter().any(|name| name == DEFAULT_GROUP) {
            tracing::warn!(
                "'{DEFAULT_GROUP}' topic creation group always exists and does not need to be listed explicitly"
            );
            names.retain(|name| name != DEFAULT_GROUP);
        }
        let replication_factor = read_size(config, DEFAULT_GROUP, "replication.factor", None, &mut errors);
        let partitions = read_size(config, DEFAULT_GROUP, "partitions", None, &mut errors);
        // It takes what no listed group does: its include and exclude are ignored, as Apache's.
        let default = CreationGroup {
            include: None,
            exclude: None,
            partitions,
            replication_factor,
            configs: topic_configs(config, DEFAULT_GROUP),
        };
        let mut groups = Vec::new();
        for name in &names {
            groups.push(CreationGroup {
                include: read_patterns(config, name, "include", &mut errors),
                exclude: read_patterns(config, name, "exclude", &mut errors),
                partitions: read_size(config, name, "partitions", Some(partitions), &mut errors),
                replication_factor: read_size(
                    config,
                    name,
                    "replication.factor",
                    Some(replication_factor),
                    &mut errors,
                ),
                configs: topic_configs(config, name),
            });
        }
        if errors.is_empty() {
            Ok(Some(TopicCreation { groups, default }))
        } else {
            Err(errors)
        }
    }

    /// `topic` as the first group matching it would create it (the default group when none
    /// does).
    pub(crate) fn new_topic(&self, topic: &str) -> NewTopicSpec {
        let group = self.groups.iter().find(|g| g.matches(topic)).unwrap_or(&self.default);
        NewTopicSpec {
            name: topic.to_string(),
            partitions: group.partitions,
            replication_factor: group.replication_factor,
            configs: group.configs.clone(),
        }
    }
}

impl CreationGroup {
    /// Whether the group takes `topic`: included and not excluded.
    fn matches(&self, topic: &str) -> bool {
        let matched = |pattern: &Option<Regex>| pattern.as_ref().is_some_and(|p| p.is_match(topic));
        matched(&self.include) && !matched(&self.exclude)
    }
}

/// `topic.creation.<group>.<key>`, a partition count or replication factor: `fallback` when
/// unset (required when `None`); a bad value is noted in `errors` with Apache's message.
fn read_size(
    config: &ConfigMap,
    group: &str,
    key: &str,
    fallback: Option<i32>,
    errors: &mut Vec<ValidationError>,
) -> i32 {
    let name = format!("{PREFIX}{group}.{key}");
    let Some(raw) = config.get(&name) else {
        if fallback.is_none() {
            errors.push(ValidationError {
                message: format!("Missing required configuration \"{name}\" which has no default value."),
                key: name,
            });
        }
        return fallback.unwrap_or(-1);
    };
    let (parsed, kind, rule) = if key == "partitions" {
        (
            raw.trim().parse::<i32>().ok(),
            "INT",
            "Number of partitions must be positive, or -1 to use the broker's default",
        )
    } else {
        (
            raw.trim().parse::<i16>().map(i32::from).ok(),
            "SHORT",
            "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, \
             or -1 to use the broker's default",
        )
    };
    let problem = match parsed {
        Some(value) if value == -1 || value >= 1 => return value,
        Some(_) => rule.to_string(),
        None => format!("Not a number of type {kind}"),
    };
    errors.push(ValidationError {
        message: format!("Invalid value {raw} for configuration {name}: {problem}"),
        key: name,
    });
    fallback.unwrap_or(-1)
}

/// `topic.creation.<group>.<key>`, a list of regular expressions, as one matching whole topic
/// names; `None` for an empty list or a bad expression (noted in `errors`).
fn read_patterns(config: &ConfigMap, group: &str, key: &str, errors: &mut Vec<ValidationError>) -> Option<Regex> {
    let name = format!("{PREFIX}{group}.{key}");
    let items = split_list(config.get(&name).map_or("", String::as_str));
    if items.is_empty() {
        return None;
    }
    Regex::new(&format!("^(?:{})$", items.join("|")))
        .map_err(|e| {
            errors.push(ValidationError {
                message: format!(
                    "Invalid value [{}] for configuration {name}: Syntax error in regular expression: {e}",
                    items.join(", ")
                ),
                key: name,
            })
        })
        .ok()
}

/// The topic configs of `group`: its keys other than include, exclude, replication factor
/// and partitions.
fn topic_configs(config: &ConfigMap, group: &str) -> Vec<(String, String)> {
    let prefix = format!("{PREFIX}{group}.");
    config
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(&prefix)?, value)))
        .filter(|(key, _)| !GROUP_KEYS.contains(key))
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn messages(pairs: &[(&str, &str)]) -> Vec<String> {
        match TopicCreation::from_config(&config(pairs)) {
            Err(errors) => errors
                .into_iter()
                .map(|e| format!("{}: {}", e.key, e.message))
                .collect(),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn without_topic_creation_keys_nothing_is_created() {
        assert!(TopicCreation::from_config(&config(&[("topic", "t")]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn topics_take_the_first_matching_group_and_otherwise_the_default() {
        let creation = TopicCreation::from_config(&config(&[
            ("topic.creation.groups", "compacted, logs"),
            ("topic.creation.default.replication.factor", "3"),
            ("topic.creation.default.partitions", "-1"),
            ("topic.creation.default.include", "ignored"),
            ("topic.creation.default.retention.ms", "1000"),
            ("topic.creation.compacted.include", "state\\..*, .*-state"),
            ("topic.creation.compacted.exclude", "state\\.skip"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.compacted.partitions", "1"),
            ("topic.creation.logs.include", "state\\..*,logs"),
            ("topic.creation.logs.replication.factor", "1"),
        ]))
        .unwrap()
        .unwrap();
        let spec = creation.new_topic("state.users");
        assert_eq!((spec.partitions, spec.replication_factor), (1, 3));
        assert_eq!(spec.configs, [("cleanup.policy".to_string(), "compact".to_string())]);
        assert_eq!(creation.new_topic("users-state").partitions, 1, "either pattern");
        let excluded = creation.new_topic("state.skip");
        assert_eq!(
            (excluded.partitions, excluded.replication_factor),
            (-1, 1),
            "the next group"
        );
        assert_eq!(creation.new_topic("logs").replication_factor, 1);
        assert_eq!(creation.new_topic("xlogs").replication_factor, 3, "whole names only");
        let other = creation.new_topic("orders");
        assert_eq!((other.partitions, other.replication_factor), (-1, 3));
        assert_eq!(other.configs, [("retention.ms".to_string(), "1000".to_string())]);
    }

    #[test]
    fn a_group_without_include_takes_no_topic() {
        let creation = TopicCreation::from_config(&config(&[
            ("topic.creation.groups", "none"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "5"),
            ("topic.creation.none.partitions", "2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(creation.new_topic("anything").partitions, 5);
    }

    #[test]
    fn bad_settings_are_reported_with_apaches_messages() {
        assert_eq!(
            messages(&[("topic.creation.groups", "a")]),
            [
                "topic.creation.default.replication.factor: Missing required configuration \
                 \"topic.creation.default.replication.factor\" which has no default value.",
                "topic.creation.default.partitions: Missing required configuration \
                 \"topic.creation.default.partitions\" which has no default value.",
            ]
        );
        let errors = messages(&[
            ("topic.creation.groups", "a, a"),
            ("topic.creation.default.replication.factor", "0"),
            ("topic.creation.default.partitions", "x"),
            ("topic.creation.a.include", "("),
            ("topic.creation.a.partitions", "-2"),
        ]);
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(
            errors[0],
            "topic.creation.groups: Invalid value [a, a] for configuration topic.creation.groups: Duplicate alias provided."
        );
        assert!(errors[1].ends_with(
            "Invalid value 0 for configuration topic.creation.default.replication.factor: Replication factor must be \
             positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
        ));
        assert!(errors[2].ends_with(
            "Invalid value x for configuration topic.creation.default.partitions: Not a number of type INT"
        ));
        assert!(
            errors[3].contains("Syntax error in regular expression"),
            "{}",
            errors[3]
        );
        assert!(errors[4].ends_with("Number of partitions must be positive, or -1 to use the broker's default"));
    }
}
