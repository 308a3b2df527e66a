//! Request forwarding between workers of a cluster, as Apache Kafka Connect does it: when the
//! herder answers that another worker (the leader, or a task's owner) must handle a request,
//! the request is replayed there with `?forward=true`, and that worker's response is returned
//! as it is. A request may hop at most twice (`forward=true`, then `forward=false`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::RestError;

/// Set on a response whose request must be replayed on the worker at this URL.
#[derive(Debug, Clone)]
pub struct ForwardTo(pub String);

/// Largest request body forwarded.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Apache's 90 s request timeout.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

/// The HTTP client used to forward.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .build()
        .unwrap_or_default()
}

/// The middleware: runs the handler, and forwards when its response asks for it.
pub async fn forward(State(client): State<reqwest::Client>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return RestError::bad_request("Request body too large or unreadable").into_response();
    };
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    let response = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;
    let Some(ForwardTo(url)) = response.extensions().get::<ForwardTo>().cloned() else {
        return response;
    };
    let mut hop = None;
    let mut query: Vec<(String, String)> = Vec::new();
    for pair in uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "forward" {
            hop = Some(value.to_string());
        } else {
            query.push((key.to_string(), value.to_string()));
        }
    }
    let next_hop = match hop.as_deref() {
        None => "true",
        Some("true") => "false",
        Some(_) => {
            return RestError::new(
                StatusCode::CONFLICT,
                "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
            )
            .into_response()
        }
    };
    query.push(("forward".into(), next_hop.into()));
    let query: Vec<String> = query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let target = format!("{}{}?{}", url.trim_end_matches('/'), uri.path(), query.join("&"));
    tracing::debug!(%method, %target, "forwarding request");
    let Ok(method) = reqwest::Method::from_bytes(method.as_str().as_bytes()) else {
        return RestError::bad_request("Unsupported method").into_response();
    };
    let mut outgoing = client.request(method, &target).body(bytes.to_vec());
    if let Some(content_type) = content_type.as_ref().and_then(|c| c.to_str().ok()) {
        outgoing = outgoing.header(reqwest::header::CONTENT_TYPE, content_type);
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => {
            return RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("IO Error trying to forward REST request: {e}"),
            )
            .into_response()
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = Vec::new();
    for name in [reqwest::header::CONTENT_TYPE, reqwest::header::LOCATION] {
        if let Some(value) = answer
            .headers()
            .get(&name)
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        {
            headers.push((name.as_str().to_string(), value));
        }
    }
    let body = match answer.bytes().await {
        Ok(body) => body,
        Err(e) => {
            return RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("IO Error trying to forward REST request: {e}"),
            )
            .into_response()
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(name) = header::HeaderName::from_bytes(name.as_bytes()) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
