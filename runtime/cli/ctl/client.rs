//! A client of the Kafka Connect REST API (Tributary's or Apache's): one request at a time,
//! answers as JSON, errors sorted by what a script needs to know.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tributary_runtime::error_chain::with_causes;

use super::contexts::Target;

/// Why a command did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// No worker answered at the URL.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The worker's URL.
        url: String,
        /// What the connection attempt reported (with its causes).
        reason: String,
    },
    /// The worker answered 404: no such connector, task, plugin or logger.
    #[error("{0}")]
    NotFound(String),
    /// The worker refused the request (its `message`), or a config did not validate.
    #[error("{0}")]
    Refused(String),
    /// The command's own input (a file, a flag, the contexts file) is unusable.
    #[error("{0}")]
    Input(String),
}

impl CtlError {
    /// The process exit code for this error (documented in `tributary ctl --help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            CtlError::Refused(_) | CtlError::Input(_) => 1,
            CtlError::Unreachable { .. } => 3,
            CtlError::NotFound(_) => 4,
        }
    }
}

/// A worker's REST API.
pub struct ConnectClient {
    base: String,
    http: reqwest::Client,
    credentials: Option<(String, String)>,
}

impl ConnectClient {
    /// A client of the worker `target` names.
    pub fn new(target: &Target) -> Result<Self, CtlError> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .danger_accept_invalid_certs(target.insecure);
        if let Some(path) = &target.ca_certificate {
            let pem = std::fs::read(path).map_err(|e| CtlError::Input(format!("cannot read {path}: {e}")))?;
            let certificate = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| CtlError::Input(format!("{path} is not a PEM certificate: {e}")))?;
            builder = builder.add_root_certificate(certificate);
        }
        let http = builder
            .build()
            .map_err(|e| CtlError::Input(format!("cannot set up HTTP: {e}")))?;
        Ok(ConnectClient {
            base: target.url.trim_end_matches('/').to_string(),
            http,
            credentials: target
                .username
                .clone()
                .map(|user| (user, target.password.clone().unwrap_or_default())),
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, CtlError> {
        self.call(Method::GET, path, None).await
    }

    /// `GET path`, or `None` where the worker does not serve it (a 404 for the resource, or
    /// an endpoint turned off by a worker setting).
    pub async fn get_optional(&self, path: &str) -> Result<Option<Value>, CtlError> {
        match self.get(path).await {
            Ok(value) => Ok(Some(value)),
            Err(CtlError::NotFound(_) | CtlError::Refused(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// `method path` with a JSON `body`; the answer's JSON (`null` for an empty answer).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CtlError> {
        Ok(self.send(method, path, body).await?.1)
    }

    /// `method path` with a JSON `body`; the answer's status and JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), CtlError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| CtlError::Unreachable {
            url: self.base.clone(),
            reason: with_causes(&e),
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| CtlError::Unreachable {
            url: self.base.clone(),
            reason: with_causes(&e),
        })?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            return Ok((status, value));
        }
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{status} {value}"));
        Err(match status {
            StatusCode::NOT_FOUND => CtlError::NotFound(message),
            StatusCode::UNAUTHORIZED => {
                CtlError::Refused(format!("{message} (give --username/--password or a context with them)"))
            }
            _ => CtlError::Refused(message),
        })
    }
}
