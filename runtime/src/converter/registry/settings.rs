//! The settings Confluent's serializers and converters share (`AbstractKafkaSchemaSerDeConfig`),
//! read from a converter's prefix-stripped settings.

use std::time::Duration;

use super::subject::SubjectNameStrategy;
use crate::client::{read_tls_settings, TlsSettings};
use crate::config::ConfigMap;
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
    /// How long one request may take.
    pub timeout: Duration,
}

impl RegistrySettings {
    /// Reads the settings; every problem is reported, one per line.
    pub fn parse(settings: &ConfigMap, role: ConverterRole) -> Result<Self, String> {
        let mut errors = Vec::new();
        let get = |key: &str| settings.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let flag = |key: &str, default: bool, errors: &mut Vec<String>| match get(key) {
            None => default,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                errors.push(format!("{key}: '{v}' is not true or false"));
                default
            }
        };
        let urls: Vec<String> = get("schema.registry.url")
            .unwrap_or_default()
            .split(',')
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            errors.push("schema.registry.url: Missing required configuration \"schema.registry.url\" which has no default value.".to_string());
        }
        for url in &urls {
            if let Err(e) = reqwest::Url::parse(url) {
                errors.push(format!("schema.registry.url: '{url}' is not a URL: {e}"));
            }
        }
        let basic_auth = match basic_auth(settings, &urls) {
            Ok(auth) => auth,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let is_key = role == ConverterRole::Key;
        let strategy_key = if is_key {
            "key.subject.name.strategy"
        } else {
            "value.subject.name.strategy"
        };
        let subject_strategy = match get(strategy_key).map(SubjectNameStrategy::from_class) {
            None => SubjectNameStrategy::TopicName,
            Some(Ok(strategy)) => strategy,
            Some(Err(e)) => {
                errors.push(format!("{strategy_key}: {e}"));
                SubjectNameStrategy::TopicName
            }
        };
        let cache_size = match get("schemas.cache.config").map(str::parse::<usize>) {
            None => 1000,
            Some(Ok(size)) if size > 0 => size,
            Some(_) => {
                errors.push("schemas.cache.config: must be a positive number".to_string());
                1000
            }
        };
        let tls_keys: ConfigMap = settings
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(TLS_PREFIX).map(|k| (k.to_string(), v.clone())))
            .filter(|(k, _)| k.starts_with("ssl."))
            .collect();
        let (tls, tls_errors) = read_tls_settings(&tls_keys);
        errors.extend(
            tls_errors
                .into_iter()
                .map(|(key, message)| format!("{TLS_PREFIX}{key}: {message}")),
        );
        let parsed = RegistrySettings {
            urls,
            basic_auth,
            tls,
            auto_register: flag("auto.register.schemas", true, &mut errors),
            use_latest_version: flag("use.latest.version", false, &mut errors),
            latest_compatibility_strict: flag("latest.compatibility.strict", true, &mut errors),
            normalize: flag("normalize.schemas", false, &mut errors),
            subject_strategy,
            is_key,
            cache_size,
            timeout: Duration::from_secs(30),
        };
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors.join("\n"))
        }
    }
}

/// The credentials `basic.auth.credentials.source` names: `USER_INFO` reads
/// `basic.auth.user.info` (`user:password`), `URL` the user info of the first URL.
fn basic_auth(settings: &ConfigMap, urls: &[String]) -> Result<Option<(String, String)>, String> {
    let source = settings
        .get("basic.auth.credentials.source")
        .map(|s| s.trim().to_ascii_uppercase())
        .unwrap_or_else(|| "URL".to_string());
    let split = |info: &str| match info.split_once(':') {
        Some((user, password)) => Ok(Some((user.to_string(), password.to_string()))),
        None => Err("basic.auth.user.info: expected user:password".to_string()),
    };
    match source.as_str() {
        "USER_INFO" => {
            let info = settings
                .get("basic.auth.user.info")
                .or_else(|| settings.get("schema.registry.basic.auth.user.info"))
                .ok_or("basic.auth.user.info: USER_INFO credentials need user:password here")?;
            split(info)
        }
        "URL" => {
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
        other => Err(format!(
            "basic.auth.credentials.source: '{other}' is not supported (USER_INFO or URL)"
        )),
    }
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
            "auto.register.schemas: 'yes'",
            "value.subject.name.strategy: ",
            "basic.auth.credentials.source: 'SASL_INHERIT'",
        ] {
            assert!(error.contains(expected), "{expected} not in {error}");
        }
    }
}
