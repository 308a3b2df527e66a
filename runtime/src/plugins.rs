//! What every plugin registry shares: finding a registered plugin by name, and the errors of
//! finding or making one.
//!
//! Each kind of plugin registers itself with `inventory::submit!` next to the trait it
//! implements: [`crate::connector::ConnectorPlugin`], [`crate::converter::ConverterPlugin`],
//! [`crate::transforms::TransformPlugin`] and [`crate::transforms::PredicatePlugin`], each under
//! its class name and aliases. A name matches a plugin when it equals its class, one of its
//! aliases, or the simple name of either (`FileStreamSource`, `FileStreamSourceConnector`), as
//! Apache Kafka's plugin aliases do. `GET /connector-plugins` and config validation read these
//! same registries.

/// The version every built-in plugin reports.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A plugin that could not be found or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// No plugin of `kind` answers to `name`.
    #[error("Failed to find any class that implements {kind} and which name matches {name}")]
    NotFound {
        /// What was looked for (`Connector`, `Converter`, …).
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The plugin rejected its settings.
    #[error("{class}: {message}")]
    Config {
        /// The plugin's class.
        class: String,
        /// Why.
        message: String,
    },
}

/// A registered plugin's names.
pub(crate) trait Named: Sync + 'static {
    /// What it is, for "not found" messages (`Connector`, `Converter`, …).
    const KIND: &'static str;
    fn class(&self) -> &'static str;
    fn aliases(&self) -> &'static [&'static str];

    /// Whether `name` is the class, an alias, or the simple name of either (also without a
    /// `Connector` suffix).
    fn answers_to(&self, name: &str) -> bool {
        std::iter::once(self.class())
            .chain(self.aliases().iter().copied())
            .any(|candidate| {
                if candidate == name {
                    return true;
                }
                let simple = candidate.rsplit('.').next().unwrap_or(candidate);
                simple == name || simple.strip_suffix("Connector") == Some(name)
            })
    }
}

/// Implements [`Named`] for a registration type with `class` and `aliases` fields.
macro_rules! named {
    ($plugin:ty, $kind:literal) => {
        impl $crate::plugins::Named for $plugin {
            const KIND: &'static str = $kind;
            fn class(&self) -> &'static str {
                self.class
            }
            fn aliases(&self) -> &'static [&'static str] {
                self.aliases
            }
        }
    };
}
pub(crate) use named;

/// The registered plugin of type `P` that `name` designates.
pub(crate) fn find<P: Named>(name: &str) -> Result<&'static P, PluginError>
where
    inventory::iter<P>: IntoIterator<Item = &'static P>,
{
    let name = name.trim();
    inventory::iter::<P>
        .into_iter()
        .find(|p| p.answers_to(name))
        .ok_or_else(|| PluginError::NotFound {
            kind: P::KIND,
            name: name.to_string(),
        })
}
