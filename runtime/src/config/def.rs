//! Typed config definitions, the counterpart of Apache Kafka's `ConfigDef`.
//!
//! A connector, converter or transform declares its keys once; that declaration validates a
//! config (one message per bad key), applies defaults, parses typed values, and is what the
//! REST API shows under `GET /connector-plugins/{p}/config`.

use serde::Serialize;

use super::{ConfigMap, Key, KeyValue};

/// The type of a config value, named as Apache Kafka names them in REST output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConfigType {
    /// `true` or `false` (case-insensitive).
    Boolean,
    /// Any text.
    String,
    /// A 16-bit integer (replication factors).
    Short,
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer.
    Long,
    /// A floating-point number.
    Double,
    /// A comma-separated list.
    List,
    /// A plugin class name.
    Class,
    /// Text never shown back (rendered as `[hidden]`).
    Password,
}

/// How much a key matters, as in Apache Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Importance {
    /// Most users set it.
    High,
    /// Some users set it.
    Medium,
    /// Rarely set.
    Low,
}

/// How wide a UI shows a key's field, as in Apache Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Width {
    /// No preference.
    None,
    /// A short field.
    Short,
    /// A medium field.
    Medium,
    /// A long field.
    Long,
}

/// How a UI shows a key: Apache's `orderInGroup`, `width` and `displayName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// Its place in its group.
    pub order: i32,
    /// How wide its field is.
    pub width: Width,
    /// Its label.
    pub name: &'static str,
}

/// A check on a value beyond its type; returns the reason it is wrong.
pub type Validator = fn(&str) -> Result<(), String>;

/// One config key's declaration.
#[derive(Debug, Clone)]
pub struct ConfigKey {
    /// The key.
    pub name: &'static str,
    /// Its type.
    pub config_type: ConfigType,
    /// Whether a value must be given.
    pub required: bool,
    /// Its default, `None` when it has none (a required key, or Apache's `null` default).
    pub default: Option<&'static str>,
    /// How much it matters.
    pub importance: Importance,
    /// What it does.
    pub documentation: &'static str,
    /// The values it takes, when it takes only some (shown as recommended values).
    pub allowed: &'static [&'static str],
    /// An extra check.
    pub validator: Option<Validator>,
    /// The group it is shown in (`Common`, `Transforms`…); the plugin's own keys have none.
    pub group: Option<&'static str>,
    /// How a UI shows it; without it, numbered in its group in declaration order (from 1),
    /// with no width and its name as label.
    pub display: Option<Display>,
}

impl ConfigKey {
    /// A key of `config_type` with no default (required), MEDIUM importance.
    pub const fn required(name: &'static str, config_type: ConfigType, documentation: &'static str) -> Self {
        ConfigKey {
            name,
            config_type,
            required: true,
            default: None,
            importance: Importance::High,
            documentation,
            allowed: &[],
            validator: None,
            group: None,
            display: None,
        }
    }

    /// An optional key of `config_type` whose default is unset (Apache's `null` default).
    pub const fn unset(name: &'static str, config_type: ConfigType, documentation: &'static str) -> Self {
        ConfigKey {
            required: false,
            importance: Importance::Medium,
            ..ConfigKey::required(name, config_type, documentation)
        }
    }

    /// Shows the key in `group`.
    pub const fn in_group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }

    /// A key of `config_type` with a default.
    pub const fn optional(
        name: &'static str,
        config_type: ConfigType,
        default: &'static str,
        documentation: &'static str,
    ) -> Self {
        ConfigKey {
            name,
            config_type,
            required: false,
            default: Some(default),
            importance: Importance::Medium,
            documentation,
            allowed: &[],
            validator: None,
            group: None,
            display: None,
        }
    }

    /// Restricts the key to `allowed` values (compared case-insensitively).
    pub const fn one_of(mut self, allowed: &'static [&'static str]) -> Self {
        self.allowed = allowed;
        self
    }

    /// Adds a check.
    pub const fn check(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Shows the key at `order` in its group, `width` wide, labelled `name`.
    pub const fn shown(mut self, order: i32, width: Width, name: &'static str) -> Self {
        self.display = Some(Display { order, width, name });
        self
    }

    /// Sets the importance.
    pub const fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    /// The errors of `value` for this key, which the messages call `name`.
    fn errors(&self, name: &str, value: Option<&str>) -> Vec<String> {
        let Some(value) = value else {
            return if self.required {
                vec![format!(
                    "Missing required configuration \"{name}\" which has no default value."
                )]
            } else {
                Vec::new()
            };
        };
        let mut errors = Vec::new();
        // A password is never repeated back, as in Apache's messages.
        let shown = if self.config_type == ConfigType::Password {
            "[hidden]"
        } else {
            value
        };
        let bad_type = |kind: &str| format!("Invalid value {shown} for configuration {name}: Not a {kind}");
        let type_ok = match self.config_type {
            ConfigType::Boolean => {
                value.trim().eq_ignore_ascii_case("true") || value.trim().eq_ignore_ascii_case("false")
            }
            ConfigType::Short => value.trim().parse::<i16>().is_ok(),
            ConfigType::Int => value.trim().parse::<i32>().is_ok(),
            ConfigType::Long => value.trim().parse::<i64>().is_ok(),
            ConfigType::Double => value.trim().parse::<f64>().is_ok(),
            ConfigType::String | ConfigType::List | ConfigType::Class | ConfigType::Password => true,
        };
        if !type_ok {
            // Apache's messages (`ConfigDef.parseType`).
            errors.push(match self.config_type {
                ConfigType::Boolean => {
                    format!("Invalid value {shown} for configuration {name}: Expected value to be either true or false")
                }
                ConfigType::Short => bad_type("number of type SHORT"),
                ConfigType::Int => bad_type("number of type INT"),
                ConfigType::Long => bad_type("number of type LONG"),
                _ => bad_type("number of type DOUBLE"),
            });
            return errors;
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a.eq_ignore_ascii_case(value.trim())) {
            errors.push(format!(
                "Invalid value {shown} for configuration {name}: String must be one of: {}",
                self.allowed.join(", ")
            ));
        }
        if let Some(validator) = self.validator {
            if let Err(reason) = validator(value) {
                errors.push(format!("Invalid value {shown} for configuration {name}: {reason}"));
            }
        }
        errors
    }
}

/// A config key's problem, found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The key.
    pub key: String,
    /// Why its value is wrong.
    pub message: String,
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A set of config keys.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` (replacing a key of the same name).
    pub fn define(mut self, key: ConfigKey) -> Self {
        self.keys.retain(|k| k.name != key.name);
        self.keys.push(key);
        self
    }

    /// Adds the typed `key` (replacing a key of the same name).
    pub fn key<T: KeyValue>(self, key: &Key<T>) -> Self {
        self.define(key.def().clone())
    }

    /// Adds every key of `other`.
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        for key in &other.keys {
            self = self.define(key.clone());
        }
        self
    }

    /// The keys, in declaration order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// Each declared key's problems with `config`, in declaration order.
    pub fn validate(&self, config: &ConfigMap) -> Vec<ValidationError> {
        self.validate_under(config, "")
    }

    /// Each declared key's problems with the value `config` has under the key's name after
    /// `prefix` (a transformation's keys under `transforms.<alias>.`), named so: Apache's
    /// validation of a plugin's keys embedded in a connector's.
    pub fn validate_under(&self, config: &ConfigMap, prefix: &str) -> Vec<ValidationError> {
        self.keys
            .iter()
            .flat_map(|key| {
                let name = format!("{prefix}{}", key.name);
                key.errors(&name, config.get(&name).map(String::as_str))
                    .into_iter()
                    .map(move |message| ValidationError {
                        key: name.clone(),
                        message,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// `config` with defaults filled in, not validated: for settings whose validation is
    /// reported on its own (a worker's, at start-up), a value of the wrong type reading as its
    /// type's empty value meanwhile.
    pub fn with_defaults(&self, config: &ConfigMap) -> ParsedConfig {
        let mut values = config.clone();
        for key in &self.keys {
            if let Some(default) = key.default {
                values
                    .entry(key.name.to_string())
                    .or_insert_with(|| default.to_string());
            }
        }
        ParsedConfig { values }
    }

    /// [`ConfigDef::parse`] with its problems told in one message, joined by `; ` (for a
    /// plugin made from its settings).
    pub fn parse_or_explain(&self, config: &ConfigMap) -> Result<ParsedConfig, String> {
        self.parse(config)
            .map_err(|errors| errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "))
    }

    /// Validates `config` and returns it with defaults filled in, ready for typed reads.
    pub fn parse(&self, config: &ConfigMap) -> Result<ParsedConfig, Vec<ValidationError>> {
        let errors = self.validate(config);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(self.with_defaults(config))
    }
}

/// A validated config with defaults applied, read through typed keys
/// ([`ParsedConfig::value`]); reads cannot fail.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    values: ConfigMap,
}

impl ParsedConfig {
    /// The value of the typed `key`.
    pub fn value<T: KeyValue>(&self, key: &Key<T>) -> T {
        T::read(self.get(key.name()))
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every value, defaults included.
    pub fn values(&self) -> &ConfigMap {
        &self.values
    }
}

/// A [`Validator`] of counts, sizes and times that must be at least 1 (Apache's
/// `Range.atLeast(1)`, and its message).
pub fn positive(value: &str) -> Result<(), String> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(()),
        _ => Err("Value must be at least 1".to_string()),
    }
}

/// A [`Validator`] of text that must not be empty or blank.
pub fn not_blank(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_string())
    } else {
        Ok(())
    }
}

/// A value of `config_type` as Apache's REST answers show it (`ConfigDef.convertToString` of the
/// parsed value): a list's items trimmed and joined with bare commas, anything else as it is.
pub fn shown_value(config_type: ConfigType, value: &str) -> String {
    match config_type {
        ConfigType::List => value.trim().split(',').map(str::trim).collect::<Vec<_>>().join(","),
        _ => value.to_string(),
    }
}

/// Splits a comma-separated list value the way Apache Kafka does.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::required("topic", ConfigType::String, "the topic"))
            .define(ConfigKey::optional(
                "batch.size",
                ConfigType::Int,
                "2000",
                "lines a poll",
            ))
            .define(ConfigKey::optional("mode", ConfigType::String, "bulk", "mode").one_of(&["bulk", "incrementing"]))
    }

    #[test]
    fn keys_under_a_prefix_are_named_with_it() {
        let config: ConfigMap = [("transforms.t.batch.size", "lots"), ("batch.size", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let errors = def().validate_under(&config, "transforms.t.");
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.key.as_str(), e.message.as_str())).collect();
        assert_eq!(
            found,
            [
                (
                    "transforms.t.topic",
                    "Missing required configuration \"transforms.t.topic\" which has no default value."
                ),
                (
                    "transforms.t.batch.size",
                    "Invalid value lots for configuration transforms.t.batch.size: Not a number of type INT"
                ),
            ]
        );
    }

    #[test]
    fn each_bad_key_gets_its_own_message() {
        let config: ConfigMap = [("batch.size", "lots"), ("mode", "weird")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let errors = def().validate(&config);
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["topic", "batch.size", "mode"]);
        assert!(errors[0].message.contains("Missing required configuration \"topic\""));
        assert!(errors[1].message.contains("Not a number of type INT"));
        assert!(errors[2].message.contains("must be one of: bulk, incrementing"));
    }

    #[test]
    fn parse_applies_defaults() {
        let config: ConfigMap = [("topic".to_string(), "t".to_string())].into_iter().collect();
        let parsed = def().parse(&config).unwrap();
        assert_eq!(parsed.get("batch.size"), Some("2000"));
        assert_eq!(parsed.get("mode"), Some("bulk"));
    }

    #[test]
    fn passwords_are_not_repeated_in_messages() {
        fn never(_: &str) -> Result<(), String> {
            Err("too short".into())
        }
        let def = ConfigDef::new().define(ConfigKey::optional("secret", ConfigType::Password, "", "s").check(never));
        let config: ConfigMap = [("secret".to_string(), "hunter2".to_string())].into_iter().collect();
        let errors = def.validate(&config);
        assert_eq!(
            errors[0].message,
            "Invalid value [hidden] for configuration secret: too short"
        );
    }
}
