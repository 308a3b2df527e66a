//! PostgreSQL change data capture against a real PostgreSQL (logical replication, `pgoutput`)
//! and a real Kafka broker: the initial snapshot and a mixed workload of inserts, updates and
//! deletes in 50 transactions arrive in commit order in Debezium's envelope, each delete followed
//! by a tombstone; after kill -9 of the worker a restart resumes from the confirmed LSN with
//! nothing missing; heartbeats run their action query; each `snapshot.mode` reads the tables
//! when Debezium's does, a SELECT of the user's overrides a table's, the schema lists select
//! the schemas captured, and partitions publish through their root when asked; incremental
//! snapshots hold back a row a change overtook, go on where they were after a restart, and
//! pause, resume and stop on signals.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::workers::WorkerProcess;
use common::{eventually, merged, start_worker};
use rdkafka::message::Message;
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, unique_name};
use tributary_harness::{shared_cluster, shared_postgres, Database, CERTIFIED_USER};

/// A CDC connector config for `table` of `database`, its own slot and publication.
fn cdc_config(database: &Database, name: &str, table: &str) -> Value {
    json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1",
        "database.port": database.port().to_string(),
        "database.user": "tributary",
        "database.dbname": "tributary",
        "topic.prefix": name,
        "slot.name": name,
        "publication.name": name,
        "publication.autocreate.mode": "filtered",
        "table.include.list": format!("public\\.{table}"),
        "poll.interval.ms": "100",
        // Small batches, so the snapshot and the changes span several polls.
        "max.batch.size": "2",
        "status.update.interval.ms": "500",
        "retriable.restart.connector.wait.ms": "500",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    })
}

/// Creates table `<name>_events (id INT PRIMARY KEY, note TEXT)` and returns its name.
fn events_table(database: &Database, name: &str) -> String {
    let table = format!("{name}_events");
    database
        .sql(
            "tributary",
            &format!("CREATE TABLE {table} (id INT PRIMARY KEY, note TEXT)"),
        )
        .unwrap();
    table
}

/// Creates `<name>_events` (see [`events_table`]) holding rows 1 to `rows` (note `n<id>`), and
/// returns its name.
fn events_table_of_rows(database: &Database, name: &str, rows: usize) -> String {
    let table = events_table(database, name);
    database
        .sql(
            "tributary",
            &format!("INSERT INTO {table} SELECT i, 'n' || i FROM generate_series(1, {rows}) i"),
        )
        .unwrap();
    table
}

/// Inserts rows `from..to` into an events table, one transaction each.
fn insert_events(database: &Database, table: &str, from: i64, to: i64) {
    let script: String = (from..to)
        .map(|id| format!("INSERT INTO {table} VALUES ({id}, 'n{id}');"))
        .collect();
    database.sql("tributary", &script).unwrap();
}

/// Whether `database` has replication slot `slot`.
fn slot_exists(database: &Database, slot: &str) -> bool {
    database
        .sql(
            "tributary",
            &format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"),
        )
        .unwrap()
        .trim()
        == "1"
}

/// The position slot `slot` of `database` confirmed (`None` without the slot or a position).
fn confirmed_lsn(database: &Database, slot: &str) -> Option<u64> {
    database
        .sql(
            "tributary",
            &format!("SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '{slot}'"),
        )
        .unwrap()
        .trim()
        .parse::<u64>()
        .ok()
}

/// The records of `topic` as (key, value) JSON, waiting for `count` of them.
async fn records(topic: &str, count: usize) -> Vec<(Value, Value)> {
    let messages = consume_until(
        &shared_cluster().bootstrap_servers(),
        topic,
        count,
        Duration::from_secs(90),
        "read_committed",
    )
    .await
    .unwrap();
    assert!(
        messages.len() >= count,
        "{topic}: {} of {count} records",
        messages.len()
    );
    messages
        .iter()
        .map(|m| {
            let json = |bytes: Option<&[u8]>| bytes.map_or(Value::Null, |b| serde_json::from_slice(b).unwrap());
            (json(m.key()), json(m.payload()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_and_fifty_mixed_transactions_arrive_in_commit_order_as_debezium_events() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdc").replace('-', "_");
    let table = format!("{name}_orders");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(10,2), at TIMESTAMP(3));
                 INSERT INTO {table} SELECT g, 'snap ' || g, g * 1.5, '2024-01-01 00:00:00' FROM generate_series(1, 5) g;"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let (code, body) = api
        .put(
            &format!("/connectors/{name}/config"),
            Some(cdc_config(database, &name, &table)),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{name}.public.{table}");
    // The snapshot first.
    let snapshot = records(&topic, 5).await;

    // 50 transactions: each inserts a row; every third also updates the previous one, every
    // fifth deletes an older one.
    let mut expected: Vec<(String, i64)> = (1..=5).map(|id| ("r".to_string(), id)).collect();
    let mut script = String::new();
    for i in 0..50i64 {
        let id = 100 + i;
        script.push_str(&format!(
            "BEGIN; INSERT INTO {table} VALUES ({id}, 'row {id}', {i}.25, NULL);"
        ));
        expected.push(("c".into(), id));
        if i % 3 == 2 {
            script.push_str(&format!("UPDATE {table} SET name = 'updated' WHERE id = {};", id - 1));
            expected.push(("u".into(), id - 1));
        }
        if i % 5 == 4 {
            script.push_str(&format!("DELETE FROM {table} WHERE id = {};", id - 3));
            expected.push(("d".into(), id - 3));
        }
        script.push_str("COMMIT;");
    }
    database.sql("tributary", &script).unwrap();
    let deletes = expected.iter().filter(|(op, _)| op == "d").count();
    let all = records(&topic, expected.len() + deletes).await;

    let mut events = Vec::new();
    for (index, (key, value)) in all.iter().enumerate() {
        if value.is_null() {
            let previous = &all[index - 1].1["payload"];
            assert_eq!(previous["op"], "d", "a tombstone follows a delete");
            assert_eq!(key["payload"]["id"], previous["before"]["id"]);
            continue;
        }
        let payload = &value["payload"];
        let row = if payload["op"] == "d" {
            &payload["before"]
        } else {
            &payload["after"]
        };
        assert_eq!(key["payload"]["id"], row["id"], "the key is the primary key");
        events.push((payload["op"].as_str().unwrap().to_string(), row["id"].as_i64().unwrap()));
    }
    assert_eq!(events, expected, "snapshot, then every change in commit order");

    // Debezium's envelope.
    let (key, first) = &snapshot[0];
    assert_eq!(key["schema"]["name"], format!("{topic}.Key"));
    assert_eq!(first["schema"]["name"], format!("{topic}.Envelope"));
    let source = &first["payload"]["source"];
    assert_eq!(source["connector"], "postgresql");
    assert_eq!(source["name"], name.as_str());
    assert_eq!(
        (source["db"].as_str(), source["schema"].as_str()),
        (Some("tributary"), Some("public"))
    );
    assert_eq!(source["table"], table.as_str());
    // Debezium's marks: the snapshot's first record, the others, its last.
    assert_eq!(source["snapshot"], "first");
    assert_eq!(snapshot[1].1["payload"]["source"]["snapshot"], "true");
    assert_eq!(snapshot[4].1["payload"]["source"]["snapshot"], "last");
    let after = &first["payload"]["after"];
    assert_eq!(after["amount"], "AJY=", "NUMERIC(10,2) 1.50 as Decimal bytes");
    assert_eq!(
        after["at"], 1_704_067_200_000i64,
        "TIMESTAMP(3) as io.debezium.time.Timestamp"
    );
    let change = &all[5].1["payload"];
    assert_eq!(change["source"]["snapshot"], "false");
    assert!(change["source"]["lsn"].as_i64().unwrap() > 0);
    assert!(change["source"]["txId"].as_i64().unwrap() > 0);
    api.wait_for_state(&name, "RUNNING", Duration::from_secs(5)).await;

    // The snapshot's progress ends at its five rows; the slot's lag is measured at commits.
    let series = [
        format!("tributary_progress_done{{connector=\"{name}\",task=\"0\",work=\"snapshot\"}} 5"),
        format!("tributary_progress_total{{connector=\"{name}\",task=\"0\",work=\"snapshot\"}} 5"),
        format!("tributary_cdc_slot_lag_bytes{{connector=\"{name}\",slot=\"{name}\",task=\"0\"}} "),
    ];
    eventually(
        Duration::from_secs(30),
        "the snapshot's and the slot's series",
        || async {
            let metrics = api.metrics().await?;
            series
                .iter()
                .all(|expected| metrics.lines().any(|line| line.starts_with(expected.as_str())))
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_a_restart_resumes_from_the_confirmed_lsn_with_nothing_missing() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdckill").replace('-', "_");
    let table = events_table(database, &name);
    let insert = |from: i64, to: i64| insert_events(database, &table, from, to);
    // The first 300 rows arrive through the snapshot (two records a poll), the rest as changes.
    insert(0, 300);
    let dir = tempfile::tempdir().unwrap();
    let config = cdc_config(database, &name, &table);
    let mut worker = WorkerProcess::standalone(&kafka, dir.path(), "cdc-worker", 500).await;
    worker.put_connector(&name, &config).await;
    worker
        .api
        .wait_for_state(&name, "RUNNING", Duration::from_secs(30))
        .await;
    insert(300, 500);
    let topic = format!("{name}.public.{table}");
    records(&topic, 250).await;
    let confirmed = || confirmed_lsn(database, &name).unwrap_or(0);
    let before_kill = eventually(Duration::from_secs(30), "the slot to be advanced", || async {
        let lsn = confirmed();
        (lsn > 0).then_some(lsn)
    })
    .await;
    worker.kill();
    insert(500, 1000);
    worker.restart();
    worker.wait_ready().await;
    worker.put_connector(&name, &config).await;
    insert(1000, 1200);
    let ids = ids_within(&topic, 1200, Duration::from_secs(90)).await;
    assert_eq!(ids, (0..1200).collect::<BTreeSet<i64>>());
    eventually(
        Duration::from_secs(30),
        "the slot to move on after the restart",
        || async { (confirmed() > before_kill).then_some(()) },
    )
    .await;
    // Writes to a table that is not captured: the slot moves past them too, so they are not
    // decoded again at every poll.
    let other = format!("{name}_other");
    let before: u64 = database
        .sql("tributary", "SELECT pg_current_wal_lsn() - '0/0'")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    database
        .sql(
            "tributary",
            &format!("CREATE TABLE {other} (id INT); INSERT INTO {other} VALUES (1);"),
        )
        .unwrap();
    eventually(Duration::from_secs(30), "the slot past uncaptured changes", || async {
        (confirmed() > before).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_down_fails_the_task_with_the_cause_and_a_restart_continues() {
    let kafka = shared_cluster().bootstrap_servers();
    let mut database = tokio::task::spawn_blocking(Database::start_postgres)
        .await
        .unwrap()
        .unwrap();
    let name = unique_name("cdcdown").replace('-', "_");
    let table = events_table(&database, &name);
    insert_events(&database, &table, 0, 100);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = merged(cdc_config(&database, &name, &table), json!({"errors.max.retries": "2"}));
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    insert_events(&database, &table, 100, 200);
    let topic = format!("{name}.public.{table}");
    records(&topic, 200).await;

    // The server goes away under the replication stream: retries, then FAILED with the cause.
    database.kill();
    let trace = api.failed_trace(&name, Duration::from_secs(60)).await;
    assert!(trace.contains("giving up after 3 failed attempts"), "{trace}");
    // What failed, then the system's own reason, kept as the cause.
    assert!(
        trace.contains("cannot ") && trace.contains("Connection refused"),
        "{trace}"
    );

    // Back, with more rows: a restart of the task streams on with nothing missing.
    let database = tokio::task::spawn_blocking(move || {
        database.start().unwrap();
        database
    })
    .await
    .unwrap();
    insert_events(&database, &table, 200, 300);
    let (code, body) = api
        .post(&format!("/connectors/{name}/tasks/0/restart"), json!({}))
        .await;
    assert!(code == 204 || code == 202, "{code} {body}");
    assert_eq!(
        ids_within(&topic, 300, Duration::from_secs(60)).await,
        (0..300).collect::<BTreeSet<i64>>()
    );
}

/// The row ids (`after.id`) of `topic`, waiting until `count` distinct ones arrived. Rows read
/// again after a failure come twice, so the whole topic is read each time.
async fn ids_within(topic: &str, count: usize, timeout: Duration) -> BTreeSet<i64> {
    eventually(timeout, "every row in the topic", || async move {
        let all = consume_until(
            &shared_cluster().bootstrap_servers(),
            topic,
            4 * count,
            Duration::from_secs(5),
            "read_committed",
        )
        .await
        .ok()?;
        let ids: BTreeSet<i64> = all
            .iter()
            .filter_map(|m| serde_json::from_slice::<Value>(m.payload()?).ok())
            .filter_map(|v| v["payload"]["after"]["id"].as_i64())
            .collect();
        (ids.len() == count).then_some(ids)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_committed_while_the_connector_starts_arrive_exactly_once() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcstart").replace('-', "_");
    let table = events_table(database, &name);
    insert_events(database, &table, 0, 500);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    // One row a transaction, all through the slot's creation and the snapshot's start: a row
    // committed in between must come either from the snapshot or from the stream, not both.
    let writer = {
        let table = table.clone();
        std::thread::spawn(move || {
            for from in (500..3000).step_by(50) {
                insert_events(database, &table, from, from + 50);
            }
        })
    };
    let (code, body) = api
        .put(
            &format!("/connectors/{name}/config"),
            Some(cdc_config(database, &name, &table)),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    writer.join().unwrap();
    let topic = format!("{name}.public.{table}");
    assert_eq!(
        ids_within(&topic, 3000, Duration::from_secs(60)).await,
        (0..3000).collect::<BTreeSet<i64>>()
    );
    // Everything there is (every id has arrived): one record more would be a row twice.
    let all = consume_until(&kafka, &topic, 3001, Duration::from_secs(10), "read_committed")
        .await
        .unwrap();
    let ops: Vec<Value> = all
        .iter()
        .filter_map(|m| serde_json::from_slice::<Value>(m.payload()?).ok())
        .map(|v| v["payload"]["op"].clone())
        .collect();
    let snapshot = ops.iter().filter(|op| *op == "r").count();
    assert!(snapshot >= 500, "{snapshot} rows in the snapshot");
    assert_eq!(ops.len(), 3000, "each row once ({snapshot} from the snapshot)");
}

/// A server that requires TLS is captured over TLS verified against its CA, and with
/// `database.sslmode=allow` (taken as `prefer`); a user the server
/// authenticates by client certificate is captured with `database.sslcert` and
/// `database.sslkey` (over both connections, SQL and replication), and without them the task
/// fails saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_tls_is_captured_over_verified_tls() {
    let kafka = shared_cluster().bootstrap_servers();
    let (database, tls) = tokio::task::spawn_blocking(Database::start_postgres_requiring_client_certificates)
        .await
        .unwrap()
        .unwrap();
    let name = unique_name("cdctls").replace('-', "_");
    let table = format!("{name}_events");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, note TEXT); INSERT INTO {table} VALUES (1, 'snapshot');"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let verified = json!({"database.sslmode": "verify-full", "database.sslrootcert": tls.ca.display().to_string()});
    let config = merged(cdc_config(&database, &name, &table), verified.clone());
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let certified = format!("{name}_cert");
    let with_certificate = merged(
        merged(cdc_config(&database, &certified, &table), verified.clone()),
        json!({
            "database.user": CERTIFIED_USER,
            "database.sslcert": tls.cert.display().to_string(),
            "database.sslkey": tls.key.display().to_string(),
        }),
    );
    let (code, body) = api
        .put(&format!("/connectors/{certified}/config"), Some(with_certificate))
        .await;
    assert_eq!(code, 201, "{body}");
    // `allow`, taken as `prefer`: over TLS, which this server requires.
    let allowing = format!("{name}_allow");
    let allow = merged(
        cdc_config(&database, &allowing, &table),
        json!({"database.sslmode": "allow"}),
    );
    let (code, body) = api.put(&format!("/connectors/{allowing}/config"), Some(allow)).await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{name}.public.{table}");
    let certified_topic = format!("{certified}.public.{table}");
    let allowing_topic = format!("{allowing}.public.{table}");
    for topic in [&topic, &certified_topic, &allowing_topic] {
        records(topic, 1).await;
    }
    // A change arrives over the replication connection, which is TLS too.
    database
        .sql("tributary", &format!("INSERT INTO {table} VALUES (2, 'change')"))
        .unwrap();
    for topic in [&topic, &certified_topic, &allowing_topic] {
        let events = records(topic, 2).await;
        assert_eq!(events[1].1["payload"]["op"], "c", "{topic}");
        assert_eq!(events[1].1["payload"]["after"]["id"], 2, "{topic}");
    }

    // The certified user without its certificate: the server refuses it, and the task says so.
    let refused = format!("{name}_nocert");
    let without_certificate = merged(
        merged(cdc_config(&database, &refused, &table), verified),
        json!({"database.user": CERTIFIED_USER, "errors.max.retries": "0"}),
    );
    let (code, body) = api
        .put(&format!("/connectors/{refused}/config"), Some(without_certificate))
        .await;
    assert_eq!(code, 201, "{body}");
    let trace = api.failed_trace(&refused, Duration::from_secs(60)).await;
    assert!(trace.contains("certificate"), "{trace}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_run_their_action_query_and_name_the_server() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcbeat").replace('-', "_");
    let table = events_table(database, &name);
    let beats = format!("{name}_beats");
    database
        .sql(
            "tributary",
            &format!("CREATE TABLE {beats} (id INT PRIMARY KEY, at TIMESTAMPTZ NOT NULL); INSERT INTO {beats} VALUES (1, now());"),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    // The action query updates a captured table, as users keep a quiet database's slot moving.
    let config = merged(
        cdc_config(database, &name, &format!("({table}|{beats})")),
        json!({
            "heartbeat.interval.ms": "300",
            "heartbeat.action.query": format!("UPDATE {beats} SET at = now() WHERE id = 1"),
        }),
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let heartbeats = records(&format!("__debezium-heartbeat.{name}"), 3).await;
    for (key, value) in &heartbeats {
        assert_eq!(key["payload"]["serverName"], name.as_str(), "{key}");
        assert!(value["payload"]["ts_ms"].as_i64() > Some(0), "{value}");
    }
    // The snapshot's row, then an update per heartbeat.
    let changes = records(&format!("{name}.public.{beats}"), 4).await;
    let ops: Vec<&Value> = changes.iter().map(|(_, value)| &value["payload"]["op"]).collect();
    assert_eq!(ops[..4], ["r", "u", "u", "u"], "{changes:?}");
}

/// The `op` and `id` of each change event of `records`.
fn ops_and_ids(records: &[(Value, Value)]) -> Vec<(String, i64)> {
    records
        .iter()
        .map(|(_, value)| {
            let payload = &value["payload"];
            let row = if payload["op"] == "d" {
                &payload["before"]
            } else {
                &payload["after"]
            };
            (
                payload["op"].as_str().unwrap_or_default().to_string(),
                row["id"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_modes_read_the_tables_when_debezium_does() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let base = unique_name("cdcmode").replace('-', "_");
    let slot_exists = |slot: &str| slot_exists(database, slot);
    let reads = |ids: std::ops::Range<i64>| ids.map(|id| ("r".to_string(), id)).collect::<Vec<_>>();
    let start = |name: &str, mode: &str| {
        let table = events_table(database, name);
        insert_events(database, &table, 0, 2);
        let config = merged(cdc_config(database, name, &table), json!({"snapshot.mode": mode}));
        let api = &api;
        let name = name.to_string();
        async move {
            let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
            assert_eq!(code, 201, "{body}");
            (table.clone(), format!("{name}.public.{table}"))
        }
    };

    // initial_only: the rows there, then nothing: no slot, no change streamed.
    let name = format!("{base}_only");
    let (table, topic) = start(&name, "initial_only").await;
    assert_eq!(ops_and_ids(&records(&topic, 2).await), reads(0..2));
    insert_events(database, &table, 2, 3);
    // A streamed change would arrive within a poll (100 ms); five seconds see that none does.
    let all = consume_until(&kafka, &topic, 3, Duration::from_secs(5), "read_committed")
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "initial_only streamed a change");
    assert!(!slot_exists(&name), "initial_only made a slot");

    // always: the rows again at every start, changes streamed in between.
    let name = format!("{base}_always");
    let (table, topic) = start(&name, "always").await;
    records(&topic, 2).await;
    insert_events(database, &table, 2, 3);
    assert_eq!(ops_and_ids(&records(&topic, 3).await)[2], ("c".to_string(), 2));
    let (code, body) = api
        .post(&format!("/connectors/{name}/restart?includeTasks=true"), json!({}))
        .await;
    assert!(code < 300, "{code} {body}");
    assert_eq!(ops_and_ids(&records(&topic, 6).await)[3..], reads(0..3));

    // when_needed: the rows first, and again when the slot is gone (with the changes made
    // while it was), then streaming.
    let name = format!("{base}_needed");
    let (table, topic) = start(&name, "when_needed").await;
    records(&topic, 2).await;
    insert_events(database, &table, 2, 3);
    records(&topic, 3).await;
    let (code, body) = api.put(&format!("/connectors/{name}/stop"), None).await;
    assert!(code < 300, "{code} {body}");
    eventually(Duration::from_secs(30), "the slot to be dropped", || async {
        database
            .sql("tributary", &format!("SELECT pg_drop_replication_slot('{name}')"))
            .ok()
    })
    .await;
    insert_events(database, &table, 3, 4);
    let (code, body) = api.put(&format!("/connectors/{name}/resume"), None).await;
    assert!(code < 300, "{code} {body}");
    assert_eq!(ops_and_ids(&records(&topic, 7).await)[3..], reads(0..4));
    insert_events(database, &table, 4, 5);
    assert_eq!(ops_and_ids(&records(&topic, 8).await)[7], ("c".to_string(), 4));
}

/// `slot.drop.on.stop`: a connector that asks has its slot dropped when its task stops (the
/// connector stopped, then deleted after a resume made a new one); another's slot stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_is_dropped_when_its_task_stops_if_asked() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcdrop").replace('-', "_");
    let table = events_table(database, &name);
    insert_events(database, &table, 0, 1);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let (dropping, keeping) = (format!("{name}_drop"), format!("{name}_keep"));
    let slots = || {
        database
            .sql(
                "tributary",
                &format!(
                    "SELECT slot_name FROM pg_replication_slots WHERE slot_name IN ('{dropping}', '{keeping}') ORDER BY 1"
                ),
            )
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for (connector, drop) in [(&dropping, "true"), (&keeping, "false")] {
        let config = merged(
            cdc_config(database, connector, &table),
            json!({"slot.drop.on.stop": drop}),
        );
        let (code, body) = api.put(&format!("/connectors/{connector}/config"), Some(config)).await;
        assert_eq!(code, 201, "{body}");
        records(&format!("{connector}.public.{table}"), 1).await;
    }
    assert_eq!(slots(), [dropping.clone(), keeping.clone()]);

    let (code, body) = api.put(&format!("/connectors/{dropping}/stop"), None).await;
    assert!(code < 300, "{code} {body}");
    eventually(Duration::from_secs(30), "the slot to be dropped", || async {
        (slots() == [keeping.clone()]).then_some(())
    })
    .await;
    // Resumed, it makes a new slot and streams from there.
    let (code, body) = api.put(&format!("/connectors/{dropping}/resume"), None).await;
    assert!(code < 300, "{code} {body}");
    eventually(Duration::from_secs(30), "a new slot", || async {
        (slots().len() == 2).then_some(())
    })
    .await;
    insert_events(database, &table, 1, 2);
    assert_eq!(
        ops_and_ids(&records(&format!("{dropping}.public.{table}"), 2).await)[1],
        ("c".to_string(), 1)
    );
    for connector in [&dropping, &keeping] {
        let (code, body) = api.delete(&format!("/connectors/{connector}")).await;
        assert!(code < 300, "{code} {body}");
    }
    eventually(Duration::from_secs(30), "the slot to be dropped again", || async {
        (slots() == [keeping.clone()]).then_some(())
    })
    .await;
    eventually(Duration::from_secs(30), "the kept slot to be released", || async {
        database
            .sql("tributary", &format!("SELECT pg_drop_replication_slot('{keeping}')"))
            .ok()
    })
    .await;
}

/// `skip.messages.without.change`: on a table with REPLICA IDENTITY FULL (which
/// `replica.identity.autoset.values` gives it), an update that changed only a column left out
/// (`column.exclude.list`), or nothing, is not written; one that changed a written column is;
/// without the option every update is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_without_a_change_written_are_skipped_if_asked() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcsame").replace('-', "_");
    let table = format!("{name}_events");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, note TEXT, secret TEXT); \
                 INSERT INTO {table} VALUES (1, 'a', 'x');"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let (skipping, writing) = (format!("{name}_skip"), format!("{name}_all"));
    for (connector, skip) in [(&skipping, "true"), (&writing, "false")] {
        let config = merged(
            cdc_config(database, connector, &table),
            json!({
                "skip.messages.without.change": skip,
                "column.exclude.list": format!("public\\.{table}\\.secret"),
                "replica.identity.autoset.values": format!("public\\.{name}_e.*:FULL,public\\..*:DEFAULT"),
            }),
        );
        let (code, body) = api.put(&format!("/connectors/{connector}/config"), Some(config)).await;
        assert_eq!(code, 201, "{body}");
        records(&format!("{connector}.public.{table}"), 1).await;
    }
    let identity = database
        .sql(
            "tributary",
            &format!("SELECT relreplident FROM pg_class WHERE relname = '{table}'"),
        )
        .unwrap();
    assert_eq!(identity.trim(), "f");
    for update in ["secret = 'y'", "note = note", "note = 'b'"] {
        database
            .sql("tributary", &format!("UPDATE {table} SET {update} WHERE id = 1"))
            .unwrap();
    }
    // Both see the last update; the one that skips sees it next to the snapshot's row (changes
    // arrive in commit order, so the two before it were left out).
    let all = records(&format!("{writing}.public.{table}"), 4).await;
    assert_eq!(all[3].1["payload"]["after"]["note"], "b");
    let skipped = records(&format!("{skipping}.public.{table}"), 2).await;
    assert_eq!(skipped[1].1["payload"]["after"]["note"], "b", "{skipped:?}");
}

/// `snapshot.include.collection.list`: the snapshot reads only the captured tables it names;
/// the other captured table's changes are streamed all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_reads_only_the_tables_its_list_names() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcsnapsome").replace('-', "_");
    let (read, streamed) = (format!("{name}_read"), format!("{name}_streamed"));
    for table in [&read, &streamed] {
        events_table(database, table);
        insert_events(database, &format!("{table}_events"), 0, 2);
    }
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = merged(
        cdc_config(database, &name, &format!("{name}_.*_events")),
        json!({"snapshot.include.collection.list": format!("PUBLIC\\.{read}_events")}),
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let snapshot = records(&format!("{name}.public.{read}_events"), 2).await;
    assert_eq!(ops_and_ids(&snapshot), [("r".to_string(), 0), ("r".to_string(), 1)]);
    insert_events(database, &format!("{streamed}_events"), 2, 3);
    let changes = records(&format!("{name}.public.{streamed}_events"), 1).await;
    assert_eq!(ops_and_ids(&changes[..1]), [("c".to_string(), 2)]);
}

/// A table whose name a topic cannot hold (a space) goes to the topic Debezium's naming
/// strategy makes of it (the space as `_`), keyed and snapshotted as any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_name_no_topic_can_hold_is_made_valid() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcname").replace('-', "_");
    let table = format!("{name} Events");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE \"{table}\" (id INT PRIMARY KEY, note TEXT); INSERT INTO \"{table}\" VALUES (0, 'a');"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = cdc_config(database, &name, &format!("{name} Events"));
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{name}.public.{name}_Events");
    let snapshot = records(&topic, 1).await;
    assert_eq!(ops_and_ids(&snapshot), [("r".to_string(), 0)]);
    database
        .sql("tributary", &format!("INSERT INTO \"{table}\" VALUES (1, 'b')"))
        .unwrap();
    assert_eq!(ops_and_ids(&records(&topic, 2).await)[1], ("c".to_string(), 1));
}

/// `lsn.flush.mode=manual`: the connector never confirms positions to its slot (another
/// process moves it), where by default the slot moves on once the worker committed the offsets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manually_flushed_slot_is_left_where_it_is() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcflush").replace('-', "_");
    let table = events_table(database, &name);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let (manual, automatic) = (format!("{name}_manual"), format!("{name}_auto"));
    let confirmed = |slot: &str| confirmed_lsn(database, slot);
    let mut created = Vec::new();
    for (connector, mode) in [(&manual, "manual"), (&automatic, "connector")] {
        let config = merged(cdc_config(database, connector, &table), json!({"lsn.flush.mode": mode}));
        let (code, body) = api.put(&format!("/connectors/{connector}/config"), Some(config)).await;
        assert_eq!(code, 201, "{body}");
        created.push(eventually(Duration::from_secs(30), "the slot", || async { confirmed(connector) }).await);
    }
    insert_events(database, &table, 0, 3);
    for connector in [&manual, &automatic] {
        records(&format!("{connector}.public.{table}"), 3).await;
    }
    eventually(Duration::from_secs(30), "the default slot to move on", || async {
        (confirmed(&automatic)? > created[1]).then_some(())
    })
    .await;
    // Both tasks commit their offsets on the same schedule (every 500 ms): two more seconds see
    // the manual slot stay.
    let watch_until = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < watch_until {
        assert_eq!(confirmed(&manual), Some(created[0]), "the manual slot moved");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `snapshot.delay.ms` holds the snapshot back, and `streaming.delay.ms` the changes after it
/// (or after a start without one): neither arrives before its delay (4 s and 6 s, asserted
/// with half a second and a second of margin from the moments the delays began at the latest;
/// without them the snapshot came after 1.3 s and the change after 2.2 s here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_and_streaming_wait_their_delays() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcdelay").replace('-', "_");
    let table = events_table(database, &name);
    insert_events(database, &table, 0, 1);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;

    let snapshotting = format!("{name}_snap");
    let config = merged(
        cdc_config(database, &snapshotting, &table),
        json!({"snapshot.delay.ms": "4000"}),
    );
    let asked = std::time::Instant::now();
    let (code, body) = api
        .put(&format!("/connectors/{snapshotting}/config"), Some(config))
        .await;
    assert_eq!(code, 201, "{body}");
    records(&format!("{snapshotting}.public.{table}"), 1).await;
    assert!(
        asked.elapsed() >= Duration::from_millis(3500),
        "the snapshot came after {:?}",
        asked.elapsed()
    );

    // No snapshot: the slot is made, then streaming waits.
    let streaming = format!("{name}_stream");
    let config = merged(
        cdc_config(database, &streaming, &table),
        json!({"snapshot.mode": "no_data", "streaming.delay.ms": "6000"}),
    );
    let (code, body) = api.put(&format!("/connectors/{streaming}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    eventually(Duration::from_secs(30), "the slot", || async {
        slot_exists(database, &streaming).then_some(())
    })
    .await;
    let slot_made = std::time::Instant::now();
    insert_events(database, &table, 1, 2);
    let change = records(&format!("{streaming}.public.{table}"), 1).await;
    assert_eq!(ops_and_ids(&change), [("c".to_string(), 1)]);
    assert!(
        slot_made.elapsed() >= Duration::from_secs(5),
        "the change came after {:?}",
        slot_made.elapsed()
    );
}

/// `database.initial.statements` run on each SQL connection as it is made: a session setting
/// they make (`;;` a semicolon within it) is what the snapshot's SELECT reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_statements_run_on_each_sql_connection() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcinit").replace('-', "_");
    let table = events_table(database, &name);
    insert_events(database, &table, 0, 1);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let mut config = merged(
        cdc_config(database, &name, &table),
        json!({
            "database.initial.statements": "SET lock_timeout = '5s'; SET tributary.tag = 'a;;b';",
            "snapshot.select.statement.overrides": format!("public.{table}"),
        }),
    );
    config[format!("snapshot.select.statement.overrides.public.{table}")] = json!(format!(
        "SELECT id, current_setting('tributary.tag') || current_setting('lock_timeout') AS note FROM public.{table}"
    ));
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let events = records(&format!("{name}.public.{table}"), 1).await;
    assert_eq!(events[0].1["payload"]["after"]["note"], "a;b5s", "{:?}", events[0]);
}

/// `snapshot.mode=configuration_based`: its keys say whether a start reads the tables and
/// whether changes are streamed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_based_snapshots_do_what_their_keys_say() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let base = unique_name("cdcconf").replace('-', "_");
    let slot_exists = |slot: &str| slot_exists(database, slot);
    let start = |name: String, data: &str, stream: &str| {
        let table = events_table(database, &name);
        insert_events(database, &table, 0, 2);
        let config = merged(
            cdc_config(database, &name, &table),
            json!({
                "snapshot.mode": "configuration_based",
                "snapshot.mode.configuration.based.snapshot.data": data,
                "snapshot.mode.configuration.based.start.stream": stream,
            }),
        );
        let api = &api;
        async move {
            let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
            assert_eq!(code, 201, "{body}");
            (name.clone(), table.clone(), format!("{name}.public.{table}"))
        }
    };

    // The tables, and nothing streamed: no slot.
    let (name, _, topic) = start(format!("{base}_data"), "true", "false").await;
    assert_eq!(
        ops_and_ids(&records(&topic, 2).await),
        [("r".to_string(), 0), ("r".to_string(), 1)]
    );
    assert!(!slot_exists(&name), "a slot without streaming");

    // Streaming without the tables: the change first.
    let (name, table, topic) = start(format!("{base}_stream"), "false", "true").await;
    eventually(Duration::from_secs(30), "the slot", || async {
        slot_exists(&name).then_some(())
    })
    .await;
    insert_events(database, &table, 2, 3);
    assert_eq!(ops_and_ids(&records(&topic, 1).await[..1]), [("c".to_string(), 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_reads_the_select_that_overrides_its_tables() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcselect").replace('-', "_");
    let table = events_table(database, &name);
    insert_events(database, &table, 0, 6);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = merged(
        cdc_config(database, &name, &table),
        json!({
            "snapshot.select.statement.overrides": format!("public.{table}"),
            format!("snapshot.select.statement.overrides.public.{table}"):
                format!("SELECT * FROM public.{table} WHERE id % 2 = 0 ORDER BY id DESC;"),
        }),
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{name}.public.{table}");
    // The even rows, in the SELECT's order; then a change, streamed.
    records(&topic, 3).await;
    insert_events(database, &table, 7, 8);
    let events = ops_and_ids(&records(&topic, 4).await);
    let expected: Vec<(String, i64)> = [("r", 4), ("r", 2), ("r", 0), ("c", 7)]
        .into_iter()
        .map(|(op, id)| (op.to_string(), id))
        .collect();
    assert_eq!(events, expected);
}

/// Debezium's `schema.include.list` and `schema.exclude.list`: only tables of the selected
/// schemas are captured (a table list applies too), and an include list beside its exclude
/// list is refused with Debezium's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_lists_select_the_schemas_captured() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcschemas").replace('-', "_");
    let (kept, left) = (format!("{name}_in"), format!("{name}_out"));
    for schema in [&kept, &left] {
        database
            .sql(
                "tributary",
                &format!("CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (id INT PRIMARY KEY, note TEXT)"),
            )
            .unwrap();
        insert_events(database, &format!("{schema}.t"), 0, 2);
    }
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = merged(
        cdc_config(database, &name, "t"),
        json!({"table.include.list": format!("{name}_.*\\.t"), "schema.include.list": kept}),
    );
    let both = merged(config.clone(), json!({"schema.exclude.list": left}));
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(both)).await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"schema.include.list\" is already specified")),
        "{body}"
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    // The snapshot of the kept schema's table, then a transaction changing both tables: the
    // left one's change comes first in it, so it would have been written by the time the kept
    // one's is read.
    let topic = format!("{name}.{kept}.t");
    records(&topic, 2).await;
    database
        .sql(
            "tributary",
            &format!("BEGIN; INSERT INTO {left}.t VALUES (9, 'x'); INSERT INTO {kept}.t VALUES (9, 'x'); COMMIT;"),
        )
        .unwrap();
    let events = ops_and_ids(&records(&topic, 3).await);
    assert_eq!(events[2], ("c".to_string(), 9));
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &kafka)
        .create()
        .unwrap();
    let metadata = tokio::task::spawn_blocking(move || {
        rdkafka::consumer::Consumer::fetch_metadata(&consumer, None, Duration::from_secs(10))
    })
    .await
    .unwrap()
    .unwrap();
    let left_topic = format!("{name}.{left}.t");
    assert!(
        metadata.topics().iter().all(|t| t.name() != left_topic),
        "{left_topic} was written"
    );
}

/// Debezium's `publish.via.partition.root`: a publication the connector creates sends the
/// changes of a partitioned table's partitions as the partitioned table's, to its topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_publish_through_their_root_when_asked() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcroot").replace('-', "_");
    let parent = format!("{name}_parted");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {parent} (id INT PRIMARY KEY, note TEXT) PARTITION BY RANGE (id); \
                 CREATE TABLE {parent}_low PARTITION OF {parent} FOR VALUES FROM (0) TO (100); \
                 CREATE TABLE {parent}_high PARTITION OF {parent} FOR VALUES FROM (100) TO (200);"
            ),
        )
        .unwrap();
    insert_events(database, &parent, 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = merged(
        cdc_config(database, &name, &parent),
        json!({"publish.via.partition.root": "true"}),
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    let topic = format!("{name}.public.{parent}");
    records(&topic, 1).await;
    insert_events(database, &parent, 5, 6);
    insert_events(database, &parent, 150, 151);
    let events = ops_and_ids(&records(&topic, 3).await);
    let expected: Vec<(String, i64)> = [("r", 1), ("c", 5), ("c", 150)]
        .into_iter()
        .map(|(op, id)| (op.to_string(), id))
        .collect();
    assert_eq!(events, expected);
}

/// A connector of `name` capturing every table whose name begins with `name`, with signaling
/// table `<name>_signal` (made here), reading incremental snapshots `chunk` rows at a time, and
/// streaming once this returns (no initial snapshot).
async fn signaling_connector(api: &common::Api, database: &Database, name: &str, chunk: &str, extra: Value) {
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {name}_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, \
                 data VARCHAR(2048) NULL)"
            ),
        )
        .unwrap();
    let config = merged(
        merged(
            cdc_config(database, name, ""),
            json!({
                "table.include.list": format!("public\\.{name}_.*"),
                "snapshot.mode": "no_data",
                "signal.data.collection": format!("public.{name}_signal"),
                "incremental.snapshot.chunk.size": chunk,
                "max.batch.size": "500",
            }),
        ),
        extra,
    );
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{body}");
    eventually(Duration::from_secs(60), "the connector to stream", || async {
        let active = database
            .sql(
                "tributary",
                &format!(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{name}' AND active \
                     AND confirmed_flush_lsn IS NOT NULL"
                ),
            )
            .unwrap_or_default();
        (active.trim() == "1").then_some(())
    })
    .await;
}

/// Asks connector `name`'s signaling table for an incremental snapshot of `table`.
fn execute_snapshot(database: &Database, name: &str, table: &str) {
    database
        .sql(
            "tributary",
            &format!(
                "INSERT INTO {name}_signal VALUES ('snap-{table}', 'execute-snapshot', \
                 '{{\"data-collections\": [\"public.{table}\"], \"type\": \"incremental\"}}')"
            ),
        )
        .unwrap();
}

/// An incremental snapshot's window: a change committed after a chunk was read, before the
/// window closed (a trigger makes it in the transaction that closes the first window), is
/// written and the chunk's older row of its key is not, so each row's last event is the
/// row as the table has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_inside_an_incremental_snapshot_window_overtakes_the_row_read() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcincr").replace('-', "_");
    let table = events_table_of_rows(database, &name, 6);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    signaling_connector(&api, database, &name, "2", json!({})).await;
    database
        .sql(
            "tributary",
            &format!(
                "CREATE FUNCTION {name}_overtake() RETURNS trigger AS $$ BEGIN \
                 IF NEW.type = 'snapshot-window-close' THEN \
                 UPDATE {table} SET note = 'changed' WHERE id = 1 AND note = 'n1'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER {name}_overtake BEFORE INSERT ON {name}_signal \
                 FOR EACH ROW EXECUTE FUNCTION {name}_overtake();"
            ),
        )
        .unwrap();
    execute_snapshot(database, &name, &table);
    // The update of row 1, then rows 2 to 6 read by the snapshot.
    let events = records(&format!("{name}.public.{table}"), 6).await;
    let mut last = std::collections::BTreeMap::new();
    for (key, value) in &events {
        let payload = &value["payload"];
        if payload["op"] == "r" {
            assert_eq!(payload["source"]["snapshot"], "incremental", "{payload}");
        }
        last.insert(key["payload"]["id"].as_i64().unwrap(), payload["after"]["note"].clone());
    }
    let expected: std::collections::BTreeMap<i64, Value> = (1..=6)
        .map(|id| {
            (
                id,
                json!(if id == 1 {
                    "changed".to_string()
                } else {
                    format!("n{id}")
                }),
            )
        })
        .collect();
    let written: Vec<_> = events
        .iter()
        .map(|(_, value)| (value["payload"]["op"].clone(), value["payload"]["after"].clone()))
        .collect();
    assert_eq!(last, expected, "{written:?}");
}

/// An incremental snapshot whose task restarts part way goes on after the last row written
/// (the task's second run writes the rest, not the whole table again), with `insert_delete`
/// windows, which leave no rows of their own in the signaling table (but the opening row of a
/// window the restart cut short).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_snapshot_goes_on_where_it_was_after_a_restart() {
    const ROWS: usize = 2000;
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcincrrs").replace('-', "_");
    let table = events_table_of_rows(database, &name, ROWS);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    signaling_connector(
        &api,
        database,
        &name,
        "1",
        json!({"incremental.snapshot.watermarking.strategy": "insert_delete"}),
    )
    .await;
    execute_snapshot(database, &name, &table);
    let topic = format!("{name}.public.{table}");
    consume_until(&kafka, &topic, 100, Duration::from_secs(60), "read_committed")
        .await
        .unwrap();
    let (code, body) = api
        .post(&format!("/connectors/{name}/tasks/0/restart"), json!({}))
        .await;
    assert!(code < 300, "{code} {body}");
    let ids = ids_within(&topic, ROWS, Duration::from_secs(120)).await;
    assert_eq!(ids.len(), ROWS, "every row read");
    let messages = consume_until(&kafka, &topic, 2 * ROWS, Duration::from_secs(3), "read_committed")
        .await
        .unwrap();
    // Each run's rows: the task's run id is in each record's context header.
    let mut runs: Vec<(String, usize)> = Vec::new();
    for message in &messages {
        let run = tributary_harness::clients::headers_of(message)
            .into_iter()
            .find(|(key, _)| key == "__debezium.context.runId")
            .and_then(|(_, value)| value)
            .map(|value| String::from_utf8_lossy(&value).into_owned())
            .unwrap_or_default();
        match runs.last_mut() {
            Some((last, count)) if *last == run => *count += 1,
            _ => runs.push((run, 1)),
        }
    }
    assert_eq!(
        runs.len(),
        2,
        "the restart came in the middle of the snapshot: {runs:?}"
    );
    assert!(
        messages.len() < ROWS + runs[0].1,
        "the second run went on from where the first was, not from the start: {runs:?}"
    );
    // Each window's opening row was deleted to close it, but for the window the restart cut
    // short; no closing rows were written.
    let left = database
        .sql(
            "tributary",
            &format!("SELECT type, count(*) FROM {name}_signal GROUP BY type ORDER BY type"),
        )
        .unwrap();
    let left: Vec<&str> = left.lines().map(str::trim).collect();
    assert!(
        left == ["execute-snapshot\t1"] || left == ["execute-snapshot\t1", "snapshot-window-open\t1"],
        "{left:?}"
    );
}

/// The (op, id) of every record of `topic`, once it holds the insert of row `id`.
async fn ops_through(topic: &str, id: i64) -> Vec<(String, i64)> {
    eventually(
        Duration::from_secs(60),
        &format!("the insert of row {id}"),
        || async move {
            let all = consume_until(
                &shared_cluster().bootstrap_servers(),
                topic,
                1_000_000,
                Duration::from_secs(2),
                "read_committed",
            )
            .await
            .ok()?;
            let json =
                |bytes: Option<&[u8]>| bytes.map_or(Value::Null, |b| serde_json::from_slice(b).unwrap_or(Value::Null));
            let records: Vec<(Value, Value)> = all.iter().map(|m| (json(m.key()), json(m.payload()))).collect();
            let ops = ops_and_ids(&records);
            ops.contains(&("c".to_string(), id)).then_some(ops)
        },
    )
    .await
}

/// Whether the snapshot of `table` wrote nothing between two inserts made once a first one
/// (all three of ids from `marker`) was streamed, i.e. after everything before it: a signal
/// (`pause-snapshot`, `stop-snapshot`) took effect. Returns the rows read so far.
async fn reads_nothing_more(database: &Database, table: &str, topic: &str, marker: i64) -> BTreeSet<i64> {
    let insert = |id: i64| {
        database
            .sql("tributary", &format!("INSERT INTO {table} VALUES ({id}, 'marker')"))
            .unwrap();
    };
    insert(marker);
    ops_through(topic, marker).await;
    insert(marker + 1);
    insert(marker + 2);
    let ops = ops_through(topic, marker + 2).await;
    let after = |id: i64| ops.iter().position(|op| *op == ("c".to_string(), id)).unwrap_or(0);
    let between = &ops[after(marker + 1)..after(marker + 2)];
    assert!(
        between.iter().all(|(op, _)| op != "r"),
        "rows read between inserts {} and {}: {between:?}",
        marker + 1,
        marker + 2
    );
    ops.iter().filter(|(op, _)| op == "r").map(|(_, id)| *id).collect()
}

/// `pause-snapshot` holds an incremental snapshot, `resume-snapshot` goes on with it and
/// `stop-snapshot` ends it before the table is read, each checked by the rows read (none
/// between two changes streamed after the signal took effect; more after the resume).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_snapshot_pauses_resumes_and_stops_on_signals() {
    const ROWS: usize = 2000;
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcincrps").replace('-', "_");
    let table = events_table_of_rows(database, &name, ROWS);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    signaling_connector(&api, database, &name, "1", json!({})).await;
    let signal = |kind: &str| {
        database
            .sql(
                "tributary",
                &format!("INSERT INTO {name}_signal VALUES ('{kind}', '{kind}', '{{\"type\": \"incremental\"}}')"),
            )
            .unwrap();
    };
    execute_snapshot(database, &name, &table);
    let topic = format!("{name}.public.{table}");
    consume_until(&kafka, &topic, 50, Duration::from_secs(60), "read_committed")
        .await
        .unwrap();
    signal("pause-snapshot");
    let paused = reads_nothing_more(database, &table, &topic, 10_000).await;
    assert!(
        paused.len() < ROWS,
        "the snapshot ended before the pause: {}",
        paused.len()
    );
    signal("resume-snapshot");
    eventually(Duration::from_secs(60), "rows read after the resume", || async {
        let ops = ops_through(&topic, 10_002).await;
        let read = ops.iter().filter(|(op, _)| op == "r").count();
        (read >= paused.len() + 50).then_some(())
    })
    .await;
    signal("stop-snapshot");
    let stopped = reads_nothing_more(database, &table, &topic, 20_000).await;
    assert!(
        stopped.len() < ROWS,
        "the snapshot ended before the stop: {}",
        stopped.len()
    );
}

/// A table without a primary key is read by the `surrogate-key` its signal names, every row
/// written (held apart by that key while their window is open).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_snapshot_reads_a_table_without_a_key_by_its_surrogate_key() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let name = unique_name("cdcincrsk").replace('-', "_");
    let table = format!("{name}_events");
    database
        .sql(
            "tributary",
            &format!(
                "CREATE TABLE {table} (id INT NOT NULL, note TEXT); \
                 INSERT INTO {table} SELECT i, 'n' || i FROM generate_series(1, 5) i;"
            ),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    signaling_connector(&api, database, &name, "2", json!({})).await;
    database
        .sql(
            "tributary",
            &format!(
                "INSERT INTO {name}_signal VALUES ('by-id', 'execute-snapshot', \
                 '{{\"data-collections\": [\"public.{table}\"], \"surrogate-key\": \"id\"}}')"
            ),
        )
        .unwrap();
    let read = records(&format!("{name}.public.{table}"), 5).await;
    let ids: Vec<(String, i64)> = ops_and_ids(&read);
    let expected: Vec<(String, i64)> = (1..=5).map(|id| ("r".to_string(), id)).collect();
    assert_eq!(ids, expected);
}
