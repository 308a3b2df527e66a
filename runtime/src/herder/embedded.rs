//! The keys a connector's validation answer shows beyond the connector's own definition, as
//! Apache's does: each transformation's and predicate's, under `transforms.<alias>.` and
//! `predicates.<alias>.` in a group of their own (`Transforms: <alias>`: its `type`, its
//! `plugin.version`, then its keys by name), and the keys of each converter the connector
//! names, under `key.converter.`, `value.converter.` or `header.converter.`; and the plugins in
//! effect (the worker's converters, the plugins' version) as the answer's defaults.

use crate::config::{split_list, ConfigDef, ConfigMap, ConfigType, Importance, Width};
use crate::converter::{converter_plugins, find_converter, role_settings, ConverterRole};
use crate::plugins::PLUGIN_VERSION;
use crate::transforms::{find_predicate, find_transform, predicate_plugins, transform_plugins};
use crate::worker::{transform_config_def, CONNECTOR_PLUGIN_VERSION, PREDICATES, TRANSFORMS};

use super::entities::{key_infos, ConfigInfos, ConfigKeyInfo};

/// A key shown beside a connector's own, named as the connector names it.
#[derive(Debug, Clone)]
pub struct EmbeddedKey {
    /// Its definition.
    pub info: ConfigKeyInfo,
    /// The connector's value for it, or its default.
    pub value: Option<String>,
    /// The values to offer (plugin classes, versions).
    pub recommended: Vec<String>,
}

/// A kind of plugin a connector lists by alias.
struct Kind {
    /// `transforms` or `predicates`: the list key, and the prefix of its aliases' keys.
    list: &'static str,
    /// `Transforms` or `Predicates`: the start of each alias's group.
    group: &'static str,
    /// `Transformation` or `Predicate`: the start of the `type` and `plugin.version` labels.
    label: &'static str,
    /// Every class of the kind, sorted: what `type` offers.
    classes: Vec<&'static str>,
    /// The keys a plugin of the class embeds, if there is one.
    keys_of: fn(&str) -> Option<ConfigDef>,
}

/// The keys `config` embeds: its transformations', its predicates', its converters'.
pub(super) fn embedded_keys(config: &ConfigMap) -> Vec<EmbeddedKey> {
    let kinds = [
        Kind {
            list: TRANSFORMS.name(),
            group: "Transforms",
            label: "Transformation",
            classes: transform_plugins().map(|p| p.class).collect(),
            keys_of: |class| find_transform(class).ok().map(transform_config_def),
        },
        Kind {
            list: PREDICATES.name(),
            group: "Predicates",
            label: "Predicate",
            classes: predicate_plugins().map(|p| p.class).collect(),
            keys_of: |class| find_predicate(class).ok().map(|plugin| (plugin.config_def)()),
        },
    ];
    let mut keys = Vec::new();
    for mut kind in kinds {
        kind.classes.sort_unstable();
        for alias in split_list(config.get(kind.list).map(String::as_str).unwrap_or("")) {
            let def = config
                .get(&format!("{}.{alias}.type", kind.list))
                .and_then(|class| (kind.keys_of)(class));
            keys.extend(alias_keys(config, &kind, &alias, def));
        }
    }
    for role in [ConverterRole::Key, ConverterRole::Value, ConverterRole::Header] {
        let Some(plugin) = config
            .get(role.config_key())
            .and_then(|class| find_converter(class).ok())
        else {
            continue;
        };
        let settings = role_settings(role, config);
        for info in key_infos(&(plugin.config_def)()) {
            keys.push(EmbeddedKey {
                value: settings.get(&info.name).cloned().or(info.default_value.clone()),
                info: ConfigKeyInfo {
                    name: format!("{}.{}", role.config_key(), info.name),
                    ..info
                },
                recommended: Vec::new(),
            });
        }
    }
    keys
}

/// The keys of one alias of `kind`: its `type`, its `plugin.version`, then the keys of `def`
/// (its plugin's, when its type names one) by name.
fn alias_keys(config: &ConfigMap, kind: &Kind, alias: &str, def: Option<ConfigDef>) -> Vec<EmbeddedKey> {
    let prefix = format!("{}.{alias}.", kind.list);
    let group = format!("{}: {alias}", kind.group);
    let head = |name: &str, config_type, required, default: Option<&str>, label: &str, order| ConfigKeyInfo {
        name: format!("{prefix}{name}"),
        config_type,
        required,
        default_value: default.map(str::to_string),
        importance: Importance::High,
        documentation: format!("{} {name} for {alias}.", kind.label),
        group: Some(group.clone()),
        order_in_group: order,
        width: Width::Long,
        display_name: format!("{} {label} for {alias}", kind.label),
        dependents: Vec::new(),
    };
    let value = |name: &str, default: Option<&str>| {
        config
            .get(&format!("{prefix}{name}"))
            .cloned()
            .or(default.map(str::to_string))
    };
    let mut keys = vec![
        EmbeddedKey {
            info: head("type", ConfigType::Class, true, None, "type", 0),
            value: value("type", None),
            recommended: kind.classes.iter().map(|class| class.to_string()).collect(),
        },
        EmbeddedKey {
            info: head(
                "plugin.version",
                ConfigType::String,
                false,
                Some(PLUGIN_VERSION),
                "version",
                1,
            ),
            value: value("plugin.version", Some(PLUGIN_VERSION)),
            recommended: vec![PLUGIN_VERSION.to_string()],
        },
    ];
    let mut own = def.map(|def| key_infos(&def)).unwrap_or_default();
    own.sort_by(|a, b| a.name.cmp(&b.name));
    for (order, info) in (2..).zip(own) {
        keys.push(EmbeddedKey {
            value: value(&info.name, info.default_value.as_deref()),
            info: ConfigKeyInfo {
                name: format!("{prefix}{}", info.name),
                group: Some(group.clone()),
                order_in_group: order,
                ..info
            },
            recommended: Vec::new(),
        });
    }
    keys
}

/// Shows the plugins in effect as Apache's answer does: `key.converter`, `value.converter` and
/// `header.converter` default to the worker's (or Connect's default) and offer every class of
/// their kind, and each plugin version key (the connector's, its converters') offers the
/// plugins' version, the converters' defaulting to it.
pub(super) fn show_plugins_in_effect(infos: &mut ConfigInfos, worker: &ConfigMap) {
    let mut converters: Vec<_> = converter_plugins().collect();
    converters.sort_unstable_by_key(|p| p.class);
    for config in &mut infos.configs {
        let name = config.value.name.as_str();
        let role = [ConverterRole::Key, ConverterRole::Value, ConverterRole::Header]
            .into_iter()
            .find(|role| {
                name.strip_prefix(role.config_key())
                    .is_some_and(|rest| rest.is_empty() || rest == ".plugin.version")
            });
        let default = match role {
            Some(role) if name == role.config_key() => {
                config.value.recommended_values = converters
                    .iter()
                    .filter(|p| p.serves(role))
                    .map(|p| p.class.to_string())
                    .collect();
                worker.get(name).map(String::as_str).unwrap_or(role.default_class())
            }
            Some(_) => {
                config.value.recommended_values = vec![PLUGIN_VERSION.to_string()];
                PLUGIN_VERSION
            }
            None if name == CONNECTOR_PLUGIN_VERSION.name() => {
                config.value.recommended_values = vec![PLUGIN_VERSION.to_string()];
                continue;
            }
            None => continue,
        };
        if let Some(definition) = &mut config.definition {
            definition.default_value = Some(default.to_string());
        }
        config.value.value.get_or_insert_with(|| default.to_string());
    }
}
