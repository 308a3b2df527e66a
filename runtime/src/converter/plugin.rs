//! How a converter registers itself: a [`ConverterPlugin`] submitted with `inventory::submit!`
//! names its classes and how it is made from its settings.

use std::sync::Arc;

use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance};
use crate::plugins::{find, named, PluginError};

use super::{Converter, ConverterRole};

/// Makes a converter from its prefix-stripped settings.
pub type ConverterFactory = fn(&ConfigMap, ConverterRole) -> Result<Arc<dyn Converter>, String>;

/// A registered converter.
pub struct ConverterPlugin {
    /// Its class name.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Makes it from its prefix-stripped settings.
    pub create: ConverterFactory,
    /// Its keys, as `GET /connector-plugins/{class}/config` lists them.
    pub config_def: fn() -> ConfigDef,
}

/// `converter.type`, which Apache's worker sets on every converter it makes (`key`, `value` or
/// `header`), and which Apache's converters list first among their keys.
pub(super) const CONVERTER_TYPE: ConfigKey =
    ConfigKey::required("converter.type", ConfigType::String, "How this converter will be used.")
        .one_of(&["key", "value", "header"])
        .importance(Importance::Low);

/// `own` after `converter.type`: the keys of one of Apache's converters.
pub(crate) fn with_converter_type(own: ConfigDef) -> ConfigDef {
    ConfigDef::new().define(CONVERTER_TYPE).merge(&own)
}

/// The keys of a converter with none of its own but `converter.type`.
pub(crate) fn converter_type_only() -> ConfigDef {
    with_converter_type(ConfigDef::new())
}

impl ConverterPlugin {
    /// Whether it serves as `role`'s converter, as Apache lists its plugins: every converter
    /// is a header converter too, and `SimpleHeaderConverter` only a header converter.
    pub fn serves(&self, role: ConverterRole) -> bool {
        role == ConverterRole::Header || !self.class.ends_with("HeaderConverter")
    }
}

inventory::collect!(ConverterPlugin);
named!(ConverterPlugin, "Converter");

/// The converter plugin `name` designates.
pub fn find_converter(name: &str) -> Result<&'static ConverterPlugin, PluginError> {
    find(name)
}

/// Every registered converter plugin, in no particular order.
pub fn converter_plugins() -> impl Iterator<Item = &'static ConverterPlugin> {
    inventory::iter::<ConverterPlugin>.into_iter()
}
