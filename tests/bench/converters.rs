//! Benchmark: the converters a JDBC pipeline chooses between, on the same rows in the same run:
//! `JsonConverter` with schemas (Apache's envelope), `JsonConverter` without, Confluent's
//! `AvroConverter`, `ProtobufConverter` and `JsonSchemaConverter` (schemas in a real Schema
//! Registry, Apicurio's, started by the harness; registered once, then cached).
//!
//! Each converter writes `CONVERTER_BENCH_RECORDS` rows (default 500,000) of a table-like
//! schema (id, name, amount NUMERIC(12,2), an optional note, a timestamp, a flag) to bytes, as a
//! source task does, and reads them back, as a sink task does; on one thread, no Kafka.
//!
//! Run with `cargo bench --bench converters`. Reports records/s each way, bytes per record, and
//! each one's size and speed against JsonConverter with schemas.

use std::sync::Arc;
use std::time::Instant;

use tributary_harness::shared_schema_registry;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::converter::{converter_for, finish_lookup, Converter, ConverterRole};
use tributary_runtime::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};

struct Measured {
    name: &'static str,
    write_per_second: f64,
    read_per_second: f64,
    bytes_per_record: f64,
}

fn row_schema() -> Arc<Schema> {
    SchemaBuilder::structure()
        .name("shop.orders")
        .field("id", Schema::of(SchemaType::Int64))
        .field("name", Schema::string())
        .field("amount", SchemaBuilder::decimal(2).optional().build())
        .field("note", Schema::optional_string())
        .field("updated", SchemaBuilder::timestamp().build())
        .field("paid", Schema::of(SchemaType::Boolean))
        .build()
}

fn row(schema: &Arc<Schema>, n: i64) -> Value {
    Value::Struct(
        Struct::new(schema.clone())
            .with("id", Value::Int64(n))
            .with("name", Value::String(format!("customer {n}")))
            .with("amount", Value::bytes((n * 37 % 100_000).to_be_bytes().to_vec()))
            .with(
                "note",
                if n % 3 == 0 {
                    Value::Null
                } else {
                    Value::String("deliver before noon".into())
                },
            )
            .with("updated", Value::Int64(1_700_000_000_000 + n))
            .with("paid", Value::Boolean(n % 2 == 0)),
    )
}

async fn measure(name: &'static str, settings: &[(&str, &str)], values: &[Value], schema: &Arc<Schema>) -> Measured {
    let settings: ConfigMap = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let converter: Arc<dyn Converter> =
        converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).expect("a converter");
    let topic = format!("bench-{}", name.replace(' ', "-"));
    let started = Instant::now();
    let mut written = Vec::with_capacity(values.len());
    for value in values {
        finish_lookup(converter.lookup_for_bytes(&topic, Some(schema)))
            .await
            .expect("the schema registers");
        written.push(
            converter
                .to_bytes(&topic, Some(schema), value)
                .expect("writes")
                .expect("not null"),
        );
    }
    let write_seconds = started.elapsed().as_secs_f64();
    let bytes: usize = written.iter().map(Vec::len).sum();
    let started = Instant::now();
    for bytes in &written {
        finish_lookup(converter.lookup_for_connect(&topic, Some(bytes)))
            .await
            .expect("the schema is fetched");
        let (_, value) = converter.to_connect(&topic, Some(bytes)).expect("reads");
        std::hint::black_box(value);
    }
    let read_seconds = started.elapsed().as_secs_f64();
    Measured {
        name,
        write_per_second: values.len() as f64 / write_seconds,
        read_per_second: values.len() as f64 / read_seconds,
        bytes_per_record: bytes as f64 / values.len() as f64,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let records: i64 = std::env::var("CONVERTER_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let registry = shared_schema_registry().url();
    let schema = row_schema();
    let values: Vec<Value> = (0..records).map(|n| row(&schema, n)).collect();
    let json = "org.apache.kafka.connect.json.JsonConverter";
    let runs = [
        measure("JsonConverter, schemas", &[("value.converter", json)], &values, &schema).await,
        measure(
            "JsonConverter, no schemas",
            &[("value.converter", json), ("value.converter.schemas.enable", "false")],
            &values,
            &schema,
        )
        .await,
        measure(
            "AvroConverter",
            &[
                ("value.converter", "io.confluent.connect.avro.AvroConverter"),
                ("value.converter.schema.registry.url", &registry),
            ],
            &values,
            &schema,
        )
        .await,
        measure(
            "ProtobufConverter",
            &[
                ("value.converter", "io.confluent.connect.protobuf.ProtobufConverter"),
                ("value.converter.schema.registry.url", &registry),
            ],
            &values,
            &schema,
        )
        .await,
        measure(
            "JsonSchemaConverter",
            &[
                ("value.converter", "io.confluent.connect.json.JsonSchemaConverter"),
                ("value.converter.schema.registry.url", &registry),
            ],
            &values,
            &schema,
        )
        .await,
    ];
    let base = &runs[0];
    println!("{records} records of a six-column row, one thread");
    println!(
        "| converter | write records/s | read records/s | bytes/record | size vs JSON+schemas | write vs JSON+schemas | read vs JSON+schemas |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for run in &runs {
        println!(
            "| {} | {:.0} | {:.0} | {:.1} | {:.2}x | {:.2}x | {:.2}x |",
            run.name,
            run.write_per_second,
            run.read_per_second,
            run.bytes_per_record,
            run.bytes_per_record / base.bytes_per_record,
            run.write_per_second / base.write_per_second,
            run.read_per_second / base.read_per_second,
        );
    }
}
