//! Helpers shared by the integration tests of the `tributary` package.

pub mod kubernetes;
pub mod workers;

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::mode::standalone::StandaloneRuntime;

/// A config map from pairs.
pub fn config(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `base` with the keys of `extra` added or replaced (both JSON objects).
pub fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// An in-process standalone worker on a free port, against `bootstrap`, with `extra` settings.
pub async fn start_worker(bootstrap: &str, dir: &std::path::Path, extra: &[(&str, &str)]) -> (StandaloneRuntime, Api) {
    // Keeps the plugin crates' registrations in the test binary.
    tributary_connectors::link();
    tributary_mirror::link();
    let offsets = dir.join("connect.offsets").display().to_string();
    let mut worker = config(&[
        ("bootstrap.servers", bootstrap),
        ("listeners", "http://127.0.0.1:0"),
        ("offset.storage.file.filename", &offsets),
        ("offset.flush.interval.ms", "500"),
    ]);
    worker.extend(config(extra));
    let runtime = StandaloneRuntime::start(worker, None).await.expect("worker starts");
    let api = Api::new(&format!("http://{}", runtime.rest_address()));
    (runtime, api)
}

/// A small REST client returning `(status, json body)`.
#[derive(Clone)]
pub struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    /// A client of the API at `base`.
    pub fn new(base: &str) -> Self {
        Api {
            base: base.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
        }
    }

    /// A client of the API at `base` that sends its requests with `client` (TLS material,
    /// credentials).
    pub fn with_client(base: &str, client: reqwest::Client) -> Self {
        Api {
            base: base.trim_end_matches('/').to_string(),
            client,
        }
    }

    /// The API's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method path` with an optional raw body.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json, headers)
    }

    /// GET.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let (s, b, _) = self.raw(reqwest::Method::GET, path, None).await;
        (s, b)
    }

    /// POST a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, b, _) = self.raw(reqwest::Method::POST, path, Some(body.to_string())).await;
        (s, b)
    }

    /// PUT a JSON body (or none).
    pub async fn put(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let (s, b, _) = self.raw(reqwest::Method::PUT, path, body.map(|b| b.to_string())).await;
        (s, b)
    }

    /// PATCH a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, b, _) = self.raw(reqwest::Method::PATCH, path, Some(body.to_string())).await;
        (s, b)
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let (s, b, _) = self.raw(reqwest::Method::DELETE, path, None).await;
        (s, b)
    }

    /// The worker's `/metrics` text; `None` when it does not answer.
    pub async fn metrics(&self) -> Option<String> {
        let response = self.client.get(format!("{}/metrics", self.base)).send().await.ok()?;
        response.text().await.ok()
    }

    /// Waits until connector `name` or its first task is FAILED; returns that trace.
    pub async fn failed_trace(&self, name: &str, timeout: Duration) -> String {
        eventually(timeout, &format!("{name} to fail"), || async {
            let (_, status) = self.get(&format!("/connectors/{name}/status")).await;
            let trace = [&status["connector"], &status["tasks"][0]]
                .into_iter()
                .find(|s| s["state"] == "FAILED")
                .map(|s| s["trace"].as_str().unwrap_or_default().to_string());
            trace
        })
        .await
    }

    /// Waits until the connector and all its tasks (at least one) are in `state`.
    pub async fn wait_for_state(&self, name: &str, state: &str, timeout: Duration) -> Value {
        eventually(timeout, &format!("{name} to be {state}"), || async {
            let (code, status) = self.get(&format!("/connectors/{name}/status")).await;
            let tasks = status["tasks"].as_array().cloned().unwrap_or_default();
            let ready = code == 200
                && status["connector"]["state"] == state
                && !tasks.is_empty()
                && tasks.iter().all(|t| t["state"] == state);
            ready.then_some(status)
        })
        .await
    }
}
