//! [`SchemaRef`]: the schema a record or a header carries, handed out without touching a
//! reference count when it is one of the built-in schemas.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

use super::{Schema, SchemaType};

/// The schema of a record's key or value, or of a header: one built at run time, shared by
/// reference count, or one of the built-in schemas that live as long as the process (Apache's
/// `Schema.OPTIONAL_STRING_SCHEMA` and its kin), which records point at without counting.
///
/// A converter hands a schema to every record it reads; counting references to a shared one
/// is an atomic increment when the record is made and a decrement when it is dropped, which
/// a sink of short records pays millions of times a second.
///
/// It dereferences to the `Arc<Schema>` it holds, so `record.value_schema.as_deref()` is an
/// `Option<&Arc<Schema>>`, and twice to the [`Schema`].
#[derive(Clone)]
pub enum SchemaRef {
    /// A schema shared by reference count.
    Shared(Arc<Schema>),
    /// A schema that is never dropped.
    Static(&'static Arc<Schema>),
}

/// The built-in schemas handed out as [`SchemaRef::Static`].
static OPTIONAL_STRING: LazyLock<Arc<Schema>> = LazyLock::new(|| Schema::optional_of(SchemaType::String));
static OPTIONAL_BYTES: LazyLock<Arc<Schema>> = LazyLock::new(|| Schema::optional_of(SchemaType::Bytes));
static STRING: LazyLock<Arc<Schema>> = LazyLock::new(|| Schema::of(SchemaType::String));

impl SchemaRef {
    /// An optional string schema (what `StringConverter` reads).
    pub fn optional_string() -> SchemaRef {
        SchemaRef::Static(&OPTIONAL_STRING)
    }

    /// An optional bytes schema (what `ByteArrayConverter` reads).
    pub fn optional_bytes() -> SchemaRef {
        SchemaRef::Static(&OPTIONAL_BYTES)
    }

    /// A required string schema (the file source's lines).
    pub fn string() -> SchemaRef {
        SchemaRef::Static(&STRING)
    }

    /// The schema as an `Arc`, without a new count when it is shared.
    pub fn into_arc(self) -> Arc<Schema> {
        match self {
            SchemaRef::Shared(schema) => schema,
            SchemaRef::Static(schema) => schema.clone(),
        }
    }
}

impl Deref for SchemaRef {
    type Target = Arc<Schema>;

    fn deref(&self) -> &Arc<Schema> {
        match self {
            SchemaRef::Shared(schema) => schema,
            SchemaRef::Static(schema) => schema,
        }
    }
}

impl From<Arc<Schema>> for SchemaRef {
    fn from(schema: Arc<Schema>) -> Self {
        SchemaRef::Shared(schema)
    }
}

impl PartialEq for SchemaRef {
    /// Equal schemas, however they are held.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(self, other) || ***self == ***other
    }
}

impl fmt::Debug for SchemaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&***self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_shared_schemas_compare_by_content() {
        assert_eq!(
            SchemaRef::optional_string(),
            SchemaRef::from(Schema::optional_of(SchemaType::String))
        );
        assert_ne!(SchemaRef::optional_string(), SchemaRef::string());
        assert!(Arc::ptr_eq(&SchemaRef::optional_bytes(), &SchemaRef::optional_bytes()));
    }
}
