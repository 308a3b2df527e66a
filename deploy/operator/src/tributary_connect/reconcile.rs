//! Reconciles one TributaryConnect: reads the Secrets it names, renders its objects
//! ([`super::resources`]) and applies them with server-side apply (so a field changed by hand
//! is put back), then writes its status: Ready once every worker pod runs the current
//! configuration and is ready, and the REST API lists the connector plugins.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::resources::{self, Rendered, WorkerCluster};
use super::spec::{ConnectorPlugin, TributaryConnect, TributaryConnectStatus};
use crate::clusters::ClusterUrls;
use crate::conditions::{self, Failure};
use crate::connect_api::ConnectApi;

/// The field manager of what the operator applies.
const FIELD_MANAGER: &str = "tributary-operator";
/// How soon a cluster that is not ready yet is looked at again (its Deployment's changes wake
/// the operator sooner).
const NOT_READY_RECHECK: Duration = Duration::from_secs(10);

/// What the reconciler needs, shared by every reconciliation.
#[derive(Clone)]
pub struct Context {
    /// The Kubernetes client.
    pub client: Client,
    /// Where each worker cluster's REST API is.
    pub clusters: ClusterUrls,
    /// The HTTP client for those.
    pub http: reqwest::Client,
    /// The worker image when a spec names none.
    pub default_image: String,
    /// How often every cluster is looked at again.
    pub resync: Duration,
}

/// A reconciliation that could not finish; it is retried.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The API server refused a call.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

impl Context {
    /// The REST API of `cluster`: the URL given for its name, else its Service's.
    pub fn rest_api(&self, cluster: &WorkerCluster) -> ConnectApi {
        let url = self
            .clusters
            .explicit_url(&cluster.name, &cluster.namespace)
            .unwrap_or_else(|| cluster.url());
        ConnectApi::new(&url, self.http.clone())
    }
}

/// After a failed reconciliation: again in a few seconds.
pub fn retry_after(_connect: Arc<TributaryConnect>, error: &ReconcileError, _context: Arc<Context>) -> Action {
    tracing::warn!("TributaryConnect reconciliation failed, retrying: {error}");
    Action::requeue(Duration::from_secs(5))
}

/// Reconciles one TributaryConnect.
pub async fn reconcile(connect: Arc<TributaryConnect>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let cluster = WorkerCluster::of_connect(&connect);
    let secrets = read_secrets(&context.client, &cluster).await?;
    let (outcome, warnings) = run_workers(&cluster, &secrets, &context).await?;
    let (name, namespace) = (&cluster.name, &cluster.namespace);
    if let Some(failure) = &outcome.failure {
        tracing::info!(connect = name, namespace, "not ready: {}", failure.message);
    }
    let previous = connect.status.as_ref();
    let status = TributaryConnectStatus {
        conditions: conditions::conditions(
            outcome.failure.as_ref(),
            &warnings,
            previous.map(|s| s.conditions.as_slice()).unwrap_or_default(),
            Utc::now(),
        ),
        observed_generation: connect.metadata.generation,
        url: Some(cluster.url()),
        replicas: Some(outcome.replicas),
        label_selector: Some(cluster.component.selector_string(name)),
        connector_plugins: outcome.plugins,
    };
    if conditions::status_changed(previous, &status) {
        let mut updated = (*connect).clone();
        updated.status = Some(status);
        let api: Api<TributaryConnect> = Api::namespaced(context.client.clone(), namespace);
        conditions::replace_status(&api, name, &updated).await?;
    }
    Ok(if outcome.failure.is_some() {
        Action::requeue(NOT_READY_RECHECK.min(context.resync))
    } else {
        Action::requeue(context.resync)
    })
}

/// How far a worker cluster is.
pub struct Observed {
    /// Why the cluster is not ready.
    pub failure: Option<Failure>,
    /// Worker pods that exist.
    pub replicas: i32,
    /// The plugins the REST API lists.
    pub plugins: Vec<ConnectorPlugin>,
}

impl Observed {
    /// Not ready because of `failure`.
    pub fn failed(failure: Failure, replicas: i32) -> Self {
        Observed {
            failure: Some(failure),
            replicas,
            plugins: Vec::new(),
        }
    }
}

/// The Secrets `cluster` names that exist.
pub async fn read_secrets(client: &Client, cluster: &WorkerCluster) -> Result<BTreeMap<String, Secret>, kube::Error> {
    let mut secrets = BTreeMap::new();
    let api: Api<Secret> = Api::namespaced(client.clone(), &cluster.namespace);
    for secret in cluster.secrets() {
        if let Some(found) = api.get_opt(&secret).await? {
            secrets.insert(secret, found);
        }
    }
    Ok(secrets)
}

/// Renders `cluster`'s objects (with its `secrets`) and applies them, and reads how far its
/// Deployment has rolled out and, once it has, the REST API's plugins; with the warnings
/// rendering gave.
pub async fn run_workers(
    cluster: &WorkerCluster,
    secrets: &BTreeMap<String, Secret>,
    context: &Context,
) -> Result<(Observed, Vec<Failure>), ReconcileError> {
    match resources::render(cluster, secrets, &context.default_image) {
        Ok(rendered) => {
            let warnings = rendered.warnings.clone();
            Ok((observe(cluster, context, rendered).await?, warnings))
        }
        Err(failure) => Ok((Observed::failed(failure, 0), Vec::new())),
    }
}

/// Applies the rendered objects and reads how far the Deployment has rolled out.
async fn observe(cluster: &WorkerCluster, context: &Context, rendered: Rendered) -> Result<Observed, ReconcileError> {
    let client = &context.client;
    let namespace = &cluster.namespace;
    apply::<ServiceAccount>(client, namespace, &rendered.service_account).await?;
    apply::<ConfigMap>(client, namespace, &rendered.config_map).await?;
    apply::<Service>(client, namespace, &rendered.service).await?;
    apply::<PodDisruptionBudget>(client, namespace, &rendered.pod_disruption_budget).await?;
    let deployment = apply::<Deployment>(client, namespace, &rendered.deployment).await?;
    let wanted = cluster.spec.replicas;
    let status = deployment.status.unwrap_or_default();
    let replicas = status.replicas.unwrap_or(0);
    let ready = status.ready_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let current = status.observed_generation >= deployment.metadata.generation;
    if !current || updated < wanted || ready < wanted || replicas > wanted {
        return Ok(Observed::failed(
            Failure::new(
                "RollingOut",
                format!("{ready} of {wanted} worker pods are ready with the current configuration ({replicas} exist)"),
            ),
            replicas,
        ));
    }
    if wanted == 0 {
        return Ok(Observed {
            failure: None,
            replicas,
            plugins: Vec::new(),
        });
    }
    match context.rest_api(cluster).connector_plugins().await {
        Ok(plugins) => Ok(Observed {
            failure: None,
            replicas,
            plugins: plugins.iter().filter_map(connector_plugin).collect(),
        }),
        Err(error) => Ok(Observed::failed(
            Failure::new(
                "ConnectRestException",
                format!("cannot list the connector plugins: {error}"),
            ),
            replicas,
        )),
    }
}

/// One entry of `GET /connector-plugins`.
fn connector_plugin(entry: &Value) -> Option<ConnectorPlugin> {
    Some(ConnectorPlugin {
        class: entry.get("class")?.as_str()?.to_string(),
        type_: entry.get("type")?.as_str()?.to_string(),
        version: entry.get("version").and_then(Value::as_str).map(str::to_string),
    })
}

/// Server-side applies `object` (named in its metadata), taking over fields another manager
/// changed; returns the object as stored.
async fn apply<K>(client: &Client, namespace: &str, object: &K) -> Result<K, kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let name = object.meta().name.clone().unwrap_or_default();
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(object))
        .await
}
