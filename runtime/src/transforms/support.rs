//! What the transformations share: which side of a record they work on, a cache of derived
//! schemas, a schema's basics and a struct's fields copied as Connect copies them
//! (`copySchemaBasics`, `Struct.get` and `replace.null.with.default`), and registration of
//! `$Key`/`$Value` variants under Apache's class names.

use std::sync::{Arc, Mutex};

use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Field, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

/// The part of a record a `$Key` or `$Value` transformation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl Side {
    /// The schema and value of this side.
    pub(crate) fn get(self, record: &ConnectRecord) -> (Option<&Arc<Schema>>, &Value) {
        match self {
            Side::Key => (record.key_schema.as_deref(), &record.key),
            Side::Value => (record.value_schema.as_deref(), &record.value),
        }
    }

    /// Takes the schema and value out of this side.
    pub(crate) fn take(self, record: &mut ConnectRecord) -> (Option<Arc<Schema>>, Value) {
        match self {
            Side::Key => (
                record.key_schema.take().map(SchemaRef::into_arc),
                std::mem::take(&mut record.key),
            ),
            Side::Value => (
                record.value_schema.take().map(SchemaRef::into_arc),
                std::mem::take(&mut record.value),
            ),
        }
    }

    /// Sets this side.
    pub(crate) fn set(self, record: &mut ConnectRecord, schema: Option<Arc<Schema>>, value: Value) {
        match self {
            Side::Key => {
                record.key_schema = schema.map(SchemaRef::from);
                record.key = value;
            }
            Side::Value => {
                record.value_schema = schema.map(SchemaRef::from);
                record.value = value;
            }
        }
    }

    /// `key` or `value`, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::Key => "key",
            Side::Value => "value",
        }
    }
}

/// Derived schemas by input schema, so a transformation builds each output schema once.
#[derive(Default)]
pub(crate) struct SchemaCache {
    entries: Mutex<Vec<(Arc<Schema>, Arc<Schema>)>>,
}

impl SchemaCache {
    /// The schema derived from `input`, building it with `build` the first time.
    pub(crate) fn get_or_build(
        &self,
        input: &Arc<Schema>,
        build: impl FnOnce() -> Result<Arc<Schema>, DataError>,
    ) -> Result<Arc<Schema>, DataError> {
        if let Ok(entries) = self.entries.lock() {
            if let Some((_, found)) = entries.iter().find(|(k, _)| Arc::ptr_eq(k, input) || k == input) {
                return Ok(found.clone());
            }
        }
        let built = build()?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= 32 {
                entries.remove(0);
            }
            entries.push((input.clone(), built.clone()));
        }
        Ok(built)
    }
}

/// A builder of `schema`'s type (its items' and keys' schemas for an array or a map, no
/// fields for a struct) with its name, version, doc and parameters: Connect's
/// `SchemaUtil.copySchemaBasics`, which leaves out optionality and the default, so that
/// InsertField, ReplaceField and Flatten make an optional struct required, as Apache's do (Cast
/// and TimestampConverter keep it: [`optional_like`]).
pub(crate) fn schema_basics(schema: &Schema) -> SchemaBuilder {
    let builder = match schema.schema_type {
        SchemaType::Array => SchemaBuilder::array(schema.value_schema.clone().unwrap_or_else(Schema::optional_string)),
        SchemaType::Map => SchemaBuilder::map(
            schema.key_schema.clone().unwrap_or_else(Schema::optional_string),
            schema.value_schema.clone().unwrap_or_else(Schema::optional_string),
        ),
        other => SchemaBuilder::new(other),
    };
    let mut builder = builder.name_opt(schema.name.clone()).version_opt(schema.version);
    if let Some(doc) = &schema.doc {
        builder = builder.doc(doc);
    }
    for (key, value) in schema.parameters.iter().flatten() {
        builder = builder.parameter(key, value);
    }
    builder
}

/// A struct schema with `schema`'s basics ([`schema_basics`]) and fields, then `extra`.
pub(crate) fn with_fields_added<'a>(
    schema: &Schema,
    extra: impl IntoIterator<Item = (&'a str, Arc<Schema>)>,
) -> Arc<Schema> {
    let mut builder = schema_basics(schema);
    for field in &schema.fields {
        builder = builder.field(&field.name, field.schema.clone());
    }
    for (name, field_schema) in extra {
        builder = builder.field(name, field_schema);
    }
    builder.build()
}

/// `builder`, optional when `schema` is.
pub(crate) fn optional_like(builder: SchemaBuilder, schema: &Schema) -> SchemaBuilder {
    if schema.optional {
        builder.optional()
    } else {
        builder
    }
}

/// `replace.null.with.default` (KIP-1040), which Apache's transformations that copy a struct's
/// fields take.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: Key<bool> = Key::new(ConfigKey::optional(
    "replace.null.with.default",
    ConfigType::Boolean,
    "true",
    "Whether a null field is copied as its schema's default.",
));

/// `value` of `field`, or, when `defaults` (`replace.null.with.default`), the field's default
/// for a null: what Connect's `Struct.get` gives, and `getWithoutDefault` otherwise.
pub(crate) fn with_default<'a>(field: &'a Field, value: &'a Value, defaults: bool) -> &'a Value {
    match (value, &field.schema.default) {
        (Value::Null, Some(default)) if defaults => default,
        _ => value,
    }
}

/// A struct of `schema` holding `old`'s values for the fields both have (see
/// [`with_default`]).
pub(crate) fn copy_struct(old: &Struct, schema: Arc<Schema>, defaults: bool) -> Struct {
    let mut new = Struct::new(schema);
    for (field, value) in old.iter() {
        new.put(&field.name, with_default(field, value, defaults).clone());
    }
    new
}

/// The error Apache gives when a schemaless transformation meets something other than a map.
pub(crate) fn expect_map<'a>(value: &'a mut Value, purpose: &str) -> Result<&'a mut Vec<(Value, Value)>, DataError> {
    let kind = value.kind();
    match value {
        Value::Map(entries) => Ok(entries),
        _ => Err(DataError::new(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {kind}"
        ))),
    }
}

/// The error Apache gives when a transformation with a schema meets something other than a
/// struct.
pub(crate) fn expect_struct_schema<'a>(schema: &'a Arc<Schema>, purpose: &str) -> Result<&'a Arc<Schema>, DataError> {
    if schema.schema_type == crate::data::SchemaType::Struct {
        Ok(schema)
    } else {
        Err(DataError::new(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            schema.schema_type.name()
        )))
    }
}

/// A transformation's settings parsed through its `ConfigDef` (defaults applied, each bad key
/// one message).
pub(crate) fn parsed(config_def: fn() -> ConfigDef, settings: &ConfigMap) -> Result<ParsedConfig, String> {
    config_def().parse_or_explain(settings)
}

/// Registers `X$Key` and `X$Value` under Apache's class names, built by
/// `$create(&parsed, Side)` from the settings parsed through `$config_def`.
macro_rules! register_keyed {
    ($name:literal, $config_def:path, $create:path) => {
        inventory::submit! {
            $crate::transforms::TransformPlugin {
                class: concat!("org.apache.kafka.connect.transforms.", $name, "$Key"),
                aliases: &[],
                config_def: $config_def,
                create: |settings| {
                    let parsed = $crate::transforms::support::parsed($config_def, settings)?;
                    $create(&parsed, $crate::transforms::support::Side::Key)
                },
            }
        }
        inventory::submit! {
            $crate::transforms::TransformPlugin {
                class: concat!("org.apache.kafka.connect.transforms.", $name, "$Value"),
                aliases: &[],
                config_def: $config_def,
                create: |settings| {
                    let parsed = $crate::transforms::support::parsed($config_def, settings)?;
                    $create(&parsed, $crate::transforms::support::Side::Value)
                },
            }
        }
    };
}

/// Registers a transformation with no key/value variants under Apache's class name.
macro_rules! register {
    ($name:literal, $config_def:path, $create:path) => {
        inventory::submit! {
            $crate::transforms::TransformPlugin {
                class: concat!("org.apache.kafka.connect.transforms.", $name),
                aliases: &[],
                config_def: $config_def,
                create: |settings| $create(&$crate::transforms::support::parsed($config_def, settings)?),
            }
        }
    };
}

pub(crate) use {register, register_keyed};
