//! How a converter registers itself: a [`ConverterPlugin`] submitted with `inventory::submit!`
//! names its classes and how it is made from its settings.

use std::sync::Arc;

use crate::config::ConfigMap;
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
