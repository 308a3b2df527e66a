//! The converter every registry format shares: schema ids learnt once and cached, the wire
//! framing, and the `lookup_*` hooks the worker awaits; a [`SchemaFormat`] supplies the mapping
//! of schemas and the encoding of values.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, RwLock};

use super::{frame, unframe, ReferencedSchema, RegistrySettings, SchemaRegistry, SchemaType};
use crate::config::ConfigMap;
use crate::converter::{Converter, ConverterRole, DataError, Lookup};
use crate::data::{Schema, SchemaRef, Value};

/// A schema format of the registry: Avro, JSON Schema or Protobuf.
pub trait SchemaFormat: Debug + Send + Sync + Sized + 'static {
    /// A schema parsed for writing values.
    type Writer: Debug + Send + Sync;
    /// A schema parsed for reading values, with its Connect schema.
    type Reader: Debug + Send + Sync;

    /// The registry's name for the format.
    const SCHEMA_TYPE: SchemaType;
    /// The name in error messages (`Avro`, `JSON`, `Protobuf`), as Confluent's say.
    const NAME: &'static str;

    /// Reads the format's own settings (`connect.meta.data`…).
    fn new(settings: &ConfigMap) -> Result<Self, String>;

    /// The schema text for a Connect schema, and the name RecordNameStrategy registers it under.
    fn schema_text(&self, schema: &Schema) -> Result<(String, String), DataError>;

    /// Parses a schema text (importing `references`) for writing values of `connect`.
    fn writer(
        &self,
        text: &str,
        references: &[ReferencedSchema],
        connect: &Arc<Schema>,
    ) -> Result<Self::Writer, DataError>;

    /// Whether values written with `derived` can be read with `latest`
    /// (`latest.compatibility.strict`); the reason when they cannot.
    fn can_read(&self, derived: &Self::Writer, latest: &Self::Writer) -> Result<(), String>;

    /// Parses a registered schema (importing `references`) for reading.
    fn reader(&self, text: &str, references: &[ReferencedSchema]) -> Result<Self::Reader, DataError>;

    /// Appends `value` as the payload after the schema id.
    fn encode(&self, writer: &Self::Writer, value: &Value, out: &mut Vec<u8>) -> Result<(), DataError>;

    /// Reads a payload (what follows the schema id): the value, and its schema unless it was
    /// written without one.
    fn decode(&self, reader: &Self::Reader, payload: &[u8]) -> Result<(Option<Arc<Schema>>, Value), DataError>;

    /// The Connect schema standing for values of no schema, where the format writes them
    /// (Avro's); `None` where it refuses them.
    fn schemaless(&self) -> Option<&Arc<Schema>> {
        None
    }
}

/// A converter of records framed with a registry's schema ids.
#[derive(Debug)]
pub struct RegistryConverter<F: SchemaFormat> {
    shared: Arc<Shared<F>>,
}

/// What one Connect schema is written as, for one topic.
#[derive(Debug)]
struct Written<W> {
    connect: Arc<Schema>,
    id: u32,
    writer: Arc<W>,
}

/// The writers of each topic, by the fingerprint of their Connect schema.
type WritersByTopic<W> = HashMap<String, HashMap<u64, Vec<Arc<Written<W>>>>>;

/// A writer with the topic it was found for.
type TopicWriter<W> = (String, Arc<Written<W>>);

#[derive(Debug)]
struct Shared<F: SchemaFormat> {
    format: F,
    registry: SchemaRegistry,
    settings: RegistrySettings,
    writers: RwLock<WritersByTopic<F::Writer>>,
    /// The writer found last: the next record mostly has the same topic and the same schema
    /// (the same `Arc`), and is then written without hashing its schema.
    last_written: Mutex<Option<TopicWriter<F::Writer>>>,
    readers: RwLock<HashMap<u32, Arc<F::Reader>>>,
}

impl<F: SchemaFormat> RegistryConverter<F> {
    /// A converter from its prefix-stripped settings.
    pub fn new(settings: &ConfigMap, role: ConverterRole) -> Result<Self, String> {
        let registry_settings = RegistrySettings::parse(settings, role)?;
        Ok(RegistryConverter {
            shared: Arc::new(Shared {
                format: F::new(settings)?,
                registry: SchemaRegistry::new(&registry_settings)?,
                settings: registry_settings,
                writers: RwLock::default(),
                last_written: Mutex::default(),
                readers: RwLock::default(),
            }),
        })
    }

    /// The plugin factory.
    pub fn create(settings: &ConfigMap, role: ConverterRole) -> Result<Arc<dyn Converter>, String> {
        Ok(Arc::new(Self::new(settings, role)?))
    }
}

impl<F: SchemaFormat> Shared<F> {
    fn written(&self, topic: &str, schema: &Arc<Schema>) -> Option<Arc<Written<F::Writer>>> {
        let mut last = self.last_written.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((last_topic, written)) = &*last {
            if last_topic == topic && Arc::ptr_eq(&written.connect, schema) {
                return Some(written.clone());
            }
        }
        let writers = self.writers.read().unwrap_or_else(|e| e.into_inner());
        let found = writers
            .get(topic)?
            .get(&schema.fingerprint())?
            .iter()
            .find(|w| Arc::ptr_eq(&w.connect, schema) || *w.connect == **schema)
            .cloned()?;
        // Keyed by the record's own `Arc` from now on, so its next records take the fast path.
        let keyed = if Arc::ptr_eq(&found.connect, schema) {
            found
        } else {
            Arc::new(Written {
                connect: schema.clone(),
                id: found.id,
                writer: found.writer.clone(),
            })
        };
        *last = Some((topic.to_string(), keyed.clone()));
        Some(keyed)
    }

    fn reader(&self, id: u32) -> Option<Arc<F::Reader>> {
        self.readers.read().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }

    fn serialize_error(topic: &str, message: impl std::fmt::Display) -> DataError {
        DataError::new(format!(
            "Failed to serialize {} data from topic {topic}: {message}",
            F::NAME
        ))
    }

    fn deserialize_error(topic: &str, message: impl std::fmt::Display) -> DataError {
        DataError::new(format!(
            "Failed to deserialize {} data from topic {topic}: {message}",
            F::NAME
        ))
    }

    /// Maps `schema` to the format and learns its id under the subject for `topic`.
    async fn learn_writer(&self, topic: String, schema: Arc<Schema>) -> Result<(), DataError> {
        let failed = |e: String| Self::serialize_error(&topic, e);
        let (text, record_name) = self.format.schema_text(&schema).map_err(|e| failed(e.0))?;
        let derived = self.format.writer(&text, &[], &schema).map_err(|e| failed(e.0))?;
        let settings = &self.settings;
        let subject = settings.subject_strategy.subject(&topic, settings.is_key, &record_name);
        let (id, writer) = if settings.use_latest_version {
            let latest = self
                .registry
                .latest(&subject)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let references = self
                .registry
                .referenced(&latest)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let writer = self
                .format
                .writer(&latest.schema, &references, &schema)
                .map_err(|e| failed(e.0))?;
            if settings.latest_compatibility_strict {
                self.format.can_read(&derived, &writer).map_err(|e| {
                    failed(format!(
                        "Schema not compatible with the latest version (id {}) of subject {subject}: {e}",
                        latest.id
                    ))
                })?;
            }
            (latest.id, writer)
        } else if settings.auto_register {
            let id = self.registry.register(&subject, F::SCHEMA_TYPE, &text).await;
            (id.map_err(|e| failed(e.to_string()))?, derived)
        } else {
            let id = self.registry.lookup(&subject, F::SCHEMA_TYPE, &text).await;
            (id.map_err(|e| failed(e.to_string()))?, derived)
        };
        let written = Arc::new(Written {
            connect: schema.clone(),
            id,
            writer: Arc::new(writer),
        });
        let mut writers = self.writers.write().unwrap_or_else(|e| e.into_inner());
        if writers.values().flat_map(HashMap::values).map(Vec::len).sum::<usize>() >= settings.cache_size {
            writers.clear();
        }
        writers
            .entry(topic)
            .or_default()
            .entry(schema.fingerprint())
            .or_default()
            .push(written);
        Ok(())
    }

    /// Fetches the schema with `id` for reading.
    async fn learn_reader(&self, topic: String, id: u32) -> Result<(), DataError> {
        let failed = |e: String| Self::deserialize_error(&topic, e);
        let registered = self
            .registry
            .schema_by_id(id)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let references = self
            .registry
            .referenced(&registered)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let reader = self
            .format
            .reader(&registered.schema, &references)
            .map_err(|e| failed(format!("schema {id}: {}", e.0)))?;
        let mut readers = self.readers.write().unwrap_or_else(|e| e.into_inner());
        if readers.len() >= self.settings.cache_size {
            readers.clear();
        }
        readers.insert(id, Arc::new(reader));
        Ok(())
    }
}

impl<F: SchemaFormat> Converter for RegistryConverter<F> {
    fn to_bytes(&self, topic: &str, schema: Option<&Arc<Schema>>, value: &Value) -> Result<Option<Vec<u8>>, DataError> {
        // A null stays a Kafka null (a tombstone), as Confluent's serializers write it.
        if value.is_null() {
            return Ok(None);
        }
        let schema = schema.or_else(|| self.shared.format.schemaless()).ok_or_else(|| {
            Shared::<F>::serialize_error(
                topic,
                "the record has no schema (this converter writes only values with one)",
            )
        })?;
        let written = self
            .shared
            .written(topic, schema)
            .ok_or_else(|| Shared::<F>::serialize_error(topic, "its schema was not registered first"))?;
        let mut out = frame(written.id, 64);
        self.shared
            .format
            .encode(&written.writer, value, &mut out)
            .map_err(|e| Shared::<F>::serialize_error(topic, e.0))?;
        Ok(Some(out))
    }

    fn to_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Result<(Option<SchemaRef>, Value), DataError> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let (id, payload) = unframe(bytes).map_err(|e| Shared::<F>::deserialize_error(topic, e.0))?;
        let reader = self
            .shared
            .reader(id)
            .ok_or_else(|| Shared::<F>::deserialize_error(topic, format!("schema {id} was not fetched first")))?;
        let (schema, value) = self
            .shared
            .format
            .decode(&reader, payload)
            .map_err(|e| Shared::<F>::deserialize_error(topic, e.0))?;
        Ok((schema.map(Into::into), value))
    }

    fn lookup_for_bytes(&self, topic: &str, schema: Option<&Arc<Schema>>) -> Option<Lookup> {
        let schema = schema.or_else(|| self.shared.format.schemaless())?;
        if self.shared.written(topic, schema).is_some() {
            return None;
        }
        let shared = self.shared.clone();
        let (topic, schema) = (topic.to_string(), schema.clone());
        Some(Box::pin(async move { shared.learn_writer(topic, schema).await }))
    }

    fn lookup_for_connect(&self, topic: &str, bytes: Option<&[u8]>) -> Option<Lookup> {
        let (id, _) = unframe(bytes?).ok()?;
        if self.shared.reader(id).is_some() {
            return None;
        }
        let shared = self.shared.clone();
        let topic = topic.to_string();
        Some(Box::pin(async move { shared.learn_reader(topic, id).await }))
    }
}
