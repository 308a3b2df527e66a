//! Dedicated mode (`tributary mirror connect-mirror-maker.properties`), as Apache's MirrorMaker
//! runs it: every enabled `A->B` flow gets a distributed worker bound to the target cluster B
//! (group `A-mm2`, internal topics `mm2-configs.A.internal`, `mm2-offsets.A.internal`,
//! `mm2-status.A.internal`, byte-array converters so records and headers pass through
//! untouched), running the flow's three connectors. Several processes started on the same file
//! join the same groups and share each flow's tasks; the group's leader alone writes task
//! configs, so topic and partition changes found by any of them are never lost.
//!
//! The file is checked before anything starts (unknown aliases, missing bootstrap servers, bad
//! patterns, unknown policies), then every cluster it uses must answer; if any flow's worker
//! cannot start, those already started are stopped again: there is no partial start.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;
use tributary_runtime::client::ClientKind;
use tributary_runtime::config::{split_list, ConfigMap};
use tributary_runtime::mode::distributed::DistributedRuntime;
use tributary_runtime::mode::startup::StartError;
use tributary_runtime::rest::ApplyLogFilter;
use tributary_runtime::worker::{CONNECTOR_CLASS, NAME};

use crate::admin::{ClusterAdmin, DEFAULT_ADMIN_TIMEOUT};
use crate::config::{client_problems, cluster_client};
use crate::flows::{flows, Flow, FlowErrors};
use crate::{checkpoint, heartbeat, source};

/// How long submitting a flow's connectors may take (the group must elect a leader first).
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(120);
/// Apache's byte-array converter, for keys, values and headers.
const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// Why dedicated mode could not start.
#[derive(Debug, Error)]
pub enum DedicatedError {
    /// The file is wrong.
    #[error(transparent)]
    Flows(#[from] FlowErrors),
    /// The file enables no flow.
    #[error("no flow is enabled: set A->B.enabled=true for at least one pair of clusters")]
    NoFlow,
    /// Client settings of the flows' clusters that cannot be honoured.
    #[error("invalid client settings: {}", .0.join("; "))]
    Clients(Vec<String>),
    /// Clusters the flows use do not answer.
    #[error("{}", .0.join("; "))]
    Unreachable(Vec<String>),
    /// A flow's worker could not start.
    #[error("flow {flow}: {source}")]
    Worker {
        /// `A->B`.
        flow: String,
        /// Why.
        #[source]
        source: StartError,
    },
    /// A flow's connectors could not be submitted.
    #[error("flow {flow}: cannot submit connector {connector}: {message}")]
    Submit {
        /// `A->B`.
        flow: String,
        /// The connector's name.
        connector: String,
        /// Why.
        message: String,
    },
}

/// The worker settings of a flow: the target cluster's client settings (`B.*`, with
/// `B.producer.*` and friends as `producer.*`), the top-level worker settings of the file, and
/// Apache's per-flow group and internal topics.
pub fn worker_config(file: &ConfigMap, flow: &Flow) -> ConfigMap {
    let clusters = split_list(file.get("clusters").map_or("", String::as_str));
    let is_cluster_scoped = |key: &str| {
        key.split_once('.')
            .is_some_and(|(alias, _)| clusters.iter().any(|c| c == alias))
    };
    let mut config: ConfigMap = file
        .iter()
        .filter(|(key, _)| !key.contains("->") && key.as_str() != "clusters" && !is_cluster_scoped(key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let target = format!("{}.", flow.target);
    for (key, value) in file {
        if let Some(rest) = key.strip_prefix(&target) {
            config.insert(rest.to_string(), value.clone());
        }
    }
    let source = &flow.source;
    for (key, value) in [
        ("group.id", format!("{source}-mm2")),
        ("config.storage.topic", format!("mm2-configs.{source}.internal")),
        ("offset.storage.topic", format!("mm2-offsets.{source}.internal")),
        ("status.storage.topic", format!("mm2-status.{source}.internal")),
        ("key.converter", BYTES.to_string()),
        ("value.converter", BYTES.to_string()),
        ("header.converter", BYTES.to_string()),
    ] {
        config.insert(key.to_string(), value);
    }
    // Peers forward task configs to the leader over REST; by default on this host only.
    config
        .entry("listeners".to_string())
        .or_insert_with(|| "http://127.0.0.1:0".to_string());
    config
}

/// The flow's connectors, named as Apache names them in dedicated mode.
pub fn connector_configs(flow: &Flow) -> Vec<(&'static str, ConfigMap)> {
    [
        ("MirrorSourceConnector", source::CLASS),
        ("MirrorCheckpointConnector", checkpoint::CLASS),
        ("MirrorHeartbeatConnector", heartbeat::CLASS),
    ]
    .into_iter()
    .map(|(name, class)| {
        let mut config = flow.config.clone();
        config.insert(CONNECTOR_CLASS.name().into(), class.into());
        config.insert(NAME.name().into(), name.into());
        (name, config)
    })
    .collect()
}

/// Every enabled flow of a mirror file, running.
pub struct DedicatedMirror {
    flows: Vec<(String, DistributedRuntime)>,
}

impl DedicatedMirror {
    /// Checks the file, starts a worker per enabled flow and submits the flows' connectors.
    pub async fn start(file: &ConfigMap, apply_log: Option<ApplyLogFilter>) -> Result<Self, DedicatedError> {
        let flows = flows(file)?;
        if flows.is_empty() {
            return Err(DedicatedError::NoFlow);
        }
        check_clusters(file, &flows).await?;
        let mut running = DedicatedMirror { flows: Vec::new() };
        for flow in &flows {
            let name = format!("{}->{}", flow.source, flow.target);
            tracing::info!(flow = %name, "starting flow");
            match DistributedRuntime::start(worker_config(file, flow), apply_log.clone()).await {
                Ok(runtime) => running.flows.push((name, runtime)),
                Err(source) => {
                    running.shutdown().await;
                    return Err(DedicatedError::Worker { flow: name, source });
                }
            }
        }
        for (flow, (name, runtime)) in flows.iter().zip(&running.flows) {
            if let Err(e) = submit(name, runtime.rest_address(), flow).await {
                running.shutdown().await;
                return Err(e);
            }
        }
        Ok(running)
    }

    /// Waits until a flow's worker fails and returns why.
    pub async fn failed(&mut self) -> Result<(), String> {
        let waits = self.flows.iter_mut().map(|(name, runtime)| {
            Box::pin(async move { runtime.failed().await.map_err(|e| format!("flow {name}: {e}")) })
        });
        let (result, _, _) = futures::future::select_all(waits).await;
        result
    }

    /// Stops every flow's worker.
    pub async fn shutdown(self) {
        futures::future::join_all(self.flows.into_iter().map(|(_, runtime)| runtime.shutdown())).await;
    }
}

/// Fails, naming each one, on client settings of the flows' clusters that cannot be honoured,
/// and unless every cluster the flows use answers within `admin.timeout.ms` (default 60 s): a
/// flow must not start while its other side is missing.
async fn check_clusters(file: &ConfigMap, flows: &[Flow]) -> Result<(), DedicatedError> {
    let timeout = Duration::from_millis(
        file.get("admin.timeout.ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(60_000),
    );
    let mut clusters = BTreeMap::new();
    let mut problems = Vec::new();
    for flow in flows {
        for problem in client_problems(&flow.config) {
            problems.push(format!("flow {}->{}: {problem}", flow.source, flow.target));
        }
        for (alias, cluster) in [(&flow.source, "source"), (&flow.target, "target")] {
            if let Ok(settings) = cluster_client(&flow.config, cluster, ClientKind::Admin) {
                clusters.insert(alias.clone(), settings.client_config());
            }
        }
    }
    if !problems.is_empty() {
        return Err(DedicatedError::Clients(problems));
    }
    let checks = clusters.into_iter().map(|(alias, client)| async move {
        let bootstrap = client.get("bootstrap.servers").unwrap_or_default().to_string();
        let answered = match ClusterAdmin::new(&alias, &client, DEFAULT_ADMIN_TIMEOUT) {
            Ok(admin) => admin.check_reachable(timeout).await,
            Err(e) => Err(e),
        };
        answered
            .err()
            .map(|e| format!("cannot reach cluster {alias} at {bootstrap} within {timeout:?}: {e}"))
    });
    let problems: Vec<String> = futures::future::join_all(checks).await.into_iter().flatten().collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DedicatedError::Unreachable(problems))
    }
}

/// Submits the flow's connectors through its worker's REST API, which forwards them to the
/// group's leader; retried until the group has one.
async fn submit(flow_name: &str, address: SocketAddr, flow: &Flow) -> Result<(), DedicatedError> {
    let http = reqwest::Client::new();
    for (name, config) in connector_configs(flow) {
        let url = format!("http://{address}/connectors/{name}/config");
        let deadline = tokio::time::Instant::now() + SUBMIT_TIMEOUT;
        loop {
            let answer = http.put(&url).json(&config).send().await;
            let problem = match answer {
                Ok(answer) if answer.status().is_success() => break,
                Ok(answer) => {
                    let status = answer.status();
                    let body = answer.text().await.unwrap_or_default();
                    if status.is_client_error() && status.as_u16() != 409 {
                        return Err(DedicatedError::Submit {
                            flow: flow_name.to_string(),
                            connector: name.to_string(),
                            message: format!("{status}: {body}"),
                        });
                    }
                    format!("{status}: {body}")
                }
                Err(e) => e.to_string(),
            };
            if tokio::time::Instant::now() > deadline {
                return Err(DedicatedError::Submit {
                    flow: flow_name.to_string(),
                    connector: name.to_string(),
                    message: problem,
                });
            }
            tracing::debug!(flow = %flow_name, connector = name, "not submitted yet: {problem}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tracing::info!(flow = %flow_name, connector = name, "connector submitted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_runs_on_the_target_with_apaches_group_and_topics() {
        let file = tributary_runtime::config::parse_properties(
            "clusters=A,B,C\nA.bootstrap.servers=a:9092\nB.bootstrap.servers=b:9092\nB.producer.linger.ms=7\n\
             C.bootstrap.servers=c:9092\nA->B.enabled=true\nconfig.storage.replication.factor=1\n",
        )
        .unwrap();
        let flow = &flows(&file).unwrap()[0];
        let worker = worker_config(&file, flow);
        assert_eq!(worker["bootstrap.servers"], "b:9092");
        assert_eq!(worker["producer.linger.ms"], "7");
        assert_eq!(worker["group.id"], "A-mm2");
        assert_eq!(worker["config.storage.topic"], "mm2-configs.A.internal");
        assert_eq!(worker["config.storage.replication.factor"], "1");
        assert!(!worker.contains_key("A->B.enabled"));
        assert!(
            !worker.contains_key("C.bootstrap.servers"),
            "other clusters' settings stay out"
        );
        let connectors = connector_configs(flow);
        assert_eq!(connectors[0].0, "MirrorSourceConnector");
        assert_eq!(connectors[0].1["source.cluster.bootstrap.servers"], "a:9092");
    }
}
