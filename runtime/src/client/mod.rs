//! Kafka client settings as Connect and MirrorMaker 2 users write them — the Java clients' names
//! (`receive.buffer.bytes`, `fetch.max.wait.ms`, `ssl.truststore.location`, `sasl.jaas.config`…)
//! — turned into librdkafka's, for every client the worker creates.
//!
//! One table ([`table`]) maps the Java producer, consumer and admin settings of Kafka 4.x;
//! [`security`] reads the TLS and SASL keys into a [`KafkaSecurity`] that librdkafka and the
//! worker's own group connection both use. A key the table does not know goes to librdkafka as
//! it is when librdkafka knows it (its own names work too); otherwise it is reported once, as
//! the Java clients do ("supplied but isn't a known config"), and left out. A value librdkafka
//! or the table refuses is a [`ClientConfigError`] naming the key the user wrote.

mod context;
mod fetch_queue;
pub(crate) mod jaas;
pub(crate) mod oauth;
mod off_runtime;
mod produce_in_place;
mod security;
mod table;
mod topics;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaConfRes;

pub use context::ErrorCapture;
pub use fetch_queue::{Arrival, FetchQueue, FetchRoute, Fetched, FetchedHeaders, FetchedMessage, TopicHandle};
pub use off_runtime::DropOffRuntime;
pub use produce_in_place::{NativeHeaders, Placement, ProducerTopic, RunQueued, RunRecord};
pub(crate) use security::read_tls_settings;
pub use security::{KafkaSecurity, SaslSettings, SecurityProtocol, TlsSettings};
pub use topics::{create_if_missing, Creation, NewTopicSpec};

use crate::config::ConfigMap;

/// Which Java client a group of settings is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A producer (`producer.*`).
    Producer,
    /// A consumer (`consumer.*`).
    Consumer,
    /// An admin client (`admin.*`).
    Admin,
}

impl ClientKind {
    /// The prefix of its settings in worker and connector configs.
    pub fn prefix(self) -> &'static str {
        match self {
            ClientKind::Producer => "producer",
            ClientKind::Consumer => "consumer",
            ClientKind::Admin => "admin",
        }
    }
}

/// A client setting that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid value for configuration {key}: {message}")]
pub struct ClientConfigError {
    /// The key as the user wrote it (without the prefix it came under).
    pub key: String,
    /// Why.
    pub message: String,
}

/// The librdkafka settings of one client, translated from the Java clients' names.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    rdkafka: BTreeMap<String, String>,
    max_poll_records: Option<usize>,
    security: KafkaSecurity,
    notices: Vec<String>,
}

impl ClientSettings {
    /// Translates `java` (keys without their `producer.`/`consumer.`/`admin.` prefix) for a
    /// client of `kind`. Every problem is returned, not only the first.
    pub fn translate(java: &ConfigMap, kind: ClientKind) -> Result<Self, Vec<ClientConfigError>> {
        let mut out = Translation::default();
        // librdkafka's default pushes client metrics to brokers that subscribe to them
        // (KIP-714) and keeps, for that, histograms per broker connection of every client: 8.7
        // MB of a two-task mirror's 88 MB allocated at its peak (heap profile, BENCHMARKS.md).
        // Brokers without a telemetry plugin subscribe to nothing; `enable.metrics.push=true`
        // turns it back on.
        out.set("enable.metrics.push", "enable.metrics.push", "false");
        // The Java clients' reconnect back-off, 50 ms growing to 1 s, instead of librdkafka's
        // 100 ms growing to 10 s: a restarted broker is reached again within a second, and a
        // new client connects to the first broker it learns of 25 ms after its bootstrap
        // connection instead of 50 (librdkafka spaces those by half the back-off).
        out.set("reconnect.backoff.ms", "reconnect.backoff.ms", "50");
        out.set("reconnect.backoff.max.ms", "reconnect.backoff.max.ms", "1000");
        if kind == ClientKind::Producer {
            // Java's default partitioner, so that keys land where a Java producer puts them.
            out.set("partitioner", "partitioner.class", "murmur2_random");
        }
        let security = security::translate(java, &mut out);
        for (key, value) in java {
            if security::handles(key) {
                continue;
            }
            let mut entries = table::TABLE.iter().filter(|(name, _, _)| name == key).peekable();
            if entries.peek().is_some() {
                // A setting of another kind of client (a consumer key among shared cluster
                // settings, say) is left out, as the Java clients leave it unused.
                if let Some((_, _, rule)) = entries.find(|(_, clients, _)| clients.has(kind)) {
                    table::apply(key, value, *rule, &mut out);
                }
            } else {
                out.set(key, key, value);
            }
        }
        out.finish_compression_levels();
        out.finish_reconnect_backoff();
        out.check_with_librdkafka();
        if !out.errors.is_empty() {
            return Err(out.errors);
        }
        Ok(ClientSettings {
            rdkafka: out.rdkafka.into_iter().map(|(k, (v, _))| (k, v)).collect(),
            max_poll_records: out.max_poll_records,
            security,
            notices: out.notices,
        })
    }

    /// The librdkafka configuration, with librdkafka's own log lines routed to `tracing`
    /// (target `librdkafka`): warnings and worse, or its debug lines too when the client's
    /// librdkafka `debug` setting names what to trace (`producer.override.debug=msg`, seen
    /// with `RUST_LOG=info,librdkafka=debug`).
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        for (key, value) in &self.rdkafka {
            config.set(key, value);
        }
        config.set_log_level(if self.rdkafka.contains_key("debug") {
            RDKafkaLogLevel::Debug
        } else {
            RDKafkaLogLevel::Warning
        });
        config
    }

    /// A librdkafka setting, as translated.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.rdkafka.get(key).map(String::as_str)
    }

    /// Sets a librdkafka setting (the worker's own choices, after the user's).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.rdkafka.insert(key.to_string(), value.into());
        self
    }

    /// Sets a librdkafka setting unless the user chose one.
    pub fn set_default(&mut self, key: &str, value: &str) -> &mut Self {
        self.rdkafka.entry(key.to_string()).or_insert_with(|| value.to_string());
        self
    }

    /// `max.poll.records`, for the loop that consumes.
    pub fn max_poll_records(&self) -> Option<usize> {
        self.max_poll_records
    }

    /// How the client reaches a secured cluster.
    pub fn security(&self) -> &KafkaSecurity {
        &self.security
    }

    /// Logs, once per process, each setting that was left out and why.
    pub fn warn_unused(&self, client: &str) {
        static SAID: Mutex<Option<HashSet<String>>> = Mutex::new(None);
        let mut said = SAID.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let said = said.get_or_insert_with(HashSet::new);
        for notice in &self.notices {
            if said.insert(format!("{client}: {notice}")) {
                tracing::warn!(client, "{notice}");
            }
        }
    }
}

/// Formats client configuration problems as one line, each with its key.
pub fn describe(errors: &[ClientConfigError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// What a translation has produced so far.
#[derive(Default)]
struct Translation {
    /// librdkafka name → (value, the Java key it came from).
    rdkafka: BTreeMap<String, (String, String)>,
    errors: Vec<ClientConfigError>,
    notices: Vec<String>,
    max_poll_records: Option<usize>,
    /// (codec, Java key, value) of `compression.<codec>.level` settings.
    compression_levels: Vec<(&'static str, String, String)>,
}

impl Translation {
    fn set(&mut self, name: &str, from: &str, value: &str) {
        self.rdkafka
            .insert(name.to_string(), (value.to_string(), from.to_string()));
    }

    fn error(&mut self, key: &str, message: String) {
        self.errors.push(ClientConfigError {
            key: key.to_string(),
            message,
        });
    }

    fn notice(&mut self, message: String) {
        self.notices.push(message);
    }

    /// `compression.<codec>.level` becomes `compression.level` when that codec is in use.
    fn finish_compression_levels(&mut self) {
        let codec = self
            .rdkafka
            .get("compression.type")
            .map(|(v, _)| v.trim().to_ascii_lowercase());
        for (level_codec, key, value) in std::mem::take(&mut self.compression_levels) {
            if codec.as_deref() == Some(level_codec) {
                self.set("compression.level", &key, &value);
            }
        }
    }

    /// A reconnect back-off above its maximum starts at the maximum, as the Java clients take
    /// it (librdkafka would refuse the pair).
    fn finish_reconnect_backoff(&mut self) {
        let millis = |key: &str| self.rdkafka.get(key).and_then(|(v, _)| v.trim().parse::<u64>().ok());
        if let (Some(initial), Some(max)) = (millis("reconnect.backoff.ms"), millis("reconnect.backoff.max.ms")) {
            if initial > max {
                if let Some((value, _)) = self.rdkafka.get_mut("reconnect.backoff.ms") {
                    *value = max.to_string();
                }
            }
        }
    }

    /// Asks librdkafka about every setting: a name it does not know is reported and left out,
    /// a value it refuses is an error under the user's key.
    fn check_with_librdkafka(&mut self) {
        let mut unknown = Vec::new();
        for (name, (value, from)) in &self.rdkafka {
            let mut probe = ClientConfig::new();
            probe.set(name, value);
            match probe.create_native_config() {
                Ok(_) => {}
                Err(KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, ..)) => unknown.push(name.clone()),
                Err(KafkaError::ClientConfig(_, description, ..)) => self.errors.push(ClientConfigError {
                    key: from.clone(),
                    message: description,
                }),
                Err(other) => self.errors.push(ClientConfigError {
                    key: from.clone(),
                    message: other.to_string(),
                }),
            }
        }
        for name in unknown {
            self.rdkafka.remove(&name);
            self.notice(format!(
                "The configuration '{name}' was supplied but isn't a known config."
            ));
        }
    }
}

#[cfg(test)]
mod tests;
