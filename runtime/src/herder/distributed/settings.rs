//! A worker's distributed-mode settings: the group, the internal topics, the group protocol's
//! timings and the signing of internal requests (`inter.worker.*`), each key declared once and
//! the whole checked at start-up, every problem reported.

use std::time::Duration;

use crate::config::{positive, ConfigDef, ConfigKey, ConfigType, Key};
use crate::rest::signature::ALGORITHMS;
use crate::storage::InternalTopic;
use crate::worker::WorkerConfig;

/// A required internal setting that may not be blank.
const fn required(name: &'static str, documentation: &'static str) -> ConfigKey {
    ConfigKey::required(name, ConfigType::String, documentation).check(crate::config::not_blank)
}

/// An INT setting with a default.
const fn int(name: &'static str, default: &'static str, documentation: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::Int, default, documentation)
}

/// A LONG setting with a default.
const fn long(name: &'static str, default: &'static str, documentation: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::Long, default, documentation)
}

/// `group.id`.
pub(super) const GROUP_ID: Key<String> = Key::new(required("group.id", "The Connect cluster's group."));
/// `config.storage.topic`.
pub(super) const CONFIG_STORAGE_TOPIC: Key<String> =
    Key::new(required("config.storage.topic", "The topic of connector configs."));
/// `offset.storage.topic`.
pub(super) const OFFSET_STORAGE_TOPIC: Key<String> =
    Key::new(required("offset.storage.topic", "The topic of source offsets."));
/// `status.storage.topic`.
pub(super) const STATUS_STORAGE_TOPIC: Key<String> =
    Key::new(required("status.storage.topic", "The topic of statuses."));
/// `config.storage.replication.factor`.
pub(super) const CONFIG_REPLICATION: Key<i32> =
    Key::new(int("config.storage.replication.factor", "3", "Its replication factor."));
/// `offset.storage.partitions`.
pub(super) const OFFSET_PARTITIONS: Key<i32> =
    Key::new(int("offset.storage.partitions", "25", "Its partitions.").check(positive));
/// `offset.storage.replication.factor`.
pub(super) const OFFSET_REPLICATION: Key<i32> =
    Key::new(int("offset.storage.replication.factor", "3", "Its replication factor."));
/// `status.storage.partitions`.
pub(super) const STATUS_PARTITIONS: Key<i32> =
    Key::new(int("status.storage.partitions", "5", "Its partitions.").check(positive));
/// `status.storage.replication.factor`.
pub(super) const STATUS_REPLICATION: Key<i32> =
    Key::new(int("status.storage.replication.factor", "3", "Its replication factor."));
/// `session.timeout.ms`.
pub(super) const SESSION_TIMEOUT: Key<Duration> = Key::new(int(
    "session.timeout.ms",
    "10000",
    "How long a silent worker stays in the group.",
));
/// `heartbeat.interval.ms`.
pub(super) const HEARTBEAT_INTERVAL: Key<Duration> = Key::new(int(
    "heartbeat.interval.ms",
    "1000",
    "How often a worker tells the group it is alive (Apache's 3 s makes failover slower for no gain).",
));
/// `rebalance.timeout.ms`.
pub(super) const REBALANCE_TIMEOUT: Key<Duration> =
    Key::new(int("rebalance.timeout.ms", "60000", "How long a rebalance may take."));
/// `scheduled.rebalance.max.delay.ms`.
pub(super) const SCHEDULED_REBALANCE_DELAY: Key<Duration> = Key::new(int(
    "scheduled.rebalance.max.delay.ms",
    "0",
    "How long the work of a worker that vanished waits for it to come back (Apache's 300 s makes failover take minutes).",
));
/// `connect.protocol`: Apache's group subprotocol (`eager`, `compatible`, `sessioned`).
/// Tributary's workers speak their own, always incremental and sessioned; the value is only
/// checked, as Apache checks it.
const CONNECT_PROTOCOL: Key<String> = Key::new(
    ConfigKey::optional(
        "connect.protocol",
        ConfigType::String,
        "sessioned",
        "Apache's rebalancing protocol; Tributary's workers always rebalance incrementally with sessioned requests.",
    )
    .check(|value| {
        ["eager", "compatible", "sessioned"]
            .iter()
            .any(|known| known.eq_ignore_ascii_case(value))
            .then_some(())
            .ok_or_else(|| "Invalid Connect protocol compatibility".to_string())
    }),
);
/// `inter.worker.signature.algorithm`.
pub(super) const SIGNATURE_ALGORITHM: Key<String> = Key::new(
    ConfigKey::optional(
        "inter.worker.signature.algorithm",
        ConfigType::String,
        "HmacSHA256",
        "How this worker signs internal requests.",
    )
    .one_of(&ALGORITHMS),
);
/// `inter.worker.verification.algorithms`.
pub(super) const VERIFICATION_ALGORITHMS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "inter.worker.verification.algorithms",
        ConfigType::List,
        "HmacSHA256",
        "The signatures of internal requests this worker accepts.",
    )
    .check(known_algorithms),
);
/// `inter.worker.key.generation.algorithm`.
pub(super) const KEY_ALGORITHM: Key<String> = Key::new(
    ConfigKey::optional(
        "inter.worker.key.generation.algorithm",
        ConfigType::String,
        "HmacSHA256",
        "The session keys the leader makes.",
    )
    .one_of(&ALGORITHMS),
);
/// `inter.worker.key.size`.
pub(super) const KEY_SIZE: Key<usize> =
    Key::new(int("inter.worker.key.size", "256", "The session keys' size, in bits.").check(positive));
/// `inter.worker.key.ttl.ms`.
pub(super) const KEY_TTL: Key<Duration> = Key::new(
    long(
        "inter.worker.key.ttl.ms",
        "3600000",
        "When the leader replaces the session key.",
    )
    .check(positive),
);

fn known_algorithms(value: &str) -> Result<(), String> {
    match crate::config::split_list(value)
        .into_iter()
        .find(|a| !ALGORITHMS.contains(&a.as_str()))
    {
        Some(unknown) => Err(format!("{unknown} is not one of {}", ALGORITHMS.join(", "))),
        None => Ok(()),
    }
}

/// The distributed-mode keys of a worker.
pub(super) fn distributed_config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&GROUP_ID)
        .key(&CONFIG_STORAGE_TOPIC)
        .key(&OFFSET_STORAGE_TOPIC)
        .key(&STATUS_STORAGE_TOPIC)
        .key(&CONFIG_REPLICATION)
        .key(&OFFSET_PARTITIONS)
        .key(&OFFSET_REPLICATION)
        .key(&STATUS_PARTITIONS)
        .key(&STATUS_REPLICATION)
        .key(&SESSION_TIMEOUT)
        .key(&HEARTBEAT_INTERVAL)
        .key(&REBALANCE_TIMEOUT)
        .key(&SCHEDULED_REBALANCE_DELAY)
        .key(&CONNECT_PROTOCOL)
        .key(&SIGNATURE_ALGORITHM)
        .key(&VERIFICATION_ALGORITHMS)
        .key(&KEY_ALGORITHM)
        .key(&KEY_SIZE)
        .key(&KEY_TTL)
}

/// The distributed-mode settings of a worker config, checked.
#[derive(Debug, Clone)]
pub struct DistributedSettings {
    /// `group.id`.
    pub group_id: String,
    /// `config.storage.topic` (always one partition).
    pub config_topic: InternalTopic,
    /// `offset.storage.topic`.
    pub offset_topic: InternalTopic,
    /// `status.storage.topic`.
    pub status_topic: InternalTopic,
    /// `session.timeout.ms` (10 s, as Apache).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms` (1 s; Apache's 3 s makes failover slower for no gain).
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms` (60 s).
    pub rebalance_timeout: Duration,
    /// `scheduled.rebalance.max.delay.ms`: how long the work of a worker that vanished waits
    /// for it to come back. 0 by default (reassigned at once); Apache's 300 s default is what
    /// makes its failover take minutes.
    pub scheduled_rebalance_delay: Duration,
    /// How internal requests are signed (`inter.worker.*`).
    pub signing: SigningSettings,
}

/// How the workers of a cluster sign the requests they send each other (Apache's
/// `inter.worker.*` keys).
#[derive(Debug, Clone)]
pub struct SigningSettings {
    /// `inter.worker.signature.algorithm` (`HmacSHA256`): how this worker signs.
    pub signature_algorithm: String,
    /// `inter.worker.verification.algorithms` (`HmacSHA256`): the signatures it accepts.
    pub verification_algorithms: Vec<String>,
    /// `inter.worker.key.generation.algorithm` (`HmacSHA256`): the session keys it makes.
    pub key_algorithm: String,
    /// `inter.worker.key.size`, in bits (32 bytes when unset).
    pub key_size_bits: usize,
    /// `inter.worker.key.ttl.ms` (1 hour): when the leader replaces the session key.
    pub key_ttl: Duration,
}

impl DistributedSettings {
    /// Reads and checks the settings; every problem is reported, one line each.
    pub fn from_worker(config: &WorkerConfig) -> Result<Self, Vec<String>> {
        let def = distributed_config_def();
        let mut problems: Vec<String> = def.validate(&config.raw).into_iter().map(|e| e.message).collect();
        let parsed = def.with_defaults(&config.raw);
        let protocol = parsed.value(&CONNECT_PROTOCOL);
        if !protocol.eq_ignore_ascii_case("sessioned") {
            tracing::warn!(
                "connect.protocol={protocol} has no effect: Tributary's workers always rebalance incrementally, with signed requests"
            );
        }
        let topic = |setting: &'static str, key: &Key<String>, partitions: i32, replication: &Key<i32>| InternalTopic {
            setting,
            name: parsed.value(key).trim().to_string(),
            partitions,
            replication_factor: parsed.value(replication),
            required_partitions: None,
        };
        let config_topic = InternalTopic {
            required_partitions: Some(1),
            ..topic(
                CONFIG_STORAGE_TOPIC.name(),
                &CONFIG_STORAGE_TOPIC,
                1,
                &CONFIG_REPLICATION,
            )
        };
        let offset_topic = topic(
            OFFSET_STORAGE_TOPIC.name(),
            &OFFSET_STORAGE_TOPIC,
            parsed.value(&OFFSET_PARTITIONS),
            &OFFSET_REPLICATION,
        );
        let status_topic = topic(
            STATUS_STORAGE_TOPIC.name(),
            &STATUS_STORAGE_TOPIC,
            parsed.value(&STATUS_PARTITIONS),
            &STATUS_REPLICATION,
        );
        let signing = SigningSettings {
            signature_algorithm: parsed.value(&SIGNATURE_ALGORITHM).trim().to_string(),
            verification_algorithms: parsed.value(&VERIFICATION_ALGORITHMS),
            key_algorithm: parsed.value(&KEY_ALGORITHM).trim().to_string(),
            key_size_bits: parsed.value(&KEY_SIZE),
            key_ttl: parsed.value(&KEY_TTL),
        };
        if !signing.verification_algorithms.contains(&signing.signature_algorithm) {
            problems.push(format!(
                "Signature algorithm '{}' must be present in inter.worker.verification.algorithms list",
                signing.signature_algorithm
            ));
        }
        let names = [&config_topic.name, &offset_topic.name, &status_topic.name];
        if names.iter().all(|n| !n.is_empty()) && (names[0] == names[1] || names[0] == names[2] || names[1] == names[2])
        {
            problems.push(
                "config.storage.topic, offset.storage.topic and status.storage.topic must name three different topics"
                    .into(),
            );
        }
        let (session_timeout, heartbeat_interval) = (parsed.value(&SESSION_TIMEOUT), parsed.value(&HEARTBEAT_INTERVAL));
        if heartbeat_interval >= session_timeout {
            problems.push("heartbeat.interval.ms must be lower than session.timeout.ms".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(DistributedSettings {
            group_id: parsed.value(&GROUP_ID).trim().to_string(),
            config_topic,
            offset_topic,
            status_topic,
            session_timeout,
            heartbeat_interval,
            rebalance_timeout: parsed.value(&REBALANCE_TIMEOUT),
            scheduled_rebalance_delay: parsed.value(&SCHEDULED_REBALANCE_DELAY),
            signing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(pairs: &[(&str, &str)]) -> WorkerConfig {
        WorkerConfig::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn every_missing_setting_is_reported() {
        let problems = DistributedSettings::from_worker(&worker(&[("group.id", "g")])).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("config.storage.topic"));
    }

    #[test]
    fn apache_sample_settings_are_accepted() {
        let settings = DistributedSettings::from_worker(&worker(&[
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.topic", "connect-offsets"),
            ("status.storage.topic", "connect-status"),
            ("config.storage.replication.factor", "1"),
        ]))
        .unwrap();
        assert_eq!(settings.config_topic.replication_factor, 1);
        assert_eq!(settings.offset_topic.partitions, 25);
        assert_eq!(settings.status_topic.partitions, 5);
        assert_eq!(settings.scheduled_rebalance_delay, Duration::ZERO);
        assert_eq!(settings.signing.signature_algorithm, "HmacSHA256");
        assert_eq!(settings.signing.key_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn signing_algorithms_are_checked() {
        let problems = DistributedSettings::from_worker(&worker(&[
            ("group.id", "g"),
            ("config.storage.topic", "c"),
            ("offset.storage.topic", "o"),
            ("status.storage.topic", "s"),
            ("inter.worker.signature.algorithm", "HmacSHA512"),
            ("inter.worker.key.ttl.ms", "soon"),
        ]))
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("inter.worker.key.ttl.ms"), "{problems:?}");
        assert!(problems[1].contains("must be present in inter.worker.verification.algorithms"));
    }

    #[test]
    fn the_connect_protocol_is_one_of_apaches() {
        let with = |protocol: &str| {
            DistributedSettings::from_worker(&worker(&[
                ("group.id", "g"),
                ("config.storage.topic", "c"),
                ("offset.storage.topic", "o"),
                ("status.storage.topic", "s"),
                ("connect.protocol", protocol),
            ]))
        };
        assert!(with("EAGER").is_ok());
        assert!(with("compatible").is_ok());
        assert_eq!(
            with("cooperative").unwrap_err(),
            ["Invalid value cooperative for configuration connect.protocol: Invalid Connect protocol compatibility"]
        );
    }
}
