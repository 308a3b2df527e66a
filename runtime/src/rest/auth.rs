//! HTTP Basic authentication configured as for Apache Kafka Connect's
//! `BasicAuthSecurityRestExtension`: `rest.extension.classes` names the extension, and a JAAS
//! file's `KafkaConnect` section names a `PropertyFileLoginModule` whose `file` lists
//! `user=password` lines. The JAAS file is `java.security.auth.login.config` in the worker
//! config, or `-Djava.security.auth.login.config=…` in `KAFKA_OPTS` as for the JVM.
//!
//! As Apache: every request needs valid credentials (401 `User cannot access the resource.`
//! otherwise) except the workers' own signed requests (`POST /connectors/{name}/tasks`,
//! `PUT /connectors/{name}/fence`), and an empty credentials file lets everyone in.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::client::jaas;
use crate::config::{read_properties_file, ConfigKey, ConfigMap, ConfigType, Key};

/// `rest.extension.classes`: the REST extensions to load; Tributary has Apache's
/// `BasicAuthSecurityRestExtension` alone.
pub(super) const REST_EXTENSION_CLASSES: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "rest.extension.classes",
    ConfigType::List,
    "",
    "Comma-separated names of ConnectRestExtension classes, loaded and called in the order specified.",
));
/// Apache's extension class, the only one Tributary has.
pub(super) const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const LOGIN_MODULE: &str = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
const JAAS_KEY: &str = "java.security.auth.login.config";

/// The users allowed in.
#[derive(Clone)]
pub(super) struct BasicAuth {
    credentials: Arc<HashMap<String, String>>,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.credentials.len())
            .finish()
    }
}

impl BasicAuth {
    /// `None` when `rest.extension.classes` asks for no authentication; an error for an
    /// extension Tributary does not have or a JAAS setup it cannot read.
    pub(super) fn from_worker(raw: &ConfigMap) -> Result<Option<Self>, Vec<String>> {
        let extensions = REST_EXTENSION_CLASSES.read(raw);
        let mut basic = false;
        let mut errors = Vec::new();
        for class in &extensions {
            if class == BASIC_AUTH_EXTENSION || class == "BasicAuthSecurityRestExtension" {
                basic = true;
            } else {
                errors.push(format!(
                    "Invalid value {class} for configuration {}: Tributary has one REST extension, {BASIC_AUTH_EXTENSION}",
                    REST_EXTENSION_CLASSES.name()
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if !basic {
            return Ok(None);
        }
        let jaas_file = raw
            .get(JAAS_KEY)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| jaas_file_from_kafka_opts(&std::env::var("KAFKA_OPTS").unwrap_or_default()))
            .ok_or_else(|| {
                vec![format!(
                    "{BASIC_AUTH_EXTENSION} needs a JAAS file: set {JAAS_KEY} in the worker config (or -D{JAAS_KEY}=… in KAFKA_OPTS)"
                )]
            })?;
        let text = std::fs::read_to_string(&jaas_file)
            .map_err(|e| vec![format!("{JAAS_KEY}: cannot read {jaas_file}: {e}")])?;
        let credentials_file = credentials_file(&text).map_err(|e| vec![format!("{JAAS_KEY} ({jaas_file}): {e}")])?;
        let credentials = read_properties_file(std::path::Path::new(&credentials_file)).map_err(|e| {
            vec![format!(
                "the credentials file {credentials_file} named in {jaas_file}: {e}"
            )]
        })?;
        if credentials.is_empty() {
            tracing::warn!(
                file = %credentials_file,
                "the REST API's credentials file is empty: every request is let in, as Apache's PropertyFileLoginModule does"
            );
        }
        Ok(Some(BasicAuth {
            credentials: Arc::new(credentials.into_iter().collect()),
        }))
    }

    fn allows(&self, authorization: Option<&HeaderValue>) -> bool {
        if self.credentials.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(|v| v.to_str().ok()).and_then(decode) else {
            return false;
        };
        self.credentials.get(&user).is_some_and(|expected| {
            expected.len() == password.len() && openssl::memcmp::eq(expected.as_bytes(), password.as_bytes())
        })
    }
}

/// The user and password of a `Basic` authorization header.
fn decode(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_string(), password.to_string()))
}

/// `-Djava.security.auth.login.config=<path>` in the JVM options.
fn jaas_file_from_kafka_opts(options: &str) -> Option<String> {
    options
        .split_whitespace()
        .find_map(|option| option.strip_prefix(&format!("-D{JAAS_KEY}=")))
        .map(|path| path.trim_matches('"').to_string())
}

/// The `file` option of the `KafkaConnect` section's `PropertyFileLoginModule`.
fn credentials_file(jaas_text: &str) -> Result<String, String> {
    let text = strip_comments(jaas_text);
    let start = text
        .find("KafkaConnect")
        .and_then(|at| text[at..].find('{').map(|brace| at + brace + 1))
        .ok_or("it has no KafkaConnect { … }; section")?;
    let end = text[start..]
        .find('}')
        .map(|close| start + close)
        .ok_or("the KafkaConnect section is not closed with };")?;
    let entry = jaas::parse(text[start..end].trim()).map_err(|e| format!("the KafkaConnect section: {e}"))?;
    if entry.class != LOGIN_MODULE {
        return Err(format!(
            "the KafkaConnect section names {}, but Tributary's Basic authentication reads {LOGIN_MODULE} only",
            entry.class
        ));
    }
    entry
        .options
        .get("file")
        .cloned()
        .ok_or_else(|| format!("{LOGIN_MODULE} needs a file=\"…\" option"))
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    out
}

/// The workers' own requests, which carry a session-key signature instead of credentials.
fn is_internal(method: &Method, path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method, parts.as_slice()),
        (&Method::POST, ["connectors", _, "tasks"]) | (&Method::PUT, ["connectors", _, "fence"])
    )
}

/// The middleware: 401 unless the request carries valid credentials or is internal.
pub(super) async fn require_credentials(State(auth): State<BasicAuth>, request: Request, next: Next) -> Response {
    if is_internal(request.method(), request.uri().path()) || auth.allows(request.headers().get(header::AUTHORIZATION))
    {
        return next.run(request).await;
    }
    tracing::debug!(path = %request.uri().path(), "request failed authentication");
    (StatusCode::UNAUTHORIZED, "User cannot access the resource.").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_apache_jaas_files() {
        let jaas = r#"
            // The worker's REST users.
            KafkaConnect {
              org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
              file="/etc/connect/users.properties";
            };
        "#;
        assert_eq!(credentials_file(jaas).unwrap(), "/etc/connect/users.properties");
        let other = "KafkaConnect { com.example.Ldap required; };";
        assert!(credentials_file(other).unwrap_err().contains("com.example.Ldap"));
        assert!(credentials_file("KafkaServer { x required; };").is_err());
        assert_eq!(
            jaas_file_from_kafka_opts("-Xmx1g -Djava.security.auth.login.config=/j.conf").as_deref(),
            Some("/j.conf")
        );
    }

    #[test]
    fn checks_credentials() {
        let auth = BasicAuth {
            credentials: Arc::new([("alice".to_string(), "s3cret".to_string())].into_iter().collect()),
        };
        let header = |user_password: &str| {
            HeaderValue::from_str(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_password)
            ))
            .unwrap()
        };
        assert!(auth.allows(Some(&header("alice:s3cret"))));
        assert!(!auth.allows(Some(&header("alice:wrong"))));
        assert!(!auth.allows(Some(&header("bob:s3cret"))));
        assert!(!auth.allows(None));
        let open = BasicAuth {
            credentials: Arc::new(HashMap::new()),
        };
        assert!(
            open.allows(None),
            "an empty credentials file lets everyone in, as Apache"
        );
    }

    #[test]
    fn internal_requests() {
        assert!(is_internal(&Method::POST, "/connectors/a/tasks"));
        assert!(is_internal(&Method::POST, "/connectors/a/tasks/"));
        assert!(is_internal(&Method::PUT, "/connectors/a/fence"));
        assert!(!is_internal(&Method::GET, "/connectors/a/tasks"));
        assert!(!is_internal(&Method::POST, "/connectors/a/tasks/0/restart"));
        assert!(!is_internal(&Method::POST, "/connectors"));
    }

    #[test]
    fn unknown_extensions_are_refused() {
        let raw: ConfigMap = [("rest.extension.classes".to_string(), "com.example.Audit".to_string())]
            .into_iter()
            .collect();
        assert!(BasicAuth::from_worker(&raw).unwrap_err()[0].contains("com.example.Audit"));
        assert!(BasicAuth::from_worker(&ConfigMap::new()).unwrap().is_none());
    }
}
