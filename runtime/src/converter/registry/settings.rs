//! The settings Confluent's serializers and converters share (`AbstractKafkaSchemaSerDeConfig`),
//! read from a converter's prefix-stripped settings.

use std::time::Duration;

use super::subject::SubjectNameStrategy;
use crate::client::{read_tls_settings, TlsSettings};
use crate::config::{positive, settings_under, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ParsedConfig};
use crate::converter::ConverterRole;

/// The prefix of the TLS keys for the registry (`schema.registry.ssl.truststore.location`…).
const TLS_PREFIX: &str = "schema.registry.";

/// How a converter reaches and uses its registry.
#[derive(Debug, Clone)]
pub struct RegistrySettings {
    /// `schema.registry.url`: one or more base URLs, tried in turn.
    pub urls: Vec<String>,
    /// `basic.auth.*`: the user and password sent with every request.
    pub basic_auth: Option<(String, String)>,
    /// `schema.registry.ssl.*`: the trust store and the client's certificate.
    pub tls: TlsSettings,
    /// `auto.register.schemas`: register a schema the subject lacks (else only look it up).
    pub auto_register: bool,
    /// `use.latest.version`: write with the subject's latest schema rather than the record's.
    pub use_latest_version: bool,
    /// `latest.compatibility.strict`: with `use.latest.version`, refuse a record whose schema
    /// the latest version cannot read.
    pub latest_compatibility_strict: bool,
    /// `normalize.schemas`: ask the registry to normalize schemas before registering them.
    pub normalize: bool,
    /// `key.subject.name.strategy` or `value.subject.name.strategy`, for this converter's role.
    pub subject_strategy: SubjectNameStrategy,
    /// Whether this converter serializes keys (the subject of TopicNameStrategy ends `-key`).
    pub is_key: bool,
    /// `schemas.cache.config`: how many schemas each cache holds.
    pub cache_size: usize,
    /// `http.connect.timeout.ms`: how long connecting may take.
    pub connect_timeout: Duration,
    /// `http.read.timeout.ms`: how long each wait for the registry's answer may take.
    pub read_timeout: Duration,
    /// How failed requests are retried.
    pub retries: RetryPolicy,
}

/// How a request the registry may answer later is retried, as Confluent's client's
/// `RetryExecutor`: a network failure, or status 408, 429, 500, 502, 503 or 504, is retried
/// `max.retries` times on the same URL, each wait random up to `retries.wait.ms` doubled per
/// retry and capped at `retries.max.wait.ms` ("full jitter"); then the next URL is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `max.retries`.
    pub max_retries: u32,
    /// `retries.wait.ms`.
    pub initial_wait: Duration,
    /// `retries.max.wait.ms`.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// The longest wait before retry `attempt` (0 for the first retry).
    pub fn wait_bound(&self, attempt: u32) -> Duration {
        (self.initial_wait * 2u32.saturating_pow(attempt.min(30))).min(self.max_wait)
    }
}

/// `schema.registry.url`.
const URLS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "schema.registry.url",
    ConfigType::List,
    "The registry's URLs, tried in turn.",
));
/// `basic.auth.credentials.source`.
const CREDENTIALS_SOURCE: Key<String> = Key::new(
    ConfigKey::optional(
        "basic.auth.credentials.source",
        ConfigType::String,
        "URL",
        "Where the Basic credentials come from: URL (the first URL's user info) or USER_INFO.",
    )
    .one_of(&["URL", "USER_INFO"]),
);
/// `basic.auth.user.info`.
const USER_INFO: Key<Option<String>> = Key::new(ConfigKey::unset(
    "basic.auth.user.info",
    ConfigType::Password,
    "user:password, with USER_INFO credentials.",
));
/// `schema.registry.basic.auth.user.info`, the former name of `basic.auth.user.info`, still read.
const LEGACY_USER_INFO: Key<Option<String>> = Key::new(ConfigKey::unset(
    "schema.registry.basic.auth.user.info",
    ConfigType::Password,
    "The former name of basic.auth.user.info.",
));
/// `auto.register.schemas`.
const AUTO_REGISTER: Key<bool> = Key::new(ConfigKey::optional(
    "auto.register.schemas",
    ConfigType::Boolean,
    "true",
    "Register a schema the subject lacks (else only look it up).",
));
/// `use.latest.version`.
const USE_LATEST_VERSION: Key<bool> = Key::new(ConfigKey::optional(
    "use.latest.version",
    ConfigType::Boolean,
    "false",
    "Write with the subject's latest schema rather than the record's.",
));
/// `latest.compatibility.strict`.
const LATEST_COMPATIBILITY_STRICT: Key<bool> = Key::new(ConfigKey::optional(
    "latest.compatibility.strict",
    ConfigType::Boolean,
    "true",
    "With use.latest.version, refuse a record whose schema the latest cannot read.",
));
/// `normalize.schemas`.
const NORMALIZE: Key<bool> = Key::new(ConfigKey::optional(
    "normalize.schemas",
    ConfigType::Boolean,
    "false",
    "Ask the registry to normalize schemas before registering them.",
));
/// `key.subject.name.strategy`.
const KEY_STRATEGY: Key<String> = Key::new(
    ConfigKey::optional(
        "key.subject.name.strategy",
        ConfigType::Class,
        "io.confluent.kafka.serializers.subject.TopicNameStrategy",
        "The subject of a key's schema.",
    )
    .check(strategy),
);
/// `value.subject.name.strategy`.
const VALUE_STRATEGY: Key<String> = Key::new(
    ConfigKey::optional(
        "value.subject.name.strategy",
        ConfigType::Class,
        "io.confluent.kafka.serializers.subject.TopicNameStrategy",
        "The subject of a value's schema.",
    )
    .check(strategy),
);
/// `http.connect.timeout.ms`.
const CONNECT_TIMEOUT: Key<Duration> = Key::new(
    ConfigKey::optional(
        "http.connect.timeout.ms",
        ConfigType::Int,
        "60000",
        "How long connecting to the registry may take, in ms.",
    )
    .check(positive),
);
/// `http.read.timeout.ms`.
const READ_TIMEOUT: Key<Duration> = Key::new(
    ConfigKey::optional(
        "http.read.timeout.ms",
        ConfigType::Int,
        "60000",
        "How long each wait for the registry's answer may take, in ms.",
    )
    .check(positive),
);
/// `max.retries`.
const MAX_RETRIES: Key<u32> = Key::new(ConfigKey::optional(
    "max.retries",
    ConfigType::Int,
    "3",
    "How many times a request the registry may answer later is retried on one URL.",
));
/// `retries.wait.ms`.
const RETRIES_WAIT: Key<Duration> = Key::new(ConfigKey::optional(
    "retries.wait.ms",
    ConfigType::Int,
    "1000",
    "The longest wait before the first retry, doubled for each next one, in ms.",
));
/// `retries.max.wait.ms`.
const RETRIES_MAX_WAIT: Key<Duration> = Key::new(ConfigKey::optional(
    "retries.max.wait.ms",
    ConfigType::Int,
    "20000",
    "The longest wait before any retry, in ms.",
));
/// `schemas.cache.config`.
const CACHE_SIZE: Key<usize> = Key::new(
    ConfigKey::optional(
        "schemas.cache.config",
        ConfigType::Int,
        "1000",
        "How many schemas each cache holds.",
    )
    .check(positive),
);

fn strategy(value: &str) -> Result<(), String> {
    SubjectNameStrategy::from_class(value).map(|_| ())
}

/// Confluent's serializer keys, declared once with their types and defaults.
pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&URLS)
        .key(&CREDENTIALS_SOURCE)
        .key(&USER_INFO)
        .key(&LEGACY_USER_INFO)
        .key(&AUTO_REGISTER)
        .key(&USE_LATEST_VERSION)
        .key(&LATEST_COMPATIBILITY_STRICT)
        .key(&NORMALIZE)
        .key(&KEY_STRATEGY)
        .key(&VALUE_STRATEGY)
        .key(&CACHE_SIZE)
        .key(&CONNECT_TIMEOUT)
        .key(&READ_TIMEOUT)
        .key(&MAX_RETRIES)
        .key(&RETRIES_WAIT)
        .key(&RETRIES_MAX_WAIT)
}

/// Validates `settings` against `def`: every problem, one per line, after its key.
pub(crate) fn parse_settings(def: &ConfigDef, settings: &ConfigMap) -> Result<ParsedConfig, String> {
    def.parse(settings).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

impl RegistrySettings {
    /// Reads the settings; every problem is reported, one per line.
    pub fn parse(settings: &ConfigMap, role: ConverterRole) -> Result<Self, String> {
        let parsed = parse_settings(&config_def(), settings)?;
        let mut errors = Vec::new();
        let urls: Vec<String> = parsed
            .value(&URLS)
            .into_iter()
            .map(|u| u.trim_end_matches('/').to_string())
            .collect();
        for url in &urls {
            if let Err(e) = reqwest::Url::parse(url) {
                errors.push(format!("schema.registry.url: '{url}' is not a URL: {e}"));
            }
        }
        let basic_auth = match basic_auth(&parsed, &urls) {
            Ok(auth) => auth,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let is_key = role == ConverterRole::Key;
        let strategy = parsed.value(if is_key { &KEY_STRATEGY } else { &VALUE_STRATEGY });
        let subject_strategy = SubjectNameStrategy::from_class(&strategy).unwrap_or(SubjectNameStrategy::TopicName);
        let mut tls_keys = settings_under(settings, TLS_PREFIX);
        tls_keys.retain(|k, _| k.starts_with("ssl."));
        let (tls, tls_errors) = read_tls_settings(&tls_keys);
        errors.extend(
            tls_errors
                .into_iter()
                .map(|(key, message)| format!("{TLS_PREFIX}{key}: {message}")),
        );
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Ok(RegistrySettings {
            urls,
            basic_auth,
            tls,
            auto_register: parsed.value(&AUTO_REGISTER),
            use_latest_version: parsed.value(&USE_LATEST_VERSION),
            latest_compatibility_strict: parsed.value(&LATEST_COMPATIBILITY_STRICT),
            normalize: parsed.value(&NORMALIZE),
            subject_strategy,
            is_key,
            cache_size: parsed.value(&CACHE_SIZE),
            connect_timeout: parsed.value(&CONNECT_TIMEOUT),
            read_timeout: parsed.value(&READ_TIMEOUT),
            retries: RetryPolicy {
                max_retries: parsed.value(&MAX_RETRIES),
                initial_wait: parsed.value(&RETRIES_WAIT),
                max_wait: parsed.value(&RETRIES_MAX_WAIT),
            },
        })
    }
}

/// The credentials `basic.auth.credentials.source` names: `USER_INFO` reads
/// `basic.auth.user.info` (`user:password`), `URL` the user info of the first URL.
fn basic_auth(settings: &ParsedConfig, urls: &[String]) -> Result<Option<(String, String)>, String> {
    if settings
        .value(&CREDENTIALS_SOURCE)
        .trim()
        .eq_ignore_ascii_case("user_info")
    {
        let info = settings
            .value(&USER_INFO)
            .or_else(|| settings.value(&LEGACY_USER_INFO))
            .ok_or("basic.auth.user.info: USER_INFO credentials need user:password here")?;
        return match info.split_once(':') {
            Some((user, password)) => Ok(Some((user.to_string(), password.to_string()))),
            None => Err("basic.auth.user.info: expected user:password".to_string()),
        };
    }
    // URL (the only other value the key takes): the first URL's user info, if any.
    let Some(url) = urls.first().and_then(|u| reqwest::Url::parse(u).ok()) else {
        return Ok(None);
    };
    if url.username().is_empty() {
        return Ok(None);
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    Ok(Some((
        decode(url.username()),
        url.password().map(decode).unwrap_or_default(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn confluent_defaults() {
        let parsed = RegistrySettings::parse(
            &settings(&[("schema.registry.url", "http://a:8081/, http://b:8081")]),
            ConverterRole::Value,
        )
        .unwrap();
        assert_eq!(parsed.urls, ["http://a:8081", "http://b:8081"]);
        assert!(parsed.auto_register && !parsed.use_latest_version && parsed.latest_compatibility_strict);
        assert_eq!(parsed.subject_strategy, SubjectNameStrategy::TopicName);
        assert!(!parsed.is_key);
        assert_eq!(parsed.cache_size, 1000);
        assert!(parsed.basic_auth.is_none());
        let retries = parsed.retries;
        assert_eq!(retries.max_retries, 3);
        let bounds: Vec<u128> = (0..6).map(|n| retries.wait_bound(n).as_millis()).collect();
        assert_eq!(
            bounds,
            [1000, 2000, 4000, 8000, 16000, 20000],
            "doubled, capped at 20 s"
        );
    }

    #[test]
    fn credentials_from_user_info_or_url() {
        let parsed = RegistrySettings::parse(
            &settings(&[
                ("schema.registry.url", "http://a:8081"),
                ("basic.auth.credentials.source", "USER_INFO"),
                ("basic.auth.user.info", "fred:s3:cret"),
            ]),
            ConverterRole::Key,
        )
        .unwrap();
        assert_eq!(parsed.basic_auth, Some(("fred".into(), "s3:cret".into())));
        let parsed = RegistrySettings::parse(
            &settings(&[("schema.registry.url", "http://fred:p%40ss@a:8081")]),
            ConverterRole::Key,
        )
        .unwrap();
        assert_eq!(parsed.basic_auth, Some(("fred".into(), "p@ss".into())));
    }

    #[test]
    fn every_problem_is_reported() {
        let error = RegistrySettings::parse(
            &settings(&[
                ("auto.register.schemas", "yes"),
                ("value.subject.name.strategy", "com.example.Mine"),
                ("basic.auth.credentials.source", "SASL_INHERIT"),
            ]),
            ConverterRole::Value,
        )
        .unwrap_err();
        for expected in [
            "schema.registry.url: Missing required configuration",
            "auto.register.schemas: Invalid value yes",
            "value.subject.name.strategy: ",
            "basic.auth.credentials.source: Invalid value SASL_INHERIT",
        ] {
            assert!(error.contains(expected), "{expected} not in {error}");
        }
    }
}
