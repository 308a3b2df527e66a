//! The framework's own config keys: the worker's, and those every connector takes on top of
//! its plugin's keys (Apache's `ConnectorConfig`, `SourceConnectorConfig`, `SinkConnectorConfig`).

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::client::{ClientConfigError, ClientKind, ClientSettings, ErrorCapture, KafkaSecurity};
use crate::config::{positive, ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, Width};
use crate::converter::{converter_for, ConverterRole};
use crate::plugins::PLUGIN_VERSION;

use super::listeners::{
    ListenerLayout, Scheme, REST_ADVERTISED_HOST_NAME, REST_ADVERTISED_PORT, UI_ENABLED, UI_READ_ONLY,
};
use super::override_policy::OverridePolicy;
use super::transform_chain::{PREDICATES, TRANSFORMS};

/// `name`.
pub const NAME: Key<String> = Key::new(
    ConfigKey::required(
        "name",
        ConfigType::String,
        "Globally unique name to use for this connector.",
    )
    .in_group("Common")
    .shown(1, Width::Medium, "Connector name"),
);
/// `connector.class`.
pub const CONNECTOR_CLASS: Key<String> = Key::new(
    ConfigKey::required(
        "connector.class",
        ConfigType::String,
        "Name or alias of the class for this connector.",
    )
    .in_group("Common")
    .shown(2, Width::Long, "Connector class"),
);
/// `connector.plugin.version`: the plugin's version, which every built-in plugin has.
pub const CONNECTOR_PLUGIN_VERSION: Key<String> = Key::new(
    ConfigKey::optional(
        "connector.plugin.version",
        ConfigType::String,
        PLUGIN_VERSION,
        "Version of the connector; every built-in plugin has Tributary's version.",
    )
    .in_group("Common")
    .shown(3, Width::Medium, "Connector version"),
);
/// `errors.retry.timeout`: how long a failed `put` is retried (0 never, -1 forever).
pub(super) const ERRORS_RETRY_TIMEOUT: Key<i64> = Key::new(
    ConfigKey::optional(
        "errors.retry.timeout",
        ConfigType::Long,
        "0",
        "How long a failed operation is retried, in ms; 0 never, -1 forever.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(1, Width::Medium, "Retry Timeout for Errors"),
);
/// `errors.retry.delay.max.ms`.
pub(super) const ERRORS_RETRY_DELAY_MAX: Key<Duration> = Key::new(
    ConfigKey::optional(
        "errors.retry.delay.max.ms",
        ConfigType::Long,
        "60000",
        "Longest wait between retries, in ms.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(2, Width::Medium, "Maximum Delay Between Retries for Errors"),
);
/// `errors.tolerance`.
pub(super) const ERRORS_TOLERANCE: Key<String> = Key::new(
    ConfigKey::optional(
        "errors.tolerance",
        ConfigType::String,
        "none",
        "'none' fails the task on a bad record; 'all' skips bad records.",
    )
    .one_of(&["none", "all"])
    .in_group(ERROR_HANDLING_GROUP)
    .shown(3, Width::Short, "Error Tolerance"),
);
/// `errors.log.enable`.
pub(super) const ERRORS_LOG_ENABLE: Key<bool> = Key::new(
    ConfigKey::optional(
        "errors.log.enable",
        ConfigType::Boolean,
        "false",
        "Log each failed operation and bad record.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(4, Width::Short, "Log Errors"),
);
/// `errors.log.include.messages`.
pub(super) const ERRORS_LOG_INCLUDE_MESSAGES: Key<bool> = Key::new(
    ConfigKey::optional(
        "errors.log.include.messages",
        ConfigType::Boolean,
        "false",
        "Include the record in the error log.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(5, Width::Short, "Log Error Details"),
);
/// `errors.deadletterqueue.context.headers.enable`.
pub(super) const DEAD_LETTER_QUEUE_CONTEXT_HEADERS: Key<bool> = Key::new(
    ConfigKey::optional(
        "errors.deadletterqueue.context.headers.enable",
        ConfigType::Boolean,
        "false",
        "Add headers describing the failure to dead-lettered records.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(8, Width::Medium, "Enable Error Context Headers"),
);

/// The group of the error-handling keys.
const ERROR_HANDLING_GROUP: &str = "Error Handling";

/// `tasks.max`.
pub const TASKS_MAX: Key<usize> = Key::new(
    ConfigKey::optional(
        "tasks.max",
        ConfigType::Int,
        "1",
        "Maximum number of tasks to use for this connector.",
    )
    .check(positive)
    .importance(Importance::High)
    .in_group("Common")
    .shown(4, Width::Short, "Tasks max"),
);
/// `transaction.boundary`.
pub(super) const TRANSACTION_BOUNDARY: Key<String> = Key::new(
    ConfigKey::optional(
        "transaction.boundary",
        ConfigType::String,
        "poll",
        "Where exactly-once transactions end: every 'poll', every 'interval', or where the 'connector' says.",
    )
    .one_of(&["poll", "interval", "connector"])
    .in_group(EXACTLY_ONCE_GROUP)
    .shown(3, Width::Short, "Transaction Boundary"),
);
/// `transaction.boundary.interval.ms`.
pub(super) const TRANSACTION_BOUNDARY_INTERVAL: Key<Option<Duration>> = Key::new(
    ConfigKey::unset(
        "transaction.boundary.interval.ms",
        ConfigType::Long,
        "With transaction.boundary=interval, how often transactions commit; offset.flush.interval.ms when unset.",
    )
    .importance(Importance::Low)
    .in_group(EXACTLY_ONCE_GROUP)
    .shown(4, Width::Short, "Transaction boundary interval"),
);
/// A source connector's `offsets.storage.topic` (KIP-618).
pub(super) const CONNECTOR_OFFSETS_TOPIC: Key<String> = Key::new(
    ConfigKey::unset(
        "offsets.storage.topic",
        ConfigType::String,
        "A topic of the connector's own for its offsets (distributed mode), created when missing; the worker's when unset.",
    )
    .check(|topic| {
        if topic.is_empty() {
            // Apache's `ConfigDef.NonEmptyString`.
            Err("String must be non-empty".to_string())
        } else {
            Ok(())
        }
    })
    .importance(Importance::Low)
    .in_group("offsets.topic")
    .shown(1, Width::Long, "Offsets topic"),
);
/// `topics`.
pub const TOPICS: Key<Vec<String>> = Key::new(
    ConfigKey::optional("topics", ConfigType::List, "", "Topics to consume.")
        .importance(Importance::High)
        .in_group("Common")
        .shown(4, Width::Long, "Topics"),
);
/// `topics.regex`.
pub const TOPICS_REGEX: Key<String> = Key::new(
    ConfigKey::optional(
        "topics.regex",
        ConfigType::String,
        "",
        "Regular expression of topics to consume.",
    )
    .importance(Importance::High)
    .in_group("Common")
    .shown(4, Width::Long, "Topics regex"),
);
/// `errors.deadletterqueue.topic.name`.
pub(super) const DEAD_LETTER_QUEUE_TOPIC: Key<String> = Key::new(
    ConfigKey::optional(
        "errors.deadletterqueue.topic.name",
        ConfigType::String,
        "",
        "Topic for records that failed (with errors.tolerance=all).",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(6, Width::Medium, "Dead Letter Queue Topic Name"),
);
/// `errors.deadletterqueue.topic.replication.factor`.
pub(super) const DEAD_LETTER_QUEUE_REPLICATION_FACTOR: Key<i32> = Key::new(
    ConfigKey::optional(
        "errors.deadletterqueue.topic.replication.factor",
        ConfigType::Short,
        "3",
        "Replication factor of the dead letter queue topic when it is created.",
    )
    .in_group(ERROR_HANDLING_GROUP)
    .shown(7, Width::Medium, "Dead Letter Queue Topic Replication Factor"),
);
/// `connector.client.config.override.policy` (worker).
const OVERRIDE_POLICY: Key<String> = Key::new(
    ConfigKey::optional(
        "connector.client.config.override.policy",
        ConfigType::String,
        "All",
        "Which client settings connectors may override (producer.override.* and the like): All, None or \
         Principal (only sasl.jaas.config, sasl.mechanism and security.protocol).",
    )
    .check(OverridePolicy::validate),
);
/// `topic.tracking.enable` (worker).
const TOPIC_TRACKING_ENABLE: Key<bool> = Key::new(ConfigKey::optional(
    "topic.tracking.enable",
    ConfigType::Boolean,
    "true",
    "Whether the topics each connector uses are tracked (GET /connectors/{name}/topics).",
));
/// `topic.tracking.allow.reset` (worker).
const TOPIC_TRACKING_ALLOW_RESET: Key<bool> = Key::new(ConfigKey::optional(
    "topic.tracking.allow.reset",
    ConfigType::Boolean,
    "true",
    "Whether users may reset a connector's tracked topics (PUT /connectors/{name}/topics/reset).",
));
/// `topic.creation.enable` (worker).
const TOPIC_CREATION_ENABLE: Key<bool> = Key::new(ConfigKey::optional(
    "topic.creation.enable",
    ConfigType::Boolean,
    "true",
    "Whether source connectors may create their topics with topic.creation.* settings.",
));
/// `offset.flush.interval.ms`.
pub(super) const OFFSET_FLUSH_INTERVAL: Key<Duration> = Key::new(ConfigKey::optional(
    "offset.flush.interval.ms",
    ConfigType::Long,
    "60000",
    "How often tasks' offsets are committed, in ms.",
));
/// `offset.flush.timeout.ms`.
pub(super) const OFFSET_FLUSH_TIMEOUT: Key<Duration> = Key::new(ConfigKey::optional(
    "offset.flush.timeout.ms",
    ConfigType::Long,
    "5000",
    "How long an offset commit may take, in ms.",
));
/// `task.shutdown.graceful.timeout.ms`.
pub(super) const TASK_SHUTDOWN_TIMEOUT: Key<Duration> = Key::new(ConfigKey::optional(
    "task.shutdown.graceful.timeout.ms",
    ConfigType::Long,
    "5000",
    "How long a task may take to stop, in ms.",
));
/// `default.api.timeout.ms`: Apache's worker gives it to the admin client that asks for the
/// cluster id at start-up, so it bounds how long a worker waits for unreachable brokers.
pub(super) const DEFAULT_API_TIMEOUT: Key<Duration> = Key::new(ConfigKey::optional(
    "default.api.timeout.ms",
    ConfigType::Long,
    "60000",
    "How long the worker waits at start-up for the brokers to name their cluster, in ms.",
));
/// `exactly.once.source.support`.
pub(super) const EXACTLY_ONCE_SOURCE_SUPPORT: Key<String> = Key::new(
    ConfigKey::optional(
        "exactly.once.source.support",
        ConfigType::String,
        "disabled",
        "Exactly-once source tasks (distributed mode): disabled, preparing or enabled.",
    )
    .one_of(&["disabled", "preparing", "enabled"]),
);

/// The group of the exactly-once keys.
const EXACTLY_ONCE_GROUP: &str = "Exactly Once Support";

/// Keys every connector takes, in Apache's groups and order (`ConnectorConfig`).
pub fn connector_config_def() -> ConfigDef {
    // The framework's keys that nothing reads through a `Key`, shown in `Common` at Apache's
    // places, with Apache's importance.
    let common = |key: ConfigKey, order: i32, width: Width, label: &'static str| {
        key.in_group("Common").shown(order, width, label)
    };
    let low = |key: ConfigKey| key.importance(Importance::Low);
    ConfigDef::new()
        .key(&NAME)
        .key(&CONNECTOR_CLASS)
        .key(&CONNECTOR_PLUGIN_VERSION)
        .key(&TASKS_MAX)
        .define(common(
            low(ConfigKey::optional(
                "tasks.max.enforce",
                ConfigType::Boolean,
                "true",
                "Whether more task configs than tasks.max fail the connector (always, here).",
            )),
            5,
            Width::Short,
            "Enforce tasks max",
        ))
        .define(common(
            low(ConfigKey::unset(
                "key.converter",
                ConfigType::Class,
                "Converter class for keys; the worker's when unset.",
            )),
            6,
            Width::Short,
            "Key converter class",
        ))
        .define(common(
            low(ConfigKey::unset(
                "key.converter.plugin.version",
                ConfigType::String,
                "Version of the key converter.",
            )),
            7,
            Width::Short,
            "Key converter version",
        ))
        .define(common(
            low(ConfigKey::unset(
                "value.converter",
                ConfigType::Class,
                "Converter class for values; the worker's when unset.",
            )),
            8,
            Width::Short,
            "Value converter class",
        ))
        .define(common(
            low(ConfigKey::unset(
                "value.converter.plugin.version",
                ConfigType::String,
                "Version of the value converter.",
            )),
            9,
            Width::Short,
            "Value converter version",
        ))
        .define(common(
            low(ConfigKey::unset(
                "header.converter",
                ConfigType::Class,
                "Converter class for headers; the worker's when unset.",
            )),
            10,
            Width::Short,
            "Header converter class",
        ))
        .define(common(
            low(ConfigKey::unset(
                "header.converter.plugin.version",
                ConfigType::String,
                "Version of the header converter.",
            )),
            11,
            Width::Short,
            "Header converter version",
        ))
        .define(common(
            low(ConfigKey::optional(
                "config.action.reload",
                ConfigType::String,
                "restart",
                "What to do when a config provider says a value changed: 'restart' or 'none'.",
            )
            .one_of(&["none", "restart"])),
            14,
            Width::Medium,
            "Reload Action",
        ))
        .key(&TRANSFORMS)
        .key(&PREDICATES)
        .key(&ERRORS_RETRY_TIMEOUT)
        .key(&ERRORS_RETRY_DELAY_MAX)
        .key(&ERRORS_TOLERANCE)
        .key(&ERRORS_LOG_ENABLE)
        .key(&ERRORS_LOG_INCLUDE_MESSAGES)
}

/// Keys source connectors add (topic creation, exactly-once support, KIP-618).
pub fn source_config_def() -> ConfigDef {
    let exactly_once = |key: ConfigKey| key.in_group(EXACTLY_ONCE_GROUP);
    connector_config_def()
        .define(
            ConfigKey::optional(
                "topic.creation.groups",
                ConfigType::List,
                "",
                "Groups of topic.creation.<group>.* settings for the topics the connector creates.",
            )
            .importance(Importance::Low)
            .in_group("Topic Creation")
            .shown(1, Width::Long, "Topic Creation Groups"),
        )
        .define(exactly_once(
            ConfigKey::optional(
                "exactly.once.support",
                ConfigType::String,
                "requested",
                "Whether the connector must run exactly-once ('required') or may ('requested').",
            )
            .one_of(&["requested", "required"])
            .shown(2, Width::Short, "Exactly once support"),
        ))
        .key(&TRANSACTION_BOUNDARY)
        .key(&TRANSACTION_BOUNDARY_INTERVAL)
        .key(&CONNECTOR_OFFSETS_TOPIC)
}

/// Keys sink connectors add.
pub fn sink_config_def() -> ConfigDef {
    connector_config_def()
        .key(&TOPICS)
        .key(&TOPICS_REGEX)
        .key(&DEAD_LETTER_QUEUE_TOPIC)
        .key(&DEAD_LETTER_QUEUE_REPLICATION_FACTOR)
        .key(&DEAD_LETTER_QUEUE_CONTEXT_HEADERS)
}

/// The worker keys whose values the worker reads itself (the listeners, the REST API's
/// security and the distributed-mode keys are checked where they are read).
pub fn worker_config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&OFFSET_FLUSH_INTERVAL)
        .key(&OFFSET_FLUSH_TIMEOUT)
        .key(&TASK_SHUTDOWN_TIMEOUT)
        .key(&DEFAULT_API_TIMEOUT)
        .key(&REST_ADVERTISED_HOST_NAME)
        .key(&REST_ADVERTISED_PORT)
        .key(&UI_ENABLED)
        .key(&UI_READ_ONLY)
        .key(&TOPIC_CREATION_ENABLE)
        .key(&OVERRIDE_POLICY)
        .key(&TOPIC_TRACKING_ENABLE)
        .key(&TOPIC_TRACKING_ALLOW_RESET)
        .key(&EXACTLY_ONCE_SOURCE_SUPPORT)
}

/// The settings of one worker, with Apache's defaults.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Everything the worker's file said.
    pub raw: ConfigMap,
    /// `offset.flush.interval.ms`.
    offset_flush_interval: Duration,
    /// `task.shutdown.graceful.timeout.ms`.
    task_shutdown_timeout: Duration,
    /// `default.api.timeout.ms`.
    startup_timeout: Duration,
    /// Whether `exactly.once.source.support` is `enabled`.
    exactly_once_source: bool,
    /// `topic.creation.enable`.
    topic_creation: bool,
    /// `connector.client.config.override.policy`.
    override_policy: OverridePolicy,
    /// `topic.tracking.*`.
    topic_tracking: TopicTracking,
}

/// Whether the topics connectors use are tracked, as Apache's `topic.tracking.enable` and
/// `topic.tracking.allow.reset` say: when not, tasks record none and the REST API's topic
/// endpoints answer 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicTracking {
    /// `topic.tracking.enable`.
    pub enabled: bool,
    /// `topic.tracking.allow.reset`.
    pub allow_reset: bool,
}

impl WorkerConfig {
    /// Wraps a worker's (provider-resolved) settings, reading the typed ones once (the
    /// start-up check refuses values of the wrong type).
    pub fn new(raw: ConfigMap) -> Self {
        let parsed = worker_config_def().with_defaults(&raw);
        WorkerConfig {
            offset_flush_interval: parsed.value(&OFFSET_FLUSH_INTERVAL),
            task_shutdown_timeout: parsed.value(&TASK_SHUTDOWN_TIMEOUT),
            startup_timeout: parsed.value(&DEFAULT_API_TIMEOUT),
            exactly_once_source: parsed
                .value(&EXACTLY_ONCE_SOURCE_SUPPORT)
                .trim()
                .eq_ignore_ascii_case("enabled"),
            topic_creation: parsed.value(&TOPIC_CREATION_ENABLE),
            override_policy: OverridePolicy::parse(&parsed.value(&OVERRIDE_POLICY)).unwrap_or_default(),
            topic_tracking: TopicTracking {
                enabled: parsed.value(&TOPIC_TRACKING_ENABLE),
                allow_reset: parsed.value(&TOPIC_TRACKING_ALLOW_RESET),
            },
            raw,
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// `bootstrap.servers` (Apache's default `localhost:9092`).
    pub fn bootstrap_servers(&self) -> &str {
        self.get("bootstrap.servers").unwrap_or("localhost:9092")
    }

    /// Whether source connectors' `topic.creation.*` settings create their topics
    /// (`topic.creation.enable`, on by default).
    pub fn topic_creation(&self) -> bool {
        self.topic_creation
    }

    /// Which client settings connectors may override (`connector.client.config.override.policy`).
    pub fn override_policy(&self) -> OverridePolicy {
        self.override_policy
    }

    /// Whether the topics connectors use are tracked (`topic.tracking.*`).
    pub fn topic_tracking(&self) -> TopicTracking {
        self.topic_tracking
    }

    /// `offset.flush.interval.ms` (60 s).
    pub fn offset_flush_interval(&self) -> Duration {
        self.offset_flush_interval
    }

    /// `task.shutdown.graceful.timeout.ms` (5 s).
    pub fn task_shutdown_timeout(&self) -> Duration {
        self.task_shutdown_timeout
    }

    /// How long the start-up check waits for the brokers (`default.api.timeout.ms`).
    pub fn startup_timeout(&self) -> Duration {
        self.startup_timeout
    }

    /// Whether exactly-once source tasks are on (`exactly.once.source.support=enabled`).
    pub fn exactly_once_source(&self) -> bool {
        self.exactly_once_source
    }

    /// How long a task may take to stop when its work moves within the running worker or
    /// cluster (a restart, new task configs, a rebalance): `task.shutdown.graceful.timeout.ms`,
    /// but at least 30 s, so that it can commit before its successor starts.
    pub fn task_handover_timeout(&self) -> Duration {
        self.task_shutdown_timeout().max(Duration::from_secs(30))
    }

    /// The worker id shown in statuses: the advertised `host:port` of its REST API
    /// (`rest.advertised.host.name` and `rest.advertised.port`, else the advertised listener's).
    pub fn worker_id(&self) -> String {
        let listener = ListenerLayout::from_worker(&self.raw)
            .ok()
            .and_then(|layout| layout.advertised().cloned());
        let (host, port) = listener.map_or(("127.0.0.1".to_string(), 8083), |l| (l.host, l.port));
        let host = REST_ADVERTISED_HOST_NAME
            .read(&self.raw)
            .filter(|h| !h.trim().is_empty())
            .unwrap_or(host);
        let port = REST_ADVERTISED_PORT.read(&self.raw).filter(|p| *p != 0).unwrap_or(port);
        format!("{host}:{port}")
    }

    /// The URL other workers reach this one's REST API at (`http://host:port`).
    pub fn rest_advertised_url(&self) -> String {
        let scheme = ListenerLayout::from_worker(&self.raw).map_or(Scheme::Http, |l| l.advertised_scheme);
        format!("{scheme}://{}", self.worker_id())
    }

    /// Kafka client settings for `kind` as the user wrote them (the Java clients' names): the
    /// worker's `bootstrap.servers` and security settings, then its `<kind>.*` overrides.
    pub fn java_client_settings(&self, kind: ClientKind) -> ConfigMap {
        let mut out = self.shared_client_settings();
        let prefix = format!("{}.", kind.prefix());
        for (key, value) in &self.raw {
            if let Some(rest) = key.strip_prefix(&prefix) {
                out.insert(rest.to_string(), value.clone());
            }
        }
        out
    }

    /// The settings every client of the worker shares: `bootstrap.servers` and the security
    /// keys (the group membership's connection uses these alone).
    pub fn shared_client_settings(&self) -> ConfigMap {
        let mut out = ConfigMap::new();
        out.insert("bootstrap.servers".into(), self.bootstrap_servers().to_string());
        for (key, value) in &self.raw {
            if key.starts_with("security.") || key.starts_with("sasl.") || key.starts_with("ssl.") {
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }

    /// How the group membership's own connections reach the brokers.
    pub fn group_security(&self) -> Result<KafkaSecurity, Vec<ClientConfigError>> {
        ClientSettings::translate(&self.shared_client_settings(), ClientKind::Consumer).map(|s| s.security().clone())
    }

    /// An admin-side consumer of the worker's cluster, which keeps the fatal errors it meets
    /// (to ask for the cluster id).
    pub(crate) fn probe_client(&self) -> Result<BaseConsumer<ErrorCapture>, String> {
        let settings = self
            .client(ClientKind::Admin)
            .map_err(|errors| crate::client::describe(&errors))?;
        settings
            .client_config()
            .create_with_context(ErrorCapture::default())
            .map_err(|e| format!("cannot create a Kafka client: {e}"))
    }

    /// The Kafka cluster id, or `None` when the brokers do not answer within five seconds.
    pub async fn fetch_cluster_id(&self) -> Option<String> {
        let consumer = self.probe_client().ok()?;
        tokio::task::spawn_blocking(move || consumer.client().fetch_cluster_id(Duration::from_secs(5)))
            .await
            .ok()
            .flatten()
    }

    /// The librdkafka settings of a client of `kind` (see [`WorkerConfig::java_client_settings`]).
    pub fn client(&self, kind: ClientKind) -> Result<ClientSettings, Vec<ClientConfigError>> {
        ClientSettings::translate(&self.java_client_settings(kind), kind)
    }

    /// Every problem with the worker's own keys and its converters (each converter is made
    /// once, so an unknown class or a bad `value.converter.*` setting is found at start, as
    /// Apache finds it), one line each.
    pub fn check(&self) -> Vec<String> {
        let mut problems: Vec<String> = worker_config_def()
            .validate(&self.raw)
            .into_iter()
            .map(|e| e.message)
            .collect();
        for role in [ConverterRole::Key, ConverterRole::Value, ConverterRole::Header] {
            if let Err(e) = converter_for(role, &ConfigMap::new(), &self.raw) {
                let class = self
                    .raw
                    .get(role.config_key())
                    .map_or(role.default_class(), String::as_str);
                problems.push(format!(
                    "Invalid value {class} for configuration {}: {e}",
                    role.config_key()
                ));
            }
        }
        problems
    }

    /// Every problem with the worker's client settings, each under the key the worker file
    /// used (`producer.fetch.max.wait.ms`, `ssl.truststore.location`…); the unused settings are
    /// logged once.
    pub fn check_clients(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for kind in [ClientKind::Producer, ClientKind::Consumer, ClientKind::Admin] {
            match self.client(kind) {
                Ok(settings) => settings.warn_unused(kind.prefix()),
                Err(errors) => {
                    for error in errors {
                        let prefixed = format!("{}.{}", kind.prefix(), error.key);
                        let key = if self.raw.contains_key(&prefixed) {
                            prefixed
                        } else {
                            error.key.clone()
                        };
                        let line = format!("Invalid value for configuration {key}: {}", error.message);
                        if !problems.contains(&line) {
                            problems.push(line);
                        }
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        WorkerConfig::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn advertised_urls() {
        assert_eq!(worker(&[]).rest_advertised_url(), "http://127.0.0.1:8083");
        assert_eq!(
            worker(&[
                ("listeners", "http://0.0.0.0:8083"),
                ("rest.advertised.host.name", "w1")
            ])
            .worker_id(),
            "w1:8083"
        );
        assert_eq!(
            worker(&[("listeners", "https://localhost:0"), ("rest.advertised.port", "8443")]).rest_advertised_url(),
            "https://localhost:8443"
        );
    }

    #[test]
    fn worker_values_are_checked_at_start() {
        let problems = worker(&[
            ("offset.flush.interval.ms", "abc"),
            ("exactly.once.source.support", "maybe"),
            ("value.converter", "com.example.NoSuchConverter"),
            ("key.converter", "org.apache.kafka.connect.json.JsonConverter"),
        ])
        .check();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(
            problems[0],
            "Invalid value abc for configuration offset.flush.interval.ms: Not a number of type LONG"
        );
        assert!(problems[2].contains("value.converter") && problems[2].contains("com.example.NoSuchConverter"));
        assert!(worker(&[]).check().is_empty());
    }

    #[test]
    fn client_overrides() {
        let w = worker(&[
            ("bootstrap.servers", "b:1"),
            ("producer.linger.ms", "20"),
            ("consumer.fetch.min.bytes", "1"),
        ]);
        let producer = w.java_client_settings(ClientKind::Producer);
        assert_eq!(producer["bootstrap.servers"], "b:1");
        assert_eq!(producer["linger.ms"], "20");
        assert!(!producer.contains_key("fetch.min.bytes"));
        assert!(w.check_clients().is_empty());
        let bad = worker(&[("consumer.fetch.max.wait.ms", "soon"), ("security.protocol", "TLS")]);
        let problems = bad.check_clients();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("consumer.fetch.max.wait.ms")));
        assert!(problems.iter().any(|p| p.contains("configuration security.protocol")));
    }

    #[test]
    fn tasks_max_must_be_positive() {
        let config: ConfigMap = [("name", "x"), ("connector.class", "y"), ("tasks.max", "0")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let errors = connector_config_def().validate(&config);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("Value must be at least 1"));
    }
}
