//! Headers read by Apache Kafka Connect 4.3.1's `SimpleHeaderConverter` and by Tributary's:
//! each value in [`HEADERS`] (integers at the edges of each type, floats, decimals past a
//! double, dates, times and timestamps, lenient ones too, lists and maps with and without a
//! common schema, quoted text with escapes, literals, blanks and malformed UTF-8) is read by
//! Apache's converter in a JVM (`tests/fixtures/java/HeaderValues.java`) and by Tributary's,
//! and each result written back by its side's JsonConverter with its schema: the JSON must be
//! the same (or both sides print nothing for a null, or refuse it), a FLOAT32 compared as the
//! float it names ([`floats_as_floats`]).

use std::path::Path;
use std::process::Stdio;

use base64::Engine as _;
use serde_json::Value as Json;
use tributary_harness::KafkaDistribution;
use tributary_runtime::config::ConfigMap;
use tributary_runtime::converter::{converter_for, ConverterRole};
use tributary_runtime::data::Value;

/// The header values compared, as bytes.
const HEADERS: &[&[u8]] = &[
    b"42",
    b"-128",
    b"-129",
    b"32767",
    b"32768",
    b"2147483648",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"99999999999999999999",
    b"1.0",
    b"1.5",
    b"-0.0",
    b"0.1",
    b"123456789.123",
    b"1e3",
    b"1E+3",
    b"1e30",
    b"1.5e300",
    b"1e400",
    b"12345678901234567890.0",
    b"+7",
    b".5",
    b"5.",
    b"1_000",
    b"12,5",
    b"12 apples",
    b"0x1F",
    b"true",
    b"false",
    b"TRUE",
    b"true}",
    b"null",
    b"nullx",
    b" true ",
    b"",
    b"   ",
    b"2024-01-31",
    b"2023-13-01",
    b"2024-02-30",
    b"2024-1-031",
    b"01:02:03.004Z",
    b"23:59:59.999Z",
    b"2024-01-31T01:02:03.004Z",
    b"2024-01-31T23:60:00.000Z",
    b"2024-01-31 01:02:03",
    b"[1, 2, 3]",
    b"[1, 1000, 2.5]",
    b"[1e300, 1.5]",
    b"[1, 5000000000]",
    b"[1,null]",
    b"[\"a\", \"b\"]",
    b"[\"a\", 1]",
    b"[true, false]",
    b"[\"2024-01-31\", \"2024-02-01\"]",
    b"[2024-01-31, 2024-02-01]",
    b"[1,,2]",
    b"[1,2",
    b"[1 2]",
    b"{\"a\":1,\"b\":2}",
    b"{\"a\":1,\"b\":\"x\"}",
    b"{1:\"one\",2:\"two\"}",
    b"{\"a\":1,\"a\":2}",
    b"{\"k\":[1,2],\"l\":[3]}",
    b"{\"a\":}",
    b"{:1}",
    b"{\"a\":1 \"b\":2}",
    b"\"quoted\"",
    b"say \"hi\"",
    b"[\"say \\\"hi\\\"\", \"a,b\"]",
    b"a\\,b",
    b"a:b",
    b"tab\there",
    "ünïcödé 😀".as_bytes(),
    b"a\xffb",
    b"\xff",
    b"[ \" spaced \" ]",
    b"[\"01:02:03.004Z\"]",
    b"[[1],[1000]]",
    b"[[1,2],[3]]",
    b"{\"a\":{\"b\":1}}",
    b"[]",
    b"{}",
    b"[null]",
    b"{\"a\":null}",
    b"[1.5, 2]",
    b"[\"a\",null]",
    b"[\" 2024-01-31\"]",
    b"2024-01-3x",
    b"2024-01-31x",
    b"[2024-01-31T01:02:03.004Z]",
    b"[01:02:03.004Z, 1]",
    b"[2024-01-31, 2024-01-31T01:02:03.004Z]",
    b"[01:02:03.004Z, 2024-01-31T01:02:03.004Z]",
    b"[5, 2024-01-31]",
    b"-5e-3",
    b"1e-50",
    b"-",
    b"+",
    b"[\"\\u0041\"]",
];

/// Headers read alike whose printing differs, with why.
const ACCEPTED: &[(&[u8], &str)] = &[(
    b"{}",
    "both read a map without key or value schema; Apache's JsonConverter (the test's printer, \
     not the header converter) fails on it with a NullPointerException, Tributary's writes it",
)];

/// `printed` (a JsonConverter envelope) with each FLOAT32 in its payload as the float it
/// names: Java 17's `Float.toString` writes digits past the shortest that name the float
/// (123456792 for what Tributary, like Java 19 on, writes as 1.2345679E8).
fn floats_as_floats(mut printed: Json) -> Json {
    fn walk(schema: &Json, payload: &mut Json) {
        match schema["type"].as_str() {
            Some("float") => {
                if let Some(number) = payload.as_f64() {
                    *payload = Json::from(f64::from(number as f32));
                }
            }
            Some("array") => {
                for item in payload.as_array_mut().into_iter().flatten() {
                    walk(&schema["items"], item);
                }
            }
            Some("map") => match payload {
                Json::Object(entries) => entries.values_mut().for_each(|value| walk(&schema["values"], value)),
                Json::Array(entries) => entries
                    .iter_mut()
                    .for_each(|entry| walk(&schema["values"], &mut entry[1])),
                _ => {}
            },
            _ => {}
        }
    }
    let schema = printed["schema"].clone();
    walk(&schema, &mut printed["payload"]);
    printed
}

/// What a side prints for one header: its JSON, or that it read a null or refused it.
#[derive(Debug, PartialEq)]
enum Printed {
    Json(Json),
    Null,
    Refused,
}

#[test]
fn headers_read_as_apache_reads_them() {
    let distribution = KafkaDistribution::get().expect("Kafka's jars");
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("headers.txt");
    let lines: Vec<String> = HEADERS
        .iter()
        .map(|header| base64::engine::general_purpose::STANDARD.encode(header))
        .collect();
    std::fs::write(&inputs, lines.join("\n")).unwrap();
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java/HeaderValues.java");
    let mut java = distribution.java(program.to_str().unwrap(), "256m");
    // SimpleDateFormat reads times in the JVM's zone; Tributary reads them in UTC.
    let outputs = dir.path().join("printed.txt");
    let status = java
        .arg(&inputs)
        .arg(&outputs)
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .status()
        .expect("java runs");
    assert!(status.success(), "HeaderValues.java failed");
    let apache: Vec<Printed> = std::fs::read_to_string(&outputs)
        .unwrap()
        .lines()
        .map(|line| match line {
            "null" => Printed::Null,
            "error" => Printed::Refused,
            json => Printed::Json(floats_as_floats(serde_json::from_str(json).expect("JSON"))),
        })
        .collect();
    assert_eq!(apache.len(), HEADERS.len(), "one line per header");

    let headers = converter_for(ConverterRole::Header, &ConfigMap::new(), &ConfigMap::new()).unwrap();
    let mut settings = ConfigMap::new();
    settings.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    settings.insert("value.converter.schemas.enable".into(), "true".into());
    let json = converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap();
    let differences: Vec<String> = HEADERS
        .iter()
        .zip(apache)
        .filter_map(|(header, apache)| {
            let tributary = match headers.to_connect("t", Some(header)) {
                Ok((None, Value::Null)) => Printed::Null,
                Ok((schema, value)) => match json.to_bytes("t", schema.as_ref(), &value) {
                    Ok(Some(bytes)) => Printed::Json(floats_as_floats(serde_json::from_slice(&bytes).expect("JSON"))),
                    Ok(None) => Printed::Null,
                    Err(_) => Printed::Refused,
                },
                Err(_) => Printed::Refused,
            };
            let accepted = ACCEPTED.iter().any(|(accepted, _)| accepted == header);
            (tributary != apache && !accepted).then(|| {
                format!(
                    "{:?}: Apache {apache:?}, Tributary {tributary:?}",
                    String::from_utf8_lossy(header)
                )
            })
        })
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
