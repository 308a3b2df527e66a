//! The distributed herder: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in Kafka topics, and split the
//! connectors and tasks between them. Kafka is the whole coordination engine, as for Apache
//! Kafka Connect: no consensus of our own, no external store.

mod assignor;
mod connection;
mod group;
mod herder;
mod protocol;
mod transport;

use std::time::Duration;

pub use herder::DistributedHerder;

use crate::rest::signature::ALGORITHMS;
use crate::storage::InternalTopic;
use crate::worker::WorkerConfig;

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

impl SigningSettings {
    fn from_worker(raw: &crate::config::ConfigMap, problems: &mut Vec<String>) -> Self {
        let get = |key: &str| raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut algorithm = |key: &str| {
            let value = get(key).unwrap_or("HmacSHA256");
            if !ALGORITHMS.contains(&value) {
                problems.push(format!(
                    "Invalid value {value} for configuration {key}: must be one of {}",
                    ALGORITHMS.join(", ")
                ));
            }
            value.to_string()
        };
        let signature_algorithm = algorithm("inter.worker.signature.algorithm");
        let key_algorithm = algorithm("inter.worker.key.generation.algorithm");
        let verification_algorithms =
            crate::config::split_list(get("inter.worker.verification.algorithms").unwrap_or("HmacSHA256"));
        for value in &verification_algorithms {
            if !ALGORITHMS.contains(&value.as_str()) {
                problems.push(format!(
                    "Invalid value {value} for configuration inter.worker.verification.algorithms: must be one of {}",
                    ALGORITHMS.join(", ")
                ));
            }
        }
        if !verification_algorithms.contains(&signature_algorithm) {
            problems.push(format!(
                "Signature algorithm '{signature_algorithm}' must be present in inter.worker.verification.algorithms list"
            ));
        }
        let mut number = |key: &str, default: i64| match get(key).map(str::parse::<i64>) {
            None => default,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => {
                problems.push(format!(
                    "Invalid value {} for configuration {key}: must be a positive number",
                    get(key).unwrap_or_default()
                ));
                default
            }
        };
        let key_size_bits = number("inter.worker.key.size", 256) as usize;
        let key_ttl = Duration::from_millis(number("inter.worker.key.ttl.ms", 3_600_000) as u64);
        SigningSettings {
            signature_algorithm,
            verification_algorithms,
            key_algorithm,
            key_size_bits,
            key_ttl,
        }
    }
}

impl DistributedSettings {
    /// Reads and checks the settings; every problem is reported, one line each.
    pub fn from_worker(config: &WorkerConfig) -> Result<Self, Vec<String>> {
        let raw = &config.raw;
        let mut problems = Vec::new();
        let get = |key: &str| raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut required = |key: &str| match get(key) {
            Some(value) => value.to_string(),
            None => {
                problems.push(format!(
                    "Missing required configuration \"{key}\" which has no default value."
                ));
                String::new()
            }
        };
        let group_id = required("group.id");
        let config_name = required("config.storage.topic");
        let offset_name = required("offset.storage.topic");
        let status_name = required("status.storage.topic");
        let mut number = |key: &str, default: i64| -> i64 {
            match get(key) {
                None => default,
                Some(value) => match value.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        problems.push(format!("Invalid value {value} for configuration {key}: Not a number"));
                        default
                    }
                },
            }
        };
        let replication = |n: i64| n as i32;
        let config_topic = InternalTopic {
            setting: "config.storage.topic",
            name: config_name,
            partitions: 1,
            replication_factor: replication(number("config.storage.replication.factor", 3)),
            required_partitions: Some(1),
        };
        let offset_topic = InternalTopic {
            setting: "offset.storage.topic",
            name: offset_name,
            partitions: number("offset.storage.partitions", 25) as i32,
            replication_factor: replication(number("offset.storage.replication.factor", 3)),
            required_partitions: None,
        };
        let status_topic = InternalTopic {
            setting: "status.storage.topic",
            name: status_name,
            partitions: number("status.storage.partitions", 5) as i32,
            replication_factor: replication(number("status.storage.replication.factor", 3)),
            required_partitions: None,
        };
        let millis = |n: i64| Duration::from_millis(n.max(0) as u64);
        let session_timeout = millis(number("session.timeout.ms", 10_000));
        let heartbeat_interval = millis(number("heartbeat.interval.ms", 1_000));
        let rebalance_timeout = millis(number("rebalance.timeout.ms", 60_000));
        let scheduled_rebalance_delay = millis(number("scheduled.rebalance.max.delay.ms", 0));
        let signing = SigningSettings::from_worker(raw, &mut problems);
        let names = [&config_topic.name, &offset_topic.name, &status_topic.name];
        if names.iter().all(|n| !n.is_empty()) && (names[0] == names[1] || names[0] == names[2] || names[1] == names[2])
        {
            problems.push(
                "config.storage.topic, offset.storage.topic and status.storage.topic must name three different topics"
                    .into(),
            );
        }
        if heartbeat_interval >= session_timeout {
            problems.push("heartbeat.interval.ms must be lower than session.timeout.ms".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(DistributedSettings {
            group_id,
            config_topic,
            offset_topic,
            status_topic,
            session_timeout,
            heartbeat_interval,
            rebalance_timeout,
            scheduled_rebalance_delay,
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
        assert!(problems[0].contains("must be present in inter.worker.verification.algorithms"));
    }
}
