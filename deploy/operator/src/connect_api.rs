//! A client of one worker cluster's Kafka Connect REST API: the calls the operator makes, with
//! Apache's `{error_code, message}` errors kept, and 409s (a rebalance in progress) retried with
//! Strimzi's back-off (200 ms, doubling, 6 tries).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// First wait after a 409; it doubles each time.
const CONFLICT_BACKOFF: Duration = Duration::from_millis(200);
/// Tries for a request answered 409.
const CONFLICT_TRIES: u32 = 6;

/// A failed call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectApiError {
    /// The worker answered with an error.
    #[error("{method} {path} answered {status}: {message}")]
    Rest {
        /// The method.
        method: String,
        /// The path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The worker's message.
        message: String,
    },
    /// No answer.
    #[error("cannot reach the Connect REST API at {url}: {message}")]
    Unreachable {
        /// The cluster's URL.
        url: String,
        /// Why.
        message: String,
    },
}

impl ConnectApiError {
    /// The CamelCase reason a status condition gives for it (Strimzi's exception names).
    pub fn reason(&self) -> &'static str {
        match self {
            ConnectApiError::Rest { .. } => "ConnectRestException",
            ConnectApiError::Unreachable { .. } => "ConnectTimeoutException",
        }
    }
}

/// The REST API of one worker cluster.
#[derive(Debug, Clone)]
pub struct ConnectApi {
    base: String,
    http: reqwest::Client,
}

impl ConnectApi {
    /// A client of the cluster at `base` (`http://host:8083`).
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        ConnectApi {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The HTTP client the operator shares between clusters.
    pub fn http_client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_default()
    }

    /// One call; `Ok(None)` for a 404, a 409 retried.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Option<Value>, ConnectApiError> {
        let mut wait = CONFLICT_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|e| ConnectApiError::Unreachable {
                url: self.base.clone(),
                message: e.to_string(),
            })?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status == StatusCode::CONFLICT && attempt < CONFLICT_TRIES {
                tokio::time::sleep(wait).await;
                wait *= 2;
                continue;
            }
            if status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !status.is_success() {
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or(text);
                return Err(ConnectApiError::Rest {
                    method: method.to_string(),
                    path: path.to_string(),
                    status: status.as_u16(),
                    message,
                });
            }
            return Ok(Some(serde_json::from_str(&text).unwrap_or(Value::Null)));
        }
    }

    /// Like [`ConnectApi::call`], a 404 being an error too.
    async fn call_found(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ConnectApiError> {
        self.call(method.clone(), path, body)
            .await?
            .ok_or_else(|| ConnectApiError::Rest {
                method: method.to_string(),
                path: path.to_string(),
                status: 404,
                message: "not found".into(),
            })
    }

    /// `GET /connectors`.
    pub async fn connectors(&self) -> Result<Vec<String>, ConnectApiError> {
        let names = self.call_found(Method::GET, "/connectors", None).await?;
        Ok(serde_json::from_value(names).unwrap_or_default())
    }

    /// `GET /connector-plugins`: the connector plugins, as the worker lists them.
    pub async fn connector_plugins(&self) -> Result<Vec<Value>, ConnectApiError> {
        let plugins = self.call_found(Method::GET, "/connector-plugins", None).await?;
        Ok(serde_json::from_value(plugins).unwrap_or_default())
    }

    /// `GET /connectors/<name>/config`; `None` when there is no such connector.
    pub async fn config(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, ConnectApiError> {
        let config = self.call(Method::GET, &connector_path(name, "/config"), None).await?;
        Ok(config.map(|c| serde_json::from_value(c).unwrap_or_default()))
    }

    /// `POST /connectors` with `initial_state`.
    pub async fn create(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
        initial_state: &str,
    ) -> Result<(), ConnectApiError> {
        let body = json!({ "name": name, "config": config, "initial_state": initial_state });
        self.call_found(Method::POST, "/connectors", Some(&body))
            .await
            .map(drop)
    }

    /// `PUT /connectors/<name>/config`.
    pub async fn put_config(&self, name: &str, config: &BTreeMap<String, String>) -> Result<(), ConnectApiError> {
        let body = serde_json::to_value(config).unwrap_or_default();
        self.call_found(Method::PUT, &connector_path(name, "/config"), Some(&body))
            .await
            .map(drop)
    }

    /// `GET /connectors/<name>/status`; `None` when there is no such connector.
    pub async fn status(&self, name: &str) -> Result<Option<Value>, ConnectApiError> {
        self.call(Method::GET, &connector_path(name, "/status"), None).await
    }

    /// `PUT /connectors/<name>/pause`, `/resume` or `/stop`.
    pub async fn change_state(&self, name: &str, change: StateChange) -> Result<(), ConnectApiError> {
        let suffix = match change {
            StateChange::Pause => "/pause",
            StateChange::Resume => "/resume",
            StateChange::Stop => "/stop",
        };
        self.call_found(Method::PUT, &connector_path(name, suffix), None)
            .await
            .map(drop)
    }

    /// `POST /connectors/<name>/restart?includeTasks=…&onlyFailed=…`.
    pub async fn restart(&self, name: &str, include_tasks: bool, only_failed: bool) -> Result<(), ConnectApiError> {
        let path = connector_path(
            name,
            &format!("/restart?includeTasks={include_tasks}&onlyFailed={only_failed}"),
        );
        self.call_found(Method::POST, &path, None).await.map(drop)
    }

    /// `POST /connectors/<name>/tasks/<task>/restart`.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), ConnectApiError> {
        self.call_found(
            Method::POST,
            &connector_path(name, &format!("/tasks/{task}/restart")),
            None,
        )
        .await
        .map(drop)
    }

    /// `DELETE /connectors/<name>`; a connector already gone is not an error.
    pub async fn delete(&self, name: &str) -> Result<(), ConnectApiError> {
        self.call(Method::DELETE, &connector_path(name, ""), None)
            .await
            .map(drop)
    }

    /// `GET /connectors/<name>/topics`: the topics it used, sorted.
    pub async fn topics(&self, name: &str) -> Result<Vec<String>, ConnectApiError> {
        let answer = self.call(Method::GET, &connector_path(name, "/topics"), None).await?;
        let mut topics: Vec<String> = answer
            .as_ref()
            .and_then(|a| a.get(name))
            .and_then(|c| c.get("topics"))
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default();
        topics.sort();
        Ok(topics)
    }

    /// `GET /connectors/<name>/offsets`.
    pub async fn offsets(&self, name: &str) -> Result<Value, ConnectApiError> {
        self.call_found(Method::GET, &connector_path(name, "/offsets"), None)
            .await
    }

    /// `PATCH /connectors/<name>/offsets`.
    pub async fn alter_offsets(&self, name: &str, offsets: &Value) -> Result<(), ConnectApiError> {
        self.call_found(Method::PATCH, &connector_path(name, "/offsets"), Some(offsets))
            .await
            .map(drop)
    }

    /// `DELETE /connectors/<name>/offsets`.
    pub async fn reset_offsets(&self, name: &str) -> Result<(), ConnectApiError> {
        self.call_found(Method::DELETE, &connector_path(name, "/offsets"), None)
            .await
            .map(drop)
    }
}

/// A change of a connector's target state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// `PUT /pause`.
    Pause,
    /// `PUT /resume`.
    Resume,
    /// `PUT /stop`.
    Stop,
}

/// `/connectors/<name><suffix>`, the name percent-encoded as a path segment.
fn connector_path(name: &str, suffix: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/connectors/").expect("a constant URL parses");
    url.path_segments_mut()
        .map(|mut segments| {
            segments.pop_if_empty().push(name);
        })
        .ok();
    format!("{}{suffix}", url.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_as_one_path_segment() {
        assert_eq!(connector_path("my-source", "/status"), "/connectors/my-source/status");
        assert_eq!(connector_path("a b/c", ""), "/connectors/a%20b%2Fc");
        assert_eq!(
            connector_path("A->B.MirrorSourceConnector", "/config"),
            "/connectors/A-%3EB.MirrorSourceConnector/config"
        );
    }
}
