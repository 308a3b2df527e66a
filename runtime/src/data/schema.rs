//! Connect schemas: the same types, flags and logical types as `org.apache.kafka.connect.data`.

use std::sync::{Arc, OnceLock};

use super::{SchemaRef, Value};

/// Names and helpers of Apache Kafka Connect's logical types.
pub mod logical {
    use crate::data::{DataError, Schema};

    /// `Decimal`: BYTES holding a big-endian two's-complement unscaled integer; parameter `scale`.
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    /// The parameter of [`DECIMAL`] giving the scale.
    pub const DECIMAL_SCALE: &str = "scale";
    /// `Date`: INT32 days since the Unix epoch.
    pub const DATE: &str = "org.apache.kafka.connect.data.Date";
    /// `Time`: INT32 milliseconds since midnight.
    pub const TIME: &str = "org.apache.kafka.connect.data.Time";
    /// `Timestamp`: INT64 milliseconds since the Unix epoch.
    pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

    /// The milliseconds of a day: a [`TIME`] holds 0 to this, both ends included (Apache's `Time`
    /// takes the end of the day too).
    pub const MILLIS_PER_DAY: i32 = 86_400_000;

    /// A `Time` to be written, as Apache's `Time.fromLogical` takes it (what its JsonConverter
    /// and Confluent's Avro and JSON Schema converters call): within the day, or refused.
    pub fn time_from_logical(millis: i32) -> Result<i32, DataError> {
        within_day(
            millis,
            "Kafka Connect Time type should not have any date fields set to non-zero values.",
        )
    }

    /// A `Time` that was read, as Apache's `Time.toLogical` takes it: within the day, or refused.
    pub fn time_to_logical(millis: i32) -> Result<i32, DataError> {
        within_day(
            millis,
            "Time values must use number of milliseconds greater than 0 and less than 86400000",
        )
    }

    fn within_day(millis: i32, refusal: &str) -> Result<i32, DataError> {
        if (0..=MILLIS_PER_DAY).contains(&millis) {
            Ok(millis)
        } else {
            Err(DataError::new(refusal))
        }
    }

    /// Whether `schema` is a [`TIME`], whose values the two checks above apply to (a header
    /// read as a time past midnight, `25:00:00.000Z`, gives one past the day).
    pub fn is_time(schema: &Schema) -> bool {
        schema.name.as_deref() == Some(TIME)
    }
}

/// The physical type of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Boolean,
    /// UTF-8 text.
    String,
    /// Bytes.
    Bytes,
    /// A list of values of one schema.
    Array,
    /// A map from one schema to another.
    Map,
    /// Named fields.
    Struct,
}

impl SchemaType {
    /// The lower-case name Apache Kafka uses (`int32`, `struct`, …).
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float32",
            SchemaType::Float64 => "float64",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }

    /// The type named `name` (as [`SchemaType::name`] gives, case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        let all = [
            SchemaType::Int8,
            SchemaType::Int16,
            SchemaType::Int32,
            SchemaType::Int64,
            SchemaType::Float32,
            SchemaType::Float64,
            SchemaType::Boolean,
            SchemaType::String,
            SchemaType::Bytes,
            SchemaType::Array,
            SchemaType::Map,
            SchemaType::Struct,
        ];
        all.into_iter().find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Whether this is a primitive (not array, map or struct).
    pub fn is_primitive(self) -> bool {
        !matches!(self, SchemaType::Array | SchemaType::Map | SchemaType::Struct)
    }
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its position in the struct.
    pub index: usize,
    /// Its schema.
    pub schema: Arc<Schema>,
}

/// A schema's parameters: insertion-ordered, compared without regard to order (as Java's
/// `LinkedHashMap`).
pub type Parameters = indexmap::IndexMap<String, String>;

/// A Connect schema. Build one with [`SchemaBuilder`] or the shortcuts on this type.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Physical type.
    pub schema_type: SchemaType,
    /// Whether null is allowed.
    pub optional: bool,
    /// Value used for null, if any.
    pub default: Option<Value>,
    /// Name (logical types are named schemas).
    pub name: Option<String>,
    /// Version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Parameters (e.g. a decimal's scale), in the order they were added (as Connect's
    /// `SchemaBuilder` keeps them: JSON envelopes write them so, and an Avro enum's symbols
    /// are its parameters in order).
    pub parameters: Option<Parameters>,
    /// Fields of a struct.
    pub fields: Vec<Field>,
    /// Key schema of a map.
    pub key_schema: Option<Arc<Schema>>,
    /// Element schema of an array, value schema of a map.
    pub value_schema: Option<Arc<Schema>>,
    /// The schema's JSON form, computed once by the JSON converter.
    pub(crate) json_cache: OnceLock<Vec<u8>>,
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.schema_type == other.schema_type
            && self.optional == other.optional
            && self.default == other.default
            && self.name == other.name
            && self.version == other.version
            && self.doc == other.doc
            && self.parameters == other.parameters
            && self.fields == other.fields
            && self.key_schema == other.key_schema
            && self.value_schema == other.value_schema
    }
}

impl Schema {
    /// The field named `name`, for a struct schema.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A decimal's scale, when this is a `Decimal` schema.
    pub fn decimal_scale(&self) -> Option<i32> {
        if self.name.as_deref() != Some(logical::DECIMAL) {
            return None;
        }
        self.parameters
            .as_ref()
            .and_then(|p| p.get(logical::DECIMAL_SCALE))
            .and_then(|s| s.parse().ok())
    }

    /// A hash of the schema's shape (types, flags, names, versions, parameters and fields,
    /// recursively; defaults and docs left out): equal schemas have equal fingerprints, so
    /// caches keyed by schema can find a record's schema without comparing it to every other.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        fn feed(schema: &Schema, hasher: &mut std::collections::hash_map::DefaultHasher) {
            schema.schema_type.hash(hasher);
            schema.optional.hash(hasher);
            schema.name.hash(hasher);
            schema.version.hash(hasher);
            // In any order, as equal parameters compare.
            let parameters = schema.parameters.iter().flatten().fold(0u64, |sum, entry| {
                let mut one = std::collections::hash_map::DefaultHasher::new();
                entry.hash(&mut one);
                sum.wrapping_add(one.finish())
            });
            parameters.hash(hasher);
            schema.fields.len().hash(hasher);
            for field in &schema.fields {
                field.name.hash(hasher);
                feed(&field.schema, hasher);
            }
            for inner in [&schema.key_schema, &schema.value_schema].into_iter().flatten() {
                feed(inner, hasher);
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        feed(self, &mut hasher);
        hasher.finish()
    }

    /// A copy of this schema as a builder, to change a flag or a name.
    pub fn to_builder(&self) -> SchemaBuilder {
        let mut schema = self.clone();
        schema.json_cache = OnceLock::new();
        SchemaBuilder { schema }
    }

    /// Shortcut: a required schema of a primitive type.
    pub fn of(schema_type: SchemaType) -> Arc<Schema> {
        SchemaBuilder::new(schema_type).build()
    }

    /// Shortcut: an optional schema of a primitive type.
    pub fn optional_of(schema_type: SchemaType) -> Arc<Schema> {
        SchemaBuilder::new(schema_type).optional().build()
    }

    /// Shortcut: a required string schema.
    pub fn string() -> Arc<Schema> {
        Arc::clone(&SchemaRef::string())
    }

    /// Shortcut: an optional string schema.
    pub fn optional_string() -> Arc<Schema> {
        Arc::clone(&SchemaRef::optional_string())
    }

    /// Shortcut: an optional bytes schema.
    pub fn optional_bytes() -> Arc<Schema> {
        Arc::clone(&SchemaRef::optional_bytes())
    }
}

/// Builds a [`Schema`].
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// A required schema of `schema_type` with nothing else set.
    pub fn new(schema_type: SchemaType) -> Self {
        SchemaBuilder {
            schema: Schema {
                schema_type,
                optional: false,
                default: None,
                name: None,
                version: None,
                doc: None,
                parameters: None,
                fields: Vec::new(),
                key_schema: None,
                value_schema: None,
                json_cache: OnceLock::new(),
            },
        }
    }

    /// A struct schema with no fields yet.
    pub fn structure() -> Self {
        Self::new(SchemaType::Struct)
    }

    /// An array of `items`.
    pub fn array(items: Arc<Schema>) -> Self {
        let mut builder = Self::new(SchemaType::Array);
        builder.schema.value_schema = Some(items);
        builder
    }

    /// A map from `keys` to `values`.
    pub fn map(keys: Arc<Schema>, values: Arc<Schema>) -> Self {
        let mut builder = Self::new(SchemaType::Map);
        builder.schema.key_schema = Some(keys);
        builder.schema.value_schema = Some(values);
        builder
    }

    /// `Decimal` with `scale`.
    pub fn decimal(scale: i32) -> Self {
        Self::new(SchemaType::Bytes)
            .name(logical::DECIMAL)
            .version(1)
            .parameter(logical::DECIMAL_SCALE, &scale.to_string())
    }

    /// `Date`.
    pub fn date() -> Self {
        Self::new(SchemaType::Int32).name(logical::DATE).version(1)
    }

    /// `Time`.
    pub fn time() -> Self {
        Self::new(SchemaType::Int32).name(logical::TIME).version(1)
    }

    /// `Timestamp`.
    pub fn timestamp() -> Self {
        Self::new(SchemaType::Int64).name(logical::TIMESTAMP).version(1)
    }

    /// Allows null.
    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }

    /// Forbids null.
    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: &str) -> Self {
        self.schema.name = Some(name.to_string());
        self
    }

    /// Sets or clears the name.
    pub fn name_opt(mut self, name: Option<String>) -> Self {
        self.schema.name = name;
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }

    /// Sets or clears the version.
    pub fn version_opt(mut self, version: Option<i32>) -> Self {
        self.schema.version = version;
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: &str) -> Self {
        self.schema.doc = Some(doc.to_string());
        self
    }

    /// Adds a parameter.
    pub fn parameter(mut self, key: &str, value: &str) -> Self {
        self.schema
            .parameters
            .get_or_insert_with(Parameters::new)
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Sets the default value.
    pub fn default_value(mut self, value: Value) -> Self {
        self.schema.default = Some(value);
        self
    }

    /// Appends a struct field.
    pub fn field(mut self, name: &str, schema: Arc<Schema>) -> Self {
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name: name.to_string(),
            index,
            schema,
        });
        self
    }

    /// The schema's type so far.
    pub fn schema_type(&self) -> SchemaType {
        self.schema.schema_type
    }

    /// The finished schema.
    pub fn build(self) -> Arc<Schema> {
        Arc::new(self.schema)
    }
}
