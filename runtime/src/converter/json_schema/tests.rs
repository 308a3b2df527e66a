use std::sync::Arc;

use serde_json::json;

use super::read::read_json;
use super::references::Documents;
use super::schema::{from_connect, to_connect, JsonSchemaOptions, ONE_OF};
use super::write::{to_json, write_json};
use crate::converter::json::DecimalFormat;
use crate::data::{decimal_from_text, Schema, SchemaBuilder, SchemaType, Struct, Value};

fn every_type() -> Arc<Schema> {
    SchemaBuilder::structure()
        .name("com.example.Row")
        .version(3)
        .field("tiny", Schema::of(SchemaType::Int8))
        .field("count", Schema::of(SchemaType::Int64))
        .field("ratio", Schema::of(SchemaType::Float32))
        .field("name", Schema::optional_string())
        .field("photo", Schema::of(SchemaType::Bytes))
        .field("price", SchemaBuilder::decimal(2).build())
        .field("born", SchemaBuilder::date().build())
        .field("tags", SchemaBuilder::array(Schema::string()).build())
        .field(
            "by_name",
            SchemaBuilder::map(Schema::string(), Schema::of(SchemaType::Int32)).build(),
        )
        .field(
            "by_id",
            SchemaBuilder::map(Schema::of(SchemaType::Int32), Schema::string()).build(),
        )
        .field(
            "level",
            SchemaBuilder::new(SchemaType::Int32)
                .default_value(Value::Int32(3))
                .build(),
        )
        .build()
}

/// Confluent's defaults but `decimal.format=NUMERIC`.
fn numeric() -> JsonSchemaOptions {
    JsonSchemaOptions {
        decimals: DecimalFormat::Numeric,
        ..JsonSchemaOptions::default()
    }
}

fn row(schema: &Arc<Schema>) -> Value {
    Value::Struct(
        Struct::new(schema.clone())
            .with("tiny", Value::Int8(-1))
            .with("count", Value::Int64(1 << 40))
            .with("ratio", Value::Float32(0.5))
            .with("name", Value::Null)
            .with("photo", Value::bytes(vec![0, 255]))
            .with("price", Value::bytes(vec![0x30, 0x39]))
            .with("born", Value::Int32(19_000))
            .with("tags", Value::Array(vec!["a".into()]))
            .with("by_name", Value::Map(vec![("x".into(), Value::Int32(1))]))
            .with("by_id", Value::Map(vec![(Value::Int32(7), "seven".into())]))
            .with("level", Value::Int32(4)),
    )
}

#[test]
fn schemas_as_confluent_writes_them() {
    let json = from_connect(&every_type(), &JsonSchemaOptions::default()).unwrap();
    assert_eq!(json["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(json["type"], "object");
    assert_eq!(json["title"], "com.example.Row");
    assert_eq!(json["connect.version"], 3);
    let property = |name: &str| json["properties"][name].clone();
    assert_eq!(
        property("tiny"),
        json!({"type": "integer", "connect.type": "int8", "connect.index": 0})
    );
    assert_eq!(
        property("name"),
        json!({"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 3})
    );
    assert_eq!(
        property("photo"),
        json!({"type": "string", "connect.type": "bytes", "connect.index": 4})
    );
    // A decimal is a string (base64 of its unscaled bytes) unless decimal.format=NUMERIC.
    let price = property("price");
    assert_eq!(price["type"], "string");
    let numeric = from_connect(&every_type(), &numeric()).unwrap();
    assert_eq!(numeric["properties"]["price"]["type"], "number");
    assert_eq!(price["connect.type"], "bytes");
    assert_eq!(price["title"], "org.apache.kafka.connect.data.Decimal");
    assert_eq!(price["connect.parameters"], json!({"scale": "2"}));
    assert_eq!(property("by_name")["additionalProperties"]["connect.type"], "int32");
    assert_eq!(property("by_id")["items"]["properties"]["key"]["connect.index"], 0);
    assert_eq!(property("level")["default"], 3);
}

#[test]
fn every_type_survives_a_round_trip() {
    let schema = every_type();
    let value = row(&schema);
    let document = to_json(&schema, &value, &JsonSchemaOptions::default()).unwrap();
    assert_eq!(document["price"], "MDk=");
    assert_eq!(to_json(&schema, &value, &numeric()).unwrap()["price"], json!(123.45));
    assert_eq!(document["photo"], "AP8=");
    assert_eq!(document["by_id"], json!([{"key": 7, "value": "seven"}]));
    let options = JsonSchemaOptions::default();
    let read_schema = to_connect(
        &from_connect(&schema, &options).unwrap(),
        &Documents::default(),
        &options,
    )
    .unwrap();
    for field in &schema.fields {
        let read = &read_schema.field(&field.name).unwrap().schema;
        assert_eq!(
            (read.schema_type, read.optional, &read.name),
            (field.schema.schema_type, field.schema.optional, &field.schema.name),
            "{}",
            field.name
        );
    }
    let mut bytes = Vec::new();
    write_json(&schema, &value, &JsonSchemaOptions::default(), &mut bytes).unwrap();
    let Value::Struct(read) = read_json(&read_schema, &bytes).unwrap() else {
        panic!("not a struct")
    };
    let Value::Struct(written) = value else {
        panic!("not a struct")
    };
    for (field, expected) in written.iter() {
        assert_eq!(read.get(&field.name), Some(expected), "{}", field.name);
    }
}

#[test]
fn documents_are_written_in_the_schemas_order_with_every_decimal_digit() {
    let schema = SchemaBuilder::structure()
        .field("price", SchemaBuilder::decimal(2).build())
        .field("ratio", Schema::of(SchemaType::Float64))
        .field("note", Schema::optional_string())
        .field(
            "by_id",
            SchemaBuilder::map(Schema::of(SchemaType::Int32), Schema::string()).build(),
        )
        .build();
    // More digits than a double holds: Confluent writes the BigDecimal's.
    let price = decimal_from_text("123456789012345678901234.56", 2).unwrap();
    let value = Value::Struct(
        Struct::new(schema.clone())
            .with("price", Value::bytes(price))
            .with("ratio", Value::Float64(0.1))
            .with("note", "a\"b\u{1}")
            .with("by_id", Value::Map(vec![(Value::Int32(7), "seven".into())])),
    );
    let mut out = Vec::new();
    write_json(&schema, &value, &numeric(), &mut out).unwrap();
    assert_eq!(read_json(&schema, &out).unwrap(), value, "read back, every digit too");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"price":123456789012345678901234.56,"ratio":0.1,"note":"a\"b\u0001","by_id":[{"key":7,"value":"seven"}]}"#
    );
}

#[test]
fn hand_written_schemas_read_as_connect() {
    // What a non-Connect producer registers: type lists, an enum, a general oneOf, references.
    let json = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Event",
        "type": "object",
        "definitions": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "properties": {
            "id": {"type": "integer"},
            "note": {"type": ["null", "string"]},
            "kind": {"type": "string", "enum": ["A", "B"]},
            "either": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "at": {"$ref": "#/definitions/Point"}
        }
    });
    let schema = to_connect(&json, &Documents::default(), &JsonSchemaOptions::default()).unwrap();
    assert_eq!(schema.name.as_deref(), Some("Event"));
    assert_eq!(schema.field("id").unwrap().schema.schema_type, SchemaType::Int64);
    assert!(schema.field("note").unwrap().schema.optional);
    assert_eq!(schema.field("kind").unwrap().schema.schema_type, SchemaType::String);
    let either = &schema.field("either").unwrap().schema;
    assert_eq!(either.name.as_deref(), Some(ONE_OF));
    assert_eq!(schema.field("at").unwrap().schema.schema_type, SchemaType::Struct);
    let document = json!({"id": 1, "note": null, "kind": "B", "either": "text", "at": {"x": 1.5}});
    let Value::Struct(read) = read_json(&schema, document.to_string().as_bytes()).unwrap() else {
        panic!("not a struct")
    };
    let Some(Value::Struct(branch)) = read.get("either") else {
        panic!("not a oneOf struct")
    };
    assert_eq!(
        branch.get(&format!("{ONE_OF}.field.1")),
        Some(&Value::String("text".into()))
    );
    assert_eq!(
        to_json(&schema, &Value::Struct(read.clone()), &JsonSchemaOptions::default()).unwrap(),
        document
    );
}

#[test]
fn required_nulls_and_wrong_types_are_refused() {
    let schema = SchemaBuilder::structure()
        .field("n", Schema::of(SchemaType::Int32))
        .build();
    let read = |text: &str| read_json(&schema, text.as_bytes()).unwrap_err().0;
    assert_eq!(
        read(r#"{"n": null}"#),
        "field n: Invalid null value for required INT32 field"
    );
    assert_eq!(
        read(r#"{"other": 1}"#),
        "field n: Invalid null value for required INT32 field"
    );
    assert_eq!(read(r#"{"n": "x"}"#), r#"field n: Invalid type for INT32: "x""#);
    assert!(read(r#"{"n": 1"#).starts_with("Invalid JSON: EOF while parsing"));
    assert!(read(r#"{"n": 1} 2"#).starts_with("Invalid JSON: trailing characters"));
    let missing = Value::Struct(Struct::new(schema.clone()));
    assert!(to_json(&schema, &missing, &JsonSchemaOptions::default())
        .unwrap_err()
        .0
        .contains("field n"));
}

/// A `Time` holds the milliseconds of one day, its end included: Confluent's JsonSchemaData
/// refuses to write or read one past it (Apache's `Time.fromLogical`, `Time.toLogical`).
#[test]
fn times_stay_within_a_day() {
    let time = SchemaBuilder::time().build();
    assert_eq!(
        to_json(&time, &Value::Int32(86_400_000), &JsonSchemaOptions::default()).unwrap(),
        json!(86_400_000)
    );
    assert_eq!(read_json(&time, b"86400000").unwrap(), Value::Int32(86_400_000));
    for millis in [86_400_001, -1] {
        let error = to_json(&time, &Value::Int32(millis), &JsonSchemaOptions::default()).unwrap_err();
        assert!(error.0.contains("should not have any date fields"), "{error}");
        let error = read_json(&time, millis.to_string().as_bytes()).unwrap_err();
        assert!(error.0.contains("less than 86400000"), "{error}");
    }
    // An INT32 without the logical name is any integer.
    assert_eq!(
        to_json(
            &Schema::of(SchemaType::Int32),
            &Value::Int32(-1),
            &JsonSchemaOptions::default()
        )
        .unwrap(),
        json!(-1)
    );
}

/// Confluent's JsonSchemaData options: `object.additional.properties=false` closes a struct's
/// object (a map's stays its values' schema), `use.optional.for.nonrequired` reads a property
/// not listed as `required` as optional, and `flatten.singleton.unions` (on by default) reads a
/// `oneOf` of one schema as that schema.
#[test]
fn mapping_options_as_confluents_json_schema_data_reads_them() {
    let closed = JsonSchemaOptions {
        additional_properties: false,
        ..JsonSchemaOptions::default()
    };
    let json = from_connect(&every_type(), &closed).unwrap();
    assert_eq!(json["additionalProperties"], false);
    assert_eq!(
        json["properties"]["by_name"]["additionalProperties"]["connect.type"],
        "int32"
    );
    assert!(from_connect(&every_type(), &JsonSchemaOptions::default()).unwrap()["additionalProperties"].is_null());

    let document = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "note": {"type": "string"},
            "single": {"oneOf": [{"type": "string"}]}
        },
        "required": ["id"]
    });
    let read = |options: JsonSchemaOptions| to_connect(&document, &Documents::default(), &options).unwrap();
    let schema = read(JsonSchemaOptions::default());
    let field = |schema: &Arc<Schema>, name: &str| schema.field(name).unwrap().schema.clone();
    assert!(!field(&schema, "note").optional && !field(&schema, "id").optional);
    assert_eq!(field(&schema, "single").schema_type, SchemaType::String);
    let schema = read(JsonSchemaOptions {
        optional_for_nonrequired: true,
        flatten_singleton_unions: false,
        ..JsonSchemaOptions::default()
    });
    assert!(field(&schema, "note").optional && !field(&schema, "id").optional);
    assert_eq!(field(&schema, "single").name.as_deref(), Some(ONE_OF));
}
