//! Replication policies: how a topic mirrored from cluster `A` is named on the target, and how a
//! name is traced back to where it came from. Same names and behaviour as MirrorMaker 2's
//! `DefaultReplicationPolicy` (`A.topic`) and `IdentityReplicationPolicy` (`topic`), including
//! the cycle check that keeps A↔B mirroring from looping.

use tributary_runtime::config::ConfigMap;

use crate::config::{
    common_config_def, INTERNAL_TOPIC_SEPARATOR_ENABLED, REPLICATION_POLICY_CLASS, REPLICATION_POLICY_SEPARATOR,
    SOURCE_CLUSTER_ALIAS,
};

/// The heartbeats topic's name.
pub const HEARTBEATS_TOPIC: &str = "heartbeats";

/// Names remote topics and traces them back (Apache's `ReplicationPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicationPolicy {
    /// `<source alias><separator><topic>`.
    Default {
        /// `replication.policy.separator` (`.`).
        separator: String,
        /// `replication.policy.internal.topic.separator.enabled` (true): whether internal topic
        /// names use the separator too.
        internal_separator: bool,
    },
    /// Topic names unchanged (heartbeats still prefixed); cannot tell where a topic came from,
    /// so it cannot prevent cycles by itself.
    Identity {
        /// `source.cluster.alias`, reported as every topic's source.
        source_alias: Option<String>,
        /// The separator used for heartbeats.
        separator: String,
    },
}

/// A replication policy class this build does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value {0} for configuration replication.policy.class: Class {0} could not be found.")]
pub struct UnknownPolicy(pub String);

impl ReplicationPolicy {
    /// The policy a mirror config asks for (`replication.policy.class`, Apache class names
    /// accepted).
    pub fn from_config(config: &ConfigMap) -> Result<Self, UnknownPolicy> {
        let config = common_config_def().with_defaults(config);
        let separator = config.value(&REPLICATION_POLICY_SEPARATOR);
        let class = config.value(&REPLICATION_POLICY_CLASS).trim().to_string();
        match class.rsplit('.').next().unwrap_or("") {
            "" | "DefaultReplicationPolicy" => Ok(ReplicationPolicy::Default {
                separator,
                internal_separator: config.value(&INTERNAL_TOPIC_SEPARATOR_ENABLED),
            }),
            "IdentityReplicationPolicy" => Ok(ReplicationPolicy::Identity {
                source_alias: config.get(SOURCE_CLUSTER_ALIAS.name()).map(str::to_string),
                separator,
            }),
            _ => Err(UnknownPolicy(class)),
        }
    }

    fn separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default { separator, .. } | ReplicationPolicy::Identity { separator, .. } => separator,
        }
    }

    fn internal_separator(&self) -> &str {
        match self {
            ReplicationPolicy::Default {
                internal_separator: false,
                ..
            } => ".",
            _ => self.separator(),
        }
    }

    fn prefixed_source(&self, topic: &str) -> Option<String> {
        let separator = self.separator();
        let mut parts = topic.split(separator);
        let first = parts.next()?;
        parts.next().map(|_| first.to_string())
    }

    fn prefixed_upstream(&self, topic: &str) -> Option<String> {
        let source = self.prefixed_source(topic)?;
        Some(topic[source.len() + self.separator().len()..].to_string())
    }

    fn looks_like_heartbeat(topic: &str) -> bool {
        topic.ends_with(HEARTBEATS_TOPIC)
    }

    /// The name `topic` of cluster `source_alias` gets on the target.
    pub fn format_remote_topic(&self, source_alias: &str, topic: &str) -> String {
        match self {
            ReplicationPolicy::Identity { .. } if !Self::looks_like_heartbeat(topic) => topic.to_string(),
            _ => format!("{source_alias}{}{topic}", self.separator()),
        }
    }

    /// The alias of the cluster `topic` was mirrored from, if it names one.
    pub fn topic_source(&self, topic: &str) -> Option<String> {
        match self {
            ReplicationPolicy::Identity { source_alias, .. } if !Self::looks_like_heartbeat(topic) => {
                source_alias.clone()
            }
            _ => self.prefixed_source(topic),
        }
    }

    /// The name `topic` had one hop upstream.
    pub fn upstream_topic(&self, topic: &str) -> Option<String> {
        match self {
            ReplicationPolicy::Identity { .. } if !Self::looks_like_heartbeat(topic) => Some(topic.to_string()),
            _ => self.prefixed_upstream(topic),
        }
    }

    /// The name `topic` had where it was first written.
    pub fn original_topic(&self, topic: &str) -> String {
        match self.upstream_topic(topic) {
            Some(upstream) if upstream != topic => self.original_topic(&upstream),
            _ => topic.to_string(),
        }
    }

    /// `mm2-offset-syncs.<alias>.internal`.
    pub fn offset_syncs_topic(&self, cluster_alias: &str) -> String {
        let separator = self.internal_separator();
        format!("mm2-offset-syncs{separator}{cluster_alias}{separator}internal")
    }

    /// `<alias>.checkpoints.internal`.
    pub fn checkpoints_topic(&self, cluster_alias: &str) -> String {
        let separator = self.internal_separator();
        format!("{cluster_alias}{separator}checkpoints{separator}internal")
    }

    /// Whether `topic` is a heartbeats topic, at any number of hops.
    pub fn is_heartbeats_topic(&self, topic: &str) -> bool {
        self.original_topic(topic) == HEARTBEATS_TOPIC
    }

    /// Kafka's, Connect's and MirrorMaker's own topics, which are never mirrored.
    pub fn is_internal_topic(&self, topic: &str) -> bool {
        let separator = self.internal_separator();
        let mm2 = topic.starts_with("mm2-offset-syncs")
            || topic.ends_with(&format!("{separator}checkpoints{separator}internal"));
        mm2 || topic.starts_with("__")
            || topic.starts_with('.')
            || topic.ends_with("-internal")
            || topic.ends_with(".internal")
    }

    /// Whether mirroring `topic` to cluster `target_alias` would send it back where it came from.
    pub fn is_cycle(&self, target_alias: &str, topic: &str) -> bool {
        match self.topic_source(topic) {
            None => false,
            Some(source) if source == target_alias => true,
            Some(_) => match self.upstream_topic(topic) {
                Some(upstream) if upstream != topic => self.is_cycle(target_alias, &upstream),
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pairs: &[(&str, &str)]) -> ReplicationPolicy {
        let config: ConfigMap = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ReplicationPolicy::from_config(&config).unwrap()
    }

    #[test]
    fn default_policy_prefixes_with_the_source_alias() {
        let p = policy(&[]);
        assert_eq!(p.format_remote_topic("us-west", "orders"), "us-west.orders");
        assert_eq!(p.topic_source("us-west.orders").as_deref(), Some("us-west"));
        assert_eq!(p.upstream_topic("B.A.orders").as_deref(), Some("A.orders"));
        assert_eq!(p.original_topic("B.A.orders"), "orders");
        assert_eq!(p.topic_source("orders"), None);
        assert_eq!(p.offset_syncs_topic("A"), "mm2-offset-syncs.A.internal");
        assert_eq!(p.checkpoints_topic("A"), "A.checkpoints.internal");
        assert!(p.is_heartbeats_topic("B.A.heartbeats"));
        let custom = policy(&[("replication.policy.separator", "_")]);
        assert_eq!(custom.format_remote_topic("A", "orders"), "A_orders");
        assert_eq!(custom.checkpoints_topic("A"), "A_checkpoints_internal");
    }

    #[test]
    fn cycles_and_internal_topics_are_detected() {
        let p = policy(&[]);
        // Mirroring B.orders (which came from B) back to B is a cycle; A.orders to B is not.
        assert!(p.is_cycle("B", "B.orders"));
        assert!(p.is_cycle("B", "A.B.orders"));
        assert!(!p.is_cycle("B", "A.orders"));
        assert!(!p.is_cycle("B", "orders"));
        for internal in [
            "__consumer_offsets",
            "mm2-offset-syncs.A.internal",
            "A.checkpoints.internal",
            "connect-configs-internal",
            ".hidden",
        ] {
            assert!(p.is_internal_topic(internal), "{internal}");
        }
        assert!(!p.is_internal_topic("orders"));
    }

    #[test]
    fn identity_policy_keeps_names_but_not_for_heartbeats() {
        let p = policy(&[
            (
                "replication.policy.class",
                "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
            ),
            ("source.cluster.alias", "A"),
        ]);
        assert_eq!(p.format_remote_topic("A", "orders"), "orders");
        assert_eq!(p.format_remote_topic("A", "heartbeats"), "A.heartbeats");
        assert_eq!(p.topic_source("orders").as_deref(), Some("A"));
        assert_eq!(p.original_topic("orders"), "orders");
        // The policy alone cannot see a loop: a topic's source is always the configured alias.
        assert!(!p.is_cycle("B", "orders"));
        assert!(ReplicationPolicy::from_config(
            &[("replication.policy.class".to_string(), "com.example.Custom".to_string())]
                .into_iter()
                .collect()
        )
        .is_err());
    }
}
