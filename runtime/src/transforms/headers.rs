//! Header transformations: `InsertHeader` (a literal header), `DropHeaders` (by name) and
//! `HeaderFrom$Key` / `HeaderFrom$Value` (copy or move fields into headers).

use super::support::{
    copy_struct, register, register_keyed, schema_basics, with_default, SchemaCache, Side, REPLACE_NULL_WITH_DEFAULT,
};
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::{ConnectRecord, Header, SchemaRef, Value};

/// `header` (InsertHeader).
const HEADER: Key<String> = Key::new(ConfigKey::required(
    "header",
    ConfigType::String,
    "The name of the header.",
));
/// `value.literal` (InsertHeader).
const VALUE_LITERAL: Key<String> = Key::new(ConfigKey::required(
    "value.literal",
    ConfigType::String,
    "The literal value that is to be set as the header value on all records.",
));

fn insert_config_def() -> ConfigDef {
    ConfigDef::new().key(&HEADER).key(&VALUE_LITERAL)
}

struct InsertHeader {
    header: String,
    value: String,
}

fn create_insert(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(InsertHeader {
        header: config.value(&HEADER),
        value: config.value(&VALUE_LITERAL),
    }))
}

impl Transformation for InsertHeader {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        record.headers.push(Header {
            key: self.header.clone(),
            schema: Some(SchemaRef::string()),
            value: Value::String(self.value.clone()),
        });
        Ok(Some(record))
    }
}

register!("InsertHeader", insert_config_def, create_insert);

/// `headers` (DropHeaders).
const DROPPED_HEADERS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "headers",
    ConfigType::List,
    "The name of the headers to be removed.",
));

fn drop_config_def() -> ConfigDef {
    ConfigDef::new().key(&DROPPED_HEADERS)
}

struct DropHeaders {
    headers: Vec<String>,
}

fn create_drop(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(DropHeaders {
        headers: config.value(&DROPPED_HEADERS),
    }))
}

impl Transformation for DropHeaders {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        record.headers.retain(|h| !self.headers.contains(&h.key));
        Ok(Some(record))
    }
}

register!("DropHeaders", drop_config_def, create_drop);

/// `fields` (HeaderFrom).
const FROM_FIELDS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "fields",
    ConfigType::List,
    "Field names in the record whose values are to be copied or moved to headers.",
));
/// `headers` (HeaderFrom).
const TO_HEADERS: Key<Vec<String>> = Key::new(ConfigKey::required(
    "headers",
    ConfigType::List,
    "Header names, in the same order as the field names listed in the fields configuration property.",
));
/// `operation` (HeaderFrom).
const OPERATION: Key<String> = Key::new(
    ConfigKey::required(
        "operation",
        ConfigType::String,
        "Either move if the fields are to be moved to the headers (removed from the key/value), or copy if the fields are to be copied to the headers (retained in the key/value).",
    )
    .one_of(&["move", "copy"]),
);

fn from_config_def() -> ConfigDef {
    ConfigDef::new()
        .key(&FROM_FIELDS)
        .key(&TO_HEADERS)
        .key(&OPERATION)
        .key(&REPLACE_NULL_WITH_DEFAULT)
}

struct HeaderFrom {
    side: Side,
    /// `replace.null.with.default`: a null field copied as its default.
    defaults: bool,
    fields: Vec<String>,
    headers: Vec<String>,
    moving: bool,
    schemas: SchemaCache,
}

fn create_from(config: &ParsedConfig, side: Side) -> Result<Box<dyn Transformation>, String> {
    let fields = config.value(&FROM_FIELDS);
    let headers = config.value(&TO_HEADERS);
    if fields.len() != headers.len() {
        return Err("'fields' config must have the same number of elements as 'headers' config.".into());
    }
    Ok(Box::new(HeaderFrom {
        side,
        defaults: config.value(&REPLACE_NULL_WITH_DEFAULT),
        fields,
        headers,
        moving: config.value(&OPERATION).trim().eq_ignore_ascii_case("move"),
        schemas: SchemaCache::default(),
    }))
}

impl Transformation for HeaderFrom {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let (schema, value) = self.side.take(&mut record);
        let value = match (schema.clone(), value) {
            (_, Value::Null) => Value::Null,
            (None, Value::Map(mut entries)) => {
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let found = entries
                        .iter()
                        .find(|(k, _)| k.as_str() == Some(field))
                        .map(|(_, v)| v.clone());
                    record.headers.push(Header {
                        key: header.clone(),
                        schema: None,
                        value: found.unwrap_or(Value::Null),
                    });
                }
                if self.moving {
                    entries.retain(|(k, _)| !k.as_str().is_some_and(|k| self.fields.iter().any(|f| f == k)));
                }
                Value::Map(entries)
            }
            (Some(schema), Value::Struct(old)) => {
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let field_schema = schema
                        .field(field)
                        .ok_or_else(|| DataError::new(format!("Field does not exist: {field}")))?;
                    record.headers.push(Header {
                        key: header.clone(),
                        schema: Some(field_schema.schema.clone().into()),
                        value: with_default(field_schema, old.get(field).unwrap_or(&Value::Null), self.defaults)
                            .clone(),
                    });
                }
                if self.moving {
                    let remaining = self.schemas.get_or_build(&schema, || {
                        let mut builder = schema_basics(&schema);
                        for f in schema.fields.iter().filter(|f| !self.fields.contains(&f.name)) {
                            builder = builder.field(&f.name, f.schema.clone());
                        }
                        Ok(builder.build())
                    })?;
                    let new = copy_struct(&old, remaining.clone(), self.defaults);
                    self.side.set(&mut record, Some(remaining), Value::Struct(new));
                    return Ok(Some(record));
                }
                Value::Struct(old)
            }
            (_, other) => {
                return Err(DataError::new(format!(
                    "Only Map or Struct objects supported for [header from], found: {}",
                    other.kind()
                )))
            }
        };
        self.side.set(&mut record, schema, value);
        Ok(Some(record))
    }
}

register_keyed!("HeaderFrom", from_config_def, create_from);
