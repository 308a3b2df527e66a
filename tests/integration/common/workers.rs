//! `tributary` worker processes for tests that kill or restart them (distributed clusters,
//! standalone crash tests, dedicated mirrors): each on its own REST port, with its log in the
//! test's directory, killed when the test ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tributary_harness::{ChildProcess, KafkaCluster};

use serde_json::json;

use super::{eventually, Api};

/// A free loopback port (released just before the worker binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The settings shared by the workers of one test cluster: unique group and topic names.
#[derive(Clone)]
pub struct ClusterSpec {
    pub bootstrap: String,
    pub group: String,
    pub replication: u32,
    pub extra: Vec<(String, String)>,
}

impl ClusterSpec {
    /// A fresh cluster (unique group and internal topics) on `bootstrap`.
    pub fn new(bootstrap: &str, replication: u32) -> Self {
        ClusterSpec {
            bootstrap: bootstrap.to_string(),
            group: tributary_harness::clients::unique_name("cluster"),
            replication,
            extra: Vec::new(),
        }
    }

    /// Adds a worker setting.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.extra.push((key.to_string(), value.to_string()));
        self
    }

    /// The worker properties for a worker on `port`.
    pub fn properties(&self, port: u16) -> String {
        let group = &self.group;
        let rf = self.replication;
        let mut text = format!(
            "bootstrap.servers={}\ngroup.id={group}\nconfig.storage.topic={group}-configs\n\
             offset.storage.topic={group}-offsets\nstatus.storage.topic={group}-status\n\
             config.storage.replication.factor={rf}\noffset.storage.replication.factor={rf}\n\
             status.storage.replication.factor={rf}\noffset.storage.partitions=5\nstatus.storage.partitions=3\n\
             listeners=http://127.0.0.1:{port}\noffset.flush.interval.ms=1000\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n",
            self.bootstrap
        );
        for (key, value) in &self.extra {
            text.push_str(&format!("{key}={value}\n"));
        }
        text
    }
}

/// One worker process.
pub struct WorkerProcess {
    pub name: String,
    pub port: u16,
    pub api: Api,
    process: Option<ChildProcess>,
    /// The `tributary` subcommand and its file.
    args: [String; 2],
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts worker `name` of `spec` with its files in `dir`.
    pub fn start(spec: &ClusterSpec, dir: &Path, name: &str) -> Self {
        let port = free_port();
        let config = dir.join(format!("{name}.properties"));
        std::fs::write(&config, spec.properties(port)).expect("worker config written");
        Self::run(dir, name, port, "distributed", &config)
    }

    /// Runs `tributary <command> <file>` as process `name`, logging to `dir`; `port` is where
    /// its REST API listens, if the file says so.
    pub fn run(dir: &Path, name: &str, port: u16, command: &str, file: &Path) -> Self {
        let mut worker = WorkerProcess {
            name: name.to_string(),
            port,
            api: Api::new(&format!("http://127.0.0.1:{port}")),
            process: None,
            args: [command.to_string(), file.display().to_string()],
            log: dir.join(format!("{name}.log")),
        };
        worker.spawn();
        worker
    }

    fn spawn(&mut self) {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"));
        command.args(&self.args);
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        self.process = Some(ChildProcess::spawn(command, &self.log).expect("worker starts"));
    }

    /// A `tributary standalone` process named `name` on `kafka`, its offsets in `dir`
    /// committed every `flush_ms`, serving REST on a free port; returned once it serves.
    pub async fn standalone(kafka: &str, dir: &Path, name: &str, flush_ms: u64) -> Self {
        let port = free_port();
        let properties = dir.join(format!("{name}.properties"));
        std::fs::write(
            &properties,
            format!(
                "bootstrap.servers={kafka}\nlisteners=http://127.0.0.1:{port}\n\
                 offset.storage.file.filename={}\noffset.flush.interval.ms={flush_ms}\n",
                dir.join(format!("{name}.offsets")).display()
            ),
        )
        .expect("worker properties written");
        let worker = Self::run(dir, name, port, "standalone", &properties);
        worker.wait_ready().await;
        worker
    }

    /// Creates connector `name` with `config` over REST (a standalone worker forgets its
    /// connectors when it stops, so a restarted one is given them again).
    /// A 409 (no leader known yet, as right after start) is retried.
    pub async fn put_connector(&self, name: &str, config: &serde_json::Value) {
        let (code, body) = eventually(Duration::from_secs(60), "a leader to take the connector", || async {
            let (code, body) = self
                .api
                .put(&format!("/connectors/{name}/config"), Some(config.clone()))
                .await;
            (code != 409).then_some((code, body))
        })
        .await;
        assert_eq!(code, 201, "{name}: {body}");
    }

    /// The worker id its statuses show.
    pub fn worker_id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits until the REST API answers.
    pub async fn wait_ready(&self) {
        eventually(
            Duration::from_secs(60),
            &format!("worker {} to serve REST", self.name),
            || async {
                let ok = reqwest::get(format!("http://127.0.0.1:{}/", self.port)).await.is_ok();
                ok.then_some(())
            },
        )
        .await;
    }

    /// Waits until `GET /health` answers 200: the worker has joined its cluster.
    pub async fn wait_healthy(&self) {
        let health = format!("{}/health", self.api.base());
        eventually(
            Duration::from_secs(60),
            &format!("worker {} to be healthy", self.name),
            || async {
                let answer = reqwest::get(&health).await.ok()?;
                answer.status().is_success().then_some(())
            },
        )
        .await;
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// SIGTERM, waiting for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.terminate(Duration::from_secs(60));
        }
    }

    /// Sends `signal` (e.g. `libc::SIGSTOP` to freeze it without closing its connections,
    /// `libc::SIGCONT` to thaw it).
    pub fn signal(&self, signal: i32) {
        if let Some(process) = &self.process {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(process.pid() as libc::pid_t, signal);
            }
        }
    }

    /// Starts it again, same config and port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Whether the process exited, and how.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.process.as_mut().and_then(|p| p.exit_status())
    }

    /// The end of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- log of worker {} ----\n{}", self.name, self.log_tail(60));
        }
    }
}

/// Creates, through `api`, a FileStreamSource `<prefix>-src` reading `dir/in.txt` into `topic`
/// and a FileStreamSink `<prefix>-sink` writing `topic` to `dir/out.txt`; waits until both run.
/// Returns the input and output files.
pub async fn start_file_pipeline(api: &Api, dir: &Path, prefix: &str, topic: &str) -> (PathBuf, PathBuf) {
    let input = dir.join("in.txt");
    let output = dir.join("out.txt");
    std::fs::write(&input, "").expect("input file created");
    let connectors = [
        (
            format!("{prefix}-src"),
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}),
        ),
        (
            format!("{prefix}-sink"),
            json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}),
        ),
    ];
    for (name, config) in &connectors {
        eventually(Duration::from_secs(60), "connector created", || async {
            let (code, _) = api
                .put(&format!("/connectors/{name}/config"), Some(config.clone()))
                .await;
            // 409 until the first rebalance has elected a leader.
            (code == 201).then_some(())
        })
        .await;
    }
    for (name, _) in &connectors {
        api.wait_for_state(name, "RUNNING", Duration::from_secs(60)).await;
    }
    (input, output)
}

/// Apache Kafka Connect 4.3.1 standalone (from the harness's jars) on a free port, with
/// `worker_file`'s settings, its offsets and log in `dir`.
pub fn start_apache_standalone(kafka: &KafkaCluster, dir: &Path, worker_file: &str) -> (ChildProcess, Api) {
    let port = free_port();
    let file = dir.join("apache-worker.properties");
    std::fs::write(
        &file,
        format!(
            "{worker_file}listeners=http://127.0.0.1:{port}\noffset.storage.file.filename={}\n",
            dir.join("apache.offsets").display()
        ),
    )
    .unwrap();
    let mut command = kafka
        .distribution()
        .java("org.apache.kafka.connect.cli.ConnectStandalone", "512m");
    command.arg(&file);
    let process = ChildProcess::spawn(command, &dir.join("apache.log")).unwrap();
    (process, Api::new(&format!("http://127.0.0.1:{port}")))
}

/// Apache Connect 4.3.1 and Tributary standalone side by side on `kafka`, both with `converter`
/// for keys and values and offsets flushed every 500 ms, Apache's with `plugin_path` when given
/// (a connector that is not Apache's own); returns once Apache serves REST.
pub async fn standalone_side_by_side(
    kafka: &KafkaCluster,
    dir: &Path,
    converter: &str,
    plugin_path: Option<&Path>,
) -> (
    ChildProcess,
    Api,
    tributary_runtime::mode::standalone::StandaloneRuntime,
    Api,
) {
    let mut worker_file = format!(
        "bootstrap.servers={}\nkey.converter={converter}\nvalue.converter={converter}\noffset.flush.interval.ms=500\n",
        kafka.bootstrap_servers()
    );
    if let Some(plugin_path) = plugin_path {
        worker_file.push_str(&format!("plugin.path={}\n", plugin_path.display()));
    }
    let (apache_process, apache) = start_apache_standalone(kafka, dir, &worker_file);
    let (runtime, tributary) = super::start_worker(
        &kafka.bootstrap_servers(),
        dir,
        &[("key.converter", converter), ("value.converter", converter)],
    )
    .await;
    eventually(Duration::from_secs(90), "Apache Connect to serve REST", || async {
        reqwest::get(format!("{}/connectors", apache.base()))
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
    (apache_process, apache, runtime, tributary)
}

/// An Apache Connect 4.3.1 distributed worker (from the harness's jars) with `spec`'s
/// settings on a free port, its properties and log (`<name>.log`) in `dir`.
pub fn start_apache_distributed(
    kafka: &KafkaCluster,
    spec: &ClusterSpec,
    dir: &Path,
    name: &str,
) -> (ChildProcess, Api) {
    let port = free_port();
    let file = dir.join(format!("{name}.properties"));
    std::fs::write(&file, spec.properties(port)).unwrap();
    let mut command = kafka
        .distribution()
        .java("org.apache.kafka.connect.cli.ConnectDistributed", "384m");
    command.arg(&file);
    let process = ChildProcess::spawn(command, &dir.join(format!("{name}.log"))).unwrap();
    (process, Api::new(&format!("http://127.0.0.1:{port}")))
}
