//! `ReplaceField$Key` / `ReplaceField$Value`: keeps (`include`), drops (`exclude`) and renames
//! (`renames=old:new,…`) fields. The older `whitelist`/`blacklist` names are accepted too.

use std::collections::HashMap;

use super::support::{
    expect_map, expect_struct_schema, register_keyed, schema_basics, with_default, SchemaCache, Side,
    REPLACE_NULL_WITH_DEFAULT,
};
use super::Transformation;
use crate::config::{split_list, ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Struct, Value};

/// `exclude` (`blacklist` before Kafka 3).
const EXCLUDE: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "exclude",
    ConfigType::List,
    "",
    "Fields to exclude.",
));
/// `blacklist`, the older name of `exclude`.
const BLACKLIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "blacklist",
    ConfigType::List,
    "",
    "Deprecated. Use exclude instead.",
));
/// `include` (`whitelist` before Kafka 3).
const INCLUDE: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "include",
    ConfigType::List,
    "",
    "Fields to include; all others are dropped.",
));
/// `whitelist`, the older name of `include`.
const WHITELIST: Key<Vec<String>> = Key::new(ConfigKey::optional(
    "whitelist",
    ConfigType::List,
    "",
    "Deprecated. Use include instead.",
));
/// `renames`.
const RENAMES: Key<Vec<String>> = Key::new(
    ConfigKey::optional("renames", ConfigType::List, "", "Field rename mappings, old:new.").check(valid_renames),
);

fn valid_renames(value: &str) -> Result<(), String> {
    let valid = split_list(value).iter().all(|pair| {
        pair.split_once(':')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
    });
    valid
        .then_some(())
        .ok_or_else(|| "Invalid rename mapping, expected old:new".into())
}

/// The keys Apache lists; the older names are read but not listed, as in Apache.
fn config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&EXCLUDE)
        .key(&INCLUDE)
        .key(&RENAMES)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

struct ReplaceField {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: HashMap<String, String>,
    schemas: SchemaCache,
}

fn create(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    // The current name, else the older one.
    let list = |current: &Key<Vec<String>>, older: &Key<Vec<String>>| {
        Some(config.value(current))
            .filter(|items| !items.is_empty())
            .unwrap_or_else(|| config.value(older))
    };
    let renames = config
        .value(&RENAMES)
        .into_iter()
        .filter_map(|pair| pair.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    Ok(Box::new(ReplaceField {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        exclude: list(&EXCLUDE, &BLACKLIST),
        include: list(&INCLUDE, &WHITELIST),
        renames,
        schemas: SchemaCache::default(),
    }))
}

impl ReplaceField {
    fn keeps(&self, field: &str) -> bool {
        !self.exclude.iter().any(|f| f == field) && (self.include.is_empty() || self.include.iter().any(|f| f == field))
    }

    fn renamed<'a>(&'a self, field: &'a str) -> &'a str {
        self.renames.get(field).map(String::as_str).unwrap_or(field)
    }
}

impl Transformation for ReplaceField {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        if self.side.get(&record).1.is_null() {
            return Ok(Some(record));
        }
        let (schema, mut value) = self.side.take(&mut record);
        match schema {
            None => {
                let map = expect_map(&mut value, "field replacement")?;
                let entries = std::mem::take(map);
                *map = entries
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let name = k.as_str()?.to_string();
                        self.keeps(&name)
                            .then(|| (Value::String(self.renamed(&name).to_string()), v))
                    })
                    .collect();
                self.side.set(&mut record, None, value);
            }
            Some(schema) => {
                let schema = expect_struct_schema(&schema, "field replacement")?.clone();
                let updated = self.schemas.get_or_build(&schema, || {
                    let mut builder = schema_basics(&schema);
                    for field in schema.fields.iter().filter(|f| self.keeps(&f.name)) {
                        builder = builder.field(self.renamed(&field.name), field.schema.clone());
                    }
                    Ok(builder.build())
                })?;
                let Value::Struct(old) = value else {
                    return Err(DataError::new("Only Struct objects supported for [field replacement]"));
                };
                let mut new = Struct::new(updated.clone());
                for (field, v) in old.iter().filter(|(f, _)| self.keeps(&f.name)) {
                    new.put(self.renamed(&field.name), with_default(field, v, self.defaults).clone());
                }
                self.side.set(&mut record, Some(updated), Value::Struct(new));
            }
        }
        Ok(Some(record))
    }
}

register_keyed!("ReplaceField", config_def, create);
