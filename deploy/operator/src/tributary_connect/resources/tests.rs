//! What a TributaryConnect becomes, without a cluster.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use serde_json::json;

use super::*;

/// The worker cluster of a TributaryConnect `my-connect` in `kafka` with `spec`.
fn connect(spec: serde_json::Value) -> WorkerCluster {
    let connect: TributaryConnect = serde_json::from_value(json!({
        "apiVersion": "connect.tributary.io/v1alpha1",
        "kind": "TributaryConnect",
        "metadata": {"name": "my-connect", "namespace": "kafka", "uid": "u-1"},
        "spec": spec,
    }))
    .unwrap();
    WorkerCluster::of_connect(&connect)
}

fn plain_spec() -> serde_json::Value {
    json!({
        "replicas": 2,
        "bootstrapServers": "my-cluster-kafka-bootstrap:9092",
        "groupId": "my-connect-group",
        "configStorageTopic": "my-connect-configs",
        "statusStorageTopic": "my-connect-status",
        "offsetStorageTopic": "my-connect-offsets",
    })
}

fn secret(name: &str, data: &[(&str, &str)]) -> (String, Secret) {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        data: Some(
            data.iter()
                .map(|(key, value)| (key.to_string(), ByteString(value.as_bytes().to_vec())))
                .collect(),
        ),
        ..Secret::default()
    };
    (name.to_string(), secret)
}

/// `key=value` lines of a rendered properties file (no escapes are used in these tests).
fn lines(properties: &str) -> BTreeMap<String, String> {
    properties
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

#[test]
fn a_plain_cluster_has_strimzis_names_and_the_spec_keys() {
    let rendered = render(&connect(plain_spec()), &BTreeMap::new(), "tributary:test").unwrap();
    let properties = lines(&rendered.properties);
    assert_eq!(properties["bootstrap.servers"], "my-cluster-kafka-bootstrap:9092");
    assert_eq!(properties["group.id"], "my-connect-group");
    assert_eq!(properties["config.storage.topic"], "my-connect-configs");
    assert_eq!(properties["offset.storage.topic"], "my-connect-offsets");
    assert_eq!(properties["status.storage.topic"], "my-connect-status");
    assert_eq!(properties["listeners"], "http://:8083");
    assert_eq!(properties["rest.advertised.host.name"], "${env:POD_IP}");
    for prefix in ["", "producer.", "consumer.", "admin."] {
        assert_eq!(properties[&format!("{prefix}security.protocol")], "PLAINTEXT");
    }
    assert_eq!(
        properties["value.converter"],
        "org.apache.kafka.connect.json.JsonConverter"
    );
    assert!(rendered.warnings.is_empty());

    assert_eq!(rendered.deployment.metadata.name.as_deref(), Some("my-connect-connect"));
    assert_eq!(
        rendered
            .deployment
            .spec
            .template
            .metadata
            .as_ref()
            .unwrap()
            .labels
            .as_ref()
            .unwrap()["app.kubernetes.io/name"],
        "tributary-connect"
    );
    assert_eq!(
        rendered.service.metadata.name.as_deref(),
        Some("my-connect-connect-api")
    );
    assert_eq!(
        rendered.config_map.metadata.name.as_deref(),
        Some("my-connect-connect-config")
    );
    assert_eq!(
        Component::Connect.url("my-connect", "kafka"),
        "http://my-connect-connect-api.kafka.svc:8083"
    );
    let deployment = &rendered.deployment.spec;
    assert_eq!(deployment.replicas, Some(2));
    let pod = deployment.template.spec.as_ref().unwrap();
    let container = &pod.containers[0];
    assert_eq!(container.image.as_deref(), Some("tributary:test"));
    assert_eq!(
        container.args.as_deref().unwrap(),
        ["distributed", "/opt/tributary/config/tributary.properties"]
    );
    let readiness = container.readiness_probe.as_ref().unwrap().http_get.as_ref().unwrap();
    assert_eq!(readiness.path.as_deref(), Some("/health"));
    assert_eq!(pod.termination_grace_period_seconds, Some(30));
    let owner = &rendered.service.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("TributaryConnect", "u-1", Some(true))
    );
    assert_eq!(
        rendered.pod_disruption_budget.spec.as_ref().unwrap().max_unavailable,
        Some(IntOrString::Int(1))
    );
}

#[test]
fn forbidden_keys_are_ignored_with_a_warning_and_the_rest_is_kept() {
    let mut spec = plain_spec();
    spec["config"] = json!({
        "group.id": "other",
        "ssl.truststore.location": "/x",
        "ssl.endpoint.identification.algorithm": "",
        "config.storage.replication.factor": -1,
        "offset.flush.interval.ms": 1000,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "task.shutdown.graceful.timeout.ms": 60000,
    });
    let rendered = render(&connect(spec), &BTreeMap::new(), "i").unwrap();
    let properties = lines(&rendered.properties);
    assert_eq!(properties["group.id"], "my-connect-group");
    assert!(!properties.contains_key("ssl.truststore.location"));
    assert_eq!(properties["ssl.endpoint.identification.algorithm"], "");
    assert_eq!(properties["config.storage.replication.factor"], "-1");
    assert_eq!(properties["offset.flush.interval.ms"], "1000");
    assert_eq!(
        properties["key.converter"],
        "org.apache.kafka.connect.storage.StringConverter"
    );
    let messages: Vec<&str> = rendered.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Configuration option \"group.id\" is forbidden and will be ignored",
            "Configuration option \"ssl.truststore.location\" is forbidden and will be ignored",
        ]
    );
    // The grace period covers the longer task shutdown plus the worker's margin.
    let pod = rendered.deployment.spec.template.spec.unwrap();
    assert_eq!(pod.termination_grace_period_seconds, Some(85));
}

#[test]
fn tls_and_scram_read_mounted_secrets_under_every_client_prefix() {
    let mut spec = plain_spec();
    spec["tls"] = json!({"trustedCertificates": [{"secretName": "my-cluster-cluster-ca-cert", "pattern": "*.crt"}]});
    spec["authentication"] = json!({
        "type": "scram-sha-512",
        "username": "my-user",
        "passwordSecret": {"secretName": "my-user", "password": "password"},
    });
    let secrets = BTreeMap::from([
        secret(
            "my-cluster-cluster-ca-cert",
            &[("ca.crt", "A"), ("ca.p12", "B"), ("old.crt", "C")],
        ),
        secret("my-user", &[("password", "secret")]),
    ]);
    let rendered = render(&connect(spec), &secrets, "i").unwrap();
    let properties = lines(&rendered.properties);
    for prefix in ["", "producer.", "consumer.", "admin."] {
        assert_eq!(properties[&format!("{prefix}security.protocol")], "SASL_SSL");
        assert_eq!(properties[&format!("{prefix}sasl.mechanism")], "SCRAM-SHA-512");
        assert_eq!(properties[&format!("{prefix}ssl.truststore.type")], "PEM");
    }
    assert_eq!(
        properties["ssl.truststore.certificates"],
        "${directory:/opt/tributary/secrets/my-cluster-cluster-ca-cert:ca.crt}\\n${directory:/opt/tributary/secrets/my-cluster-cluster-ca-cert:old.crt}"
    );
    assert_eq!(
        properties["sasl.jaas.config"],
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"my-user\" password=\"${directory:/opt/tributary/secrets/my-user:password}\";"
    );
    let pod = rendered.deployment.spec.template.spec.unwrap();
    let mounts: Vec<&str> = pod.containers[0]
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.mount_path.as_str())
        .collect();
    assert_eq!(
        mounts,
        [
            "/opt/tributary/config",
            "/opt/tributary/secrets/my-cluster-cluster-ca-cert",
            "/opt/tributary/secrets/my-user"
        ]
    );
}

#[test]
fn mutual_tls_uses_the_pem_keystore_keys() {
    let mut spec = plain_spec();
    spec["tls"] = json!({"trustedCertificates": [{"secretName": "ca", "certificate": "ca.crt"}]});
    spec["authentication"] = json!({
        "type": "tls",
        "certificateAndKey": {"secretName": "my-user", "certificate": "user.crt", "key": "user.key"},
    });
    let secrets = BTreeMap::from([
        secret("ca", &[("ca.crt", "A")]),
        secret("my-user", &[("user.crt", "C"), ("user.key", "K")]),
    ]);
    let properties = lines(&render(&connect(spec), &secrets, "i").unwrap().properties);
    assert_eq!(properties["consumer.security.protocol"], "SSL");
    assert_eq!(properties["producer.ssl.keystore.type"], "PEM");
    assert_eq!(
        properties["ssl.keystore.certificate.chain"],
        "${directory:/opt/tributary/secrets/my-user:user.crt}"
    );
    assert_eq!(
        properties["admin.ssl.keystore.key"],
        "${directory:/opt/tributary/secrets/my-user:user.key}"
    );
}

#[test]
fn bad_security_settings_are_failures_that_say_what_is_missing() {
    let mut spec = plain_spec();
    spec["authentication"] =
        json!({"type": "scram-sha-512", "username": "u", "passwordSecret": {"secretName": "gone", "password": "p"}});
    let failure = render(&connect(spec.clone()), &BTreeMap::new(), "i").unwrap_err();
    assert_eq!(failure.message, "Secret gone not found in namespace kafka");

    spec["authentication"] =
        json!({"type": "tls", "certificateAndKey": {"secretName": "u", "certificate": "c", "key": "k"}});
    let secrets = BTreeMap::from([secret("u", &[("c", "C"), ("k", "K")])]);
    let failure = render(&connect(spec.clone()), &secrets, "i").unwrap_err();
    assert_eq!(failure.message, "authentication type tls needs spec.tls");

    spec["authentication"] = json!(null);
    spec["tls"] = json!({"trustedCertificates": [{"secretName": "u", "pattern": "*.pem"}]});
    let failure = render(&connect(spec), &secrets, "i").unwrap_err();
    assert_eq!(failure.message, "Secret u has no key matching '*.pem'");
}

#[test]
fn the_hash_follows_the_config_and_the_secrets() {
    let mut spec = plain_spec();
    spec["tls"] = json!({"trustedCertificates": [{"secretName": "ca", "certificate": "ca.crt"}]});
    let hash = |spec: &serde_json::Value, ca: &str| {
        let secrets = BTreeMap::from([secret("ca", &[("ca.crt", ca)])]);
        let rendered = render(&connect(spec.clone()), &secrets, "i").unwrap();
        let annotations = rendered.deployment.spec.template.metadata.unwrap().annotations.unwrap();
        assert_eq!(annotations[CONFIGURATION_HASH_ANNOTATION], rendered.configuration_hash);
        rendered.configuration_hash
    };
    let first = hash(&spec, "A");
    assert_eq!(first.len(), 16);
    assert_eq!(hash(&spec, "A"), first);
    assert_ne!(hash(&spec, "renewed"), first);
    let mut replicas_only = spec.clone();
    replicas_only["replicas"] = json!(5);
    assert_eq!(hash(&replicas_only, "A"), first, "scaling does not roll the pods");
    spec["config"] = json!({"offset.flush.interval.ms": 1000});
    assert_ne!(hash(&spec, "A"), first);
}

#[test]
fn template_metadata_and_metrics_annotations_are_added() {
    let mut spec = plain_spec();
    spec["metrics"] = json!({"enabled": true});
    spec["template"] = json!({
        "pod": {"metadata": {"labels": {"team": "a", "app.kubernetes.io/name": "mine"}, "annotations": {"x": "1"}}},
        "apiService": {"metadata": {"annotations": {"lb": "internal"}}},
        "podDisruptionBudget": {"maxUnavailable": 0},
    });
    let rendered = render(&connect(spec), &BTreeMap::new(), "i").unwrap();
    let pod = rendered.deployment.spec.template.metadata.unwrap();
    let labels = pod.labels.unwrap();
    assert_eq!(labels["team"], "a");
    assert_eq!(
        labels["app.kubernetes.io/name"], "tributary-connect",
        "the selector labels win"
    );
    let annotations = pod.annotations.unwrap();
    assert_eq!(annotations["x"], "1");
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], "8083");
    assert_eq!(rendered.service.metadata.annotations.unwrap()["lb"], "internal");
    assert_eq!(
        rendered.pod_disruption_budget.spec.unwrap().max_unavailable,
        Some(IntOrString::Int(0))
    );
}

#[test]
fn properties_are_escaped_as_java_reads_them() {
    assert_eq!(escape("a b=c:d", true), "a\\ b\\=c\\:d");
    assert_eq!(escape(" lead#", false), "\\ lead#");
    assert_eq!(escape("#x", false), "\\#x");
    assert_eq!(escape("C:\\dir\nnext", false), "C:\\\\dir\\nnext");
}
