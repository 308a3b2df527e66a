//! What the benchmarks share: numbers from the environment, the spread of a measurement's
//! rounds, CPU time and peak memory of a process (from /proc), waiting for a condition, a free
//! port, plain HTTP calls through curl, a connector submitted and timed (and its rate once
//! writing), a topic's watermark and a worker's metrics read through one kept client, a topic
//! read from its beginning, a producer
//! set as the worker's source producers are, the broker's produce path warmed before a
//! measurement, a mirror file for one flow, and the database benches' table of rows.

// Each benchmark includes this file and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tributary_harness::clients::send_waiting;
use tributary_harness::{Database, DatabaseKind};

/// The value of the environment variable `name`, or `default` when it is unset or does not parse.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The lowest, the median and the highest of `values` (NaN for none).
pub fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => (f64::NAN, f64::NAN, f64::NAN),
        n => (values[0], values[n / 2], values[n - 1]),
    }
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// User + system CPU seconds of `pid` (or of this process for "self").
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / ticks_per_second()
}

/// Peak resident set of `pid`, in MB.
pub fn peak_rss_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Writes every dirty page to disk and waits for it: a step's written files would otherwise be
/// written back by the kernel about 30 s later (`vm.dirty_expire_centisecs`), on the CPU and the
/// disk of whichever step runs then.
pub fn write_back_dirty_pages() {
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
}

/// Waits until `done`, polling every 100 ms; panics after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, done: impl FnMut() -> bool) {
    wait_polling(what, timeout, Duration::from_millis(100), done)
}

/// Waits until `done`, polling every `interval`; panics after `timeout`.
fn wait_polling(what: &str, timeout: Duration, interval: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "benchmark step timed out: {what}");
        std::thread::sleep(interval);
    }
}

/// Follows a connector's step through the polls that wait for it: when it was first seen to
/// have written something (rows, records or bytes), how much then, and when it had written it
/// all; which tells its streaming rate apart from the time it takes to start (the task, its
/// consumer joining its group). Each end is known to a poll's interval, as the step's whole
/// time is.
pub struct Writing {
    total: f64,
    first: Option<(Instant, f64)>,
    done: Option<Instant>,
}

impl Writing {
    /// A step that writes `total` rows, records or bytes, nothing seen yet.
    pub fn of(total: usize) -> Self {
        Writing {
            total: total as f64,
            first: None,
            done: None,
        }
    }

    /// Notes that `written` of them are written; whether that is all.
    pub fn note(&mut self, written: f64) -> bool {
        let now = Instant::now();
        if written > 0.0 && self.first.is_none() {
            self.first = Some((now, written));
        }
        let finished = written >= self.total;
        if finished {
            self.done.get_or_insert(now);
        }
        finished
    }

    /// The rate (of what `total` counts, per second) from the first poll that saw something
    /// written to the one that saw it all.
    pub fn streaming_rate(&self) -> Option<f64> {
        let (first, written) = self.first?;
        let seconds = self.done?.duration_since(first).as_secs_f64();
        (seconds > 0.0).then(|| (self.total - written) / seconds)
    }
}

/// Asks for a topic's high watermark through one client kept between polls (creating one per
/// poll took half a core from the step it measured); a client that failed (the topic did not
/// exist yet) is replaced at the next poll.
pub struct Watermarks {
    bootstrap: String,
    consumer: Option<BaseConsumer>,
}

impl Watermarks {
    /// Watermarks of topics on the cluster at `bootstrap`; the client is made at the first poll.
    pub fn new(bootstrap: &str) -> Self {
        Watermarks {
            bootstrap: bootstrap.into(),
            consumer: None,
        }
    }

    /// The high watermark of partition 0 of `topic`, 0 when it cannot be read.
    pub fn high(&mut self, topic: &str) -> i64 {
        let bootstrap = &self.bootstrap;
        let consumer = self.consumer.get_or_insert_with(|| {
            ClientConfig::new()
                .set("bootstrap.servers", bootstrap)
                .create()
                .expect("a consumer")
        });
        match consumer.fetch_watermarks(topic, 0, Duration::from_secs(10)) {
            Ok((_, high)) => high,
            Err(_) => {
                self.consumer = None;
                0
            }
        }
    }
}

/// Submits `connector` (a JSON `{"name", "config"}` body) to the worker at `url` whose process
/// is `pid` and waits until `done` (a step named `what`), polled every `interval`: the wall
/// seconds and the worker's CPU seconds from the submission until then. A step ends up to an
/// `interval` after it was done: short steps want a short interval, where a poll costs little.
pub fn submit_until(
    url: &str,
    pid: &str,
    connector: &str,
    what: &str,
    interval: Duration,
    done: impl FnMut() -> bool,
) -> (f64, f64) {
    let cpu0 = cpu_seconds(pid);
    let started = Instant::now();
    assert_eq!(
        http("POST", &format!("{url}/connectors"), Some(connector)),
        Some(201),
        "{what}: the worker accepted the connector"
    );
    wait_polling(what, Duration::from_secs(1800), interval, done);
    (started.elapsed().as_secs_f64(), cpu_seconds(pid) - cpu0)
}

/// `method url` with an optional JSON body; the status code.
pub fn http(method: &str, url: &str, body: Option<&str>) -> Option<u16> {
    let mut command = std::process::Command::new("curl");
    command.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, url]);
    if let Some(body) = body {
        command.args(["-H", "Content-Type: application/json", "-d", body]);
    }
    let output = command.output().ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Reads a worker's Prometheus metrics through one HTTP client kept between reads (a `curl`
/// process per read, ten a second, took about a tenth of a core from the step it watched).
pub struct MetricsWatch {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    url: String,
}

impl MetricsWatch {
    /// A watch on the worker whose REST API is at `base_url`.
    pub fn new(base_url: &str) -> Self {
        MetricsWatch {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the metrics client"),
            client: reqwest::Client::new(),
            url: format!("{base_url}/metrics"),
        }
    }

    /// The sum of `series` over the samples labelled `connector="<connector>"`; 0 when the
    /// metrics cannot be read.
    pub fn sum(&self, series: &str, connector: &str) -> f64 {
        let text = self
            .runtime
            .block_on(async { self.client.get(&self.url).send().await?.text().await })
            .unwrap_or_default();
        let (prefix, label) = (format!("{series}{{"), format!("connector=\"{connector}\""));
        text.lines()
            .filter(|line| line.starts_with(&prefix) && line.contains(&label))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// A consumer (of group `group`, committing nothing) assigned partition 0 of `topic` from its
/// beginning.
pub fn partition_reader(bootstrap: &str, topic: &str, group: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("a consumer");
    let mut partitions = TopicPartitionList::new();
    partitions
        .add_partition_offset(topic, 0, Offset::Beginning)
        .expect("a partition");
    consumer.assign(&partitions).expect("assigned");
    consumer
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A bare producer with the settings of the worker's source producers (acks=all, idempotent
/// with five requests in flight, linger 5 ms): the raw limit the benchmarks measure connectors
/// against.
pub fn source_like_producer(bootstrap: &str) -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("max.in.flight.requests.per.connection", "5")
        .set("linger.ms", "5")
        .create()
        .expect("a producer")
}

/// Seconds a [`source_like_producer`] takes to write `payload` `count` times to `topic` and
/// have every copy acknowledged.
pub fn produce_copies(bootstrap: &str, topic: &str, payload: &[u8], count: usize) -> f64 {
    let producer = source_like_producer(bootstrap);
    let started = Instant::now();
    for _ in 0..count {
        send_waiting(&producer, BaseRecord::<(), [u8]>::to(topic).payload(payload)).expect("enqueued");
    }
    producer
        .flush(Duration::from_secs(600))
        .expect("every record acknowledged");
    started.elapsed().as_secs_f64()
}

/// Writes 2 M records of `size` bytes to a throwaway topic: the broker's JVM compiles its
/// produce path on the first large writes, which would otherwise count against whichever
/// contender writes first.
pub fn warm_up_produce_path(bootstrap: &str, size: usize) {
    produce_copies(bootstrap, "bench-warm-up-produce", &vec![b'x'; size], 2_000_000);
}

/// A mirror file in `dir` for flow `alias->T` copying the topics matching `topics`, every
/// replication factor 1, with the lines of `settings` last (so they win).
pub fn mirror_file(dir: &Path, alias: &str, source: &str, target: &str, topics: &str, settings: &str) -> PathBuf {
    let path = dir.join(format!("{alias}.properties"));
    std::fs::write(
        &path,
        format!(
            "clusters = {alias}, T\n{alias}.bootstrap.servers = {source}\nT.bootstrap.servers = {target}\n\
             {alias}->T.enabled = true\n{alias}->T.topics = {topics}\nreplication.factor = 1\n\
             checkpoints.topic.replication.factor = 1\nheartbeats.topic.replication.factor = 1\n\
             offset-syncs.topic.replication.factor = 1\noffset.storage.replication.factor = 1\n\
             status.storage.replication.factor = 1\nconfig.storage.replication.factor = 1\n\
             sync.topic.acls.enabled = false\n{settings}\n"
        ),
    )
    .expect("the mirror file is written");
    path
}

/// `CREATE TABLE` for the database benches' rows (an id, a name, a NUMERIC(12,2) amount, a
/// timestamp) on a server of `kind`.
pub fn bench_table(kind: DatabaseKind, table: &str) -> String {
    let timestamp = match kind {
        DatabaseKind::Postgres => "TIMESTAMP(3)",
        DatabaseKind::MariaDb => "DATETIME(3)",
    };
    format!(
        "CREATE TABLE {table} (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, amount NUMERIC(12,2), updated {timestamp})"
    )
}

/// Creates [`bench_table`] `table` on `database` and fills it with rows 1 to `rows`: name
/// `customer <id>`, amount `<id>` hundredths, a second apart from 2024-01-01.
pub fn fill_bench_table(database: &Database, table: &str, rows: u64) {
    database
        .sql("tributary", &bench_table(database.kind(), table))
        .expect("the bench table is created");
    let fill = match database.kind() {
        DatabaseKind::Postgres => format!(
            "INSERT INTO {table} SELECT g, 'customer ' || g, g / 100.0, TIMESTAMP '2024-01-01' + g * INTERVAL '1 second' \
             FROM generate_series(1, {rows}) g"
        ),
        DatabaseKind::MariaDb => format!(
            "INSERT INTO {table} SELECT seq, CONCAT('customer ', seq), seq / 100, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND \
             FROM seq_1_to_{rows}"
        ),
    };
    database.sql("tributary", &fill).expect("the bench table is filled");
}
