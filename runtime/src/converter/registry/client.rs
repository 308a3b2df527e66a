//! An async client of Confluent's Schema Registry REST API: the four calls converters make.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::settings::RetryPolicy;
use super::RegistrySettings;
use crate::error_chain::with_causes;

/// The media type of the registry's API.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The kind of a registered schema (`schemaType`; absent means Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    /// Avro.
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers.
    Protobuf,
}

impl SchemaType {
    fn name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

/// A call to the registry that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error.
    #[error("{message}; error code: {error_code} (the Schema Registry at {url} refused to {action})")]
    Refused {
        /// What was asked.
        action: String,
        /// The registry that answered.
        url: String,
        /// Its `error_code` (e.g. 409 for an incompatible schema, 40401 for an unknown subject).
        error_code: i64,
        /// Its `message`.
        message: String,
    },
    /// No registry answered.
    #[error("cannot {action}: no Schema Registry answered ({cause})")]
    Unreachable {
        /// What was asked.
        action: String,
        /// The last failure.
        cause: String,
    },
    /// The answer could not be read.
    #[error("cannot {action}: the Schema Registry's answer is not understood ({cause})")]
    Invalid {
        /// What was asked.
        action: String,
        /// Why.
        cause: String,
    },
}

/// A schema as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// Its id, as written in records.
    pub id: u32,
    /// Its text.
    pub schema: String,
    /// The other registered schemas it imports (a Protobuf file's imports, by file name).
    pub references: Vec<SchemaReference>,
}

/// A schema's import of another registered schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SchemaReference {
    /// The name it is imported by (for Protobuf, the imported file's name).
    pub name: String,
    /// The subject holding it.
    pub subject: String,
    /// Its version in that subject.
    pub version: i64,
}

/// An imported schema's text, by the name it is imported by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencedSchema {
    /// The name it is imported by.
    pub name: String,
    /// Its text.
    pub schema: String,
}

/// A client of one registry (several URLs, tried in turn when one cannot be reached).
#[derive(Debug, Clone)]
pub struct SchemaRegistry {
    http: reqwest::Client,
    urls: Vec<String>,
    basic_auth: Option<(String, String)>,
    normalize: bool,
    retries: RetryPolicy,
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

#[derive(Deserialize)]
struct SchemaAnswer {
    #[serde(default)]
    id: Option<u32>,
    schema: String,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error_code: i64,
    message: String,
}

impl SchemaRegistry {
    /// A client for the registry `settings` describe.
    pub fn new(settings: &RegistrySettings) -> Result<Self, String> {
        let timeouts = crate::rest::tls::HttpTimeouts::ConnectAndRead {
            connect: settings.connect_timeout,
            read: settings.read_timeout,
        };
        let http = crate::rest::tls::client(&settings.tls, "schema.registry.", timeouts)
            .map_err(|errors| errors.join("\n"))?;
        Ok(SchemaRegistry {
            http,
            urls: settings.urls.clone(),
            basic_auth: settings.basic_auth.clone(),
            normalize: settings.normalize,
            retries: settings.retries,
        })
    }

    /// Registers `schema` under `subject` (or finds it there) and returns its id.
    pub async fn register(&self, subject: &str, kind: SchemaType, schema: &str) -> Result<u32, RegistryError> {
        let action = format!("register a schema under subject {subject}");
        let answer: IdAnswer = self
            .call(
                Method::POST,
                &["subjects", subject, "versions"],
                Some(body(kind, schema)),
                &action,
            )
            .await?;
        Ok(answer.id)
    }

    /// The id of `schema` when `subject` already holds it (`auto.register.schemas=false`).
    pub async fn lookup(&self, subject: &str, kind: SchemaType, schema: &str) -> Result<u32, RegistryError> {
        let action = format!("look up a schema under subject {subject}");
        let answer: IdAnswer = self
            .call(Method::POST, &["subjects", subject], Some(body(kind, schema)), &action)
            .await?;
        Ok(answer.id)
    }

    /// The latest schema registered under `subject` (`use.latest.version`).
    pub async fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError> {
        self.version(subject, "latest").await
    }

    /// Version `version` (a number, or `latest`) of `subject`.
    async fn version(&self, subject: &str, version: &str) -> Result<RegisteredSchema, RegistryError> {
        let action = format!("read version {version} of subject {subject}");
        let answer: SchemaAnswer = self
            .call(Method::GET, &["subjects", subject, "versions", version], None, &action)
            .await?;
        let id = answer.id.ok_or_else(|| RegistryError::Invalid {
            action,
            cause: "no id".to_string(),
        })?;
        Ok(RegisteredSchema {
            id,
            schema: answer.schema,
            references: answer.references,
        })
    }

    /// The schema with id `id` (the writer's schema of a record).
    pub async fn schema_by_id(&self, id: u32) -> Result<RegisteredSchema, RegistryError> {
        let action = format!("read the schema with id {id}");
        let path_id = id.to_string();
        let answer: SchemaAnswer = self
            .call(Method::GET, &["schemas", "ids", &path_id], None, &action)
            .await?;
        Ok(RegisteredSchema {
            id,
            schema: answer.schema,
            references: answer.references,
        })
    }

    /// Every schema `schema` imports, directly or through another, each once.
    pub async fn referenced(&self, schema: &RegisteredSchema) -> Result<Vec<ReferencedSchema>, RegistryError> {
        let mut pending: Vec<SchemaReference> = schema.references.clone();
        let mut found: Vec<ReferencedSchema> = Vec::new();
        while let Some(reference) = pending.pop() {
            if found.iter().any(|f| f.name == reference.name) {
                continue;
            }
            let imported = self.version(&reference.subject, &reference.version.to_string()).await?;
            pending.extend(imported.references);
            found.push(ReferencedSchema {
                name: reference.name,
                schema: imported.schema,
            });
        }
        Ok(found)
    }

    /// Sends a request to each URL in turn until one answers; a URL that fails in a way a
    /// later request may not (a network failure, a 408, 429, 500, 502, 503 or 504 status) is
    /// asked again as the retry policy says before the next is tried, as by Confluent's client.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &[&str],
        body: Option<serde_json::Value>,
        action: &str,
    ) -> Result<T, RegistryError> {
        let mut last_failure = String::from("no URL is configured");
        for base in &self.urls {
            let mut url = reqwest::Url::parse(base).map_err(|e| RegistryError::Invalid {
                action: action.to_string(),
                cause: e.to_string(),
            })?;
            // Credentials come from the settings, never from the URL sent.
            url.set_username("").ok();
            url.set_password(None).ok();
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().extend(path);
            }
            if self.normalize && method == Method::POST {
                url.query_pairs_mut().append_pair("normalize", "true");
            }
            let (status, text) = match self.send_with_retries(&method, &url, body.as_ref()).await {
                Ok(answer) => answer,
                Err(failure) => {
                    last_failure = format!("{base}: {failure}");
                    continue;
                }
            };
            if status.is_success() {
                return serde_json::from_str(&text).map_err(|e| RegistryError::Invalid {
                    action: action.to_string(),
                    cause: format!("{e}: {text}"),
                });
            }
            let (error_code, message) = match serde_json::from_str::<ErrorAnswer>(&text) {
                Ok(error) => (error.error_code, error.message),
                Err(_) => (i64::from(status.as_u16()), text),
            };
            return Err(RegistryError::Refused {
                action: action.to_string(),
                url: base.clone(),
                error_code,
                message,
            });
        }
        Err(RegistryError::Unreachable {
            action: action.to_string(),
            cause: last_failure,
        })
    }

    /// The answer of `url`, asked again as the retry policy says while it fails in a way a
    /// later request may not; the last failure when it still does.
    async fn send_with_retries(
        &self,
        method: &Method,
        url: &reqwest::Url,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, String), String> {
        let mut attempt = 0;
        loop {
            let failure = match self.send(method.clone(), url.clone(), body).await {
                Ok((status, text)) if !retried(status) => return Ok((status, text)),
                Ok((status, text)) => format!("{status} {text}"),
                Err(e) => with_causes(&e),
            };
            if attempt >= self.retries.max_retries {
                return Err(failure);
            }
            let bound = u64::try_from(self.retries.wait_bound(attempt).as_millis()).unwrap_or(u64::MAX);
            let wait = std::time::Duration::from_millis(rand::random_range(1..=bound.max(1)));
            tracing::debug!(
                attempt = attempt + 1,
                "retrying a Schema Registry request in {wait:?} after: {failure}"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One request: the answer's status and text.
    async fn send(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, String), reqwest::Error> {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, MEDIA_TYPE);
        if let Some((user, password)) = &self.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }
}

/// Whether an answer of `status` is worth asking for again (Confluent's
/// `RestService.isRestClientExceptionRetriable`).
fn retried(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

fn body(kind: SchemaType, schema: &str) -> serde_json::Value {
    match kind {
        SchemaType::Avro => json!({ "schema": schema }),
        other => json!({ "schema": schema, "schemaType": other.name() }),
    }
}
