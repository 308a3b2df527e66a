//! Settings every mirror connector shares, with MirrorMaker 2's names and defaults: the two
//! clusters (`source.cluster.alias`, `source.cluster.bootstrap.servers`, client overrides), the
//! replication policy, where the offset syncs live, how long an admin request may take
//! (`admin.timeout.ms`), whether the flow runs (`enabled`), and the keys Apache's connectors
//! define that Tributary accepts without effect (`metric.reporters`, `config.providers`).

use std::time::Duration;

use rdkafka::ClientConfig;
use tributary_runtime::client::{ClientKind, ClientSettings};
use tributary_runtime::config::{
    ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, KeyValue, ParsedConfig, ValidationError,
};
use tributary_runtime::connector::ConnectError;

use crate::admin::ClusterAdmin;
use crate::policy::ReplicationPolicy;

/// `source.cluster.alias`.
pub(crate) const SOURCE_CLUSTER_ALIAS: Key<String> = Key::new(ConfigKey::required(
    "source.cluster.alias",
    ConfigType::String,
    "Alias of the source cluster.",
));
/// `target.cluster.alias`.
pub(crate) const TARGET_CLUSTER_ALIAS: Key<String> = Key::new(
    ConfigKey::optional(
        "target.cluster.alias",
        ConfigType::String,
        "target",
        "Alias of the target cluster.",
    )
    .importance(Importance::High),
);
/// `source.cluster.bootstrap.servers`.
pub(crate) const SOURCE_CLUSTER_BOOTSTRAP_SERVERS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "source.cluster.bootstrap.servers",
    ConfigType::List,
    "Brokers of the source cluster.",
));
/// `target.cluster.bootstrap.servers`.
pub(crate) const TARGET_CLUSTER_BOOTSTRAP_SERVERS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "target.cluster.bootstrap.servers",
    ConfigType::List,
    "Brokers of the target cluster.",
));
/// `replication.policy.class`.
pub(crate) const REPLICATION_POLICY_CLASS: Key<String> = Key::new(
    ConfigKey::optional(
        "replication.policy.class",
        ConfigType::Class,
        "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
        "How remote topics are named.",
    )
    .importance(Importance::Low),
);
/// `replication.policy.separator`.
pub(crate) const REPLICATION_POLICY_SEPARATOR: Key<String> = Key::new(
    ConfigKey::optional(
        "replication.policy.separator",
        ConfigType::String,
        ".",
        "Separator of the default replication policy.",
    )
    .importance(Importance::Low),
);

/// `replication.policy.internal.topic.separator.enabled`.
pub(crate) const INTERNAL_TOPIC_SEPARATOR_ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "replication.policy.internal.topic.separator.enabled",
        ConfigType::Boolean,
        "true",
        "Whether internal topic names use replication.policy.separator too.",
    )
    .importance(Importance::Low),
);
/// `offset-syncs.topic.location`.
pub(crate) const OFFSET_SYNCS_TOPIC_LOCATION: Key<String> = Key::new(
    ConfigKey::optional(
        "offset-syncs.topic.location",
        ConfigType::String,
        "source",
        "The cluster holding the offset-syncs topic.",
    )
    .importance(Importance::Low)
    .one_of(&["source", "target"]),
);

/// The keys of every mirror connector.
pub fn common_config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&SOURCE_CLUSTER_ALIAS)
        .key(&TARGET_CLUSTER_ALIAS)
        .key(&SOURCE_CLUSTER_BOOTSTRAP_SERVERS)
        .key(&TARGET_CLUSTER_BOOTSTRAP_SERVERS)
        .key(&REPLICATION_POLICY_CLASS)
        .key(&REPLICATION_POLICY_SEPARATOR)
        .key(&INTERNAL_TOPIC_SEPARATOR_ENABLED)
        .key(&OFFSET_SYNCS_TOPIC_LOCATION)
        .key(&FORWARDING_ADMIN_CLASS)
        .key(&ADMIN_TIMEOUT_MS)
        .key(&ENABLED)
        .key(&METRIC_REPORTERS)
        .key(&CONFIG_PROVIDERS)
}

/// The keys the source and checkpoint connectors add to [`common_config_def`]: how long a
/// poll waits, and Apache's metric names (without effect).
pub fn polling_config_def() -> ConfigDef {
    common_config_def()
        .key(&CONSUMER_POLL_TIMEOUT_MS)
        .key(&METRIC_NAMES_FORMATS)
}

/// `enabled`.
pub(crate) const ENABLED: Key<bool> = Key::new(
    ConfigKey::optional(
        "enabled",
        ConfigType::Boolean,
        "true",
        "Whether the flow is replicated: when false the source and checkpoint connectors start \
         nothing and run no task (the heartbeat connector, as Apache's, beats all the same).",
    )
    .importance(Importance::Low),
);
/// `consumer.poll.timeout.ms`.
pub(crate) const CONSUMER_POLL_TIMEOUT_MS: Key<Duration> = Key::new(
    ConfigKey::optional(
        "consumer.poll.timeout.ms",
        ConfigType::Long,
        "1000",
        "How long a task's poll waits for something to return, in ms.",
    )
    .importance(Importance::Low),
);
/// `metric.reporters`, accepted without effect.
const METRIC_REPORTERS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "metric.reporters",
        ConfigType::List,
        "org.apache.kafka.common.metrics.JmxReporter",
        "Apache's metrics reporter classes; without effect here (Tributary's metrics are served \
         at /metrics).",
    )
    .importance(Importance::Low),
);
/// `metric.names.formats`, accepted without effect.
const METRIC_NAMES_FORMATS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "metric.names.formats",
        ConfigType::List,
        "legacy",
        "Which of Apache's metric names its connectors register (legacy, new); without effect \
         here (Tributary's metrics are served at /metrics).",
    )
    .importance(Importance::Low),
);
/// `config.providers`, accepted without effect: a connector's values are resolved by the
/// worker's config providers.
const CONFIG_PROVIDERS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "config.providers",
        ConfigType::List,
        "",
        "Config providers of MirrorMaker 2's own mode; without effect on a connector, whose \
         values the worker's config providers resolve.",
    )
    .importance(Importance::Low),
);

/// `admin.timeout.ms`.
pub(crate) const ADMIN_TIMEOUT_MS: Key<i64> = Key::new(
    ConfigKey::optional(
        "admin.timeout.ms",
        ConfigType::Long,
        "60000",
        "How long one admin request (listing topics, creating them, copying configs and ACLs) may take.",
    )
    .importance(Importance::Low),
);

/// `topics`.
pub(crate) const TOPICS: Key<Vec<String>> = Key::new(
    ConfigKey::optional("topics", ConfigType::List, ".*", "Topics to mirror (regexes).").importance(Importance::High),
);
/// `topics.exclude`.
pub(crate) const TOPICS_EXCLUDE: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "topics.exclude",
        ConfigType::List,
        crate::filter::DEFAULT_TOPICS_EXCLUDE,
        "Topics not to mirror (regexes).",
    )
    .importance(Importance::High),
);

/// The check of a key naming a class MirrorMaker 2 lets users replace (`*.filter.class`,
/// `forwarding.admin.class`): only `default`, its own class (by full or simple name), as there
/// are no JVM plugins here; another is refused with Apache's message for a class it cannot load.
pub(crate) fn only_default_class(value: &str, default: &str) -> Result<(), String> {
    let class = value.trim();
    if class.is_empty() || class.rsplit('.').next() == Some(default) {
        Ok(())
    } else {
        Err(format!("Class {class} could not be found."))
    }
}

/// `forwarding.admin.class`: Apache's forwarding admin client only.
pub(crate) const FORWARDING_ADMIN_CLASS: Key<String> = Key::new(
    ConfigKey::optional(
        "forwarding.admin.class",
        ConfigType::Class,
        "org.apache.kafka.clients.admin.ForwardingAdmin",
        "The admin client the connectors manage topics, configs and ACLs with.",
    )
    .importance(Importance::Low)
    .check(|class| only_default_class(class, "ForwardingAdmin")),
);
/// `topic.filter.class`: MirrorMaker 2's default filter only.
pub(crate) const TOPIC_FILTER_CLASS: Key<String> = Key::new(
    ConfigKey::optional(
        "topic.filter.class",
        ConfigType::Class,
        "org.apache.kafka.connect.mirror.DefaultTopicFilter",
        "Which topics to mirror: topics and topics.exclude.",
    )
    .importance(Importance::Low)
    .check(|class| only_default_class(class, "DefaultTopicFilter")),
);

/// Adds `topics`, `topics.exclude` and `topic.filter.class` (what the source connector
/// mirrors; what the checkpoint connector translates).
pub fn with_topic_filter(def: ConfigDef) -> ConfigDef {
    def.key(&TOPICS).key(&TOPICS_EXCLUDE).key(&TOPIC_FILTER_CLASS)
}

/// Client settings for `cluster` (`source` or `target`) and client `kind` as the user wrote
/// them (the Java clients' names): `<cluster>.cluster.*` (without its alias and other clients'
/// sections), then `<cluster>.cluster.<kind>.*` and `<cluster>.<kind>.*`.
fn java_cluster_settings(config: &ConfigMap, cluster: &str, kind: ClientKind) -> ConfigMap {
    let mut java = ConfigMap::new();
    let common = format!("{cluster}.cluster.");
    for (key, value) in config {
        if let Some(rest) = key.strip_prefix(&common) {
            if rest != "alias" && !["consumer.", "producer.", "admin."].iter().any(|p| rest.starts_with(p)) {
                java.insert(rest.to_string(), value.clone());
            }
        }
    }
    for (key, value) in config {
        if let Some(rest) = client_key(key, cluster, kind) {
            java.insert(rest.to_string(), value.clone());
        }
    }
    java
}

/// The client key under `<cluster>.cluster.<kind>.` or `<cluster>.<kind>.`.
fn client_key<'a>(key: &'a str, cluster: &str, kind: ClientKind) -> Option<&'a str> {
    let rest = key.strip_prefix(cluster)?.strip_prefix('.')?;
    let rest = rest.strip_prefix("cluster.").unwrap_or(rest);
    rest.strip_prefix(kind.prefix())?.strip_prefix('.')
}

/// The librdkafka settings of a client of `kind` on `cluster` (`source` or `target`); each
/// problem under the key the config used.
pub fn cluster_client(
    config: &ConfigMap,
    cluster: &str,
    kind: ClientKind,
) -> Result<ClientSettings, Vec<ValidationError>> {
    ClientSettings::translate(&java_cluster_settings(config, cluster, kind), kind).map_err(|errors| {
        errors
            .into_iter()
            .map(|error| {
                let key = config
                    .keys()
                    .find(|k| {
                        client_key(k, cluster, kind) == Some(error.key.as_str())
                            || k.strip_prefix(cluster).and_then(|r| r.strip_prefix(".cluster."))
                                == Some(error.key.as_str())
                    })
                    .cloned()
                    .unwrap_or_else(|| format!("{cluster}.cluster.{}", error.key));
                ValidationError {
                    message: format!("Invalid value for configuration {key}: {}", error.message),
                    key,
                }
            })
            .collect()
    })
}

/// Every client setting of either cluster that a client cannot honour, once each.
pub fn client_problems(config: &ConfigMap) -> Vec<ValidationError> {
    let mut problems: Vec<ValidationError> = Vec::new();
    for cluster in ["source", "target"] {
        for kind in [ClientKind::Producer, ClientKind::Consumer, ClientKind::Admin] {
            for problem in cluster_client(config, cluster, kind).err().unwrap_or_default() {
                if !problems.iter().any(|p| p.key == problem.key) {
                    problems.push(problem);
                }
            }
        }
    }
    problems
}

/// A mirror connector's parsed settings.
pub struct MirrorConfig {
    /// Every value, defaults applied.
    pub parsed: ParsedConfig,
    /// The source cluster's alias.
    pub source: String,
    /// The target cluster's alias.
    pub target: String,
    /// The replication policy.
    pub policy: ReplicationPolicy,
}

impl MirrorConfig {
    /// Parses `config` against `def` (which includes [`common_config_def`]).
    pub fn parse(def: &ConfigDef, config: &ConfigMap) -> Result<Self, ConnectError> {
        let parsed = def.parse(config).map_err(ConnectError::Config)?;
        let policy = ReplicationPolicy::from_config(config).map_err(ConnectError::failed)?;
        Ok(MirrorConfig {
            source: parsed.value(&SOURCE_CLUSTER_ALIAS),
            target: parsed.value(&TARGET_CLUSTER_ALIAS),
            policy,
            parsed,
        })
    }

    /// The raw config (client overrides included).
    pub fn raw(&self) -> &ConfigMap {
        self.parsed.values()
    }

    /// The librdkafka config of a client of `kind` on `cluster` (`source` or `target`).
    pub fn client(&self, cluster: &str, kind: ClientKind) -> Result<ClientConfig, ConnectError> {
        let alias = if cluster == "source" {
            &self.source
        } else {
            &self.target
        };
        let settings = cluster_client(self.raw(), cluster, kind).map_err(|problems| {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            ConnectError::fatal(format!("cluster {alias}: {}", problems.join("; ")))
        })?;
        settings.warn_unused(&format!("{alias} {}", kind.prefix()));
        Ok(settings.client_config())
    }

    /// The admin client of `cluster` (`source` or `target`).
    pub fn admin(&self, cluster: &str) -> Result<ClusterAdmin, ConnectError> {
        let alias = if cluster == "source" {
            &self.source
        } else {
            &self.target
        };
        // At least a millisecond: librdkafka takes no timeout as none at all.
        let timeout = Duration::from_millis(self.value(&ADMIN_TIMEOUT_MS).max(1) as u64);
        ClusterAdmin::new(alias, &self.client(cluster, ClientKind::Admin)?, timeout)
    }

    /// `source` or `target`: where the offset syncs live.
    pub fn offset_syncs_cluster(&self) -> &'static str {
        if self
            .parsed
            .value(&OFFSET_SYNCS_TOPIC_LOCATION)
            .trim()
            .eq_ignore_ascii_case("target")
        {
            "target"
        } else {
            "source"
        }
    }

    /// The offset-syncs topic: named after the other cluster than the one holding it
    /// (`mm2-offset-syncs.<target>.internal` on the source cluster, by default), as Apache does.
    pub fn offset_syncs_topic(&self) -> String {
        let other = if self.offset_syncs_cluster() == "source" {
            &self.target
        } else {
            &self.source
        };
        self.policy.offset_syncs_topic(other)
    }

    /// The value of `key`.
    pub fn value<T: KeyValue>(&self, key: &Key<T>) -> T {
        self.parsed.value(key)
    }

    /// A duration setting in seconds (at least one).
    pub fn seconds(&self, key: &Key<i64>) -> Duration {
        Duration::from_secs(self.value(key).max(1) as u64)
    }

    /// A timer ticking every `seconds` from one period on, when `enabled` is true.
    pub fn every(&self, enabled: &Key<bool>, seconds: &Key<i64>) -> Option<tokio::time::Interval> {
        let period = self.seconds(seconds);
        self.value(enabled)
            .then(|| tokio::time::interval_at(tokio::time::Instant::now() + period, period))
    }
}

/// Task configs splitting `items` round-robin between at most `max_tasks` tasks (no more tasks
/// than items): `config` plus `key` listing the task's items, comma-separated.
pub fn round_robin(config: &ConfigMap, key: &str, items: &[String], max_tasks: usize) -> Vec<ConfigMap> {
    let tasks = max_tasks.min(items.len());
    (0..tasks)
        .map(|task| {
            let mine: Vec<&str> = items.iter().skip(task).step_by(tasks).map(String::as_str).collect();
            let mut task_config = config.clone();
            task_config.insert(key.into(), mine.join(","));
            task_config
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::DEFAULT_ADMIN_TIMEOUT;

    fn mirror_config(extra: &[(&str, &str)]) -> MirrorConfig {
        let clusters = [
            ("source.cluster.alias", "A"),
            ("source.cluster.bootstrap.servers", "127.0.0.1:1"),
            ("target.cluster.bootstrap.servers", "127.0.0.1:1"),
        ];
        let config: ConfigMap = clusters
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MirrorConfig::parse(&common_config_def(), &config).unwrap()
    }

    #[test]
    fn admin_requests_take_admin_timeout_ms() {
        let default = mirror_config(&[]).admin("source").unwrap();
        assert_eq!(default.timeout(), DEFAULT_ADMIN_TIMEOUT);
        let set = mirror_config(&[("admin.timeout.ms", "1500")]).admin("target").unwrap();
        assert_eq!(set.timeout(), Duration::from_millis(1500));
    }
}
