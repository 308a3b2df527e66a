//! The translation table: each Java producer, consumer and admin setting of Kafka 4.x (other
//! than the security keys) and what librdkafka makes of it.

use super::{ClientKind, Translation};

/// What becomes of one Java setting.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
    /// librdkafka takes the same name and value.
    Same,
    /// librdkafka's name for it; the value is the same.
    Rename(&'static str),
    /// librdkafka's name for it and how its value is written there.
    Convert(&'static str, fn(&str) -> Result<String, String>),
    /// `max.poll.records`: the sink loop's batch size.
    MaxPollRecords,
    /// `compression.<codec>.level`: librdkafka's `compression.level` when that codec is used.
    CompressionLevel(&'static str),
    /// Means nothing here; said at start-up with the reason.
    Ignored(&'static str),
    /// Connect decides it (serializers): left out without a word.
    Silent,
    /// Cannot be honoured: a non-empty value is refused with the reason.
    Refused(&'static str),
}

/// Which clients a setting belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Clients {
    All,
    Producer,
    Consumer,
    ConsumerAdmin,
    Admin,
}

impl Clients {
    pub(super) fn has(self, kind: ClientKind) -> bool {
        match self {
            Clients::All => true,
            Clients::Producer => kind == ClientKind::Producer,
            Clients::Consumer => kind == ClientKind::Consumer,
            Clients::ConsumerAdmin => kind != ClientKind::Producer,
            Clients::Admin => kind == ClientKind::Admin,
        }
    }
}

const JAVA_METRICS: &str = "Java client metrics; the worker's own metrics are at /metrics";
const NO_TIMEOUT_API: &str = "librdkafka calls take their timeout from the caller";

/// Every Java setting the table knows: name, the clients it belongs to, its rule.
pub(super) const TABLE: &[(&str, Clients, Rule)] = &[
    // Common to every client.
    ("bootstrap.servers", Clients::All, Rule::Same),
    ("client.id", Clients::All, Rule::Same),
    ("client.dns.lookup", Clients::All, Rule::Same),
    ("client.rack", Clients::All, Rule::Same),
    ("connections.max.idle.ms", Clients::All, Rule::Same),
    // Java's periodic refresh (which finds new topics for `topics.regex`) is librdkafka's
    // `topic.metadata.refresh.interval.ms`; librdkafka's own `metadata.max.age.ms` is how long
    // its cache holds an entry (three refresh intervals).
    (
        "metadata.max.age.ms",
        Clients::All,
        Rule::Rename("topic.metadata.refresh.interval.ms"),
    ),
    ("metadata.recovery.strategy", Clients::All, Rule::Same),
    (
        "receive.buffer.bytes",
        Clients::All,
        Rule::Convert("socket.receive.buffer.bytes", socket_buffer),
    ),
    (
        "send.buffer.bytes",
        Clients::All,
        Rule::Convert("socket.send.buffer.bytes", socket_buffer),
    ),
    ("reconnect.backoff.ms", Clients::All, Rule::Same),
    ("reconnect.backoff.max.ms", Clients::All, Rule::Same),
    ("retry.backoff.ms", Clients::All, Rule::Same),
    ("retry.backoff.max.ms", Clients::All, Rule::Same),
    ("request.timeout.ms", Clients::Producer, Rule::Same),
    (
        "request.timeout.ms",
        Clients::ConsumerAdmin,
        Rule::Rename("socket.timeout.ms"),
    ),
    ("socket.connection.setup.timeout.ms", Clients::All, Rule::Same),
    (
        "socket.connection.setup.timeout.max.ms",
        Clients::All,
        Rule::Ignored("librdkafka has one connection set-up timeout, socket.connection.setup.timeout.ms"),
    ),
    ("enable.metrics.push", Clients::All, Rule::Same),
    ("metrics.num.samples", Clients::All, Rule::Ignored(JAVA_METRICS)),
    ("metrics.sample.window.ms", Clients::All, Rule::Ignored(JAVA_METRICS)),
    ("metrics.recording.level", Clients::All, Rule::Ignored(JAVA_METRICS)),
    ("metric.reporters", Clients::All, Rule::Ignored(JAVA_METRICS)),
    ("auto.include.jmx.reporter", Clients::All, Rule::Ignored(JAVA_METRICS)),
    (
        "interceptor.classes",
        Clients::All,
        Rule::Refused("Java interceptors cannot run in Tributary"),
    ),
    (
        "default.api.timeout.ms",
        Clients::ConsumerAdmin,
        Rule::Ignored(NO_TIMEOUT_API),
    ),
    ("retries", Clients::Admin, Rule::Ignored(NO_TIMEOUT_API)),
    // Producer.
    ("acks", Clients::Producer, Rule::Same),
    ("batch.size", Clients::Producer, Rule::Same),
    ("linger.ms", Clients::Producer, Rule::Same),
    (
        "buffer.memory",
        Clients::Producer,
        Rule::Convert("queue.buffering.max.kbytes", kilobytes),
    ),
    ("compression.type", Clients::Producer, Rule::Same),
    (
        "compression.gzip.level",
        Clients::Producer,
        Rule::CompressionLevel("gzip"),
    ),
    (
        "compression.lz4.level",
        Clients::Producer,
        Rule::CompressionLevel("lz4"),
    ),
    (
        "compression.zstd.level",
        Clients::Producer,
        Rule::CompressionLevel("zstd"),
    ),
    ("max.request.size", Clients::Producer, Rule::Rename("message.max.bytes")),
    (
        "delivery.timeout.ms",
        Clients::Producer,
        Rule::Rename("message.timeout.ms"),
    ),
    ("enable.idempotence", Clients::Producer, Rule::Same),
    ("max.in.flight.requests.per.connection", Clients::Producer, Rule::Same),
    ("retries", Clients::Producer, Rule::Same),
    ("transactional.id", Clients::Producer, Rule::Same),
    ("transaction.timeout.ms", Clients::Producer, Rule::Same),
    (
        "partitioner.class",
        Clients::Producer,
        Rule::Convert("partitioner", partitioner),
    ),
    (
        "partitioner.ignore.keys",
        Clients::Producer,
        Rule::Convert("partitioner", ignore_keys),
    ),
    (
        "partitioner.adaptive.partitioning.enable",
        Clients::Producer,
        Rule::Ignored("librdkafka's sticky partitioner is not adaptive"),
    ),
    (
        "partitioner.availability.timeout.ms",
        Clients::Producer,
        Rule::Ignored("librdkafka's sticky partitioner is not adaptive"),
    ),
    (
        "max.block.ms",
        Clients::Producer,
        Rule::Ignored("librdkafka never blocks a send; a full queue makes the task wait"),
    ),
    (
        "metadata.max.idle.ms",
        Clients::Producer,
        Rule::Ignored("librdkafka keeps metadata for the topics it produces to"),
    ),
    ("key.serializer", Clients::Producer, Rule::Silent),
    ("value.serializer", Clients::Producer, Rule::Silent),
    // Consumer.
    ("group.id", Clients::Consumer, Rule::Same),
    ("group.instance.id", Clients::Consumer, Rule::Same),
    ("group.protocol", Clients::Consumer, Rule::Same),
    ("group.remote.assignor", Clients::Consumer, Rule::Same),
    ("session.timeout.ms", Clients::Consumer, Rule::Same),
    ("heartbeat.interval.ms", Clients::Consumer, Rule::Same),
    ("max.poll.interval.ms", Clients::Consumer, Rule::Same),
    (
        "auto.offset.reset",
        Clients::Consumer,
        Rule::Convert("auto.offset.reset", offset_reset),
    ),
    ("enable.auto.commit", Clients::Consumer, Rule::Same),
    ("auto.commit.interval.ms", Clients::Consumer, Rule::Same),
    ("fetch.min.bytes", Clients::Consumer, Rule::Same),
    ("fetch.max.bytes", Clients::Consumer, Rule::Same),
    (
        "fetch.max.wait.ms",
        Clients::Consumer,
        Rule::Rename("fetch.wait.max.ms"),
    ),
    ("max.partition.fetch.bytes", Clients::Consumer, Rule::Same),
    ("max.poll.records", Clients::Consumer, Rule::MaxPollRecords),
    ("isolation.level", Clients::Consumer, Rule::Same),
    (
        "partition.assignment.strategy",
        Clients::Consumer,
        Rule::Convert("partition.assignment.strategy", assignors),
    ),
    ("check.crcs", Clients::Consumer, Rule::Same),
    ("allow.auto.create.topics", Clients::Consumer, Rule::Same),
    (
        "exclude.internal.topics",
        Clients::Consumer,
        Rule::Ignored("Connect never subscribes to internal topics by pattern"),
    ),
    ("key.deserializer", Clients::Consumer, Rule::Silent),
    ("value.deserializer", Clients::Consumer, Rule::Silent),
];

/// Applies `rule` to one Java setting.
pub(super) fn apply(key: &str, value: &str, rule: Rule, out: &mut Translation) {
    match rule {
        Rule::Same => out.set(key, key, value),
        Rule::Rename(name) => out.set(name, key, value),
        Rule::Convert(name, convert) => match convert(value.trim()) {
            Ok(converted) if converted.is_empty() => {}
            Ok(converted) => out.set(name, key, &converted),
            Err(message) => out.error(key, message),
        },
        Rule::MaxPollRecords => match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 => out.max_poll_records = Some(n),
            _ => out.error(key, "must be a whole number of at least 1".into()),
        },
        Rule::CompressionLevel(codec) => out.compression_levels.push((codec, key.to_string(), value.to_string())),
        Rule::Ignored(why) => out.notice(format!("The configuration '{key}' has no effect here: {why}.")),
        Rule::Silent => {}
        Rule::Refused(why) => {
            if !value.trim().is_empty() {
                out.error(key, why.to_string());
            }
        }
    }
}

/// Java's `-1` is "the OS default", librdkafka's `0`.
fn socket_buffer(value: &str) -> Result<String, String> {
    match value.parse::<i64>() {
        Ok(-1) => Ok("0".into()),
        Ok(n) if n >= 0 => Ok(n.to_string()),
        _ => Err("must be -1 (the OS default) or a number of bytes".into()),
    }
}

/// Bytes, as librdkafka's kilobytes (at least 1).
fn kilobytes(value: &str) -> Result<String, String> {
    match value.parse::<u64>() {
        Ok(bytes) => Ok((bytes / 1024).max(1).to_string()),
        Err(_) => Err("must be a number of bytes".into()),
    }
}

/// Java's partitioners as librdkafka's: the default partitioner hashes keys with murmur2, as
/// librdkafka's `murmur2_random` does, so keys land on the same partitions as from Java.
fn partitioner(value: &str) -> Result<String, String> {
    let simple = value.rsplit('.').next().unwrap_or(value);
    match simple {
        "" | "DefaultPartitioner" => Ok("murmur2_random".into()),
        "UniformStickyPartitioner" => Ok("random".into()),
        _ => Err(format!(
            "the Java partitioner {value} cannot run in Tributary (librdkafka's partitioners are murmur2_random, \
             the default, and random)"
        )),
    }
}

fn ignore_keys(value: &str) -> Result<String, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok("random".into()),
        "false" => Ok(String::new()),
        _ => Err("must be true or false".into()),
    }
}

fn offset_reset(value: &str) -> Result<String, String> {
    match value.to_ascii_lowercase().as_str() {
        "earliest" | "latest" => Ok(value.to_ascii_lowercase()),
        "none" => Ok("error".into()),
        _ => Err(format!("'{value}' is not one of earliest, latest, none")),
    }
}

/// Java's assignor classes as librdkafka's strategy names.
fn assignors(value: &str) -> Result<String, String> {
    let mut names = Vec::new();
    for class in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let simple = class.rsplit('.').next().unwrap_or(class);
        names.push(match simple {
            "RangeAssignor" | "range" => "range",
            "RoundRobinAssignor" | "roundrobin" => "roundrobin",
            "CooperativeStickyAssignor" | "cooperative-sticky" => "cooperative-sticky",
            _ => {
                return Err(format!(
                    "{class} has no librdkafka equivalent (RangeAssignor, RoundRobinAssignor and \
                     CooperativeStickyAssignor do)"
                ))
            }
        });
    }
    Ok(names.join(","))
}
