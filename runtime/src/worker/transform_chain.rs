//! The ordered list of a connector's transformations, with their predicates, built from its
//! `transforms` and `predicates` settings and the transformation and predicate plugins they name.

use crate::config::{
    settings_under, split_list, ConfigDef, ConfigKey, ConfigMap, ConfigType, Importance, Key, ValidationError, Width,
};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Value};
use crate::transforms::{find_predicate, find_transform, Predicate, TransformPlugin, Transformation};

/// `transforms`: the aliases of a connector's transformations, in order.
pub const TRANSFORMS: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "transforms",
        ConfigType::List,
        "",
        "Aliases for the transformations to apply, in order.",
    )
    .importance(Importance::Low)
    .in_group("Transforms")
    .shown(12, Width::Long, "Transforms"),
);
/// `predicates`: the aliases of the predicates transformations name.
pub const PREDICATES: Key<Vec<String>> = Key::new(
    ConfigKey::optional(
        "predicates",
        ConfigType::List,
        "",
        "Aliases for the predicates used by transformations.",
    )
    .importance(Importance::Low)
    .in_group("Predicates")
    .shown(13, Width::Long, "Predicates"),
);
/// `transforms.<alias>.predicate`: the alias of the predicate that decides whether the
/// transformation applies.
pub(crate) const TRANSFORM_PREDICATE: Key<Option<String>> = Key::new(ConfigKey::unset(
    "predicate",
    ConfigType::String,
    "The alias of a predicate that decides whether this transformation applies.",
));
/// `transforms.<alias>.negate`: whether the predicate's answer is reversed.
pub(crate) const TRANSFORM_NEGATE: Key<bool> = Key::new(ConfigKey::optional(
    "negate",
    ConfigType::Boolean,
    "false",
    "Whether the predicate's answer is reversed.",
));

/// A transformation's keys as a connector embeds them: its own, and whether a predicate
/// decides if it applies.
pub(crate) fn transform_config_def(plugin: &TransformPlugin) -> ConfigDef {
    (plugin.config_def)().key(&TRANSFORM_PREDICATE).key(&TRANSFORM_NEGATE)
}

struct Step {
    alias: String,
    transform: Box<dyn Transformation>,
    predicate: Option<(std::sync::Arc<dyn Predicate>, bool)>,
}

/// A connector's transformations, applied in order.
#[derive(Default)]
pub struct TransformChain {
    steps: Vec<Step>,
}

impl std::fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.steps.iter().map(|s| &s.alias)).finish()
    }
}

impl TransformChain {
    /// Whether the chain has no transformation.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Builds the chain a connector config describes; every problem is reported against the
    /// key that causes it.
    pub fn from_config(config: &ConfigMap) -> Result<Self, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let error = |key: String, message: String| ValidationError { key, message };
        let mut predicates = std::collections::BTreeMap::new();
        for alias in split_list(config.get(PREDICATES.name()).map(String::as_str).unwrap_or("")) {
            let type_key = format!("predicates.{alias}.type");
            let Some(class) = config.get(&type_key) else {
                errors.push(error(
                    type_key.clone(),
                    format!("Missing required configuration \"{type_key}\" which has no default value."),
                ));
                continue;
            };
            let prefix = format!("predicates.{alias}.");
            let made = find_predicate(class).map_err(|e| e.to_string()).and_then(|plugin| {
                // Its own keys' problems are theirs, named as the connector names them.
                let problems = (plugin.config_def)().validate_under(config, &prefix);
                if !problems.is_empty() {
                    errors.extend(problems);
                    return Ok(None);
                }
                (plugin.create)(&settings_under(config, &prefix)).map(Some)
            });
            match made {
                Ok(None) => {}
                Ok(Some(predicate)) => {
                    predicates.insert(alias, std::sync::Arc::<dyn Predicate>::from(predicate));
                }
                Err(message) => errors.push(error(
                    type_key,
                    format!("Invalid value {class} for configuration predicates.{alias}.type: {message}"),
                )),
            }
        }
        let mut steps = Vec::new();
        for alias in split_list(config.get(TRANSFORMS.name()).map(String::as_str).unwrap_or("")) {
            let prefix = format!("transforms.{alias}.");
            let type_key = format!("{prefix}type");
            let Some(class) = config.get(&type_key) else {
                errors.push(error(
                    type_key.clone(),
                    format!("Missing required configuration \"{type_key}\" which has no default value."),
                ));
                continue;
            };
            let own = settings_under(config, &prefix);
            let predicate = match TRANSFORM_PREDICATE.read(&own).filter(|p| !p.trim().is_empty()) {
                None => None,
                Some(name) => match predicates.get(name.trim()) {
                    Some(p) => Some((p.clone(), TRANSFORM_NEGATE.read(&own))),
                    None => {
                        errors.push(error(
                            format!("{prefix}predicate"),
                            format!("Invalid value {name} for configuration {prefix}predicate: no predicate with that alias in \"predicates\""),
                        ));
                        None
                    }
                },
            };
            let made = find_transform(class).map_err(|e| e.to_string()).and_then(|plugin| {
                // Its own keys' problems are theirs, named as the connector names them.
                let problems = transform_config_def(plugin).validate_under(config, &prefix);
                if !problems.is_empty() {
                    errors.extend(problems);
                    return Ok(None);
                }
                (plugin.create)(&own).map(Some)
            });
            match made {
                Ok(None) => {}
                Ok(Some(transform)) => steps.push(Step {
                    alias,
                    transform,
                    predicate,
                }),
                Err(message) => errors.push(error(
                    type_key,
                    format!("Invalid value {class} for configuration transforms.{alias}.type: {message}"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(TransformChain { steps })
        } else {
            Err(errors)
        }
    }

    /// Applies every step in order to `record` where it is; `false` once a step drops it.
    ///
    /// A chain without steps leaves the record untouched and costs its caller no copy of it
    /// (a record is 176 bytes: a source task's runner moving each record in and out of the
    /// chain spent 3-5% of a file source's CPU at 100-byte lines on the copies).
    #[inline]
    pub fn apply_in_place(&self, record: &mut ConnectRecord) -> Result<bool, DataError> {
        if self.steps.is_empty() {
            return Ok(true);
        }
        let placeholder = ConnectRecord::new(record.topic.clone(), None, Value::Null);
        match self.apply(std::mem::replace(record, placeholder))? {
            Some(transformed) => {
                *record = transformed;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Applies every step in order; `None` once a step drops the record.
    pub fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        for step in &self.steps {
            if let Some((predicate, negate)) = &step.predicate {
                if predicate.test(&record) == *negate {
                    continue;
                }
            }
            match step.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(e) => return Err(DataError::new(format!("transform '{}' failed: {e}", step.alias))),
            }
        }
        Ok(Some(record))
    }
}
