use std::sync::Arc;

use super::schema::ProtobufOptions;
use super::{schema, value, Protobuf};
use crate::converter::registry::{scrub_name, ReferencedSchema, SchemaFormat};
use crate::converter::DataError;
use crate::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};

fn every_type() -> Arc<Schema> {
    let address = SchemaBuilder::structure()
        .name("com.example.Address")
        .field("street", Schema::optional_string())
        .field("zip", Schema::optional_of(SchemaType::Int32))
        .build();
    let kind = SchemaBuilder::new(SchemaType::String)
        .name("Kind")
        .parameter("io.confluent.connect.protobuf.Enum", "Kind")
        .parameter("io.confluent.connect.protobuf.Enum.PERSON", "0")
        .parameter("io.confluent.connect.protobuf.Enum.COMPANY", "1")
        .optional()
        .build();
    let contact = SchemaBuilder::structure()
        .name("io.confluent.connect.protobuf.Union.contact")
        .field("email", Schema::optional_string())
        .field("phone", Schema::optional_of(SchemaType::Int64))
        .optional()
        .build();
    SchemaBuilder::structure()
        .name("com.example.Customer")
        .field("tiny", Schema::optional_of(SchemaType::Int8))
        .field("small", Schema::optional_of(SchemaType::Int16))
        .field("id", Schema::of(SchemaType::Int32))
        .field("big", Schema::of(SchemaType::Int64))
        .field("ratio", Schema::optional_of(SchemaType::Float32))
        .field("score", Schema::optional_of(SchemaType::Float64))
        .field("active", Schema::optional_of(SchemaType::Boolean))
        .field("name", Schema::optional_string())
        .field("photo", Schema::optional_bytes())
        .field(
            "balance",
            SchemaBuilder::decimal(2)
                .parameter("connect.decimal.precision", "10")
                .optional()
                .build(),
        )
        .field("born", SchemaBuilder::date().optional().build())
        .field("wakes", SchemaBuilder::time().optional().build())
        .field("seen", SchemaBuilder::timestamp().optional().build())
        .field(
            "tags",
            SchemaBuilder::array(Schema::optional_string()).optional().build(),
        )
        .field(
            "counts",
            SchemaBuilder::map(Schema::optional_string(), Schema::optional_of(SchemaType::Int64))
                .optional()
                .build(),
        )
        .field("home", address.to_builder().optional().build())
        .field("kind", kind)
        .field("contact", contact)
        .build()
}

fn customer(schema: &Arc<Schema>) -> Value {
    let home = schema.field("home").map(|f| f.schema.clone()).unwrap();
    let contact = schema.field("contact").map(|f| f.schema.clone()).unwrap();
    Value::Struct(
        Struct::new(schema.clone())
            .with("tiny", Value::Int8(-7))
            .with("small", Value::Int16(300))
            .with("id", Value::Int32(42))
            .with("big", Value::Int64(-9_000_000_000))
            .with("ratio", Value::Float32(0.5))
            .with("score", Value::Float64(-2.25))
            .with("active", Value::Boolean(true))
            .with("name", Value::String("Ada".into()))
            .with("photo", Value::bytes(vec![0, 1, 255]))
            .with("balance", Value::bytes(vec![0xfe, 0x0c])) // -5.00
            .with("born", Value::Int32(-365))
            .with("wakes", Value::Int32(25_200_123))
            .with("seen", Value::Int64(-1_500))
            .with(
                "tags",
                Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
            )
            .with("counts", Value::Map(vec![(Value::String("x".into()), Value::Int64(3))]))
            .with(
                "home",
                Value::Struct(
                    Struct::new(home)
                        .with("street", Value::String("Main".into()))
                        .with("zip", Value::Int32(1000)),
                ),
            )
            .with("kind", Value::String("COMPANY".into()))
            .with(
                "contact",
                Value::Struct(Struct::new(contact).with("phone", Value::Int64(5551234))),
            ),
    )
}

/// A struct of `schema` with only `id` (0, proto3's default) and `big` set.
fn sparse(schema: &Arc<Schema>) -> Value {
    Value::Struct(
        Struct::new(schema.clone())
            .with("id", Value::Int32(0))
            .with("big", Value::Int64(1)),
    )
}

/// `value` written by `format` and read back: the schema and the struct read.
fn round_trip(format: &Protobuf, schema: &Arc<Schema>, value: &Value) -> (Arc<Schema>, Struct) {
    let (text, _) = format.schema_text(schema).unwrap();
    let writer = format.writer(&text, &[], schema).unwrap();
    let mut bytes = Vec::new();
    format.encode(&writer, value, &mut bytes).unwrap();
    match format.decode(&format.reader(&text, &[]).unwrap(), &bytes).unwrap() {
        (Some(schema), Value::Struct(read)) => (schema, read),
        other => panic!("{other:?}"),
    }
}

fn protobuf() -> Protobuf {
    Protobuf {
        options: ProtobufOptions::default(),
    }
}

#[test]
fn connect_schemas_are_written_as_confluent_writes_them() {
    let (text, name) = protobuf().schema_text(&every_type()).unwrap();
    assert_eq!(name, "com.example.Customer");
    for expected in [
        "syntax = \"proto3\";",
        "package com.example;",
        "import \"confluent/meta.proto\";",
        "import \"confluent/type/decimal.proto\";",
        "import \"google/protobuf/timestamp.proto\";",
        "import \"google/type/date.proto\";",
        "import \"google/type/timeofday.proto\";",
        "message Customer {",
        "int32 tiny = 1 [(confluent.field_meta) = { params: [{ key: \"connect.type\", value: \"int8\" }] }];",
        "int32 id = 3;",
        "confluent.type.Decimal balance = 10 [(confluent.field_meta) = { params: [{ key: \"precision\", value: \"10\" }, { key: \"scale\", value: \"2\" }] }];",
        "google.type.Date born = 11;",
        "repeated string tags = 14;",
        "repeated ConnectDefault1Entry counts = 15;",
        "message ConnectDefault1Entry {",
        "Address home = 16;",
        "enum Kind {",
        "COMPANY = 1;",
        "Kind kind = 17;",
        "oneof contact {",
        "int64 phone = 19;",
    ] {
        assert!(text.contains(expected), "{expected} is not in\n{text}");
    }
}

#[test]
fn values_round_trip_through_the_wire_format() {
    let format = protobuf();
    let schema = every_type();
    let (text, _) = format.schema_text(&schema).unwrap();
    let writer = format.writer(&text, &[], &schema).unwrap();
    let mut bytes = Vec::new();
    format.encode(&writer, &customer(&schema), &mut bytes).unwrap();
    assert_eq!(bytes[0], 0, "the first message's index is a single zero byte");
    let reader = format.reader(&text, &[]).unwrap();
    let (read_schema, value) = format.decode(&reader, &bytes).unwrap();
    let read_schema = read_schema.expect("a schema");
    let Value::Struct(read) = value else {
        panic!("{value:?}")
    };
    assert_eq!(read_schema.name.as_deref(), Some("Customer"));
    let field = |name: &str| read.get(name).cloned().unwrap();
    assert_eq!(field("tiny"), Value::Int8(-7));
    assert_eq!(field("small"), Value::Int16(300));
    assert_eq!(field("big"), Value::Int64(-9_000_000_000));
    assert_eq!(field("photo"), Value::bytes(vec![0, 1, 255]));
    assert_eq!(field("balance"), Value::bytes(vec![0xfe, 0x0c]));
    assert_eq!(field("born"), Value::Int32(-365));
    assert_eq!(field("wakes"), Value::Int32(25_200_123));
    assert_eq!(field("seen"), Value::Int64(-1_500));
    assert_eq!(
        field("counts"),
        Value::Map(vec![(Value::String("x".into()), Value::Int64(3))])
    );
    assert_eq!(field("kind"), Value::String("COMPANY".into()));
    let Value::Struct(contact) = field("contact_0") else {
        panic!("{read:?}")
    };
    assert_eq!(contact.get("phone"), Some(&Value::Int64(5551234)));
    assert_eq!(contact.get("email"), Some(&Value::Null));
    // Read back, every field is optional and keeps its tag; the decimal its precision and scale.
    let balance = read_schema.field("balance").unwrap();
    assert!(balance.schema.optional);
    assert_eq!(balance.schema.decimal_scale(), Some(2));
    let parameters = balance.schema.parameters.clone().unwrap();
    assert_eq!(
        parameters.get("connect.decimal.precision").map(String::as_str),
        Some("10")
    );
    assert_eq!(parameters.get(schema::TAG).map(String::as_str), Some("10"));
    // Written again from the schema read back, the text is the same.
    let (again, _) = format.schema_text(&read_schema).unwrap();
    assert!(again.contains("int32 tiny = 1 [(confluent.field_meta)"), "{again}");
    assert!(again.contains("oneof contact {"), "{again}");
}

#[test]
fn unset_fields_read_as_proto3_reads_them() {
    let schema = every_type();
    let (_, read) = round_trip(&protobuf(), &schema, &sparse(&schema));
    // Scalars read as their defaults, messages and oneofs as null, repeated fields as empty.
    assert_eq!(read.get("name"), Some(&Value::String(String::new())));
    assert_eq!(read.get("tiny"), Some(&Value::Int8(0)));
    assert_eq!(read.get("kind"), Some(&Value::String("PERSON".into())));
    assert_eq!(read.get("home"), Some(&Value::Null));
    assert_eq!(read.get("balance"), Some(&Value::Null));
    assert_eq!(read.get("contact_0"), Some(&Value::Null));
    assert_eq!(read.get("tags"), Some(&Value::Array(vec![])));
}

#[test]
fn message_indexes_are_zigzag_varints() {
    let mut out = Vec::new();
    value::write_indexes(&[0], &mut out);
    assert_eq!(out, [0]);
    out.clear();
    value::write_indexes(&[1, 2], &mut out);
    assert_eq!(out, [4, 2, 4]);
    let mut input = &[4u8, 2, 4, 99][..];
    assert_eq!(value::read_indexes(&mut input).unwrap(), [1, 2]);
    assert_eq!(input, [99]);
    let mut zero = &[0u8, 8][..];
    assert_eq!(value::read_indexes(&mut zero).unwrap(), [0]);
}

#[test]
fn a_base64_file_descriptor_is_read_like_text() {
    use base64::Engine;
    let format = protobuf();
    let (text, _) = format.schema_text(&every_type()).unwrap();
    let file = super::files::compile(&text, &[]).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
    let reader = format.reader(&encoded, &[]).unwrap();
    let (_, (_, connect)) = reader.messages.iter().find(|(indexes, _)| **indexes == [0]).unwrap();
    let connect = connect.as_ref().unwrap();
    let tiny = connect.field("tiny").unwrap();
    assert_eq!(
        tiny.schema.schema_type,
        SchemaType::Int8,
        "the field meta survives the descriptor"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let format = protobuf();
    assert!(format
        .reader("message {", &[])
        .unwrap_err()
        .0
        .contains("neither .proto text"));
    let array = SchemaBuilder::array(Schema::of(SchemaType::Int32)).build();
    let error = format.schema_text(&array).unwrap_err();
    assert!(error.0.contains("Unsupported root schema of type array"), "{error}");
    let schema = every_type();
    let (text, _) = format.schema_text(&schema).unwrap();
    let writer = format.writer(&text, &[], &schema).unwrap();
    let bad = Value::Struct(Struct::new(schema.clone()).with("id", Value::String("x".into())));
    assert!(format
        .encode(&writer, &bad, &mut Vec::new())
        .unwrap_err()
        .0
        .contains("does not fit"));
    let reader = format.reader(&text, &[]).unwrap();
    assert!(format
        .decode(&reader, &[2, 6])
        .unwrap_err()
        .0
        .contains("no message at the indexes [3]"));
}

#[test]
fn invalid_names_are_scrubbed_as_confluent_scrubs_them_for_protobuf() {
    assert_eq!(scrub_name("_private", false), "x_private");
    assert_eq!(scrub_name("order-id", false), "order_id");
    let schema = SchemaBuilder::structure()
        .name("shop-cdc.public.orders.Value")
        .field("order-id", Schema::of(SchemaType::Int32))
        .build();
    let format = Protobuf {
        options: ProtobufOptions {
            scrub_invalid_names: true,
            ..ProtobufOptions::default()
        },
    };
    let (text, name) = format.schema_text(&schema).unwrap();
    assert_eq!(name, "shop_cdc.public.orders.Value");
    assert!(text.contains("int32 order_id = 1;"), "{text}");
    let value = Value::Struct(Struct::new(schema.clone()).with("order-id", Value::Int32(7)));
    let (_, read) = round_trip(&format, &schema, &value);
    assert_eq!(read.get("order_id"), Some(&Value::Int32(7)));
}

#[test]
fn a_primitive_record_is_written_as_googles_wrapper() {
    let format = protobuf();
    for (schema, value, index) in [
        (Schema::of(SchemaType::Int64), Value::Int64(-5), 2),
        (Schema::of(SchemaType::Int16), Value::Int16(7), 4),
        (Schema::string(), Value::String("key-1".into()), 7),
        (Schema::of(SchemaType::Bytes), Value::bytes(vec![1, 2]), 8),
    ] {
        let (text, name) = format.schema_text(&schema).unwrap();
        assert!(
            name.starts_with("google.protobuf.") && name.ends_with("Value"),
            "{name}"
        );
        let writer = format.writer(&text, &[], &schema).unwrap();
        let mut bytes = Vec::new();
        format.encode(&writer, &value, &mut bytes).unwrap();
        // The message index of the wrapper in wrappers.proto, as Confluent's.
        assert_eq!(bytes[..2], [2, index * 2], "{name}");
        let (read_schema, read) = format.decode(&format.reader(&text, &[]).unwrap(), &bytes).unwrap();
        let read_schema = read_schema.expect("a schema");
        let widened = match value {
            Value::Int16(n) => Value::Int32(i32::from(n)),
            other => other,
        };
        assert_eq!(read, widened, "{name}");
        assert_eq!(read_schema.schema_type, widened.inferred_type().unwrap());
    }
}

#[test]
fn imports_of_other_registered_schemas_are_resolved_by_reference() {
    use base64::Engine;
    let format = protobuf();
    // An import registered as text, and one registered as a base64 descriptor (as Confluent's
    // Python serializer registers its dependencies).
    let money = "syntax = \"proto3\";\npackage shop;\nmessage Money { int64 cents = 1; string currency = 2; }\n";
    let money_file = super::files::compile(money, &[]).unwrap();
    let address = "syntax = \"proto3\";\npackage shop;\nmessage Address { string street = 1; }\n";
    let references = [
        ReferencedSchema {
            name: "shop/money.proto".into(),
            schema: base64::engine::general_purpose::STANDARD.encode(money_file.encode_to_vec()),
        },
        ReferencedSchema {
            name: "shop/address.proto".into(),
            schema: address.into(),
        },
    ];
    let order = "syntax = \"proto3\";\npackage shop;\nimport \"shop/money.proto\";\nimport \"shop/address.proto\";\n\
                 message Order { int64 id = 1; Money total = 2; Address ship_to = 3; }\n";
    let reader = format.reader(order, &references).unwrap();
    let (_, (_, connect)) = reader.messages.iter().find(|(indexes, _)| **indexes == [0]).unwrap();
    let connect = connect.as_ref().unwrap();
    assert_eq!(connect.field("total").unwrap().schema.name.as_deref(), Some("Money"));
    let error = format.reader(order, &references[1..]).unwrap_err();
    assert!(error.0.contains("shop/money.proto"), "{error}");
}

#[test]
fn optional_for_nullables_keeps_nulls_and_enhanced_support_full_names() {
    let format = Protobuf {
        options: ProtobufOptions {
            optional_for_nullables: true,
            enhanced_schema_support: true,
            ..ProtobufOptions::default()
        },
    };
    let schema = every_type();
    let (text, _) = format.schema_text(&schema).unwrap();
    assert!(text.contains("optional string name = 8;"), "{text}");
    assert!(
        text.contains("int32 id = 3;") && !text.contains("optional int32 id"),
        "{text}"
    );
    let (read_schema, read) = round_trip(&format, &schema, &sparse(&schema));
    assert_eq!(read.get("name"), Some(&Value::Null), "a null stays null");
    assert_eq!(read.get("id"), Some(&Value::Int32(0)));
    assert!(
        !read_schema.field("id").unwrap().schema.optional,
        "a scalar without optional is required"
    );
    assert!(read_schema.field("name").unwrap().schema.optional);
    assert_eq!(read_schema.name.as_deref(), Some("com.example.Customer"));
    assert_eq!(
        read_schema.field("home").unwrap().schema.name.as_deref(),
        Some("com.example.Customer.Address")
    );
}

/// A `Time` holds the milliseconds of one day: Confluent's ProtobufData refuses to write one past
/// it, and reads a `google.type.TimeOfDay` through Java's `LocalTime.of`, which refuses a field
/// outside its range.
#[test]
fn times_stay_within_a_day() {
    let format = protobuf();
    let schema = SchemaBuilder::structure()
        .name("Alarm")
        .field("wakes", SchemaBuilder::time().build())
        .build();
    let alarm = |millis| Value::Struct(Struct::new(schema.clone()).with("wakes", Value::Int32(millis)));
    let (text, _) = format.schema_text(&schema).unwrap();
    let writer = format.writer(&text, &[], &schema).unwrap();
    let error = format.encode(&writer, &alarm(86_400_001), &mut Vec::new()).unwrap_err();
    assert!(error.0.contains("greater than 0 and less than 86400000"), "{error}");
    let reader = format.reader(&text, &[]).unwrap();
    // Message index 0, field 1 (`wakes`) holding a TimeOfDay of one field.
    let time_of_day = |field: u8, value: u8| [0x00, 0x0A, 0x02, field << 3, value];
    let read = |bytes: &[u8]| -> Result<Option<Value>, DataError> {
        match format.decode(&reader, bytes)? {
            (_, Value::Struct(alarm)) => Ok(alarm.get("wakes").cloned()),
            (_, other) => panic!("{other:?}"),
        }
    };
    assert_eq!(read(&time_of_day(1, 23)).unwrap(), Some(Value::Int32(23 * 3_600_000)));
    for (field, value, message) in [
        (1, 24, "Invalid value for HourOfDay (valid values 0 - 23): 24"),
        (2, 60, "Invalid value for MinuteOfHour (valid values 0 - 59): 60"),
        (3, 60, "Invalid value for SecondOfMinute (valid values 0 - 59): 60"),
    ] {
        let error = read(&time_of_day(field, value)).unwrap_err();
        assert!(error.0.contains(message), "{error}");
    }
}

/// With `int.for.enums` an enum reads as its number, an INT32 with the enum's name and
/// parameters, as Confluent's ProtobufData reads it; written from that INT32, it is the enum
/// again.
#[test]
fn int_for_enums_reads_an_enum_as_its_number() {
    let format = Protobuf {
        options: ProtobufOptions {
            int_for_enums: true,
            ..ProtobufOptions::default()
        },
    };
    let schema = every_type();
    let (text, _) = format.schema_text(&schema).unwrap();
    let mut value = customer(&schema);
    if let Value::Struct(customer) = &mut value {
        customer.put("kind", Value::String("COMPANY".into()));
    }
    let writer = format.writer(&text, &[], &schema).unwrap();
    let mut bytes = Vec::new();
    format.encode(&writer, &value, &mut bytes).unwrap();
    let (read_schema, read) = format.decode(&format.reader(&text, &[]).unwrap(), &bytes).unwrap();
    let read_schema = read_schema.expect("a schema");
    let kind = &read_schema.field("kind").unwrap().schema;
    assert_eq!(kind.schema_type, SchemaType::Int32);
    assert_eq!(kind.name.as_deref(), Some("Kind"));
    let Value::Struct(read) = read else { panic!("a struct") };
    assert_eq!(read.get("kind"), Some(&Value::Int32(1)));
    // Written again from the number, with the schema read: the same bytes.
    let (again, _) = format.schema_text(&read_schema).unwrap();
    assert!(again.contains("enum Kind {"), "{again}");
    let mut rewritten = Vec::new();
    let writer = format.writer(&again, &[], &read_schema).unwrap();
    format.encode(&writer, &Value::Struct(read), &mut rewritten).unwrap();
    assert_eq!(rewritten, bytes);
}

/// With `wrapper.for.nullables` an optional primitive field (an array's optional items and a
/// map's optional keys and values too) is written as Google's wrapper message for its type, as
/// Confluent's ProtobufData writes it, so a null reads back as null and a zero as zero; a
/// required field and a plain oneof member stay scalars; read back, a scalar is required.
#[test]
fn wrapper_for_nullables_writes_optional_primitives_as_googles_wrappers() {
    let format = Protobuf {
        options: ProtobufOptions {
            wrapper_for_nullables: true,
            ..ProtobufOptions::default()
        },
    };
    let schema = every_type();
    let (text, _) = format.schema_text(&schema).unwrap();
    for line in [
        "import \"google/protobuf/wrappers.proto\";",
        "google.protobuf.Int32Value tiny = 1 [(confluent.field_meta) = { params: [{ key: \"connect.type\", value: \"int8\" }] }];",
        "int32 id = 3;",
        "int64 big = 4;",
        "google.protobuf.FloatValue ratio = 5;",
        "google.protobuf.StringValue name = 8;",
        "google.protobuf.BytesValue photo = 9;",
        "repeated google.protobuf.StringValue tags = 14;",
        "google.protobuf.StringValue key = 1;",
        "google.protobuf.Int64Value value = 2;",
        "google.protobuf.Int32Value zip = 2;",
        "string email = 18;",
        "Kind kind = 17;",
    ] {
        assert!(text.contains(line), "{line} is not in:\n{text}");
    }
    let (read_schema, read) = round_trip(&format, &schema, &customer(&schema));
    let Value::Struct(written) = customer(&schema) else {
        panic!("a struct")
    };
    for field in ["id", "big", "name", "photo", "tags", "counts", "kind"] {
        assert_eq!(read.get(field), written.get(field), "{field}");
    }
    let Some(Value::Struct(home)) = read.get("home") else {
        panic!("a struct")
    };
    assert_eq!(home.get("zip"), Some(&Value::Int32(1000)));
    // A wrapper reads as its own type: an Int32Value as an INT32, its connect.type left aside
    // (Confluent's toUnwrappedSchema).
    assert_eq!(read.get("tiny"), Some(&Value::Int32(-7)));
    let (_, sparse_read) = round_trip(&format, &schema, &sparse(&schema));
    assert_eq!(sparse_read.get("name"), Some(&Value::Null), "a null stays null");
    assert_eq!(sparse_read.get("id"), Some(&Value::Int32(0)));
    let field = |name: &str| read_schema.field(name).unwrap().schema.clone();
    assert_eq!(
        (field("name").schema_type, field("name").optional),
        (SchemaType::String, true)
    );
    assert_eq!(field("tiny").schema_type, SchemaType::Int32);
    assert!(!field("id").optional, "a scalar is required");
    // Written again with the schema read: the same fields, the int8 without its meta.
    let again = format.schema_text(&read_schema).unwrap().0;
    for line in [
        "  google.protobuf.Int32Value tiny = 1;\n",
        "int32 id = 3;",
        "google.protobuf.StringValue name = 8;",
        "repeated google.protobuf.StringValue tags = 14;",
        "string email = 18;",
    ] {
        assert!(again.contains(line), "{line} is not in:\n{again}");
    }
}

/// A proto2 `optional` scalar that is unset reads as null (`optional.for.proto2`, on by
/// default; its default when off) and a `oneof`'s field is `<oneof>_<index>` (`<oneof>` without
/// `generate.index.for.unions`), as Confluent's ProtobufData reads them.
#[test]
fn proto2_optionals_read_as_null_and_union_fields_are_named_by_index() {
    let text = "syntax = \"proto2\";\nmessage Reading {\n  required int32 id = 1;\n  optional int32 level = 2;\n  \
                optional string note = 3;\n  oneof source {\n    string sensor = 4;\n    int32 manual = 5;\n  }\n}\n";
    // Message index 0, then field 1 (`id`) = 7.
    let bytes = [0x00, 0x08, 0x07];
    let read = |options: ProtobufOptions| {
        let format = Protobuf { options };
        match format.decode(&format.reader(text, &[]).unwrap(), &bytes).unwrap() {
            (Some(schema), Value::Struct(read)) => (schema, read),
            other => panic!("{other:?}"),
        }
    };
    let (schema, nulls) = read(ProtobufOptions::default());
    assert_eq!(nulls.get("id"), Some(&Value::Int32(7)));
    assert_eq!(nulls.get("level"), Some(&Value::Null));
    assert_eq!(nulls.get("note"), Some(&Value::Null));
    assert_eq!(nulls.get("source_0"), Some(&Value::Null));
    assert!(schema.field("level").unwrap().schema.optional);
    let (schema, defaults) = read(ProtobufOptions {
        optional_for_proto2: false,
        generate_index_for_unions: false,
        ..ProtobufOptions::default()
    });
    assert_eq!(defaults.get("level"), Some(&Value::Int32(0)));
    assert_eq!(defaults.get("note"), Some(&Value::String(String::new())));
    assert!(schema.field("source").is_some() && schema.field("source_0").is_none());
}
