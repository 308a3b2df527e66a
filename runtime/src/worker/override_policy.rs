//! `connector.client.config.override.policy`: which Kafka client settings a connector's
//! `producer.override.*`, `consumer.override.*` and `admin.override.*` keys may set, as
//! Apache's policies: `All` (the default) any, `None` none, `Principal` only the client's
//! identity (`sasl.jaas.config`, `sasl.mechanism`, `security.protocol`). A refused override is
//! a validation error under its key, and fails a task whose stored config has one (a config
//! accepted before the worker's policy changed), and a source connector object, whose offset
//! store's clients Apache's worker sets up, as Apache's.

use crate::client::ClientKind;
use crate::config::{ConfigMap, ValidationError};
use crate::connector::ConnectError;

/// Apache's name of the policy classes' interface, the suffix of their simple names.
const CLASS_SUFFIX: &str = "ConnectorClientConfigOverridePolicy";
/// Apache's package of the policy classes.
const CLASS_PACKAGE: &str = "org.apache.kafka.connect.connector.policy.";
/// The settings `Principal` lets a connector override.
const PRINCIPAL_SETTINGS: [&str; 3] = ["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

/// A worker's policy for connectors' client overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverridePolicy {
    /// Any setting may be overridden.
    #[default]
    All,
    /// No setting may be.
    None,
    /// Only the client's principal.
    Principal,
}

impl OverridePolicy {
    /// The policy `value` names: `All`, `None` or `Principal`, or the class name (simple or
    /// full) of Apache's policy, as Apache's plugin aliases take it.
    pub fn parse(value: &str) -> Option<Self> {
        let name = value.trim();
        let name = name.strip_prefix(CLASS_PACKAGE).unwrap_or(name);
        let name = name.strip_suffix(CLASS_SUFFIX).unwrap_or(name);
        match name {
            "All" => Some(OverridePolicy::All),
            "None" => Some(OverridePolicy::None),
            "Principal" => Some(OverridePolicy::Principal),
            _ => None,
        }
    }

    /// The worker setting's check.
    pub fn validate(value: &str) -> Result<(), String> {
        match OverridePolicy::parse(value) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Class {} could not be found (the policies are All, None and Principal).",
                value.trim()
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            OverridePolicy::All => "All",
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
        }
    }

    fn allows(self, setting: &str) -> bool {
        match self {
            OverridePolicy::All => true,
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL_SETTINGS.contains(&setting),
        }
    }

    /// The `<kind>.override.*` keys of `config` the policy refuses, with Apache's message.
    pub fn refusals(self, config: &ConfigMap, kind: ClientKind) -> Vec<ValidationError> {
        let prefix = format!("{}.override.", kind.prefix());
        config
            .keys()
            .filter_map(|key| {
                let setting = key.strip_prefix(&prefix)?;
                (!self.allows(setting)).then(|| ValidationError {
                    key: key.clone(),
                    message: format!(
                        "The '{}' policy does not allow '{setting}' to be overridden in the connector configuration.",
                        self.name()
                    ),
                })
            })
            .collect()
    }

    /// Apache's check when a client of `kind` is set up (the stored config was validated, but
    /// the worker's policy may have changed since): an error naming the refused overrides.
    pub fn check(self, config: &ConfigMap, kind: ClientKind) -> Result<(), ConnectError> {
        let refused = self.refusals(config, kind);
        if refused.is_empty() {
            return Ok(());
        }
        let reasons: Vec<&str> = refused.iter().map(|e| e.message.as_str()).collect();
        Err(ConnectError::fatal(format!(
            "Client Config Overrides not allowed: {}",
            reasons.join(" ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(keys: &[&str]) -> ConfigMap {
        keys.iter().map(|k| (k.to_string(), "x".to_string())).collect()
    }

    #[test]
    fn policies_are_named_by_alias_or_class() {
        assert_eq!(OverridePolicy::parse("None"), Some(OverridePolicy::None));
        assert_eq!(
            OverridePolicy::parse(
                "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy"
            ),
            Some(OverridePolicy::Principal)
        );
        assert_eq!(
            OverridePolicy::parse("AllConnectorClientConfigOverridePolicy"),
            Some(OverridePolicy::All)
        );
        assert!(OverridePolicy::validate("Some").is_err());
    }

    #[test]
    fn each_policy_refuses_what_apaches_does() {
        let overrides = config(&[
            "producer.override.acks",
            "producer.override.sasl.jaas.config",
            "consumer.override.max.poll.records",
            "topic",
        ]);
        assert!(OverridePolicy::All
            .refusals(&overrides, ClientKind::Producer)
            .is_empty());
        let none = OverridePolicy::None.refusals(&overrides, ClientKind::Producer);
        let keys: Vec<&str> = none.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["producer.override.acks", "producer.override.sasl.jaas.config"]);
        assert_eq!(
            none[0].message,
            "The 'None' policy does not allow 'acks' to be overridden in the connector configuration."
        );
        let principal = OverridePolicy::Principal.refusals(&overrides, ClientKind::Producer);
        assert_eq!(principal.len(), 1);
        assert_eq!(principal[0].key, "producer.override.acks");
        assert_eq!(OverridePolicy::None.refusals(&overrides, ClientKind::Consumer).len(), 1);
        assert!(OverridePolicy::None.refusals(&overrides, ClientKind::Admin).is_empty());
    }
}
