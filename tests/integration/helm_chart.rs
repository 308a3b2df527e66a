//! The Helm chart in deploy/helm/tributary-operator, rendered by a real helm (v4, built from the
//! Go module proxy by tests/helm/build.sh): its default rendering is deploy/install/operator.yaml;
//! every manifest it renders, with the default values and with every optional part on
//! (ci/full-values.yaml), passes a real Kubernetes API server's validation, KEDA's ScaledObject
//! and the Prometheus Operator's PodMonitor included (their CRDs from their Go modules); and
//! the Grafana dashboard and the alerting rules query only series a real worker exports.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::PostParams;
use serde::Deserialize;
use serde_json::{json, Value};

use common::eventually;
use common::kubernetes::{client, dry_run_apply, install_crd};
use common::workers::WorkerProcess;
use tributary_harness::clients::unique_name;
use tributary_harness::{shared_cluster, shared_kube_api_server_for_shipped_crds, Helm};

/// The chart.
fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/helm/tributary-operator")
}

/// helm, built once per machine (off the async runtime).
async fn helm() -> Helm {
    tokio::task::spawn_blocking(Helm::get).await.unwrap().unwrap()
}

/// The YAML documents of a rendering.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|document| Value::deserialize(document).unwrap())
        .filter(|document| !document.is_null())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_install_manifest_is_the_charts_default_rendering() {
    let rendered = helm()
        .await
        .template(&chart(), "tributary-operator", "tributary", &[])
        .unwrap();
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/install/operator.yaml")).unwrap();
    // The file is its header comment, then exactly what helm renders.
    let body = &shipped[shipped.find("\n---\n").map(|i| i + 1).unwrap_or(0)..];
    assert!(
        body == rendered,
        "deploy/install/operator.yaml differs from the chart's rendering; regenerate it with \
         `helm template tributary-operator deploy/helm/tributary-operator --namespace tributary` \
         (below its header). Rendered:\n{rendered}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rendering_passes_the_api_servers_validation() {
    let helm = helm().await;
    let server = tokio::task::spawn_blocking(shared_kube_api_server_for_shipped_crds)
        .await
        .unwrap();
    let client = client(server).await;
    let deploy_crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/crds");
    let mut crds: Vec<PathBuf> = std::fs::read_dir(&deploy_crds)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    crds.extend(helm.extra_crds().unwrap());
    for crd in &crds {
        install_crd(&client, crd).await;
    }
    let namespaces: kube::Api<Namespace> = kube::Api::all(client.clone());
    for name in ["tributary", "kafka"] {
        let namespace: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        namespaces.create(&PostParams::default(), &namespace).await.unwrap();
    }
    helm.run(&["lint", chart().to_str().unwrap()]).unwrap();

    let full = chart().join("ci/full-values.yaml");
    for values in [vec![], vec![full.as_path()]] {
        let rendered = helm
            .template(&chart(), "tributary-operator", "tributary", &values)
            .unwrap();
        let mut kinds = BTreeSet::new();
        for manifest in documents(&rendered) {
            let kind = manifest["kind"].as_str().unwrap().to_string();
            dry_run_apply(&client, "tributary", manifest)
                .await
                .unwrap_or_else(|e| panic!("{kind} rendered with {values:?} is refused: {e}"));
            kinds.insert(kind);
        }
        let expected: &[&str] = if values.is_empty() {
            &["ClusterRole", "ClusterRoleBinding", "Deployment", "ServiceAccount"]
        } else {
            &[
                "ConfigMap",
                "Deployment",
                "PodMonitor",
                "PrometheusRule",
                "Role",
                "RoleBinding",
                "ScaledObject",
                "ServiceAccount",
                "TributaryConnect",
            ]
        };
        assert_eq!(kinds, expected.iter().map(|k| k.to_string()).collect(), "{values:?}");
    }

    // The full values reach the operator's arguments.
    let rendered = helm
        .template(&chart(), "tributary-operator", "tributary", &[&full])
        .unwrap();
    let deployment = documents(&rendered)
        .into_iter()
        .find(|m| m["kind"] == "Deployment")
        .unwrap();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "registry.example.com/tributary:0.1.0");
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for expected in [
        "--namespace=kafka",
        "--selector=tributary.io/managed=true",
        "--tributary-clusters-only",
        "--worker-image=registry.example.com/tributary:0.1.0",
    ] {
        assert!(args.contains(&expected), "{args:?}");
    }
}

/// The `tributary_…` series named in `expr`.
fn series_in(expr: &str) -> BTreeSet<String> {
    let series = regex::Regex::new(r"tributary_[a-z_]+").unwrap();
    series.find_iter(expr).map(|m| m.as_str().to_string()).collect()
}

/// Every `tributary_…` series a dashboard query names.
fn dashboard_series() -> BTreeSet<String> {
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(chart().join("dashboards/tributary.json")).unwrap()).unwrap();
    let mut names = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            names.extend(series_in(target["expr"].as_str().unwrap()));
        }
    }
    names
}

/// Every `tributary_…` series an alerting rule queries; each rule has a severity and a
/// summary.
fn alert_series() -> BTreeSet<String> {
    let rules: Value =
        serde_yaml::from_str(&std::fs::read_to_string(chart().join("alerts/tributary.rules.yaml")).unwrap()).unwrap();
    let mut names = BTreeSet::new();
    for rule in rules["groups"][0]["rules"].as_array().unwrap() {
        let alert = rule["alert"].as_str().unwrap();
        assert!(rule["labels"]["severity"].is_string(), "{alert} has no severity");
        assert!(rule["annotations"]["summary"].is_string(), "{alert} has no summary");
        names.extend(series_in(rule["expr"].as_str().unwrap()));
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_queries_series_a_worker_exports() {
    // A worker moving lines file → Kafka → file, one of them poison for the sink's
    // JsonConverter (tolerated, sent to a dead letter queue), and mirroring the topic within
    // the same cluster, so that every kind of series has a value.
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::standalone(&bootstrap, dir.path(), "dashboard", 500).await;
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    std::fs::write(&input, "{\"n\":1}\nnot json\n{\"n\":2}\n").unwrap();
    let topic = unique_name("dashboard");
    worker
        .put_connector(
            "lines-in",
            &json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic,
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}),
        )
        .await;
    worker
        .put_connector(
            "lines-out",
            &json!({"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic,
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false", "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": unique_name("dlq"),
                "errors.deadletterqueue.topic.replication.factor": "1"}),
        )
        .await;
    worker
        .put_connector(
            "mirror",
            &json!({"connector.class": "MirrorSourceConnector", "source.cluster.alias": "here",
                "target.cluster.alias": "there", "source.cluster.bootstrap.servers": bootstrap,
                "target.cluster.bootstrap.servers": bootstrap, "topics": topic,
                "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
                "sync.topic.acls.enabled": "false", "sync.topic.configs.enabled": "false",
                "refresh.topics.interval.seconds": "1"}),
        )
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let exported = loop {
        let text = worker.api.metrics().await.expect("the worker's metrics");
        let exported: BTreeSet<String> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split(['{', ' ']).next())
            .map(str::to_string)
            .collect();
        let queried: BTreeSet<String> = dashboard_series().union(&alert_series()).cloned().collect();
        let missing: BTreeSet<String> = queried.difference(&exported).cloned().collect();
        if missing.is_empty() {
            break exported;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the dashboard or the alerts query series no worker exported within 60 s: {missing:?}; worker log:\n{}",
            worker.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for series in [
        "tributary_dlq_records_total",
        "tributary_source_record_age_seconds_bucket",
        "tributary_source_topic_bytes_total",
        "tributary_sink_topic_bytes_total",
        "tributary_records_skipped_total",
        "tributary_worker_tasks",
    ] {
        assert!(
            dashboard_series().contains(series),
            "the dashboard has no panel for {series}"
        );
        assert!(exported.contains(series), "{exported:?}");
    }

    // The values count what happened: the three lines' 22 bytes sent to and read from the
    // topic, the poison line skipped, three tasks here.
    let expected = [
        format!("tributary_source_topic_bytes_total{{connector=\"lines-in\",task=\"0\",topic=\"{topic}\"}} 22"),
        format!("tributary_sink_topic_bytes_total{{connector=\"lines-out\",task=\"0\",topic=\"{topic}\"}} 22"),
        "tributary_records_skipped_total{connector=\"lines-out\",stage=\"VALUE_CONVERTER\",task=\"0\"} 1".to_string(),
        "tributary_worker_tasks 3".to_string(),
        "tributary_worker_connectors 3".to_string(),
    ];
    eventually(Duration::from_secs(60), "the metrics to count every line", || async {
        let text = worker.api.metrics().await.expect("the worker's metrics");
        expected
            .iter()
            .all(|line| text.lines().any(|l| l == line))
            .then_some(())
    })
    .await;
}
