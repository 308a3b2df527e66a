//! Benchmark: mirroring between two clusters, Tributary's dedicated mode against Apache
//! MirrorMaker 2 4.3.1's dedicated mode (`org.apache.kafka.connect.mirror.MirrorMaker`, jars
//! from Maven) and the raw limit (an rdkafka consume → produce pipe with no framework), on the
//! same two single-broker clusters in the same run, for 100-byte and 1 KiB records.
//!
//! Each contender copies the same source topic (6 partitions) to its own remote topic. Reported
//! per contender: start-up (process start to the first record in the target), then for the
//! copy itself (first record in the target to the last) records/s, MB/s, CPU seconds of its
//! process (user + system) and records per CPU second; and peak RSS. Then, with the mirror
//! still running, end-to-end latency: 5,000 records (after 2,000 to warm up) produced at about
//! 2,000 a second to a second topic, each one's latency the time from its creation (its timestamp, which mirrors
//! keep) to its arrival in the bench's consumer of the target, p50 and p99. Both mirrors run
//! with `tasks.max=2`.
//!
//! The raw pipe and Tributary take turns three times (`MIRROR_BENCH_ROUNDS`), each round
//! copying to new remote topics, so that what else this two-core machine does at a moment (the
//! brokers' JIT compilers, above all) falls on both; the summary gives the median and the spread
//! of the rounds' ratios. MirrorMaker 2 runs once per record size, and latency is measured in
//! the first round only.
//!
//! The target's produce path is warmed first (2 M records of 100 bytes), so that the first
//! contender does not pay for its JVM's compiling it, and each contender starts with the disk
//! written back, so that none pays for another's writeback. Before any figure is printed, each copy
//! is read back whole and compared with the source: per partition, the record count and an
//! order-independent checksum of keys and values.
//!
//! Run with `cargo bench --bench mirror`; `MIRROR_BENCH_MB` sets the megabytes per record size
//! (default 1000); `MIRROR_BENCH_SETTINGS` adds lines to both mirrors' files (`\n`-separated,
//! `{alias}` standing for the flow's source alias), e.g. to compare client settings;
//! `MIRROR_BENCH_ONLY` (e.g. `Tributary`) runs only the contenders it names, and
//! `MIRROR_BENCH_SIZES` (e.g. `1024`) only the record sizes it names.
//!
//! Then the long link: both mirrors copy 1 KiB records (`MIRROR_BENCH_WAN_MB`, default 300;
//! `0` skips it, as `MIRROR_BENCH_MB=0` skips the loopback copies) from the source through a
//! user-space proxy ([`wan_link`]) that adds 50, then 100 ms of round trip and caps the link at
//! 40 MB/s each way, to a target on loopback. Reported: MB/s of record values and their share
//! of the link, beside what one plain TCP connection moves through the same proxy.

mod support;
mod wan_link;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use support::{cpu_seconds, env_or, mirror_file, peak_rss_mb, spread, warm_up_produce_path, write_back_dirty_pages};
use tributary_harness::clients::send_waiting;
use tributary_harness::{ChildProcess, ClusterOptions, KafkaCluster};

const PARTITIONS: i32 = 6;

fn client(bootstrap: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", bootstrap);
    client
}

/// Sum of the end offsets of `topic`'s partitions on `bootstrap` (0 while it does not exist).
fn end_offsets(consumer: &StreamConsumer, topic: &str) -> i64 {
    (0..PARTITIONS)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .map(|(_, high)| high)
                .unwrap_or(0)
        })
        .sum()
}

fn produce(bootstrap: &str, topic: &str, records: usize, size: usize) {
    let producer: BaseProducer = client(bootstrap)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "none")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap();
    let value: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    for i in 0..records {
        let key = format!("key-{i}");
        send_waiting(
            &producer,
            BaseRecord::<String, [u8]>::to(topic).key(&key).payload(&value),
        )
        .unwrap();
    }
    producer.flush(Duration::from_secs(300)).unwrap();
}

/// Per partition: (records, wrapping sum of a hash of each record's key and value), reading
/// `topic` from the beginning to its end offsets.
async fn contents(bootstrap: &str, topic: &str) -> Vec<(i64, u64)> {
    use std::hash::{Hash, Hasher};
    let consumer: StreamConsumer = client(bootstrap)
        .set("group.id", format!("bench-check-{topic}"))
        .set("enable.auto.commit", "false")
        .set("fetch.queue.backoff.ms", "10")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    let mut remaining = 0;
    for partition in 0..PARTITIONS {
        let (_, high) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(10))
            .unwrap();
        remaining += high;
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut sums = vec![(0i64, 0u64); PARTITIONS as usize];
    let mut stream = consumer.stream();
    while remaining > 0 {
        let message = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("the copy can be read back")
            .unwrap()
            .unwrap();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        message.key().hash(&mut hasher);
        message.payload().hash(&mut hasher);
        let entry = &mut sums[message.partition() as usize];
        entry.0 += 1;
        entry.1 = entry.1.wrapping_add(hasher.finish());
        remaining -= 1;
    }
    sums
}

struct Figures {
    name: &'static str,
    /// The flow alias; the copy is `<alias>.<topic>`.
    alias: String,
    startup: f64,
    /// Records copied after the first one was seen in the target.
    copied: i64,
    seconds: f64,
    cpu: f64,
    rss: f64,
    /// p50 and p99 end-to-end latency in ms (mirrors only).
    latency: Option<(i64, i64)>,
}

/// The raw limit: consume the source, produce to the target, nothing else; in this process.
async fn raw_pipe(source: &str, target: &str, topic: &str, remote: &str, records: i64) {
    let consumer: StreamConsumer = client(source)
        .set("group.id", format!("bench-raw-{remote}"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.queue.backoff.ms", "10")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    // The settings of the mirror's producers.
    let producer: BaseProducer = client(target)
        .set("linger.ms", "5")
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("max.in.flight.requests.per.connection", "5")
        .create()
        .unwrap();
    let mut stream = consumer.stream();
    let mut copied = 0;
    while copied < records {
        let Some(Ok(message)) = stream.next().await else {
            continue;
        };
        let mut record = BaseRecord::<[u8], [u8]>::to(remote).partition(message.partition());
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(value) = message.payload() {
            record = record.payload(value);
        }
        send_waiting(&producer, record).unwrap();
        producer.poll(Duration::ZERO);
        copied += 1;
    }
    producer.flush(Duration::from_secs(120)).unwrap();
}

/// Where a contender copies from and to.
struct Clusters<'a> {
    source: &'a KafkaCluster,
    /// The source's bootstrap servers as the contenders reach them (directly, or through a
    /// [`wan_link`]).
    source_servers: String,
    target: &'a KafkaCluster,
}

/// Runs contender `name` copying `topic` (`records` records) to `<alias>.<topic>`, its alias
/// a letter per contender followed by `run`; with `with_latency`, measures latency after it.
async fn measure(
    name: &'static str,
    clusters: &Clusters<'_>,
    dir: &Path,
    (topic, run): (&str, &str),
    records: i64,
    with_latency: bool,
) -> Figures {
    let (source, target) = (clusters.source_servers.clone(), clusters.target.bootstrap_servers());
    // An alias per contender and run: each mirror run gets its own group and internal topics.
    let alias = match name {
        "Tributary" => "R",
        "MirrorMaker 2" => "J",
        _ => "raw",
    }
    .to_string()
        + run;
    let alias = alias.as_str();
    let remote = format!("{alias}.{topic}");
    let watcher: StreamConsumer = client(&target).create().unwrap();
    write_back_dirty_pages();
    let started = Instant::now();
    let (pid, mut process) = match name {
        "Tributary" | "MirrorMaker 2" => {
            let mut topics = topic.to_string();
            if with_latency {
                clusters
                    .source
                    .create_topic(&format!("lat-{alias}"), 1, 1)
                    .await
                    .unwrap();
                topics += &format!("|lat-{alias}");
            }
            let settings = std::env::var("MIRROR_BENCH_SETTINGS")
                .unwrap_or_default()
                .replace("\\n", "\n")
                .replace("{alias}", alias);
            let file = mirror_file(
                dir,
                alias,
                &source,
                &target,
                &topics,
                &format!("tasks.max = 2\n{settings}"),
            );
            let command = if name == "Tributary" {
                let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
                command.arg("mirror").arg(&file).env("RUST_LOG", "warn");
                command
            } else {
                let mut command = clusters
                    .source
                    .distribution()
                    .java("org.apache.kafka.connect.mirror.MirrorMaker", "2g");
                command.arg(&file);
                command
            };
            let process = ChildProcess::spawn(command, &dir.join(format!("{alias}.log"))).unwrap();
            (process.pid().to_string(), Some(process))
        }
        _ => {
            let (source, target, topic, remote) = (source.clone(), target.clone(), topic.to_string(), remote.clone());
            tokio::spawn(async move {
                let admin = clusters_admin(&target);
                create_remote(&admin, &remote).await;
                raw_pipe(&source, &target, &topic, &remote, records).await
            });
            ("self".to_string(), None)
        }
    };
    // (when, records in the target, CPU seconds) at the first record seen there.
    let mut first: Option<(Instant, i64, f64)> = None;
    loop {
        let copied = end_offsets(&watcher, &remote);
        if copied > 0 && first.is_none() {
            first = Some((Instant::now(), copied, cpu_seconds(&pid)));
        }
        if copied >= records {
            break;
        }
        if let Some(status) = process.as_mut().and_then(|p| p.exit_status()) {
            panic!(
                "{name} exited early ({status}):\n{}",
                process.as_ref().map(|p| p.log_tail(40)).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (first_at, first_copied, first_cpu) = first.unwrap_or((started, 0, 0.0));
    let seconds = first_at.elapsed().as_secs_f64();
    let cpu = cpu_seconds(&pid) - first_cpu;
    let rss = if pid == "self" { 0.0 } else { peak_rss_mb(&pid) };
    let latency = match process {
        Some(_) if with_latency => Some(latency(&source, &target, alias).await),
        _ => None,
    };
    if let Some(mut process) = process {
        process.terminate(Duration::from_secs(30));
    }
    Figures {
        name,
        alias: alias.to_string(),
        startup: (first_at - started).as_secs_f64(),
        copied: records - first_copied,
        seconds,
        cpu,
        rss,
        latency,
    }
}

/// p50 and p99 end-to-end latency in ms of records produced to `lat-<alias>` at about 2,000 a
/// second, read from its remote topic.
async fn latency(source: &str, target: &str, alias: &str) -> (i64, i64) {
    const SAMPLES: usize = 5_000;
    // The first second's records also wait for the consumer's first fetch; not counted.
    const WARM_UP: usize = 2_000;
    let topic = format!("lat-{alias}");
    let consumer: StreamConsumer = client(target)
        .set("group.id", format!("bench-latency-{alias}"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&format!("{alias}.{topic}"), 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let producer: BaseProducer = client(source).set("linger.ms", "0").create().unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..WARM_UP + SAMPLES {
            send_waiting(&producer, BaseRecord::<str, str>::to(&topic).payload("latency probe")).unwrap();
            producer.poll(Duration::ZERO);
            if i % 10 == 9 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        producer.flush(Duration::from_secs(60)).unwrap();
    });
    let mut latencies = Vec::with_capacity(WARM_UP + SAMPLES);
    while latencies.len() < WARM_UP + SAMPLES {
        let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(60), consumer.recv()).await else {
            break;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        latencies.push(now - message.timestamp().to_millis().unwrap_or(now));
    }
    sender.join().unwrap();
    let mut latencies = latencies.split_off(WARM_UP.min(latencies.len()));
    latencies.sort_unstable();
    let at = |q: usize| latencies.get(latencies.len() * q / 100).copied().unwrap_or(-1);
    (at(50), at(99))
}

fn clusters_admin(bootstrap: &str) -> rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> {
    client(bootstrap).create().unwrap()
}

async fn create_remote(admin: &rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext>, topic: &str) {
    let new = rdkafka::admin::NewTopic::new(topic, PARTITIONS, rdkafka::admin::TopicReplication::Fixed(1));
    admin
        .create_topics(&[new], &rdkafka::admin::AdminOptions::new())
        .await
        .unwrap();
}

/// Those of `all` named in `MIRROR_BENCH_ONLY` (comma-separated), or all of them; the ratios
/// are printed only when all run.
fn contenders(all: &[&'static str]) -> Vec<&'static str> {
    match std::env::var("MIRROR_BENCH_ONLY") {
        Ok(only) => all
            .iter()
            .copied()
            .filter(|name| only.split(',').any(|o| o.trim() == *name))
            .collect(),
        Err(_) => all.to_vec(),
    }
}

/// Reads `figures`' copy of `topic` back and panics unless it equals `expected`.
fn verify(
    runtime: &tokio::runtime::Runtime,
    target: &KafkaCluster,
    figures: &Figures,
    topic: &str,
    expected: &[(i64, u64)],
) {
    let copy = format!("{}.{topic}", figures.alias);
    let copied = runtime.block_on(contents(&target.bootstrap_servers(), &copy));
    assert_eq!(
        copied, expected,
        "{}'s copy {copy} differs from the source (records, checksum per partition)",
        figures.name
    );
}

/// The raw pipe, Tributary and MirrorMaker 2 on loopback, for 100-byte and 1 KiB records;
/// the raw pipe and Tributary `rounds` times each.
fn local_copies(
    runtime: &tokio::runtime::Runtime,
    clusters: &Clusters<'_>,
    dir: &Path,
    (megabytes, rounds): (usize, usize),
) {
    println!(
        "| record size | system | round | start-up s | records/s | MB/s | CPU s | records per CPU s | peak RSS MB | latency p50 / p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    let sizes: Vec<usize> = match std::env::var("MIRROR_BENCH_SIZES") {
        Ok(sizes) => sizes.split(',').filter_map(|size| size.trim().parse().ok()).collect(),
        Err(_) => vec![100, 1024],
    };
    for size in sizes {
        let records = megabytes * 1_000_000 / size;
        let topic = format!("bench-{size}");
        runtime
            .block_on(clusters.source.create_topic(&topic, PARTITIONS, 1))
            .unwrap();
        eprintln!("== producing {records} records of {size} B");
        produce(&clusters.source.bootstrap_servers(), &topic, records, size);
        let expected = runtime.block_on(contents(&clusters.source.bootstrap_servers(), &topic));
        // Each round's (raw pipe, Tributary) pair gives a ratio; MirrorMaker 2 runs in round 1.
        let mut pairs = Vec::new();
        let mut apache = None;
        for round in 0..rounds {
            let mut raw = None;
            for name in contenders(&["raw rdkafka pipe", "Tributary", "MirrorMaker 2"]) {
                if round > 0 && name == "MirrorMaker 2" {
                    continue;
                }
                eprintln!("== {name}, {size} B, round {}", round + 1);
                // A remote topic per contender and round: `R1024`, then `R1024r2`, ...
                let run = match round {
                    0 => size.to_string(),
                    _ => format!("{size}r{}", round + 1),
                };
                let f = runtime.block_on(measure(name, clusters, dir, (&topic, &run), records as i64, round == 0));
                verify(runtime, clusters.target, &f, &topic, &expected);
                let rate = f.copied as f64 / f.seconds;
                println!(
                    "| {size} B | {} | {} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0} | {} | {} |",
                    f.name,
                    round + 1,
                    f.startup,
                    rate,
                    rate * size as f64 / 1e6,
                    f.cpu,
                    f.copied as f64 / f.cpu,
                    if f.rss > 0.0 {
                        format!("{:.0}", f.rss)
                    } else {
                        "(in the bench process)".into()
                    },
                    f.latency.map_or("-".to_string(), |(p50, p99)| format!("{p50} / {p99}"))
                );
                match name {
                    "raw rdkafka pipe" => raw = Some(f),
                    "Tributary" => {
                        if let Some(raw) = raw.take() {
                            pairs.push((raw, f));
                        }
                    }
                    _ => apache = Some(f),
                }
            }
        }
        let rate = |f: &Figures| f.copied as f64 / f.seconds;
        let per_cpu = |f: &Figures| f.copied as f64 / f.cpu;
        if !pairs.is_empty() {
            let share = spread(pairs.iter().map(|(raw, ours)| 100.0 * rate(ours) / rate(raw)).collect());
            let cpu = spread(pairs.iter().map(|(raw, ours)| per_cpu(raw) / per_cpu(ours)).collect());
            summary.push(format!(
                "{size} B, {} rounds: Tributary moves {:.0}% (median; {:.0}-{:.0}%) of the raw pipe's records/s, at {:.2}x (median; {:.2}-{:.2}x) its CPU per record",
                pairs.len(),
                share.1,
                share.0,
                share.2,
                cpu.1,
                cpu.0,
                cpu.2
            ));
        }
        if let Some(apache) = apache {
            let ours = spread(pairs.iter().map(|(_, ours)| per_cpu(ours)).collect());
            summary.push(format!(
                "{size} B: Tributary's median records per CPU second are {:.2}x MirrorMaker 2's; its first round's throughput {:.2}x",
                ours.1 / per_cpu(&apache),
                pairs.first().map_or(f64::NAN, |(_, ours)| rate(ours) / rate(&apache))
            ));
        }
    }
    println!();
    for line in summary {
        println!("{line}");
    }
}

/// The loopback host the source's `WAN` listener is advertised on: the link's proxy listens
/// there, on the listener's port.
const WAN_HOST: &str = "127.0.0.2";

/// The link's bandwidth in each direction.
const WAN_BYTES_PER_SECOND: f64 = 40e6;

/// Tributary and MirrorMaker 2 copying 1 KiB records from the source through a [`wan_link`]
/// of 50 and 100 ms round trip capped at 40 MB/s; the target stays on loopback, as when a
/// mirror runs beside its target cluster.
fn wan_copies(
    runtime: &tokio::runtime::Runtime,
    source: &KafkaCluster,
    target: &KafkaCluster,
    dir: &Path,
    megabytes: usize,
) {
    const SIZE: usize = 1024;
    let records = megabytes * 1_000_000 / SIZE;
    let topic = "bench-wan";
    runtime.block_on(source.create_topic(topic, PARTITIONS, 1)).unwrap();
    eprintln!("== producing {records} records of {SIZE} B for the long link");
    produce(&source.bootstrap_servers(), topic, records, SIZE);
    let expected = runtime.block_on(contents(&source.bootstrap_servers(), topic));
    let broker: std::net::SocketAddr = source.listener_servers("WAN").parse().unwrap();
    let through = std::net::SocketAddr::new(WAN_HOST.parse().unwrap(), broker.port());
    // Half of the largest receive buffer Linux's autotuning may grow a socket to here: the
    // window a well-tuned TCP connection gets, the rest of the buffer being its overhead.
    let rmem_max: usize = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_rmem")
        .ok()
        .and_then(|v| v.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(6 << 20);
    println!();
    println!("| round trip | system | MB/s | share of the link | CPU s | records per CPU s | peak RSS MB |");
    println!("|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for round_trip in [50, 100] {
        let link = wan_link::WanLink {
            round_trip: Duration::from_millis(round_trip),
            bytes_per_second: WAN_BYTES_PER_SECOND,
            window: rmem_max / 2,
        };
        let raw = runtime.block_on(async {
            let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let probe: std::net::SocketAddr = format!("127.0.0.1:{}", support::free_port()).parse().unwrap();
            let proxy = wan_link::serve(probe, sink.local_addr().unwrap(), link).await.unwrap();
            let rate = wan_link::measure_raw(probe, sink, 200).await;
            proxy.abort();
            rate
        });
        let share = |bytes_per_second: f64| 100.0 * bytes_per_second / WAN_BYTES_PER_SECOND;
        println!(
            "| {round_trip} ms | one TCP connection | {:.1} | {:.0}% | - | - | - |",
            raw / 1e6,
            share(raw)
        );
        let proxy = runtime.block_on(wan_link::serve(through, broker, link)).unwrap();
        let clusters = Clusters {
            source,
            source_servers: through.to_string(),
            target,
        };
        let mut rates = Vec::new();
        for name in contenders(&["Tributary", "MirrorMaker 2"]) {
            eprintln!("== {name} over {round_trip} ms");
            let run = format!("wan{round_trip}");
            let f = runtime.block_on(measure(name, &clusters, dir, (topic, &run), records as i64, false));
            verify(runtime, target, &f, topic, &expected);
            let rate = f.copied as f64 * SIZE as f64 / f.seconds;
            println!(
                "| {round_trip} ms | {} | {:.1} | {:.0}% | {:.1} | {:.0} | {:.0} |",
                f.name,
                rate / 1e6,
                share(rate),
                f.cpu,
                f.copied as f64 / f.cpu,
                f.rss
            );
            rates.push(rate);
        }
        proxy.abort();
        if let [ours, apache] = rates[..] {
            summary.push(format!(
                "{round_trip} ms: Tributary moves {:.0}% of the link's 40 MB/s, MirrorMaker 2 {:.0}% ({:.2}x)",
                share(ours),
                share(apache),
                ours / apache
            ));
        }
    }
    println!();
    for line in summary {
        println!("{line}");
    }
}

fn main() {
    let (megabytes, wan_megabytes): (usize, usize) =
        (env_or("MIRROR_BENCH_MB", 1000), env_or("MIRROR_BENCH_WAN_MB", 300));
    let mut options = ClusterOptions::with_nodes(1);
    options.extra_listeners = vec![("WAN".into(), "PLAINTEXT".into())];
    options.advertised_hosts = vec![("WAN".into(), WAN_HOST.into())];
    let source = KafkaCluster::start_with(options).expect("source cluster starts");
    let target = KafkaCluster::start(1).expect("target cluster starts");
    let dir = tempfile::tempdir_in(std::env::var("TRIBUTARY_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    if megabytes > 0 {
        // The target's, before the first contender writes to it; the source's is warmed by
        // writing the topics copied.
        warm_up_produce_path(&target.bootstrap_servers(), 100);
        let clusters = Clusters {
            source: &source,
            source_servers: source.bootstrap_servers(),
            target: &target,
        };
        let rounds = env_or("MIRROR_BENCH_ROUNDS", 3_usize).max(1);
        local_copies(&runtime, &clusters, dir.path(), (megabytes, rounds));
    }
    if wan_megabytes > 0 {
        wan_copies(&runtime, &source, &target, dir.path(), wan_megabytes);
    }
}
