//! The operator's main loop: finds which version of `kafka.strimzi.io` KafkaConnector the API
//! server serves, watches those resources (in one namespace or all, optionally only those a
//! label selector picks) and TributaryConnects (when their CRD is installed) with what they
//! own, and reconciles each on every change and every resync interval.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::runtime::{watcher, Controller};
use kube::{Api, Client, Resource, ResourceExt};

use crate::clusters::ClusterUrls;
use crate::connect_api::ConnectApi;
use crate::kafka_connector::plan;
use crate::kafka_connector::reconcile::{self, Context};
use crate::kafka_connector::CLUSTER_LABEL;
use crate::mirror_maker2;
use crate::tributary_connect::{self, TributaryConnect};

/// Strimzi's API group.
pub const STRIMZI_GROUP: &str = "kafka.strimzi.io";
/// The annotation of a worker cluster whose connectors are managed only through KafkaConnectors.
pub const USE_CONNECTOR_RESOURCES_ANNOTATION: &str = "strimzi.io/use-connector-resources";

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
    /// `strimzi.io/use-connector-resources: "true"` (which a TributaryConnect may carry too).
    pub resources_only: Vec<(String, String)>,
    /// The worker image of a TributaryConnect that names none.
    pub default_image: String,
    /// Reconcile only the KafkaConnectors whose cluster is a TributaryConnect (to leave the
    /// others to Strimzi's operator in a namespace both watch).
    pub tributary_clusters_only: bool,
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
            default_image: format!("tributary:{}", env!("CARGO_PKG_VERSION")),
            tributary_clusters_only: false,
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
    rustls::crypto::ring::default_provider().install_default().ok();
    Ok(Client::try_from(config)?)
}

/// A `kafka.strimzi.io` kind as the API server serves it: `v1beta2` when served (it keeps the
/// older fields: KafkaConnector's `pause`, KafkaMirrorMaker2's `clusters`; Strimzi 0.49–0.51's
/// CRDs serve both), else `v1`; `None` when its CRD is not installed.
pub async fn strimzi_resource(client: &Client, kind: &str) -> Result<Option<ApiResource>, OperatorError> {
    let Some(group) = discover_group(client, STRIMZI_GROUP).await? else {
        return Ok(None);
    };
    for version in ["v1beta2", "v1"] {
        if let Some((resource, _)) = group
            .versioned_resources(version)
            .into_iter()
            .find(|(resource, _)| resource.kind == kind)
        {
            return Ok(Some(resource));
        }
    }
    Ok(None)
}

/// Whether the API server serves TributaryConnect (its CRD is installed).
pub async fn tributary_connect_served(client: &Client) -> Result<bool, OperatorError> {
    let group = TributaryConnect::group(&());
    Ok(discover_group(client, &group).await?.is_some_and(|group| {
        group
            .recommended_resources()
            .iter()
            .any(|(resource, _)| resource.kind == TributaryConnect::kind(&()))
    }))
}

/// How long discovery retries a 404 from a group the API server lists.
const DISCOVERY_SETTLE: Duration = Duration::from_secs(10);

/// The API group `name` as the API server serves it, `None` when it serves no such group. While
/// a CRD of the group is being installed, the group is listed before its versions answer (a
/// 404 for a moment): that is retried for up to [`DISCOVERY_SETTLE`], so an operator starting
/// beside a CRD installation neither fails nor misses the kind.
async fn discover_group(client: &Client, name: &str) -> Result<Option<kube::discovery::ApiGroup>, OperatorError> {
    let deadline = tokio::time::Instant::now() + DISCOVERY_SETTLE;
    loop {
        match kube::discovery::group(client, name).await {
            Ok(group) => return Ok(Some(group)),
            Err(kube::Error::Discovery(_)) => return Ok(None),
            Err(kube::Error::Api(status)) if status.code == 404 && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// An API of `K` in the watched namespace, or in all.
fn scoped<K>(client: &Client, namespace: &Option<String>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    }
}

/// An API of the Strimzi kind `resource` in the watched namespace, or in all.
fn scoped_dynamic(client: &Client, namespace: &Option<String>, resource: &ApiResource) -> Api<DynamicObject> {
    match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

/// What `--selector` picks.
fn selected(settings: &OperatorSettings) -> watcher::Config {
    let watch = watcher::Config::default();
    match &settings.selector {
        Some(selector) => watch.labels(selector),
        None => watch,
    }
}

/// Drives a controller until it stops; a failed reconciliation was logged by its
/// `retry_after`.
async fn drive<T, E: std::fmt::Display>(results: impl futures::Stream<Item = Result<T, E>>) {
    results
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!("reconcile: {error}");
            }
        })
        .await;
}

/// Runs until `shutdown` completes.
pub async fn run(
    client: Client,
    settings: OperatorSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) -> Result<(), OperatorError> {
    let resource = strimzi_resource(&client, "KafkaConnector")
        .await?
        .ok_or(OperatorError::NoCrd)?;
    let mirror_makers = strimzi_resource(&client, "KafkaMirrorMaker2").await?;
    let with_clusters = tributary_connect_served(&client).await?;
    tracing::info!(
        version = %resource.api_version,
        namespace = settings.namespace.as_deref().unwrap_or("(all)"),
        tributary_connect = with_clusters,
        kafka_mirror_maker2 = mirror_makers.as_ref().map(|r| r.api_version.as_str()).unwrap_or("(not installed)"),
        "watching KafkaConnectors"
    );
    if !with_clusters {
        tracing::info!("no TributaryConnect CRD installed: worker clusters are not managed");
    }
    let shutdown = shutdown.shared();
    let http = ConnectApi::http_client();
    let sweeper = tokio::spawn(delete_unmanaged(
        client.clone(),
        resource.clone(),
        settings.clone(),
        with_clusters,
        http.clone(),
    ));
    let workers = tributary_connect::reconcile::Context {
        client: client.clone(),
        clusters: settings.clusters.clone(),
        http: http.clone(),
        default_image: settings.default_image.clone(),
        resync: settings.resync,
    };
    let clusters_shutdown = shutdown.clone();
    let clusters_context = workers.clone();
    let clusters = async {
        if with_clusters {
            run_tributary_connects(&client, &settings, clusters_context, clusters_shutdown).await;
        }
    };
    let api = scoped_dynamic(&client, &settings.namespace, &resource);
    let watch = selected(&settings);
    let context = Arc::new(Context {
        client: client.clone(),
        resource: resource.clone(),
        clusters: settings.clusters.clone(),
        http: http.clone(),
        resync: settings.resync,
        auto_restart_unit: settings.auto_restart_unit,
        tributary_clusters_only: settings.tributary_clusters_only && with_clusters,
    });
    let mirror_makers_shutdown = shutdown.clone();
    let connectors_context = context.clone();
    let mirror_makers = async {
        if let Some(resource) = mirror_makers {
            let context = mirror_maker2::reconcile::Context {
                resource,
                workers,
                connectors: connectors_context,
            };
            run_mirror_makers(&client, &settings, context, mirror_makers_shutdown).await;
        }
    };
    let connectors = drive(
        Controller::new_with(api, watch, resource)
            .graceful_shutdown_on(shutdown)
            .run(reconcile::reconcile, reconcile::retry_after, context),
    );
    futures::join!(connectors, clusters, mirror_makers);
    sweeper.abort();
    Ok(())
}

/// Reconciles TributaryConnects, and again whenever what they own changes.
async fn run_tributary_connects(
    client: &Client,
    settings: &OperatorSettings,
    context: tributary_connect::reconcile::Context,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let controller = Controller::new(
        scoped::<TributaryConnect>(client, &settings.namespace),
        watcher::Config::default(),
    );
    drive(
        owning_workers(controller, client, settings)
            .graceful_shutdown_on(shutdown)
            .run(
                tributary_connect::reconcile::reconcile,
                tributary_connect::reconcile::retry_after,
                Arc::new(context),
            ),
    )
    .await;
}

/// Reconciles KafkaMirrorMaker2s (those `--selector` picks), and again whenever what they own
/// changes.
async fn run_mirror_makers(
    client: &Client,
    settings: &OperatorSettings,
    context: mirror_maker2::reconcile::Context,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let api = scoped_dynamic(client, &settings.namespace, &context.resource);
    let controller = Controller::new_with(api, selected(settings), context.resource.clone());
    drive(
        owning_workers(controller, client, settings)
            .graceful_shutdown_on(shutdown)
            .run(
                mirror_maker2::reconcile::reconcile,
                mirror_maker2::reconcile::retry_after,
                Arc::new(context),
            ),
    )
    .await;
}

/// `controller`, also woken when a worker cluster's Deployment, ConfigMap or Service (those the
/// operator made) changes.
fn owning_workers<K>(controller: Controller<K>, client: &Client, settings: &OperatorSettings) -> Controller<K>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Send + Sync,
{
    let managed = || watcher::Config::default().labels("app.kubernetes.io/managed-by=tributary-operator");
    controller
        .owns(scoped::<Deployment>(client, &settings.namespace), managed())
        .owns(scoped::<ConfigMap>(client, &settings.namespace), managed())
        .owns(scoped::<Service>(client, &settings.namespace), managed())
}

/// The clusters whose connectors are managed only through KafkaConnectors: those named on the
/// command line, and the TributaryConnects annotated `strimzi.io/use-connector-resources: "true"`.
async fn resources_only_clusters(
    client: &Client,
    settings: &OperatorSettings,
    with_clusters: bool,
) -> Vec<(String, String)> {
    let mut clusters = settings.resources_only.clone();
    if with_clusters {
        match scoped::<TributaryConnect>(client, &settings.namespace)
            .list(&ListParams::default())
            .await
        {
            Ok(list) => clusters.extend(
                list.items
                    .iter()
                    .filter(|connect| {
                        connect
                            .annotations()
                            .get(USE_CONNECTOR_RESOURCES_ANNOTATION)
                            .map(String::as_str)
                            == Some("true")
                    })
                    .map(|connect| (connect.namespace().unwrap_or_default(), connect.name_any())),
            ),
            Err(error) => tracing::warn!("cannot list TributaryConnects: {error}"),
        }
    }
    clusters
}

/// Every resync interval, deletes from each [`resources_only_clusters`] cluster the connectors no
/// KafkaConnector backs.
async fn delete_unmanaged(
    client: Client,
    resource: ApiResource,
    settings: OperatorSettings,
    with_clusters: bool,
    http: reqwest::Client,
) {
    if settings.resources_only.is_empty() && !with_clusters {
        return;
    }
    let urls = &settings.clusters;
    loop {
        for (namespace, cluster) in &resources_only_clusters(&client, &settings, with_clusters).await {
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
        tokio::time::sleep(settings.resync).await;
    }
}
