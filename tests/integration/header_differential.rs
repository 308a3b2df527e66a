//! Headers read and written by Apache Kafka Connect 4.3.1's `SimpleHeaderConverter` and by
//! Tributary's, each side in turn on the same inputs (Apache's in a JVM on the harness's jars,
//! `tests/fixtures/java/HeaderValues.java`):
//! - read: each value in [`HEADERS`] (integers at the edges of each type, floats, decimals past
//!   a double, numbers and dates in other scripts' digits, dates, times and timestamps, lenient
//!   ones too, times past a day, dates before 1582's calendar reform, lists and maps with and
//!   without a common schema, quoted text with escapes, literals, blanks and malformed UTF-8)
//!   is read by the converter and written back by its side's JsonConverter with its schema: the
//!   JSON must be the same (or both sides read a null, or refuse it), a FLOAT32 compared as the
//!   float it names ([`floats_as_floats`]);
//! - write: each JsonConverter envelope in [`VALUES`] (every primitive, decimals, the logical
//!   times at and off midnight and the epoch, bytes, lists, maps and structs holding them) is
//!   read by its side's JsonConverter and written as a header: the bytes must be the same (or
//!   both sides refuse it, as a time past a day).

use std::process::Stdio;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;
use tributary_harness::{JavaProgram, NO_PROPERTIES};
use tributary_runtime::config::ConfigMap;
use tributary_runtime::converter::{converter_for, Converter, ConverterRole};
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
    b"24:00:00.000Z",
    b"25:00:00.000Z",
    b"23:59:60.000Z",
    b"1500-01-01",
    b"1582-10-10",
    b"1582-10-15",
    b"0001-01-01",
    b"1500-01-01T12:00:00.000Z",
    b"[1500-01-01, 2024-01-31]",
    "\u{664}\u{662}".as_bytes(),
    "\u{ff11}\u{ff12}".as_bytes(),
    "\u{664}\u{662}.\u{665}".as_bytes(),
    "\u{662}\u{660}\u{662}\u{664}-01-31".as_bytes(),
    "\u{96a}\u{968}e\u{967}".as_bytes(),
    "\u{1d7d2}\u{1d7d0}".as_bytes(),
    "0\u{1d7d0}".as_bytes(),
    b"0000-06-15",
    b"1582-10-04T23:00:00.000Z",
    b"1582-10-04T25:00:00.000Z",
    b"1583-00-00",
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

/// JsonConverter envelopes of the values written as headers. Apache's JsonConverter reads a
/// map into a Java `HashMap`, in hash order: the keys of the maps here (single letters in
/// alphabetical order) are in that order too.
const VALUES: &[&str] = &[
    r#"{"schema":{"type":"bytes","optional":false},"payload":"AQID"}"#,
    r#"{"schema":{"type":"string","optional":false},"payload":"hé \"q\" \\ x"}"#,
    r#"{"schema":{"type":"string","optional":false},"payload":""}"#,
    r#"{"schema":{"type":"int8","optional":false},"payload":5}"#,
    r#"{"schema":{"type":"int64","optional":false},"payload":-9223372036854775808}"#,
    r#"{"schema":{"type":"float","optional":false},"payload":1.1}"#,
    r#"{"schema":{"type":"double","optional":false},"payload":0.1}"#,
    r#"{"schema":{"type":"double","optional":false},"payload":1e20}"#,
    r#"{"schema":{"type":"double","optional":false},"payload":1e-5}"#,
    r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
    r#"{"schema":{"type":"string","optional":true},"payload":null}"#,
    r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"BM4="}"#,
    r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"10"}},"payload":"AQ=="}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":19753}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":0}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":-1}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":3723004}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":90000000}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":-200000}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":-141428}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":-15000000000000}"#,
    r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":0}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1706662923004}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1706659200000}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":5000}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":-1000}"#,
    r#"{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":8000000000000000}"#,
    r#"{"schema":{"type":"array","items":{"type":"string","optional":true},"optional":false},"payload":["a\"b","c\\d",null,""]}"#,
    r#"{"schema":{"type":"array","items":{"type":"bytes","optional":false},"optional":false},"payload":["AQI=",""]}"#,
    r#"{"schema":{"type":"array","items":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"1"}},"optional":false},"payload":["AQ==","/w=="]}"#,
    r#"{"schema":{"type":"array","items":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"optional":false},"payload":[19753,0]}"#,
    r#"{"schema":{"type":"array","items":{"type":"float","optional":false},"optional":false},"payload":[]}"#,
    r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":true},"optional":false},"payload":{"a":1,"b":null}}"#,
    r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"one"],[2,"two"]]}"#,
    r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":{}}"#,
    r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"struct","fields":[{"type":"boolean","optional":false,"field":"ok"},{"type":"bytes","optional":true,"field":"raw"}],"optional":true,"field":"inner"},{"type":"array","items":{"type":"int64","optional":false},"optional":false,"field":"ids"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"}],"optional":false,"name":"row"},"payload":{"id":7,"name":null,"inner":{"ok":true,"raw":"/w=="},"ids":[1,2],"at":1706662923004}}"#,
];

/// What a side gives for one header: its JSON or bytes, or that it gave no value or refused.
#[derive(Debug, PartialEq)]
enum Outcome<T> {
    Given(T),
    Null,
    Refused,
}

/// Apache's outcomes for `inputs` in `mode` (`read` or `write`), each line as `given` reads it.
fn apache<T>(mode: &str, inputs: &[String], given: impl Fn(&str) -> T) -> Vec<Outcome<T>> {
    let dir = tempfile::tempdir().unwrap();
    let (input_file, output_file) = (dir.path().join("inputs.txt"), dir.path().join("outputs.txt"));
    std::fs::write(&input_file, inputs.join("\n")).unwrap();
    // SimpleDateFormat reads and writes times in the JVM's zone; Tributary in UTC.
    let status = JavaProgram::fixture("HeaderValues")
        .expect("HeaderValues.java compiles")
        .command(&[], NO_PROPERTIES)
        .expect("Kafka's jars")
        .args([
            std::ffi::OsStr::new(mode),
            input_file.as_os_str(),
            output_file.as_os_str(),
        ])
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .status()
        .expect("java runs");
    assert!(status.success(), "HeaderValues.java failed");
    let outcomes: Vec<Outcome<T>> = std::fs::read_to_string(&output_file)
        .unwrap()
        .lines()
        .map(|line| match line {
            "null" => Outcome::Null,
            "error" => Outcome::Refused,
            line => Outcome::Given(given(line)),
        })
        .collect();
    assert_eq!(outcomes.len(), inputs.len(), "one line per input");
    outcomes
}

/// The JsonConverter with schemas both sides print and read values with.
fn json_converter() -> Arc<dyn Converter> {
    let mut settings = ConfigMap::new();
    settings.insert(
        "value.converter".into(),
        "org.apache.kafka.connect.json.JsonConverter".into(),
    );
    settings.insert("value.converter.schemas.enable".into(), "true".into());
    converter_for(ConverterRole::Value, &settings, &ConfigMap::new()).unwrap()
}

fn header_converter() -> Arc<dyn Converter> {
    converter_for(ConverterRole::Header, &ConfigMap::new(), &ConfigMap::new()).unwrap()
}

#[test]
fn headers_read_as_apache_reads_them() {
    let inputs: Vec<String> = HEADERS
        .iter()
        .map(|header| base64::engine::general_purpose::STANDARD.encode(header))
        .collect();
    let apache = apache("read", &inputs, |line| {
        floats_as_floats(serde_json::from_str(line).expect("JSON"))
    });
    let (headers, json) = (header_converter(), json_converter());
    let differences: Vec<String> = HEADERS
        .iter()
        .zip(apache)
        .filter_map(|(header, apache)| {
            let tributary = match headers.to_connect("t", Some(header)) {
                Ok((None, Value::Null)) => Outcome::Null,
                Ok((schema, value)) => match json.to_bytes("t", schema.as_deref(), &value) {
                    Ok(Some(bytes)) => Outcome::Given(floats_as_floats(serde_json::from_slice(&bytes).expect("JSON"))),
                    Ok(None) => Outcome::Null,
                    Err(_) => Outcome::Refused,
                },
                Err(_) => Outcome::Refused,
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

#[test]
fn headers_written_as_apache_writes_them() {
    let inputs: Vec<String> = VALUES.iter().map(|value| value.to_string()).collect();
    let apache = apache("write", &inputs, |line| {
        base64::engine::general_purpose::STANDARD.decode(line).expect("base64")
    });
    let (headers, json) = (header_converter(), json_converter());
    let differences: Vec<String> = VALUES
        .iter()
        .zip(apache)
        .filter_map(|(envelope, apache)| {
            let tributary = match json.to_connect("t", Some(envelope.as_bytes())) {
                Ok((schema, value)) => match headers.to_bytes("t", schema.as_deref(), &value) {
                    Ok(Some(bytes)) => Outcome::Given(bytes),
                    Ok(None) => Outcome::Null,
                    Err(_) => Outcome::Refused,
                },
                Err(_) => Outcome::Refused,
            };
            let text = |outcome: &Outcome<Vec<u8>>| match outcome {
                Outcome::Given(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                other => format!("{other:?}"),
            };
            (tributary != apache).then(|| {
                format!(
                    "{envelope}: Apache {:?}, Tributary {:?}",
                    text(&apache),
                    text(&tributary)
                )
            })
        })
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
