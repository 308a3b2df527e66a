//! A KRaft cluster of real Kafka nodes on loopback.

use std::fmt::Write as _;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tempfile::TempDir;

use crate::distribution::{errors_and_tail, tail, ChildProcess, KafkaDistribution};
use crate::LocalKafkaError;

/// How long a node may take to format, start or rejoin before the start is given up.
const NODE_READY_TIMEOUT: Duration = Duration::from_secs(90);
/// Starts of a cluster tried before a node's exit during start-up is given up on.
const START_ATTEMPTS: u32 = 3;

/// How a cluster is laid out.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Number of nodes, each a combined broker and controller.
    pub nodes: usize,
    /// Maximum JVM heap of each node, e.g. `"512m"`.
    pub max_heap: String,
    /// Extra broker properties, applied after the defaults.
    pub broker_properties: Vec<(String, String)>,
    /// Extra listeners, as (name, security protocol), each on a free port of every node (see
    /// [`KafkaCluster::listener_servers`]); the PLAINTEXT listener stays for plain clients.
    pub extra_listeners: Vec<(String, String)>,
    /// Extra listeners advertised under another loopback host than the `127.0.0.1` they listen
    /// on, as (name, host): clients then reach the broker through whatever listens on that
    /// host and the same port, such as a proxy that imitates a long network link.
    pub advertised_hosts: Vec<(String, String)>,
    /// Extra arguments to `kafka-storage format` (e.g. `--add-scram` for SCRAM users).
    pub format_args: Vec<String>,
    /// Extra JVM options of every node (system properties such as Kafka's
    /// `org.apache.kafka.sasl.oauthbearer.allowed.urls`).
    pub jvm_options: Vec<String>,
}

impl ClusterOptions {
    /// `nodes` nodes with the defaults: replication factor `min(nodes, 3)` for
    /// internal and new topics, and `min.insync.replicas=2` from three nodes up.
    pub fn with_nodes(nodes: usize) -> Self {
        ClusterOptions {
            nodes,
            max_heap: "512m".to_string(),
            broker_properties: Vec::new(),
            extra_listeners: Vec::new(),
            advertised_hosts: Vec::new(),
            format_args: Vec::new(),
            jvm_options: Vec::new(),
        }
    }
}

/// One node's fixed identity: its id, ports and directories survive restarts.
#[derive(Debug)]
struct Node {
    id: usize,
    broker_port: u16,
    /// The ports of the extra listeners, by name.
    listener_ports: Vec<(String, u16)>,
    config: PathBuf,
    log: PathBuf,
    process: Option<ChildProcess>,
}

/// A running Apache Kafka cluster, stopped when dropped.
#[derive(Debug)]
pub struct KafkaCluster {
    distribution: KafkaDistribution,
    nodes: Vec<Node>,
    /// Taken only in `drop`, to keep the logs of a failed run.
    dir: Option<TempDir>,
    dir_path: PathBuf,
    max_heap: String,
    format_args: Vec<String>,
    jvm_options: Vec<String>,
}

impl KafkaCluster {
    /// Starts `nodes` nodes with the default options and waits until all are in the metadata.
    pub fn start(nodes: usize) -> Result<Self, LocalKafkaError> {
        Self::start_with(ClusterOptions::with_nodes(nodes))
    }

    /// Starts a cluster laid out as `options` says and waits until every broker is ready. A
    /// node that exits during start-up (a free port [`free_ports`] picked may be taken by
    /// another process before the node binds it) is tried again, with new ports, up to
    /// [`START_ATTEMPTS`] times in all; each failure's log excerpt goes to standard error.
    pub fn start_with(options: ClusterOptions) -> Result<Self, LocalKafkaError> {
        let mut attempt = 1;
        loop {
            match Self::start_once(options.clone()) {
                Err(error @ LocalKafkaError::Node { exited: true, .. }) if attempt < START_ATTEMPTS => {
                    eprintln!("kafka cluster start-up, attempt {attempt} of {START_ATTEMPTS}: {error}");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(options: ClusterOptions) -> Result<Self, LocalKafkaError> {
        if options.nodes == 0 {
            return Err(LocalKafkaError::Usage("a cluster needs at least one node".into()));
        }
        let distribution = KafkaDistribution::get()?;
        let dir = tempfile::Builder::new()
            .prefix("tributary-kafka-")
            .tempdir()
            .map_err(LocalKafkaError::io("creating the cluster directory"))?;
        let per_node = 2 + options.extra_listeners.len();
        let ports = free_ports(options.nodes * per_node)?;
        let voters = (0..options.nodes)
            .map(|i| format!("{}@127.0.0.1:{}", i + 1, ports[per_node * i + 1]))
            .collect::<Vec<_>>()
            .join(",");
        let replication = options.nodes.min(3);
        let min_isr = if options.nodes >= 3 { 2 } else { 1 };
        let mut nodes = Vec::with_capacity(options.nodes);
        for i in 0..options.nodes {
            let id = i + 1;
            let (broker_port, controller_port) = (ports[per_node * i], ports[per_node * i + 1]);
            let listener_ports: Vec<(String, u16)> = options
                .extra_listeners
                .iter()
                .zip(&ports[per_node * i + 2..per_node * (i + 1)])
                .map(|((name, _), port)| (name.clone(), *port))
                .collect();
            let extra_addresses: String = listener_ports
                .iter()
                .map(|(name, port)| format!(",{name}://127.0.0.1:{port}"))
                .collect();
            let extra_advertised: String = listener_ports
                .iter()
                .map(|(name, port)| {
                    let host = options
                        .advertised_hosts
                        .iter()
                        .find(|(listener, _)| listener == name)
                        .map_or("127.0.0.1", |(_, host)| host.as_str());
                    format!(",{name}://{host}:{port}")
                })
                .collect();
            let protocols: String = options
                .extra_listeners
                .iter()
                .map(|(name, protocol)| format!(",{name}:{protocol}"))
                .collect();
            let node_dir = dir.path().join(format!("node-{id}"));
            fs::create_dir_all(&node_dir).map_err(LocalKafkaError::io("creating a node directory"))?;
            let mut properties = vec![
                ("process.roles", "broker,controller".to_string()),
                ("node.id", id.to_string()),
                ("controller.quorum.voters", voters.clone()),
                (
                    "listeners",
                    format!(
                        "PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}{extra_addresses}"
                    ),
                ),
                (
                    "advertised.listeners",
                    format!("PLAINTEXT://127.0.0.1:{broker_port}{extra_advertised}"),
                ),
                ("controller.listener.names", "CONTROLLER".into()),
                ("inter.broker.listener.name", "PLAINTEXT".into()),
                (
                    "listener.security.protocol.map",
                    format!("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT{protocols}"),
                ),
                ("log.dirs", node_dir.join("data").display().to_string()),
                ("num.partitions", "1".into()),
                ("default.replication.factor", replication.to_string()),
                ("min.insync.replicas", min_isr.to_string()),
                ("offsets.topic.replication.factor", replication.to_string()),
                ("offsets.topic.num.partitions", "10".into()),
                ("transaction.state.log.replication.factor", replication.to_string()),
                ("transaction.state.log.min.isr", min_isr.to_string()),
                ("transaction.state.log.num.partitions", "10".into()),
                ("group.initial.rebalance.delay.ms", "0".into()),
                ("auto.create.topics.enable", "true".into()),
            ];
            let extra: Vec<(&str, String)> = options
                .broker_properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            properties.retain(|(key, _)| !extra.iter().any(|(k, _)| k == key));
            properties.extend(extra);
            let mut text = String::new();
            for (key, value) in &properties {
                writeln!(text, "{key}={value}").ok();
            }
            let config = node_dir.join("server.properties");
            fs::write(&config, text).map_err(LocalKafkaError::io("writing server.properties"))?;
            nodes.push(Node {
                id,
                broker_port,
                listener_ports,
                config,
                log: node_dir.join("kafka.log"),
                process: None,
            });
        }
        let mut cluster = KafkaCluster {
            distribution,
            nodes,
            dir_path: dir.path().to_path_buf(),
            dir: Some(dir),
            max_heap: options.max_heap,
            format_args: options.format_args,
            jvm_options: options.jvm_options,
        };
        cluster.format_storage()?;
        for index in 0..cluster.nodes.len() {
            cluster.launch(index)?;
        }
        cluster.wait_until_ready(&(0..cluster.nodes.len()).collect::<Vec<_>>())?;
        tracing::info!(bootstrap = %cluster.bootstrap_servers(), "kafka cluster ready");
        Ok(cluster)
    }

    /// `host:port,…` of every node, for `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.broker_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `host:port,…` of every node's extra listener `name` ([`ClusterOptions::extra_listeners`]).
    pub fn listener_servers(&self, name: &str) -> String {
        self.nodes
            .iter()
            .filter_map(|n| n.listener_ports.iter().find(|(l, _)| l == name))
            .map(|(_, port)| format!("127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The directory holding every node's data, configuration and log.
    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    /// The Kafka distribution the nodes run, for starting JVM peers beside them.
    pub fn distribution(&self) -> &KafkaDistribution {
        &self.distribution
    }

    /// Kills node `index` (0-based) with SIGKILL, as a crash would.
    pub fn kill(&mut self, index: usize) -> Result<(), LocalKafkaError> {
        let node = self.node_mut(index)?;
        if let Some(mut process) = node.process.take() {
            process.kill();
        }
        Ok(())
    }

    /// Stops node `index` cleanly (SIGTERM, then SIGKILL after 30 s).
    pub fn stop(&mut self, index: usize) -> Result<(), LocalKafkaError> {
        let node = self.node_mut(index)?;
        if let Some(mut process) = node.process.take() {
            process.terminate(Duration::from_secs(30));
        }
        Ok(())
    }

    /// Starts node `index` again on its old ports and data, and waits until it serves metadata
    /// that lists every broker.
    pub fn restart(&mut self, index: usize) -> Result<(), LocalKafkaError> {
        self.stop(index)?;
        self.launch(index)?;
        self.wait_until_ready(&[index])
    }

    /// Creates a topic and waits until its metadata is visible.
    pub async fn create_topic(&self, name: &str, partitions: i32, replication: i32) -> Result<(), LocalKafkaError> {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .create()?;
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(replication));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        for result in admin.create_topics([&topic], &options).await? {
            if let Err((topic, code)) = result {
                return Err(LocalKafkaError::Usage(format!("creating topic {topic} failed: {code}")));
            }
        }
        Ok(())
    }

    /// The last `lines` lines of every node's log, headed by the node id.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let text = fs::read_to_string(&node.log).unwrap_or_default();
            writeln!(
                out,
                "--- node {} ({}) ---\n{}",
                node.id,
                node.log.display(),
                tail(&text, lines)
            )
            .ok();
        }
        out
    }

    fn node_mut(&mut self, index: usize) -> Result<&mut Node, LocalKafkaError> {
        let count = self.nodes.len();
        self.nodes
            .get_mut(index)
            .ok_or_else(|| LocalKafkaError::Usage(format!("node {index} does not exist; the cluster has {count}")))
    }

    fn format_storage(&self) -> Result<(), LocalKafkaError> {
        // A base64url id may start with '-', which kafka-storage's argument parser would read as
        // an option: draw again until it does not.
        let cluster_id = loop {
            let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
            if !id.starts_with('-') {
                break id;
            }
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .nodes
                .iter()
                .map(|node| {
                    let mut command = self.distribution.java("kafka.tools.StorageTool", "256m");
                    command
                        .args(["format", "-t", &cluster_id, "-c"])
                        .arg(&node.config)
                        .args(&self.format_args);
                    scope.spawn(move || -> Result<(), LocalKafkaError> {
                        let output = command
                            .output()
                            .map_err(LocalKafkaError::io("running kafka-storage format"))?;
                        if output.status.success() {
                            return Ok(());
                        }
                        let text = String::from_utf8_lossy(&output.stdout).into_owned()
                            + &String::from_utf8_lossy(&output.stderr);
                        let log = node.config.with_file_name("format.log");
                        fs::write(&log, &text).ok();
                        Err(LocalKafkaError::Node {
                            message: format!("formatting storage of node {} failed ({})", node.id, output.status),
                            exited: false,
                            log,
                            log_tail: tail(&text, 30),
                        })
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(LocalKafkaError::Usage("format thread panicked".into())))
            })
        })
    }

    fn launch(&mut self, index: usize) -> Result<(), LocalKafkaError> {
        let mut command = self.distribution.java("kafka.Kafka", &self.max_heap);
        if !self.jvm_options.is_empty() {
            // Read by the `java` launcher before its own arguments.
            command.env("JDK_JAVA_OPTIONS", self.jvm_options.join(" "));
        }
        let node = self.node_mut(index)?;
        command.arg(&node.config);
        let process = ChildProcess::spawn(command, &node.log)?;
        self.nodes[index].process = Some(process);
        Ok(())
    }

    /// Polls each of `indices` directly until it answers metadata listing every node.
    fn wait_until_ready(&mut self, indices: &[usize]) -> Result<(), LocalKafkaError> {
        let expected = self.nodes.len();
        let deadline = Instant::now() + NODE_READY_TIMEOUT;
        for &index in indices {
            let address = format!("127.0.0.1:{}", self.nodes[index].broker_port);
            let probe: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &address)
                .set("log_level", "0")
                .create()?;
            loop {
                let node = &mut self.nodes[index];
                let exited = node.process.as_mut().and_then(|p| p.exit_status());
                if let Some(status) = exited {
                    return Err(node_error(
                        node,
                        true,
                        format!("kafka node {} exited during start-up ({status})", node.id),
                    ));
                }
                if let Ok(metadata) = probe.fetch_metadata(None, Duration::from_millis(1000)) {
                    if metadata.brokers().len() == expected {
                        break;
                    }
                }
                if Instant::now() > deadline {
                    return Err(node_error(
                        node,
                        false,
                        format!("kafka node {} was not ready within {NODE_READY_TIMEOUT:?}", node.id),
                    ));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Ok(())
    }
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed {
            eprintln!(
                "kafka cluster logs (kept in {}):\n{}",
                self.dir_path.display(),
                self.log_tails(40)
            );
        }
        for node in &mut self.nodes {
            if let Some(mut process) = node.process.take() {
                process.kill();
            }
        }
        if failed || std::env::var_os("TRIBUTARY_KEEP_KAFKA_LOGS").is_some() {
            if let Some(dir) = self.dir.take() {
                // The directory outlives the cluster; its path is already in `dir_path`.
                let _kept = dir.keep();
            }
        }
    }
}

fn node_error(node: &Node, exited: bool, message: String) -> LocalKafkaError {
    LocalKafkaError::Node {
        message,
        exited,
        log: node.log.clone(),
        log_tail: errors_and_tail(&fs::read_to_string(&node.log).unwrap_or_default(), 40),
    }
}

/// Picks `count` distinct free loopback ports.
pub fn free_ports(count: usize) -> Result<Vec<u16>, LocalKafkaError> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(LocalKafkaError::io("finding free ports"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(LocalKafkaError::io("reading a free port"))
}
