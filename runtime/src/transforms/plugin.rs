//! How transformations and predicates register themselves: a [`TransformPlugin`] or
//! [`PredicatePlugin`] submitted with `inventory::submit!` names its classes, its config keys
//! and how it is made from its settings.

use crate::config::{ConfigDef, ConfigMap};
use crate::plugins::{find, named, PluginError};

use super::{Predicate, Transformation};

/// A registered single message transformation.
pub struct TransformPlugin {
    /// Its class name, e.g. `org.apache.kafka.connect.transforms.InsertField$Value`.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its config keys.
    pub config_def: fn() -> ConfigDef,
    /// Makes it from its settings (`transforms.<alias>.` stripped).
    pub create: fn(&ConfigMap) -> Result<Box<dyn Transformation>, String>,
}

/// A registered predicate.
pub struct PredicatePlugin {
    /// Its class name.
    pub class: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its config keys.
    pub config_def: fn() -> ConfigDef,
    /// Makes it from its settings (`predicates.<alias>.` stripped).
    pub create: fn(&ConfigMap) -> Result<Box<dyn Predicate>, String>,
}

inventory::collect!(TransformPlugin);
inventory::collect!(PredicatePlugin);
named!(TransformPlugin, "Transformation");
named!(PredicatePlugin, "Predicate");

/// The transformation plugin `name` designates.
pub fn find_transform(name: &str) -> Result<&'static TransformPlugin, PluginError> {
    find(name)
}

/// The predicate plugin `name` designates.
pub fn find_predicate(name: &str) -> Result<&'static PredicatePlugin, PluginError> {
    find(name)
}

/// Every registered transformation plugin, in no particular order.
pub fn transform_plugins() -> impl Iterator<Item = &'static TransformPlugin> {
    inventory::iter::<TransformPlugin>.into_iter()
}

/// Every registered predicate plugin, in no particular order.
pub fn predicate_plugins() -> impl Iterator<Item = &'static PredicatePlugin> {
    inventory::iter::<PredicatePlugin>.into_iter()
}
