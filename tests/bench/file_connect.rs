//! Benchmark: file → Kafka and Kafka → file, Tributary against Apache Kafka Connect 4.3.1's
//! FileStream connectors on the same broker in the same run, with the raw limit (an rdkafka
//! producer or consumer alone) measured alongside.
//!
//! The broker's produce path is warmed first (2 M records of 100 bytes), so that the first
//! contender does not pay for its JVM's compiling it, and each step begins with the files the
//! steps before it wrote already on disk, so that none pays for another's writeback.
//!
//! The raw line, Tributary and Apache take turns three times per line size
//! (`FILE_BENCH_ROUNDS`), each round with new topics and new workers, so that what else this
//! two-core machine does at a moment (the broker's JIT compiler, above all) falls on all three.
//! The summary gives the median and the spread of the rounds' ratios, each round's Tributary
//! against the same round's raw line and Apache.
//!
//! Run with `cargo bench --bench file_connect`; `TRIBUTARY_BENCH_MB` sets the data size per line
//! size (default 1024). Reports MB/s, CPU seconds, MB per CPU second, peak RSS and the time
//! from process start to REST ready; a connector's MB/s both from its submission and once it
//! was writing (from the first poll that saw records or lines out of it), which leaves out the
//! time it takes to start (its task, a sink's consumer joining its group).

mod support;

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use support::{
    cpu_seconds, env_or, free_port, http, peak_rss_mb, source_like_producer, spread, submit_until, wait_until,
    warm_up_produce_path, write_back_dirty_pages, Watermarks, Writing,
};
use tributary_harness::{ChildProcess, ClusterOptions, KafkaCluster};

const STRING: &str = "org.apache.kafka.connect.storage.StringConverter";

/// How often a step's progress is read (the topic's watermark, the output file's length): a
/// step of a gigabyte of 1 KiB lines takes about a second, which a 100 ms poll would overrun by
/// 5% on average (the raw line knows its end exactly).
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The systems' names in the tables.
const TRIBUTARY: &str = "Tributary";
const APACHE: &str = "Apache Connect 4.3.1";
const RAW: &str = "raw rdkafka";
const DIRECTIONS: [&str; 2] = ["file → Kafka", "Kafka → file"];

/// One measured run.
struct Run {
    system: &'static str,
    direction: &'static str,
    line_bytes: usize,
    megabytes: f64,
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_mb: f64,
    ready_seconds: Option<f64>,
    /// A connector's MB/s once it had written its first records or lines (see [`Writing`]).
    streaming_mb_per_s: Option<f64>,
}

impl Run {
    fn mb_per_s(&self) -> f64 {
        self.megabytes / self.seconds
    }
    fn mb_per_cpu_s(&self) -> f64 {
        self.megabytes / self.cpu_seconds.max(1e-9)
    }
}

fn write_input(path: &Path, line_bytes: usize, total_mb: usize) -> u64 {
    let lines = (total_mb * 1024 * 1024 / line_bytes) as u64;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let filler: Vec<u8> = (0..line_bytes).map(|i| b'a' + (i % 26) as u8).collect();
    for i in 0..lines {
        let head = format!("{i:012} ");
        out.write_all(head.as_bytes()).unwrap();
        out.write_all(&filler[..line_bytes - head.len() - 1]).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    lines
}

/// The raw producer: reads the file and produces each line, no framework.
fn raw_produce(bootstrap: &str, topic: &str, input: &Path, line_bytes: usize, megabytes: f64) -> Run {
    let producer = source_like_producer(bootstrap);
    write_back_dirty_pages();
    let cpu0 = cpu_seconds("self");
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(input).unwrap());
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.unwrap();
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(&line[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => panic!("raw producer: {e}"),
            }
        }
        if n % 1000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).unwrap();
    Run {
        system: RAW,
        direction: "file → Kafka",
        line_bytes,
        megabytes,
        seconds: started.elapsed().as_secs_f64(),
        cpu_seconds: cpu_seconds("self") - cpu0,
        peak_rss_mb: 0.0,
        ready_seconds: None,
        streaming_mb_per_s: None,
    }
}

/// The raw consumer: reads the topic and writes each value as a line, no framework.
fn raw_consume(bootstrap: &str, topic: &str, output: &Path, lines: u64, line_bytes: usize, megabytes: f64) -> Run {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("raw-{topic}"))
        .set("enable.auto.commit", "false")
        // The same fetch back-off Tributary's sinks use, so the limit is not held back by it.
        .set("fetch.queue.backoff.ms", "10")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&assignment).unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(output).unwrap());
    write_back_dirty_pages();
    let cpu0 = cpu_seconds("self");
    let started = Instant::now();
    let mut seen = 0u64;
    while seen < lines {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            out.write_all(message.payload().unwrap_or_default()).unwrap();
            out.write_all(b"\n").unwrap();
            seen += 1;
        }
    }
    out.flush().unwrap();
    Run {
        system: RAW,
        direction: "Kafka → file",
        line_bytes,
        megabytes,
        seconds: started.elapsed().as_secs_f64(),
        cpu_seconds: cpu_seconds("self") - cpu0,
        peak_rss_mb: 0.0,
        ready_seconds: None,
        streaming_mb_per_s: None,
    }
}

/// A file's lines, in any order: their count and the wrapping sum of each line's hash, so that
/// a sink's output can be checked against the input whatever the order of its partitions.
fn lines_digest(path: &Path) -> (u64, u64) {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("file to digest"));
    file.split(b'\n').fold((0, 0), |(count, sum), line| {
        let line = line.expect("line read");
        (count + 1, sum.wrapping_add(hasher.hash_one(&line)))
    })
}

/// A Connect worker (Tributary or Apache) under measurement.
struct Worker {
    name: &'static str,
    process: ChildProcess,
    url: String,
    ready_seconds: f64,
}

fn worker_properties(dir: &Path, bootstrap: &str, port: u16, tag: &str) -> PathBuf {
    let path = dir.join(format!("{tag}-worker.properties"));
    std::fs::write(
        &path,
        format!(
            "bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:{port}\nkey.converter={STRING}\nvalue.converter={STRING}\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=10000\n",
            dir.join(format!("{tag}.offsets")).display()
        ),
    )
    .unwrap();
    path
}

fn start_worker(name: &'static str, mut command: Command, port: u16, log: &Path) -> Worker {
    let started = Instant::now();
    command.stdin(std::process::Stdio::null());
    let process = ChildProcess::spawn(command, log).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    wait_until(&format!("{name} REST ready"), Duration::from_secs(120), || {
        http("GET", &format!("{url}/"), None) == Some(200)
    });
    Worker {
        name,
        process,
        url,
        ready_seconds: started.elapsed().as_secs_f64(),
    }
}

impl Worker {
    /// Submits `connector` and waits until `written` (polled) reaches `total` (records or bytes,
    /// as `written` counts).
    fn measure(
        &self,
        direction: &'static str,
        connector: String,
        line_bytes: usize,
        megabytes: f64,
        total: u64,
        mut written: impl FnMut() -> u64,
    ) -> Run {
        let pid = self.process.pid().to_string();
        let what = format!("{} {direction}", self.name);
        let mut writing = Writing::of(total as usize);
        write_back_dirty_pages();
        let (seconds, cpu_seconds) = submit_until(&self.url, &pid, &connector, &what, POLL_INTERVAL, || {
            writing.note(written() as f64)
        });
        Run {
            system: self.name,
            direction,
            line_bytes,
            megabytes,
            seconds,
            cpu_seconds,
            peak_rss_mb: peak_rss_mb(&pid),
            ready_seconds: Some(self.ready_seconds),
            streaming_mb_per_s: writing
                .streaming_rate()
                .map(|per_second| megabytes * per_second / total as f64),
        }
    }
}

/// A fresh worker of `system` ("tributary" or "apache") for one round; its files are tagged `tag`.
fn start_system(cluster: &KafkaCluster, dir: &Path, system: &str, tag: &str) -> Worker {
    let port = free_port();
    let properties = worker_properties(dir, &cluster.bootstrap_servers(), port, tag);
    let (name, command) = if system == "tributary" {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tributary"));
        c.arg("standalone").arg(&properties).env("RUST_LOG", "warn");
        (TRIBUTARY, c)
    } else {
        let mut c = cluster
            .distribution()
            .java("org.apache.kafka.connect.cli.ConnectStandalone", "2g");
        c.arg(&properties);
        (APACHE, c)
    };
    start_worker(name, command, port, &dir.join(format!("{tag}.log")))
}

fn main() {
    let total_mb: usize = env_or("TRIBUTARY_BENCH_MB", 1024);
    let rounds: usize = env_or("FILE_BENCH_ROUNDS", 3_usize).max(1);
    let mut options = ClusterOptions::with_nodes(1);
    options.max_heap = "2g".into();
    let cluster = KafkaCluster::start_with(options).expect("kafka starts");
    let bootstrap = cluster.bootstrap_servers();
    warm_up_produce_path(&bootstrap, 100);
    let mut watermarks = Watermarks::new(&bootstrap);
    let dir = tempfile::tempdir_in(std::env::var("TRIBUTARY_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runs = Vec::new();

    for line_bytes in [100usize, 1024] {
        let input = dir.path().join(format!("in-{line_bytes}.txt"));
        let lines = write_input(&input, line_bytes, total_mb);
        let bytes = std::fs::metadata(&input).unwrap().len();
        let megabytes = bytes as f64 / 1_048_576.0;
        eprintln!("== {line_bytes}-byte lines: {lines} lines, {megabytes:.0} MB");

        for round in 1..=rounds {
            // Topics, connector names (and so sink groups) and worker files unique per round.
            let name = |system: &str| format!("{system}-{line_bytes}-r{round}");
            let raw_topic = format!("bench-{}", name("raw"));
            let mut in_round = Vec::new();
            rt.block_on(cluster.create_topic(&raw_topic, 1, 1)).unwrap();
            eprintln!("== raw, {line_bytes} B, round {round}");
            in_round.push(raw_produce(&bootstrap, &raw_topic, &input, line_bytes, megabytes));
            let raw_out = dir.path().join("raw-out.txt");
            in_round.push(raw_consume(
                &bootstrap, &raw_topic, &raw_out, lines, line_bytes, megabytes,
            ));
            std::fs::remove_file(&raw_out).ok();

            // Apache in every round: one run of a JVM that compiles as it goes made the ratio
            // swing by a fifth from run to run.
            for system in ["tributary", "apache"] {
                eprintln!("== {system}, {line_bytes} B, round {round}");
                let worker = start_system(&cluster, dir.path(), system, &name(system));
                let target = format!("bench-{}", name(system));
                rt.block_on(cluster.create_topic(&target, 1, 1)).unwrap();
                let source = serde_json::json!({"name": format!("source-{}", name(system)), "config": {
                    "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                    "file": input.display().to_string(), "topic": target}});
                in_round.push(
                    worker.measure(DIRECTIONS[0], source.to_string(), line_bytes, megabytes, lines, || {
                        watermarks.high(&target).max(0) as u64
                    }),
                );
                let output = dir.path().join(format!("{}-out.txt", name(system)));
                let sink = serde_json::json!({"name": format!("sink-{}", name(system)), "config": {
                    "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                    "file": output.display().to_string(), "topics": raw_topic}});
                in_round.push(
                    worker.measure(DIRECTIONS[1], sink.to_string(), line_bytes, megabytes, bytes, || {
                        std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0)
                    }),
                );
                assert_eq!(
                    lines_digest(&output),
                    lines_digest(&input),
                    "{system}'s sink wrote every input line once (count and checksum)"
                );
                drop(worker);
                std::fs::remove_file(&output).ok();
            }
            runs.extend(in_round.into_iter().map(|run| (round, run)));
        }
        std::fs::remove_file(&input).ok();
    }

    println!(
        "\n| direction | line | system | round | MB/s | MB/s once writing | CPU s | MB per CPU s | peak RSS MB | start → REST ready s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (round, run) in &runs {
        println!(
            "| {} | {} B | {} | {round} | {:.1} | {} | {:.1} | {:.1} | {} | {} |",
            run.direction,
            run.line_bytes,
            run.system,
            run.mb_per_s(),
            run.streaming_mb_per_s
                .map(|rate| format!("{rate:.1}"))
                .unwrap_or_else(|| "–".into()),
            run.cpu_seconds,
            run.mb_per_cpu_s(),
            if run.peak_rss_mb > 0.0 {
                format!("{:.0}", run.peak_rss_mb)
            } else {
                "–".into()
            },
            run.ready_seconds
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "–".into()),
        );
    }
    println!(
        "\nMedians of {rounds} rounds, lowest and highest in brackets; Tributary / raw pairs the round's two runs \
         (Tributary timed from its connector's submission, or once it was writing: from the first poll, every \
         {} ms, that saw records or lines out of it), and so do Tributary / Apache and Apache RSS / Tributary \
         RSS.",
        POLL_INTERVAL.as_millis()
    );
    println!("\n| direction | line | Tributary / raw MB/s | the same, Tributary once writing | Tributary / Apache MB per CPU s | Tributary / Apache MB/s | Tributary peak RSS MB | Apache RSS / Tributary RSS |");
    println!("|---|---|---|---|---|---|---|---|");
    for direction in DIRECTIONS {
        for line_bytes in [100usize, 1024] {
            let of = |system: &str| -> Vec<(usize, &Run)> {
                runs.iter()
                    .filter(|(_, r)| r.system == system && r.direction == direction && r.line_bytes == line_bytes)
                    .map(|(round, run)| (*round, run))
                    .collect()
            };
            let (ours, raw, apache) = (of(TRIBUTARY), of(RAW), of(APACHE));
            // Each round's Tributary figure against the same round's run of `other`.
            let paired = |other: &[(usize, &Run)], ratio: &dyn Fn(&Run, &Run) -> Option<f64>| {
                spread(
                    ours.iter()
                        .filter_map(|(round, t)| {
                            let (_, o) = other.iter().find(|(other_round, _)| other_round == round)?;
                            ratio(t, o)
                        })
                        .collect(),
                )
            };
            let whole = paired(&raw, &|t, r| Some(100.0 * t.mb_per_s() / r.mb_per_s()));
            let streaming = paired(&raw, &|t, r| Some(100.0 * t.streaming_mb_per_s? / r.mb_per_s()));
            let per_cpu = paired(&apache, &|t, a| Some(t.mb_per_cpu_s() / a.mb_per_cpu_s()));
            let speed = paired(&apache, &|t, a| Some(t.mb_per_s() / a.mb_per_s()));
            let apache_rss = paired(&apache, &|t, a| Some(a.peak_rss_mb / t.peak_rss_mb.max(1e-9)));
            let rss = spread(ours.iter().map(|(_, t)| t.peak_rss_mb).collect());
            println!(
                "| {direction} | {line_bytes} B | {:.0}% ({:.0}–{:.0}%) | {:.0}% ({:.0}–{:.0}%) | {:.2}x ({:.2}–{:.2}x) | {:.2}x ({:.2}–{:.2}x) | {:.0} ({:.0}–{:.0}) | {:.1}x |",
                whole.1,
                whole.0,
                whole.2,
                streaming.1,
                streaming.0,
                streaming.2,
                per_cpu.1,
                per_cpu.0,
                per_cpu.2,
                speed.1,
                speed.0,
                speed.2,
                rss.1,
                rss.0,
                rss.2,
                apache_rss.1,
            );
        }
    }
}
