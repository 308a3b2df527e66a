//! The JDBC sink connector against real PostgreSQL and MariaDB servers and a real Kafka broker:
//! upserts with key collisions and tombstones leave exactly the expected final table,
//! auto-create and auto-evolve shape the table from the record schemas (their defaults the
//! columns' defaults, so that a required field with one can be added), names are left to the
//! database under `quote.sql.identifiers=never`, `table.types` names the kinds of tables
//! written to (views, partitioned tables), a missing table and a
//! write the database refuses are retried and then fail the task with the cause (a restart
//! writes everything once the table is right) or, with a dead letter queue, send the refused
//! records there one by one, after kill -9 of the worker at-least-once loses
//! nothing while exactly-once writes no row twice, PostgreSQL tables loaded through COPY's
//! binary format hold what its text format gives them, and dates and times under a
//! `db.timezone` are the rows the real JDBC drivers write when bound as Confluent's sink binds
//! them.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use common::workers::WorkerProcess;
use common::{eventually, merged, start_worker, Api};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::{BaseRecord, Producer};
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, reliable_base_producer, send_waiting, unique_name};
use tributary_harness::{
    shared_cluster, shared_mariadb, shared_postgres, Database, DatabaseKind, JavaProgram, JdbcDriver,
};

/// Records in the upsert test on PostgreSQL (MariaDB takes a fifth: its statements are
/// row-by-row text).
const UPSERT_RECORDS: usize = 1_000_000;
/// Distinct keys they fall on.
const KEYS: usize = 50_000;

fn databases() -> [&'static Database; 2] {
    [shared_postgres(), shared_mariadb()]
}

/// The schema of the test rows: id, name, an optional amount, and optional extras.
fn value_schema(extra_fields: &[Value]) -> Value {
    let mut fields = vec![
        json!({"field": "id", "type": "int64", "optional": false}),
        json!({"field": "name", "type": "string", "optional": false}),
        json!({"field": "amount", "type": "double", "optional": true}),
        json!({"field": "day", "type": "int32", "optional": true, "name": "org.apache.kafka.connect.data.Date"}),
    ];
    fields.extend(extra_fields.iter().cloned());
    json!({"type": "struct", "name": "row", "optional": false, "fields": fields})
}

/// A JsonConverter record (schema and payload) of `schema` and `payload`.
fn envelope(schema: &Value, payload: Value) -> Vec<u8> {
    Envelopes::new(schema).of(&payload)
}

fn key(id: i64) -> Vec<u8> {
    format!(r#"{{"schema":{{"type":"int64","optional":false}},"payload":{id}}}"#).into_bytes()
}

/// [`envelope`] for many records of one schema: the schema is written once, not copied and
/// written again for each record (a million records took over a minute of the test's own time
/// in a debug build).
struct Envelopes {
    /// `{"schema":<schema>,"payload":`
    prefix: Vec<u8>,
}

impl Envelopes {
    fn new(schema: &Value) -> Self {
        let mut prefix = br#"{"schema":"#.to_vec();
        serde_json::to_writer(&mut prefix, schema).unwrap();
        prefix.extend_from_slice(br#","payload":"#);
        Envelopes { prefix }
    }

    fn of(&self, payload: &Value) -> Vec<u8> {
        let mut record = Vec::with_capacity(self.prefix.len() + 64);
        record.extend_from_slice(&self.prefix);
        serde_json::to_writer(&mut record, payload).unwrap();
        record.push(b'}');
        record
    }
}

/// Produces `records` (key, value or tombstone) to `topic`, in order, and waits for them.
async fn produce(topic: &str, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) {
    let bootstrap = shared_cluster().bootstrap_servers();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let producer = reliable_base_producer(&bootstrap).unwrap();
        for (key, value) in &records {
            let mut record = BaseRecord::to(&topic).key(key);
            if let Some(value) = value {
                record = record.payload(value);
            }
            send_waiting(&producer, record).unwrap();
        }
        producer.flush(Duration::from_secs(120)).unwrap();
    })
    .await
    .unwrap();
}

/// Records with ids `0..count`, keyed by id, each a row of [`value_schema`] named `r<id>`.
fn numbered_records(count: i64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let envelopes = Envelopes::new(&value_schema(&[]));
    (0..count)
        .map(|i| (key(i), Some(envelopes.of(&json!({"id": i, "name": format!("r{i}")})))))
        .collect()
}

/// The `id, name` rows [`numbered_records`] leave in a table.
fn numbered_rows(count: i64) -> Vec<Vec<String>> {
    (0..count).map(|i| vec![i.to_string(), format!("r{i}")]).collect()
}

/// Restarts task 0 of connector `topic` and waits until its table holds [`numbered_rows`]
/// `0..count`, each once.
async fn restart_and_wait_for_numbered_rows(api: &Api, database: &Database, topic: &str, count: i64) {
    let (code, body) = api
        .post(&format!("/connectors/{topic}/tasks/0/restart"), json!({}))
        .await;
    assert!(code == 204 || code == 202, "{code} {body}");
    wait_for_rows(
        database,
        topic,
        "id, name",
        &numbered_rows(count),
        Duration::from_secs(60),
    )
    .await;
}

/// A JDBC sink config for `database` reading `topic`, with JSON (schema) converters.
fn sink_config(database: &Database, topic: &str, extra: Value) -> Value {
    merged(
        json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "connection.url": database.jdbc_url(),
            "connection.user": "tributary",
            "connection.password": password(database),
            "topics": topic,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "retry.backoff.ms": "200",
            "consumer.override.auto.offset.reset": "earliest",
        }),
        extra,
    )
}

/// Creates connector `name` with `config`.
async fn create_connector(api: &Api, name: &str, config: Value) {
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
}

/// The password of the test user of `database`.
fn password(database: &Database) -> &'static str {
    match database.kind() {
        DatabaseKind::Postgres => "",
        DatabaseKind::MariaDb => "tributary",
    }
}

/// `SELECT <columns> FROM <table>` as rows of text fields, ordered by the first column (None
/// while the table does not exist).
fn rows(database: &Database, table: &str, columns: &str) -> Option<Vec<Vec<String>>> {
    let first = columns.split(',').next().unwrap_or(columns);
    let output = database
        .sql("tributary", &format!("SELECT {columns} FROM {table} ORDER BY {first}"))
        .ok()?;
    Some(
        output
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect(),
    )
}

/// Waits until `SELECT <columns> FROM <table>` equals `expected`.
async fn wait_for_rows(database: &Database, table: &str, columns: &str, expected: &[Vec<String>], timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let found = rows(database, table, columns);
        if found.as_deref() == Some(expected) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            let found = found.unwrap_or_default();
            let first_difference = found.iter().zip(expected).find(|(a, b)| a != b);
            panic!(
                "{table}: {} rows, expected {}; first difference (found, expected): {first_difference:?}",
                found.len(),
                expected.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserts_with_key_collisions_and_tombstones_leave_the_expected_table() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let records = match database.kind() {
            DatabaseKind::Postgres => UPSERT_RECORDS,
            DatabaseKind::MariaDb => UPSERT_RECORDS / 5,
        };
        let topic = unique_name("upsert").replace('-', "_");
        let envelopes = Envelopes::new(&value_schema(&[]));
        // Keys collide many times; every 50th record is a tombstone.
        let mut expected: BTreeMap<i64, String> = BTreeMap::new();
        let mut batch = Vec::with_capacity(records);
        for i in 0..records {
            let id = ((i * 7919) % KEYS) as i64;
            if i % 50 == 49 {
                expected.remove(&id);
                batch.push((key(id), None));
            } else {
                let name = format!("v{i}");
                let payload = json!({"id": id, "name": name, "amount": i as f64 / 4.0, "day": 19_000});
                expected.insert(id, name);
                batch.push((key(id), Some(envelopes.of(&payload))));
            }
        }
        produce(&topic, batch).await;
        let dir = tempfile::tempdir().unwrap();
        let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let config = sink_config(
            database,
            &topic,
            json!({
                "insert.mode": "upsert",
                "pk.mode": "record_key",
                "pk.fields": "id",
                "delete.enabled": "true",
                "auto.create": "true",
                "table.name.format": "sink_${topic}",
            }),
        );
        create_connector(&api, &topic, config).await;
        let expected: Vec<Vec<String>> = expected
            .into_iter()
            .map(|(id, name)| vec![id.to_string(), name])
            .collect();
        wait_for_rows(
            database,
            &format!("sink_{topic}"),
            "id, name",
            &expected,
            Duration::from_secs(300),
        )
        .await;
        let day = rows(database, &format!("sink_{topic}"), "day").unwrap();
        assert_eq!(day[0], vec!["2022-01-08".to_string()], "a Date field becomes a DATE");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_mode_changes_existing_rows_only_and_kafka_keys_record_coordinates() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let topic = unique_name("update").replace('-', "_");
        let schema = value_schema(&[]);
        let records = [(1, "first"), (3, "third"), (1, "again")]
            .iter()
            .map(|(id, name)| (key(*id), Some(envelope(&schema, json!({"id": id, "name": name})))))
            .collect();
        produce(&topic, records).await;
        database
            .sql(
                "tributary",
                &format!("CREATE TABLE {topic} (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, amount DOUBLE PRECISION, day DATE); \
                          INSERT INTO {topic} (id, name) VALUES (1, 'old'), (2, 'untouched');"),
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let update = sink_config(
            database,
            &topic,
            json!({"insert.mode": "update", "pk.mode": "record_key", "pk.fields": "id"}),
        );
        let (code, body) = api
            .put(&format!("/connectors/{topic}-update/config"), Some(update))
            .await;
        assert_eq!(code, 201, "{body}");
        let row = |id: &str, name: &str| vec![id.to_string(), name.to_string()];
        wait_for_rows(
            database,
            &topic,
            "id, name",
            &[row("1", "again"), row("2", "untouched")],
            Duration::from_secs(60),
        )
        .await;
        // pk.mode=kafka: one row per record, keyed by its topic, partition and offset.
        let kafka_table = format!("{topic}_log");
        let log = sink_config(
            database,
            &topic,
            json!({"pk.mode": "kafka", "auto.create": "true", "table.name.format": kafka_table}),
        );
        create_connector(&api, &format!("{topic}-log"), log).await;
        let columns = "__connect_offset, __connect_topic, __connect_partition, id, name";
        let expected: Vec<Vec<String>> = [(0, "1", "first"), (1, "3", "third"), (2, "1", "again")]
            .iter()
            .map(|(offset, id, name)| {
                vec![
                    offset.to_string(),
                    topic.clone(),
                    "0".into(),
                    id.to_string(),
                    name.to_string(),
                ]
            })
            .collect();
        wait_for_rows(database, &kafka_table, columns, &expected, Duration::from_secs(60)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_create_and_auto_evolve_follow_the_record_schema() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let topic = unique_name("evolve").replace('-', "_");
        let first = value_schema(&[]);
        let second = value_schema(&[json!({"field": "email", "type": "string", "optional": true})]);
        produce(
            &topic,
            vec![
                // A backslash, which PostgreSQL's COPY text must escape.
                (key(1), Some(envelope(&first, json!({"id": 1, "name": "one\\two"})))),
                (
                    key(2),
                    Some(envelope(
                        &second,
                        json!({"id": 2, "name": "two", "email": "two@example.com"}),
                    )),
                ),
            ],
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let config = sink_config(
            database,
            &topic,
            json!({"pk.mode": "record_value", "pk.fields": "id", "auto.create": "true", "auto.evolve": "true"}),
        );
        create_connector(&api, &topic, config).await;
        // As each database's client prints them.
        let (null, one) = match database.kind() {
            DatabaseKind::Postgres => ("", "one\\two"),
            DatabaseKind::MariaDb => ("NULL", "one\\\\two"),
        };
        let expected = vec![
            vec!["1".to_string(), one.to_string(), null.to_string()],
            vec!["2".to_string(), "two".to_string(), "two@example.com".to_string()],
        ];
        wait_for_rows(database, &topic, "id, name, email", &expected, Duration::from_secs(60)).await;
        api.wait_for_state(&topic, "RUNNING", Duration::from_secs(5)).await;
        // Both rows counted against their table, once committed.
        let metrics = api.metrics().await.expect("the worker\'s metrics");
        let counted = format!("tributary_jdbc_sink_rows_total{{connector=\"{topic}\",table=\"{topic}\",task=\"0\"}} 2");
        assert!(
            metrics.lines().any(|line| line == counted),
            "no `{counted}` in\n{metrics}"
        );
    }
}

/// Schema defaults become column defaults, as Confluent's dialects write them: auto.create
/// gives each column with a default its `DEFAULT`, and auto.evolve adds a required field with a
/// default (the rows already there take the default), where one without stays refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_defaults_become_column_defaults_and_let_required_fields_be_added() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for database in databases() {
        let topic = unique_name("defaults").replace('-', "_");
        let with_defaults = [
            json!({"field": "note", "type": "string", "optional": true, "default": "it's \\ here"}),
            json!({"field": "level", "type": "int32", "optional": false, "default": 3}),
            json!({"field": "flag", "type": "boolean", "optional": true, "default": true}),
            // 12.34: the unscaled 1234 in base64, as JsonConverter writes a decimal.
            json!({"field": "price", "type": "bytes", "optional": true, "default": "BNI=",
                   "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}}),
        ];
        let first = value_schema(&with_defaults);
        let tier = |default: Option<i64>| {
            let mut field = json!({"field": "tier", "type": "int32", "optional": false});
            if let Some(default) = default {
                field["default"] = json!(default);
            }
            let mut fields = with_defaults.to_vec();
            fields.push(field);
            value_schema(&fields)
        };
        let record = |id: i64, schema: &Value, extra: Value| {
            (
                key(id),
                Some(envelope(
                    schema,
                    merged(json!({"id": id, "name": format!("r{id}")}), extra),
                )),
            )
        };
        produce(
            &topic,
            vec![
                record(1, &first, json!({})),
                record(2, &tier(Some(7)), json!({"tier": 9, "level": 4})),
            ],
        )
        .await;
        let config = sink_config(
            database,
            &topic,
            json!({"pk.mode": "record_value", "pk.fields": "id", "auto.create": "true", "auto.evolve": "true"}),
        );
        create_connector(&api, &topic, config).await;
        // Row 1 was written before tier was added: it holds tier's default.
        let expected = [["1", "r1", "3", "7"], ["2", "r2", "4", "9"]].map(|row| row.map(str::to_string).to_vec());
        wait_for_rows(
            database,
            &topic,
            "id, name, level, tier",
            &expected,
            Duration::from_secs(60),
        )
        .await;
        // A row the sink did not write takes every default.
        database
            .sql("tributary", &format!("INSERT INTO {topic} (id, name) VALUES (3, 'r3')"))
            .unwrap();
        let (note, flag) = match database.kind() {
            DatabaseKind::Postgres => ("it's \\ here", "t"),
            DatabaseKind::MariaDb => ("it's \\\\ here", "1"),
        };
        let defaults = rows(
            database,
            &format!("{topic} WHERE id = 3"),
            "note, level, flag, price, tier",
        );
        assert_eq!(
            defaults,
            Some(vec![[note, "3", flag, "12.34", "7"].map(str::to_string).to_vec()])
        );

        // A required field without a default cannot be added.
        let refused = unique_name("required").replace('-', "_");
        produce(
            &refused,
            vec![record(1, &first, json!({})), record(2, &tier(None), json!({"tier": 9}))],
        )
        .await;
        let config = sink_config(
            database,
            &refused,
            json!({"pk.mode": "record_value", "pk.fields": "id", "auto.create": "true", "auto.evolve": "true"}),
        );
        create_connector(&api, &refused, config).await;
        let trace = api.failed_trace(&refused, Duration::from_secs(60)).await;
        assert!(
            trace.contains("to add missing field tier, as the field is not optional and does not have a default value"),
            "{trace}"
        );
    }
}

/// `quote.sql.identifiers=never`: the statements write table and column names as they are, so
/// the database folds them as unquoted names (PostgreSQL to lower case, where Tributary then
/// finds the table, as Confluent's takes the table's name in lower case there), and a field
/// finds its column whatever the case of either, as Confluent's sink finds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_sql_identifiers_never_leaves_names_to_the_database() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for database in databases() {
        let topic = unique_name("Unquoted").replace('-', "_");
        let schema = |fields: &[(&str, &str, bool)]| {
            let fields: Vec<Value> = fields
                .iter()
                .map(|(name, kind, optional)| json!({"field": name, "type": kind, "optional": optional}))
                .collect();
            json!({"type": "struct", "optional": false, "fields": fields})
        };
        let first = schema(&[("Id", "int64", false), ("Name", "string", false)]);
        let second = schema(&[
            ("Id", "int64", false),
            ("Name", "string", false),
            ("Email", "string", true),
        ]);
        let other_case = schema(&[("id", "int64", false), ("NAME", "string", false)]);
        produce(
            &topic,
            vec![
                (key(1), Some(envelope(&first, json!({"Id": 1, "Name": "one"})))),
                (
                    key(2),
                    Some(envelope(&second, json!({"Id": 2, "Name": "two", "Email": "e"}))),
                ),
                (key(3), Some(envelope(&other_case, json!({"id": 3, "NAME": "three"})))),
            ],
        )
        .await;
        let config = sink_config(
            database,
            &topic,
            json!({"quote.sql.identifiers": "never", "auto.create": "true", "auto.evolve": "true"}),
        );
        create_connector(&api, &topic, config).await;
        // PostgreSQL folded the unquoted names to lower case; MariaDB keeps a table's name as
        // written (its column names know no case).
        let (table, null) = match database.kind() {
            DatabaseKind::Postgres => (topic.to_lowercase(), ""),
            DatabaseKind::MariaDb => (topic.clone(), "NULL"),
        };
        let expected =
            [["1", "one", null], ["2", "two", "e"], ["3", "three", null]].map(|row| row.map(str::to_string).to_vec());
        wait_for_rows(database, &table, "id, name, email", &expected, Duration::from_secs(60)).await;
        api.wait_for_state(&topic, "RUNNING", Duration::from_secs(5)).await;
    }
}

/// `table.types`, as Confluent's sink reads it: a view (or PostgreSQL partitioned table) is
/// missing to the sink unless `table.types` names its kind, so without auto.create the task
/// fails; named, the view is written to (PostgreSQL's COPY does not load a view: its rows go
/// through INSERT), the partitioned table loaded, and a field the view lacks fails the task as
/// a view is not altered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_types_name_the_kinds_of_tables_written_to() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let schema = |extra: &[&str]| {
        let mut fields = vec![
            json!({"field": "id", "type": "int64", "optional": false}),
            json!({"field": "name", "type": "string", "optional": false}),
        ];
        fields.extend(
            extra
                .iter()
                .map(|name| json!({"field": name, "type": "string", "optional": true})),
        );
        json!({"type": "struct", "optional": false, "fields": fields})
    };
    let expected = [["1", "one"], ["2", "two"]].map(|row| row.map(str::to_string).to_vec());
    for database in databases() {
        let view = unique_name("view").replace('-', "_");
        database
            .sql(
                "tributary",
                &format!(
                    "CREATE TABLE {view}_base (id BIGINT PRIMARY KEY, name VARCHAR(20)); \
                     CREATE VIEW {view} AS SELECT id, name FROM {view}_base"
                ),
            )
            .unwrap();
        produce(
            &view,
            vec![
                (key(1), Some(envelope(&schema(&[]), json!({"id": 1, "name": "one"})))),
                (key(2), Some(envelope(&schema(&[]), json!({"id": 2, "name": "two"})))),
            ],
        )
        .await;
        let default = format!("{view}_default");
        create_connector(&api, &default, sink_config(database, &view, json!({}))).await;
        let trace = api.failed_trace(&default, Duration::from_secs(60)).await;
        assert!(
            trace.contains("(a VIEW of that name exists, which table.types leaves out)"),
            "{trace}"
        );
        let views = format!("{view}_views");
        let config = sink_config(database, &view, json!({"table.types": "view", "auto.evolve": "true"}));
        create_connector(&api, &views, config).await;
        wait_for_rows(
            database,
            &format!("{view}_base"),
            "id, name",
            &expected,
            Duration::from_secs(60),
        )
        .await;
        api.wait_for_state(&views, "RUNNING", Duration::from_secs(5)).await;
        produce(
            &view,
            vec![(
                key(3),
                Some(envelope(
                    &schema(&["email"]),
                    json!({"id": 3, "name": "three", "email": "e"}),
                )),
            )],
        )
        .await;
        let trace = api.failed_trace(&views, Duration::from_secs(60)).await;
        assert!(
            trace.contains(&format!(
                "VIEW {view} is missing fields (email) and ALTER VIEW is unsupported"
            )),
            "{trace}"
        );
    }
    // PostgreSQL's partitioned table: loaded once table.types names it.
    let database = shared_postgres();
    let partitioned = unique_name("partitioned").replace('-', "_");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {partitioned} (id BIGINT, name TEXT) PARTITION BY RANGE (id); \
                 CREATE TABLE {partitioned}_low PARTITION OF {partitioned} FOR VALUES FROM (0) TO (100)"
            ),
        )
        .unwrap();
    produce(
        &partitioned,
        vec![
            (key(1), Some(envelope(&schema(&[]), json!({"id": 1, "name": "one"})))),
            (key(2), Some(envelope(&schema(&[]), json!({"id": 2, "name": "two"})))),
        ],
    )
    .await;
    let config = sink_config(
        database,
        &partitioned,
        json!({"table.types": "TABLE, PARTITIONED TABLE"}),
    );
    create_connector(&api, &partitioned, config).await;
    wait_for_rows(database, &partitioned, "id, name", &expected, Duration::from_secs(60)).await;
}

/// Every type the sink writes in COPY's binary format, loaded twice from one topic: into a
/// table whose column types all take it, and into one whose `real` column does not (so COPY's
/// text format carries that run). Both tables read back the same, and as the records say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_and_text_copy_load_the_same_rows() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let topic = unique_name("copy_formats").replace('-', "_");
    let logical = |field: &str, kind: &str, name: &str, parameters: Value| json!({"field": field, "type": kind, "optional": true, "name": format!("org.apache.kafka.connect.data.{name}"), "parameters": parameters});
    let optional = |field: &str, kind: &str| json!({"field": field, "type": kind, "optional": true});
    let schema = json!({"type": "struct", "name": "row", "optional": false, "fields": [
        {"field": "id", "type": "int64", "optional": false},
        optional("small", "int16"),
        optional("medium", "int32"),
        optional("ratio", "double"),
        optional("flag", "boolean"),
        optional("note", "string"),
        optional("code", "string"),
        optional("letters", "string"),
        optional("raw", "bytes"),
        logical("amount", "bytes", "Decimal", json!({"scale": "4"})),
        logical("day", "int32", "Date", Value::Null),
        logical("at_time", "int32", "Time", Value::Null),
        logical("at", "int64", "Timestamp", Value::Null),
        logical("at_zone", "int64", "Timestamp", Value::Null),
    ]});
    let envelopes = Envelopes::new(&schema);
    let rows_in = [
        json!({"id": 1, "small": -32768, "medium": 2147483647, "ratio": 1.5, "flag": true,
               "note": "tab\there, back\\slash, new\nline, ünïcödé", "code": "c-1", "letters": "ab",
               "raw": "AAH+/w==", "amount": "/0Oesg==", "day": -1, "at_time": 45296789,
               "at": 1709212455120_i64, "at_zone": -86399999}),
        json!({"id": 2, "small": 7, "medium": -1, "ratio": -0.25, "flag": false, "note": "",
               "code": "", "letters": "xyz", "raw": "", "amount": "BQ==", "day": 19000, "at_time": 0,
               "at": 0, "at_zone": 946684800000_i64}),
        json!({"id": 3}),
    ];
    let records = rows_in
        .iter()
        .map(|payload| (key(payload["id"].as_i64().unwrap()), Some(envelopes.of(payload))))
        .collect();
    produce(&topic, records).await;
    // The note as JSON text: its tab and newline would split the client's rows.
    let columns =
        "id, small, medium, ratio, flag, to_json(note), code, letters, raw, amount, day, at_time, at, at_zone";
    for (table, ratio_type) in [("binary", "DOUBLE PRECISION"), ("text", "REAL")] {
        database
            .sql(
                "tributary",
                &format!(
                    "CREATE TABLE {topic}_{table} (id BIGINT, small SMALLINT, medium INT, ratio {ratio_type}, \
                     flag BOOLEAN, note TEXT, code VARCHAR(10), letters CHAR(3), raw BYTEA, amount NUMERIC(20,4), \
                     day DATE, at_time TIME(3), at TIMESTAMP(3), at_zone TIMESTAMPTZ(3))"
                ),
            )
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for table in ["binary", "text"] {
        let config = sink_config(
            database,
            &topic,
            json!({"table.name.format": format!("{topic}_{table}")}),
        );
        let (code, body) = api
            .put(&format!("/connectors/{topic}_{table}/config"), Some(config))
            .await;
        assert_eq!(code, 201, "{body}");
    }
    let expected_ids: Vec<Vec<String>> = (1..=3).map(|id| vec![id.to_string()]).collect();
    for table in ["binary", "text"] {
        wait_for_rows(
            database,
            &format!("{topic}_{table}"),
            "id",
            &expected_ids,
            Duration::from_secs(60),
        )
        .await;
    }
    let binary = rows(database, &format!("{topic}_binary"), columns).unwrap();
    let text = rows(database, &format!("{topic}_text"), columns).unwrap();
    assert_eq!(binary, text);
    let first: Vec<&str> = binary[0].iter().map(String::as_str).collect();
    assert_eq!(
        first[..12],
        [
            "1",
            "-32768",
            "2147483647",
            "1.5",
            "t",
            r#""tab\there, back\\slash, new\nline, ünïcödé""#,
            "c-1",
            "ab ",
            "\\x0001feff",
            "-1234.5678",
            "1969-12-31",
            "12:34:56.789"
        ]
    );
    assert_eq!(binary[0][12], "2024-02-29 13:14:15.12");
    assert_eq!(binary[1][9], "0.0005");
    assert_eq!(binary[1][10], "2022-01-08");
    assert_eq!(binary[2][1..], vec![String::new(); 13][..], "nulls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_fails_the_task_with_the_cause_and_a_restart_writes_everything() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let topic = unique_name("missing").replace('-', "_");
    let records = numbered_records(100);
    produce(&topic, records).await;
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = sink_config(database, &topic, json!({}));
    create_connector(&api, &topic, config).await;
    // max.retries=10 retries, retry.backoff.ms=200 apart (the wait the task asks the worker
    // for, as Confluent's asks Apache's): about 2 s, well inside the 60 s deadline.
    let trace = api.failed_trace(&topic, Duration::from_secs(60)).await;
    assert!(
        trace.contains("giving up after 11 failed attempts")
            && trace.contains("does not exist and auto.create is false"),
        "{trace}"
    );
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {topic} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount DOUBLE PRECISION, day DATE)"
            ),
        )
        .unwrap();
    restart_and_wait_for_numbered_rows(&api, database, &topic, 100).await;
}

/// A transaction the database refuses (a NOT NULL column the records do not fill) fails the
/// task once retried, whether it shows at a later put (many batches) or only at the worker's
/// flush (a single one); once the table accepts the rows, a restart writes every record once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_fails_the_task_with_the_cause_and_a_restart_writes_everything() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for database in databases() {
        for records in [10, 1000] {
            let topic = unique_name("refused").replace('-', "_");
            let values = numbered_records(records);
            produce(&topic, values).await;
            database
                .sql(
                    "tributary",
                    &format!(
                        "CREATE TABLE {topic} (id BIGINT NOT NULL, name TEXT NOT NULL, amount DOUBLE PRECISION, \
                         day DATE, extra VARCHAR(10) NOT NULL)"
                    ),
                )
                .unwrap();
            let config = sink_config(
                database,
                &topic,
                json!({"max.retries": "2", "batch.size": "100", "consumer.override.max.poll.records": "100"}),
            );
            create_connector(&api, &topic, config).await;
            let trace = api.failed_trace(&topic, Duration::from_secs(60)).await;
            assert!(
                trace.contains("giving up after 3 failed attempts") && trace.contains("extra"),
                "{:?}, {records} records: {trace}",
                database.kind()
            );
            assert_eq!(rows(database, &topic, "id"), Some(Vec::new()), "nothing committed");
            database
                .sql(
                    "tributary",
                    &format!("ALTER TABLE {topic} ALTER COLUMN extra SET DEFAULT 'x'"),
                )
                .unwrap();
            restart_and_wait_for_numbered_rows(&api, database, &topic, records).await;
        }
    }
}

/// With a dead letter queue, the records a table refuses go there one by one, as with
/// Confluent's sink on Apache's errant record reporter: a batch the database refuses (a CHECK
/// constraint) after `max.retries` retries, and at once a record with a required field the
/// table lacks and cannot be given (no default). The others are written, the task keeps
/// running, and the dead letter queue holds the refused records as read, at stage TASK_PUT.
/// The worker creates the dead letter queue topic with its replication factor; with
/// `errors.tolerance=none` a report fails the task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_a_table_refuses_go_to_the_dead_letter_queue_one_by_one() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let with_email = value_schema(&[json!({"field": "email", "type": "string", "optional": false})]);
    for database in databases() {
        let topic = unique_name("errant").replace('-', "_");
        let create_table = |table: &str| {
            let ddl = format!(
                "CREATE TABLE {table} (id BIGINT NOT NULL, name VARCHAR(10) NOT NULL, amount DOUBLE PRECISION, \
                 day DATE, CONSTRAINT refused_ids CHECK (id <> 3 AND id <> 7))"
            );
            database.sql("tributary", &ddl).unwrap();
        };
        create_table(&topic);
        let mut records = numbered_records(12);
        records[10].1 = Some(envelope(&with_email, json!({"id": 10, "name": "r10", "email": "e"})));
        produce(&topic, records.clone()).await;
        let dlq = format!("{topic}_dlq");
        let tolerant = |replication_factor: &str| {
            sink_config(
                database,
                &topic,
                json!({
                    "max.retries": "1",
                    "auto.evolve": "true",
                    "errors.tolerance": "all",
                    "errors.deadletterqueue.topic.name": dlq,
                    "errors.deadletterqueue.topic.replication.factor": replication_factor,
                    "errors.deadletterqueue.context.headers.enable": "true",
                }),
            )
        };
        // One broker cannot hold two replicas: the worker creates the topic, and fails.
        let unreplicable = format!("{topic}_unreplicable");
        create_connector(&api, &unreplicable, tolerant("2")).await;
        let trace = api.failed_trace(&unreplicable, Duration::from_secs(60)).await;
        assert!(
            trace.contains(&format!("Could not initialize dead letter queue with topic={dlq}")),
            "{trace}"
        );
        assert_eq!(api.delete(&format!("/connectors/{unreplicable}")).await.0, 204);

        create_connector(&api, &topic, tolerant("1")).await;
        let written: Vec<Vec<String>> = numbered_rows(12)
            .into_iter()
            .filter(|row| !["3", "7", "10"].contains(&row[0].as_str()))
            .collect();
        wait_for_rows(database, &topic, "id, name", &written, Duration::from_secs(60)).await;
        let dead = consume_until(&kafka, &dlq, 3, Duration::from_secs(60), "read_committed")
            .await
            .unwrap();
        let offsets: Vec<i64> = dead
            .iter()
            .map(|m| header(m, "__connect.errors.offset").parse().unwrap())
            .collect();
        assert_eq!(offsets, [3, 7, 10], "{:?}", database.kind());
        for message in &dead {
            let offset = header(message, "__connect.errors.offset").parse::<usize>().unwrap();
            let (key, value) = &records[offset];
            assert_eq!(message.key(), Some(&key[..]), "the key as read");
            assert_eq!(message.payload(), value.as_deref(), "the value as read");
            assert_eq!(header(message, "__connect.errors.topic"), topic);
            assert_eq!(header(message, "__connect.errors.stage"), "TASK_PUT");
            assert_eq!(header(message, "__connect.errors.connector.name"), topic);
            let why = header(message, "__connect.errors.exception.message");
            let expected = if offset == 10 {
                "missing field email"
            } else {
                "refused_ids"
            };
            assert!(why.contains(expected), "offset {offset}: {why}");
        }
        api.wait_for_state(&topic, "RUNNING", Duration::from_secs(5)).await;

        // errors.log.enable gives the task a reporter, and errors.tolerance=none fails it at
        // the first report (the records before it written).
        let strict = format!("{topic}_strict");
        create_table(&strict);
        let config = sink_config(
            database,
            &topic,
            json!({"table.name.format": strict, "max.retries": "0", "errors.log.enable": "true"}),
        );
        create_connector(&api, &strict, config).await;
        let trace = api.failed_trace(&strict, Duration::from_secs(60)).await;
        assert!(
            trace.contains("Tolerance exceeded in error handler: TASK_PUT stage failed"),
            "{trace}"
        );
    }
}

/// The text of `message`'s header `key`.
fn header(message: &OwnedMessage, key: &str) -> String {
    let headers = message.headers().expect("context headers");
    let value = headers.iter().find(|h| h.key == key).and_then(|h| h.value);
    String::from_utf8_lossy(value.unwrap_or_else(|| panic!("no header {key}"))).into_owned()
}

/// Runs a standalone worker process writing `topic` into `table` (no primary key, so a row
/// written twice shows), kills it with SIGKILL mid-load, starts it again, and returns the
/// number of rows and of distinct ids once every id is in.
async fn kill_mid_load(database: &Database, exactly_once: bool) -> (usize, usize) {
    const RECORDS: i64 = 200_000;
    let kafka = shared_cluster().bootstrap_servers();
    let topic = unique_name("crash").replace('-', "_");
    let records = numbered_records(RECORDS);
    produce(&topic, records).await;
    let dir = tempfile::tempdir().unwrap();
    let config = sink_config(
        database,
        &topic,
        json!({
            "auto.create": "true",
            "exactly.once.enabled": exactly_once.to_string(),
            "batch.size": "500",
            "consumer.override.max.poll.records": "500",
            // The killed worker's group member is dropped after this, not the 45 s default.
            "consumer.override.session.timeout.ms": "6000",
        }),
    );
    let mut worker = WorkerProcess::standalone(&kafka, dir.path(), "sink-worker", 1000).await;
    worker.put_connector(&topic, &config).await;
    let count = |sql: &str| {
        database
            .sql("tributary", &sql.replace("{t}", &topic))
            .ok()
            .and_then(|out| out.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    eventually(Duration::from_secs(120), "part of the load written", || async {
        (count("SELECT COUNT(*) FROM {t}") >= RECORDS as usize / 4).then_some(())
    })
    .await;
    worker.kill();
    let at_kill = count("SELECT COUNT(*) FROM {t}");
    assert!(
        at_kill < RECORDS as usize,
        "killed before the end of the load ({at_kill})"
    );
    worker.restart();
    worker.wait_ready().await;
    worker.put_connector(&topic, &config).await;
    eventually(Duration::from_secs(180), "every id written", || async {
        (count("SELECT COUNT(DISTINCT id) FROM {t}") == RECORDS as usize).then_some(())
    })
    .await;
    (
        count("SELECT COUNT(*) FROM {t}"),
        count("SELECT COUNT(DISTINCT id) FROM {t}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_at_least_once_loses_nothing_and_exactly_once_writes_no_row_twice() {
    for database in databases() {
        let (rows, ids) = kill_mid_load(database, false).await;
        assert_eq!(ids, 200_000, "{:?} at-least-once: nothing lost", database.kind());
        assert!(rows >= ids, "{:?} at-least-once: {rows} rows", database.kind());
        let (rows, ids) = kill_mid_load(database, true).await;
        assert_eq!((rows, ids), (200_000, 200_000), "{:?} exactly-once", database.kind());
    }
}

/// Values with a String schema (StringConverter's) fill one column,
/// `string.output.value.column.name`, as in Confluent's sink: upserted by their string key and
/// deleted by its tombstone, in a table `auto.create` makes. A null field with a default (kept
/// null by a JsonConverter with `replace.null.with.default=false`) is written as the default, or
/// as NULL where the sink's `replace.null.with.default` is false.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_values_fill_one_column_and_null_fields_take_their_defaults() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let string_converter = "org.apache.kafka.connect.storage.StringConverter";
    for database in databases() {
        let strings = unique_name("strings").replace('-', "_");
        let record = |key: &str, value: Option<&str>| (key.as_bytes().to_vec(), value.map(|v| v.as_bytes().to_vec()));
        let records = vec![
            record("k1", Some("first")),
            record("k2", Some("second")),
            record("k1", Some("ünïcödé")),
            record("k2", None),
            record("k3", Some("")),
        ];
        produce(&strings, records).await;
        let config = sink_config(
            database,
            &strings,
            json!({"key.converter": string_converter, "value.converter": string_converter, "insert.mode": "upsert",
                   "pk.mode": "record_key", "pk.fields": "k", "delete.enabled": "true", "auto.create": "true",
                   "string.output.value.column.name": "body"}),
        );
        create_connector(&api, &strings, config).await;
        let expected = [["k1", "ünïcödé"], ["k3", ""]].map(|row| row.map(str::to_string).to_vec());
        wait_for_rows(database, &strings, "k, body", &expected, Duration::from_secs(60)).await;

        let defaults = unique_name("defaults").replace('-', "_");
        let schema =
            value_schema(&[json!({"field": "note", "type": "string", "optional": true, "default": "none given"})]);
        produce(
            &defaults,
            vec![(
                key(1),
                Some(envelope(&schema, json!({"id": 1, "name": "a", "note": null}))),
            )],
        )
        .await;
        let null = match database.kind() {
            DatabaseKind::Postgres => "",
            DatabaseKind::MariaDb => "NULL",
        };
        for (replace, note) in [("true", "none given"), ("false", null)] {
            let table = format!("{defaults}_{replace}");
            let config = sink_config(
                database,
                &defaults,
                json!({"value.converter.replace.null.with.default": "false", "replace.null.with.default": replace,
                       "auto.create": "true", "table.name.format": table}),
            );
            create_connector(&api, &table, config).await;
            let expected = [vec!["1".to_string(), note.to_string()]];
            wait_for_rows(database, &table, "id, note", &expected, Duration::from_secs(60)).await;
        }
    }
}

/// A column where Tributary's rows differ on purpose from those a driver writes with
/// Confluent's calendars: the driver, the settings it shows under (each of them given), the
/// column and why.
type WriteDifference = (
    JdbcDriver,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

/// The differences of [`dates_and_times_are_written_in_db_timezone_as_the_jdbc_drivers_write_them`].
const ZONED_WRITE_DIFFERENCES: &[WriteDifference] = &[
    (
        JdbcDriver::MySqlConnectorJ,
        &[],
        "at_time",
        "MySQL Connector/J takes a MariaDB server (whose version reads 5.5.5-…) for one without \
         fractions of a second and drops them; Tributary keeps them",
    ),
    (JdbcDriver::MySqlConnectorJ, &[], "at", "as at_time"),
    (JdbcDriver::MySqlConnectorJ, &[], "at_micros", "as at_time"),
    (JdbcDriver::MySqlConnectorJ, &[], "at_text", "as at_time"),
    (
        JdbcDriver::MySqlConnectorJ,
        &[],
        "at_instant",
        "a MySQL TIMESTAMP: both drivers send the wall time of db.timezone, which the server reads \
         in the session's zone (the server's, UTC here), moving the instant by the zones' \
         difference; Tributary's session runs in UTC and writes the instant",
    ),
    (
        JdbcDriver::MariaDbConnectorJ,
        &[],
        "at_instant",
        "as through MySQL Connector/J",
    ),
];

/// A record field's schema of Connect's logical type `name`.
fn logical(field: &str, kind: &str, name: &str) -> Value {
    json!({"field": field, "type": kind, "optional": true, "name": format!("org.apache.kafka.connect.data.{name}")})
}

/// Writes `payloads` (the values of records of `schema`, keyed by their `id`) into a new table
/// of `columns` (each a name with its PostgreSQL and its MariaDB type; `id` first) on both
/// databases, once with each of `variations` of the sink's settings (beyond `db.timezone`
/// America/New_York, `pk.mode=record_value` and `pk.fields=id`): by Tributary, and by each driver
/// (pgjdbc on PostgreSQL, MySQL Connector/J and MariaDB Connector/J on MariaDB) with the records
/// bound as Confluent's sink binds them under those settings
/// (`tests/fixtures/java/JdbcSinkBinds.java`). The rows must be the same but for `differences`
/// (each must still be seen). Returns Tributary's rows, by database and variation.
async fn same_rows_as_confluents_writes(
    schema: &Value,
    payloads: &[Value],
    columns: &[(&str, &str, &str)],
    variations: &[&[(&'static str, &'static str)]],
    differences: &[WriteDifference],
) -> Vec<(DatabaseKind, Vec<Vec<Vec<String>>>)> {
    let kafka = shared_cluster().bootstrap_servers();
    let topic = unique_name("zoned_writes").replace('-', "_");
    let envelopes = Envelopes::new(schema);
    let records: Vec<Vec<u8>> = payloads.iter().map(|payload| envelopes.of(payload)).collect();
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), records.join(&b'\n')).unwrap();
    let keyed = payloads.iter().zip(&records).map(|(payload, record)| {
        let id = payload["id"].as_i64().expect("an id");
        (key(id), Some(record.clone()))
    });
    produce(&topic, keyed.collect()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| *name).collect();
    let ids: Vec<Vec<String>> = payloads.iter().map(|payload| vec![payload["id"].to_string()]).collect();
    let mut written = Vec::new();
    for (database, drivers) in [
        (shared_postgres(), &[JdbcDriver::Postgres][..]),
        (
            shared_mariadb(),
            &[JdbcDriver::MySqlConnectorJ, JdbcDriver::MariaDbConnectorJ][..],
        ),
    ] {
        let create = |table: &str| {
            let definitions: Vec<String> = columns
                .iter()
                .map(|(name, postgres, mariadb)| match database.kind() {
                    DatabaseKind::Postgres => format!("{name} {postgres}"),
                    DatabaseKind::MariaDb => format!("{name} {mariadb}"),
                })
                .collect();
            let ddl = format!("CREATE TABLE {table} ({}, PRIMARY KEY (id))", definitions.join(", "));
            database.sql("tributary", &ddl).unwrap();
        };
        let mut tables = Vec::new();
        for (variation, &settings) in variations.iter().enumerate() {
            let table = format!("{topic}_{:?}_{variation}", database.kind()).to_lowercase();
            create(&table);
            let settings: Vec<(&str, &str)> = [
                ("db.timezone", "America/New_York"),
                ("pk.mode", "record_value"),
                ("pk.fields", "id"),
            ]
            .into_iter()
            .chain(settings.iter().copied())
            .collect();
            let mut extra = json!({"table.name.format": table});
            for (key, value) in &settings {
                extra[key] = json!(value);
            }
            let (code, body) = api
                .put(
                    &format!("/connectors/{table}/config"),
                    Some(sink_config(database, &topic, extra)),
                )
                .await;
            assert_eq!(code, 201, "{body}");
            wait_for_rows(database, &table, "id", &ids, Duration::from_secs(60)).await;
            let tributary = rows(database, &table, &names.join(", ")).unwrap();
            for &driver in drivers {
                let theirs = format!("{table}_{driver:?}").to_lowercase();
                create(&theirs);
                confluents_writes(database, driver, &theirs, &settings, input.path()).await;
                let confluent = rows(database, &theirs, &names.join(", ")).unwrap();
                let known: Vec<&str> = differences
                    .iter()
                    .filter(|(d, shown_by, _, _)| *d == driver && shown_by.iter().all(|s| settings.contains(s)))
                    .map(|(_, _, column, _)| *column)
                    .collect();
                let mut seen = BTreeSet::new();
                for (their_row, our_row) in confluent.iter().zip(&tributary) {
                    for ((name, theirs), ours) in names.iter().zip(their_row).zip(our_row) {
                        if theirs != ours {
                            assert!(
                                known.contains(name),
                                "{driver:?}, {settings:?}, row {}, {name}: Confluent's {theirs}, Tributary's {ours}",
                                our_row[0]
                            );
                            seen.insert(*name);
                        }
                    }
                }
                assert_eq!(confluent.len(), tributary.len());
                for column in known {
                    assert!(
                        seen.contains(column),
                        "{driver:?}, {settings:?}: {column} no longer differs"
                    );
                }
            }
            tables.push(tributary);
        }
        written.push((database.kind(), tables));
    }
    written
}

/// Dates and times written under `db.timezone` America/New_York, with `date.timezone` its
/// default (DB_TIMEZONE) and UTC, beside the rows the real JDBC drivers write
/// ([`same_rows_as_confluents_writes`]): TIMESTAMP and TIMESTAMPTZ columns on PostgreSQL,
/// DATETIME and TIMESTAMP on MariaDB. A timestamp without a zone is its wall time (both
/// instants of the hour the clock turns back are 01:30), a time of day the zone's on 1970-01-01
/// (UTC midnight is 19:00), a DATE the day its UTC midnight falls on in the zone (the day
/// before) or, with `date.timezone=UTC`, the date itself; the microseconds from 1970 of the
/// fields of `timestamp.fields.list` (an INT64 and a string) the wall times of their instants.
/// Tributary writes by COPY and multi-row INSERT (insert mode) and by its upsert statements
/// (upsert mode).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_and_times_are_written_in_db_timezone_as_the_jdbc_drivers_write_them() {
    let schema = json!({"type": "struct", "name": "row", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
        logical("day", "int32", "Date"),
        logical("at_time", "int32", "Time"),
        logical("at", "int64", "Timestamp"),
        logical("at_instant", "int64", "Timestamp"),
        {"field": "at_micros", "type": "int64", "optional": true},
        {"field": "at_text", "type": "string", "optional": true},
    ]});
    let payloads = [
        json!({"id": 1, "day": 19782, "at_time": 65655500, "at": 1709230455123_i64, "at_instant": 1709230455123_i64,
               "at_micros": 1709230455123456_i64, "at_text": "1709230455123456"}),
        json!({"id": 2, "day": 0, "at_time": 0, "at": 1730611800000_i64, "at_instant": 1730611800000_i64,
               "at_micros": -500000, "at_text": "1730611800000001"}),
        json!({"id": 3, "day": -1, "at_time": 86399999, "at": 1730615400000_i64, "at_instant": 1710055800000_i64}),
        json!({"id": 4, "day": 19905, "at_time": 3600000, "at": -14399500, "at_instant": 946684800000_i64}),
        json!({"id": 5}),
    ];
    let columns = [
        ("id", "INT", "INT"),
        ("day", "DATE", "DATE"),
        ("at_time", "TIME(3)", "TIME(3)"),
        ("at", "TIMESTAMP(3)", "DATETIME(3)"),
        ("at_instant", "TIMESTAMPTZ(3)", "TIMESTAMP(3) NULL"),
        ("at_micros", "TIMESTAMP(6)", "DATETIME(6)"),
        ("at_text", "TIMESTAMP(6)", "DATETIME(6)"),
    ];
    let micros = ("timestamp.fields.list", "at_micros,at_text");
    let variations: [&[(&str, &str)]; 2] = [
        &[("date.timezone", "DB_TIMEZONE"), ("insert.mode", "insert"), micros],
        &[("date.timezone", "UTC"), ("insert.mode", "upsert"), micros],
    ];
    let written =
        same_rows_as_confluents_writes(&schema, &payloads, &columns, &variations, ZONED_WRITE_DIFFERENCES).await;
    for (database, tables) in written {
        for (tributary, expected_day) in tables.iter().zip(["2024-02-28", "2024-02-29"]) {
            let (day, time) = (&tributary[0][1], &tributary[0][2]);
            assert_eq!(
                day, expected_day,
                "{database:?}: 2024-02-29's UTC midnight in the zone, then the date itself"
            );
            assert!(time.starts_with("13:14:15.5"), "{database:?}: {time}");
        }
    }
}

/// The differences of [`dates_before_1582_are_written_in_date_calendar_system_as_the_jdbc_drivers_write_them`].
const OLD_DATE_WRITE_DIFFERENCES: &[WriteDifference] = &[
    (
        JdbcDriver::Postgres,
        &[("date.calendar.system", "PROLEPTIC_GREGORIAN")],
        "at_instant",
        "a TIMESTAMPTZ before 1900 under a db.timezone whose offset then (a local mean time) is \
         not its standard offset: Confluent's conversion from the proleptic calendar takes the \
         instant to its wall time with java.time (the local mean time) and the driver sends that \
         wall time with Java's TimeZone's offset (the standard one), which moves the instant by \
         their difference (3 min 58 s in New York); Tributary writes the instant",
    ),
    (
        JdbcDriver::Postgres,
        &[("date.calendar.system", "PROLEPTIC_GREGORIAN")],
        "at_text",
        "a string of timestamp.fields.list: Confluent's sink converts an INT64 field from the \
         proleptic calendar but binds a string field's time as it is (as under LEGACY); Tributary \
         writes both in the proleptic calendar",
    ),
    (
        JdbcDriver::MySqlConnectorJ,
        &[("date.calendar.system", "PROLEPTIC_GREGORIAN")],
        "at_text",
        "as on PostgreSQL",
    ),
    (
        JdbcDriver::MariaDbConnectorJ,
        &[("date.calendar.system", "PROLEPTIC_GREGORIAN")],
        "at_text",
        "as on PostgreSQL",
    ),
];

/// Dates and times before the Gregorian calendar began (1582-10-15) and before 1900, written
/// under each `date.calendar.system` in America/New_York beside the rows the real JDBC drivers
/// write ([`same_rows_as_confluents_writes`]): under `LEGACY`, Confluent's default, a day before
/// the cutover is written with its Julian fields (Gregorian 1000-01-06 as 1000-01-01), and a
/// time before 1900 with the zone's standard offset (Java's TimeZone's); under
/// `PROLEPTIC_GREGORIAN` the dates as they are, with the zone's local mean time before 1883.
/// MariaDB's TIMESTAMP starts in 1970: a DATETIME stands in for it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_before_1582_are_written_in_date_calendar_system_as_the_jdbc_drivers_write_them() {
    let schema = json!({"type": "struct", "name": "row", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
        logical("day", "int32", "Date"),
        logical("at", "int64", "Timestamp"),
        logical("at_instant", "int64", "Timestamp"),
        {"field": "at_micros", "type": "int64", "optional": true},
        {"field": "at_text", "type": "string", "optional": true},
    ]});
    // Gregorian 1000-01-06T12:00Z, 1582-10-05T02:00Z (the 4th in New York), 1850-06-01T12:00Z
    // and 2024-02-29T12:00Z, and their days (whose UTC midnights are the days before there). Not
    // the ten days before 1582-10-15: Java's calendar has none of them, so Confluent's
    // conversion under PROLEPTIC_GREGORIAN refuses them (its task fails; Tributary writes them).
    let times: [i64; 4] = [
        -30_609_748_800_000,
        -12_220_149_600_000,
        -3_773_736_000_000,
        1_709_208_000_000,
    ];
    let days = [-354_280, -141_437, -43_678, 19_782];
    let payloads: Vec<Value> = times
        .iter()
        .zip(days)
        .zip(1..)
        .map(|((&at, day), id)| {
            json!({"id": id, "day": day, "at": at, "at_instant": at, "at_micros": at * 1000,
                   "at_text": (at * 1000).to_string()})
        })
        .collect();
    let columns = [
        ("id", "INT", "INT"),
        ("day", "DATE", "DATE"),
        ("at", "TIMESTAMP(3)", "DATETIME(3)"),
        ("at_instant", "TIMESTAMPTZ(3)", "DATETIME(3)"),
        ("at_micros", "TIMESTAMP(6)", "DATETIME(6)"),
        ("at_text", "TIMESTAMP(6)", "DATETIME(6)"),
    ];
    let micros = ("timestamp.fields.list", "at_micros,at_text");
    let variations: [&[(&str, &str)]; 2] = [
        &[("date.calendar.system", "LEGACY"), ("insert.mode", "insert"), micros],
        &[
            ("date.calendar.system", "PROLEPTIC_GREGORIAN"),
            ("insert.mode", "upsert"),
            micros,
        ],
    ];
    let written =
        same_rows_as_confluents_writes(&schema, &payloads, &columns, &variations, OLD_DATE_WRITE_DIFFERENCES).await;
    for (database, tables) in written {
        let days: Vec<[&str; 2]> = tables
            .iter()
            .map(|rows| [rows[0][1].as_str(), rows[1][1].as_str()])
            .collect();
        assert_eq!(
            days,
            [["0999-12-31", "1582-09-24"], ["1000-01-05", "1582-10-04"]],
            "{database:?}: the days before in New York, Julian under LEGACY"
        );
    }
}

/// Writes the JsonConverter records of `input`, one a line, into `table` through `driver` as
/// Confluent's sink binds them under `settings` (`tests/fixtures/java/JdbcSinkBinds.java`).
async fn confluents_writes(
    database: &Database,
    driver: JdbcDriver,
    table: &str,
    settings: &[(&str, &str)],
    input: &Path,
) {
    let url = driver.url(database);
    let arguments = [url.as_str(), "tributary", password(database), table];
    let mut arguments: Vec<String> = arguments.iter().map(|a| a.to_string()).collect();
    arguments.push(input.display().to_string());
    let properties: Vec<(String, String)> = settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let status = tokio::task::spawn_blocking(move || {
        let jar = driver.jar().expect("the JDBC driver's jar");
        let program = JavaProgram::fixture("JdbcSinkBinds").expect("JdbcSinkBinds.java compiles");
        program
            .command(&[&jar], properties)
            .expect("Kafka's jars")
            .args(&arguments)
            // The JVM's own zone is UTC, as the servers'.
            .env("TZ", "UTC")
            .status()
            .expect("java runs")
    })
    .await
    .unwrap();
    assert!(status.success(), "JdbcSinkBinds.java failed through {driver:?}");
}
