//! The Schema Registry converters against a real registry (Apicurio's, with Confluent's API)
//! and Confluent's own serializers (the `confluent-kafka` Python package) on a real broker:
//! records Confluent writes read as the right Connect values, records Tributary writes decode
//! in Confluent's deserializer, and a worker moves rows PostgreSQL → Avro → PostgreSQL while
//! the table gains a column (a compatible new version) and then a required one (refused by the
//! registry, the task failing with its message), the same for change data capture, and a
//! registry over HTTPS is reached through the converter's `schema.registry.ssl.*` settings.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::{config, eventually, merged, start_worker};
use rdkafka::message::{Headers, Message};
use serde_json::{json, Value as Json};
use tributary_harness::clients::{consume_until, flush, produce_all, reliable_producer, unique_name};
use tributary_harness::{
    shared_cluster, shared_postgres, shared_schema_registry, JavaProgram, PythonEnv, SchemaRegistry, ServerCertificate,
    TlsFiles, NO_PROPERTIES,
};
use tributary_runtime::config::ConfigMap;
use tributary_runtime::converter::{converter_for, finish_lookup, protobuf_file_descriptor, Converter, ConverterRole};
use tributary_runtime::data::{logical, Schema, SchemaBuilder, SchemaType, Struct, Value};

const DEADLINE: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema_registry")
        .join(name)
}

/// Runs Confluent's side (`confluent_serde.py`) and returns its output lines.
async fn confluent(args: &[&str]) -> Vec<Json> {
    let mut command = tokio::process::Command::from(PythonEnv::get().expect("the Python environment").python());
    command.arg(fixture("confluent_serde.py")).args(args).kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .unwrap_or_else(|_| panic!("confluent_serde.py {args:?} did not finish within 180 s"))
        .expect("python starts");
    assert!(
        output.status.success(),
        "confluent_serde.py {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// A registry format: Confluent's converter class, and its name for `confluent_serde.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Avro,
    JsonSchema,
    Protobuf,
}

impl Format {
    fn class(self) -> &'static str {
        match self {
            Format::Avro => "io.confluent.connect.avro.AvroConverter",
            Format::JsonSchema => "io.confluent.connect.json.JsonSchemaConverter",
            Format::Protobuf => "io.confluent.connect.protobuf.ProtobufConverter",
        }
    }

    fn script_name(self) -> &'static str {
        match self {
            Format::Avro => "avro",
            Format::JsonSchema => "json",
            Format::Protobuf => "protobuf",
        }
    }
}

fn value_converter(format: Format) -> Arc<dyn Converter> {
    value_converter_with(format, &[])
}

/// A value converter of `format` with `settings` (keys without the `value.converter.` prefix).
fn value_converter_with(format: Format, settings: &[(&str, &str)]) -> Arc<dyn Converter> {
    let url = shared_schema_registry().url();
    let mut settings: ConfigMap = settings
        .iter()
        .map(|(key, value)| (format!("value.converter.{key}"), value.to_string()))
        .collect();
    settings.insert("value.converter".into(), format.class().into());
    settings.insert("value.converter.schema.registry.url".into(), url);
    converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).expect("the converter")
}

/// A Connect value in the tests' JSON encoding (the one `confluent_serde.py` prints): bytes as
/// base64, decimals as text (Avro, Protobuf) or base64 (JSON Schema), logical dates and times
/// as numbers, a general union as its branch.
fn connect_json(format: Format, schema: &Schema, value: &Value) -> Json {
    let b64 = |b: &[u8]| json!(base64::engine::general_purpose::STANDARD.encode(b));
    match value {
        Value::Null => Json::Null,
        Value::Bytes(b) if schema.name.as_deref() == Some(logical::DECIMAL) => {
            let scale = schema.decimal_scale().unwrap_or(0) as usize;
            let negative = b.first().is_some_and(|first| first & 0x80 != 0);
            let unscaled = b.iter().fold(if negative { -1i128 } else { 0 }, |n, &byte| {
                (n << 8) | i128::from(byte)
            });
            let digits = format!("{:0>width$}", unscaled.unsigned_abs(), width = scale + 1);
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            let sign = if unscaled < 0 { "-" } else { "" };
            let text = if scale == 0 {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            };
            match format {
                Format::Avro | Format::Protobuf => json!(text),
                // Confluent's default decimal.format: base64 of the unscaled bytes.
                Format::JsonSchema => b64(b),
            }
        }
        Value::Bytes(b) => b64(b),
        Value::Boolean(b) => json!(b),
        Value::Int8(n) => json!(n),
        Value::Int16(n) => json!(n),
        Value::Int32(n) => json!(n),
        Value::Int64(n) => json!(n),
        Value::Float32(n) => json!(n),
        Value::Float64(n) => json!(n),
        Value::String(s) => json!(s),
        Value::Array(items) => {
            let element = schema.value_schema.as_deref().expect("element schema");
            Json::Array(items.iter().map(|i| connect_json(format, element, i)).collect())
        }
        Value::Map(entries) => {
            let keys = schema.key_schema.as_deref().expect("key schema");
            let values = schema.value_schema.as_deref().expect("value schema");
            if keys.schema_type == SchemaType::String {
                Json::Object(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().expect("string key").to_string(),
                                connect_json(format, values, v),
                            )
                        })
                        .collect(),
                )
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| json!({"key": connect_json(format, keys, k), "value": connect_json(format, values, v)}))
                        .collect(),
                )
            }
        }
        Value::Struct(s)
            if matches!(
                schema.name.as_deref(),
                Some("io.confluent.connect.avro.Union" | "io.confluent.connect.json.OneOf")
            ) =>
        {
            s.iter()
                .find(|(_, v)| !v.is_null())
                .map(|(field, v)| connect_json(format, &field.schema, v))
                .unwrap_or(Json::Null)
        }
        // A Protobuf oneof: its members unset but the one chosen.
        Value::Struct(s)
            if schema
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("io.confluent.connect.protobuf.Union.")) =>
        {
            Json::Object(
                s.iter()
                    .map(|(field, v)| {
                        (
                            field.name.clone(),
                            if v.is_null() {
                                Json::Null
                            } else {
                                connect_json(format, &field.schema, v)
                            },
                        )
                    })
                    .collect(),
            )
        }
        Value::Struct(s) => Json::Object(
            s.iter()
                .map(|(field, v)| (field.name.clone(), connect_json(format, &field.schema, v)))
                .collect(),
        ),
    }
}

async fn registry_get(path: &str) -> Json {
    let url = format!("{}{path}", shared_schema_registry().url());
    let response = reqwest::get(&url).await.expect("the registry answers");
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    response.json().await.expect("JSON")
}

/// Has Confluent's serializer write the records of `vectors` and reads them with Tributary's
/// converter; each must read as the vector it was written from. Returns the Connect schema read
/// and the topic.
async fn confluent_writes_tributary_reads(format: Format, vectors: &str) -> (Arc<Schema>, String) {
    confluent_writes_tributary_reads_with(value_converter(format), format, vectors).await
}

/// [`confluent_writes_tributary_reads`] with Tributary's `converter`.
async fn confluent_writes_tributary_reads_with(
    converter: Arc<dyn Converter>,
    format: Format,
    vectors: &str,
) -> (Arc<Schema>, String) {
    let kafka = shared_cluster();
    let registry = shared_schema_registry().url();
    let topic = unique_name(&format!("confluent-{}", format.script_name()));
    let vectors_path = fixture(vectors);
    let vectors: Json = serde_json::from_str(&std::fs::read_to_string(&vectors_path).unwrap()).unwrap();
    let records = vectors["records"].as_array().unwrap();
    let script_format = format.script_name();
    confluent(&[
        "produce",
        script_format,
        &kafka.bootstrap_servers(),
        &registry,
        &topic,
        vectors_path.to_str().unwrap(),
    ])
    .await;

    let messages = consume_until(
        &kafka.bootstrap_servers(),
        &topic,
        records.len(),
        DEADLINE,
        "read_committed",
    )
    .await
    .unwrap();
    assert_eq!(messages.len(), records.len());
    let mut schemas = Vec::new();
    for (message, expected) in messages.iter().zip(records) {
        finish_lookup(converter.lookup_for_connect(&topic, message.payload()))
            .await
            .expect("the writer's schema is fetched");
        let (schema, value) = converter.to_connect(&topic, message.payload()).expect("readable");
        let schema = schema.expect("a schema");
        assert_eq!(connect_json(format, &schema, &value), *expected);
        schemas.push(schema);
    }
    (schemas.swap_remove(0).into_arc(), topic)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_confluents_avro_serializer_read_as_connect_values() {
    let (schema, _) = confluent_writes_tributary_reads(Format::Avro, "avro_vectors.json").await;
    // The Connect types Confluent's AvroData gives these Avro types.
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(schema.name.as_deref(), Some("com.example.shop.Order"));
    assert_eq!(field("price").name.as_deref(), Some(logical::DECIMAL));
    assert_eq!(field("price").decimal_scale(), Some(2));
    assert_eq!(field("ordered_on").name.as_deref(), Some(logical::DATE));
    assert_eq!(field("ordered_at").name.as_deref(), Some(logical::TIME));
    assert_eq!(field("updated").name.as_deref(), Some(logical::TIMESTAMP));
    assert!(field("note").optional && field("billing").optional);
    assert_eq!(field("billing").name.as_deref(), Some("com.example.shop.Address"));
    assert_eq!(field("status").schema_type, SchemaType::String);
    assert_eq!(field("priority").default, Some(Value::Int32(5)));
}

/// Reads `messages` of `topic` with Tributary's `reader` and writes each again to topic `to`
/// with `writer`, returning the bytes written.
async fn write_again(
    messages: &[rdkafka::message::OwnedMessage],
    topic: &str,
    to: &str,
    (reader, writer): (Arc<dyn Converter>, Arc<dyn Converter>),
) -> Vec<Vec<u8>> {
    let mut payloads = Vec::new();
    for message in messages {
        finish_lookup(reader.lookup_for_connect(topic, message.payload()))
            .await
            .unwrap();
        let (schema, value) = reader.to_connect(topic, message.payload()).unwrap();
        let schema = schema.expect("a schema");
        finish_lookup(writer.lookup_for_bytes(to, Some(&schema)))
            .await
            .expect("the schema to write with");
        payloads.push((Vec::new(), writer.to_bytes(to, Some(&schema), &value).unwrap().unwrap()));
    }
    let written = payloads.iter().map(|(_, bytes)| bytes.clone()).collect();
    let producer = reliable_producer(&shared_cluster().bootstrap_servers()).unwrap();
    for delivery in produce_all(&producer, to, payloads, 16).await {
        delivery.expect("delivered");
    }
    flush(&producer).await.unwrap();
    written
}

/// A schema naming types of other registered schemas (the registry's references: a record
/// holding an enum the schema also names on its own, and a fixed): records Confluent's
/// serializer writes with it read as the Connect values they are, and Tributary writes records
/// with it (`use.latest.version`) that Confluent's deserializer reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_schemas_with_references_read_and_write_as_confluents_serializers_do() {
    let kafka = shared_cluster();
    let (schema, topic) = confluent_writes_tributary_reads(Format::Avro, "avro_references_vectors.json").await;
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(schema.name.as_deref(), Some("com.example.billing.Invoice"));
    assert_eq!(field("home").name.as_deref(), Some("com.example.common.Address"));
    assert_eq!(field("work").name.as_deref(), Some("com.example.common.Address"));
    assert!(field("work").optional);
    assert_eq!(field("kind").schema_type, SchemaType::String);

    // The records read, written again by Tributary with the subject's latest version.
    let messages = consume_until(&kafka.bootstrap_servers(), &topic, 2, DEADLINE, "read_committed")
        .await
        .unwrap();
    let registry = shared_schema_registry().url();
    let settings = config(&[
        ("value.converter", Format::Avro.class()),
        ("value.converter.schema.registry.url", &registry),
        ("value.converter.auto.register.schemas", "false"),
        ("value.converter.use.latest.version", "true"),
        // The schema derived from the Connect values has the registered one's enum only with
        // it (a string without, which the strict check refuses, as Confluent's does).
        ("value.converter.enhanced.avro.schema.support", "true"),
    ]);
    let writer = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap();
    let written = write_again(&messages, &topic, &topic, (value_converter(Format::Avro), writer)).await;
    let originals: Vec<&[u8]> = messages.iter().map(|m| m.payload().unwrap()).collect();
    assert_eq!(written, originals, "written as Confluent's serializer wrote them");
    let bootstrap = kafka.bootstrap_servers();
    let read = confluent(&["consume", "avro", &bootstrap, &registry, &topic, "4"]).await;
    let vectors: Json =
        serde_json::from_str(&std::fs::read_to_string(fixture("avro_references_vectors.json")).unwrap()).unwrap();
    let records = vectors["records"].as_array().unwrap();
    assert_eq!(read, [records.clone(), records.clone()].concat());
}

/// Records Confluent's serializer wrote (an enum, a fixed, a general union, records among
/// them), read and written again by Tributary's converter: with
/// `enhanced.avro.schema.support=true` the schema registered for them is the one they were
/// written with (the same parsing canonical form: enum, fixed and union as they were), and
/// without it the enum is registered as a string; Confluent's deserializer reads both as the
/// records first written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_read_is_written_back_with_its_own_schema_under_enhanced_avro_schema_support() {
    let kafka = shared_cluster();
    let bootstrap = kafka.bootstrap_servers();
    let registry = shared_schema_registry().url();
    let (_, topic) = confluent_writes_tributary_reads(Format::Avro, "avro_vectors.json").await;
    let vectors: Json = serde_json::from_str(&std::fs::read_to_string(fixture("avro_vectors.json")).unwrap()).unwrap();
    let records = vectors["records"].as_array().unwrap();
    let messages = consume_until(&bootstrap, &topic, records.len(), DEADLINE, "read_committed")
        .await
        .unwrap();
    let canonical = |json: &Json| apache_avro::Schema::parse(json).unwrap().canonical_form();
    let written_first = canonical(&latest_schema(&topic).await);
    for enhanced in ["true", "false"] {
        let again = format!("{topic}-again-{enhanced}");
        let settings = config(&[
            ("value.converter", Format::Avro.class()),
            ("value.converter.schema.registry.url", &registry),
            ("value.converter.enhanced.avro.schema.support", enhanced),
        ]);
        let writer = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap();
        write_again(&messages, &topic, &again, (value_converter(Format::Avro), writer)).await;
        let count = records.len().to_string();
        let read = confluent(&["consume", "avro", &bootstrap, &registry, &again, &count]).await;
        assert_eq!(read, *records, "enhanced.avro.schema.support={enhanced}");
        let registered = latest_schema(&again).await;
        let status = &registered["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "status")
            .unwrap()["type"];
        if enhanced == "true" {
            assert_eq!(canonical(&registered), written_first);
        } else {
            assert_ne!(canonical(&registered), written_first);
            assert_eq!(status["type"], "string", "{registered}");
        }
    }
}

/// A value of no schema as Confluent's `AvroData` writes it: the
/// `io.confluent.connect.avro.Anything` record with the value in its kind's field, the others
/// null (an array's and a map's items Anything records too), as JSON in the tests' encoding.
fn anything_json(value: &Value) -> Json {
    let mut record = json!({"boolean": null, "bytes": null, "double": null, "float": null, "int": null,
                            "long": null, "string": null, "array": null, "map": null});
    let (field, held) = match value {
        Value::Null => return record,
        Value::Boolean(b) => ("boolean", json!(b)),
        Value::Bytes(bytes) => ("bytes", json!(base64::engine::general_purpose::STANDARD.encode(bytes))),
        Value::Float64(n) => ("double", json!(n)),
        Value::Int32(n) => ("int", json!(n)),
        Value::Int64(n) => ("long", json!(n)),
        Value::String(text) => ("string", json!(text)),
        Value::Array(items) => ("array", Json::Array(items.iter().map(anything_json).collect())),
        Value::Map(entries) => (
            "map",
            entries
                .iter()
                .map(|(key, value)| json!({"key": anything_json(key), "value": anything_json(value)}))
                .collect(),
        ),
        other => panic!("not a value of this test: {other:?}"),
    };
    record[field] = held;
    record
}

/// Values of no schema (what a schemaless source or transform hands the converter) travel as
/// Confluent's `AvroData` writes them, in its catch-all `io.confluent.connect.avro.Anything`
/// record: Confluent's deserializer reads the records Tributary writes as those records, and
/// the records Confluent's serializer writes with that schema read as the values, of no schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_without_a_schema_travel_in_confluents_anything_record() {
    let kafka = shared_cluster();
    let bootstrap = kafka.bootstrap_servers();
    let registry = shared_schema_registry().url();
    let values = [
        Value::String("text".into()),
        Value::Int64(-5),
        Value::Boolean(true),
        Value::Float64(2.5),
        Value::bytes(vec![1, 2, 255]),
        Value::Array(vec![Value::Int32(1), Value::Null, Value::String("x".into())]),
        Value::Map(vec![
            (Value::String("k".into()), Value::Array(Vec::new())),
            (Value::Int64(1), Value::Map(Vec::new())),
        ]),
    ];
    let expected: Vec<Json> = values.iter().map(anything_json).collect();

    // Tributary writes, Confluent reads.
    let topic = unique_name("avro-anything");
    let converter = value_converter(Format::Avro);
    let mut payloads = Vec::new();
    for value in &values {
        finish_lookup(converter.lookup_for_bytes(&topic, None))
            .await
            .expect("the catch-all schema registers");
        payloads.push((Vec::new(), converter.to_bytes(&topic, None, value).unwrap().unwrap()));
    }
    let producer = reliable_producer(&bootstrap).unwrap();
    for delivery in produce_all(&producer, &topic, payloads, 16).await {
        delivery.expect("delivered");
    }
    flush(&producer).await.unwrap();
    let count = values.len().to_string();
    let read = confluent(&["consume", "avro", &bootstrap, &registry, &topic, &count]).await;
    assert_eq!(read, expected);
    let registered = latest_schema(&topic).await;
    assert_eq!(
        (&registered["name"], &registered["namespace"]),
        (&json!("Anything"), &json!("io.confluent.connect.avro"))
    );

    // Confluent writes records of that schema, Tributary reads the values.
    let vectors = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        vectors.path(),
        json!({"schema": registered, "records": expected}).to_string(),
    )
    .unwrap();
    let again = unique_name("avro-anything-confluent");
    confluent(&[
        "produce",
        "avro",
        &bootstrap,
        &registry,
        &again,
        vectors.path().to_str().unwrap(),
    ])
    .await;
    let messages = consume_until(&bootstrap, &again, values.len(), DEADLINE, "read_committed")
        .await
        .unwrap();
    for (message, value) in messages.iter().zip(&values) {
        finish_lookup(converter.lookup_for_connect(&again, message.payload()))
            .await
            .unwrap();
        let (schema, read) = converter.to_connect(&again, message.payload()).unwrap();
        assert!(schema.is_none(), "no schema");
        assert_eq!(read, *value);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_confluents_json_schema_serializer_read_as_connect_values() {
    let (schema, _) = confluent_writes_tributary_reads(Format::JsonSchema, "json_schema_vectors.json").await;
    // The Connect types Confluent's JsonSchemaData gives these JSON Schema types.
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(schema.name.as_deref(), Some("com.example.Reading"));
    assert_eq!(field("count").schema_type, SchemaType::Int64);
    assert_eq!(field("value").schema_type, SchemaType::Float64);
    assert!(field("note").optional);
    assert_eq!(field("position").schema_type, SchemaType::Struct);
    assert_eq!(field("either").name.as_deref(), Some("io.confluent.connect.json.OneOf"));
    assert_eq!(field("attributes").schema_type, SchemaType::Map);
}

/// A JSON Schema whose `$ref`s point into other registered schemas (its references: an address,
/// which refers to a country in turn, and a definition inside the address's document): the
/// records Confluent's serializer writes read as the Connect values they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_schemas_with_references_read_as_confluents_serializer_writes_them() {
    let (schema, _) = confluent_writes_tributary_reads(Format::JsonSchema, "json_schema_references_vectors.json").await;
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(schema.name.as_deref(), Some("com.example.Shipment"));
    assert_eq!(field("to").name.as_deref(), Some("com.example.Address"));
    assert!(field("from").optional);
    let country = field("to").field("country").unwrap().schema.clone();
    assert_eq!(country.name.as_deref(), Some("com.example.Country"));
    assert_eq!(
        field("where").field("lat").unwrap().schema.schema_type,
        SchemaType::Float64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_confluents_protobuf_serializer_read_as_connect_values() {
    let (schema, topic) = confluent_writes_tributary_reads(Format::Protobuf, "protobuf_vectors.json").await;
    // Confluent registered the Address message's file apart, and the schema refers to it.
    let registered = registry_get(&format!("/subjects/{topic}-value/versions/latest")).await;
    assert_eq!(
        registered["references"][0]["name"], "shop/address.proto",
        "{registered}"
    );
    // The Connect types Confluent's ProtobufData gives these Protobuf types.
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(schema.name.as_deref(), Some("Order"));
    assert_eq!(
        field("small").schema_type,
        SchemaType::Int16,
        "connect.type in the field meta"
    );
    assert_eq!(field("price").name.as_deref(), Some(logical::DECIMAL));
    assert_eq!(field("price").decimal_scale(), Some(2));
    assert_eq!(field("ordered_on").name.as_deref(), Some(logical::DATE));
    assert_eq!(field("ordered_at").name.as_deref(), Some(logical::TIME));
    assert_eq!(field("updated").name.as_deref(), Some(logical::TIMESTAMP));
    assert_eq!(field("visits").schema_type, SchemaType::Int64);
    assert_eq!(field("attributes").schema_type, SchemaType::Map);
    assert_eq!(field("lines").schema_type, SchemaType::Array);
    assert_eq!(
        field("contact_0").name.as_deref(),
        Some("io.confluent.connect.protobuf.Union.contact")
    );
    assert!(field("id").optional && field("note").optional);
    let tag = |name: &str| field(name).parameters.clone().unwrap()["io.confluent.connect.protobuf.Tag"].clone();
    assert_eq!(tag("delta"), "22");

    // With int.for.enums, the enum reads as its number, the rest as before.
    let url = shared_schema_registry().url();
    let settings = config(&[
        ("value.converter", Format::Protobuf.class()),
        ("value.converter.schema.registry.url", &url),
        ("value.converter.int.for.enums", "true"),
    ]);
    let numbers = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap();
    let symbols = value_converter(Format::Protobuf);
    let messages = consume_until(
        &shared_cluster().bootstrap_servers(),
        &topic,
        3,
        DEADLINE,
        "read_committed",
    )
    .await
    .unwrap();
    for message in &messages {
        for converter in [&numbers, &symbols] {
            finish_lookup(converter.lookup_for_connect(&topic, message.payload()))
                .await
                .unwrap();
        }
        let (Some(schema), Value::Struct(by_number)) = numbers.to_connect(&topic, message.payload()).unwrap() else {
            panic!("a struct with a schema")
        };
        let (_, Value::Struct(by_symbol)) = symbols.to_connect(&topic, message.payload()).unwrap() else {
            panic!("a struct")
        };
        let status = &schema.field("status").unwrap().schema;
        assert_eq!(status.schema_type, SchemaType::Int32);
        assert_eq!(status.name.as_deref(), Some("Status"));
        let parameters = status.parameters.as_ref().unwrap();
        let Some(Value::String(symbol)) = by_symbol.get("status") else {
            panic!("a symbol")
        };
        let number: i32 = parameters[&format!("io.confluent.connect.protobuf.Enum.{symbol}")]
            .parse()
            .unwrap();
        assert_eq!(by_number.get("status"), Some(&Value::Int32(number)));
        assert_eq!(by_number.get("price"), by_symbol.get("price"));
        assert_eq!(by_number.get("lines"), by_symbol.get("lines"));
    }
}

/// With `wrapper.for.nullables`, fields of Google's wrapper messages (scalars, a repeated one, a
/// oneof member) that Confluent's serializer wrote read as optional primitives, null when unset
/// and zero when set to zero (without it, as structs of their `value`); written again with the
/// schema read, they are wrappers in the registered schema and the same message bytes, which
/// Confluent's deserializer reads as the records first written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrapper_for_nullables_reads_and_writes_googles_wrappers_as_nullable_primitives() {
    let bootstrap = shared_cluster().bootstrap_servers();
    let registry = shared_schema_registry().url();
    let wrapping = || value_converter_with(Format::Protobuf, &[("wrapper.for.nullables", "true")]);
    let vectors = "protobuf_wrapper_vectors.json";
    let (schema, topic) = confluent_writes_tributary_reads_with(wrapping(), Format::Protobuf, vectors).await;
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(
        (field("nickname").schema_type, field("nickname").optional),
        (SchemaType::String, true)
    );
    assert_eq!(field("visits").schema_type, SchemaType::Int64);
    assert!(!field("id").optional, "a scalar is required");
    let phone = field("contact_0").field("phone").unwrap().schema.clone();
    assert_eq!(
        phone.parameters.as_ref().unwrap()["io.confluent.connect.protobuf.Wrapper"],
        "true"
    );

    let records = fixture_records(vectors);
    let messages = consume_until(&bootstrap, &topic, records.len(), DEADLINE, "read_committed")
        .await
        .unwrap();
    let plain = value_converter(Format::Protobuf);
    finish_lookup(plain.lookup_for_connect(&topic, messages[0].payload()))
        .await
        .unwrap();
    let (_, Value::Struct(first)) = plain.to_connect(&topic, messages[0].payload()).unwrap() else {
        panic!("a struct")
    };
    let Some(Value::Struct(nickname)) = first.get("nickname") else {
        panic!("without the option, a wrapper is a struct: {first:?}")
    };
    assert_eq!(nickname.get("value"), Some(&Value::String("ada".into())));

    let again = format!("{topic}-again");
    let written = write_again(&messages, &topic, &again, (wrapping(), wrapping())).await;
    let registered = registry_get(&format!("/subjects/{again}-value/versions/latest")).await;
    let text = registered["schema"].as_str().unwrap();
    for line in [
        "import \"google/protobuf/wrappers.proto\";",
        "int64 id = 1;",
        "google.protobuf.StringValue nickname = 2;",
        "google.protobuf.Int64Value visits = 5;",
        "repeated google.protobuf.StringValue aliases = 8;",
        "google.protobuf.Int64Value phone = 10;",
        "string email = 9;",
    ] {
        assert!(text.contains(line), "{line} is not in the registered schema:\n{text}");
    }
    // The same message after the schema id and the message index (visits, a UInt64Value read
    // as an INT64 as Confluent reads it, is written as an Int64Value: the same varint here).
    for (message, bytes) in messages.iter().zip(&written) {
        assert_eq!(&bytes[5..], &message.payload().unwrap()[5..]);
    }
    let compiled = protobuf_file_descriptor(text).expect("the schema compiles");
    let descriptor = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        descriptor.path(),
        base64::engine::general_purpose::STANDARD.encode(compiled),
    )
    .unwrap();
    let count = records.len().to_string();
    let path = descriptor.path().to_str().unwrap();
    let read = confluent(&[
        "consume", "protobuf", &bootstrap, &registry, &again, &count, path, "Profile",
    ])
    .await;
    assert_eq!(read, records);
}

/// `flatten.unions` reads a oneof's members as fields of the message (first, each null unless
/// it is the one set) and `generate.struct.for.nulls` reads an unset message or `optional` field
/// as its default (a struct of defaults) rather than null, as Confluent's ProtobufData reads
/// them: the records confluent-kafka's serializer wrote read as those vectors so changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flatten_unions_and_generate_struct_for_nulls_read_protobuf_as_confluents_protobuf_data() {
    let bootstrap = shared_cluster().bootstrap_servers();
    let (_, topic) = confluent_writes_tributary_reads(Format::Protobuf, "protobuf_vectors.json").await;
    let records = fixture_records("protobuf_vectors.json");
    let messages = consume_until(&bootstrap, &topic, records.len(), DEADLINE, "read_committed")
        .await
        .unwrap();
    let converter = value_converter_with(
        Format::Protobuf,
        &[("flatten.unions", "true"), ("generate.struct.for.nulls", "true")],
    );
    for (message, record) in messages.iter().zip(&records) {
        finish_lookup(converter.lookup_for_connect(&topic, message.payload()))
            .await
            .unwrap();
        let (schema, value) = converter.to_connect(&topic, message.payload()).unwrap();
        let schema = schema.expect("a schema");
        let names: Vec<&str> = schema.fields.iter().take(2).map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "phone"], "the oneof's members first");
        let mut expected = record.as_object().unwrap().clone();
        let contact = expected.remove("contact_0").unwrap_or_default();
        for member in ["email", "phone"] {
            expected.insert(member.into(), contact.get(member).cloned().unwrap_or_default());
        }
        for (field, default) in [("billing", json!({"street": "", "zip": 0})), ("note", json!(""))] {
            if expected[field].is_null() {
                expected.insert(field.into(), default);
            }
        }
        assert_eq!(connect_json(Format::Protobuf, &schema, &value), Json::Object(expected));
    }
}

/// Java's answers to `ProtobufDates.java`'s `lines` (`write DAYS`, `read Y M D`), a line each.
fn protobuf_dates_in_java(lines: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (inputs, outputs) = (dir.path().join("inputs.txt"), dir.path().join("outputs.txt"));
    std::fs::write(&inputs, lines.join("\n")).unwrap();
    let status = JavaProgram::fixture("ProtobufDates")
        .expect("ProtobufDates.java compiles")
        .command(&[], NO_PROPERTIES)
        .expect("Kafka's jars")
        .args([inputs.as_os_str(), outputs.as_os_str()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("java runs");
    assert!(status.success(), "ProtobufDates.java failed");
    std::fs::read_to_string(&outputs)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The varint fields of a Protobuf message (`bytes`), by field number.
fn varint_fields(mut bytes: &[u8]) -> BTreeMap<u64, u64> {
    fn varint(bytes: &mut &[u8]) -> u64 {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (byte, rest) = bytes.split_first().expect("a complete varint");
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }
    let mut fields = BTreeMap::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes);
        assert_eq!(key & 7, 0, "a varint field");
        fields.insert(key >> 3, varint(&mut bytes));
    }
    fields
}

/// A Connect Date is a `google.type.Date` of the fields Confluent's converter gives and takes
/// through `java.util.Calendar`: Julian dates before 1582-10-15, a BC year as the year of its
/// era, and a date a strict calendar refuses (a day the cutover skipped, year 0, month 13)
/// refused; both ways, Tributary's converter agrees with Java's calendar run beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_dates_are_the_dates_of_javas_calendar() {
    let converter = value_converter(Format::Protobuf);
    let topic = unique_name("protobuf-dates");
    let schema = SchemaBuilder::structure()
        .name("Dated")
        .field("day", SchemaBuilder::date().build())
        .build();
    let days = [
        19_000, 0, -141_427, -141_428, -141_438, -171_596, -354_285, -719_162, -719_164, -719_528, -719_893,
    ];
    let mut header = Vec::new();
    let mut written = Vec::new();
    for day in days {
        let value = Value::Struct(Struct::new(schema.clone()).with("day", Value::Int32(day)));
        finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema)))
            .await
            .unwrap();
        let bytes = converter.to_bytes(&topic, Some(&schema), &value).unwrap().unwrap();
        // The schema id and message index 0, then field 1, the Date.
        header = bytes[..6].to_vec();
        assert_eq!(bytes[6], 0x0a, "{bytes:?}");
        let date = varint_fields(&bytes[8..]);
        let field = |number| date.get(&number).copied().unwrap_or_default();
        written.push(format!("{} {} {}", field(1), field(2), field(3)));
    }
    let writes: Vec<String> = days.iter().map(|day| format!("write {day}")).collect();
    assert_eq!(written, protobuf_dates_in_java(&writes));

    let dates = [
        (1000, 1, 1),
        (1582, 10, 15),
        (1582, 10, 5),
        (1500, 2, 29),
        (1, 1, 1),
        (0, 1, 1),
        (2023, 2, 29),
        (2024, 13, 1),
    ];
    let mut read = Vec::new();
    for (year, month, day) in dates {
        let mut date = Vec::new();
        for (number, value) in [(1u8, year), (2, month), (3, day)] {
            date.extend([number << 3]);
            let mut value: u64 = value;
            loop {
                let byte = (value & 0x7f) as u8;
                value >>= 7;
                date.push(if value == 0 { byte } else { byte | 0x80 });
                if value == 0 {
                    break;
                }
            }
        }
        let mut payload = header.clone();
        payload.extend([0x0a, date.len() as u8]);
        payload.extend(date);
        finish_lookup(converter.lookup_for_connect(&topic, Some(&payload)))
            .await
            .unwrap();
        read.push(match converter.to_connect(&topic, Some(&payload)) {
            Ok((_, Value::Struct(dated))) => match dated.get("day") {
                Some(Value::Int32(days)) => days.to_string(),
                other => panic!("{other:?}"),
            },
            Ok(other) => panic!("{other:?}"),
            Err(_) => "error".to_string(),
        });
    }
    let reads: Vec<String> = dates.iter().map(|(y, m, d)| format!("read {y} {m} {d}")).collect();
    assert_eq!(read, protobuf_dates_in_java(&reads));
}

/// A struct's null field with a Connect default is written as that default, as Confluent's
/// converters read fields through Connect's `Struct.get`, and as null with
/// `ignore.default.for.nullables=true`: Confluent's deserializers read the Avro and JSON Schema
/// records so (Protobuf's, whose unset string proto3 reads as "", are read back by Tributary).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_field_is_written_as_its_default_unless_ignore_default_for_nullables() {
    let bootstrap = shared_cluster().bootstrap_servers();
    let registry = shared_schema_registry().url();
    let schema = SchemaBuilder::structure()
        .name("com.example.Defaulted")
        .field("id", Schema::of(SchemaType::Int32))
        .field(
            "note",
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(Value::String("n/a".into()))
                .build(),
        )
        .build();
    let value = Value::Struct(Struct::new(schema.clone()).with("id", Value::Int32(1)));
    for format in [Format::Avro, Format::JsonSchema, Format::Protobuf] {
        for (ignore, expected) in [("false", json!("n/a")), ("true", Json::Null)] {
            let converter = value_converter_with(format, &[("ignore.default.for.nullables", ignore)]);
            let topic = unique_name(&format!("defaulted-{}-{ignore}", format.script_name()));
            finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema)))
                .await
                .unwrap();
            let bytes = converter.to_bytes(&topic, Some(&schema), &value).unwrap().unwrap();
            let note = if format == Format::Protobuf {
                finish_lookup(converter.lookup_for_connect(&topic, Some(&bytes)))
                    .await
                    .unwrap();
                let (_, Value::Struct(read)) = converter.to_connect(&topic, Some(&bytes)).unwrap() else {
                    panic!("a struct")
                };
                connect_json(format, &Schema::string(), read.get("note").unwrap_or(&Value::Null))
            } else {
                let producer = reliable_producer(&bootstrap).unwrap();
                for delivery in produce_all(&producer, &topic, vec![(Vec::new(), bytes)], 1).await {
                    delivery.expect("delivered");
                }
                flush(&producer).await.unwrap();
                let read = confluent(&["consume", format.script_name(), &bootstrap, &registry, &topic, "1"]).await;
                read[0]["note"].clone()
            };
            let expected = match (format, ignore) {
                (Format::Protobuf, "true") => json!(""),
                _ => expected,
            };
            assert_eq!(note, expected, "{format:?}, ignore.default.for.nullables={ignore}");
        }
    }
}

/// The `records` of a vectors fixture.
fn fixture_records(vectors: &str) -> Vec<Json> {
    let vectors: Json = serde_json::from_str(&std::fs::read_to_string(fixture(vectors)).unwrap()).unwrap();
    vectors["records"].as_array().unwrap().clone()
}

/// A Connect schema with every type and logical type, as a Connect source makes it.
fn every_connect_type() -> Arc<Schema> {
    let point = SchemaBuilder::structure()
        .name("com.example.Point")
        .field("x", Schema::of(SchemaType::Float64))
        .field("label", Schema::optional_string())
        .build();
    SchemaBuilder::structure()
        .name("com.example.Everything")
        .field("int8", Schema::of(SchemaType::Int8))
        .field("int16", Schema::of(SchemaType::Int16))
        .field("int32", Schema::of(SchemaType::Int32))
        .field("int64", Schema::of(SchemaType::Int64))
        .field("float32", Schema::of(SchemaType::Float32))
        .field("float64", Schema::of(SchemaType::Float64))
        .field("boolean", Schema::of(SchemaType::Boolean))
        .field("string", Schema::string())
        .field("optional", Schema::optional_string())
        .field("bytes", Schema::of(SchemaType::Bytes))
        .field("decimal", SchemaBuilder::decimal(3).build())
        .field("date", SchemaBuilder::date().build())
        .field("time", SchemaBuilder::time().build())
        .field("timestamp", SchemaBuilder::timestamp().optional().build())
        .field("array", SchemaBuilder::array(Schema::of(SchemaType::Int32)).build())
        .field("map", SchemaBuilder::map(Schema::string(), Schema::string()).build())
        .field(
            "int_map",
            SchemaBuilder::map(Schema::of(SchemaType::Int64), Schema::of(SchemaType::Boolean)).build(),
        )
        .field("point", point.clone())
        .field("maybe_point", point.to_builder().optional().build())
        .build()
}

fn everything(schema: &Arc<Schema>, n: i32) -> Value {
    let point_schema = schema.field("point").unwrap().schema.clone();
    let point = Struct::new(point_schema)
        .with("x", Value::Float64(f64::from(n) / 4.0))
        .with(
            "label",
            if n % 2 == 0 {
                Value::String(format!("p{n}"))
            } else {
                Value::Null
            },
        );
    Value::Struct(
        Struct::new(schema.clone())
            .with("int8", Value::Int8(-(n as i8)))
            .with("int16", Value::Int16(300 * n as i16))
            .with("int32", Value::Int32(n))
            .with("int64", Value::Int64(i64::from(n) << 40))
            .with("float32", Value::Float32(n as f32 + 0.5))
            .with("float64", Value::Float64(-f64::from(n) / 8.0))
            .with("boolean", Value::Boolean(n % 2 == 0))
            .with("string", Value::String(format!("row {n} ✓")))
            .with(
                "optional",
                if n % 2 == 0 {
                    Value::Null
                } else {
                    Value::String("set".into())
                },
            )
            .with("bytes", Value::bytes(vec![0, n as u8, 255]))
            // -1.234 * n at scale 3.
            .with("decimal", Value::bytes((-1234i32 * n).to_be_bytes().to_vec()))
            .with("date", Value::Int32(19_000 + n))
            .with("time", Value::Int32(1000 * n))
            .with(
                "timestamp",
                if n == 0 {
                    Value::Null
                } else {
                    Value::Int64(1_700_000_000_000 + i64::from(n))
                },
            )
            .with("array", Value::Array(vec![Value::Int32(n), Value::Int32(-n)]))
            .with("map", Value::Map(vec![("k".into(), Value::String(format!("v{n}")))]))
            .with(
                "int_map",
                Value::Map(vec![(Value::Int64(i64::from(n)), Value::Boolean(true))]),
            )
            .with("point", Value::Struct(point))
            .with("maybe_point", Value::Null),
    )
}

/// A struct as proto3 reads it back from a field without `optional`: a null scalar as its
/// type's default (Confluent's converter writes none of the Connect schema's nullability).
fn proto3_read(value: &Value) -> Value {
    let Value::Struct(s) = value else { return value.clone() };
    let mut read = s.clone();
    for (field, v) in s.iter() {
        let default = match (v, field.schema.schema_type, &field.schema.name) {
            (Value::Null, SchemaType::String, None) => Value::String(String::new()),
            (Value::Null, SchemaType::Bytes, None) => Value::bytes(Vec::new()),
            (Value::Null, SchemaType::Boolean, None) => Value::Boolean(false),
            (Value::Null, SchemaType::Int32, None) => Value::Int32(0),
            (Value::Null, SchemaType::Int64, None) => Value::Int64(0),
            (Value::Null, SchemaType::Float64, None) => Value::Float64(0.0),
            (other, _, _) => proto3_read(other),
        };
        read.put(&field.name, default);
    }
    Value::Struct(read)
}

/// Writes records of every Connect type with Tributary's converter and has Confluent's
/// deserializer read them; returns the topic (its subject holds the registered schema).
async fn tributary_writes_confluent_reads(format: Format) -> String {
    let kafka = shared_cluster();
    let registry = shared_schema_registry().url();
    let topic = unique_name(&format!("tributary-{}", format.script_name()));
    let schema = every_connect_type();
    let converter = value_converter(format);
    let values: Vec<Value> = (0..4).map(|n| everything(&schema, n)).collect();
    let mut payloads = Vec::new();
    for value in &values {
        finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema)))
            .await
            .expect("the schema registers");
        let bytes = converter.to_bytes(&topic, Some(&schema), value).unwrap().unwrap();
        assert_eq!(bytes[0], 0, "Confluent's magic byte");
        payloads.push((Vec::new(), bytes));
    }
    // One schema id for every record: registered once.
    let ids: Vec<&[u8]> = payloads.iter().map(|(_, p)| &p[1..5]).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    let producer = reliable_producer(&kafka.bootstrap_servers()).unwrap();
    for delivery in produce_all(&producer, &topic, payloads, 16).await {
        delivery.expect("delivered");
    }
    flush(&producer).await.unwrap();

    let bootstrap = kafka.bootstrap_servers();
    let mut consume = vec!["consume", format.script_name(), &bootstrap, &registry, &topic, "4"];
    // Python has no `.proto` compiler: it gets the registered schema compiled.
    let descriptor = tempfile::NamedTempFile::new().unwrap();
    if format == Format::Protobuf {
        let registered = registry_get(&format!("/subjects/{topic}-value/versions/latest")).await;
        let compiled = protobuf_file_descriptor(registered["schema"].as_str().unwrap()).expect("the schema compiles");
        std::fs::write(
            descriptor.path(),
            base64::engine::general_purpose::STANDARD.encode(compiled),
        )
        .unwrap();
        consume.extend([descriptor.path().to_str().unwrap(), "com.example.Everything"]);
    }
    let read = confluent(&consume).await;
    let expected: Vec<Json> = values
        .iter()
        .map(|v| match format {
            Format::Protobuf => connect_json(format, &schema, &proto3_read(v)),
            _ => connect_json(format, &schema, v),
        })
        .collect();
    assert_eq!(read, expected);
    topic
}

async fn latest_schema(topic: &str) -> Json {
    let latest = registry_get(&format!("/subjects/{topic}-value/versions/latest")).await;
    serde_json::from_str(latest["schema"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_tributary_read_by_confluents_avro_deserializer() {
    let topic = tributary_writes_confluent_reads(Format::Avro).await;
    // The registered schema is Confluent's mapping of the Connect schema.
    let avro = latest_schema(&topic).await;
    assert_eq!(avro["name"], "Everything");
    assert_eq!(avro["connect.name"], "com.example.Everything");
    let field = |name: &str| {
        avro["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["type"]
            .clone()
    };
    assert_eq!(field("int8"), json!({"type": "int", "connect.type": "int8"}));
    assert_eq!(field("decimal")["logicalType"], "decimal");
    assert_eq!(field("int_map")["items"]["name"], "MapEntry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_tributary_read_by_confluents_json_schema_deserializer() {
    let topic = tributary_writes_confluent_reads(Format::JsonSchema).await;
    let schema = latest_schema(&topic).await;
    assert_eq!(schema["title"], "com.example.Everything");
    assert_eq!(schema["properties"]["int8"]["connect.type"], "int8");
    assert_eq!(schema["properties"]["optional"]["oneOf"][0]["type"], "null");
    // A decimal is a string of base64 (Confluent's default decimal.format, BASE64).
    assert_eq!(
        schema["properties"]["decimal"],
        json!({"type": "string", "title": "org.apache.kafka.connect.data.Decimal", "connect.type": "bytes", "connect.version": 1,
               "connect.parameters": {"scale": "3"}, "connect.index": 10})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_tributary_read_by_confluents_protobuf_deserializer() {
    let topic = tributary_writes_confluent_reads(Format::Protobuf).await;
    let registered = registry_get(&format!("/subjects/{topic}-value/versions/latest")).await;
    assert_eq!(registered["schemaType"], "PROTOBUF");
    let text = registered["schema"].as_str().unwrap();
    for line in [
        "package com.example;",
        "message Everything {",
        "int32 int8 = 1 [(confluent.field_meta) = { params: [{ key: \"connect.type\", value: \"int8\" }] }];",
        "confluent.type.Decimal decimal = 11 [(confluent.field_meta) = { params: [{ key: \"scale\", value: \"3\" }] }];",
        "repeated ConnectDefault2Entry int_map = 17;",
    ] {
        assert!(text.contains(line), "{line} is not in the registered schema:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primitive_protobuf_records_are_googles_wrappers_both_ways() {
    let kafka = shared_cluster();
    let bootstrap = kafka.bootstrap_servers();
    let registry = shared_schema_registry().url();
    let converter = value_converter(Format::Protobuf);

    // Confluent's serializer writes Int64Value messages (a primitive key's form); Tributary
    // reads them as int64 values.
    let topic = unique_name("confluent-int64");
    let vectors = tempfile::NamedTempFile::new().unwrap();
    let numbers = [7i64, -9_000_000_000, 0];
    let records: Vec<Json> = numbers.iter().map(|n| json!({"value": n})).collect();
    std::fs::write(
        vectors.path(),
        json!({"message": "google.protobuf.Int64Value", "records": records}).to_string(),
    )
    .unwrap();
    confluent(&[
        "produce",
        "protobuf",
        &bootstrap,
        &registry,
        &topic,
        vectors.path().to_str().unwrap(),
    ])
    .await;
    let messages = consume_until(&bootstrap, &topic, numbers.len(), DEADLINE, "read_committed")
        .await
        .unwrap();
    assert_eq!(messages.len(), numbers.len());
    for (message, number) in messages.iter().zip(numbers) {
        finish_lookup(converter.lookup_for_connect(&topic, message.payload()))
            .await
            .expect("the schema");
        let (schema, value) = converter.to_connect(&topic, message.payload()).expect("readable");
        assert_eq!(schema.map(|s| s.schema_type), Some(SchemaType::Int64));
        assert_eq!(value, Value::Int64(number));
    }

    // Tributary writes strings as StringValue messages; Confluent's deserializer reads them.
    let topic = unique_name("tributary-string");
    let schema = Schema::string();
    let keys = ["k-1", "", "✓"];
    let mut payloads = Vec::new();
    for key in keys {
        finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema)))
            .await
            .expect("registers");
        let bytes = converter
            .to_bytes(&topic, Some(&schema), &Value::String(key.into()))
            .unwrap()
            .unwrap();
        payloads.push((Vec::new(), bytes));
    }
    let producer = reliable_producer(&bootstrap).unwrap();
    for delivery in produce_all(&producer, &topic, payloads, 16).await {
        delivery.expect("delivered");
    }
    flush(&producer).await.unwrap();
    let registered = registry_get(&format!("/subjects/{topic}-value/versions/latest")).await;
    let compiled = protobuf_file_descriptor(registered["schema"].as_str().unwrap()).unwrap();
    let descriptor = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        descriptor.path(),
        base64::engine::general_purpose::STANDARD.encode(compiled),
    )
    .unwrap();
    let read = confluent(&[
        "consume",
        "protobuf",
        &bootstrap,
        &registry,
        &topic,
        "3",
        descriptor.path().to_str().unwrap(),
        "google.protobuf.StringValue",
    ])
    .await;
    let expected: Vec<Json> = keys.iter().map(|k| json!({"value": k})).collect();
    assert_eq!(read, expected);
}

/// The rows of `table` as text, ordered by id.
fn rows(table: &str, columns: &str) -> Vec<String> {
    shared_postgres()
        .sql("tributary", &format!("SELECT {columns} FROM {table} ORDER BY id"))
        .map(|out| out.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A worker moving the rows of a new PostgreSQL table (`columns`, then `rows` inserted) to
/// another through a JDBC source and a JDBC sink (upsert, `auto.evolve`) whose values go through
/// the value converter `converter` (its class and settings) and the shared registry.
struct JdbcPipeline {
    _runtime: tributary_runtime::mode::standalone::StandaloneRuntime,
    api: common::Api,
    name: String,
    source_table: String,
    sink_table: String,
    topic: String,
}

impl JdbcPipeline {
    /// Waits until the sink table holds the source table's rows (`columns`, by id).
    async fn sink_catches_up(&self, columns: &str, what: &str) {
        let expected = rows(&self.source_table, columns);
        eventually(DEADLINE, what, || async {
            (rows(&self.sink_table, columns) == expected).then_some(())
        })
        .await;
    }
}

async fn jdbc_pipeline(prefix: &str, converter: Json, columns: &str, rows: &str) -> (JdbcPipeline, tempfile::TempDir) {
    let kafka = shared_cluster();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&kafka.bootstrap_servers(), dir.path(), &[]).await;
    let name = unique_name(prefix).replace('-', "_");
    let (source_table, sink_table) = (format!("{name}_in"), format!("{name}_out"));
    database
        .sql(
            "tributary",
            &format!("CREATE TABLE {source_table} ({columns}); INSERT INTO {source_table} {rows}"),
        )
        .unwrap();
    let converter = merged(
        converter,
        json!({"value.converter.schema.registry.url": shared_schema_registry().url()}),
    );
    let topic_prefix = format!("{name}-");
    let topic = format!("{topic_prefix}{source_table}");
    let source = json!({"name": format!("{name}-source"), "config": merged(json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": database.jdbc_url(),
        "connection.user": "tributary",
        "table.whitelist": source_table,
        "mode": "incrementing",
        "incrementing.column.name": "id",
        "topic.prefix": topic_prefix,
        "poll.interval.ms": "200",
    }), converter.clone())});
    let (code, body) = api.post("/connectors", source).await;
    assert_eq!(code, 201, "{body}");
    let sink = json!({"name": format!("{name}-sink"), "config": merged(json!({
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "connection.url": database.jdbc_url(),
        "connection.user": "tributary",
        "topics": topic,
        "table.name.format": sink_table,
        "auto.create": "true",
        "auto.evolve": "true",
        "insert.mode": "upsert",
        "pk.mode": "record_value",
        "pk.fields": "id",
        "consumer.override.auto.offset.reset": "earliest",
    }), converter)});
    let (code, body) = api.post("/connectors", sink).await;
    assert_eq!(code, 201, "{body}");
    let pipeline = JdbcPipeline {
        _runtime: runtime,
        api,
        name,
        source_table,
        sink_table,
        topic,
    };
    (pipeline, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_moves_rows_through_avro_as_the_table_evolves() {
    let database = shared_postgres();
    let (pipeline, _dir) = jdbc_pipeline(
        "avro_rows",
        json!({"value.converter": "io.confluent.connect.avro.AvroConverter"}),
        "id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(12,2), born DATE",
        "SELECT g, 'row ' || g, g / 4.0, DATE '2024-01-01' + g FROM generate_series(1, 20) g",
    )
    .await;
    let JdbcPipeline {
        api,
        name,
        source_table,
        sink_table,
        topic,
        ..
    } = &pipeline;
    let columns = "id, name, amount, born";
    pipeline
        .sink_catches_up(columns, "the first 20 rows in the sink table")
        .await;

    // A nullable column: a compatible second version, which the sink follows.
    database
        .sql(
            "tributary",
            &format!(
                "ALTER TABLE {source_table} ADD COLUMN email TEXT; INSERT INTO {source_table} \
                 SELECT g, 'row ' || g, g / 4.0, DATE '2024-01-01' + g, 'r' || g || '@example.com' \
                 FROM generate_series(21, 30) g"
            ),
        )
        .unwrap();
    let columns = "id, name, amount, born, email";
    pipeline
        .sink_catches_up(columns, "30 rows with the new column in the sink table")
        .await;
    let versions = registry_get(&format!("/subjects/{topic}-value/versions")).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");

    // A required column without a default cannot read the earlier records: the registry
    // refuses it (BACKWARD) and the source task fails with the registry's message. The
    // transaction stays open a second, longer than the poll interval: a poll that reads the
    // table's columns meanwhile then waits on the table's lock and reads the new column, which
    // must still be declared required.
    database
        .sql(
            "tributary",
            &format!(
                "ALTER TABLE {source_table} ADD COLUMN level INT NOT NULL DEFAULT 1; INSERT INTO {source_table} \
                 (id, name, level) VALUES (31, 'row 31', 2); SELECT pg_sleep(1)"
            ),
        )
        .unwrap();
    let trace = api.failed_trace(&format!("{name}-source"), DEADLINE).await;
    assert!(trace.contains(&format!("{topic}-value")), "{trace}");
    assert!(
        trace.contains("409"),
        "the registry's error code is in the trace: {trace}"
    );
    let versions = registry_get(&format!("/subjects/{topic}-value/versions")).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    assert_eq!(
        rows(sink_table, "id").len(),
        30,
        "nothing of the refused version arrived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_moves_rows_through_protobuf_as_the_table_evolves() {
    let database = shared_postgres();
    let (pipeline, _dir) = jdbc_pipeline(
        "proto_rows",
        // Nulls in nullable columns stay nulls (without it, proto3 reads an unset scalar as 0).
        json!({
            "value.converter": "io.confluent.connect.protobuf.ProtobufConverter",
            "value.converter.optional.for.nullables": "true",
        }),
        "id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(12,2), born DATE, small SMALLINT",
        "SELECT g, 'row ' || g, g / 4.0, DATE '2024-01-01' + g, NULLIF(g % 5, 0) FROM generate_series(1, 20) g",
    )
    .await;
    let JdbcPipeline {
        api,
        name,
        source_table,
        sink_table,
        topic,
        ..
    } = &pipeline;
    let columns = "id, name, amount, born, small";
    pipeline
        .sink_catches_up(columns, "the first 20 rows in the sink table")
        .await;

    // A new column: a compatible second version (a new field number), which the sink follows.
    database
        .sql(
            "tributary",
            &format!(
                "ALTER TABLE {source_table} ADD COLUMN email TEXT; INSERT INTO {source_table} \
                 SELECT g, 'row ' || g, g / 4.0, DATE '2024-01-01' + g, g, 'r' || g || '@example.com' \
                 FROM generate_series(21, 30) g"
            ),
        )
        .unwrap();
    let columns = "id, name, amount, born, small, email";
    pipeline
        .sink_catches_up(columns, "30 rows with the new column in the sink table")
        .await;
    let versions = registry_get(&format!("/subjects/{topic}-value/versions")).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");

    // A field changing type is refused by the registry and fails the source task with its message.
    database
        .sql(
            "tributary",
            &format!(
                "ALTER TABLE {source_table} ALTER COLUMN amount TYPE BIGINT; INSERT INTO {source_table} \
                 (id, name, amount) VALUES (31, 'row 31', 7)"
            ),
        )
        .unwrap();
    let trace = api.failed_trace(&format!("{name}-source"), DEADLINE).await;
    assert!(
        trace.contains(&format!("{topic}-value")) && trace.contains("409"),
        "{trace}"
    );
    assert_eq!(
        rows(sink_table, "id").len(),
        30,
        "nothing of the refused version arrived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_data_capture_writes_avro_that_confluent_reads_as_the_table_evolves() {
    let kafka = shared_cluster();
    let registry = shared_schema_registry().url();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, api) = start_worker(&kafka.bootstrap_servers(), dir.path(), &[]).await;
    // A topic prefix with `-`, as most have: not a valid Avro name until scrubbed.
    let prefix = unique_name("avro-cdc");
    let name = prefix.replace('-', "_");
    let table = format!("{name}_orders");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, amount NUMERIC(10,2) NOT NULL); \
                 INSERT INTO {table} SELECT g, g * 1.5 FROM generate_series(1, 5) g"
            ),
        )
        .unwrap();
    let config = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1",
        "database.port": database.port().to_string(),
        "database.user": "tributary",
        "database.dbname": "tributary",
        "topic.prefix": prefix,
        "slot.name": name,
        "publication.name": name,
        "publication.autocreate.mode": "filtered",
        "table.include.list": format!("public\\.{table}"),
        "key.converter": "io.confluent.connect.avro.AvroConverter",
        "key.converter.schema.registry.url": registry,
        "key.converter.scrub.invalid.names": "true",
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry,
        "value.converter.scrub.invalid.names": "true",
    });
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.public.{table}");
    // The snapshot's rows are in before the table changes.
    eventually(DEADLINE, "the snapshot registered", || async {
        reqwest::get(format!("{registry}/subjects/{topic}-value/versions"))
            .await
            .ok()?
            .status()
            .is_success()
            .then_some(())
    })
    .await;
    database
        .sql(
            "tributary",
            &format!(
                "ALTER TABLE {table} ADD COLUMN note TEXT; \
                 INSERT INTO {table} VALUES (6, 9.25, 'gift'); UPDATE {table} SET amount = 0.5 WHERE id = 1"
            ),
        )
        .unwrap();
    let events = confluent(&["consume", "avro", &kafka.bootstrap_servers(), &registry, &topic, "7"]).await;
    let summary: Vec<(String, i64, Json, Json)> = events
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap_or_default().to_string(),
                e["after"]["id"].as_i64().unwrap_or_default(),
                e["after"]["amount"].clone(),
                e["after"].get("note").cloned().unwrap_or(Json::Null),
            )
        })
        .collect();
    let expected: Vec<(String, i64, Json, Json)> = (1..=5)
        .map(|id| {
            (
                "r".to_string(),
                id,
                json!(format!("{:.2}", id as f64 * 1.5)),
                Json::Null,
            )
        })
        .chain([
            ("c".to_string(), 6, json!("9.25"), json!("gift")),
            ("u".to_string(), 1, json!("0.50"), Json::Null),
        ])
        .collect();
    assert_eq!(summary, expected, "{events:?}");
    // The added column is a compatible second version of the value's schema.
    let versions = registry_get(&format!("/subjects/{topic}-value/versions")).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    let value_schema = latest_schema(&topic).await;
    assert_eq!(value_schema["connect.name"], format!("{topic}.Envelope"));
    assert_eq!(value_schema["namespace"], format!("{name}.public.{table}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_over_https_is_trusted_through_the_converters_ssl_settings() {
    let tls = TlsFiles::make(&["registry"]).unwrap();
    let (certificate, key) = (tls.path("registry.crt"), tls.path("registry.key"));
    let registry = tokio::task::spawn_blocking(move || {
        SchemaRegistry::start_with_tls(ServerCertificate {
            certificate: &certificate,
            key: &key,
        })
    })
    .await
    .unwrap()
    .expect("an HTTPS registry");
    let url = registry.url();
    assert!(url.starts_with("https://"));
    let schema = every_connect_type();
    let value = everything(&schema, 1);
    let converter = |extra: &[(&str, &str)]| {
        let mut settings = config(&[
            ("value.converter", Format::Avro.class()),
            ("value.converter.schema.registry.url", &url),
        ]);
        settings.extend(config(extra));
        converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).expect("the converter")
    };

    // Without the registry's CA: refused, with the reason.
    let untrusting = converter(&[]);
    let error = finish_lookup(untrusting.lookup_for_bytes("tls-topic", Some(&schema)))
        .await
        .expect_err("an unknown CA is refused");
    assert!(error.0.contains("no Schema Registry answered"), "{error}");
    assert!(
        !error.0.contains("Connection refused"),
        "refused for its certificate, not for want of a listener: {error}"
    );

    // With it, as a PEM trust store: written, and read back through the same registry.
    let ca = tls.path("ca.crt");
    let trusting = converter(&[
        ("value.converter.schema.registry.ssl.truststore.location", &ca),
        ("value.converter.schema.registry.ssl.truststore.type", "PEM"),
    ]);
    finish_lookup(trusting.lookup_for_bytes("tls-topic", Some(&schema)))
        .await
        .expect("registered over HTTPS");
    let bytes = trusting.to_bytes("tls-topic", Some(&schema), &value).unwrap();
    let reader = converter(&[("value.converter.schema.registry.ssl.truststore.location", &ca)]);
    finish_lookup(reader.lookup_for_connect("tls-topic", bytes.as_deref()))
        .await
        .expect("fetched over HTTPS");
    let (_, read) = reader.to_connect("tls-topic", bytes.as_deref()).unwrap();
    assert_eq!(read, value);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_the_registry_cannot_explain_go_to_the_dead_letter_queue() {
    let kafka = shared_cluster();
    let registry = shared_schema_registry().url();
    let topic = unique_name("avro-poisoned");
    let dlq = unique_name("avro-dlq");
    let schema = every_connect_type();
    let converter = value_converter(Format::Avro);
    finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema)))
        .await
        .unwrap();
    let good = |n| {
        converter
            .to_bytes(&topic, Some(&schema), &everything(&schema, n))
            .unwrap()
            .unwrap()
    };
    let mut unknown_id = good(2);
    unknown_id[1..5].copy_from_slice(&987_654u32.to_be_bytes());
    let records = vec![
        (b"1".to_vec(), good(1)),
        (b"2".to_vec(), unknown_id),
        (b"3".to_vec(), b"{\"not\": \"avro\"}".to_vec()),
        (b"4".to_vec(), good(4)),
    ];
    let producer = reliable_producer(&kafka.bootstrap_servers()).unwrap();
    for delivery in produce_all(&producer, &topic, records, 1).await {
        delivery.expect("delivered");
    }
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, api) = start_worker(&kafka.bootstrap_servers(), dir.path(), &[]).await;
    let out = dir.path().join("out.txt");
    let sink_name = unique_name("avro-sink");
    let (code, body) = api
        .post(
            "/connectors",
            json!({"name": sink_name, "config": {
                "connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": Format::Avro.class(),
                "value.converter.schema.registry.url": registry,
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
                "consumer.override.auto.offset.reset": "earliest"}}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let dead = consume_until(&kafka.bootstrap_servers(), &dlq, 2, DEADLINE, "read_committed")
        .await
        .unwrap();
    let reasons: Vec<(String, String)> = dead
        .iter()
        .map(|record| {
            let header = |name: &str| {
                record
                    .headers()
                    .and_then(|h| h.iter().find(|h| h.key == name))
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            };
            (
                String::from_utf8_lossy(record.key().unwrap_or_default()).into_owned(),
                header("__connect.errors.exception.message"),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, "2");
    assert!(
        reasons[0].1.contains("schema with id 987654"),
        "the registry's answer: {reasons:?}"
    );
    assert_eq!(reasons[1].0, "3");
    assert!(reasons[1].1.contains("Unknown magic byte"), "{reasons:?}");
    eventually(DEADLINE, "the two good records in the file", || async {
        // Bytes fields are written raw, so the file is not text.
        let written = std::fs::read(&out).unwrap_or_default();
        (written.iter().filter(|b| **b == b'\n').count() == 2).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_latest_version_writes_with_the_registered_schema() {
    let topic = unique_name("avro-latest");
    let full = every_connect_type();
    // The subject's latest version: the full schema, registered by another writer.
    let writer = value_converter(Format::Avro);
    finish_lookup(writer.lookup_for_bytes(&topic, Some(&full)))
        .await
        .unwrap();
    let registry = shared_schema_registry().url();
    let latest_only = |strict: &str| {
        let settings = config(&[
            ("value.converter", Format::Avro.class()),
            ("value.converter.schema.registry.url", &registry),
            ("value.converter.auto.register.schemas", "false"),
            ("value.converter.use.latest.version", "true"),
            ("value.converter.latest.compatibility.strict", strict),
        ]);
        converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap()
    };

    // A record of the same schema is written with the latest version's id.
    let converter = latest_only("true");
    finish_lookup(converter.lookup_for_bytes(&topic, Some(&full)))
        .await
        .unwrap();
    let bytes = converter
        .to_bytes(&topic, Some(&full), &everything(&full, 1))
        .unwrap()
        .unwrap();
    let registered = writer
        .to_bytes(&topic, Some(&full), &everything(&full, 1))
        .unwrap()
        .unwrap();
    assert_eq!(bytes, registered);

    // A record with a field the latest version lacks: the latest can read it, so it is written
    // with the latest version, the extra field left out.
    let extra = full.to_builder().field("added", Schema::of(SchemaType::Int32)).build();
    finish_lookup(converter.lookup_for_bytes(&topic, Some(&extra)))
        .await
        .unwrap();
    let mut value = Struct::new(extra.clone());
    if let Value::Struct(base) = everything(&full, 1) {
        for (field, v) in base.iter() {
            value.put(&field.name, v.clone());
        }
    }
    value.put("added", Value::Int32(5));
    let bytes = converter
        .to_bytes(&topic, Some(&extra), &Value::Struct(value))
        .unwrap()
        .unwrap();
    assert_eq!(bytes, registered);

    // A record without a field the latest version requires: refused when strict, with the
    // reason; not strict, its schema is taken and the value fails on the missing field.
    let mut fewer = SchemaBuilder::structure().name("com.example.Everything");
    for field in full.fields.iter().filter(|f| f.name != "int8") {
        fewer = fewer.field(&field.name, field.schema.clone());
    }
    let fewer = fewer.build();
    let error = finish_lookup(converter.lookup_for_bytes(&topic, Some(&fewer)))
        .await
        .expect_err("not compatible with the latest version");
    assert!(
        error.0.contains("Schema not compatible with the latest version"),
        "{error}"
    );
    let lenient = latest_only("false");
    finish_lookup(lenient.lookup_for_bytes(&topic, Some(&fewer)))
        .await
        .unwrap();
    let error = lenient
        .to_bytes(&topic, Some(&fewer), &Value::Struct(Struct::new(fewer.clone())))
        .unwrap_err();
    assert!(error.0.contains("field int8"), "{error}");
}

/// A TCP proxy in front of the registry at `target` (`host:port`) that answers the first
/// `failures` connections with 503 and then forwards; its address.
async fn flaky_proxy(target: String, failures: usize) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut accepted = 0;
        while let Ok((mut client, _)) = listener.accept().await {
            accepted += 1;
            if accepted <= failures {
                let mut request = [0u8; 4096];
                let _ = client.read(&mut request).await;
                let answer = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = client.write_all(answer.as_bytes()).await;
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    address
}

/// A registry answering 503 twice is asked again, as Confluent's client asks
/// (`max.retries`, 3 by default, waits from `retries.wait.ms`), and the schema registers; with
/// fewer retries than failures the converter gives up with the registry's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_answering_503_is_retried_as_confluents_client_retries() {
    let url = reqwest::Url::parse(&shared_schema_registry().url()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let schema = every_connect_type();
    for (retries, registers) in [("3", true), ("1", false)] {
        let proxy = flaky_proxy(target.clone(), 2).await;
        let mut through_proxy = url.clone();
        through_proxy.set_port(Some(proxy.port())).unwrap();
        let settings = config(&[
            ("value.converter", Format::Avro.class()),
            ("value.converter.schema.registry.url", through_proxy.as_str()),
            ("value.converter.max.retries", retries),
            ("value.converter.retries.wait.ms", "20"),
        ]);
        let converter = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).expect("the converter");
        let topic = unique_name("flaky-registry");
        let registered = finish_lookup(converter.lookup_for_bytes(&topic, Some(&schema))).await;
        match registers {
            true => registered.expect("registered on the third attempt"),
            false => {
                let error = registered.expect_err("two failures, one retry");
                assert!(error.0.contains("503"), "{error}");
            }
        }
    }
}

/// A registry that takes the connection and never answers is given up after
/// `http.read.timeout.ms` (60 s by default, as Confluent's client), not waited for without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_never_answers_is_given_up_after_the_read_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            connections.push(connection);
        }
    });
    let settings = config(&[
        ("value.converter", Format::Avro.class()),
        ("value.converter.schema.registry.url", &format!("http://{address}")),
        ("value.converter.http.read.timeout.ms", "500"),
        ("value.converter.max.retries", "0"),
    ]);
    let converter = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).expect("the converter");
    let started = std::time::Instant::now();
    let lookup = finish_lookup(converter.lookup_for_bytes("silent-registry", Some(&every_connect_type())));
    let error = tokio::time::timeout(Duration::from_secs(20), lookup)
        .await
        .expect("given up within 20 s")
        .expect_err("no answer");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(error.0.contains("no Schema Registry answered"), "{error}");
    held.abort();
}
