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
use crate::error_chain::with_causes;

/// Set on a response whose request must be replayed on the worker at this URL.
#[derive(Debug, Clone)]
pub(super) struct ForwardTo(pub String);

/// Largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Headers a forwarded request keeps: its body's type, the caller's credentials (Apache
/// forwards them too) and a worker's signature.
const FORWARDED_HEADERS: [&str; 4] = [
    "content-type",
    "authorization",
    super::signature::SIGNATURE_HEADER,
    super::signature::ALGORITHM_HEADER,
];

/// What the middleware needs.
#[derive(Clone)]
pub(super) struct Forwarding {
    /// Reaches the other workers.
    pub client: reqwest::Client,
    /// How long a client may take to send the request body.
    pub read_timeout: Duration,
}

/// The middleware: reads the body (within the read timeout), runs the handler, and forwards
/// when its response asks for it.
pub(super) async fn forward(State(forwarding): State<Forwarding>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(forwarding.read_timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return RestError::bad_request("Request body too large or unreadable").into_response(),
        Err(_) => {
            return RestError::new(StatusCode::REQUEST_TIMEOUT, "The request body was not received in time")
                .into_response()
        }
    };
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    let kept: Vec<(String, Vec<u8>)> = FORWARDED_HEADERS
        .iter()
        .filter_map(|name| {
            parts
                .headers
                .get(*name)
                .map(|v| (name.to_string(), v.as_bytes().to_vec()))
        })
        .collect();
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
    let mut outgoing = forwarding.client.request(method, &target).body(bytes.to_vec());
    for (name, value) in kept {
        outgoing = outgoing.header(name, value);
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => {
            return RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("IO Error trying to forward REST request: {}", with_causes(&e)),
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
                format!("IO Error trying to forward REST request: {}", with_causes(&e)),
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
