//! `tributary operator` against a real Kubernetes API server (kube-apiserver and etcd from the
//! test harness) with Strimzi's own CRDs and example manifests, managing connectors on a real
//! Tributary worker cluster (a distributed worker process on real Kafka), TributaryConnect worker
//! clusters, and a KafkaMirrorMaker2 between two real Kafka clusters; deploy/'s CRD,
//! operator install manifests and examples pass the API server's validation. Each test has its
//! own namespace and its own operator process watching only that namespace; they share the API
//! server, the Kafka cluster and the worker. The operator runs as the ServiceAccount
//! deploy/install/operator.yaml defines, with exactly the permissions it grants.
//!
//! No kubelet runs, so the worker is a local process the operator reaches at the URL given for
//! the `strimzi.io/cluster` label (`--connect-cluster my-connect-cluster=http://…`); for a
//! TributaryConnect, the test starts the worker from the ConfigMap the operator wrote and writes
//! the Deployment's status itself. The
//! operator reconciles every second here (Strimzi: two minutes) and its auto-restart back-off
//! unit is a second (Strimzi: a minute), so that the tests take seconds.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::Message;
use serde::Deserialize;
use serde_json::{json, Value};
use tempfile::TempDir;

use common::kubernetes::{client, dry_run_apply, install_crd};
use common::workers::{ClusterSpec, WorkerProcess};
use tributary_harness::clients::unique_name;
use tributary_harness::{
    shared_cluster, shared_kube_api_server, shared_kube_api_server_for_shipped_crds, ChildProcess, ClusterOptions,
    KafkaCluster, KubeApiServer,
};
use tributary_operator::tributary_connect::TributaryConnect;

/// Strimzi's files, as released.
fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/strimzi")
        .join(path)
}

/// The label value in Strimzi's examples.
const CLUSTER: &str = "my-connect-cluster";

/// How long a change may take to show: the operator reconciles every second and connectors
/// start in about one, so changes show within a few seconds here; the margin is for a loaded
/// two-core CI machine.
const DEADLINE: Duration = Duration::from_secs(90);

/// The worker every test's connectors run on.
fn shared_worker() -> &'static (WorkerProcess, TempDir) {
    static WORKER: OnceLock<(WorkerProcess, TempDir)> = OnceLock::new();
    WORKER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a directory");
        let spec = ClusterSpec::new(&shared_cluster().bootstrap_servers(), 1);
        (WorkerProcess::start(&spec, dir.path(), "worker"), dir)
    })
}

/// The API server shared by the tests (with Strimzi 1.2's CRD, v1 only), started off the
/// runtime.
async fn shared_server() -> &'static KubeApiServer {
    tokio::task::spawn_blocking(shared_kube_api_server).await.unwrap()
}

/// One test's view: a client of the API server, its namespace, its operator and the worker.
struct Setup {
    client: kube::Client,
    namespace: String,
    rest: common::Api,
    operator: ChildProcess,
    dir: TempDir,
}

impl Setup {
    /// A namespace on `server` (which serves `crd`), the shared worker, and an operator.
    async fn new(server: &KubeApiServer, crd: &str) -> Setup {
        let (worker, _) = tokio::task::spawn_blocking(shared_worker).await.unwrap();
        let rest = common::Api::new(worker.api.base());
        worker.wait_healthy().await;
        let client = client(server).await;
        install_crd(&client, &fixture(crd)).await;
        let namespace = unique_name("ns");
        let namespaces: kube::Api<Namespace> = kube::Api::all(client.clone());
        let object: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
        namespaces.create(&PostParams::default(), &object).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        operator_credentials(server, &client, &namespace, dir.path()).await;
        let operator = spawn_operator(dir.path(), &namespace, CLUSTER, worker.api.base(), &[], "operator");
        Setup {
            client,
            namespace,
            rest,
            operator,
            dir,
        }
    }

    /// KafkaConnectors at `version`.
    fn connectors(&self, version: &str) -> kube::Api<DynamicObject> {
        let kind = GroupVersionKind::gvk("kafka.strimzi.io", version, "KafkaConnector");
        let resource = ApiResource::from_gvk_with_plural(&kind, "kafkaconnectors");
        kube::Api::namespaced_with(self.client.clone(), &self.namespace, &resource)
    }

    /// Creates the manifest at `path` (a Strimzi example) with `edit` applied, and returns its name.
    async fn apply(&self, path: &str, edit: impl FnOnce(&mut Value)) -> String {
        let mut manifest: Value = serde_yaml::from_str(&std::fs::read_to_string(fixture(path)).unwrap()).unwrap();
        edit(&mut manifest);
        let version = manifest["apiVersion"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let object: DynamicObject = serde_json::from_value(manifest).unwrap();
        let created = self
            .connectors(&version)
            .create(&PostParams::default(), &object)
            .await
            .unwrap();
        created.metadata.name.unwrap()
    }

    /// Merge-patches resource `name` (through v1).
    async fn patch(&self, name: &str, patch: Value) {
        self.connectors("v1")
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }

    /// Polls `check` until it gives `Some`; panics with the operator's log after [`DEADLINE`].
    async fn until<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; operator log:\n{}",
                self.operator.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The resource, read through v1.
    async fn resource(&self, name: &str) -> Option<DynamicObject> {
        self.connectors("v1").get_opt(name).await.unwrap()
    }

    /// Waits until the resource's status satisfies `check`; returns it.
    async fn status_until(&self, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.until(what, || async {
            let object = self.resource(name).await?;
            let status = object.data.get("status")?.clone();
            check(&status).then_some(status)
        })
        .await
    }

    /// Waits until the resource is NotReady; returns the condition's message.
    async fn not_ready_message(&self, name: &str) -> String {
        let status = self
            .status_until(name, &format!("{name} to be NotReady"), |s| {
                s["conditions"][0]["type"] == "NotReady"
            })
            .await;
        status["conditions"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Plays the kubelet and the Deployment controller for the worker Deployment `deployment`:
    /// starts a worker from the properties in `config_map` (the operator's; on `port` instead
    /// of 8083, its advertised address from POD_IP as in a pod), waits until it has joined its
    /// group, then writes the Deployment's status: its one pod is ready.
    async fn run_rendered_workers(&self, deployment: &str, config_map: &ConfigMap, port: u16) -> ChildProcess {
        let properties = config_map.data.as_ref().unwrap()["tributary.properties"]
            .replace("listeners=http://:8083", &format!("listeners=http://127.0.0.1:{port}"))
            .replace("rest.advertised.port=8083", &format!("rest.advertised.port={port}"));
        assert!(properties.contains(&format!("127.0.0.1:{port}")), "{properties}");
        let file = self.dir.path().join(format!("{deployment}.properties"));
        std::fs::write(&file, properties).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
        command
            .args(["distributed", file.to_str().unwrap()])
            .env("POD_IP", "127.0.0.1");
        let worker = ChildProcess::spawn(command, &self.dir.path().join(format!("{deployment}.log"))).unwrap();
        self.until("the worker to join its group", || async {
            let answer = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.ok()?;
            answer.status().is_success().then_some(())
        })
        .await;
        let deployments: kube::Api<Deployment> = kube::Api::namespaced(self.client.clone(), &self.namespace);
        let generation = deployments.get(deployment).await.unwrap().metadata.generation;
        let pod_ready = json!({"status": {"observedGeneration": generation, "replicas": 1,
            "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}});
        deployments
            .patch_status(deployment, &PatchParams::default(), &Patch::Merge(&pod_ready))
            .await
            .unwrap();
        worker
    }

    /// Waits until Deployment `deployment` asks for `replicas` pods.
    async fn until_replicas(&self, deployment: &str, replicas: i32, what: &str) {
        let deployments: kube::Api<Deployment> = kube::Api::namespaced(self.client.clone(), &self.namespace);
        self.until(what, || async {
            (deployments.get(deployment).await.unwrap().spec.replicas == Some(replicas)).then_some(())
        })
        .await
    }

    /// Waits until the worker reports connector `name` in `state`.
    async fn rest_state(&self, name: &str, state: &str) -> Value {
        self.until(&format!("{name} to be {state} over REST"), || async {
            let (code, status) = self.rest.get(&format!("/connectors/{name}/status")).await;
            (code == 200 && status["connector"]["state"] == state).then_some(status)
        })
        .await
    }
}

/// The operator's own identity, with exactly the permissions deploy/install/operator.yaml
/// gives it: its ServiceAccount, ClusterRole and a binding (named for `namespace`, whose
/// ServiceAccount it binds) are created, and a kubeconfig with a token of that ServiceAccount
/// is written to `dir` ([`OPERATOR_KUBECONFIG`]).
async fn operator_credentials(server: &KubeApiServer, client: &kube::Client, namespace: &str, dir: &Path) {
    let install = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/install/operator.yaml");
    for document in serde_yaml::Deserializer::from_str(&std::fs::read_to_string(install).unwrap()) {
        let mut manifest = Value::deserialize(document).unwrap();
        match manifest["kind"].as_str().unwrap() {
            "ServiceAccount" => {
                manifest["metadata"]["namespace"] = json!(namespace);
                let accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(client.clone(), namespace);
                let account: ServiceAccount = serde_json::from_value(manifest).unwrap();
                accounts.create(&PostParams::default(), &account).await.unwrap();
            }
            "ClusterRole" => {
                let roles: kube::Api<ClusterRole> = kube::Api::all(client.clone());
                let role: ClusterRole = serde_json::from_value(manifest).unwrap();
                let name = role.metadata.name.clone().unwrap();
                roles
                    .patch(
                        &name,
                        &PatchParams::apply("tributary-tests").force(),
                        &Patch::Apply(&role),
                    )
                    .await
                    .unwrap();
            }
            "ClusterRoleBinding" => {
                manifest["metadata"]["name"] = json!(format!("tributary-operator-{namespace}"));
                manifest["subjects"][0]["namespace"] = json!(namespace);
                let bindings: kube::Api<ClusterRoleBinding> = kube::Api::all(client.clone());
                let binding: ClusterRoleBinding = serde_json::from_value(manifest).unwrap();
                bindings.create(&PostParams::default(), &binding).await.unwrap();
            }
            _ => {}
        }
    }
    let accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(client.clone(), namespace);
    let request: TokenRequest =
        serde_json::from_value(json!({"spec": {"audiences": [], "expirationSeconds": 7200}})).unwrap();
    let granted: TokenRequest = accounts
        .create_subresource("token", "tributary-operator", &PostParams::default(), &request)
        .await
        .unwrap();
    let token = granted.status.unwrap().token.unwrap();
    std::fs::write(
        dir.join(OPERATOR_KUBECONFIG),
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    \
             certificate-authority: {}\nusers:\n- name: operator\n  user:\n    token: {token}\ncontexts:\n\
             - name: test\n  context: {{cluster: test, user: operator, namespace: {namespace}}}\n\
             current-context: test\n",
            server.url(),
            server.ca_certificate().display(),
        ),
    )
    .unwrap();
}

/// Where [`operator_credentials`] writes the operator's kubeconfig, in a test's directory.
const OPERATOR_KUBECONFIG: &str = "operator.kubeconfig";

/// Starts `tributary operator` on `namespace` with the credentials in `dir`, reaching worker
/// cluster `cluster` at `url`, reconciling every second with a one-second auto-restart unit,
/// logging JSON to `dir/<log>.log`.
fn spawn_operator(dir: &Path, namespace: &str, cluster: &str, url: &str, extra: &[&str], log: &str) -> ChildProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command
        .args(["--log-format", "json", "operator", "--namespace", namespace])
        .args(["--connect-cluster", &format!("{cluster}={url}")])
        .args(["--full-reconciliation-interval-ms", "1000"])
        .args(["--auto-restart-backoff-unit-ms", "1000"])
        .args(extra)
        .env("KUBECONFIG", dir.join(OPERATOR_KUBECONFIG))
        .env("RUST_LOG", "info");
    ChildProcess::spawn(command, &dir.join(format!("{log}.log"))).unwrap()
}

/// Strimzi's example source connector, reading `file` into `topic`.
fn example_source(manifest: &mut Value, name: &str, file: &Path, topic: &str) {
    manifest["metadata"]["name"] = json!(name);
    manifest["spec"]["config"]["file"] = json!(file.display().to_string());
    manifest["spec"]["config"]["topic"] = json!(topic);
}

fn ready(status: &Value) -> bool {
    status["conditions"][0]["type"] == "Ready" && status["conditions"][0]["status"] == "True"
}

fn annotation<'a>(object: &'a DynamicObject, key: &str) -> Option<&'a String> {
    object.metadata.annotations.as_ref()?.get(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strimzis_example_connector_follows_its_resource() {
    let setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    let input = setup.dir.path().join("license.txt");
    std::fs::write(&input, "Apache License\nVersion 2.0\n").unwrap();
    let topic = unique_name("license");
    let name = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("my-source-connector"), &input, &topic)
        })
        .await;

    // Created on the worker with the resource's config; the resource Ready with the
    // connector's status, its tasks, its topic.
    let status = setup
        .status_until(&name, "the resource to be Ready with its topic", |s| {
            ready(s) && s["connectorStatus"]["connector"]["state"] == "RUNNING" && s["topics"] == json!([topic])
        })
        .await;
    assert_eq!(status["tasksMax"], 2, "{status}");
    assert_eq!(status["connectorStatus"]["name"], name.as_str());
    let generation = setup.resource(&name).await.unwrap().metadata.generation;
    assert_eq!(status["observedGeneration"].as_i64(), generation);
    let (_, config) = setup.rest.get(&format!("/connectors/{name}/config")).await;
    assert_eq!(
        config["connector.class"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    assert_eq!(config["tasks.max"], "2");
    assert_eq!(config["name"], name.as_str());

    // A config edit is applied.
    setup
        .patch(&name, json!({"spec": {"config": {"batch.size": 500}}}))
        .await;
    setup
        .until("the edited config on the worker", || async {
            let (_, config) = setup.rest.get(&format!("/connectors/{name}/config")).await;
            (config["batch.size"] == "500").then_some(())
        })
        .await;

    // state: paused, stopped, running.
    for (state, rest) in [("paused", "PAUSED"), ("stopped", "STOPPED"), ("running", "RUNNING")] {
        setup.patch(&name, json!({"spec": {"state": state}})).await;
        setup.rest_state(&name, rest).await;
    }

    // Changed over REST behind the operator's back: put back.
    let mut changed = config.clone();
    changed["topic"] = json!("somewhere-else");
    assert_eq!(
        setup
            .rest
            .put(&format!("/connectors/{name}/config"), Some(changed))
            .await
            .0,
        200
    );
    setup
        .until("the resource's config to be put back", || async {
            let (_, config) = setup.rest.get(&format!("/connectors/{name}/config")).await;
            (config["topic"] == topic.as_str()).then_some(())
        })
        .await;
    // Deleted over REST: created again.
    assert_eq!(setup.rest.delete(&format!("/connectors/{name}")).await.0, 204);
    setup.rest_state(&name, "RUNNING").await;

    // Restart annotations: acted on and removed.
    setup
        .patch(
            &name,
            json!({"metadata": {"annotations": {"strimzi.io/restart": "includeTasks", "strimzi.io/restart-task": "0"}}}),
        )
        .await;
    setup
        .until("the restart annotations to be removed", || async {
            let object = setup.resource(&name).await?;
            (annotation(&object, "strimzi.io/restart").is_none()
                && annotation(&object, "strimzi.io/restart-task").is_none())
            .then_some(())
        })
        .await;
    setup.rest_state(&name, "RUNNING").await;

    // The operator logs JSON lines, as asked.
    let log = std::fs::read_to_string(setup.operator.log()).unwrap();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["level"].is_string() && entry["message"].is_string(), "{line}");
    }
    assert!(log.contains("creating the connector"), "{log}");

    // The resource deleted: the connector goes, then the resource (the finalizer).
    setup
        .connectors("v1")
        .delete(&name, &DeleteParams::default())
        .await
        .unwrap();
    setup
        .until("the connector and its resource to be gone", || async {
            let gone = setup.rest.get(&format!("/connectors/{name}")).await.0 == 404;
            (gone && setup.resource(&name).await.is_none()).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_resource_is_not_ready_with_the_reason() {
    let setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    let input = setup.dir.path().join("in.txt");
    let bad_class = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("bad-class"), &input, "t");
            m["spec"]["class"] = json!("com.example.NoSuchConnector");
        })
        .await;
    let status = setup
        .status_until(&bad_class, "NotReady for the unknown class", |s| {
            s["conditions"][0]["type"] == "NotReady"
        })
        .await;
    assert_eq!(status["conditions"][0]["reason"], "ConnectRestException", "{status}");
    let message = status["conditions"][0]["message"].as_str().unwrap();
    assert!(message.contains("com.example.NoSuchConnector"), "{message}");

    let no_cluster = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("no-cluster"), &input, "t");
            m["metadata"]["labels"] = json!({});
        })
        .await;
    let message = setup.not_ready_message(&no_cluster).await;
    assert!(message.contains("strimzi.io/cluster"), "{message}");

    // A cluster whose REST API cannot be reached (its Service name does not resolve here).
    let unreachable = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("unreachable"), &input, "t");
            m["metadata"]["labels"] = json!({"strimzi.io/cluster": "no-such-cluster"});
        })
        .await;
    let message = setup.not_ready_message(&unreachable).await;
    assert!(
        message.contains("cannot reach the Connect REST API at http://no-such-cluster-connect-api."),
        "{message}"
    );

    // A bad restart annotation is a Warning; the connector is otherwise fine.
    let good = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("good"), &input, &unique_name("good"));
            m["metadata"]["annotations"] = json!({"strimzi.io/restart": "everything"});
        })
        .await;
    let status = setup
        .status_until(&good, "Ready with a Warning", |s| {
            ready(s) && s["conditions"][1]["type"] == "Warning"
        })
        .await;
    assert_eq!(status["conditions"][1]["reason"], "RestartConnector", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_tasks_are_restarted_up_to_max_restarts() {
    let setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    // A sink whose file cannot be created: its task fails on every start.
    let manifest = json!({
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaConnector",
        "metadata": {"name": unique_name("failing-sink"), "labels": {"strimzi.io/cluster": CLUSTER}},
        "spec": {
            "class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasksMax": 1,
            "autoRestart": {"enabled": true, "maxRestarts": 2},
            "config": {"file": "/nonexistent-dir/out.txt", "topics": unique_name("failing")}
        }
    });
    let object: DynamicObject = serde_json::from_value(manifest).unwrap();
    let name = setup
        .connectors("v1")
        .create(&PostParams::default(), &object)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    // Restarted once at once, again after 1²+1 = 2 units, then no more (maxRestarts: 2).
    let status = setup
        .status_until(&name, "two automatic restarts", |s| s["autoRestart"]["count"] == 2)
        .await;
    assert_eq!(status["autoRestart"]["connectorName"], name.as_str());
    let message = setup.not_ready_message(&name).await;
    assert!(message.contains("The following tasks have failed: 0"), "{message}");
    // The third restart would come 2²+2 = 6 units after the second: watch well past it.
    let watch_until = Instant::now() + Duration::from_secs(9);
    while Instant::now() < watch_until {
        let object = setup.resource(&name).await.unwrap();
        assert_eq!(
            object.data["status"]["autoRestart"]["count"], 2,
            "maxRestarts is respected"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_are_listed_altered_and_reset_through_config_maps() {
    let setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    let input = setup.dir.path().join("lines.txt");
    std::fs::write(&input, "one\ntwo\nthree\n").unwrap();
    let topic = unique_name("offsets");
    let name = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("offsets-source"), &input, &topic);
            m["spec"]["tasksMax"] = json!(1);
            m["spec"]["listOffsets"] = json!({"toConfigMap": {"name": "listed"}});
            m["spec"]["alterOffsets"] = json!({"fromConfigMap": {"name": "wanted"}});
        })
        .await;
    setup
        .until("the file to be read", || async {
            let (_, offsets) = setup.rest.get(&format!("/connectors/{name}/offsets")).await;
            (offsets["offsets"][0]["offset"]["position"] == 14).then_some(())
        })
        .await;
    setup.patch(&name, json!({"spec": {"state": "stopped"}})).await;
    setup.rest_state(&name, "STOPPED").await;

    let config_maps: kube::Api<ConfigMap> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let annotate = |value: &'static str| json!({"metadata": {"annotations": {"strimzi.io/connector-offsets": value}}});
    let annotation_removed = || async {
        let object = setup.resource(&name).await?;
        annotation(&object, "strimzi.io/connector-offsets")
            .is_none()
            .then_some(())
    };

    // list: the offsets in ConfigMap "listed", owned by the resource.
    setup.patch(&name, annotate("list")).await;
    setup
        .until("the list annotation to be removed", annotation_removed)
        .await;
    let listed = config_maps.get("listed").await.unwrap();
    let offsets: Value = serde_json::from_str(&listed.data.unwrap()["offsets.json"]).unwrap();
    assert_eq!(offsets["offsets"][0]["offset"]["position"], 14, "{offsets}");
    let owner = &listed.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("KafkaConnector", name.as_str())
    );

    // alter: from ConfigMap "wanted".
    let mut wanted = offsets.clone();
    wanted["offsets"][0]["offset"]["position"] = json!(4);
    let config_map: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "wanted"},
        "data": {"offsets.json": wanted.to_string()}
    }))
    .unwrap();
    config_maps.create(&PostParams::default(), &config_map).await.unwrap();
    setup.patch(&name, annotate("alter")).await;
    setup
        .until("the alter annotation to be removed", annotation_removed)
        .await;
    let (_, offsets) = setup.rest.get(&format!("/connectors/{name}/offsets")).await;
    assert_eq!(offsets["offsets"][0]["offset"]["position"], 4, "{offsets}");

    // reset.
    setup.patch(&name, annotate("reset")).await;
    setup
        .until("the reset annotation to be removed", annotation_removed)
        .await;
    let (_, offsets) = setup.rest.get(&format!("/connectors/{name}/offsets")).await;
    assert_eq!(offsets["offsets"], json!([]), "{offsets}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_crd_serves_strimzi_0_38_manifests_and_every_deploy_manifest_is_valid() {
    // The server with deploy/'s CRD, which serves v1beta2 (with `pause`) and v1.
    let server = tokio::task::spawn_blocking(shared_kube_api_server_for_shipped_crds)
        .await
        .unwrap();
    let crd = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/crds/kafkaconnector.yaml");
    let setup = Setup::new(server, crd.to_str().unwrap()).await;
    let input = setup.dir.path().join("in.txt");
    std::fs::write(&input, "old manifest\n").unwrap();
    let name = setup
        .apply("0.38.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("v1beta2-source"), &input, &unique_name("v1beta2"));
            m["spec"]["pause"] = json!(true);
        })
        .await;
    setup.rest_state(&name, "PAUSED").await;
    setup
        .status_until(&name, "the v1beta2 resource to be Ready", ready)
        .await;
    let beta = setup.connectors("v1beta2");
    beta.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"pause": false}})),
    )
    .await
    .unwrap();
    setup.rest_state(&name, "RUNNING").await;

    // Everything in deploy/install and deploy/examples passes the API server's validation.
    install_crd(&setup.client, &deploy_file("crds/tributaryconnect.yaml")).await;
    install_crd(&setup.client, &deploy_file("crds/kafkamirrormaker2.yaml")).await;
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut checked = Vec::new();
    for folder in ["install", "examples"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(deploy.join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            for document in serde_yaml::Deserializer::from_str(&std::fs::read_to_string(&file).unwrap()) {
                let manifest = Value::deserialize(document).unwrap();
                let kind = manifest["kind"].as_str().unwrap().to_string();
                dry_run_apply(&setup.client, &setup.namespace, manifest)
                    .await
                    .unwrap_or_else(|e| panic!("{} ({kind}) is refused: {e}", file.display()));
                checked.push(kind);
            }
        }
    }
    for kind in ["Deployment", "KafkaConnector", "TributaryConnect", "KafkaMirrorMaker2"] {
        assert!(checked.contains(&kind.to_string()), "{checked:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_no_resource_backs_are_deleted_where_asked() {
    let mut setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    // This test's operator manages a worker cluster of its own.
    setup.operator.kill();
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let spec = ClusterSpec::new(&kafka.bootstrap_servers(), 1);
    let worker = WorkerProcess::start(&spec, setup.dir.path(), "lonely-worker");
    let rest = common::Api::new(worker.api.base());
    worker.wait_healthy().await;
    let input = setup.dir.path().join("in.txt");
    std::fs::write(&input, "one\n").unwrap();
    let topic = unique_name("lonely");
    let stray = json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic});
    assert_eq!(rest.put("/connectors/stray/config", Some(stray)).await.0, 201);
    let kept = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("kept"), &input, &topic);
            m["metadata"]["labels"] = json!({"strimzi.io/cluster": "lonely"});
        })
        .await;
    let unmanaged = format!("{}/lonely", setup.namespace);
    setup.operator = spawn_operator(
        setup.dir.path(),
        &setup.namespace,
        "lonely",
        worker.api.base(),
        &["--delete-unmanaged-connectors", &unmanaged],
        "lonely-operator",
    );
    setup
        .until("only the resource's connector to be left", || async {
            let (_, names) = rest.get("/connectors").await;
            (names == json!([kept])).then_some(())
        })
        .await;
}

/// deploy/`path`.
fn deploy_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path)
}

/// A TributaryConnect named `name` on the shared Kafka cluster, as a Strimzi user writes a
/// KafkaConnect (Strimzi 1.2's example, with `-1` replication factors).
fn tributary_connect(name: &str, edit: impl FnOnce(&mut Value)) -> TributaryConnect {
    let mut manifest = json!({
        "apiVersion": "connect.tributary.io/v1alpha1",
        "kind": "TributaryConnect",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "bootstrapServers": shared_cluster().bootstrap_servers(),
            "groupId": unique_name("group"),
            "configStorageTopic": unique_name("configs"),
            "statusStorageTopic": unique_name("status"),
            "offsetStorageTopic": unique_name("offsets"),
            "config": {
                "config.storage.replication.factor": -1,
                "offset.storage.replication.factor": -1,
                "status.storage.replication.factor": -1,
                "offset.flush.interval.ms": 1000,
            },
        },
    });
    edit(&mut manifest);
    serde_json::from_value(manifest).unwrap()
}

/// A TributaryConnect becomes its workers' ConfigMap, Deployment, Service, PodDisruptionBudget
/// and ServiceAccount; a worker started from the rendered properties joins Kafka, and once the
/// Deployment reports its pod ready the resource is Ready with the worker's plugins. Its
/// KafkaConnectors run there; connectors no resource backs go (`use-connector-resources`);
/// KafkaConnectors of other clusters are left alone (`--tributary-clusters-only`). `/scale`,
/// config edits (the pods roll: the hash changes) and hand edits of the Deployment (put back)
/// follow, and a spec naming a missing Secret is NotReady until the Secret exists.
///
/// No kubelet or Deployment controller runs: the test plays them, starting the worker process
/// from the ConfigMap and writing the Deployment's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tributary_connect_runs_its_workers_and_reports_them_ready() {
    let mut setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    setup.operator.kill();
    install_crd(&setup.client, &deploy_file("crds/tributaryconnect.yaml")).await;
    let name = unique_name("tc");
    let port = common::workers::free_port();
    setup.operator = spawn_operator(
        setup.dir.path(),
        &setup.namespace,
        &name,
        &format!("http://127.0.0.1:{port}"),
        &["--tributary-clusters-only", "--worker-image", "tributary:test"],
        "tc-operator",
    );
    let connects: kube::Api<TributaryConnect> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let deployments: kube::Api<Deployment> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let config_maps: kube::Api<ConfigMap> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let connect = tributary_connect(&name, |m| {
        m["metadata"]["annotations"] = json!({"strimzi.io/use-connector-resources": "true"});
        m["spec"]["config"]["listeners"] = json!("http://:9999");
    });
    let created = connects.create(&PostParams::default(), &connect).await.unwrap();
    let uid = created.metadata.uid.unwrap();

    // Its objects, named as Strimzi names a KafkaConnect's, owned by it.
    let component = format!("{name}-connect");
    let config_map = setup
        .until("the ConfigMap", || async {
            config_maps.get_opt(&format!("{name}-connect-config")).await.unwrap()
        })
        .await;
    let owned_by_it = |meta: &ObjectMeta| {
        let owner = &meta.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str()),
            ("TributaryConnect", uid.as_str())
        );
    };
    owned_by_it(&config_map.metadata);
    // The Deployment is applied last (after the ConfigMap, Service, budget and account).
    let deployment = setup
        .until("the Deployment", || async {
            deployments.get_opt(&component).await.unwrap()
        })
        .await;
    owned_by_it(&deployment.metadata);
    let pod = deployment.spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.containers[0].image.as_deref(), Some("tributary:test"));
    assert_eq!(pod.service_account_name.as_deref(), Some(component.as_str()));
    let services: kube::Api<Service> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    owned_by_it(&services.get(&format!("{name}-connect-api")).await.unwrap().metadata);
    let budgets: kube::Api<PodDisruptionBudget> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    owned_by_it(&budgets.get(&component).await.unwrap().metadata);
    let accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    owned_by_it(&accounts.get(&component).await.unwrap().metadata);
    let status = setup
        .until("the rolling-out status", || async {
            let status = connects.get(&name).await.unwrap().status?;
            (status.conditions.first()?.reason.as_deref() == Some("RollingOut")).then_some(status)
        })
        .await;
    assert_eq!(
        status.url.as_deref(),
        Some(format!("http://{name}-connect-api.{}.svc:8083", setup.namespace).as_str())
    );
    assert_eq!(
        status.conditions[1].message.as_deref(),
        Some("Configuration option \"listeners\" is forbidden and will be ignored")
    );

    let worker = setup.run_rendered_workers(&component, &config_map, port).await;
    let rest = common::Api::new(&format!("http://127.0.0.1:{port}"));
    let (_, root) = rest.get("/connectors").await;
    assert_eq!(root, json!([]), "worker log:\n{}", worker.log_tail(20));
    let status = setup
        .until("the TributaryConnect to be Ready", || async {
            let status = connects.get(&name).await.unwrap().status?;
            (status.conditions.first()?.type_ == "Ready").then_some(status)
        })
        .await;
    assert_eq!(status.replicas, Some(1));
    assert!(
        status
            .connector_plugins
            .iter()
            .any(|p| p.class == "org.apache.kafka.connect.file.FileStreamSourceConnector" && p.type_ == "source"),
        "{:?}",
        status.connector_plugins
    );

    // Its KafkaConnectors run on it; a connector made over REST goes; a KafkaConnector of a
    // cluster that is not a TributaryConnect is not touched.
    let input = setup.dir.path().join("tc-in.txt");
    std::fs::write(&input, "one\n").unwrap();
    let stray = json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": unique_name("stray")});
    assert_eq!(rest.put("/connectors/stray/config", Some(stray)).await.0, 201);
    let on_it = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("on-tc"), &input, &unique_name("tc-topic"));
            m["metadata"]["labels"] = json!({"strimzi.io/cluster": name});
        })
        .await;
    let elsewhere = setup
        .apply("1.2.0/source-connector.yaml", |m| {
            example_source(m, &unique_name("elsewhere"), &input, &unique_name("tc-topic"));
            m["metadata"]["labels"] = json!({"strimzi.io/cluster": "strimzis-own"});
        })
        .await;
    setup.status_until(&on_it, "the connector to be Ready", ready).await;
    setup
        .until("only the resource's connector to be left", || async {
            let (_, names) = rest.get("/connectors").await;
            (names == json!([on_it])).then_some(())
        })
        .await;
    let untouched = setup.resource(&elsewhere).await.unwrap();
    assert!(untouched.data.get("status").is_none(), "{untouched:?}");
    assert!(untouched.metadata.finalizers.is_none(), "{untouched:?}");

    // `kubectl scale`: the scale subresource sets spec.replicas; the Deployment follows and
    // the resource waits for the new pods.
    connects
        .patch_scale(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    setup
        .until_replicas(&component, 3, "the Deployment to have 3 replicas")
        .await;
    let message = setup
        .until("the TributaryConnect to wait for 3 pods", || async {
            let status = connects.get(&name).await.unwrap().status?;
            status
                .conditions
                .first()?
                .message
                .clone()
                .filter(|m| m.starts_with("1 of 3"))
        })
        .await;
    assert_eq!(
        message,
        "1 of 3 worker pods are ready with the current configuration (1 exist)"
    );
    let scale = connects.get_scale(&name).await.unwrap();
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(3));
    let scale_status = scale.status.unwrap();
    assert_eq!(scale_status.replicas, 1);
    assert_eq!(
        scale_status.selector.as_deref(),
        Some(format!("app.kubernetes.io/instance={name},app.kubernetes.io/name=tributary-connect").as_str())
    );

    // A config edit rolls the pods: new properties, a new hash on the pod template.
    let hash = |deployment: &Deployment| {
        deployment
            .spec
            .template
            .metadata
            .as_ref()
            .unwrap()
            .annotations
            .as_ref()
            .unwrap()["connect.tributary.io/configuration-hash"]
            .clone()
    };
    let old_hash = hash(&deployments.get(&component).await.unwrap());
    connects
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"config": {"offset.flush.interval.ms": 2000}}})),
        )
        .await
        .unwrap();
    setup
        .until("the pod template to get a new hash", || async {
            (hash(&deployments.get(&component).await.unwrap()) != old_hash).then_some(())
        })
        .await;
    let properties = config_maps
        .get(&format!("{name}-connect-config"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert!(properties["tributary.properties"].contains("offset.flush.interval.ms=2000"));

    // A hand edit of the Deployment is put back.
    deployments
        .patch(
            &component,
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"replicas": 7}})),
        )
        .await
        .unwrap();
    setup
        .until_replicas(&component, 3, "the Deployment to be put back to 3 replicas")
        .await;

    // A spec naming a Secret that does not exist is NotReady until it does; the operator
    // reads it (its ClusterRole allows that) and mounts it.
    let secured = unique_name("tc-secured");
    let secured_connect = tributary_connect(&secured, |m| {
        m["spec"]["authentication"] = json!({"type": "scram-sha-512", "username": "u",
            "passwordSecret": {"secretName": "scram-user", "password": "password"}});
    });
    connects.create(&PostParams::default(), &secured_connect).await.unwrap();
    let message = setup
        .until("the secured cluster to be NotReady", || async {
            let status = connects.get(&secured).await.unwrap().status?;
            status.conditions.first()?.message.clone()
        })
        .await;
    assert_eq!(
        message,
        format!("Secret scram-user not found in namespace {}", setup.namespace)
    );
    let secrets: kube::Api<Secret> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "scram-user"}, "stringData": {"password": "p"}})).unwrap();
    secrets.create(&PostParams::default(), &secret).await.unwrap();
    let deployment = setup
        .until("the secured cluster's Deployment", || async {
            deployments.get_opt(&format!("{secured}-connect")).await.unwrap()
        })
        .await;
    let volumes = deployment.spec.template.spec.unwrap().volumes.unwrap();
    assert!(
        volumes
            .iter()
            .any(|v| v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some("scram-user")),
        "{volumes:?}"
    );
    drop(worker);
}

/// Strimzi 1.2's own KafkaMirrorMaker2 example between two real Kafka clusters: the operator
/// writes the workers' objects on the target (`<name>-mirrormaker2…`), and once the worker
/// started from its ConfigMap is ready, it runs Strimzi's two connectors
/// (`cluster-a->cluster-b.MirrorSourceConnector`, `….MirrorCheckpointConnector`): the records
/// reach `cluster-a.<topic>` on the target and the group's checkpoints
/// `cluster-a.checkpoints.internal`; the status lists both connectors RUNNING. Dropping the
/// checkpoint connector from the spec deletes it from the workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strimzis_kafka_mirror_maker_2_example_mirrors_records_and_checkpoints() {
    let mut setup = Setup::new(shared_server().await, "1.2.0/047-Crd-kafkaconnector.yaml").await;
    setup.operator.kill();
    install_crd(&setup.client, &fixture("1.2.0/048-Crd-kafkamirrormaker2.yaml")).await;
    let source = tokio::task::spawn_blocking(|| KafkaCluster::start_with(ClusterOptions::with_nodes(1)))
        .await
        .unwrap()
        .unwrap();
    let target = tokio::task::spawn_blocking(shared_cluster).await.unwrap();

    // Records on the source, read by a group that committed its position.
    let topic = unique_name("orders");
    let group = unique_name("billing");
    let producer = tributary_harness::clients::reliable_producer(&source.bootstrap_servers()).unwrap();
    let records = (0..100).map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes()));
    let sent = tributary_harness::clients::produce_all(&producer, &topic, records, 100).await;
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    commit_offset(&source.bootstrap_servers(), &group, &topic, 100);

    let name = unique_name("mm2");
    let port = common::workers::free_port();
    setup.operator = spawn_operator(
        setup.dir.path(),
        &setup.namespace,
        &name,
        &format!("http://127.0.0.1:{port}"),
        &[],
        "mm2-operator",
    );
    let kind = GroupVersionKind::gvk("kafka.strimzi.io", "v1", "KafkaMirrorMaker2");
    let mirror_makers: kube::Api<DynamicObject> = kube::Api::namespaced_with(
        setup.client.clone(),
        &setup.namespace,
        &ApiResource::from_gvk_with_plural(&kind, "kafkamirrormaker2s"),
    );
    let mut manifest: Value =
        serde_yaml::from_str(&std::fs::read_to_string(fixture("1.2.0/kafka-mirror-maker-2.yaml")).unwrap()).unwrap();
    manifest["metadata"]["name"] = json!(name);
    let spec = &mut manifest["spec"];
    spec["target"]["bootstrapServers"] = json!(target.bootstrap_servers());
    spec["target"]["groupId"] = json!(unique_name("mm2-group"));
    for key in ["configStorageTopic", "offsetStorageTopic", "statusStorageTopic"] {
        spec["target"][key] = json!(unique_name("__mm2"));
    }
    let mirror = &mut spec["mirrors"][0];
    mirror["source"]["bootstrapServers"] = json!(source.bootstrap_servers());
    mirror["topicsPattern"] = json!(topic);
    mirror["groupsPattern"] = json!(group);
    mirror["checkpointConnector"]["config"]["refresh.groups.interval.seconds"] = json!(1);
    mirror["checkpointConnector"]["config"]["emit.checkpoints.interval.seconds"] = json!(1);
    let object: DynamicObject = serde_json::from_value(manifest).unwrap();
    mirror_makers.create(&PostParams::default(), &object).await.unwrap();

    let config_maps: kube::Api<ConfigMap> = kube::Api::namespaced(setup.client.clone(), &setup.namespace);
    let config_map = setup
        .until("the workers' ConfigMap", || async {
            config_maps
                .get_opt(&format!("{name}-mirrormaker2-config"))
                .await
                .unwrap()
        })
        .await;
    let properties = &config_map.data.as_ref().unwrap()["tributary.properties"];
    assert!(
        properties.contains("value.converter=org.apache.kafka.connect.converters.ByteArrayConverter"),
        "{properties}"
    );
    let worker = setup
        .run_rendered_workers(&format!("{name}-mirrormaker2"), &config_map, port)
        .await;

    let copied = tributary_harness::clients::consume_until(
        &target.bootstrap_servers(),
        &format!("cluster-a.{topic}"),
        100,
        Duration::from_secs(60),
        "read_committed",
    )
    .await
    .unwrap();
    assert_eq!(copied.len(), 100, "worker log:\n{}", worker.log_tail(30));
    let checkpoints = tributary_harness::clients::consume_until(
        &target.bootstrap_servers(),
        "cluster-a.checkpoints.internal",
        1,
        Duration::from_secs(60),
        "read_committed",
    )
    .await
    .unwrap();
    let group_bytes = group.as_bytes();
    assert!(
        checkpoints.iter().any(|m| m
            .key()
            .is_some_and(|k| k.windows(group_bytes.len()).any(|w| w == group_bytes))),
        "no checkpoint for {group}; worker log:\n{}",
        worker.log_tail(30)
    );
    let status = setup
        .until("the KafkaMirrorMaker2 to be Ready with both connectors", || async {
            let object = mirror_makers.get(&name).await.unwrap();
            let status = object.data.get("status")?.clone();
            let running = status["connectors"]
                .as_array()?
                .iter()
                .filter(|c| c["connector"]["state"] == "RUNNING")
                .count();
            (ready(&status) && running == 2).then_some(status)
        })
        .await;
    let names: Vec<&str> = status["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cluster-a->cluster-b.MirrorSourceConnector",
            "cluster-a->cluster-b.MirrorCheckpointConnector"
        ]
    );
    assert_eq!(
        status["url"],
        json!(format!("http://{name}-mirrormaker2-api.{}.svc:8083", setup.namespace))
    );

    // Strimzi's restart annotations on the KafkaMirrorMaker2 reach the connector they name and
    // are removed once acted on; a task id that is not a number is a Warning.
    let source_connector = "cluster-a->cluster-b.MirrorSourceConnector";
    let annotate = |annotations: Value| {
        let mirror_makers = mirror_makers.clone();
        let name = name.clone();
        async move {
            let patch = json!({"metadata": {"annotations": annotations}});
            mirror_makers
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .unwrap();
        }
    };
    annotate(json!({
        "strimzi.io/restart-connector": format!("{source_connector}:includeTasks"),
        "strimzi.io/restart-connector-task": format!("{source_connector}:first"),
    }))
    .await;
    let warning = setup
        .until("the restart to be done and the bad task id warned about", || async {
            let object = mirror_makers.get(&name).await.unwrap();
            let annotations = object.metadata.annotations.clone().unwrap_or_default();
            let status = object.data.get("status")?;
            let warning = status["conditions"]
                .as_array()?
                .iter()
                .find(|c| c["type"] == "Warning")?
                .clone();
            (!annotations.contains_key("strimzi.io/restart-connector")).then_some(warning)
        })
        .await;
    assert!(warning["message"].as_str().unwrap().contains("first"), "{warning}");
    annotate(json!({"strimzi.io/restart-connector-task": format!("{source_connector}:0")})).await;
    setup
        .until("the task restart to be done", || async {
            let object = mirror_makers.get(&name).await.unwrap();
            let annotations = object.metadata.annotations.unwrap_or_default();
            (!annotations.contains_key("strimzi.io/restart-connector-task")).then_some(())
        })
        .await;

    // The checkpoint connector leaves the spec: it leaves the workers.
    let patch = json!([{"op": "remove", "path": "/spec/mirrors/0/checkpointConnector"}]);
    mirror_makers
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::<()>::Json(serde_json::from_value(patch).unwrap()),
        )
        .await
        .unwrap();
    let rest = common::Api::new(&format!("http://127.0.0.1:{port}"));
    setup
        .until("only the source connector to be left", || async {
            let (_, names) = rest.get("/connectors").await;
            (names == json!(["cluster-a->cluster-b.MirrorSourceConnector"])).then_some(())
        })
        .await;
}

/// Commits `offset` for `group` on partition 0 of `topic`, retrying while the group
/// coordinator is still loading (a fresh cluster creates `__consumer_offsets` on first use).
fn commit_offset(bootstrap: &str, group: &str, topic: &str, offset: i64) {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut positions = rdkafka::TopicPartitionList::new();
    positions
        .add_partition_offset(topic, 0, rdkafka::Offset::Offset(offset))
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    loop {
        match consumer.commit(&positions, CommitMode::Sync) {
            Ok(()) => return,
            Err(error) if Instant::now() < deadline => {
                assert!(
                    matches!(
                        error.rdkafka_error_code(),
                        Some(
                            rdkafka::types::RDKafkaErrorCode::CoordinatorLoadInProgress
                                | rdkafka::types::RDKafkaErrorCode::CoordinatorNotAvailable
                                | rdkafka::types::RDKafkaErrorCode::NotCoordinator
                        )
                    ),
                    "{error}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!("no commit within {DEADLINE:?}: {error}"),
        }
    }
}
