//! Configuration: `.properties` files, config providers, and typed config definitions with
//! per-key validation (the source of `GET /connector-plugins/{p}/config` and of
//! `PUT …/config/validate`).

mod connector_file;
mod def;
mod key;
mod properties;
mod providers;

pub use connector_file::{connector_from_value, read_connector_file, ConnectorFileError};
pub use def::{
    not_blank, positive, shown_value, split_list, ConfigDef, ConfigKey, ConfigType, Display, Importance, ParsedConfig,
    ValidationError, Validator, Width,
};
pub use key::{Key, KeyValue};
pub use properties::{parse_properties, read_properties_file, PropertiesError};
pub use providers::{restore_references, ConfigProviders, ProviderError};

/// A connector's or worker's configuration: string keys to string values, as Kafka Connect
/// stores and serves them.
pub type ConfigMap = std::collections::BTreeMap<String, String>;

/// The settings of `config` under `prefix` (`transforms.<alias>.`, `value.converter.`), the
/// prefix removed: Apache's `originalsWithPrefix`.
pub fn settings_under(config: &ConfigMap, prefix: &str) -> ConfigMap {
    config
        .iter()
        .filter_map(|(key, value)| key.strip_prefix(prefix).map(|rest| (rest.to_string(), value.clone())))
        .collect()
}
