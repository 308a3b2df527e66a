//! Benchmark: PostgreSQL change data capture, Tributary against Debezium 3.7 (in an Apache
//! Connect 4.3.1 standalone worker), and two raw limits, in the same run, on a PostgreSQL server
//! and one Kafka broker started by the harness.
//!
//! A connector captures one table (an id, a name, a NUMERIC(12,2) amount, a timestamp; the
//! JDBC benches' rows). It is started on an empty table (`snapshot.mode=no_data`), so its slot
//! exists, then stopped; `CDC_BENCH_ROWS` rows (default 1,000,000) are inserted in transactions
//! of 10,000; then it is resumed, and the step is the time until every change is in its topic
//! (JsonConverter with schemas, Debezium's envelope on both sides): a slot's backlog read as
//! fast as each connector can. Every record is then read back: the topic must hold each id
//! once (count and sum).
//!
//! The limits, each of the same backlog: PostgreSQL decoding it alone (`pg_recvlogical` of a
//! `pgoutput` slot into /dev/null), and Kafka alone (a bare producer with the worker's
//! producer settings writing as many copies of one of Tributary's change records).
//!
//! Each round (`CDC_BENCH_ROUNDS`, default 3) runs every contender in turn with new tables,
//! slots and topics, each worker fresh; Debezium runs in the first round only (its figures are
//! the peer's). Run with `cargo bench --bench cdc`. Reports rows/s, the worker's CPU seconds
//! and peak RSS, and the ratios: Tributary's rows per CPU second against Debezium's, and its
//! rows/s against the lower limit's, from the resumption and once writing (from the first poll
//! that saw changes in the topic).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::Message;
use rdkafka::ClientConfig;
use serde_json::{json, Value};
use support::{
    bench_table, cpu_seconds, env_or, free_port, http, partition_reader, peak_rss_mb, produce_copies, spread,
    wait_until, warm_up_produce_path, write_back_dirty_pages, Watermarks, Writing,
};
use tributary_harness::{debezium_postgres_plugin_path, ChildProcess, ClusterOptions, Database, KafkaCluster};

const TRIBUTARY: &str = "Tributary";
const DEBEZIUM: &str = "Debezium 3.7 (Apache Connect 4.3.1)";
const DECODE_ALONE: &str = "PostgreSQL decoding alone (pg_recvlogical)";
const KAFKA_ALONE: &str = "Kafka alone (same records, bare producer)";

/// Rows per inserted transaction.
const TRANSACTION_ROWS: usize = 10_000;

/// One measured step.
struct Run {
    round: usize,
    system: &'static str,
    rows: usize,
    seconds: f64,
    cpu_seconds: Option<f64>,
    /// Rows per second once the connector was writing.
    streaming: Option<f64>,
    peak_rss_mb: Option<f64>,
}

impl Run {
    fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.seconds
    }

    /// The run as a row of the report's table.
    fn row(&self) -> String {
        let cpu = self.cpu_seconds;
        format!(
            "| {} | {} | {:.0} | {} | {:.2} | {} | {} | {} |",
            self.round,
            self.system,
            self.rows_per_s(),
            self.streaming.map_or("—".into(), |r| format!("{r:.0}")),
            self.seconds,
            cpu.map_or("—".into(), |c| format!("{c:.2}")),
            cpu.map_or("—".into(), |c| format!("{:.0}", self.rows as f64 / c)),
            self.peak_rss_mb.map_or("—".into(), |m| format!("{m:.0}")),
        )
    }
}

/// Inserts rows 1 to `rows` into `table`, `TRANSACTION_ROWS` a transaction.
fn insert_rows(database: &Database, table: &str, rows: usize) {
    let script = format!(
        "DO $$ BEGIN FOR batch IN 0..{last} LOOP \
         INSERT INTO {table} SELECT g, 'customer ' || g, g / 100.0, TIMESTAMP '2024-01-01' + g * INTERVAL '1 second' \
         FROM generate_series(batch * {TRANSACTION_ROWS} + 1, LEAST((batch + 1) * {TRANSACTION_ROWS}, {rows})) g; \
         COMMIT; END LOOP; END $$;",
        last = rows.div_ceil(TRANSACTION_ROWS) - 1
    );
    database.sql("tributary", &script).expect("the rows are inserted");
}

/// Reads `topic` back and checks it holds one change event for each id 1 to `rows`; returns
/// one of the records (a value, as written).
fn verify(bootstrap: &str, topic: &str, rows: usize) -> Vec<u8> {
    let consumer = partition_reader(bootstrap, topic, "bench-cdc-verify");
    let (mut count, mut sum, mut sample) = (0usize, 0u128, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(600);
    while count < rows && Instant::now() < deadline {
        let Some(Ok(message)) = consumer.poll(Duration::from_secs(1)) else {
            continue;
        };
        let payload = message.payload().unwrap_or_default();
        let value: Value = serde_json::from_slice(payload).expect("a JSON change event");
        let id = value["payload"]["after"]["id"].as_u64().expect("an inserted row's id");
        if sample.is_empty() {
            sample = payload.to_vec();
        }
        count += 1;
        sum += u128::from(id);
    }
    let expected = (rows as u128) * (rows as u128 + 1) / 2;
    assert_eq!((count, sum), (rows, expected), "{topic}: every row once");
    sample
}

/// Deletes `topic`, so that the run's topics do not fill the disk (a million change events
/// take about 1.3 GB).
fn delete_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("an admin client");
    let deleted = futures::executor::block_on(admin.delete_topics(&[topic], &AdminOptions::new()));
    if let Err(error) = deleted {
        eprintln!("cannot delete {topic}: {error}");
    }
}

/// A Connect worker under measurement.
struct Worker {
    process: ChildProcess,
    url: String,
}

impl Worker {
    /// A fresh worker of `system` whose files are tagged `tag`; Apache's with Debezium on its
    /// plugin path.
    fn start(system: &str, cluster: &KafkaCluster, dir: &Path, tag: &str) -> Self {
        let port = free_port();
        let properties = dir.join(format!("{tag}.properties"));
        let plugin_path = match system {
            TRIBUTARY => String::new(),
            _ => format!(
                "plugin.path={}\n",
                debezium_postgres_plugin_path().expect("Debezium's plugin").display()
            ),
        };
        std::fs::write(
            &properties,
            format!(
                "bootstrap.servers={}\nlisteners=http://127.0.0.1:{port}\n\
                 key.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 value.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 offset.storage.file.filename={}\noffset.flush.interval.ms=10000\n{plugin_path}",
                cluster.bootstrap_servers(),
                dir.join(format!("{tag}.offsets")).display()
            ),
        )
        .expect("the worker's properties are written");
        let mut command = match system {
            TRIBUTARY => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
                command.arg("standalone").env("RUST_LOG", "warn");
                command
            }
            _ => cluster
                .distribution()
                .java("org.apache.kafka.connect.cli.ConnectStandalone", "2g"),
        };
        command.arg(&properties).stdin(Stdio::null());
        let process = ChildProcess::spawn(command, &dir.join(format!("{tag}.log"))).expect("the worker starts");
        let url = format!("http://127.0.0.1:{port}");
        wait_until(&format!("{system} REST ready"), Duration::from_secs(120), || {
            http("GET", &format!("{url}/"), None) == Some(200)
        });
        Worker { process, url }
    }

    /// The connector's state and its tasks' as the status endpoint reports them.
    fn states(&self, name: &str) -> String {
        let output = Command::new("curl")
            .args(["-s", &format!("{}/connectors/{name}/status", self.url)])
            .output()
            .expect("curl runs");
        let status: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        let tasks: Vec<&str> = status["tasks"]
            .as_array()
            .map(|tasks| tasks.iter().filter_map(|t| t["state"].as_str()).collect())
            .unwrap_or_default();
        format!(
            "{} {}",
            status["connector"]["state"].as_str().unwrap_or("?"),
            tasks.join(" ")
        )
    }
}

/// Whether replication slot `slot` is being read.
fn slot_active(database: &Database, slot: &str) -> bool {
    database
        .sql(
            "tributary",
            &format!("SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'"),
        )
        .map(|out| out.trim() == "t")
        .unwrap_or(false)
}

/// Captures a backlog of `rows` changes with `system`'s connector (see the module's docs).
fn connector_step(
    system: &'static str,
    round: usize,
    (cluster, database, dir): (&KafkaCluster, &Database, &Path),
    watermarks: &mut Watermarks,
    rows: usize,
) -> (Run, Vec<u8>) {
    let name = format!("cdc_{}_r{round}", if system == TRIBUTARY { "t" } else { "d" });
    let table = format!("{name}_rows");
    database
        .sql(
            "tributary",
            &bench_table(tributary_harness::DatabaseKind::Postgres, &table),
        )
        .expect("the table is created");
    let worker = Worker::start(system, cluster, dir, &name);
    let config = json!({
        "name": name,
        "config": {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": "127.0.0.1",
            "database.port": database.port().to_string(),
            "database.user": "tributary",
            "database.dbname": "tributary",
            "topic.prefix": name,
            "slot.name": name,
            "publication.name": name,
            "publication.autocreate.mode": "filtered",
            "table.include.list": format!("public\\.{table}"),
            "plugin.name": "pgoutput",
            "snapshot.mode": "no_data",
        }
    });
    assert_eq!(
        http("POST", &format!("{}/connectors", worker.url), Some(&config.to_string())),
        Some(201),
        "{system} accepted the connector"
    );
    wait_until(&format!("{system} streaming"), Duration::from_secs(120), || {
        slot_active(database, &name)
    });
    assert_eq!(
        http("PUT", &format!("{}/connectors/{name}/stop", worker.url), None),
        Some(204),
        "{system} stops the connector"
    );
    wait_until(&format!("{system} stopped"), Duration::from_secs(120), || {
        worker.states(&name).starts_with("STOPPED") && !slot_active(database, &name)
    });
    eprintln!("== {system}, round {round}: inserting {rows} rows");
    insert_rows(database, &table, rows);
    write_back_dirty_pages();
    let topic = format!("{name}.public.{table}");
    let pid = worker.process.pid().to_string();
    let mut writing = Writing::of(rows);
    let cpu0 = cpu_seconds(&pid);
    let started = Instant::now();
    assert_eq!(
        http("PUT", &format!("{}/connectors/{name}/resume", worker.url), None),
        Some(202),
        "{system} resumes the connector"
    );
    wait_until(
        &format!("{system} captured {rows} rows"),
        Duration::from_secs(1800),
        || writing.note(watermarks.high(&topic) as f64),
    );
    let (seconds, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds(&pid) - cpu0);
    let peak = peak_rss_mb(&pid);
    drop(worker);
    let sample = verify(&cluster.bootstrap_servers(), &topic, rows);
    delete_topic(&cluster.bootstrap_servers(), &topic);
    database
        .sql("tributary", &format!("SELECT pg_drop_replication_slot('{name}')"))
        .ok();
    let run = Run {
        round,
        system,
        rows,
        seconds,
        cpu_seconds: Some(cpu),
        streaming: writing.streaming_rate(),
        peak_rss_mb: Some(peak),
    };
    (run, sample)
}

/// PostgreSQL decoding a backlog of `rows` changes alone: `pg_recvlogical` reads a `pgoutput`
/// slot up to the log's end after the inserts.
fn decode_step(round: usize, database: &Database, rows: usize) -> Run {
    let name = format!("cdc_raw_r{round}");
    let table = format!("{name}_rows");
    // (A slot is made in a transaction of its own.)
    for statement in [
        format!(
            "{}; CREATE PUBLICATION {name} FOR TABLE {table}",
            bench_table(tributary_harness::DatabaseKind::Postgres, &table)
        ),
        format!("SELECT 1 FROM pg_create_logical_replication_slot('{name}', 'pgoutput')"),
    ] {
        database
            .sql("tributary", &statement)
            .expect("the table, publication and slot are created");
    }
    eprintln!("== {DECODE_ALONE}, round {round}: inserting {rows} rows");
    insert_rows(database, &table, rows);
    let end = database
        .sql("tributary", "SELECT pg_current_wal_lsn()")
        .expect("the log's end")
        .trim()
        .to_string();
    write_back_dirty_pages();
    let started = Instant::now();
    let status = Command::new(Database::postgres_program("pg_recvlogical").expect("pg_recvlogical"))
        .args(["-h", "127.0.0.1", "-p", &database.port().to_string(), "-U", "tributary"])
        .args([
            "-d",
            "tributary",
            "--slot",
            &name,
            "--start",
            "--no-loop",
            "--endpos",
            &end,
        ])
        .args(["-o", "proto_version=1", "-o", &format!("publication_names={name}")])
        .args(["-f", "/dev/null"])
        .status()
        .expect("pg_recvlogical runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(status.success(), "pg_recvlogical read the slot");
    database
        .sql("tributary", &format!("SELECT pg_drop_replication_slot('{name}')"))
        .ok();
    Run {
        round,
        system: DECODE_ALONE,
        rows,
        seconds,
        cpu_seconds: None,
        streaming: None,
        peak_rss_mb: None,
    }
}

fn main() {
    let rows: usize = env_or("CDC_BENCH_ROWS", 1_000_000);
    let rounds: usize = env_or("CDC_BENCH_ROUNDS", 3_usize).max(1);
    let mut options = ClusterOptions::with_nodes(1);
    options.max_heap = "2g".into();
    let cluster = KafkaCluster::start_with(options).expect("kafka starts");
    let bootstrap = cluster.bootstrap_servers();
    let database = Database::start_postgres().expect("postgres starts");
    warm_up_produce_path(&bootstrap, 800);
    let mut watermarks = Watermarks::new(&bootstrap);
    let dir = tempfile::tempdir_in(std::env::var("TRIBUTARY_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let mut runs: Vec<Run> = Vec::new();
    // Each run is shown as it ends, and all of them in the table at the end.
    let mut measured = |run: Run| {
        eprintln!("{}", run.row());
        runs.push(run);
    };
    for round in 1..=rounds {
        measured(decode_step(round, &database, rows));
        let (run, sample) = connector_step(
            TRIBUTARY,
            round,
            (&cluster, &database, dir.path()),
            &mut watermarks,
            rows,
        );
        measured(run);
        eprintln!("== {KAFKA_ALONE}, round {round}");
        let topic = format!("cdc-kafka-alone-r{round}");
        let seconds = produce_copies(&bootstrap, &topic, &sample, rows);
        delete_topic(&bootstrap, &topic);
        measured(Run {
            round,
            system: KAFKA_ALONE,
            rows,
            seconds,
            cpu_seconds: None,
            streaming: None,
            peak_rss_mb: None,
        });
        if round == 1 {
            measured(
                connector_step(
                    DEBEZIUM,
                    round,
                    (&cluster, &database, dir.path()),
                    &mut watermarks,
                    rows,
                )
                .0,
            );
        }
    }

    println!("\n## PostgreSQL change data capture: a backlog of {rows} inserted rows, {rounds} rounds\n");
    println!(
        "| round | system | rows/s | rows/s once writing | seconds | worker CPU s | rows per CPU s | peak RSS MB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for run in &runs {
        println!("{}", run.row());
    }
    let of = |system: &'static str| runs.iter().filter(move |r| r.system == system);
    let Some(debezium) = of(DEBEZIUM).next() else {
        return;
    };
    let per_cpu = |run: &Run| run.cpu_seconds.map_or(f64::NAN, |c| run.rows as f64 / c);
    let (low, median, high) = spread(of(TRIBUTARY).map(|run| per_cpu(run) / per_cpu(debezium)).collect());
    println!("\nTributary / Debezium rows per CPU s: {median:.2}x (rounds {low:.2}-{high:.2}x)");
    let (low, median, high) = spread(
        of(TRIBUTARY)
            .map(|run| run.rows_per_s() / debezium.rows_per_s())
            .collect(),
    );
    println!("Tributary / Debezium rows/s: {median:.2}x (rounds {low:.2}-{high:.2}x)");
    // Each round's limit is the lower of the two measured in it.
    let limit = |round: usize| {
        of(DECODE_ALONE)
            .chain(of(KAFKA_ALONE))
            .filter(|run| run.round == round)
            .map(Run::rows_per_s)
            .fold(f64::INFINITY, f64::min)
    };
    let share = |rate: fn(&Run) -> Option<f64>| {
        let (low, median, high) = spread(
            of(TRIBUTARY)
                .filter_map(|run| Some(rate(run)? / limit(run.round) * 100.0))
                .collect(),
        );
        format!("{median:.0}% (rounds {low:.0}-{high:.0}%)")
    };
    println!(
        "Tributary / the lower limit's rows/s: {} from the resumption, {} once writing",
        share(|run| Some(run.rows_per_s())),
        share(|run| run.streaming)
    );
}
