//! Benchmark: the JDBC source and sink against the database's own bulk tools, in the same run,
//! on PostgreSQL and MariaDB servers started by the harness (with one Kafka broker).
//!
//! For each database a table of `DB_BENCH_ROWS` rows (default 2,000,000; id, name, amount
//! NUMERIC(12,2), timestamp) is
//! - dumped by the raw limit (`COPY … TO STDOUT` through psql, `mariadb --quick` for MariaDB),
//!   and copied into Kafka by Tributary's JDBC source (bulk mode, JsonConverter with schemas);
//! - loaded into an empty table by the raw limit (`COPY … FROM` / `LOAD DATA LOCAL INFILE` of
//!   that dump), and by Tributary's JDBC sink from the topic the source wrote (insert mode,
//!   `auto.create`).
//!
//! A third line per database measures Kafka alone: the source's records (one of them, repeated)
//! produced by a bare rdkafka producer with the worker's producer settings, no database — the
//! most any source could reach on this machine with this converter.
//!
//! Before anything is measured the broker's group coordinator is warmed up (a fresh cluster
//! creates `__consumer_offsets` on the first group, which would count against the sink), and
//! its produce path (its JVM compiles it on the first large writes, which counted against the
//! first source). While a step runs, the bench watches it cheaply (one client asks for the
//! topic's watermark; the worker's rows metric says what the sink committed), and counts the
//! table's rows once after.
//!
//! The steps run three times per database (`DB_BENCH_ROUNDS`), each round with new topics,
//! tables and connectors, the limit and Tributary in turn, so that what else this two-core
//! machine does at a moment falls on both; each step starts with the disk written back, so that
//! none pays for another's writeback. The summary gives the median and the spread of the
//! rounds' shares.
//!
//! Run with `cargo bench --bench database`. Reports rows/s, MB/s (of the dump's size), the
//! worker's CPU seconds and peak RSS, and Tributary's share of the raw limit: with each
//! connector timed from its submission, and once it was writing (from the first poll that saw
//! rows out of it), which leaves out the time a connector takes to start (its task, its
//! consumer joining its group).

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::{
    bench_table, env_or, fill_bench_table, free_port, http, partition_reader, peak_rss_mb, produce_copies, spread,
    submit_until, wait_until, warm_up_produce_path, write_back_dirty_pages, MetricsWatch, Watermarks, Writing,
};
use tributary_harness::{ChildProcess, ClusterOptions, Database, DatabaseKind, KafkaCluster};

/// One measured step.
struct Run {
    database: &'static str,
    round: usize,
    step: &'static str,
    system: &'static str,
    rows: usize,
    megabytes: f64,
    seconds: f64,
    cpu_seconds: Option<f64>,
    /// A connector's rows per second once it had written its first ones (see `Writing`).
    streaming: Option<f64>,
}

/// A [`spread`] of shares as "83% (median; 75-92%)"; a dash where no round had a rate (steps
/// so short that the first poll saw every row written).
fn median_and_range((low, median, high): (f64, f64, f64)) -> String {
    if median.is_nan() {
        return "— (too short to tell)".into();
    }
    format!("{median:.0}% (median; {low:.0}-{high:.0}%)")
}

/// The steps and systems' names in the table.
const SOURCE_STEP: &str = "table → out";
const SINK_STEP: &str = "in → table";
const RAW_DUMP: &str = "raw dump";
const JDBC_SOURCE: &str = "Tributary JDBC source";
const KAFKA_ALONE: &str = "Kafka alone (same records, bare producer)";
const RAW_LOAD: &str = "raw load";
const JDBC_SINK: &str = "Tributary JDBC sink";

/// Has the broker create its group coordinator state (`__consumer_offsets`) by committing an
/// offset for a throwaway group.
fn warm_up_group_coordinator(bootstrap: &str) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "bench-warm-up")
        .create()
        .expect("a consumer");
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("a producer");
    producer
        .send(BaseRecord::<(), _>::to("bench-warm-up").payload("x"))
        .expect("enqueued");
    producer
        .flush(Duration::from_secs(60))
        .expect("the warm-up record is written");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("bench-warm-up", 0, Offset::Offset(1))
        .expect("an offset");
    wait_until("the group coordinator", Duration::from_secs(120), || {
        consumer.commit(&offsets, CommitMode::Sync).is_ok()
    });
}

/// The first record of partition 0 of `topic`.
fn first_record(bootstrap: &str, topic: &str) -> Vec<u8> {
    let consumer = partition_reader(bootstrap, topic, "bench-sample");
    loop {
        if let Some(Ok(message)) = consumer.poll(Duration::from_secs(10)) {
            return message.payload().unwrap_or_default().to_vec();
        }
    }
}

/// Runs a shell command line, panicking with its output if it fails.
fn shell(line: &str) {
    let output = Command::new("sh").arg("-c").arg(line).output().expect("sh runs");
    assert!(
        output.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The client command line reaching `database` (database `tributary`).
fn client(database: &Database) -> String {
    match database.kind() {
        DatabaseKind::Postgres => format!(
            "psql -X -q -h 127.0.0.1 -p {} -U tributary -d tributary -v ON_ERROR_STOP=1",
            database.port()
        ),
        DatabaseKind::MariaDb => format!(
            "mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P {} -u root --local-infile=1 tributary",
            database.port()
        ),
    }
}

fn count(database: &Database, table: &str) -> usize {
    database
        .sql("tributary", &format!("SELECT COUNT(*) FROM {table}"))
        .ok()
        .and_then(|out| out.trim().parse().ok())
        .unwrap_or(0)
}

/// Submits `connector` (a `{"name", "config"}` body) to the worker at `url` whose process is
/// `pid`, waits until `done`, then deletes it, so that later steps run beside no idle connector
/// of this one. Returns the wall seconds and the worker's CPU seconds until `done`.
fn run_connector(url: &str, pid: &str, connector: &Value, done: impl FnMut() -> bool) -> (f64, f64) {
    let name = connector["name"].as_str().unwrap_or_default();
    write_back_dirty_pages();
    // A poll reads the worker's metrics (a sink's) or the topic's watermark: every 100 ms.
    let measured = submit_until(url, pid, &connector.to_string(), name, Duration::from_millis(100), done);
    assert_eq!(http("DELETE", &format!("{url}/connectors/{name}"), None), Some(204));
    measured
}

fn main() {
    let rows: usize = env_or("DB_BENCH_ROWS", 2_000_000);
    let rounds: usize = env_or("DB_BENCH_ROUNDS", 3_usize).max(1);
    let mut options = ClusterOptions::with_nodes(1);
    options.max_heap = "2g".into();
    let cluster = KafkaCluster::start_with(options).expect("kafka starts");
    let bootstrap = cluster.bootstrap_servers();
    let postgres = Database::start_postgres().expect("postgres starts");
    let mariadb = Database::start_mariadb().expect("mariadb starts");
    warm_up_group_coordinator(&bootstrap);
    warm_up_produce_path(&bootstrap, 550);
    let mut watermarks = Watermarks::new(&bootstrap);
    let dir = tempfile::tempdir_in(std::env::var("TRIBUTARY_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();

    let port = free_port();
    let properties = dir.path().join("worker.properties");
    std::fs::write(
        &properties,
        format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{port}\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=10000\n",
            dir.path().join("worker.offsets").display()
        ),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command.arg("standalone").arg(&properties).stdin(Stdio::null());
    let worker = ChildProcess::spawn(command, &dir.path().join("worker.log")).expect("worker starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_until("worker REST", Duration::from_secs(60), || {
        http("GET", &format!("{url}/"), None) == Some(200)
    });
    let pid = worker.pid().to_string();
    let metrics = MetricsWatch::new(&url);

    let mut runs = Vec::new();
    for (name, database) in [("PostgreSQL", &postgres), ("MariaDB", &mariadb)] {
        let password = match database.kind() {
            DatabaseKind::Postgres => "",
            DatabaseKind::MariaDb => "tributary",
        };
        fill_bench_table(database, "bench_source", rows as u64);
        let dump = dir.path().join(format!("{name}.tsv"));
        for round in 1..=rounds {
            // Topics, tables and connector names (and so sink groups) new in each round.
            let topic = format!("bench-{}-r{round}", name.to_lowercase());
            let (raw_table, sink_table) = (format!("bench_raw_r{round}"), format!("bench_sink_r{round}"));
            eprintln!("== {name}, round {round}");

            // Source: the raw dump, then the JDBC source into Kafka.
            write_back_dirty_pages();
            let started = Instant::now();
            match database.kind() {
                DatabaseKind::Postgres => shell(&format!(
                    "{} -c 'COPY bench_source TO STDOUT' > {}",
                    client(database),
                    dump.display()
                )),
                DatabaseKind::MariaDb => shell(&format!(
                    "{} --quick -B -N -e 'SELECT * FROM bench_source' > {}",
                    client(database),
                    dump.display()
                )),
            }
            let seconds = started.elapsed().as_secs_f64();
            let megabytes = std::fs::metadata(&dump).unwrap().len() as f64 / 1_048_576.0;
            let run = |step, system, seconds, cpu_seconds, streaming| Run {
                database: name,
                round,
                step,
                system,
                rows,
                megabytes,
                seconds,
                cpu_seconds,
                streaming,
            };
            runs.push(run(SOURCE_STEP, RAW_DUMP, seconds, None, None));
            let source = json!({
                "name": format!("{topic}-source"),
                "config": {
                    "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                    "connection.url": database.jdbc_url(),
                    "connection.user": "tributary",
                    "connection.password": password,
                    "mode": "bulk",
                    "table.whitelist": "bench_source",
                    "topic.prefix": format!("{topic}-"),
                    "poll.interval.ms": "86400000",
                    "batch.max.rows": "5000",
                    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                }
            });
            let source_topic = format!("{topic}-bench_source");
            let mut writing = Writing::of(rows);
            let (seconds, cpu) = run_connector(&url, &pid, &source, || {
                writing.note(watermarks.high(&source_topic) as f64)
            });
            let streaming = writing.streaming_rate();
            runs.push(run(SOURCE_STEP, JDBC_SOURCE, seconds, Some(cpu), streaming));
            let sample = first_record(&bootstrap, &source_topic);
            write_back_dirty_pages();
            let seconds = produce_copies(&bootstrap, &format!("{topic}-ingest"), &sample, rows);
            runs.push(run(SOURCE_STEP, KAFKA_ALONE, seconds, None, None));

            // Sink: the raw load of the dump, then the JDBC sink from the topic.
            database
                .sql("tributary", &bench_table(database.kind(), &raw_table))
                .unwrap();
            write_back_dirty_pages();
            let started = Instant::now();
            match database.kind() {
                DatabaseKind::Postgres => shell(&format!(
                    "{} -c 'COPY {raw_table} FROM STDIN' < {}",
                    client(database),
                    dump.display()
                )),
                DatabaseKind::MariaDb => shell(&format!(
                    "{} -e \"LOAD DATA LOCAL INFILE '{}' INTO TABLE {raw_table}\"",
                    client(database),
                    dump.display()
                )),
            }
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(count(database, &raw_table), rows);
            runs.push(run(SINK_STEP, RAW_LOAD, seconds, None, None));
            let sink = json!({
                "name": format!("{topic}-sink"),
                "config": {
                    "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                    "connection.url": database.jdbc_url(),
                    "connection.user": "tributary",
                    "connection.password": password,
                    "topics": source_topic,
                    "table.name.format": sink_table,
                    "auto.create": "true",
                    "batch.size": "5000",
                    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                    "consumer.override.auto.offset.reset": "earliest",
                    "consumer.override.max.poll.records": "5000",
                }
            });
            // What the worker says it committed: a `COUNT(*)` per poll would scan the growing table
            // on the database's CPU during the step measured.
            let mut writing = Writing::of(rows);
            let (seconds, cpu) = run_connector(&url, &pid, &sink, || {
                writing.note(metrics.sum("tributary_jdbc_sink_rows_total", &format!("{topic}-sink")))
            });
            let streaming = writing.streaming_rate();
            runs.push(run(SINK_STEP, JDBC_SINK, seconds, Some(cpu), streaming));
            assert_eq!(count(database, &sink_table), rows, "the sink wrote every row once");
            database
                .sql("tributary", &format!("DROP TABLE {raw_table}; DROP TABLE {sink_table}"))
                .unwrap();
        }
        std::fs::remove_file(&dump).ok();
    }

    println!(
        "\n| database | round | step | system | rows | rows/s | MB/s | worker CPU s | share of raw | rows/s once writing |\n\
         |---|---|---|---|---|---|---|---|---|---|"
    );
    let find = |database: &str, round: usize, system: &str| {
        runs.iter()
            .find(|r| r.database == database && r.round == round && r.system == system)
    };
    for run in &runs {
        let raw = if run.step == SOURCE_STEP { RAW_DUMP } else { RAW_LOAD };
        let raw = find(run.database, run.round, raw).map_or(run.seconds, |r| r.seconds);
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.1} | {} | {:.0}% | {} |",
            run.database,
            run.round,
            run.step,
            run.system,
            run.rows,
            run.rows as f64 / run.seconds,
            run.megabytes / run.seconds,
            run.cpu_seconds.map_or("—".into(), |c| format!("{c:.1}")),
            100.0 * raw / run.seconds,
            run.streaming.map_or("—".into(), |r| format!("{r:.0}")),
        );
    }
    println!();
    for database in ["PostgreSQL", "MariaDB"] {
        // Each round's share of the limit's rows per second that Tributary's step reached, from
        // its submission (`rate` of the step as a whole) or once it was writing.
        let shares = |ours: &str, limit: &str, rate: fn(&Run) -> Option<f64>| {
            spread(
                (1..=rounds)
                    .filter_map(|round| {
                        let limit = find(database, round, limit)?;
                        Some(100.0 * rate(find(database, round, ours)?)? * limit.seconds / limit.rows as f64)
                    })
                    .collect(),
            )
        };
        let whole: fn(&Run) -> Option<f64> = |run| Some(run.rows as f64 / run.seconds);
        let streaming: fn(&Run) -> Option<f64> = |run| run.streaming;
        for (what, rate) in [("from its submission", whole), ("once writing", streaming)] {
            let (source, sink) = (
                shares(JDBC_SOURCE, KAFKA_ALONE, rate),
                shares(JDBC_SINK, RAW_LOAD, rate),
            );
            println!(
                "{database}, {rounds} rounds, each connector {what}: the JDBC source reaches {} of Kafka \
                 alone, the JDBC sink {} of the raw load",
                median_and_range(source),
                median_and_range(sink)
            );
        }
    }
    println!("\nTributary worker peak RSS: {:.0} MB", peak_rss_mb(&pid));
}
