use std::sync::Arc;

use apache_avro::Schema as Avro;
use serde_json::json;

use super::names::{self, Names};
use super::schema::{from_connect, to_connect, AvroOptions};
use super::{decode, encode, DataError};
use crate::converter::registry::scrub_name;
use crate::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};

const META: AvroOptions = AvroOptions {
    connect_meta_data: true,
    scrub_invalid_names: false,
    enhanced_schema_support: false,
    ignore_default_for_nullables: false,
    allow_optional_map_keys: false,
    flatten_singleton_unions: true,
};

fn every_type() -> Arc<Schema> {
    let address = SchemaBuilder::structure()
        .name("com.example.Address")
        .field("street", Schema::string())
        .field("zip", Schema::optional_of(SchemaType::Int32))
        .build();
    SchemaBuilder::structure()
        .name("com.example.Customer")
        .version(2)
        .doc("a customer")
        .field("tiny", Schema::of(SchemaType::Int8))
        .field("small", Schema::of(SchemaType::Int16))
        .field("id", Schema::of(SchemaType::Int32))
        .field("big", Schema::of(SchemaType::Int64))
        .field("ratio", Schema::of(SchemaType::Float32))
        .field("score", Schema::of(SchemaType::Float64))
        .field("active", Schema::of(SchemaType::Boolean))
        .field("name", Schema::string())
        .field("nickname", Schema::optional_string())
        .field("photo", Schema::of(SchemaType::Bytes))
        .field("balance", SchemaBuilder::decimal(2).build())
        .field("born", SchemaBuilder::date().build())
        .field("wakes", SchemaBuilder::time().build())
        .field("seen", SchemaBuilder::timestamp().optional().build())
        .field("tags", SchemaBuilder::array(Schema::string()).build())
        .field(
            "counts",
            SchemaBuilder::map(Schema::string(), Schema::of(SchemaType::Int64)).build(),
        )
        .field(
            "by_id",
            SchemaBuilder::map(Schema::of(SchemaType::Int32), Schema::string()).build(),
        )
        .field("home", address.clone())
        .field("work", address.to_builder().optional().build())
        .field(
            "level",
            SchemaBuilder::new(SchemaType::Int32)
                .default_value(Value::Int32(3))
                .build(),
        )
        .build()
}

fn customer(schema: &Arc<Schema>) -> Value {
    let home_schema = schema.field("home").unwrap().schema.clone();
    let home = Struct::new(home_schema)
        .with("street", "Main St")
        .with("zip", Value::Int32(12345));
    Value::Struct(
        Struct::new(schema.clone())
            .with("tiny", Value::Int8(-8))
            .with("small", Value::Int16(300))
            .with("id", Value::Int32(42))
            .with("big", Value::Int64(1 << 40))
            .with("ratio", Value::Float32(0.5))
            .with("score", Value::Float64(-1.25))
            .with("active", Value::Boolean(true))
            .with("name", "Ada")
            .with("nickname", Value::Null)
            .with("photo", Value::bytes(vec![0, 1, 255]))
            .with("balance", Value::bytes(vec![0x30, 0x39]))
            .with("born", Value::Int32(19_000))
            .with("wakes", Value::Int32(25_200_000))
            .with("seen", Value::Int64(1_700_000_000_000))
            .with("tags", Value::Array(vec!["a".into(), "b".into()]))
            .with("counts", Value::Map(vec![("x".into(), Value::Int64(1))]))
            .with("by_id", Value::Map(vec![(Value::Int32(7), "seven".into())]))
            .with("home", Value::Struct(home))
            .with("work", Value::Null)
            .with("level", Value::Int32(4)),
    )
}

/// `value` written as `avro`.
fn encoded(value: &Value, avro: &Avro, names: &Names) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    let to = encode::Writing {
        names,
        ignore_default_for_nullables: false,
    };
    encode::write(value, avro, to, &mut out)?;
    Ok(out)
}

/// The Connect value of `bytes` written as `avro`; every byte read.
fn decoded(bytes: &[u8], avro: &Avro, schema: &Arc<Schema>, names: &Names) -> Result<Value, DataError> {
    let mut input = bytes;
    let value = decode::read(&mut input, avro, schema, names)?;
    assert!(input.is_empty(), "{} bytes left unread", input.len());
    Ok(value)
}

fn round_trip(schema: &Arc<Schema>, value: &Value) -> (Arc<Schema>, Value) {
    let json = from_connect(schema, META).unwrap();
    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    let encoded = encoded(value, &avro, &names).unwrap();
    let read_schema = to_connect(&json, META).unwrap();
    let by_apache_avro = apache_avro::from_avro_datum(&avro, &mut encoded.as_slice(), None).unwrap();
    assert_eq!(
        apache_avro::to_avro_datum(&avro, by_apache_avro).unwrap(),
        encoded,
        "the bytes apache-avro writes for the same value"
    );
    let read = decoded(&encoded, &avro, &read_schema, &names).unwrap();
    (read_schema, read)
}

#[test]
fn every_connect_type_survives_a_round_trip() {
    let schema = every_type();
    let value = customer(&schema);
    let (read_schema, read_value) = round_trip(&schema, &value);
    // The connect.* properties bring back the same schema: names, versions, docs, parameters
    // and defaults.
    assert_eq!(*read_schema, *schema);
    assert_eq!(read_value, value);
}

#[test]
fn schemas_carry_confluents_connect_properties() {
    let json = from_connect(&every_type(), META).unwrap();
    let field = |name: &str| {
        json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(json["name"], "Customer");
    assert_eq!(json["namespace"], "com.example");
    assert_eq!(json["connect.version"], 2);
    assert_eq!(json["connect.name"], "com.example.Customer");
    assert_eq!(field("tiny")["type"], json!({"type": "int", "connect.type": "int8"}));
    assert_eq!(field("nickname")["type"], json!(["null", {"type": "string"}]));
    assert_eq!(field("nickname")["default"], json!(null));
    let balance = &field("balance")["type"];
    assert_eq!(balance["logicalType"], "decimal");
    assert_eq!(balance["precision"], 64);
    assert_eq!(balance["scale"], 2);
    assert_eq!(balance["connect.name"], "org.apache.kafka.connect.data.Decimal");
    assert_eq!(balance["connect.parameters"], json!({"scale": "2"}));
    assert_eq!(field("born")["type"]["logicalType"], "date");
    assert_eq!(field("wakes")["type"]["logicalType"], "time-millis");
    assert_eq!(field("seen")["type"][1]["logicalType"], "timestamp-millis");
    assert_eq!(field("by_id")["type"]["items"]["name"], "MapEntry");
    assert_eq!(
        field("by_id")["type"]["items"]["namespace"],
        "io.confluent.connect.avro"
    );
    // The second use of a record refers to it by name.
    assert_eq!(field("work")["type"], json!(["null", "com.example.Address"]));
    assert_eq!(field("level")["default"], 3);
    assert_eq!(field("level")["type"]["connect.default"], 3);
}

#[test]
fn unnamed_structs_get_confluents_default_names() {
    let inner = SchemaBuilder::structure().field("a", Schema::string()).build();
    let outer = SchemaBuilder::structure().field("inner", inner).build();
    let json = from_connect(&outer, META).unwrap();
    assert_eq!(json["name"], "ConnectDefault");
    assert_eq!(json["namespace"], "io.confluent.connect.avro");
    assert_eq!(json["fields"][0]["type"]["name"], "ConnectDefault2");
    let read = to_connect(&json, META).unwrap();
    assert_eq!(read.name, None);
    assert_eq!(read.fields[0].schema.name, None);
}

#[test]
fn plain_avro_from_other_producers_reads_as_connect() {
    // What a non-Connect producer registers: an enum, a fixed, a general union, a field
    // default, and a timestamp in microseconds.
    let json = json!({
        "type": "record", "name": "Event", "namespace": "com.example",
        "fields": [
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
            {"name": "either", "type": ["null", "int", "string"], "default": null},
            {"name": "weight", "type": "double", "default": 1.5},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}}
        ]
    });
    let schema = to_connect(&json, META).unwrap();
    let kind = &schema.field("kind").unwrap().schema;
    assert_eq!(kind.schema_type, SchemaType::String);
    assert_eq!(
        kind.parameters
            .as_ref()
            .unwrap()
            .get("io.confluent.connect.avro.Enum")
            .map(String::as_str),
        Some("com.example.Kind")
    );
    assert_eq!(schema.field("hash").unwrap().schema.schema_type, SchemaType::Bytes);
    let either = &schema.field("either").unwrap().schema;
    assert_eq!(either.name.as_deref(), Some("io.confluent.connect.avro.Union"));
    assert!(either.optional);
    assert_eq!(
        either.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["int", "string"]
    );
    assert_eq!(
        schema.field("weight").unwrap().schema.default,
        Some(Value::Float64(1.5))
    );
    assert_eq!(schema.field("at").unwrap().schema.schema_type, SchemaType::Int64);

    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    let written = apache_avro::types::Value::Record(vec![
        ("kind".into(), apache_avro::types::Value::Enum(1, "B".into())),
        ("hash".into(), apache_avro::types::Value::Fixed(2, vec![1, 2])),
        (
            "either".into(),
            apache_avro::types::Value::Union(2, Box::new(apache_avro::types::Value::String("x".into()))),
        ),
        ("weight".into(), apache_avro::types::Value::Double(2.0)),
        ("at".into(), apache_avro::types::Value::TimestampMicros(5)),
    ]);
    let bytes = apache_avro::to_avro_datum(&avro, written.clone()).unwrap();
    let Value::Struct(read) = decoded(&bytes, &avro, &schema, &names).unwrap() else {
        panic!("not a struct")
    };
    assert_eq!(read.get("kind"), Some(&Value::String("B".into())));
    assert_eq!(read.get("hash"), Some(&Value::bytes(vec![1, 2])));
    let Some(Value::Struct(either)) = read.get("either") else {
        panic!("not a union struct")
    };
    assert_eq!(either.get("string"), Some(&Value::String("x".into())));
    assert_eq!(either.get("int"), Some(&Value::Null));
    // And back, to the bytes `apache-avro` writes: the union struct picks its branch.
    let back = encoded(&Value::Struct(read.clone()), &avro, &names).unwrap();
    assert_eq!(back, apache_avro::to_avro_datum(&avro, written).unwrap());
}

/// Enums and fixed types read as named strings and bytes, as Confluent's `AvroData` reads them
/// (the enum's doc and default in parameters, its symbols in order); written back, a fixed is a
/// fixed again, an enum an enum with `enhanced.avro.schema.support` (a string without), so the
/// schema written is the one read (its parsing canonical form); a general union's members are
/// named by their full names with it.
#[test]
fn enums_and_fixed_types_are_named_and_written_back_as_read() {
    let json = json!({
        "type": "record", "name": "Event", "namespace": "com.example",
        "fields": [
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "doc": "what", "default": "Z",
                                      "symbols": ["Z", "A", "M"]}},
            {"name": "again", "type": ["null", "Kind"], "default": null},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "namespace": "com.other", "size": 2}},
            {"name": "price", "type": {"type": "fixed", "name": "Price", "size": 4, "logicalType": "decimal",
                                       "precision": 8, "scale": 2}},
            {"name": "either", "type": ["null", "com.other.Hash", "string"], "default": null}
        ]
    });
    let schema = to_connect(&json, META).unwrap();
    let field = |name: &str| schema.field(name).unwrap().schema.clone();
    assert_eq!(field("kind").name.as_deref(), Some("com.example.Kind"));
    let kind = field("kind");
    let parameters: Vec<(&str, &str)> = kind
        .parameters
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        parameters,
        [
            ("io.confluent.connect.avro.enum.doc.Kind", "what"),
            ("io.confluent.connect.avro.enum.default.Kind", "Z"),
            ("io.confluent.connect.avro.Enum", "com.example.Kind"),
            ("io.confluent.connect.avro.Enum.Z", "Z"),
            ("io.confluent.connect.avro.Enum.A", "A"),
            ("io.confluent.connect.avro.Enum.M", "M"),
        ]
    );
    assert_eq!(field("again").name.as_deref(), Some("com.example.Kind"));
    assert_eq!(field("hash").name.as_deref(), Some("com.other.Hash"));
    assert_eq!(field("price").name.as_deref(), Some(crate::data::logical::DECIMAL));
    let union_fields = |schema: &Arc<Schema>| -> Vec<String> {
        schema
            .field("either")
            .unwrap()
            .schema
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(union_fields(&schema), ["Hash", "string"]);

    let canonical = |json: &serde_json::Value| Avro::parse(json).unwrap().canonical_form();
    let enhanced = AvroOptions {
        enhanced_schema_support: true,
        ..META
    };
    let written = from_connect(&to_connect(&json, enhanced).unwrap(), enhanced).unwrap();
    // But for the decimal's fixed, named after Connect's Decimal as Confluent's names it.
    let mut expected = json.clone();
    expected["fields"][3]["type"]["name"] = json!("org.apache.kafka.connect.data.Decimal");
    assert_eq!(canonical(&written), canonical(&expected));
    assert_eq!(written["fields"][0]["type"]["doc"], "what");
    assert_eq!(written["fields"][0]["type"]["default"], "Z");
    assert_eq!(
        union_fields(&to_connect(&json, enhanced).unwrap()),
        ["com.other.Hash", "string"]
    );
    // Without it, the enum is a string that keeps the enum in its parameters.
    let plain = from_connect(&schema, META).unwrap();
    assert_eq!(plain["fields"][0]["type"]["type"], "string");
    assert_eq!(plain["fields"][2]["type"]["type"], "fixed");
    assert_eq!(to_connect(&plain, META).unwrap().field("kind"), schema.field("kind"));
}

#[test]
fn avro_types_connect_has_not_are_written_as_apache_avro_writes_them() {
    let json = json!({
        "type": "record", "name": "Payment", "fields": [
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "amount", "type": {"type": "fixed", "name": "Amount", "size": 4,
                "logicalType": "decimal", "precision": 8, "scale": 2}},
            {"name": "either", "type": ["null", "int", "string"]},
            {"name": "kind", "type": ["null", {"type": "enum", "name": "Kind", "symbols": ["A"]}, "string"]},
            {"name": "extra", "type": "int", "default": 5}
        ]
    });
    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    // The Connect record has no `extra`: a newer version registered the field with a default.
    let schema = SchemaBuilder::structure()
        .name("Payment")
        .field("id", Schema::string())
        .field("amount", Schema::of(SchemaType::Bytes))
        .field("either", Schema::optional_string())
        .field("kind", Schema::optional_string())
        .build();
    let id = "6BA7B810-9DAD-11D1-80B4-00C04FD430C8";
    let written = Value::Struct(
        Struct::new(schema.clone())
            .with("id", id)
            .with("amount", Value::bytes(vec![0xff, 0x85]))
            .with("either", "x")
            // Not a symbol of the enum: the branch after it, nothing left of the first try.
            .with("kind", "B"),
    );
    use apache_avro::types::Value as A;
    let expected = A::Record(vec![
        ("id".into(), A::Uuid(apache_avro::Uuid::parse_str(id).unwrap())),
        (
            "amount".into(),
            A::Decimal(apache_avro::Decimal::from(vec![0xff, 0x85])),
        ),
        ("either".into(), A::Union(2, Box::new(A::String("x".into())))),
        ("kind".into(), A::Union(2, Box::new(A::String("B".into())))),
        ("extra".into(), A::Int(5)),
    ]);
    let bytes = encoded(&written, &avro, &names).unwrap();
    assert_eq!(bytes, apache_avro::to_avro_datum(&avro, expected).unwrap());
    assert_eq!(&bytes[37..41], [0xff, 0xff, 0xff, 0x85], "the decimal's sign extended");

    // Read back by a reader that knows two of the fields: the others passed over.
    let reading = SchemaBuilder::structure()
        .name("Payment")
        .field("id", Schema::string())
        .field("kind", Schema::optional_string())
        .build();
    let Value::Struct(read) = decoded(&bytes, &avro, &reading, &names).unwrap() else {
        panic!("a struct")
    };
    assert_eq!(read.get("id"), Some(&Value::from(id.to_lowercase())));
    assert_eq!(read.get("kind"), Some(&Value::from("B")));

    let Avro::Record(record) = &avro else {
        panic!("a record")
    };
    let amount = &record.fields[1].schema;
    let redundant = encoded(&Value::bytes(vec![0x00, 0x00, 0x7b]), amount, &names).unwrap();
    assert_eq!(redundant, [0x00, 0x00, 0x00, 0x7b]);
    let too_wide = encoded(&Value::bytes(vec![0x01, 0, 0, 0, 0]), amount, &names).unwrap_err();
    assert!(too_wide.0.contains("does not fit"), "{too_wide}");
    let not_a_uuid = Value::Struct(
        Struct::new(schema)
            .with("id", "nope")
            .with("amount", Value::bytes(vec![1])),
    );
    assert!(encoded(&not_a_uuid, &avro, &names)
        .unwrap_err()
        .0
        .contains("not a UUID"));
}

#[test]
fn blocks_of_any_size_are_read_and_bad_bytes_refused() {
    let avro = Avro::parse(&json!({"type": "array", "items": "int"})).unwrap();
    let names = names::of(&avro);
    let schema = SchemaBuilder::array(Schema::of(SchemaType::Int32)).build();
    // Two blocks, the first with a negative count and its size in bytes: 1, 2, then 3.
    let bytes = [0x03, 0x04, 0x02, 0x04, 0x02, 0x06, 0x00];
    let ints = |ns: &[i32]| Value::Array(ns.iter().map(|n| Value::Int32(*n)).collect());
    assert_eq!(decoded(&bytes, &avro, &schema, &names).unwrap(), ints(&[1, 2, 3]));
    let mut short: &[u8] = &bytes[..4];
    let error = decode::read(&mut short, &avro, &schema, &names).unwrap_err();
    assert!(error.0.contains("ends early"), "{error}");
    let mut huge: &[u8] = &[0xfe, 0xff, 0xff, 0xff, 0x0f, 0x02];
    let error = decode::read(&mut huge, &avro, &schema, &names).unwrap_err();
    assert!(error.0.contains("items in 1 bytes left"), "{error}");

    let union = Avro::parse(&json!(["null", "string"])).unwrap();
    let mut branch: &[u8] = &[0x04];
    let error = decode::read(&mut branch, &union, &Schema::optional_string(), &names).unwrap_err();
    assert!(error.0.contains("branch 2"), "{error}");
}

#[test]
fn values_that_do_not_fit_are_refused_with_the_field() {
    let schema = SchemaBuilder::structure()
        .field("n", Schema::of(SchemaType::Int32))
        .build();
    let json = from_connect(&schema, META).unwrap();
    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    let bad = Value::Struct(Struct::new(schema.clone()).with("n", "text"));
    let error = encoded(&bad, &avro, &names).unwrap_err();
    assert!(error.0.contains("field n"), "{error}");
    let missing = Value::Struct(Struct::new(schema));
    assert!(encoded(&missing, &avro, &names).unwrap_err().0.contains("null"));
}

/// A `Time` holds the milliseconds of one day, its end included: Confluent's AvroData refuses
/// to write or read one past it (Apache's `Time.fromLogical`, `Time.toLogical`).
#[test]
fn times_stay_within_a_day() {
    let time = SchemaBuilder::time().build();
    let json = from_connect(&time, META).unwrap();
    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    assert_eq!(round_trip(&time, &Value::Int32(86_400_000)).1, Value::Int32(86_400_000));
    for millis in [86_400_001, -1] {
        let error = encoded(&Value::Int32(millis), &avro, &names).unwrap_err();
        assert!(error.0.contains("should not have any date fields"), "{error}");
        let as_int = encoded(&Value::Int32(millis), &Avro::Int, &names).unwrap();
        let error = decoded(&as_int, &avro, &to_connect(&json, META).unwrap(), &names).unwrap_err();
        assert!(error.0.contains("less than 86400000"), "{error}");
    }
}

#[test]
fn invalid_names_are_scrubbed_as_confluent_scrubs_them_when_asked() {
    assert_eq!(scrub_name("valid_Name1", true), "valid_Name1");
    assert_eq!(scrub_name("shop-cdc", true), "shop_cdc");
    assert_eq!(scrub_name("1st", true), "x1st");
    assert_eq!(scrub_name("a b", true), "a_b");
    assert_eq!(scrub_name("café", true), "caf_C3_A9");
    let schema = SchemaBuilder::structure()
        .name("shop-cdc.public.orders.Value")
        .field("order-id", Schema::of(SchemaType::Int32))
        .build();
    // Without scrubbing the name is not Avro's; with it, the record and its field are renamed
    // and the value written by position of name.
    assert!(Avro::parse(&from_connect(&schema, META).unwrap()).is_err());
    let scrubbing = AvroOptions {
        scrub_invalid_names: true,
        ..META
    };
    let json = from_connect(&schema, scrubbing).unwrap();
    assert_eq!(json["namespace"], "shop_cdc.public.orders");
    assert_eq!(json["fields"][0]["name"], "order_id");
    assert_eq!(json["connect.name"], "shop-cdc.public.orders.Value");
    let avro = Avro::parse(&json).unwrap();
    let names = names::of(&avro);
    let written = Value::Struct(Struct::new(schema.clone()).with("order-id", Value::Int32(7)));
    let encoded = encoded(&written, &avro, &names).unwrap();
    let read_schema = to_connect(&json, META).unwrap();
    let Value::Struct(read) = decoded(&encoded, &avro, &read_schema, &names).unwrap() else {
        panic!("not a struct")
    };
    assert_eq!(read.get("order_id"), Some(&Value::Int32(7)));
    assert_eq!(read_schema.name.as_deref(), Some("shop-cdc.public.orders.Value"));
}

/// `flatten.singleton.unions` (on by default) reads a union of one type as that type, and
/// `allow.optional.map.keys` writes a map of optional string keys as an Avro map, as Confluent's
/// AvroData does; each against its other setting.
#[test]
fn singleton_unions_and_optional_map_keys_as_confluents_avro_data_maps_them() {
    let record = json!({"type": "record", "name": "R", "fields": [{"name": "f", "type": ["string"]}]});
    let field = |options: AvroOptions| to_connect(&record, options).unwrap().field("f").unwrap().schema.clone();
    assert_eq!(field(META).schema_type, SchemaType::String);
    let unflattened = field(AvroOptions {
        flatten_singleton_unions: false,
        ..META
    });
    assert_eq!(unflattened.name.as_deref(), Some("io.confluent.connect.avro.Union"));

    let map = SchemaBuilder::map(Schema::optional_string(), Schema::of(SchemaType::Int32)).build();
    assert_eq!(from_connect(&map, META).unwrap()["type"], "array");
    let allowed = AvroOptions {
        allow_optional_map_keys: true,
        ..META
    };
    assert_eq!(from_connect(&map, allowed).unwrap()["type"], "map");
}
