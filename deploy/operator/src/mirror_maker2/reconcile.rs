//! Reconciles one KafkaMirrorMaker2 as Strimzi does: its workers as a TributaryConnect's
//! ([`run_workers`]), then, once they are ready, each mirror connector as a KafkaConnector
//! ([`Run`], with the KafkaMirrorMaker2's `restart-connector`, `restart-connector-task` and
//! `connector-offsets` annotations turned into the connector's own), deleting the connectors
//! the spec no longer asks for; the status lists every connector's REST status and is NotReady
//! while one has failed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{ApiResource, DynamicObject, ObjectMeta, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};
use serde_json::{json, Value};

use super::plan::{self, MirrorConnector};
use super::spec::{KafkaMirrorMaker2, KafkaMirrorMaker2Status};
use crate::conditions::{self, Failure};
use crate::kafka_connector::plan::not_ready_because;
use crate::kafka_connector::reconcile::Run;
use crate::kafka_connector::spec::{KafkaConnector, KafkaConnectorStatus, CLUSTER_LABEL};
use crate::kafka_connector::{self};
use crate::tributary_connect::reconcile::{read_secrets, run_workers, Observed, ReconcileError};
use crate::tributary_connect::resources::WorkerCluster;
use crate::tributary_connect::{self};

/// How soon a KafkaMirrorMaker2 that is not ready is looked at again.
const NOT_READY_RECHECK: Duration = Duration::from_secs(10);

/// What the reconciler needs.
pub struct Context {
    /// KafkaMirrorMaker2 at the version the operator speaks.
    pub resource: ApiResource,
    /// For the workers.
    pub workers: tributary_connect::reconcile::Context,
    /// For the connectors.
    pub connectors: Arc<kafka_connector::reconcile::Context>,
}

/// After a failed reconciliation: again in a few seconds.
pub fn retry_after(_object: Arc<DynamicObject>, error: &ReconcileError, _context: Arc<Context>) -> Action {
    tracing::warn!("KafkaMirrorMaker2 reconciliation failed, retrying: {error}");
    Action::requeue(Duration::from_secs(5))
}

/// Reconciles one KafkaMirrorMaker2.
pub async fn reconcile(object: Arc<DynamicObject>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let mirror_maker = KafkaMirrorMaker2::from_dynamic(&object);
    let name = object.name_any();
    let namespace = object.namespace().unwrap_or_default();
    let owner = OwnerReference {
        api_version: context.resource.api_version.clone(),
        kind: context.resource.kind.clone(),
        name: name.clone(),
        uid: object.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    let previous = mirror_maker.status.clone().unwrap_or_default();
    let mut status = KafkaMirrorMaker2Status {
        observed_generation: object.metadata.generation,
        ..KafkaMirrorMaker2Status::default()
    };
    let spec = mirror_maker
        .spec
        .as_ref()
        .map_err(|e| Failure::new("InvalidResourceException", format!("spec: {e}")));
    let workers = spec.and_then(|spec| plan::workers(&name, &namespace, owner, spec).map(|w| (spec, w)));
    let mut done_annotations = BTreeSet::new();
    let (failure, warnings) = match workers {
        Err(failure) => (Some(failure), Vec::new()),
        Ok((spec, workers)) => {
            status.url = Some(workers.url());
            status.label_selector = Some(workers.component.selector_string(&name));
            let secrets = read_secrets(&context.workers.client, &workers).await?;
            let (observed, mut warnings) = run_workers(&workers, &secrets, &context.workers).await?;
            status.replicas = Some(observed.replicas);
            let failure = match observed {
                Observed {
                    failure: Some(failure), ..
                } => Some(failure),
                Observed { plugins, .. } => {
                    status.connector_plugins = plugins;
                    match plan::connectors(spec, &secrets) {
                        Err(failure) => Some(failure),
                        Ok(wanted) => {
                            let connectors = Connectors {
                                context: &context,
                                workers: &workers,
                                annotations: object.annotations(),
                                previous: &previous,
                            };
                            let mut outcome = connectors.reconcile(&wanted, &mut status).await;
                            warnings.append(&mut outcome.warnings);
                            done_annotations = outcome.done_annotations;
                            outcome.failure
                        }
                    }
                }
            };
            (failure, warnings)
        }
    };
    let api: Api<DynamicObject> = Api::namespaced_with(context.workers.client.clone(), &namespace, &context.resource);
    if !done_annotations.is_empty() {
        let removed: serde_json::Map<String, Value> = done_annotations
            .iter()
            .map(|key| (key.to_string(), Value::Null))
            .collect();
        let patch = json!({ "metadata": { "annotations": removed } });
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    if let Some(failure) = &failure {
        tracing::info!(mirror_maker = name, namespace, "not ready: {}", failure.message);
    }
    status.conditions = conditions::conditions(failure.as_ref(), &warnings, &previous.conditions, Utc::now());
    if conditions::status_changed(mirror_maker.status.as_ref(), &status) {
        let mut updated = (*object).clone();
        updated.data["status"] = serde_json::to_value(&status).unwrap_or_default();
        conditions::replace_status(&api, &name, &updated).await?;
    }
    Ok(Action::requeue(if failure.is_some() {
        NOT_READY_RECHECK.min(context.workers.resync)
    } else {
        context.workers.resync
    }))
}

/// The mirror connectors of one KafkaMirrorMaker2 on its workers.
struct Connectors<'a> {
    context: &'a Context,
    workers: &'a WorkerCluster,
    /// The KafkaMirrorMaker2's annotations.
    annotations: &'a BTreeMap<String, String>,
    /// Its status before this reconciliation.
    previous: &'a KafkaMirrorMaker2Status,
}

/// What reconciling the connectors found.
struct ConnectorsOutcome {
    /// The first reason one is not ready.
    failure: Option<Failure>,
    /// Annotations that could not be acted on.
    warnings: Vec<Failure>,
    /// KafkaMirrorMaker2 annotations acted on, to remove.
    done_annotations: BTreeSet<&'static str>,
}

impl Connectors<'_> {
    /// Reconciles each wanted connector, deletes the unwanted ones, and fills the status's
    /// `connectors` and `autoRestartStatuses`.
    async fn reconcile(&self, wanted: &[MirrorConnector], status: &mut KafkaMirrorMaker2Status) -> ConnectorsOutcome {
        let namespace = &self.workers.namespace;
        let api = self.context.workers.rest_api(self.workers);
        let mut outcome = ConnectorsOutcome {
            failure: None,
            warnings: Vec::new(),
            done_annotations: BTreeSet::new(),
        };
        for connector in wanted {
            let as_resource = KafkaConnector {
                metadata: ObjectMeta {
                    name: Some(connector.name.clone()),
                    namespace: Some(namespace.clone()),
                    labels: Some([(CLUSTER_LABEL.to_string(), self.workers.name.clone())].into()),
                    annotations: Some(plan::connector_annotations(self.annotations, &connector.name)),
                    ..ObjectMeta::default()
                },
                spec: Ok(connector.spec.clone()),
                status: Some(KafkaConnectorStatus {
                    auto_restart: self
                        .previous
                        .auto_restart_statuses
                        .iter()
                        .find(|s| s.connector_name.as_deref() == Some(connector.name.as_str()))
                        .cloned(),
                    ..KafkaConnectorStatus::default()
                }),
            };
            let mut run = Run::new(&as_resource, namespace, &self.context.connectors, api.clone());
            let result = run.reconcile().await;
            outcome.warnings.append(&mut run.warnings);
            for done in &run.done_annotations {
                outcome.done_annotations.extend(plan::mirror_maker_annotations(done));
            }
            match result {
                Ok(observed) => {
                    if let Some(rest_status) = observed.connector_status {
                        if outcome.failure.is_none() {
                            outcome.failure = not_ready_because(&rest_status).map(|message| {
                                Failure::new("Throwable", format!("Connector {}: {message}", connector.name))
                            });
                        }
                        status.connectors.push(rest_status);
                    }
                    status.auto_restart_statuses.extend(observed.auto_restart);
                }
                Err(error) => {
                    outcome.failure.get_or_insert(error);
                }
            }
        }
        match api.connectors().await {
            Ok(on_cluster) => {
                for name in plan::unwanted(&on_cluster, wanted) {
                    tracing::info!(
                        connector = name,
                        "deleting a connector the KafkaMirrorMaker2 no longer asks for"
                    );
                    if let Err(error) = api.delete(name).await {
                        tracing::warn!(connector = name, "cannot delete: {error}");
                    }
                }
            }
            Err(error) => {
                outcome
                    .failure
                    .get_or_insert(Failure::new(error.reason(), error.to_string()));
            }
        }
        outcome
    }
}
