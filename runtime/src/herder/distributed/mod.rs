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
    }
}
