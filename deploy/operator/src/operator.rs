//! The operator's main loop: finds which version of `kafka.strimzi.io` KafkaConnector the API
//! server serves, watches those resources (in one namespace or all, optionally only those a
//! label selector picks) and reconciles each on every change and every resync interval.

use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::runtime::{watcher, Controller};
use kube::{Api, Client};

use crate::clusters::ClusterUrls;
use crate::connect_api::ConnectApi;
use crate::kafka_connector::plan;
use crate::kafka_connector::reconcile::{self, Context};
use crate::kafka_connector::CLUSTER_LABEL;

/// Strimzi's API group.
pub const STRIMZI_GROUP: &str = "kafka.strimzi.io";

/// How the operator runs.
#[derive(Debug, Clone)]
pub struct OperatorSettings {
    /// The namespace watched; every namespace when `None`.
    pub namespace: Option<String>,
    /// Only resources matching this label selector (e.g. `strimzi.io/cluster in (a,b)`).
    pub selector: Option<String>,
    /// Where each worker cluster's REST API is.
    pub clusters: ClusterUrls,
    /// How often each resource is reconciled without a change (Strimzi's
    /// `STRIMZI_FULL_RECONCILIATION_INTERVAL_MS`, 120 s).
    pub resync: Duration,
    /// The auto-restart back-off unit (a minute, as Strimzi's).
    pub auto_restart_unit: Duration,
    /// Clusters (namespace, name) whose connectors are managed only through resources: a
    /// connector no KafkaConnector backs is deleted, as Strimzi does for a KafkaConnect with
    /// `strimzi.io/use-connector-resources: "true"`.
    pub resources_only: Vec<(String, String)>,
}

impl Default for OperatorSettings {
    fn default() -> Self {
        OperatorSettings {
            namespace: None,
            selector: None,
            clusters: ClusterUrls::default(),
            resync: Duration::from_secs(120),
            auto_restart_unit: Duration::from_secs(60),
            resources_only: Vec::new(),
        }
    }
}

/// Why the operator cannot run.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The API server could not be asked.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// No kubeconfig and not in a pod.
    #[error("no Kubernetes configuration: {0}")]
    Config(String),
    /// The KafkaConnector CRD is not installed.
    #[error("the API server serves no KafkaConnector in {STRIMZI_GROUP} (install the CRD from deploy/crds)")]
    NoCrd,
}

/// A client of the API server: from `KUBECONFIG` (or `~/.kube/config`), else the pod's
/// service account.
pub async fn kube_client() -> Result<Client, OperatorError> {
    kube_client_for(
        kube::Config::infer()
            .await
            .map_err(|e| OperatorError::Config(e.to_string()))?,
    )
}

/// A client of the API server `config` describes.
pub fn kube_client_for(config: kube::Config) -> Result<Client, OperatorError> {
    // rustls is built with both ring and aws-lc-rs (other crates ask for each), so it cannot
    // pick one itself; kube's TLS uses ring. A second call finds it installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(Client::try_from(config)?)
}

/// KafkaConnector as the API server serves it: `v1beta2` when served (it carries the
/// deprecated `pause` that `v1` drops; Strimzi 0.49–0.51's CRDs serve both), else `v1`.
pub async fn kafka_connector_resource(client: &Client) -> Result<ApiResource, OperatorError> {
    let group = match kube::discovery::group(client, STRIMZI_GROUP).await {
        Ok(group) => group,
        Err(kube::Error::Discovery(_)) => return Err(OperatorError::NoCrd),
        Err(error) => return Err(error.into()),
    };
    for version in ["v1beta2", "v1"] {
        if let Some((resource, _)) = group
            .versioned_resources(version)
            .into_iter()
            .find(|(resource, _)| resource.kind == "KafkaConnector")
        {
            return Ok(resource);
        }
    }
    Err(OperatorError::NoCrd)
}

/// Runs until `shutdown` completes.
pub async fn run(
    client: Client,
    settings: OperatorSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), OperatorError> {
    let resource = kafka_connector_resource(&client).await?;
    tracing::info!(
        version = %resource.api_version,
        namespace = settings.namespace.as_deref().unwrap_or("(all)"),
        "watching KafkaConnectors"
    );
    let api: Api<DynamicObject> = match &settings.namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let mut watch = watcher::Config::default();
    if let Some(selector) = &settings.selector {
        watch = watch.labels(selector);
    }
    let http = ConnectApi::http_client();
    let sweeper = tokio::spawn(delete_unmanaged(
        client.clone(),
        resource.clone(),
        settings.resources_only.clone(),
        settings.clusters.clone(),
        http.clone(),
        settings.resync,
    ));
    let context = Arc::new(Context {
        client,
        resource: resource.clone(),
        clusters: settings.clusters,
        http,
        resync: settings.resync,
        auto_restart_unit: settings.auto_restart_unit,
    });
    Controller::new_with(api, watch, resource)
        .graceful_shutdown_on(shutdown)
        .run(reconcile::reconcile, reconcile::retry_after, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!("reconcile: {error}");
            }
        })
        .await;
    sweeper.abort();
    Ok(())
}

/// Every `interval`, deletes from each of `clusters` the connectors no KafkaConnector backs.
async fn delete_unmanaged(
    client: Client,
    resource: ApiResource,
    clusters: Vec<(String, String)>,
    urls: ClusterUrls,
    http: reqwest::Client,
    interval: Duration,
) {
    if clusters.is_empty() {
        return;
    }
    loop {
        for (namespace, cluster) in &clusters {
            let resources: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
            let selector = format!("{CLUSTER_LABEL}={cluster}");
            let backed: BTreeSet<String> = match resources.list(&ListParams::default().labels(&selector)).await {
                Ok(list) => list.items.into_iter().filter_map(|o| o.metadata.name).collect(),
                Err(error) => {
                    tracing::warn!(namespace, cluster, "cannot list KafkaConnectors: {error}");
                    continue;
                }
            };
            let api = ConnectApi::new(&urls.url(cluster, namespace), http.clone());
            let on_cluster = match api.connectors().await {
                Ok(names) => names,
                Err(error) => {
                    tracing::warn!(namespace, cluster, "cannot list connectors: {error}");
                    continue;
                }
            };
            for name in plan::unmanaged(&on_cluster, &backed) {
                tracing::info!(
                    namespace,
                    cluster,
                    connector = name,
                    "deleting a connector no KafkaConnector backs"
                );
                if let Err(error) = api.delete(name).await {
                    tracing::warn!(namespace, cluster, connector = name, "cannot delete: {error}");
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}
