//! Benchmark: distributed mode, Tributary against Apache Kafka Connect 4.3.1
//! (`ConnectDistributed`, jars from Maven) on the same broker in the same run. For each system,
//! three workers form a cluster, then:
//!
//! - one connector: time from `POST /connectors` to its task RUNNING;
//! - 100 connectors submitted back to back: time until all 100 tasks are RUNNING;
//! - per-worker RSS with those 100 idle connectors (FileStreamSource on empty files);
//! - kill -9 of one worker: time until all 100 tasks are RUNNING on the other two.
//!
//! Run with `cargo bench --bench distributed`; `DISTRIBUTED_BENCH_RUNS=3` repeats the whole
//! comparison (fresh clusters of workers each time) and prints each ratio's spread. Apache runs
//! with `scheduled.rebalance.max.delay.ms=0` (its best case; its default of 300 s would add up
//! to five minutes to its failover). For the 100 connectors, it also prints when the last POST
//! was accepted and how many POSTs were refused (409 during a rebalance) and sent again.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::free_port;
use tributary_harness::{ChildProcess, KafkaCluster};

const WORKERS: usize = 3;
const IDLE_CONNECTORS: usize = 100;

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

struct System {
    name: &'static str,
    workers: Vec<(u16, ChildProcess)>,
    client: reqwest::Client,
    /// POSTs refused (409 during a rebalance, or a worker not ready) and sent again.
    refused: AtomicUsize,
}

impl System {
    fn url(&self, index: usize) -> String {
        format!("http://127.0.0.1:{}", self.workers[index].0)
    }

    async fn get(&self, index: usize, path: &str) -> Option<Value> {
        let answer = self
            .client
            .get(format!("{}{path}", self.url(index)))
            .send()
            .await
            .ok()?;
        answer.json().await.ok()
    }

    /// Whether worker `index` answers `GET /health` with 200.
    async fn healthy(&self, index: usize) -> bool {
        let answer = self.client.get(format!("{}/health", self.url(index))).send().await;
        answer.is_ok_and(|a| a.status().as_u16() == 200)
    }

    /// Tasks RUNNING, from worker `index`'s view, on workers other than `except`.
    async fn running_tasks(&self, index: usize, except: Option<&str>) -> usize {
        let Some(all) = self.get(index, "/connectors?expand=status").await else {
            return 0;
        };
        all.as_object()
            .into_iter()
            .flatten()
            .flat_map(|(_, c)| c["status"]["tasks"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["state"] == "RUNNING" && except.is_none_or(|e| t["worker_id"] != e))
            .count()
    }

    async fn wait_running(&self, index: usize, tasks: usize, except: Option<&str>) {
        let deadline = Instant::now() + Duration::from_secs(900);
        while self.running_tasks(index, except).await < tasks {
            assert!(Instant::now() < deadline, "{}: {tasks} tasks never ran", self.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn create(&self, index: usize, name: &str, file: &Path, topic: &str) {
        let body = json!({"name": name, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": file.display().to_string(), "topic": topic, "tasks.max": "1"}});
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let answer = self
                .client
                .post(format!("{}/connectors", self.url(index)))
                .json(&body)
                .send()
                .await;
            match answer.map(|a| a.status().as_u16()) {
                Ok(201) => return,
                // 409 while a rebalance is under way, or a worker still starting: retry.
                _ => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    assert!(Instant::now() < deadline, "{}: {name} was never created", self.name);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

fn worker_properties(bootstrap: &str, group: &str, port: u16) -> String {
    format!(
        "bootstrap.servers={bootstrap}\ngroup.id={group}\nconfig.storage.topic={group}-configs\n\
         offset.storage.topic={group}-offsets\nstatus.storage.topic={group}-status\n\
         config.storage.replication.factor=1\noffset.storage.replication.factor=1\nstatus.storage.replication.factor=1\n\
         listeners=http://127.0.0.1:{port}\nscheduled.rebalance.max.delay.ms=0\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n"
    )
}

struct Figures {
    system: &'static str,
    first_connector_s: f64,
    hundred_connectors_s: f64,
    /// When the last of the 100 POSTs was accepted.
    last_post_s: f64,
    /// POSTs of the 100 refused and sent again.
    refused_posts: usize,
    rss_mb: Vec<f64>,
    failover_s: f64,
}

async fn measure(name: &'static str, run: usize, cluster: &KafkaCluster, dir: &Path) -> Figures {
    let bootstrap = cluster.bootstrap_servers();
    let group = format!("bench-{}-{run}", name.to_lowercase().replace(' ', "-"));
    let mut workers = Vec::new();
    for i in 0..WORKERS {
        let port = free_port();
        let config = dir.join(format!("{group}-{i}.properties"));
        std::fs::write(&config, worker_properties(&bootstrap, &group, port)).unwrap();
        let command = if name == "Tributary" {
            let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
            command.arg("distributed").arg(&config).env("RUST_LOG", "warn");
            command
        } else {
            let mut command = cluster
                .distribution()
                .java("org.apache.kafka.connect.cli.ConnectDistributed", "1g");
            command.arg(&config);
            command
        };
        let process = ChildProcess::spawn(command, &dir.join(format!("{group}-{i}.log"))).unwrap();
        workers.push((port, process));
    }
    let system = System {
        name,
        workers,
        client: reqwest::Client::new(),
        refused: AtomicUsize::new(0),
    };
    let topic = format!("{group}-out");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    let file = |n: usize| {
        let path = dir.join(format!("{group}-{n}.txt"));
        std::fs::write(&path, "").unwrap();
        path
    };

    // Wait until every worker is ready (`GET /health` answers 200 once a worker has joined its
    // cluster and read its config, in Apache 4.x as in Tributary), then one connector.
    for i in 0..WORKERS {
        while !system.healthy(i).await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let started = Instant::now();
    system.create(0, "first", &file(0), &topic).await;
    system.wait_running(0, 1, None).await;
    let first_connector_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    system.refused.store(0, Ordering::Relaxed);
    for n in 1..IDLE_CONNECTORS {
        system.create(n % WORKERS, &format!("idle-{n}"), &file(n), &topic).await;
    }
    let last_post_s = started.elapsed().as_secs_f64();
    let refused_posts = system.refused.load(Ordering::Relaxed);
    system.wait_running(0, IDLE_CONNECTORS, None).await;
    let hundred_connectors_s = started.elapsed().as_secs_f64();

    // Let the idle cluster settle, then sample memory.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss_mb = system.workers.iter().map(|(_, p)| rss_mb(p.pid())).collect();

    let mut system = system;
    let dead = format!("127.0.0.1:{}", system.workers[WORKERS - 1].0);
    let killed_at = Instant::now();
    system.workers[WORKERS - 1].1.kill();
    system.wait_running(0, IDLE_CONNECTORS, Some(&dead)).await;
    let failover_s = killed_at.elapsed().as_secs_f64();
    for (_, process) in system.workers.iter_mut() {
        process.terminate(Duration::from_secs(30));
    }
    Figures {
        system: name,
        first_connector_s,
        hundred_connectors_s,
        last_post_s,
        refused_posts,
        rss_mb,
        failover_s,
    }
}

/// `min–max` of `values`, or the one value.
fn spread(values: &[f64]) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() == 1 {
        format!("{min:.1}x")
    } else {
        format!("{min:.1}–{max:.1}x")
    }
}

fn main() {
    let runs: usize = std::env::var("DISTRIBUTED_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let cluster = KafkaCluster::start(1).expect("kafka starts");
    let dir = tempfile::tempdir_in(std::env::var("TRIBUTARY_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut rounds = Vec::new();
    for run in 0..runs {
        let mut results = Vec::new();
        for name in ["Tributary", "Apache Connect 4.3.1"] {
            eprintln!("== run {} of {runs}: {name}", run + 1);
            let figures = runtime.block_on(measure(name, run, &cluster, dir.path()));
            eprintln!(
                "   first connector {:.2} s, 100 connectors {:.2} s (last POST accepted at {:.2} s, {} refused and sent again), RSS {:?} MB, failover {:.2} s",
                figures.first_connector_s,
                figures.hundred_connectors_s,
                figures.last_post_s,
                figures.refused_posts,
                figures.rss_mb,
                figures.failover_s
            );
            results.push(figures);
        }
        rounds.push(results);
    }
    println!("| run | system | POST → task RUNNING s | 100 connectors → all RUNNING s | RSS per worker, 100 idle connectors MB | kill -9 → tasks RUNNING elsewhere s |");
    println!("|---|---|---|---|---|---|");
    for (run, results) in rounds.iter().enumerate() {
        for f in results {
            let rss: Vec<String> = f.rss_mb.iter().map(|m| format!("{m:.0}")).collect();
            println!(
                "| {} | {} | {:.2} | {:.2} | {} | {:.2} |",
                run + 1,
                f.system,
                f.first_connector_s,
                f.hundred_connectors_s,
                rss.join(" / "),
                f.failover_s
            );
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratios = |figure: &dyn Fn(&Figures) -> f64| -> Vec<f64> {
        rounds.iter().map(|r| figure(&r[1]) / figure(&r[0])).collect()
    };
    println!(
        "\nApache / Tributary over {runs} run(s): first connector {}, 100 connectors {}, RSS {}, failover {}",
        spread(&ratios(&|f| f.first_connector_s)),
        spread(&ratios(&|f| f.hundred_connectors_s)),
        spread(&ratios(&|f| mean(&f.rss_mb))),
        spread(&ratios(&|f| f.failover_s)),
    );
}
