//! What a TributaryConnect becomes, as pure functions: the worker properties (written as
//! Strimzi's `KafkaConnectConfigurationBuilder` writes a KafkaConnect's, with Secrets mounted as
//! files and read through the built-in `directory` config provider) and the objects that run
//! them: ServiceAccount, ConfigMap, Deployment, Service and PodDisruptionBudget, named as Strimzi
//! names a KafkaConnect's (`<name>-connect`, `<name>-connect-api`, `<name>-connect-config`).
//!
//! The pod template carries a hash of the properties and of the Secrets they read, so a change
//! to either rolls the workers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction,
    ObjectFieldSelector, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, Secret, SecretVolumeSource,
    SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{Resource, ResourceExt};
use sha2::{Digest, Sha256};

use super::spec::{
    AuthenticationType, ClientAuthentication, ClientTls, MetadataTemplate, TributaryConnect, TributaryConnectSpec,
};
use crate::conditions::Failure;
use crate::kafka_connector::plan::config_value;

/// The REST API's port, in the pods and on the Service.
pub const REST_PORT: i32 = 8083;
/// The name of the REST port.
const REST_PORT_NAME: &str = "rest-api";
/// The pod annotation holding the hash of the workers' configuration.
pub const CONFIGURATION_HASH_ANNOTATION: &str = "connect.tributary.io/configuration-hash";
/// The ConfigMap key, and file name, of the worker properties.
pub const PROPERTIES_FILE: &str = "tributary.properties";
/// Where the ConfigMap is mounted.
const CONFIG_DIR: &str = "/opt/tributary/config";
/// Where Secrets are mounted: `<root>/<secret name>/<key>`.
const SECRETS_DIR: &str = "/opt/tributary/secrets";

/// Keys the spec sets or the operator owns: a `spec.config` key starting with one is ignored,
/// with a warning (Strimzi's `KafkaConnectSpec.FORBIDDEN_PREFIXES`).
const FORBIDDEN_PREFIXES: [&str; 14] = [
    "group.id",
    "config.storage.topic",
    "offset.storage.topic",
    "status.storage.topic",
    "ssl.",
    "sasl.",
    "security.",
    "listeners",
    "plugin.path",
    "rest.",
    "bootstrap.servers",
    "consumer.interceptor.classes",
    "producer.interceptor.classes",
    "prometheus.metrics.reporter.",
];
/// Forbidden-looking keys that may be set (Strimzi's `FORBIDDEN_PREFIX_EXCEPTIONS`).
const FORBIDDEN_EXCEPTIONS: [&str; 4] = [
    "ssl.endpoint.identification.algorithm",
    "ssl.cipher.suites",
    "ssl.protocol",
    "ssl.enabled.protocols",
];
/// Worker defaults Strimzi sets for a KafkaConnect unless `spec.config` does.
const CONNECT_DEFAULTS: &[(&str, &str)] = &[
    ("key.converter", "org.apache.kafka.connect.json.JsonConverter"),
    ("value.converter", "org.apache.kafka.connect.json.JsonConverter"),
];
/// Worker defaults Strimzi sets for a KafkaMirrorMaker2: records are copied as bytes.
const MIRROR_MAKER2_DEFAULTS: &[(&str, &str)] = &[
    (
        "key.converter",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ),
    (
        "value.converter",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ),
    (
        "header.converter",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ),
];
/// The client prefixes the security settings are written under, as Strimzi writes them: the
/// worker's own clients, and connectors' producers, consumers and admin clients.
const CLIENT_PREFIXES: [&str; 4] = ["", "producer.", "consumer.", "admin."];
/// What the pod's grace period adds to `task.shutdown.graceful.timeout.ms`: the worker's own
/// shutdown margin (20 s) plus slack.
const GRACE_MARGIN_SECONDS: i64 = 25;

/// The kind of worker cluster, which names what the operator creates for it as Strimzi names a
/// KafkaConnect's (`<name>-connect…`) or a KafkaMirrorMaker2's (`<name>-mirrormaker2…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// A TributaryConnect.
    Connect,
    /// A KafkaMirrorMaker2's workers.
    MirrorMaker2,
}

impl Component {
    fn suffix(self) -> &'static str {
        match self {
            Component::Connect => "connect",
            Component::MirrorMaker2 => "mirrormaker2",
        }
    }

    /// The pods' `app.kubernetes.io/name`.
    fn app_name(self) -> &'static str {
        match self {
            Component::Connect => "tributary-connect",
            Component::MirrorMaker2 => "tributary-mirrormaker2",
        }
    }

    /// Worker properties set unless the spec's config sets them.
    fn defaults(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Component::Connect => CONNECT_DEFAULTS,
            Component::MirrorMaker2 => MIRROR_MAKER2_DEFAULTS,
        }
    }

    /// The Deployment, ServiceAccount and PodDisruptionBudget of cluster `name`.
    pub fn deployment(self, name: &str) -> String {
        format!("{name}-{}", self.suffix())
    }

    /// The REST API's Service (the name Strimzi gives it, so KafkaConnectors find it).
    pub fn service(self, name: &str) -> String {
        format!("{name}-{}-api", self.suffix())
    }

    /// The ConfigMap holding the worker properties.
    pub fn config_map(self, name: &str) -> String {
        format!("{name}-{}-config", self.suffix())
    }

    /// The REST API's URL inside the Kubernetes cluster.
    pub fn url(self, name: &str, namespace: &str) -> String {
        format!("http://{}.{namespace}.svc:{REST_PORT}", self.service(name))
    }

    /// The labels selecting the worker pods of cluster `name`.
    pub fn selector_labels(self, name: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), self.app_name().to_string()),
            ("app.kubernetes.io/instance".to_string(), name.to_string()),
        ])
    }

    /// [`Component::selector_labels`] as a label selector string (`status.labelSelector`).
    pub fn selector_string(self, name: &str) -> String {
        self.selector_labels(name)
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A worker cluster to run: a TributaryConnect, or a KafkaMirrorMaker2's workers on its target.
#[derive(Debug, Clone)]
pub struct WorkerCluster {
    /// Which kind it is.
    pub component: Component,
    /// The resource's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The reference to the resource that every created object carries.
    pub owner: OwnerReference,
    /// The workers' settings.
    pub spec: TributaryConnectSpec,
    /// Secrets the connectors read (a mirror's source cluster's), mounted beside the workers'.
    pub connector_secrets: BTreeSet<String>,
}

impl WorkerCluster {
    /// The cluster a TributaryConnect describes.
    pub fn of_connect(connect: &TributaryConnect) -> Self {
        WorkerCluster {
            component: Component::Connect,
            name: connect.name_any(),
            namespace: connect.namespace().unwrap_or_default(),
            owner: owner_reference(connect),
            spec: connect.spec.clone(),
            connector_secrets: BTreeSet::new(),
        }
    }

    /// Every Secret the workers and their connectors read, by name.
    pub fn secrets(&self) -> BTreeSet<String> {
        let mut names = security_secrets(self.spec.tls.as_ref(), self.spec.authentication.as_ref());
        names.extend(self.connector_secrets.iter().cloned());
        names
    }

    /// The REST API's URL inside the Kubernetes cluster.
    pub fn url(&self) -> String {
        self.component.url(&self.name, &self.namespace)
    }
}

/// The Secrets TLS and authentication settings read, by name.
pub fn security_secrets(tls: Option<&ClientTls>, authentication: Option<&ClientAuthentication>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for source in tls.iter().flat_map(|tls| &tls.trusted_certificates) {
        names.insert(source.secret_name.clone());
    }
    if let Some(authentication) = authentication {
        if let Some(pair) = &authentication.certificate_and_key {
            names.insert(pair.secret_name.clone());
        }
        if let Some(password) = &authentication.password_secret {
            names.insert(password.secret_name.clone());
        }
    }
    names
}

/// Everything a TributaryConnect becomes.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The worker properties file.
    pub properties: String,
    /// `spec.config` keys that were ignored.
    pub warnings: Vec<Failure>,
    /// The hash of the properties and the Secrets they read, on the pod template.
    pub configuration_hash: String,
    /// The pods' ServiceAccount.
    pub service_account: ServiceAccount,
    /// The properties, mounted in the pods.
    pub config_map: ConfigMap,
    /// The workers.
    pub deployment: Deployment,
    /// The REST API.
    pub service: Service,
    /// At most one worker down at a time in voluntary disruptions (by default).
    pub pod_disruption_budget: PodDisruptionBudget,
}

/// Renders `cluster`; `secrets` holds the Secrets [`WorkerCluster::secrets`] names (a missing
/// one is a failure), `default_image` is used when the spec names none.
pub fn render(
    cluster: &WorkerCluster,
    secrets: &BTreeMap<String, Secret>,
    default_image: &str,
) -> Result<Rendered, Failure> {
    let name = &cluster.name;
    let component = cluster.component;
    let spec = &cluster.spec;
    for secret in cluster.secrets() {
        if !secrets.contains_key(&secret) {
            return Err(Failure::new(
                "InvalidResourceException",
                format!("Secret {secret} not found in namespace {}", cluster.namespace),
            ));
        }
    }
    let (properties, warnings) = worker_properties(cluster, secrets)?;
    let configuration_hash = configuration_hash(&properties, secrets);
    let metadata = |object_name: String, template: Option<&MetadataTemplate>| ObjectMeta {
        name: Some(object_name),
        namespace: Some(cluster.namespace.clone()),
        labels: Some(merged(common_labels(component, name), template.map(|t| &t.labels))),
        annotations: template.map(|t| t.annotations.clone()).filter(|a| !a.is_empty()),
        owner_references: Some(vec![cluster.owner.clone()]),
        ..ObjectMeta::default()
    };
    let template = spec.template.clone().unwrap_or_default();
    let template_metadata = |t: &Option<super::spec::ResourceTemplate>| t.as_ref().and_then(|t| t.metadata.clone());

    let service_account = ServiceAccount {
        metadata: metadata(component.deployment(name), None),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    };
    let config_map = ConfigMap {
        metadata: metadata(component.config_map(name), None),
        data: Some(BTreeMap::from([(PROPERTIES_FILE.to_string(), properties.clone())])),
        ..ConfigMap::default()
    };
    let deployment = Deployment {
        metadata: metadata(
            component.deployment(name),
            template_metadata(&template.deployment).as_ref(),
        ),
        spec: DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector {
                match_labels: Some(component.selector_labels(name)),
                ..LabelSelector::default()
            },
            // A new worker joins (and is ready) before an old one leaves.
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: pod_template(
                cluster,
                &configuration_hash,
                default_image,
                template_metadata(&template.pod),
            ),
            ..DeploymentSpec::default()
        },
        ..Deployment::default()
    };
    let service = Service {
        metadata: metadata(
            component.service(name),
            template_metadata(&template.api_service).as_ref(),
        ),
        spec: Some(ServiceSpec {
            selector: Some(component.selector_labels(name)),
            ports: Some(vec![ServicePort {
                name: Some(REST_PORT_NAME.into()),
                port: REST_PORT,
                target_port: Some(IntOrString::String(REST_PORT_NAME.into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let budget = template.pod_disruption_budget.unwrap_or_default();
    let pod_disruption_budget = PodDisruptionBudget {
        metadata: metadata(component.deployment(name), budget.metadata.as_ref()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(budget.max_unavailable.unwrap_or(1))),
            selector: Some(LabelSelector {
                match_labels: Some(component.selector_labels(name)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    };
    Ok(Rendered {
        properties,
        warnings,
        configuration_hash,
        service_account,
        config_map,
        deployment,
        service,
        pod_disruption_budget,
    })
}

/// The owner reference every created object carries: deleting the TributaryConnect deletes
/// them. It does not block the owner's deletion (that would need rights on its finalizers).
fn owner_reference(connect: &TributaryConnect) -> OwnerReference {
    OwnerReference {
        api_version: TributaryConnect::api_version(&()).into_owned(),
        kind: TributaryConnect::kind(&()).into_owned(),
        name: connect.name_any(),
        uid: connect.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    }
}

/// Labels on everything the operator creates for the cluster `name`.
fn common_labels(component: Component, name: &str) -> BTreeMap<String, String> {
    let mut labels = component.selector_labels(name);
    labels.insert("app.kubernetes.io/managed-by".into(), "tributary-operator".into());
    labels.insert("app.kubernetes.io/part-of".into(), "tributary".into());
    labels
}

/// `base` plus the template's entries (the operator's keys win).
fn merged(base: BTreeMap<String, String>, extra: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut out = extra.cloned().unwrap_or_default();
    out.extend(base);
    out
}

/// The worker pod.
fn pod_template(
    cluster: &WorkerCluster,
    configuration_hash: &str,
    default_image: &str,
    template: Option<MetadataTemplate>,
) -> PodTemplateSpec {
    let name = &cluster.name;
    let component = cluster.component;
    let spec = &cluster.spec;
    let template = template.unwrap_or_default();
    let mut annotations = template.annotations.clone();
    annotations.insert(CONFIGURATION_HASH_ANNOTATION.into(), configuration_hash.into());
    if spec.metrics.as_ref().is_some_and(|m| m.enabled) {
        annotations.insert("prometheus.io/scrape".into(), "true".into());
        annotations.insert("prometheus.io/port".into(), REST_PORT.to_string());
        annotations.insert("prometheus.io/path".into(), "/metrics".into());
    }
    let mut volumes = vec![Volume {
        name: "config".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: component.config_map(name),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }];
    let mut mounts = vec![VolumeMount {
        name: "config".into(),
        mount_path: CONFIG_DIR.into(),
        read_only: Some(true),
        ..VolumeMount::default()
    }];
    for (index, secret) in cluster.secrets().into_iter().enumerate() {
        let volume = format!("secret-{index}");
        mounts.push(VolumeMount {
            name: volume.clone(),
            mount_path: format!("{SECRETS_DIR}/{secret}"),
            read_only: Some(true),
            ..VolumeMount::default()
        });
        volumes.push(Volume {
            name: volume,
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    let probe = |path: &str, initial_delay: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(REST_PORT_NAME.into()),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Probe::default()
    };
    let container = Container {
        name: "tributary".into(),
        image: Some(spec.image.clone().unwrap_or_else(|| default_image.to_string())),
        args: Some(vec!["distributed".into(), format!("{CONFIG_DIR}/{PROPERTIES_FILE}")]),
        env: Some(vec![EnvVar {
            name: "POD_IP".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "status.podIP".into(),
                    ..ObjectFieldSelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }]),
        ports: Some(vec![ContainerPort {
            name: Some(REST_PORT_NAME.into()),
            container_port: REST_PORT,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        // Ready once the worker has joined its group (`/health` answers 503 before);
        // alive as long as the REST API answers at all.
        readiness_probe: Some(probe("/health", 5)),
        liveness_probe: Some(probe("/", 30)),
        resources: spec.resources.clone(),
        volume_mounts: Some(mounts),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    };
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(merged(common_labels(component, name), Some(&template.labels))),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container],
            volumes: Some(volumes),
            service_account_name: Some(component.deployment(name)),
            automount_service_account_token: Some(false),
            termination_grace_period_seconds: Some(grace_period_seconds(spec)),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                ..PodSecurityContext::default()
            }),
            ..PodSpec::default()
        }),
    }
}

/// Long enough for the worker's bounded shutdown: `task.shutdown.graceful.timeout.ms` plus its
/// margin; never under Kubernetes' default 30 s.
fn grace_period_seconds(spec: &TributaryConnectSpec) -> i64 {
    let graceful_ms = spec
        .config
        .get("task.shutdown.graceful.timeout.ms")
        .and_then(|value| config_value(value).trim().parse::<u64>().ok())
        .unwrap_or(5_000);
    let graceful_seconds = i64::try_from(graceful_ms.div_ceil(1000)).unwrap_or(i64::MAX - GRACE_MARGIN_SECONDS);
    (graceful_seconds + GRACE_MARGIN_SECONDS).max(30)
}

/// The `${directory:…}` reference to one key of a mounted Secret.
fn secret_file(secret: &str, key: &str) -> String {
    format!("${{directory:{SECRETS_DIR}/{secret}:{key}}}")
}

/// The worker properties, and a warning per ignored `spec.config` key.
fn worker_properties(
    cluster: &WorkerCluster,
    secrets: &BTreeMap<String, Secret>,
) -> Result<(String, Vec<Failure>), Failure> {
    let spec = &cluster.spec;
    let mut out = Properties::default();
    out.comment(&format!(
        "Written by tributary-operator for {}/{}; edits are overwritten.",
        cluster.namespace, cluster.name
    ));
    out.set("bootstrap.servers", &spec.bootstrap_servers);
    out.set("group.id", &spec.group_id);
    out.set("config.storage.topic", &spec.config_storage_topic);
    out.set("offset.storage.topic", &spec.offset_storage_topic);
    out.set("status.storage.topic", &spec.status_storage_topic);
    out.set("listeners", &format!("http://:{REST_PORT}"));
    out.set("rest.advertised.host.name", "${env:POD_IP}");
    out.set("rest.advertised.port", &REST_PORT.to_string());
    let security = client_security(spec.tls.as_ref(), spec.authentication.as_ref(), secrets)?;
    out.blank();
    for prefix in CLIENT_PREFIXES {
        for (key, value) in &security {
            out.set(&format!("{prefix}{key}"), value);
        }
    }

    let mut warnings = Vec::new();
    let mut config: BTreeMap<String, String> = cluster
        .component
        .defaults()
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    for (key, value) in &spec.config {
        let forbidden = FORBIDDEN_PREFIXES.iter().any(|prefix| key.starts_with(prefix))
            && !FORBIDDEN_EXCEPTIONS.contains(&key.as_str());
        if forbidden {
            warnings.push(Failure::new(
                "ForbiddenConfigOption",
                format!("Configuration option \"{key}\" is forbidden and will be ignored"),
            ));
        } else if !value.is_null() {
            config.insert(key.clone(), config_value(value));
        }
    }
    out.blank();
    for (key, value) in &config {
        out.set(key, value);
    }
    Ok((out.text, warnings))
}

/// The Java client settings (`security.protocol` first, then `ssl.*` and `sasl.*`) for `tls`
/// and `authentication`, as Strimzi writes them: PEM certificates and keys, JAAS for SASL, every
/// secret value a `${directory:…}` reference to its mounted Secret.
pub fn client_security(
    tls_settings: Option<&ClientTls>,
    authentication: Option<&ClientAuthentication>,
    secrets: &BTreeMap<String, Secret>,
) -> Result<Vec<(&'static str, String)>, Failure> {
    let invalid = |message: String| Failure::new("InvalidResourceException", message);
    let mut security: Vec<(&str, String)> = Vec::new();
    let tls = tls_settings.is_some();
    if let Some(client_tls) = tls_settings {
        let mut certificates = Vec::new();
        for source in &client_tls.trusted_certificates {
            match (&source.certificate, &source.pattern) {
                (Some(key), None) => certificates.push(secret_file(&source.secret_name, key)),
                (None, Some(pattern)) => {
                    let glob = glob::Pattern::new(pattern)
                        .map_err(|e| invalid(format!("trustedCertificates pattern '{pattern}': {e}")))?;
                    let keys = secrets.get(&source.secret_name).map(secret_keys).unwrap_or_default();
                    let matched: Vec<&String> = keys.iter().filter(|key| glob.matches(key)).collect();
                    if matched.is_empty() {
                        return Err(invalid(format!(
                            "Secret {} has no key matching '{pattern}'",
                            source.secret_name
                        )));
                    }
                    certificates.extend(matched.into_iter().map(|key| secret_file(&source.secret_name, key)));
                }
                _ => {
                    return Err(invalid(format!(
                        "trustedCertificates of Secret {} needs either certificate or pattern",
                        source.secret_name
                    )))
                }
            }
        }
        if !certificates.is_empty() {
            security.push(("ssl.truststore.type", "PEM".into()));
            security.push(("ssl.truststore.certificates", certificates.join("\n")));
        }
    }
    if let Some(authentication) = authentication {
        match authentication.type_ {
            AuthenticationType::Tls => {
                if !tls {
                    return Err(invalid("authentication type tls needs spec.tls".into()));
                }
                let pair = authentication
                    .certificate_and_key
                    .as_ref()
                    .ok_or_else(|| invalid("authentication type tls needs certificateAndKey".into()))?;
                security.push(("ssl.keystore.type", "PEM".into()));
                security.push((
                    "ssl.keystore.certificate.chain",
                    secret_file(&pair.secret_name, &pair.certificate),
                ));
                security.push(("ssl.keystore.key", secret_file(&pair.secret_name, &pair.key)));
            }
            sasl => {
                let username = authentication
                    .username
                    .as_deref()
                    .ok_or_else(|| invalid("authentication needs username".into()))?;
                let password = authentication
                    .password_secret
                    .as_ref()
                    .ok_or_else(|| invalid("authentication needs passwordSecret".into()))?;
                let password = secret_file(&password.secret_name, &password.password);
                let (mechanism, module) = match sasl {
                    AuthenticationType::ScramSha256 => ("SCRAM-SHA-256", "scram.ScramLoginModule"),
                    AuthenticationType::ScramSha512 => ("SCRAM-SHA-512", "scram.ScramLoginModule"),
                    _ => ("PLAIN", "plain.PlainLoginModule"),
                };
                security.push(("sasl.mechanism", mechanism.into()));
                security.push((
                    "sasl.jaas.config",
                    format!(
                        "org.apache.kafka.common.security.{module} required username=\"{username}\" password=\"{password}\";"
                    ),
                ));
            }
        }
    }
    let sasl = security.iter().any(|(key, _)| key.starts_with("sasl."));
    let protocol = match (tls, sasl) {
        (false, false) => "PLAINTEXT",
        (true, false) => "SSL",
        (false, true) => "SASL_PLAINTEXT",
        (true, true) => "SASL_SSL",
    };
    security.insert(0, ("security.protocol", protocol.to_string()));
    Ok(security)
}

/// The data keys of a Secret (`data` and `stringData`).
fn secret_keys(secret: &Secret) -> BTreeSet<String> {
    secret
        .data
        .iter()
        .flat_map(|data| data.keys())
        .chain(secret.string_data.iter().flat_map(|data| data.keys()))
        .cloned()
        .collect()
}

/// A short SHA-256 of the properties and of every Secret they read.
fn configuration_hash(properties: &str, secrets: &BTreeMap<String, Secret>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(properties.as_bytes());
    for (name, secret) in secrets {
        hasher.update(name.as_bytes());
        for (key, value) in secret.data.iter().flatten() {
            hasher.update(key.as_bytes());
            hasher.update(&value.0);
        }
        for (key, value) in secret.string_data.iter().flatten() {
            hasher.update(key.as_bytes());
            hasher.update(value.as_bytes());
        }
    }
    let digest = hasher.finalize();
    digest[..8].iter().fold(String::new(), |mut hex, byte| {
        write!(hex, "{byte:02x}").ok();
        hex
    })
}

/// A `.properties` file being written, escaped as `java.util.Properties` reads it.
#[derive(Default)]
struct Properties {
    text: String,
}

impl Properties {
    fn comment(&mut self, line: &str) {
        writeln!(self.text, "# {line}").ok();
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn set(&mut self, key: &str, value: &str) {
        writeln!(self.text, "{}={}", escape(key, true), escape(value, false)).ok();
    }
}

/// Escapes `text` for a properties file: backslashes, line breaks, tabs, a leading space or
/// comment mark, and in keys the separators.
fn escape(text: &str, key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' ' if key || index == 0 => out.push_str("\\ "),
            '=' | ':' if key => {
                out.push('\\');
                out.push(c);
            }
            '#' | '!' if index == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
