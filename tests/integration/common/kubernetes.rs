//! Helpers for the tests that use the harness's Kubernetes API server: a client, installing a
//! CRD, and having the API server validate a manifest without storing it.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;
use tributary_harness::KubeApiServer;

/// A client of `server` from its kubeconfig.
pub async fn client(server: &KubeApiServer) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(server.kubeconfig()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    tributary_operator::kube_client_for(config).unwrap()
}

/// Applies a CRD file and waits until every version it serves lists (a new CRD answers 429
/// for a moment after it is Established).
pub async fn install_crd(client: &kube::Client, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let crd: CustomResourceDefinition = serde_yaml::from_str(&text).unwrap();
    let name = crd.metadata.name.clone().unwrap();
    let crds: kube::Api<CustomResourceDefinition> = kube::Api::all(client.clone());
    crds.patch(
        &name,
        &PatchParams::apply("tributary-tests").force(),
        &Patch::Apply(&crd),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for version in crd.spec.versions.iter().filter(|v| v.served) {
        let kind = GroupVersionKind::gvk(&crd.spec.group, &version.name, &crd.spec.names.kind);
        let resource = ApiResource::from_gvk_with_plural(&kind, &crd.spec.names.plural);
        let api: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &resource);
        super::eventually(Duration::from_secs(30), "the CRD to be served", || async {
            api.list(&ListParams::default()).await.ok().map(drop)
        })
        .await;
    }
}

/// Applies `manifest` with `dryRun=All`, in `namespace` when its kind is namespaced (whatever
/// namespace it names): the API server validates it (schema, CEL, references) without
/// storing it.
pub async fn dry_run_apply(client: &kube::Client, namespace: &str, manifest: Value) -> Result<(), kube::Error> {
    let api_version = manifest["apiVersion"].as_str().unwrap_or_default().to_string();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version.as_str()));
    let kind = GroupVersionKind::gvk(group, version, manifest["kind"].as_str().unwrap_or_default());
    // Discovery can lag a moment behind a CRD that lists already.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (resource, capabilities) = loop {
        match kube::discovery::pinned_kind(client, &kind).await {
            Ok(found) => break found,
            Err(_) if std::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(error) => return Err(error),
        }
    };
    let mut object: DynamicObject = serde_json::from_value(manifest).unwrap();
    let api: kube::Api<DynamicObject> = if capabilities.scope == kube::discovery::Scope::Namespaced {
        object.metadata.namespace = Some(namespace.to_string());
        kube::Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        kube::Api::all_with(client.clone(), &resource)
    };
    let name = object.metadata.name.clone().unwrap();
    loop {
        let params = PatchParams::apply("tributary-tests").dry_run();
        match api.patch(&name, &params, &Patch::Apply(&object)).await {
            // A kind just installed may answer "not found" or "too many requests" for a moment;
            // a refusal of the manifest itself is another status.
            Err(kube::Error::Api(status))
                if [404, 429, 503].contains(&status.code) && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            result => return result.map(drop),
        }
    }
}
