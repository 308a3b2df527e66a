//! Benchmark: two builds of Tributary doing the same work in turn on one broker, for judging a
//! change smaller than the other benchmarks' spread from run to run.
//!
//! `AB_BINARIES=before,after cargo bench --bench ab`, where `before` and `after` are paths to two
//! `tributary` binaries (for instance copies of `target/release/tributary` built before and after
//! a change). One topic of `AB_RECORDS` records (default 5,000,000) of `AB_RECORD_BYTES` bytes
//! (default 100), each with `AB_HEADERS` headers (default 0; for the sink and mirror cases), is
//! written once; then, `AB_ROUNDS` times (default 5), each binary in turn:
//! - `AB_CASE=sink` (the default): a standalone worker with a `FileStreamSink` (its own group)
//!   writes the topic to a file; measured until the file holds every record;
//! - `AB_CASE=source`: the records are lines of a file instead (written once); a standalone
//!   worker with a `FileStreamSource` writes them into a new topic; measured until that topic
//!   holds every line;
//! - `AB_CASE=mirror`: `tributary mirror` with `tasks.max = 1` copies the topic to another topic
//!   of the same broker; measured until that topic holds every record;
//! - `AB_CASE=jdbc`: the records are JsonConverter envelopes of the database bench's rows (id,
//!   name, a NUMERIC(12,2) amount, a timestamp; `AB_RECORD_BYTES` does not apply); a standalone
//!   worker's JDBC sink writes them into a new table of a PostgreSQL server (`AB_DATABASE=mariadb`
//!   for MariaDB) started by the harness, in insert mode with `auto.create`; measured until the
//!   worker's metrics count every row committed;
//! - `AB_CASE=jdbc-source`: the records are rows of a PostgreSQL table (the database bench's
//!   columns; `AB_RECORD_BYTES` and `AB_DATABASE` do not apply), written once; a standalone worker's JDBC
//!   source reads the table in bulk mode (`AB_JDBC_MODE=incrementing` for incrementing mode on
//!   its `id`) into a new topic with the JsonConverter; measured until that topic holds every
//!   row.
//!
//! Prints the CPU seconds (user + system, from start to done), wall seconds and peak RSS of each
//! run (after one uncounted warm-up run of the first binary), then each binary's sorted CPU
//! seconds and median. Nothing else shares the broker, and the
//! runs alternate, so a slow spell of the machine falls on both binaries.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::ClientConfig;
use support::{
    cpu_seconds, env_or, fill_bench_table, free_port, mirror_file, peak_rss_mb, source_like_producer, wait_until,
    MetricsWatch,
};
use tributary_harness::clients::send_waiting;
use tributary_harness::{ChildProcess, ClusterOptions, Database, KafkaCluster};

const INPUT: &str = "ab-input";

/// The schema of the JDBC case's records: the one the JDBC source gives the database bench's
/// table, as JsonConverter writes it.
const ROW_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"amount"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"updated"}],"optional":false,"name":"bench_source"}"#;

/// Row `n` of the JDBC case as a JsonConverter envelope: the amount is `n` hundredths, in
/// Connect's Decimal bytes (minimal big-endian two's complement), base64.
fn row_envelope(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    let first = if bytes[first] & 0x80 != 0 { first - 1 } else { first };
    let amount = base64::engine::general_purpose::STANDARD.encode(&bytes[first..]);
    let updated = 1_704_067_200_000 + n * 1000;
    format!(
        r#"{{"schema":{ROW_SCHEMA},"payload":{{"id":{n},"name":"customer {n}","amount":"{amount}","updated":{updated}}}}}"#
    )
    .into_bytes()
}

/// Writes `records` records: row envelopes for the JDBC case, else `bytes` ASCII bytes (valid
/// UTF-8, for the StringConverter); each with `headers` headers (`header-<i>`: `value-<i>`).
fn fill(bootstrap: &str, case: &str, records: u64, bytes: usize, headers: usize) {
    let producer = source_like_producer(bootstrap);
    let text: Vec<u8> = (0..bytes).map(|i| b'a' + (i % 26) as u8).collect();
    let names: Vec<(String, String)> = (0..headers)
        .map(|i| (format!("header-{i}"), format!("value-{i}")))
        .collect();
    for n in 0..records {
        let row;
        let payload = if case == "jdbc" {
            row = row_envelope(n + 1);
            &row
        } else {
            &text
        };
        let mut record = BaseRecord::<(), [u8]>::to(INPUT).payload(&payload[..]);
        if !names.is_empty() {
            let list = names
                .iter()
                .fold(OwnedHeaders::new_with_capacity(headers), |list, (key, value)| {
                    list.insert(Header {
                        key,
                        value: Some(value),
                    })
                });
            record = record.headers(list);
        }
        send_waiting(&producer, record).expect("filling the input topic");
        if n % 1000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer
        .flush(Duration::from_secs(300))
        .expect("the input topic is written");
}

/// Sum of the high watermarks of `topic` (0 while it does not exist).
fn records_in(consumer: &BaseConsumer, topic: &str) -> i64 {
    let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
        return 0;
    };
    let partitions = metadata
        .topics()
        .first()
        .filter(|t| t.error().is_none())
        .map_or(0, |t| t.partitions().len() as i32);
    (0..partitions)
        .filter_map(|p| consumer.fetch_watermarks(topic, p, Duration::from_secs(5)).ok())
        .map(|(_, high)| high)
        .sum()
}

/// Deletes every topic a mirror or source run created (a copy, heartbeats, internal topics, the
/// source's output), so that the next run's mirror does not copy the heartbeats topics of the
/// runs before it, and the broker does not keep every run's records.
fn delete_run_topics(
    runtime: &tokio::runtime::Runtime,
    admin: &AdminClient<DefaultClientContext>,
    consumer: &BaseConsumer,
) {
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("the broker's topics");
    let topics: Vec<&str> = metadata
        .topics()
        .iter()
        .map(|t| t.name())
        .filter(|name| *name != INPUT && !name.starts_with("__"))
        .collect();
    if topics.is_empty() {
        return;
    }
    runtime
        .block_on(admin.delete_topics(&topics, &AdminOptions::new()))
        .expect("the run's topics are deleted");
}

/// The table the JDBC case's run `label` writes.
fn table_of(label: &str) -> String {
    format!("ab_{}", label.to_lowercase())
}

/// One measured run.
struct Run {
    cpu: f64,
    wall: f64,
    peak_rss_mb: f64,
}

/// Where a run works: its directory, the broker, the REST port of a worker, the database of
/// the JDBC case, the input file of the source case.
struct Place<'a> {
    dir: &'a Path,
    bootstrap: &'a str,
    port: u16,
    database: Option<&'a Database>,
    lines: Option<&'a Path>,
}

/// The source case's input: a file of `records` lines of `bytes` letters each.
fn write_lines(records: u64, bytes: usize) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new_in("target").expect("an input file");
    let mut line: Vec<u8> = (0..bytes).map(|i| b'a' + (i % 26) as u8).collect();
    line.push(b'\n');
    let mut out = std::io::BufWriter::new(file.as_file());
    for _ in 0..records {
        std::io::Write::write_all(&mut out, &line).expect("the input file is written");
    }
    std::io::Write::flush(&mut out).expect("the input file is written");
    drop(out);
    file
}

/// The topic the source case's run `label` writes.
fn topic_of(label: &str) -> String {
    format!("ab-source-{label}")
}

/// The table the JDBC source case reads.
const SOURCE_TABLE: &str = "ab_source";

/// The topic the JDBC source case's run `label` writes (its topic prefix and the table).
fn jdbc_topic_of(label: &str) -> String {
    format!("{}-{SOURCE_TABLE}", topic_of(label))
}

/// The JDBC source case's `mode` and the keys it needs: `AB_JDBC_MODE`, bulk or incrementing.
fn jdbc_source_mode() -> &'static str {
    match std::env::var("AB_JDBC_MODE").as_deref() {
        Err(_) | Ok("bulk") => "mode=bulk\n",
        Ok("incrementing") => "mode=incrementing\nincrementing.column.name=id\n",
        Ok(other) => panic!("AB_JDBC_MODE is bulk or incrementing, not {other}"),
    }
}

/// Starts `binary` on the work of `case` at `place` and measures it until `done`.
fn measure(binary: &Path, case: &str, place: &Place<'_>, label: &str, done: impl FnMut() -> bool) -> Run {
    let (dir, bootstrap) = (place.dir, place.bootstrap);
    let mut command = Command::new(binary);
    command.env("RUST_LOG", "warn");
    match case {
        "sink" | "jdbc" | "source" | "jdbc-source" => {
            let converter = match case {
                "jdbc" | "jdbc-source" => "org.apache.kafka.connect.json.JsonConverter",
                _ => "org.apache.kafka.connect.storage.StringConverter",
            };
            let worker = dir.join("worker.properties");
            std::fs::write(
                &worker,
                format!(
                    "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{}\n\
                     offset.storage.file.filename={}\n\
                     key.converter=org.apache.kafka.connect.storage.StringConverter\n\
                     value.converter={converter}\n",
                    place.port,
                    dir.join("offsets").display()
                ),
            )
            .unwrap();
            let connector = match (place.database, place.lines) {
                (Some(database), _) if case == "jdbc-source" => format!(
                    "name=ab-source-{label}\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\n\
                     connection.url={}\nconnection.user=tributary\nconnection.password=tributary\n\
                     {}table.whitelist={SOURCE_TABLE}\ntopic.prefix={}-\n\
                     poll.interval.ms=86400000\nbatch.max.rows=5000\n",
                    database.jdbc_url(),
                    jdbc_source_mode(),
                    topic_of(label)
                ),
                (None, Some(lines)) => format!(
                    "name=ab-source-{label}\nconnector.class=FileStreamSource\ntopic={}\nfile={}\n",
                    topic_of(label),
                    lines.display()
                ),
                (None, None) => format!(
                    "name=ab-sink-{label}\nconnector.class=FileStreamSink\ntopics={INPUT}\nfile={}\n",
                    dir.join("out.txt").display()
                ),
                (Some(database), _) => format!(
                    "name=ab-sink-{label}\nconnector.class=io.confluent.connect.jdbc.JdbcSinkConnector\n\
                     topics={INPUT}\nconnection.url={}\nconnection.user=tributary\nconnection.password=tributary\n\
                     table.name.format={}\nauto.create=true\nbatch.size=5000\n\
                     consumer.override.max.poll.records=5000\n",
                    database.jdbc_url(),
                    table_of(label)
                ),
            };
            let file = dir.join("connector.properties");
            std::fs::write(&file, connector).unwrap();
            command.arg("standalone").arg(worker).arg(file);
        }
        _ => {
            let settings = "tasks.max = 1\nemit.checkpoints.enabled = false";
            let file = mirror_file(dir, label, bootstrap, bootstrap, INPUT, settings);
            command.arg("mirror").arg(file);
        }
    }
    let started = Instant::now();
    let process = ChildProcess::spawn(command, &dir.join("log")).expect("the binary starts");
    let pid = process.pid().to_string();
    wait_until(&format!("{case} run {label}"), Duration::from_secs(600), done);
    Run {
        cpu: cpu_seconds(&pid),
        wall: started.elapsed().as_secs_f64(),
        peak_rss_mb: peak_rss_mb(&pid),
    }
}

fn main() {
    let binaries: Vec<String> = std::env::var("AB_BINARIES")
        .expect("AB_BINARIES: two tributary binaries, comma-separated")
        .split(',')
        .map(str::to_string)
        .collect();
    let case = std::env::var("AB_CASE").unwrap_or_else(|_| "sink".into());
    assert!(
        ["sink", "source", "mirror", "jdbc", "jdbc-source"].contains(&case.as_str()),
        "AB_CASE is sink, source, mirror, jdbc or jdbc-source, not {case}"
    );
    let records: u64 = env_or("AB_RECORDS", 5_000_000);
    let bytes: usize = env_or("AB_RECORD_BYTES", 100);
    let headers: usize = env_or("AB_HEADERS", 0);
    let rounds: usize = env_or("AB_ROUNDS", 5);

    let mut options = ClusterOptions::with_nodes(1);
    options.max_heap = "2g".into();
    let cluster = KafkaCluster::start_with(options).expect("kafka starts");
    let bootstrap = cluster.bootstrap_servers();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime
        .block_on(cluster.create_topic(INPUT, 1, 1))
        .expect("the input topic");
    let database = case.starts_with("jdbc").then(|| {
        match (case.as_str(), std::env::var("AB_DATABASE").as_deref()) {
            ("jdbc", Ok("mariadb")) => Database::start_mariadb(),
            _ => Database::start_postgres(),
        }
        .expect("the database starts")
    });
    let lines = (case == "source").then(|| write_lines(records, bytes));
    match (&database, &lines) {
        (Some(database), _) if case == "jdbc-source" => fill_bench_table(database, SOURCE_TABLE, records),
        (_, None) => fill(&bootstrap, &case, records, bytes, headers),
        (_, Some(_)) => {}
    }
    let (what, input) = match case.as_str() {
        "jdbc" => ("row envelopes".to_string(), INPUT),
        "jdbc-source" => ("rows".to_string(), SOURCE_TABLE),
        "source" => (format!("{bytes} B"), "a file"),
        _ => (format!("{bytes} B"), INPUT),
    };
    eprintln!("== {records} records of {what} in {input}; case {case}, {rounds} rounds");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .expect("a consumer");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .expect("an admin client");
    let run_once = |binary: &str, label: &str| {
        let dir = tempfile::tempdir_in("target").expect("a run directory");
        let output = dir.path().join("out.txt");
        let copy = format!("{label}.{INPUT}");
        let port = free_port();
        let metrics = MetricsWatch::new(&format!("http://127.0.0.1:{port}"));
        let done = || match case.as_str() {
            "sink" => std::fs::metadata(&output).map_or(0, |m| m.len()) >= records * (bytes as u64 + 1),
            "jdbc" => metrics.sum("tributary_jdbc_sink_rows_total", &format!("ab-sink-{label}")) >= records as f64,
            "source" => records_in(&consumer, &topic_of(label)) >= records as i64,
            "jdbc-source" => records_in(&consumer, &jdbc_topic_of(label)) >= records as i64,
            _ => records_in(&consumer, &copy) >= records as i64,
        };
        let place = Place {
            dir: dir.path(),
            bootstrap: &bootstrap,
            port,
            database: database.as_ref(),
            lines: lines.as_ref().map(|file| file.path()),
        };
        if case == "source" {
            runtime
                .block_on(cluster.create_topic(&topic_of(label), 1, 1))
                .expect("the run's topic");
        }
        let run = measure(Path::new(binary), &case, &place, label, done);
        println!(
            "{label} {binary}: CPU {:.2} s, wall {:.2} s, peak RSS {:.0} MB",
            run.cpu, run.wall, run.peak_rss_mb
        );
        if ["mirror", "source", "jdbc-source"].contains(&case.as_str()) {
            delete_run_topics(&runtime, &admin, &consumer);
        }
        if let Some(database) = database.as_ref().filter(|_| case == "jdbc") {
            let table = table_of(label);
            let rows = database
                .sql(
                    "tributary",
                    &format!("SELECT COUNT(*) FROM {table}; DROP TABLE {table}"),
                )
                .expect("the run's table is counted");
            assert_eq!(rows.trim(), records.to_string(), "{table} holds every record once");
        }
        run
    };
    // Not counted: the first run on a fresh broker (its first consumer group, whose offsets
    // topic is created then) takes seconds more than the others.
    run_once(&binaries[0], "warmup");
    let mut cpu_seconds_of: Vec<Vec<f64>> = vec![Vec::new(); binaries.len()];
    for round in 0..rounds {
        for (index, binary) in binaries.iter().enumerate() {
            let run = run_once(binary, &format!("R{round}B{index}"));
            cpu_seconds_of[index].push(run.cpu);
        }
    }
    println!();
    for (binary, cpu) in binaries.iter().zip(&mut cpu_seconds_of) {
        cpu.sort_by(f64::total_cmp);
        let median = cpu.get(cpu.len() / 2).copied().unwrap_or(0.0);
        let listed: Vec<String> = cpu.iter().map(|c| format!("{c:.2}")).collect();
        println!("{binary}: CPU s {} (median {median:.2})", listed.join(" "));
    }
}
