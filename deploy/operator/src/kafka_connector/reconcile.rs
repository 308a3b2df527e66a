//! Carries out [`super::plan`] for one KafkaConnector against its worker cluster, in Strimzi's
//! order: create or update the config, move the state, act on the offsets and restart
//! annotations (removing each once done), auto-restart what FAILED, read the topics, and write
//! the status when it changed. A finalizer deletes the connector when the resource goes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{finalizer, Event};
use kube::{Api, Client, ResourceExt};
use serde_json::{json, Value};

use super::plan::{
    self, ConfigStep, Observed, OffsetsRequest, OFFSETS_ANNOTATION, OFFSETS_KEY, RESTART_ANNOTATION,
    RESTART_TASK_ANNOTATION,
};
use super::spec::{KafkaConnector, KafkaConnectorSpec};
use crate::clusters::ClusterUrls;
use crate::conditions::{self, Failure};
use crate::connect_api::{ConnectApi, ConnectApiError};
use crate::tributary_connect::TributaryConnect;

/// The finalizer that deletes the connector before its resource goes.
pub const FINALIZER: &str = "connect.tributary.io/delete-connector";
/// The field manager of what the operator writes.
const FIELD_MANAGER: &str = "tributary-operator";
/// Tries to read a connector's status just after creating or changing it.
const STATUS_TRIES: u32 = 10;

/// What the reconciler needs, shared by every reconciliation.
pub struct Context {
    /// The Kubernetes client.
    pub client: Client,
    /// KafkaConnector at the version the operator speaks.
    pub resource: ApiResource,
    /// Where each worker cluster's REST API is.
    pub clusters: ClusterUrls,
    /// The HTTP client for those.
    pub http: reqwest::Client,
    /// How often every resource is looked at again (drift, failures).
    pub resync: Duration,
    /// Strimzi's auto-restart back-off unit (a minute).
    pub auto_restart_unit: Duration,
    /// Leave alone the KafkaConnectors whose cluster is not a TributaryConnect.
    pub tributary_clusters_only: bool,
}

/// A reconciliation that could not finish; it is retried.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The API server refused a call.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The worker cluster refused or did not answer while deleting the connector.
    #[error(transparent)]
    Connect(#[from] ConnectApiError),
    /// The finalizer helper failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

/// Reconciles one KafkaConnector.
pub async fn reconcile(object: Arc<DynamicObject>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let namespace = object.namespace().unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(context.client.clone(), &namespace, &context.resource);
    if context.tributary_clusters_only && !object.finalizers().iter().any(|f| f == FINALIZER) {
        let cluster = KafkaConnector::from_dynamic(&object).cluster().map(str::to_string);
        let clusters: Api<TributaryConnect> = Api::namespaced(context.client.clone(), &namespace);
        let ours = match cluster {
            Some(cluster) => clusters.get_opt(&cluster).await?.is_some(),
            None => false,
        };
        if !ours {
            // Another operator's; looked at again in case its TributaryConnect appears.
            return Ok(Action::requeue(context.resync));
        }
    }
    finalizer(&api, FINALIZER, object, |event| async {
        match event {
            Event::Apply(object) => apply(&api, &object, &context).await,
            Event::Cleanup(object) => cleanup(&object, &context).await,
        }
    })
    .await
    .map_err(|error| match error {
        kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => ReconcileError::Finalizer(other.to_string()),
    })
}

/// After a failed reconciliation: again in a few seconds.
pub fn retry_after(_object: Arc<DynamicObject>, error: &ReconcileError, _context: Arc<Context>) -> Action {
    tracing::warn!("reconciliation failed, retrying: {error}");
    Action::requeue(Duration::from_secs(5))
}

async fn apply(api: &Api<DynamicObject>, object: &DynamicObject, context: &Context) -> Result<Action, ReconcileError> {
    let connector = KafkaConnector::from_dynamic(object);
    let namespace = object.namespace().unwrap_or_default();
    let cluster = connector.cluster().unwrap_or_default();
    let rest = ConnectApi::new(&context.clusters.url(cluster, &namespace), context.http.clone());
    let mut run = Run::new(&connector, &namespace, context, rest);
    let outcome = match (&connector.spec, connector.cluster()) {
        (Ok(_), None) => Err(invalid(
            "Resource lacks label 'strimzi.io/cluster': No connect cluster in which to create this connector.",
        )),
        _ => run.reconcile().await,
    };
    if let Err(failure) = &outcome {
        tracing::warn!(
            connector = connector.name(),
            namespace,
            "not ready: {}",
            failure.message
        );
    }
    if !run.done_annotations.is_empty() {
        let removed: serde_json::Map<String, Value> = run
            .done_annotations
            .iter()
            .map(|key| (key.to_string(), Value::Null))
            .collect();
        let patch = json!({ "metadata": { "annotations": removed } });
        api.patch(connector.name(), &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
    }
    let status = plan::status(
        connector.spec.as_ref().ok(),
        object.metadata.generation,
        outcome.as_ref(),
        &run.warnings,
        connector.status.as_ref(),
        Utc::now(),
    );
    if conditions::status_changed(connector.status.as_ref(), &status) {
        let mut updated = object.clone();
        updated.data["status"] = serde_json::to_value(&status).unwrap_or_default();
        conditions::replace_status(api, connector.name(), &updated).await?;
    }
    Ok(Action::requeue(context.resync))
}

/// The connector's resource is being deleted: delete the connector, and wait until it is gone.
async fn cleanup(object: &DynamicObject, context: &Context) -> Result<Action, ReconcileError> {
    let connector = KafkaConnector::from_dynamic(object);
    let namespace = object.namespace().unwrap_or_default();
    let Some(cluster) = connector.cluster() else {
        return Ok(Action::await_change());
    };
    let api = ConnectApi::new(&context.clusters.url(cluster, &namespace), context.http.clone());
    api.delete(connector.name()).await?;
    for _ in 0..STATUS_TRIES {
        if api.status(connector.name()).await?.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tracing::info!(
        connector = connector.name(),
        namespace,
        cluster,
        "connector deleted with its resource"
    );
    Ok(Action::await_change())
}

/// One reconciliation of one connector on its worker cluster: of a KafkaConnector, or of a
/// connector a KafkaMirrorMaker2 asks for (given as a KafkaConnector, as Strimzi does).
pub(crate) struct Run<'a> {
    connector: &'a KafkaConnector,
    namespace: &'a str,
    context: &'a Context,
    /// The worker cluster's REST API.
    api: ConnectApi,
    /// Problems that do not stop the connector.
    pub(crate) warnings: Vec<Failure>,
    /// Annotations acted on, to remove.
    pub(crate) done_annotations: Vec<&'static str>,
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure {
        reason: "InvalidResourceException".into(),
        message: message.into(),
    }
}

fn from_rest(error: ConnectApiError) -> Failure {
    Failure {
        reason: error.reason().into(),
        message: error.to_string(),
    }
}

impl<'a> Run<'a> {
    /// A reconciliation of `connector` in `namespace` on the cluster behind `api`.
    pub(crate) fn new(
        connector: &'a KafkaConnector,
        namespace: &'a str,
        context: &'a Context,
        api: ConnectApi,
    ) -> Self {
        Run {
            connector,
            namespace,
            context,
            api,
            warnings: Vec::new(),
            done_annotations: Vec::new(),
        }
    }

    /// Creates or updates the connector, moves its state, acts on annotations and
    /// auto-restarts; what the worker cluster then reports.
    pub(crate) async fn reconcile(&mut self) -> Result<Observed, Failure> {
        let connector = self.connector;
        let name = connector.name();
        let spec = connector.spec.as_ref().map_err(|e| invalid(format!("spec: {e}")))?;
        let cluster = connector.cluster().unwrap_or_default();
        let desired = plan::desired_config(name, spec).map_err(invalid)?;
        let api = self.api.clone();
        let target = plan::target_state(spec);
        let actual = api.config(name).await.map_err(from_rest)?;
        let step = plan::config_step(&desired, actual.as_ref());
        match step {
            ConfigStep::Create => {
                tracing::info!(connector = name, cluster, "creating the connector");
                api.create(name, &desired, target.rest_name())
                    .await
                    .map_err(from_rest)?;
            }
            ConfigStep::Update => {
                tracing::info!(connector = name, cluster, "updating the connector's config");
                api.put_config(name, &desired).await.map_err(from_rest)?;
            }
            ConfigStep::Keep => {}
        }
        let status = self.status(&api).await?;
        let mut acted = step != ConfigStep::Keep;
        if step != ConfigStep::Create {
            let state = status
                .pointer("/connector/state")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let change = plan::state_step(target, state).map_err(|message| Failure {
                reason: "Throwable".into(),
                message: format!("Connector {name} {message}"),
            })?;
            if let Some(change) = change {
                tracing::info!(connector = name, cluster, "{change:?} the connector");
                api.change_state(name, change).await.map_err(from_rest)?;
                acted = true;
            }
        }
        if step == ConfigStep::Keep {
            self.offsets(&api, spec).await;
            self.restarts(&api).await;
            acted |= !self.done_annotations.is_empty();
        }
        // Read again only when something was done since.
        let status = if acted { self.status(&api).await? } else { status };
        let failing = plan::connector_failed(&status) || !plan::failed_tasks(&status).is_empty();
        let decision = plan::auto_restart(
            name,
            spec.auto_restart.as_ref(),
            connector.status.as_ref().and_then(|s| s.auto_restart.as_ref()),
            failing,
            Utc::now(),
            self.context.auto_restart_unit,
        );
        let status = if decision.restart {
            tracing::info!(
                connector = name,
                cluster,
                "auto-restarting the failed connector and tasks"
            );
            if let Err(error) = api.restart(name, true, true).await {
                tracing::warn!(connector = name, "auto-restart failed: {error}");
            }
            self.status(&api).await?
        } else {
            status
        };
        let topics = api.topics(name).await.map_err(from_rest)?;
        Ok(Observed {
            connector_status: Some(status),
            topics: Some(topics),
            auto_restart: decision.status,
        })
    }

    /// `GET /status`, retried while the connector is new and not yet known.
    async fn status(&self, api: &ConnectApi) -> Result<Value, Failure> {
        let mut wait = Duration::from_millis(200);
        for _ in 0..STATUS_TRIES {
            if let Some(status) = api.status(self.connector.name()).await.map_err(from_rest)? {
                return Ok(status);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
        Err(invalid(format!(
            "the worker cluster does not show connector {}",
            self.connector.name()
        )))
    }

    fn warn(&mut self, reason: &str, message: String) {
        tracing::warn!(connector = self.connector.name(), "{reason}: {message}");
        self.warnings.push(Failure {
            reason: reason.into(),
            message,
        });
    }

    /// `strimzi.io/restart` and `strimzi.io/restart-task`.
    async fn restarts(&mut self, api: &ConnectApi) {
        let name = self.connector.name();
        match plan::restart_request(self.connector.annotation(RESTART_ANNOTATION)) {
            Some(Ok(request)) => match api.restart(name, request.include_tasks, request.only_failed).await {
                Ok(()) => self.done_annotations.push(RESTART_ANNOTATION),
                Err(error) => self.warn(
                    "RestartConnector",
                    format!("Failed to restart connector {name}. {error}"),
                ),
            },
            Some(Err(message)) => self.warn("RestartConnector", message),
            None => {}
        }
        match plan::restart_task_request(self.connector.annotation(RESTART_TASK_ANNOTATION)) {
            Some(Ok(task)) => match api.restart_task(name, task).await {
                Ok(()) => self.done_annotations.push(RESTART_TASK_ANNOTATION),
                Err(error) => self.warn(
                    "RestartConnectorTask",
                    format!("Failed to restart connector task {name}:{task}. {error}"),
                ),
            },
            Some(Err(message)) => self.warn("RestartConnectorTask", message),
            None => {}
        }
    }

    /// `strimzi.io/connector-offsets`.
    async fn offsets(&mut self, api: &ConnectApi, spec: &KafkaConnectorSpec) {
        let request = match plan::offsets_request(self.connector.annotation(OFFSETS_ANNOTATION), spec) {
            None => return,
            Some(Err(message)) => return self.warn("ManageOffsets", message),
            Some(Ok(request)) => request,
        };
        let name = self.connector.name();
        let result = match request {
            OffsetsRequest::List => self.list_offsets(api, spec).await,
            OffsetsRequest::Alter => self.alter_offsets(api, spec).await,
            OffsetsRequest::Reset => api.reset_offsets(name).await.map_err(|e| e.to_string()),
        };
        match result {
            Ok(()) => self.done_annotations.push(OFFSETS_ANNOTATION),
            Err(message) => {
                let reason = match request {
                    OffsetsRequest::List => "ListOffsets",
                    OffsetsRequest::Alter => "AlterOffsets",
                    OffsetsRequest::Reset => "ResetOffsets",
                };
                self.warn(reason, message)
            }
        }
    }

    fn config_maps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.context.client.clone(), self.namespace)
    }

    /// Writes `GET /offsets` into `spec.listOffsets.toConfigMap` (key `offsets.json`), owned by
    /// the resource.
    async fn list_offsets(&self, api: &ConnectApi, spec: &KafkaConnectorSpec) -> Result<(), String> {
        let Some(target) = &spec.list_offsets else {
            return Err("no listOffsets".into());
        };
        let offsets = api.offsets(self.connector.name()).await.map_err(|e| e.to_string())?;
        let text = serde_json::to_string_pretty(&offsets).unwrap_or_default();
        let config_map = ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some(target.to_config_map.name.clone()),
                owner_references: self.owner().map(|owner| vec![owner]),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(OFFSETS_KEY.to_string(), text)])),
            ..Default::default()
        };
        self.config_maps()
            .patch(
                &target.to_config_map.name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&config_map),
            )
            .await
            .map(drop)
            .map_err(|e| format!("Failed to write ConfigMap {}: {e}", target.to_config_map.name))
    }

    /// Sends `offsets.json` of `spec.alterOffsets.fromConfigMap` to `PATCH /offsets`.
    async fn alter_offsets(&self, api: &ConnectApi, spec: &KafkaConnectorSpec) -> Result<(), String> {
        let Some(source) = &spec.alter_offsets else {
            return Err("no alterOffsets".into());
        };
        let name = &source.from_config_map.name;
        let config_map = self
            .config_maps()
            .get_opt(name)
            .await
            .map_err(|e| format!("Failed to read ConfigMap {name}: {e}"))?
            .ok_or_else(|| format!("ConfigMap {name} does not exist"))?;
        let text = config_map
            .data
            .as_ref()
            .and_then(|data| data.get(OFFSETS_KEY))
            .ok_or_else(|| format!("ConfigMap {name} has no {OFFSETS_KEY}"))?;
        let offsets: Value = serde_json::from_str(text)
            .map_err(|e| format!("Failed to parse contents of {OFFSETS_KEY} as JSON: {e}"))?;
        api.alter_offsets(self.connector.name(), &offsets)
            .await
            .map_err(|e| e.to_string())
    }

    fn owner(&self) -> Option<OwnerReference> {
        let meta = &self.connector.metadata;
        Some(OwnerReference {
            api_version: self.context.resource.api_version.clone(),
            kind: self.context.resource.kind.clone(),
            name: meta.name.clone()?,
            uid: meta.uid.clone()?,
            ..Default::default()
        })
    }
}
