//! The JSON bodies of the REST API, shaped as Apache Kafka Connect's `rest/entities`.

use serde::{Deserialize, Serialize};

use crate::config::{shown_value, ConfigDef, ConfigMap, ConfigType, ValidationError, Width};

use super::embedded::EmbeddedKey;
use crate::state::State;
use crate::storage::ConnectorStatus;

/// `{"connector":"c","task":0}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskId {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task: u32,
}

/// `GET /connectors/{c}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorInfo {
    /// Name.
    pub name: String,
    /// Config as submitted.
    pub config: ConfigMap,
    /// Its tasks.
    pub tasks: Vec<TaskId>,
    /// `source`, `sink` or `unknown`.
    #[serde(rename = "type")]
    pub connector_type: String,
}

/// `GET /connectors/{c}/tasks` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskInfo {
    /// The task.
    pub id: TaskId,
    /// Its config.
    pub config: ConfigMap,
}

impl TaskInfo {
    /// The rows of `GET /connectors/{c}/tasks` for `connector`'s task configs, in order.
    pub fn list(connector: &str, configs: &[ConfigMap]) -> Vec<TaskInfo> {
        configs
            .iter()
            .enumerate()
            .map(|(i, config)| TaskInfo {
                id: TaskId {
                    connector: connector.to_string(),
                    task: i as u32,
                },
                config: config.clone(),
            })
            .collect()
    }
}

/// A connector's state in a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateInfo {
    /// State.
    pub state: State,
    /// Worker running it.
    pub worker_id: String,
    /// Failure trace, only when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The plugin's version (Apache 4.x), absent when the class is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A task's state in a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskStateInfo {
    /// Task number.
    pub id: u32,
    /// State.
    pub state: State,
    /// Worker running it.
    pub worker_id: String,
    /// Failure trace, only when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The plugin's version (Apache 4.x), absent when the class is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `GET /connectors/{c}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorStateInfo {
    /// Name.
    pub name: String,
    /// The connector object's state.
    pub connector: StateInfo,
    /// Task states.
    pub tasks: Vec<TaskStateInfo>,
    /// `source` or `sink`.
    #[serde(rename = "type")]
    pub connector_type: String,
}

impl ConnectorStateInfo {
    /// The REST view of a stored status.
    pub fn from_status(name: &str, connector_type: &str, status: &ConnectorStatus) -> Self {
        // Every built-in plugin has Tributary's version; an unknown class has none.
        let version = (connector_type != "unknown").then(|| crate::plugins::PLUGIN_VERSION.to_string());
        ConnectorStateInfo {
            name: name.to_string(),
            connector: StateInfo {
                state: status.state,
                worker_id: status.worker_id.clone(),
                trace: status.trace.clone(),
                version: version.clone(),
            },
            tasks: status
                .tasks
                .iter()
                .map(|(&id, task)| TaskStateInfo {
                    id,
                    state: task.state,
                    worker_id: task.worker_id.clone(),
                    trace: task.trace.clone(),
                    version: version.clone(),
                })
                .collect(),
            connector_type: connector_type.to_string(),
        }
    }
}

/// One `{"partition":…,"offset":…}` of the offsets API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffsetEntry {
    /// The source partition, or `{"kafka_topic","kafka_partition"}` for sinks.
    pub partition: serde_json::Map<String, serde_json::Value>,
    /// The offset (`{"kafka_offset"}` for sinks); null resets.
    pub offset: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A config key's definition in `GET /connector-plugins/{p}/config` and in validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigKeyInfo {
    /// Key.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub config_type: ConfigType,
    /// Whether it has no default.
    pub required: bool,
    /// Default, as text.
    pub default_value: Option<String>,
    /// Importance.
    pub importance: crate::config::Importance,
    /// Documentation.
    pub documentation: String,
    /// Group.
    pub group: Option<String>,
    /// Order in the group.
    pub order_in_group: i32,
    /// Display width.
    pub width: Width,
    /// Display name.
    pub display_name: String,
    /// Keys depending on it.
    pub dependents: Vec<String>,
}

/// The definitions of every key of `def`.
pub fn key_infos(def: &ConfigDef) -> Vec<ConfigKeyInfo> {
    // Apache numbers keys within their group from 1; a key with no group has -1.
    let mut counters: std::collections::HashMap<&str, i32> = std::collections::HashMap::new();
    let order: Vec<i32> = def
        .keys()
        .iter()
        .map(|key| match key.group {
            Some(group) => {
                let counter = counters.entry(group).or_insert(0);
                *counter += 1;
                *counter
            }
            None => -1,
        })
        .collect();
    def.keys()
        .iter()
        .enumerate()
        .map(|(i, key)| ConfigKeyInfo {
            name: key.name.to_string(),
            config_type: key.config_type,
            required: key.required,
            default_value: key.default.map(|default| shown_value(key.config_type, default)),
            importance: key.importance,
            documentation: key.documentation.to_string(),
            group: key.group.map(str::to_string),
            order_in_group: key.display.map_or(order[i], |d| d.order),
            width: key.display.map_or(Width::None, |d| d.width),
            display_name: key.display.map_or(key.name, |d| d.name).to_string(),
            dependents: Vec::new(),
        })
        .collect()
}

/// A key's value and problems in a validation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigValueInfo {
    /// Key.
    pub name: String,
    /// Value given (passwords hidden).
    pub value: Option<String>,
    /// Values it takes.
    pub recommended_values: Vec<String>,
    /// Problems.
    pub errors: Vec<String>,
    /// Whether it applies.
    pub visible: bool,
}

/// One key of a validation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigInfo {
    /// Its definition (absent for keys only the connector's own checks know).
    pub definition: Option<ConfigKeyInfo>,
    /// Its value and problems.
    pub value: ConfigValueInfo,
}

/// `PUT /connector-plugins/{p}/config/validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigInfos {
    /// The connector class.
    pub name: String,
    /// Number of problems.
    pub error_count: usize,
    /// Groups.
    pub groups: Vec<String>,
    /// Per key.
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// The validation result of `config` against `def` and the keys it `embedded` (its
    /// transformations', predicates' and converters'), with `errors` placed on their keys.
    pub fn build(
        class: &str,
        def: &ConfigDef,
        embedded: &[EmbeddedKey],
        config: &ConfigMap,
        errors: &[ValidationError],
    ) -> Self {
        let errors_of = |name: &str| -> Vec<String> {
            errors
                .iter()
                .filter(|e| e.key == name)
                .map(|e| e.message.clone())
                .collect()
        };
        let mut configs: Vec<ConfigInfo> = key_infos(def)
            .into_iter()
            .zip(def.keys())
            .map(|(info, key)| {
                let value = config
                    .get(key.name)
                    .map(String::as_str)
                    .or(key.default)
                    .map(|value| shown_value(key.config_type, value));
                ConfigInfo {
                    value: ConfigValueInfo {
                        name: info.name.clone(),
                        value: if key.config_type == ConfigType::Password {
                            value.map(|_| "[hidden]".into())
                        } else {
                            value
                        },
                        recommended_values: key.allowed.iter().map(|v| v.to_string()).collect(),
                        errors: errors_of(key.name),
                        visible: true,
                    },
                    definition: Some(info),
                }
            })
            .collect();
        for key in embedded {
            let hidden = key.info.config_type == ConfigType::Password;
            configs.push(ConfigInfo {
                value: ConfigValueInfo {
                    name: key.info.name.clone(),
                    value: key
                        .value
                        .as_ref()
                        .map(|v| if hidden { "[hidden]".into() } else { v.clone() }),
                    recommended_values: key.recommended.clone(),
                    errors: errors_of(&key.info.name),
                    visible: true,
                },
                definition: Some(key.info.clone()),
            });
        }
        let unplaced: Vec<&ValidationError> = errors
            .iter()
            .filter(|e| configs.iter().all(|c| c.value.name != e.key))
            .collect();
        for error in unplaced {
            match configs.iter_mut().find(|c| c.value.name == error.key) {
                Some(existing) => existing.value.errors.push(error.message.clone()),
                None => configs.push(ConfigInfo {
                    definition: None,
                    value: ConfigValueInfo {
                        name: error.key.clone(),
                        value: config.get(&error.key).cloned(),
                        recommended_values: Vec::new(),
                        errors: vec![error.message.clone()],
                        visible: true,
                    },
                }),
            }
        }
        // Every group a definition names, in the order they first appear.
        let mut groups: Vec<String> = Vec::new();
        for group in configs.iter().filter_map(|c| c.definition.as_ref()?.group.as_ref()) {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
        ConfigInfos {
            name: class.to_string(),
            error_count: configs.iter().map(|c| c.value.errors.len()).sum(),
            groups,
            configs,
        }
    }
}
