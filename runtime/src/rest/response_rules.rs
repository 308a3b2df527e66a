//! What the worker config adds to the REST API's answers, as Apache's worker does:
//! cross-origin access (`access.control.allow.origin`, `access.control.allow.methods`, as
//! Jetty 12's `CrossOriginHandler` in Kafka 4.x answers with Apache's settings, observed side
//! by side in `tests/integration/apache_differential.rs`) and header rules
//! (`response.http.headers.config`, Jetty's `HeaderFilter`: comma-separated
//! `[action] [header name]:[header value]`, a rule in double quotes when it holds a comma;
//! actions `set`, `add`, `setDate`, `addDate`, the last two a date that many milliseconds from
//! now).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use regex::Regex;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::ConfigMap;

/// `access.control.allow.origin`.
const ALLOW_ORIGIN: &str = "access.control.allow.origin";
/// `access.control.allow.methods`.
const ALLOW_METHODS: &str = "access.control.allow.methods";
/// `response.http.headers.config`.
const HEADER_RULES: &str = "response.http.headers.config";
/// Jetty's `CrossOriginHandler` defaults, which Apache's worker keeps: the methods when
/// `access.control.allow.methods` is blank, the request headers allowed, how long a browser
/// may keep a preflight answer; no credentials.
const DEFAULT_METHODS: &str = "GET,POST,HEAD";
const ALLOWED_HEADER: HeaderName = axum::http::header::CONTENT_TYPE;
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(60);

/// The cross-origin policy and header rules of a worker.
#[derive(Clone)]
pub(super) struct ResponseRules {
    cors: Option<CorsLayer>,
    headers: Arc<Vec<HeaderRule>>,
}

/// One rule of `response.http.headers.config`.
#[derive(Debug)]
struct HeaderRule {
    action: Action,
    name: HeaderName,
    value: String,
}

/// What a rule does with its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Set,
    Add,
    SetDate,
    AddDate,
}

impl ResponseRules {
    /// The rules the worker config `raw` sets; every problem with Apache's message.
    pub(super) fn from_worker(raw: &ConfigMap) -> Result<Self, Vec<String>> {
        let setting = |key: &str| raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut errors = Vec::new();
        let cors = match setting(ALLOW_ORIGIN) {
            None => None,
            Some(origins) => match cors_layer(origins, setting(ALLOW_METHODS).unwrap_or(DEFAULT_METHODS)) {
                Ok(layer) => Some(layer),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let mut headers = Vec::new();
        for rule in setting(HEADER_RULES).map(csv_split).unwrap_or_default() {
            match HeaderRule::parse(&rule) {
                Ok(parsed) => headers.push(parsed),
                Err(e) => errors.push(format!("Invalid value {rule} for configuration {HEADER_RULES}: {e}")),
            }
        }
        if errors.is_empty() {
            Ok(ResponseRules {
                cors,
                headers: Arc::new(headers),
            })
        } else {
            Err(errors)
        }
    }

    /// `router` answering as the rules say: the header rules on every answer, preflight
    /// answers too, as Apache's.
    pub(super) fn apply<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        let router = match &self.cors {
            Some(cors) => router.layer(cors.clone()),
            None => router,
        };
        if self.headers.is_empty() {
            router
        } else {
            router.layer(axum::middleware::from_fn_with_state(self.headers.clone(), add_headers))
        }
    }
}

/// Jetty's cross-origin handler as Apache configures it: the origins a comma-separated list
/// of regular expressions matching whole origins (`*` alone any origin), the origin echoed
/// back; a preflight request answered at once.
fn cors_layer(origins: &str, methods: &str) -> Result<CorsLayer, String> {
    let origins: Vec<&str> = origins.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
    let any = origins.contains(&"*");
    let patterns = origins
        .iter()
        .filter(|origin| **origin != "*")
        .map(|origin| {
            Regex::new(&format!("^(?:{origin})$"))
                .map_err(|e| format!("Invalid value {origin} for configuration {ALLOW_ORIGIN}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let methods = methods
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            Method::from_bytes(m.as_bytes())
                .map_err(|_| format!("Invalid value {m} for configuration {ALLOW_METHODS}: not an HTTP method"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            any || origin
                .to_str()
                .is_ok_and(|origin| patterns.iter().any(|p| p.is_match(origin)))
        }))
        .allow_methods(methods)
        .allow_headers([ALLOWED_HEADER])
        .max_age(PREFLIGHT_MAX_AGE))
}

impl HeaderRule {
    /// A rule, checked as Apache's `validateHttpResponseHeaderConfig` checks it.
    fn parse(rule: &str) -> Result<Self, String> {
        let Some((action, header)) = rule.trim().split_once(char::is_whitespace) else {
            return Err(format!(
                "Invalid format of header config '{rule}'. Expected: '[action] [header name]:[header value]'"
            ));
        };
        let action = match action.to_ascii_lowercase().as_str() {
            "set" => Action::Set,
            "add" => Action::Add,
            "setdate" => Action::SetDate,
            "adddate" => Action::AddDate,
            _ => {
                return Err(format!(
                    "Invalid header config action: '{action}'. Expected one of [set, add, setDate, addDate]"
                ))
            }
        };
        let parts: Vec<&str> = header.trim().split(':').collect();
        let [name, value] = parts[..] else {
            return Err(format!(
                "Invalid format of header name and header value pair '{header}'. Expected: '[header name]:[header value]'"
            ));
        };
        let name = name.trim();
        let invalid_name = || format!("Invalid header name '{name}'. The '[header name]' cannot contain whitespace");
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(invalid_name());
        }
        let value = value.trim().to_string();
        if matches!(action, Action::SetDate | Action::AddDate) && value.parse::<i64>().is_err() {
            return Err(format!(
                "Invalid date offset '{value}' of header '{name}': a number of milliseconds"
            ));
        }
        Ok(HeaderRule {
            action,
            name: HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid_name())?,
            value,
        })
    }

    /// The header's value now.
    fn value(&self) -> Option<HeaderValue> {
        match self.action {
            Action::Set | Action::Add => HeaderValue::from_str(&self.value).ok(),
            Action::SetDate | Action::AddDate => {
                let offset = chrono::Duration::milliseconds(self.value.parse().ok()?);
                let date = (chrono::Utc::now() + offset).format("%a, %d %b %Y %H:%M:%S GMT");
                HeaderValue::from_str(&date.to_string()).ok()
            }
        }
    }
}

/// Applies the header rules to every answer.
async fn add_headers(State(rules): State<Arc<Vec<HeaderRule>>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for rule in rules.iter() {
        let Some(value) = rule.value() else { continue };
        match rule.action {
            Action::Set | Action::SetDate => {
                headers.insert(rule.name.clone(), value);
            }
            Action::Add | Action::AddDate => {
                headers.append(rule.name.clone(), value);
            }
        }
    }
    response
}

/// Splits `text` at commas outside double quotes, trimming each part and removing the quotes,
/// as Jetty's `StringUtil.csvSplit`.
fn csv_split(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut part, mut quoted) = (String::new(), false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_split_at_commas_outside_quotes() {
        assert_eq!(
            csv_split(
                r#"set X-Frame-Options: DENY, "add Cache-Control: no-cache, no-store", setDate Expires: 31540000000"#
            ),
            [
                "set X-Frame-Options: DENY",
                "add Cache-Control: no-cache, no-store",
                "setDate Expires: 31540000000"
            ]
        );
    }

    #[test]
    fn bad_rules_get_apaches_messages() {
        let error = |rule: &str| HeaderRule::parse(rule).err().unwrap_or_default();
        assert_eq!(
            error("X-Frame-Options:DENY"),
            "Invalid format of header config 'X-Frame-Options:DENY'. Expected: '[action] [header name]:[header value]'"
        );
        assert_eq!(
            error("put X-Frame-Options: DENY"),
            "Invalid header config action: 'put'. Expected one of [set, add, setDate, addDate]"
        );
        assert!(error("set X-Frame-Options").starts_with("Invalid format of header name and header value pair"));
        assert!(error("set Location: http://x").starts_with("Invalid format of header name and header value pair"));
        assert_eq!(
            error("set X Frame: DENY"),
            "Invalid header name 'X Frame'. The '[header name]' cannot contain whitespace"
        );
        assert!(HeaderRule::parse("setDate Expires: 1000").is_ok());
        let rules = ResponseRules::from_worker(
            &[(HEADER_RULES.to_string(), "set X: 1, bad".to_string())]
                .into_iter()
                .collect(),
        );
        assert_eq!(rules.err().unwrap_or_default().len(), 1);
    }
}
