//! `KafkaConnector` as Strimzi defines it (`kafka.strimzi.io`, `v1` and `v1beta2`): the spec
//! the operator reads and the status it writes, with Strimzi's field names.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::conditions::{self, Condition};
use crate::strimzi_resource::StrimziResource;

/// The label naming the worker cluster a connector belongs to.
pub const CLUSTER_LABEL: &str = "strimzi.io/cluster";

/// `spec` of a KafkaConnector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KafkaConnectorSpec {
    /// The connector class (`connector.class`).
    #[serde(rename = "class", default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// `tasks.max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_max: Option<i64>,
    /// Restarting a FAILED connector and its tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_restart: Option<AutoRestart>,
    /// `connector.plugin.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The connector's config (values of any JSON type, sent as strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, serde_json::Value>>,
    /// `running` (the default), `paused` or `stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ConnectorState>,
    /// Deprecated (v1beta2): `true` means `state: paused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<bool>,
    /// Where `strimzi.io/connector-offsets: list` writes the offsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_offsets: Option<ListOffsets>,
    /// Where `strimzi.io/connector-offsets: alter` reads the offsets from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alter_offsets: Option<AlterOffsets>,
}

/// The state a connector should be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorState {
    /// Running (the default).
    Running,
    /// Paused: tasks exist but do not process.
    Paused,
    /// Stopped: no tasks.
    Stopped,
}

impl ConnectorState {
    /// The `initial_state` of `POST /connectors`.
    pub fn rest_name(self) -> &'static str {
        match self {
            ConnectorState::Running => "RUNNING",
            ConnectorState::Paused => "PAUSED",
            ConnectorState::Stopped => "STOPPED",
        }
    }
}

/// `spec.autoRestart`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoRestart {
    /// On unless `false` (the block being there turns it on, as in Strimzi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// At most this many restarts (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restarts: Option<i64>,
}

/// A ConfigMap reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigMapReference {
    /// The ConfigMap's name.
    pub name: String,
}

/// `spec.listOffsets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListOffsets {
    /// The ConfigMap written.
    pub to_config_map: ConfigMapReference,
}

/// `spec.alterOffsets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlterOffsets {
    /// The ConfigMap read.
    pub from_config_map: ConfigMapReference,
}

/// `status` of a KafkaConnector, as Strimzi writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KafkaConnectorStatus {
    /// `Ready` or `NotReady`, and warnings.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Restarts done by `autoRestart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_restart: Option<AutoRestartStatus>,
    /// `GET /connectors/<name>/status`, as the worker answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_status: Option<serde_json::Value>,
    /// `spec.tasksMax`, or the number of tasks running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_max: Option<i64>,
    /// `GET /connectors/<name>/topics`, sorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<String>>,
}

/// `status.autoRestart`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoRestartStatus {
    /// Restarts so far.
    pub count: i64,
    /// The connector restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_name: Option<String>,
    /// When the last restart was done (`yyyy-MM-ddTHH:mm:ssZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restart_timestamp: Option<String>,
}

impl conditions::Status for KafkaConnectorStatus {
    fn conditions_mut(&mut self) -> &mut Vec<Condition> {
        &mut self.conditions
    }
}

/// A KafkaConnector read from the API server, whichever version served it.
pub type KafkaConnector = StrimziResource<KafkaConnectorSpec, KafkaConnectorStatus>;

impl KafkaConnector {
    /// The connector's name: the resource's.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.as_ref()?.get(key).map(String::as_str)
    }

    /// The worker cluster it names.
    pub fn cluster(&self) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(CLUSTER_LABEL).map(String::as_str)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// The property names of a JSON schema, nested ones as `parent.child`.
    pub(crate) fn properties(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let Some(fields) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, property) in fields {
            let path = format!("{prefix}{name}");
            out.insert(path.clone());
            let inner = property.get("items").unwrap_or(property);
            properties(inner, &format!("{path}."), out);
        }
    }

    /// Resolves `$ref`s of a schemars schema so that nested properties are visible.
    fn inline(schema: &Value, definitions: &Value) -> Value {
        match schema {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let name = reference.rsplit('/').next().unwrap_or_default();
                    return inline(&definitions[name], definitions);
                }
                if let Some(any_of) = map.get("anyOf").and_then(Value::as_array) {
                    if let Some(object) = any_of.iter().find(|s| s.get("type") != Some(&Value::from("null"))) {
                        return inline(object, definitions);
                    }
                }
                Value::Object(map.iter().map(|(k, v)| (k.clone(), inline(v, definitions))).collect())
            }
            other => other.clone(),
        }
    }

    /// The fields of `T`'s JSON schema, nested ones as `parent.child`.
    pub(crate) fn rust_fields<T: JsonSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
        let resolved = inline(&schema, &schema["$defs"]);
        let mut out = BTreeSet::new();
        properties(&resolved, "", &mut out);
        out
    }

    /// The operator reads every field the shipped CRD declares, at each version, and nothing
    /// the CRD would prune.
    #[test]
    fn the_types_match_the_shipped_crd() {
        let crd: Value =
            serde_yaml::from_str(include_str!("../../../crds/kafkaconnector.yaml")).expect("the CRD parses");
        let spec_fields = rust_fields::<KafkaConnectorSpec>();
        let status_fields = rust_fields::<KafkaConnectorStatus>();
        // Nested fields are compared too.
        assert!(spec_fields.contains("listOffsets.toConfigMap.name"), "{spec_fields:?}");
        assert!(
            status_fields.contains("conditions.lastTransitionTime"),
            "{status_fields:?}"
        );
        for version in crd["spec"]["versions"].as_array().unwrap() {
            let name = version["name"].as_str().unwrap();
            let schema = &version["schema"]["openAPIV3Schema"]["properties"];
            let mut crd_spec = BTreeSet::new();
            properties(&schema["spec"], "", &mut crd_spec);
            let mut crd_status = BTreeSet::new();
            properties(&schema["status"], "", &mut crd_status);
            let mut expected_spec = spec_fields.clone();
            if name == "v1" {
                expected_spec.remove("pause");
            }
            assert_eq!(crd_spec, expected_spec, "spec fields of {name}");
            assert_eq!(crd_status, status_fields, "status fields of {name}");
        }
    }
}
