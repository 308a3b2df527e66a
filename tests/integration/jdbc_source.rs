//! The JDBC source connector against real PostgreSQL and MariaDB servers (started by the
//! harness) and a real Kafka broker: each mode copies a million rows (each mode on one of the
//! two databases), a restart resumes where the last run stopped, timestamp modes pick up
//! updates, and a database that goes down fails the task with the cause, after which a restart
//! continues without loss. Column types are compared with the JDBC drivers' in
//! `jdbc_driver_differential`.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{eventually, merged, start_worker};
use rdkafka::message::Message;
use serde_json::{json, Value};
use tributary_harness::clients::{consume_until, unique_name};
use tributary_harness::{shared_cluster, shared_mariadb, shared_postgres, Database, DatabaseKind, CERTIFIED_USER};
use tributary_runtime::clock::now_millis;

/// Rows per table in the volume tests: three tables, 1,000,000 rows in all.
const ROWS: usize = 333_334;

fn databases() -> [&'static Database; 2] {
    [shared_postgres(), shared_mariadb()]
}

/// `postgres` or `mariadb` SQL, by the server's kind.
fn dialect<'a>(database: &Database, postgres: &'a str, mariadb: &'a str) -> &'a str {
    match database.kind() {
        DatabaseKind::Postgres => postgres,
        DatabaseKind::MariaDb => mariadb,
    }
}

/// Creates table `name` (id, name, amount, updated) and fills it with rows `from..=to`.
fn create_table(database: &Database, name: &str) {
    let ddl = dialect(
        database,
        "CREATE TABLE {t} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(12,2), \
         updated TIMESTAMP(6) NOT NULL DEFAULT LOCALTIMESTAMP)",
        "CREATE TABLE {t} (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, amount DECIMAL(12,2), \
         updated DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6))",
    );
    database.sql("tributary", &ddl.replace("{t}", name)).unwrap();
    // As users index the columns of timestamp modes, so a poll is not a scan of the table.
    let index = format!("CREATE INDEX {name}_updated ON {name} (updated, id)");
    database.sql("tributary", &index).unwrap();
}

fn insert_rows(database: &Database, table: &str, from: usize, to: usize) {
    let insert = dialect(
        database,
        "INSERT INTO {t} (id, name, amount) SELECT g, 'row ' || g, g / 100.0 FROM generate_series({from}, {to}) g",
        "INSERT INTO {t} (id, name, amount) SELECT seq, CONCAT('row ', seq), seq / 100 FROM seq_{from}_to_{to}",
    );
    let sql = insert
        .replace("{t}", table)
        .replace("{from}", &from.to_string())
        .replace("{to}", &to.to_string());
    database.sql("tributary", &sql).unwrap();
}

/// A JDBC source connector config for `database` (the JDBC URL form, credentials apart).
fn source_config(database: &Database, extra: Value) -> Value {
    merged(
        json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": database.jdbc_url(),
            "connection.user": "tributary",
            "connection.password": dialect(database, "", "tributary"),
            "poll.interval.ms": "200",
            "batch.max.rows": "1000",
            "connection.backoff.ms": "200",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        }),
        extra,
    )
}

/// Creates connector `name` with `config` through the worker's REST API (201 expected).
async fn create(api: &common::Api, name: &str, config: Value) {
    let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
    assert_eq!(code, 201, "{name}: {body}");
}

/// The first `count` records of `topic` (waiting up to 120 s), each value parsed as `T`.
async fn parsed<T: serde::de::DeserializeOwned>(topic: &str, count: usize) -> Vec<T> {
    let records = consume_until(
        &shared_cluster().bootstrap_servers(),
        topic,
        count,
        Duration::from_secs(120),
        "read_committed",
    )
    .await
    .unwrap();
    assert_eq!(records.len(), count, "{topic}: records");
    records
        .iter()
        .map(|m| serde_json::from_slice(m.payload().unwrap_or_default()).unwrap())
        .collect()
}

/// The JSON values of the first `count` records of `topic`.
async fn values(topic: &str, count: usize) -> Vec<Value> {
    parsed(topic, count).await
}

/// The `id` of the first `count` records of `topic`, nothing else of them parsed (parsing a
/// million whole values took minutes of a debug build).
async fn ids(topic: &str, count: usize) -> Vec<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    parsed::<Id>(topic, count).await.into_iter().map(|row| row.id).collect()
}

/// How many times each id arrived.
fn id_counts(ids: &[i64]) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for &id in ids {
        *counts.entry(id).or_default() += 1;
    }
    counts
}

/// 1,000,000 rows in three tables copied in `mode`: every row arrives (once, except in bulk
/// mode, which copies the whole table every poll interval); after a graceful stop, rows added
/// meanwhile arrive on restart with nothing missing and nothing twice.
async fn copies_three_tables_and_resumes_after_a_restart(database: &Database, mode: &str) {
    let kafka = shared_cluster().bootstrap_servers();
    let prefix = format!("{}_", unique_name("volume").replace('-', "_"));
    let tables: Vec<String> = (0..3).map(|i| format!("{prefix}t{i}")).collect();
    for table in &tables {
        create_table(database, table);
        insert_rows(database, table, 1, ROWS);
    }
    let bulk = mode == "bulk";
    let config = source_config(
        database,
        json!({
            "mode": mode,
            "incrementing.column.name": "id",
            "timestamp.column.name": "updated",
            "table.whitelist": tables.join(","),
            "topic.prefix": "jdbc-",
            "tasks.max": "2",
            // Bulk copies once per start here.
            "poll.interval.ms": if bulk { "600000" } else { "200" },
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let (worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let name = format!("{prefix}source");
    let (code, body) = api
        .put(&format!("/connectors/{name}/config"), Some(config.clone()))
        .await;
    assert_eq!(code, 201, "{body}");
    for table in &tables {
        let counts = id_counts(&ids(&format!("jdbc-{table}"), ROWS).await);
        assert_eq!(counts.len(), ROWS, "{mode} {table}: every row once");
    }
    // Each table's first read is followed as long work, and ends at its rows.
    eventually(
        Duration::from_secs(30),
        "every table's read to end at its rows",
        || async {
            let metrics = api.metrics().await?;
            tables
                .iter()
                .all(|table| {
                    metrics.lines().any(|line| {
                        line.starts_with(&format!("tributary_progress_done{{connector=\"{name}\","))
                            && line.ends_with(&format!(".{table}\"}} {ROWS}"))
                    })
                })
                .then_some(())
        },
    )
    .await;
    // The offsets of everything acknowledged are committed on a graceful stop.
    worker.shutdown().await;
    for table in &tables {
        insert_rows(database, table, ROWS + 1, ROWS + 500);
    }
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    create(&api, &name, config).await;
    let total = if bulk { 2 * ROWS + 500 } else { ROWS + 500 };
    for table in &tables {
        let counts = id_counts(&ids(&format!("jdbc-{table}"), total).await);
        assert_eq!(counts.len(), ROWS + 500, "{mode} {table}: no gap after the restart");
        if !bulk {
            assert!(counts.values().all(|n| *n == 1), "{mode} {table}: no row twice");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_incrementing_and_timestamp_modes_copy_a_million_rows() {
    for mode in ["incrementing", "timestamp"] {
        copies_three_tables_and_resumes_after_a_restart(shared_postgres(), mode).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_timestamp_incrementing_and_bulk_modes_copy_a_million_rows() {
    for mode in ["timestamp+incrementing", "bulk"] {
        copies_three_tables_and_resumes_after_a_restart(shared_mariadb(), mode).await;
    }
}

/// A graceful stop does not wait for a poll blocked in its query (here on a table lock): the
/// task stops at once and commits what was delivered, so a restart reads only the new rows.
/// Offsets are committed only on stopping (the flush interval is longer than the test), so a
/// task abandoned in its poll would make the restart read every row again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_interrupts_a_blocked_query_and_commits_what_was_delivered() {
    let kafka = shared_cluster().bootstrap_servers();
    let database = shared_postgres();
    let table = unique_name("blocked").replace('-', "_");
    create_table(database, &table);
    insert_rows(database, &table, 1, 100);
    let config = source_config(
        database,
        json!({"mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": table, "topic.prefix": "jdbc-"}),
    );
    let topic = format!("jdbc-{table}");
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("offset.flush.interval.ms", "600000"),
        ("task.shutdown.graceful.timeout.ms", "2000"),
    ];
    let (worker, api) = start_worker(&kafka, dir.path(), &settings).await;
    let name = format!("{table}-source");
    let (code, body) = api
        .put(&format!("/connectors/{name}/config"), Some(config.clone()))
        .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(id_counts(&ids(&topic, 100).await).len(), 100);
    // Another session holds the table locked until it is ended below.
    let locker = {
        let table = table.clone();
        std::thread::spawn(move || {
            let lock = format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;");
            database.sql("tributary", &lock)
        })
    };
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT%{table}%'"
    );
    eventually(
        Duration::from_secs(30),
        "the task's query to wait for the lock",
        || async { (database.sql("tributary", &waiting).ok()?.trim() == "1").then_some(()) },
    )
    .await;
    let stopping = std::time::Instant::now();
    worker.shutdown().await;
    let stopped_in = stopping.elapsed();
    database
        .sql(
            "tributary",
            &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE {table}%' AND pid <> pg_backend_pid()"),
        )
        .unwrap();
    assert!(locker.join().unwrap().is_err(), "the lock's session was ended");
    assert!(
        stopped_in < Duration::from_secs(2),
        "stopped in {stopped_in:?}, not abandoned"
    );
    insert_rows(database, &table, 101, 110);
    let (_worker, api) = start_worker(&kafka, dir.path(), &settings).await;
    create(&api, &name, config).await;
    let counts = id_counts(&ids(&topic, 110).await);
    assert_eq!(counts.len(), 110, "every row once after the restart: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_modes_pick_up_updates_and_bulk_copies_the_whole_table() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let prefix = format!("{}_", unique_name("ts").replace('-', "_"));
        let dir = tempfile::tempdir().unwrap();
        let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let modes = [
            ("timestamp", json!({"timestamp.column.name": "updated"})),
            (
                "timestamp+incrementing",
                json!({"timestamp.column.name": "updated", "incrementing.column.name": "id"}),
            ),
            ("bulk", json!({})),
        ];
        for (index, (mode, extra)) in modes.iter().enumerate() {
            let table = format!("{prefix}m{index}");
            create_table(database, &table);
            insert_rows(database, &table, 1, 100);
            let config = merged(
                source_config(
                    database,
                    json!({"mode": mode, "table.whitelist": table, "topic.prefix": "jdbc-"}),
                ),
                extra.clone(),
            );
            let name = format!("{table}-source");
            let (code, body) = api.put(&format!("/connectors/{name}/config"), Some(config)).await;
            assert_eq!(code, 201, "{mode}: {body}");
        }
        for (index, (mode, _)) in modes.iter().enumerate() {
            let table = format!("{prefix}m{index}");
            let topic = format!("jdbc-{table}");
            if *mode == "bulk" {
                // Every poll interval copies the whole table again.
                let counts = id_counts(&ids(&topic, 300).await);
                assert_eq!(counts.len(), 100, "bulk: {counts:?}");
                assert!(counts.values().all(|n| *n >= 2), "bulk: copied more than once");
                continue;
            }
            assert_eq!(id_counts(&ids(&topic, 100).await).len(), 100, "{mode}");
            let update = dialect(
                database,
                "UPDATE {t} SET name = 'changed', updated = LOCALTIMESTAMP WHERE id <= 10",
                "UPDATE {t} SET name = 'changed', updated = UTC_TIMESTAMP(6) WHERE id <= 10",
            );
            database.sql("tributary", &update.replace("{t}", &table)).unwrap();
            let all = values(&topic, 110).await;
            let mut changed: Vec<i64> = all[100..]
                .iter()
                .filter(|v| v["name"] == "changed")
                .map(|v| v["id"].as_i64().unwrap())
                .collect();
            // One UPDATE gives the rows one timestamp: only the incrementing column orders them.
            if *mode == "timestamp" {
                changed.sort();
            }
            assert_eq!(changed, (1..=10).collect::<Vec<_>>(), "{mode}: the updated rows");
        }
    }
}

/// Under a `db.timezone` ahead of UTC (Asia/Tokyo, nine hours; the servers run in UTC), a
/// timestamp mode follows a column of that zone's wall times (PostgreSQL's TIMESTAMP, MariaDB's
/// DATETIME) and one of instants (TIMESTAMPTZ, TIMESTAMP) alike: rows stamped with the current
/// time arrive with that instant as their timestamp, and rows stamped while the worker was
/// stopped arrive after its restart; every row once. (Read as UTC, Tokyo's wall times would
/// lie nine hours beyond the end each query reads up to, and nothing would arrive.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_modes_follow_wall_times_of_db_timezone_across_a_restart() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let columns = match database.kind() {
            DatabaseKind::Postgres => [
                ("TIMESTAMP(6)", "CURRENT_TIMESTAMP AT TIME ZONE 'Asia/Tokyo'"),
                ("TIMESTAMPTZ", "CURRENT_TIMESTAMP"),
            ],
            DatabaseKind::MariaDb => [
                ("DATETIME(6)", "UTC_TIMESTAMP(6) + INTERVAL 9 HOUR"),
                ("TIMESTAMP(6)", "CURRENT_TIMESTAMP(6)"),
            ],
        };
        for (column_type, now) in columns {
            let table = unique_name("zoned").replace('-', "_");
            let ddl = format!("CREATE TABLE {table} (id INT PRIMARY KEY, updated {column_type} NOT NULL)");
            database.sql("tributary", &ddl).unwrap();
            let insert = |from: usize, to: usize| {
                let rows: Vec<String> = (from..=to).map(|id| format!("({id}, {now})")).collect();
                let sql = format!("INSERT INTO {table} VALUES {}", rows.join(", "));
                database.sql("tributary", &sql).unwrap();
            };
            insert(1, 50);
            let config = source_config(
                database,
                json!({"mode": "timestamp+incrementing", "timestamp.column.name": "updated",
                       "incrementing.column.name": "id", "db.timezone": "Asia/Tokyo",
                       "table.whitelist": table, "topic.prefix": "jdbc-"}),
            );
            let topic = format!("jdbc-{table}");
            let dir = tempfile::tempdir().unwrap();
            let (worker, api) = start_worker(&kafka, dir.path(), &[]).await;
            create(&api, &table, config.clone()).await;
            let now = now_millis();
            for value in values(&topic, 50).await {
                let stamped = value["updated"].as_i64().unwrap();
                // The rows were stamped within the last two minutes (nine hours off if the
                // wall time were read as UTC).
                assert!(
                    (now - stamped).abs() < 120_000,
                    "{column_type}: stamped {stamped}, now {now}"
                );
            }
            insert(51, 60);
            assert_eq!(id_counts(&ids(&topic, 60).await).len(), 60, "{column_type}: rows added");
            worker.shutdown().await;
            insert(61, 70);
            let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
            create(&api, &table, config).await;
            let counts = id_counts(&ids(&topic, 70).await);
            assert_eq!(counts.len(), 70, "{column_type}: rows added while stopped");
            assert!(
                counts.values().all(|n| *n == 1),
                "{column_type}: no row twice: {counts:?}"
            );
        }
    }
}

/// With no `incrementing.column.name`, incrementing mode follows each table's auto-increment
/// column, as Confluent's does (the first column its JDBC driver reports as auto-increment):
/// an identity or a serial column on PostgreSQL, an `AUTO_INCREMENT` one on MariaDB, none of
/// them the table's first column. Rows added after the first read arrive, and none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrementing_mode_without_a_column_follows_the_auto_increment_column() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres_rows = "INSERT INTO {t} (note) SELECT 'row' FROM generate_series(1, {n})";
    let cases = [
        (
            shared_postgres(),
            "CREATE TABLE {t} (note TEXT, id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
            postgres_rows,
        ),
        (
            shared_postgres(),
            "CREATE TABLE {t} (note TEXT, id SERIAL PRIMARY KEY)",
            postgres_rows,
        ),
        (
            shared_mariadb(),
            "CREATE TABLE {t} (note VARCHAR(10), id BIGINT AUTO_INCREMENT PRIMARY KEY)",
            "INSERT INTO {t} (note) SELECT 'row' FROM seq_1_to_{n}",
        ),
    ];
    for (database, ddl, insert) in cases {
        let table = unique_name("auto").replace('-', "_");
        database.sql("tributary", &ddl.replace("{t}", &table)).unwrap();
        let insert = |n: usize| {
            let sql = insert.replace("{t}", &table).replace("{n}", &n.to_string());
            database.sql("tributary", &sql).unwrap();
        };
        insert(3);
        let config = source_config(
            database,
            json!({"mode": "incrementing", "table.whitelist": table, "topic.prefix": "jdbc-"}),
        );
        create(&api, &table, config).await;
        let topic = format!("jdbc-{table}");
        assert_eq!(ids(&topic, 3).await, [1, 2, 3]);
        insert(2);
        assert_eq!(ids(&topic, 5).await, [1, 2, 3, 4, 5], "{topic}: the new rows, once");
    }
    // A table with no auto-increment column fails the task with the reason.
    let postgres = shared_postgres();
    let table = unique_name("plain").replace('-', "_");
    let ddl = format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY); INSERT INTO {table} VALUES (1)");
    postgres.sql("tributary", &ddl).unwrap();
    let config = source_config(
        postgres,
        json!({"mode": "incrementing", "table.whitelist": table, "topic.prefix": "jdbc-"}),
    );
    create(&api, &table, config).await;
    let trace = api.failed_trace(&table, Duration::from_secs(60)).await;
    assert!(trace.contains("has no auto-increment column"), "{trace}");
}

/// `query.suffix` is appended to each statement: a bulk copy limited to one row reads that row
/// every poll instead of the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_suffix_ends_each_statement() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres = shared_postgres();
    let table = unique_name("suffixed").replace('-', "_");
    let ddl = format!("CREATE TABLE {table} (id INT PRIMARY KEY); INSERT INTO {table} VALUES (1), (2), (3)");
    postgres.sql("tributary", &ddl).unwrap();
    let config = source_config(
        postgres,
        json!({"mode": "bulk", "table.whitelist": table, "topic.prefix": "jdbc-", "query.suffix": "LIMIT 1"}),
    );
    create(&api, &table, config).await;
    let mut first = ids(&format!("jdbc-{table}"), 3).await;
    first.dedup();
    assert_eq!(first.len(), 1, "one row a poll: {first:?}");
}

/// `timestamp.initial` is where a timestamp mode starts on a table with no committed offset:
/// epoch milliseconds, or -1 for the database's clock at the first query (a row stamped a few
/// seconds ahead of it arrives, an old one does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_initial_starts_a_table_at_that_time() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres = shared_postgres();
    // 2022-01-01T00:00:00Z, between the two old rows.
    for (initial, label) in [(json!(1_640_995_200_000i64), "millis"), (json!(-1), "now")] {
        let table = unique_name(&format!("initial_{label}")).replace('-', "_");
        let ddl = format!(
            "CREATE TABLE {table} (id INT PRIMARY KEY, updated TIMESTAMP NOT NULL); \
             INSERT INTO {table} VALUES (1, '2020-01-01'), (2, '2024-01-01'), \
             (3, LOCALTIMESTAMP + INTERVAL '8 seconds')"
        );
        postgres.sql("tributary", &ddl).unwrap();
        let config = source_config(
            postgres,
            json!({"mode": "timestamp", "timestamp.column.name": "updated", "timestamp.initial": initial,
                   "table.whitelist": table, "topic.prefix": "jdbc-"}),
        );
        create(&api, &table, config).await;
        let first = ids(&format!("jdbc-{table}"), 1).await;
        let expected = if label == "millis" { 2 } else { 3 };
        assert_eq!(first, [expected], "timestamp.initial {initial}");
    }
}

/// The `tables` of connector `name`'s task configs, joined (every table once the connector
/// has listed them).
async fn tables_of(api: &common::Api, name: &str) -> String {
    eventually(Duration::from_secs(60), &format!("{name}'s tasks"), || async {
        let (code, tasks) = api.get(&format!("/connectors/{name}/tasks")).await;
        let tables: Vec<&str> = tasks
            .as_array()?
            .iter()
            .filter_map(|task| task["config"]["tables"].as_str())
            .collect();
        (code == 200 && !tables.is_empty()).then(|| tables.join(","))
    })
    .await
}

/// `table.types` and `schema.pattern` pick the tables as PostgreSQL's JDBC driver lists them
/// to Confluent's connector (42.7, asked with `DatabaseMetaData.getTables`): by default
/// ordinary tables and partitions (TABLE), not a partitioned table itself (PARTITIONED TABLE),
/// views or materialized views; the schema pattern is a LIKE pattern. A materialized view's
/// NUMERIC column keeps its declared scale (its columns are not in `information_schema`). On
/// MariaDB, `table.types=VIEW` copies a view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_types_and_schema_pattern_choose_the_tables_as_the_jdbc_driver_lists_them() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres = shared_postgres();
    let schema = unique_name("kinds").replace('-', "_");
    let ddl = "CREATE SCHEMA {s}; \
         CREATE TABLE {s}.plain (id INT PRIMARY KEY, amount NUMERIC(10,2) NOT NULL); \
         INSERT INTO {s}.plain VALUES (1, 12.5); \
         CREATE VIEW {s}.plain_view AS SELECT * FROM {s}.plain; \
         CREATE MATERIALIZED VIEW {s}.plain_mat AS SELECT * FROM {s}.plain; \
         CREATE TABLE {s}.parted (id INT, at DATE) PARTITION BY RANGE (at); \
         CREATE TABLE {s}.parted_one PARTITION OF {s}.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); \
         INSERT INTO {s}.parted VALUES (1, '2024-06-01')";
    postgres.sql("tributary", &ddl.replace("{s}", &schema)).unwrap();
    // The schema's name with its last character as LIKE's any-one wildcard.
    let pattern = format!("{}_", &schema[..schema.len() - 1]);
    let connector = |name: &str, extra: Value| {
        let config = source_config(
            postgres,
            merged(
                json!({"mode": "bulk", "schema.pattern": pattern, "topic.prefix": format!("{name}-")}),
                extra,
            ),
        );
        let (api, name) = (&api, name.to_string());
        async move { create(api, &name, config).await }
    };
    let tables_only = format!("{schema}-tables");
    connector(&tables_only, json!({})).await;
    assert_eq!(
        tables_of(&api, &tables_only).await,
        format!("{schema}.parted_one,{schema}.plain")
    );
    let views = format!("{schema}-views");
    connector(
        &views,
        json!({"table.types": "VIEW, MATERIALIZED VIEW", "value.converter.schemas.enable": "true"}),
    )
    .await;
    assert_eq!(
        tables_of(&api, &views).await,
        format!("{schema}.plain_mat,{schema}.plain_view")
    );
    let record = values(&format!("{views}-plain_mat"), 1).await.remove(0);
    let amount = &record["schema"]["fields"][1];
    assert_eq!(amount["name"], "org.apache.kafka.connect.data.Decimal", "{amount}");
    assert_eq!(amount["parameters"]["scale"], "2", "{amount}");
    // A materialized view's columns are nullable, whatever its query's are.
    assert_eq!(amount["optional"], true, "{amount}");
    assert_eq!(values(&format!("{views}-plain_view"), 1).await[0]["payload"]["id"], 1);
    let partitioned = format!("{schema}-partitioned");
    connector(&partitioned, json!({"table.types": "PARTITIONED TABLE"})).await;
    assert_eq!(tables_of(&api, &partitioned).await, format!("{schema}.parted"));

    let mariadb = shared_mariadb();
    let table = unique_name("viewed").replace('-', "_");
    let ddl = "CREATE TABLE {t} (id INT PRIMARY KEY); INSERT INTO {t} VALUES (7); \
               CREATE VIEW {t}_view AS SELECT id FROM {t}";
    mariadb.sql("tributary", &ddl.replace("{t}", &table)).unwrap();
    let name = format!("{table}-views");
    let config = source_config(
        mariadb,
        json!({"mode": "bulk", "table.types": "VIEW", "table.whitelist": format!("{table}_view"), "topic.prefix": "jdbc-"}),
    );
    create(&api, &name, config).await;
    assert_eq!(tables_of(&api, &name).await, format!("tributary.{table}_view"));
    assert_eq!(values(&format!("jdbc-{table}_view"), 1).await[0]["id"], 7);
}

/// Confluent's newer keys: `table.include.list` and `table.exclude.list` choose tables by
/// regular expressions of their qualified names (`schema.table`; `database.table` on MariaDB),
/// and `timestamp.columns.mapping` and `incrementing.column.mapping` give each table its own
/// columns; rows added later arrive by them. A copied table no mapping matches fails the task
/// with Confluent's message, and mixing the newer keys with `table.whitelist` is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_lists_and_column_mappings_choose_tables_and_their_columns() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for database in databases() {
        let prefix = unique_name("mapped").replace('-', "_");
        // MariaDB's qualified names start with the database's; PostgreSQL's with the schema's.
        let qualifier = dialect(database, "public", "tributary");
        let ddl = "CREATE TABLE {p}_orders (id INT PRIMARY KEY, updated_at TIMESTAMP(3) NOT NULL, note VARCHAR(10)); \
             CREATE TABLE {p}_lines (line_id INT PRIMARY KEY, changed_at TIMESTAMP(3) NOT NULL); \
             CREATE TABLE {p}_archive_orders (id INT PRIMARY KEY, updated_at TIMESTAMP(3) NOT NULL); \
             INSERT INTO {p}_orders VALUES (1, '2024-01-01 00:00:00', 'a'), (2, '2024-01-02 00:00:00', 'b'); \
             INSERT INTO {p}_lines VALUES (10, '2024-01-01 00:00:00'); \
             INSERT INTO {p}_archive_orders VALUES (1, '2024-01-01 00:00:00')";
        database.sql("tributary", &ddl.replace("{p}", &prefix)).unwrap();
        let table = |name: &str| format!("{qualifier}\\.{prefix}_{name}");
        let config = source_config(
            database,
            json!({
                "mode": "timestamp+incrementing",
                "topic.prefix": "jdbc-",
                "table.include.list": format!("{qualifier}\\.{prefix}_.*"),
                "table.exclude.list": table("archive_.*"),
                "timestamp.columns.mapping": format!("{}:[updated_at],{}:[changed_at]", table("orders"), table("lines")),
                "incrementing.column.mapping": format!("{}:id,{}:line_id", table("orders"), table("lines")),
            }),
        );
        create(&api, &prefix, config.clone()).await;
        assert_eq!(
            tables_of(&api, &prefix).await,
            format!("{qualifier}.{prefix}_lines,{qualifier}.{prefix}_orders")
        );
        let orders = format!("jdbc-{prefix}_orders");
        let lines = format!("jdbc-{prefix}_lines");
        assert_eq!(ids(&orders, 2).await, [1, 2]);
        assert_eq!(values(&lines, 1).await[0]["line_id"], 10);
        database
            .sql(
                "tributary",
                &format!("INSERT INTO {prefix}_lines VALUES (11, '2024-01-03 00:00:00')"),
            )
            .unwrap();
        let later: Vec<Value> = values(&lines, 2).await;
        assert_eq!(later[1]["line_id"], 11);

        // A table the include list copies but no timestamp mapping names.
        let unmapped = format!("{prefix}-unmapped");
        let mut partial = config.clone();
        partial["topic.prefix"] = json!("unmapped-");
        partial["table.exclude.list"] = json!("");
        partial["incrementing.column.mapping"] = json!(format!("{qualifier}\\.{prefix}_.*:id"));
        create(&api, &unmapped, partial).await;
        let trace = api.failed_trace(&unmapped, Duration::from_secs(60)).await;
        assert!(
            trace.contains(&format!(
                "Included table '{qualifier}.{prefix}_archive_orders' does not match any of the provided regexes"
            )),
            "{trace}"
        );

        let mut mixed = config;
        mixed["table.whitelist"] = json!(format!("{prefix}_orders"));
        let (code, body) = api
            .put(&format!("/connectors/{prefix}-mixed/config"), Some(mixed))
            .await;
        assert_eq!(code, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("cannot be combined"),
            "{body}"
        );
    }
}

/// Before its first query a task checks, with Confluent's messages, that the offset columns
/// the config names exist and, under `validate.non.null` (on by default), that the incrementing
/// column and at least one timestamp column are NOT NULL: a table failing either fails the task
/// at once. One NOT NULL timestamp column among nullable ones passes, and
/// `validate.non.null=false` reads the nullable columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_columns_must_exist_and_be_not_null_unless_validate_non_null_is_off() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for database in databases() {
        let table = unique_name("nullable").replace('-', "_");
        let ddl = format!(
            "CREATE TABLE {table} (id INT NULL, created TIMESTAMP(3) NOT NULL, updated TIMESTAMP(3) NULL); \
             INSERT INTO {table} VALUES (1, '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        );
        database.sql("tributary", &ddl).unwrap();
        let quoted = dialect(database, "\"tributary\".\"public\".\"{t}\"", "`tributary`.`{t}`").replace("{t}", &table);
        let connector = |case: &str, extra: Value| {
            let config = merged(
                source_config(
                    database,
                    json!({"table.whitelist": table, "topic.prefix": format!("{case}-")}),
                ),
                extra,
            );
            (format!("{case}-{table}"), config)
        };
        let refused = [
            (
                json!({"mode": "incrementing", "incrementing.column.name": "id"}),
                format!("Cannot make incremental queries using incrementing column id on {quoted} because this column is nullable."),
            ),
            (
                json!({"mode": "timestamp", "timestamp.column.name": "updated"}),
                format!("Cannot make incremental queries using timestamp columns updated on {quoted} because all of these columns are nullable."),
            ),
            (
                json!({"mode": "incrementing", "incrementing.column.name": "nope", "validate.non.null": "false"}),
                format!("Incrementing column: nope does not exist in table '{quoted}'"),
            ),
            (
                json!({"mode": "timestamp+incrementing", "timestamp.column.name": "gone,updated", "incrementing.column.name": "id"}),
                format!("Timestamp columns: gone do not exist in table '{quoted}'"),
            ),
        ];
        for (index, (extra, message)) in refused.into_iter().enumerate() {
            let (name, config) = connector(&format!("refused{index}"), extra);
            create(&api, &name, config).await;
            let trace = api.failed_trace(&name, Duration::from_secs(60)).await;
            assert!(trace.contains(&message), "{name}: {trace}");
        }
        let read = [
            json!({"mode": "timestamp", "timestamp.column.name": "updated,created"}),
            json!({"mode": "incrementing", "incrementing.column.name": "id", "validate.non.null": "false"}),
        ];
        for (index, extra) in read.into_iter().enumerate() {
            let (name, config) = connector(&format!("read{index}"), extra);
            create(&api, &name, config).await;
            assert_eq!(ids(&format!("read{index}-{table}"), 1).await, [1], "{name}");
        }
    }
}

/// `transaction.isolation.mode` sets each session's isolation level as the JDBC drivers'
/// `setTransactionIsolation` sets it for Confluent's connector, so the queries run at it (each
/// database's default is another); SQL Server's snapshot mode is refused, as Confluent refuses
/// it for any other database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_isolation_mode_sets_the_level_the_queries_run_at() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for (database, mode, level_query, expected) in [
        (
            shared_postgres(),
            "REPEATABLE_READ",
            "current_setting('transaction_isolation')",
            "repeatable read",
        ),
        (
            shared_mariadb(),
            "serializable",
            "@@SESSION.tx_isolation",
            "SERIALIZABLE",
        ),
    ] {
        let topic = unique_name("isolation");
        let config = source_config(
            database,
            json!({"mode": "bulk", "query": format!("SELECT 1 AS id, {level_query} AS level"),
                   "topic.prefix": topic, "transaction.isolation.mode": mode}),
        );
        create(&api, &topic, config.clone()).await;
        assert_eq!(values(&topic, 1).await[0]["level"], expected);
        let mut snapshot = config;
        snapshot["transaction.isolation.mode"] = json!("SQL_SERVER_SNAPSHOT");
        let (code, body) = api
            .put(&format!("/connectors/{topic}-snapshot/config"), Some(snapshot))
            .await;
        assert_eq!(code, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains("Sql Server"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_mode_reads_new_rows_of_a_join_into_one_topic() {
    let kafka = shared_cluster().bootstrap_servers();
    for database in databases() {
        let prefix = unique_name("query").replace('-', "_");
        let (orders, customers) = (format!("{prefix}_orders"), format!("{prefix}_customers"));
        create_table(database, &orders);
        insert_rows(database, &orders, 1, 50);
        database
            .sql(
                "tributary",
                &format!(
                    "CREATE TABLE {customers} (id BIGINT PRIMARY KEY, country VARCHAR(8) NOT NULL); \
                     INSERT INTO {customers} VALUES (1, 'FR'), (2, 'JP');"
                ),
            )
            .unwrap();
        // Confluent appends the mode's WHERE clause to the query, so it is wrapped.
        let query = format!(
            "SELECT * FROM (SELECT o.id, o.name, c.country FROM {orders} o JOIN {customers} c ON c.id = o.id % 2 + 1) joined"
        );
        let dir = tempfile::tempdir().unwrap();
        let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
        let topic = format!("jdbc-{prefix}");
        let config = source_config(
            database,
            json!({"mode": "incrementing", "incrementing.column.name": "id", "query": query, "topic.prefix": topic}),
        );
        create(&api, &prefix, config).await;
        let first = values(&topic, 50).await;
        assert_eq!(first[0]["country"], "JP", "{first:?}");
        insert_rows(database, &orders, 51, 60);
        assert_eq!(id_counts(&ids(&topic, 60).await).len(), 60, "the new rows arrive once");
    }
}

/// `quote.sql.identifiers` (`always` by default) quotes the names the source's statements
/// write, so an incrementing column named `order` (an SQL keyword) is read; `never` writes the
/// name as it is, as Confluent's does, and PostgreSQL refuses the statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_sql_identifiers_never_writes_names_unquoted() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres = shared_postgres();
    let table = unique_name("keyword").replace('-', "_");
    let ddl = format!("CREATE TABLE {table} (\"order\" INT PRIMARY KEY); INSERT INTO {table} VALUES (1)");
    postgres.sql("tributary", &ddl).unwrap();
    let config = |quoting: &str, prefix: &str| {
        source_config(
            postgres,
            json!({"mode": "incrementing", "incrementing.column.name": "order", "table.whitelist": table,
                   "topic.prefix": prefix, "quote.sql.identifiers": quoting, "query.retry.attempts": "1"}),
        )
    };
    let always = format!("{table}-always");
    create(&api, &always, config("always", "always-")).await;
    assert_eq!(values(&format!("always-{table}"), 1).await[0]["order"], 1);
    let never = format!("{table}-never");
    create(&api, &never, config("never", "never-")).await;
    let trace = api.failed_trace(&never, Duration::from_secs(60)).await;
    assert!(trace.contains("syntax error at or near \"order\""), "{trace}");
}

/// A statement the database refuses is handled as Confluent's task handles the JDBC driver's
/// exception. PostgreSQL's (pgjdbc raises them all as plain `SQLException`s): the query runs
/// again at each poll, by default without end, so rows arrive once the missing table exists,
/// and `query.retry.attempts` refusals in a row fail the task with the cause. MariaDB's missing
/// table (SQLSTATE 42S02, a non-transient exception of both MySQL drivers) fails the task at
/// once, however many connection attempts are allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_queries_run_again_at_each_poll_or_fail_the_task_as_confluents_do() {
    let kafka = shared_cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let postgres = shared_postgres();
    let table = unique_name("later").replace('-', "_");
    let query = format!("SELECT * FROM {table}");
    let connector = |database, name: &str, extra: Value| {
        let config = json!({"mode": "bulk", "query": query, "topic.prefix": name});
        (name.to_string(), source_config(database, merged(config, extra)))
    };
    let (retrying, config) = connector(postgres, &format!("{table}-retrying"), json!({}));
    create(&api, &retrying, config).await;
    let (limited, config) = connector(
        postgres,
        &format!("{table}-limited"),
        json!({"query.retry.attempts": "3"}),
    );
    create(&api, &limited, config).await;
    let trace = api.failed_trace(&limited, Duration::from_secs(60)).await;
    assert!(trace.contains("Failed to query table after retries"), "{trace}");
    assert!(
        trace.contains(&format!("relation \"{table}\" does not exist")),
        "{trace}"
    );
    let (_, status) = api.get(&format!("/connectors/{retrying}/status")).await;
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    let ddl = format!("CREATE TABLE {table} (id INT PRIMARY KEY); INSERT INTO {table} VALUES (1)");
    postgres.sql("tributary", &ddl).unwrap();
    assert_eq!(ids(&retrying, 1).await, [1]);

    let (missing, config) = connector(
        shared_mariadb(),
        &format!("{table}-missing"),
        json!({"connection.attempts": "10", "connection.backoff.ms": "10000"}),
    );
    create(&api, &missing, config).await;
    let trace = api.failed_trace(&missing, Duration::from_secs(30)).await;
    assert!(
        trace.contains(&format!("Table 'tributary.{table}' doesn't exist")),
        "{trace}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_down_fails_the_task_with_the_cause_and_a_restart_continues() {
    let kafka = shared_cluster().bootstrap_servers();
    let mut database = tokio::task::spawn_blocking(Database::start_postgres)
        .await
        .unwrap()
        .unwrap();
    let table = unique_name("down").replace('-', "_");
    create_table(&database, &table);
    insert_rows(&database, &table, 1, 1000);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let config = source_config(
        &database,
        json!({
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "table.whitelist": table,
            "topic.prefix": "jdbc-",
            "connection.attempts": "3",
        }),
    );
    create(&api, &table, config).await;
    let topic = format!("jdbc-{table}");
    values(&topic, 1000).await;

    database.kill();
    let trace = api.failed_trace(&table, Duration::from_secs(60)).await;
    assert!(trace.contains("giving up after 3 failed attempts"), "{trace}");
    // The step that failed, then the driver's own reason, kept as the cause ("cannot read
    // the columns of …: pool timed out while waiting for an open connection").
    let (_, after) = trace.split_once("giving up after 3 failed attempts: ").unwrap();
    assert!(after.contains(": "), "{trace}");

    // The database comes back with more rows; a restart of the task continues after row 1000.
    let database = tokio::task::spawn_blocking(move || {
        database.start().unwrap();
        database
    })
    .await
    .unwrap();
    insert_rows(&database, &table, 1001, 1500);
    let (code, body) = api
        .post(&format!("/connectors/{table}/tasks/0/restart"), json!({}))
        .await;
    assert!(code == 204 || code == 202, "{code} {body}");
    let counts = id_counts(&ids(&topic, 1500).await);
    assert_eq!(counts.len(), 1500, "no row lost");
    assert!(counts.values().all(|n| *n == 1), "no row twice");
}

/// A PostgreSQL server that requires TLS is read over TLS verified against its CA, named in the
/// URL (Confluent's form) or by `connection.*` driver properties; a user the server
/// authenticates by client certificate is read with pgjdbc's `sslcert` and `sslkey`; without
/// TLS, or without the certificate, the task fails saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_tls_is_read_over_verified_tls() {
    let kafka = shared_cluster().bootstrap_servers();
    let (database, tls) = tokio::task::spawn_blocking(Database::start_postgres_requiring_client_certificates)
        .await
        .unwrap()
        .unwrap();
    let ca = &tls.ca;
    let table = unique_name("tls").replace('-', "_");
    create_table(&database, &table);
    insert_rows(&database, &table, 1, 100);
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    let url = |parameters: &str| format!("{}?{parameters}", database.jdbc_url());
    let config = |name: &str, parameters: &str| {
        source_config(
            &database,
            json!({
                "connection.url": url(parameters),
                "mode": "incrementing",
                "incrementing.column.name": "id",
                "table.whitelist": table,
                "topic.prefix": format!("{name}-"),
                "connection.attempts": "1",
            }),
        )
    };
    // Verified against the server's certificate, in Confluent's URL form.
    let verified = format!("{table}_verified");
    let parameters = format!("sslmode=verify-full&sslrootcert={}", ca.display());
    let (code, body) = api
        .put(
            &format!("/connectors/{verified}/config"),
            Some(config(&verified, &parameters)),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(id_counts(&ids(&format!("{verified}-{table}"), 100).await).len(), 100);

    // The same as driver properties, `connection.*` keys, as Confluent's connectors take them.
    let properties = format!("{table}_properties");
    let mut by_properties = config(&properties, "");
    by_properties["connection.url"] = json!(database.jdbc_url());
    by_properties["connection.sslmode"] = json!("verify-full");
    by_properties["connection.sslrootcert"] = json!(ca.display().to_string());
    let (code, body) = api
        .put(&format!("/connectors/{properties}/config"), Some(by_properties))
        .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(id_counts(&ids(&format!("{properties}-{table}"), 100).await).len(), 100);

    // Without TLS the server refuses the connection (the connector lists the tables first),
    // and the connector says why.
    let plain = format!("{table}_plain");
    let (code, body) = api
        .put(
            &format!("/connectors/{plain}/config"),
            Some(config(&plain, "sslmode=disable")),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let trace = api.failed_trace(&plain, Duration::from_secs(60)).await;
    assert!(trace.contains("no encryption"), "{trace}");

    // The user the server authenticates by certificate, with it (in the URL) and without it.
    let certified = format!("{table}_certified");
    let parameters = format!(
        "sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
        ca.display(),
        tls.cert.display(),
        tls.key.display()
    );
    let mut with_certificate = config(&certified, &parameters);
    with_certificate["connection.user"] = json!(CERTIFIED_USER);
    create(&api, &certified, with_certificate).await;
    assert_eq!(id_counts(&ids(&format!("{certified}-{table}"), 100).await).len(), 100);
    let uncertified = format!("{table}_uncertified");
    let mut without_certificate = config(&uncertified, "sslmode=verify-full");
    without_certificate["connection.user"] = json!(CERTIFIED_USER);
    without_certificate["connection.sslrootcert"] = json!(ca.display().to_string());
    create(&api, &uncertified, without_certificate).await;
    let trace = api.failed_trace(&uncertified, Duration::from_secs(60)).await;
    assert!(trace.contains("certificate"), "{trace}");
}
