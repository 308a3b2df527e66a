//! Config providers: `${provider:[path:]key}` references in config values, resolved when a
//! config is used (never when stored, so secrets stay out of the config topic and REST output).
//!
//! Built in, and always available under their short names: `env` (`${env:VAR}`), `file`
//! (`${file:/path/file.properties:key}`) and `directory` (`${directory:/dir:file}`, the file's
//! contents). Workers may also declare them as Apache Kafka does, which gives them other names:
//! `config.providers=secrets` and `config.providers.secrets.class=` Apache's
//! `FileConfigProvider`, `DirectoryConfigProvider`, `EnvVarConfigProvider` or Strimzi's
//! equivalents. A reference to a provider nobody declared is an error, not a silent literal.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::properties::read_properties_file;
use super::ConfigMap;

/// What a provider reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProviderKind {
    Env,
    File,
    Directory,
}

impl ProviderKind {
    fn from_class(class: &str) -> Option<Self> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        match simple {
            "EnvVarConfigProvider" => Some(ProviderKind::Env),
            "FileConfigProvider" => Some(ProviderKind::File),
            "DirectoryConfigProvider" => Some(ProviderKind::Directory),
            _ => None,
        }
    }
}

/// Why a config value's provider reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// `${name:…}` names no built-in or declared provider.
    #[error("config key '{key}' refers to unknown config provider '{provider}' (known: {known})")]
    UnknownProvider {
        /// The config key whose value holds the reference.
        key: String,
        /// The provider named.
        provider: String,
        /// The providers that exist.
        known: String,
    },
    /// `config.providers.<n>.class` names a class Tributary does not provide.
    #[error("config provider '{name}' has unsupported class '{class}'")]
    UnsupportedClass {
        /// The provider's name.
        name: String,
        /// Its class.
        class: String,
    },
    /// The provider found nothing for the reference.
    #[error("config key '{key}': {reason}")]
    Unresolved {
        /// The config key whose value holds the reference.
        key: String,
        /// What was missing.
        reason: String,
    },
}

/// The config providers of one worker.
#[derive(Debug, Clone)]
pub struct ConfigProviders {
    providers: BTreeMap<String, ProviderKind>,
}

impl Default for ConfigProviders {
    fn default() -> Self {
        let providers = [
            ("env", ProviderKind::Env),
            ("file", ProviderKind::File),
            ("directory", ProviderKind::Directory),
        ]
        .into_iter()
        .map(|(name, kind)| (name.to_string(), kind))
        .collect();
        ConfigProviders { providers }
    }
}

/// Apache Kafka's ConfigTransformer pattern: `${provider:[path:]key}`.
fn reference_pattern() -> &'static Regex {
    static REFERENCE: OnceLock<Regex> = OnceLock::new();
    REFERENCE
        .get_or_init(|| Regex::new(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}").expect("the provider pattern is valid"))
}

/// Whether `value` holds a provider reference.
fn has_reference(value: &str) -> bool {
    reference_pattern().is_match(value)
}

/// Puts the connector's references back into task configs, as Apache's herder does before
/// storing them: a task key that the raw connector config sets to a value with a reference
/// gets that raw value, so that no resolved secret is stored or shown.
pub fn restore_references(raw_connector_config: &ConfigMap, task_configs: &mut [ConfigMap]) {
    for (key, raw) in raw_connector_config.iter().filter(|(_, v)| has_reference(v)) {
        for task in task_configs.iter_mut() {
            if let Some(value) = task.get_mut(key) {
                value.clone_from(raw);
            }
        }
    }
}

impl ConfigProviders {
    /// The built-in providers plus those a worker config declares under `config.providers`.
    pub fn from_worker_config(worker: &ConfigMap) -> Result<Self, ProviderError> {
        let mut providers = Self::default();
        let declared = worker.get("config.providers").map(String::as_str).unwrap_or("");
        for name in declared.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let class = worker
                .get(&format!("config.providers.{name}.class"))
                .cloned()
                .unwrap_or_default();
            let kind = ProviderKind::from_class(&class).ok_or_else(|| ProviderError::UnsupportedClass {
                name: name.to_string(),
                class,
            })?;
            providers.providers.insert(name.to_string(), kind);
        }
        Ok(providers)
    }

    /// Returns `config` with every `${provider:[path:]key}` reference replaced.
    pub fn resolve(&self, config: &ConfigMap) -> Result<ConfigMap, ProviderError> {
        config
            .iter()
            .map(|(key, value)| Ok((key.clone(), self.resolve_value(key, value)?)))
            .collect()
    }

    /// Resolves the references in one value; `key` names it in errors.
    pub fn resolve_value(&self, key: &str, value: &str) -> Result<String, ProviderError> {
        let pattern = reference_pattern();
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        for captures in pattern.captures_iter(value) {
            let whole = captures.get(0).expect("group 0 always matches");
            out.push_str(&value[last..whole.start()]);
            let provider = &captures[1];
            let path = captures.get(2).map(|m| m.as_str()).unwrap_or("");
            let name = &captures[3];
            out.push_str(&self.lookup(key, provider, path, name)?);
            last = whole.end();
        }
        out.push_str(&value[last..]);
        Ok(out)
    }

    fn lookup(&self, key: &str, provider: &str, path: &str, name: &str) -> Result<String, ProviderError> {
        let kind = self
            .providers
            .get(provider)
            .ok_or_else(|| ProviderError::UnknownProvider {
                key: key.to_string(),
                provider: provider.to_string(),
                known: self.providers.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        let unresolved = |reason: String| ProviderError::Unresolved {
            key: key.to_string(),
            reason,
        };
        match kind {
            ProviderKind::Env => {
                std::env::var(name).map_err(|_| unresolved(format!("environment variable '{name}' is not set")))
            }
            ProviderKind::File => {
                let values = read_properties_file(Path::new(path)).map_err(|e| unresolved(e.to_string()))?;
                values
                    .get(name)
                    .cloned()
                    .ok_or_else(|| unresolved(format!("'{path}' has no key '{name}'")))
            }
            ProviderKind::Directory => std::fs::read_to_string(Path::new(path).join(name))
                .map_err(|e| unresolved(format!("cannot read '{path}/{name}': {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn env_reference_is_replaced_inside_text() {
        std::env::set_var("TRIBUTARY_TEST_PROVIDER_USER", "alice");
        let providers = ConfigProviders::default();
        let resolved = providers
            .resolve(&map(&[(
                "url",
                "jdbc:postgresql://db/x?user=${env:TRIBUTARY_TEST_PROVIDER_USER}&ssl=1",
            )]))
            .unwrap();
        assert_eq!(resolved["url"], "jdbc:postgresql://db/x?user=alice&ssl=1");
    }

    #[test]
    fn file_and_directory_references() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets.properties");
        std::fs::write(&secrets, "password=s3cr:et\n").unwrap();
        std::fs::write(dir.path().join("token"), "abc").unwrap();
        let providers = ConfigProviders::default();
        let value = format!("${{file:{}:password}}", secrets.display());
        assert_eq!(providers.resolve_value("p", &value).unwrap(), "s3cr:et");
        let value = format!("${{directory:{}:token}}", dir.path().display());
        assert_eq!(providers.resolve_value("t", &value).unwrap(), "abc");
    }

    #[test]
    fn declared_providers_take_apache_class_names() {
        std::env::set_var("TRIBUTARY_TEST_PROVIDER_DECLARED", "v");
        let worker = map(&[
            ("config.providers", "strimzienv"),
            (
                "config.providers.strimzienv.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
        ]);
        let providers = ConfigProviders::from_worker_config(&worker).unwrap();
        assert_eq!(
            providers
                .resolve_value("k", "${strimzienv:TRIBUTARY_TEST_PROVIDER_DECLARED}")
                .unwrap(),
            "v"
        );
    }

    #[test]
    fn unknown_provider_is_an_error() {
        let error = ConfigProviders::default()
            .resolve_value("k", "${vault:secret/x:y}")
            .unwrap_err();
        assert!(matches!(error, ProviderError::UnknownProvider { ref provider, .. } if provider == "vault"));
        assert!(error.to_string().contains("unknown config provider 'vault'"));
    }

    #[test]
    fn unsupported_provider_class_is_an_error() {
        let worker = map(&[
            ("config.providers", "x"),
            ("config.providers.x.class", "com.example.Vault"),
        ]);
        assert!(ConfigProviders::from_worker_config(&worker).is_err());
    }

    #[test]
    fn missing_values_are_errors() {
        let providers = ConfigProviders::default();
        assert!(providers
            .resolve_value("k", "${env:TRIBUTARY_TEST_SURELY_UNSET_VAR}")
            .is_err());
        assert!(providers
            .resolve_value("k", "${file:/nonexistent/x.properties:a}")
            .is_err());
    }

    #[test]
    fn text_without_references_is_unchanged() {
        assert_eq!(
            ConfigProviders::default()
                .resolve_value("k", "plain $ {x} text")
                .unwrap(),
            "plain $ {x} text"
        );
    }

    #[test]
    fn task_configs_get_the_connector_references_back() {
        let raw: ConfigMap = [
            ("topic", "${file:/s.properties:topic}"),
            ("file", "/plain/path"),
            ("password", "x-${env:PW}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut tasks: Vec<ConfigMap> = vec![
            [("topic", "orders"), ("file", "/plain/path"), ("task.id", "0")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            [("password", "x-secret")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ];
        restore_references(&raw, &mut tasks);
        assert_eq!(tasks[0]["topic"], "${file:/s.properties:topic}");
        assert_eq!(tasks[0]["file"], "/plain/path");
        assert_eq!(tasks[0]["task.id"], "0");
        assert_eq!(tasks[1]["password"], "x-${env:PW}");
        assert!(!tasks[1].contains_key("topic"), "keys are not added");
    }
}
