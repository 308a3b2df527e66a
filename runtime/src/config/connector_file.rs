//! Connector definitions in files: what `connect-standalone.sh` takes on its command line and
//! what `tributary ctl apply` sends to a worker.
//!
//! Three formats, by extension:
//! - `.properties`: the connector's config, `name` among its keys (Apache's format);
//! - `.json`: `{"name": …, "config": {…}}` as `POST /connectors` takes it, or the bare config
//!   object with its `name`;
//! - `.yaml` / `.yml`: the same two shapes as JSON, or a Strimzi `KafkaConnector` resource
//!   (`metadata.name`, `spec.class`, `spec.tasksMax`, `spec.config`).
//!
//! Values that are not strings (numbers, booleans) are kept as their JSON text, as Kafka
//! Connect stores every value as a string.

use std::path::Path;

use serde_json::Value;

use super::{parse_properties, ConfigMap};

/// Why a connector file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's text is not what its extension says, or not a connector definition.
    #[error("{path}: {message}")]
    Content {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Reads the connector defined in the file at `path`: its config, `name` included when the
/// file names the connector.
pub fn read_connector_file(path: &Path) -> Result<ConfigMap, ConnectorFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConnectorFileError::Io {
        path: shown.clone(),
        source,
    })?;
    let content = |message: String| ConnectorFileError::Content {
        path: shown.clone(),
        message,
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "json" => {
            let value: Value = serde_json::from_str(&text).map_err(|e| content(e.to_string()))?;
            connector_from_value(&value).map_err(content)
        }
        "yaml" | "yml" => {
            let value: Value = serde_yaml::from_str(&text).map_err(|e| content(e.to_string()))?;
            connector_from_value(&value).map_err(content)
        }
        _ => parse_properties(&text).map_err(|e| content(e.to_string())),
    }
}

/// The connector config in a JSON or YAML document (see the module doc for the shapes).
pub fn connector_from_value(value: &Value) -> Result<ConfigMap, String> {
    if value.get("kind").and_then(Value::as_str) == Some("KafkaConnector") {
        return from_kafka_connector(value);
    }
    let object = value
        .get("config")
        .unwrap_or(value)
        .as_object()
        .ok_or("expected an object: the connector's config, or {\"name\", \"config\"}")?;
    let mut config = strings(object);
    if let Some(name) = value.get("name").and_then(Value::as_str) {
        config.insert("name".into(), name.to_string());
    }
    Ok(config)
}

/// A Strimzi `KafkaConnector`'s connector config, as Strimzi's operator submits it.
fn from_kafka_connector(resource: &Value) -> Result<ConfigMap, String> {
    let name = resource
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or("a KafkaConnector needs metadata.name")?;
    let spec = resource.get("spec").ok_or("a KafkaConnector needs a spec")?;
    let mut config = spec
        .get("config")
        .and_then(Value::as_object)
        .map(strings)
        .unwrap_or_default();
    if let Some(class) = spec.get("class").and_then(Value::as_str) {
        config.insert("connector.class".into(), class.to_string());
    }
    if let Some(tasks) = spec.get("tasksMax") {
        config.insert("tasks.max".into(), text(tasks));
    }
    config.insert("name".into(), name.to_string());
    Ok(config)
}

fn strings(object: &serde_json::Map<String, Value>) -> ConfigMap {
    object.iter().map(|(key, value)| (key.clone(), text(value))).collect()
}

/// A config value as Kafka Connect keeps it: strings as they are, anything else as JSON text.
fn text(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<ConfigMap, ConnectorFileError> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("the file is written");
        read_connector_file(&path)
    }

    #[test]
    fn every_format_gives_the_same_config() {
        let expected: ConfigMap = [
            ("name", "a"),
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let files = [
            (
                "a.properties",
                "name=a\nconnector.class=FileStreamSource\ntasks.max=1\n",
            ),
            (
                "a.json",
                r#"{"name": "a", "config": {"connector.class": "FileStreamSource", "tasks.max": 1}}"#,
            ),
            (
                "b.json",
                r#"{"name": "a", "connector.class": "FileStreamSource", "tasks.max": "1"}"#,
            ),
            (
                "a.yaml",
                "name: a\nconfig:\n  connector.class: FileStreamSource\n  tasks.max: 1\n",
            ),
            (
                "a.yml",
                "apiVersion: kafka.strimzi.io/v1\nkind: KafkaConnector\nmetadata:\n  name: a\n  labels:\n    \
                 strimzi.io/cluster: c\nspec:\n  class: FileStreamSource\n  tasksMax: 1\n  config: {}\n",
            ),
        ];
        for (name, text) in files {
            assert_eq!(read(name, text).expect(name), expected, "{name}");
        }
    }

    #[test]
    fn bad_files_name_the_file_and_the_reason() {
        let error = read("x.json", "[1, 2]")
            .expect_err("an array is no connector")
            .to_string();
        assert!(
            error.contains("x.json") && error.contains("expected an object"),
            "{error}"
        );
        let error = read("x.yaml", "kind: KafkaConnector\nspec: {}\n")
            .expect_err("no name")
            .to_string();
        assert!(error.contains("metadata.name"), "{error}");
        let error = read("x.json", "{").expect_err("not JSON").to_string();
        assert!(error.contains("x.json"), "{error}");
    }
}
