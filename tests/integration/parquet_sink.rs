//! The Parquet sink against a real Kafka broker: records of a two-partition topic land in
//! Parquet files named by their offsets that read back (with the parquet crate) equal to the
//! records, in order, split by `partition.field`; and after kill -9 of the worker and a restart,
//! the files hold every offset exactly once, with no partial file left, also when
//! `partition.field` spreads a partition over sub-directories that rotate at different offsets.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arrow::array::{Array, Int64Array, StringArray};
use common::workers::WorkerProcess;
use common::{eventually, merged, start_worker};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rdkafka::producer::{BaseRecord, Producer};
use serde_json::{json, Value};
use tributary_harness::clients::{reliable_base_producer, send_waiting, unique_name};
use tributary_harness::shared_cluster;

/// A row read back.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: i64,
    country: Option<String>,
}

/// Produces `count` records with ids `0..count` to `partitions` partitions of `topic` (id mod
/// partitions), values with a schema as JsonConverter writes them. The producer is idempotent:
/// the tests compare the files with the ids in order.
async fn produce(topic: &str, partitions: i32, count: i64) {
    shared_cluster().create_topic(topic, partitions, 1).await.unwrap();
    let bootstrap = shared_cluster().bootstrap_servers();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let producer = reliable_base_producer(&bootstrap).unwrap();
        let schema = json!({"type": "struct", "optional": false, "name": "event", "fields": [
            {"field": "id", "type": "int64", "optional": false},
            {"field": "country", "type": "string", "optional": true},
            {"field": "at", "type": "int64", "optional": true, "name": "org.apache.kafka.connect.data.Timestamp"},
        ]});
        for id in 0..count {
            // Uneven on purpose: with `partition.field`, the FR files rotate ten times as
            // often as the others, so their directories are far apart when a worker dies.
            let country = match id % 10 {
                0 => "DE",
                1 => "JP",
                _ => "FR",
            };
            let value =
                json!({"schema": schema, "payload": {"id": id, "country": country, "at": 1_700_000_000_000i64 + id}});
            let payload = serde_json::to_vec(&value).unwrap();
            let record = BaseRecord::<(), _>::to(&topic)
                .partition((id % i64::from(partitions)) as i32)
                .payload(&payload);
            send_waiting(&producer, record).unwrap();
        }
        producer.flush(Duration::from_secs(60)).unwrap();
    })
    .await
    .unwrap();
}

fn sink_config(topic: &str, dir: &Path, extra: Value) -> Value {
    merged(
        json!({
            "connector.class": "ParquetSink",
            "topics": topic,
            "parquet.dir": dir.display().to_string(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "consumer.override.auto.offset.reset": "earliest",
        }),
        extra,
    )
}

/// Every file under `dir`, recursively (with the hidden temporary files of writes in
/// progress).
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(all_files(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The finished files under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    all_files(dir)
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// A Parquet file's (partition, first offset, last offset), from its name, and its rows.
fn read_file(path: &Path) -> ((i32, i64, i64), Vec<Row>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(".parquet"), "{name}");
    let parts: Vec<&str> = name.trim_end_matches(".parquet").rsplitn(4, '+').collect();
    let range = (
        parts[2].parse().unwrap(),
        parts[1].parse().unwrap(),
        parts[0].parse().unwrap(),
    );
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        let countries = batch.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..batch.num_rows() {
            rows.push(Row {
                id: ids.value(i),
                country: (!countries.is_null(i)).then(|| countries.value(i).to_string()),
            });
        }
    }
    (range, rows)
}

/// The rows of every Parquet file under `dir`, by (partition, first offset, last offset).
fn read_files(dir: &Path) -> BTreeMap<(i32, i64, i64), Vec<Row>> {
    files(dir).iter().map(|path| read_file(path)).collect()
}

/// How many rows the files under `dir` hold.
fn row_count(dir: &Path) -> usize {
    read_files(dir).values().map(Vec::len).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_read_back_equal_from_files_named_by_offsets() {
    let kafka = shared_cluster().bootstrap_servers();
    let topic = unique_name("parquet");
    produce(&topic, 2, 10_000).await;
    let out = tempfile::tempdir().unwrap();
    let by_country = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_worker, api) = start_worker(&kafka, dir.path(), &[]).await;
    for (name, target, extra) in [
        ("plain", out.path(), json!({"flush.size": "1000"})),
        ("by-country", by_country.path(), json!({"partition.field": "country"})),
    ] {
        let (code, body) = api
            .put(
                &format!("/connectors/{topic}-{name}/config"),
                Some(sink_config(&topic, target, extra)),
            )
            .await;
        assert_eq!(code, 201, "{body}");
    }
    for target in [out.path(), by_country.path()] {
        eventually(Duration::from_secs(90), "every record in files", || async {
            (row_count(target) == 10_000).then_some(())
        })
        .await;
    }
    // Each partition's files are consecutive offset ranges holding its records in order.
    let written = read_files(out.path());
    assert_eq!(all_files(out.path()).len(), written.len(), "no partial file left");
    for partition in 0..2 {
        let mut next = 0;
        let mut ids = Vec::new();
        for ((_, first, last), rows) in written.range((partition, 0, 0)..(partition + 1, 0, 0)) {
            assert_eq!(*first, next, "partition {partition}: files follow each other");
            assert_eq!(rows.len() as i64, last - first + 1);
            assert!(rows.len() <= 1000, "flush.size caps a file");
            next = last + 1;
            ids.extend(rows.iter().map(|r| r.id));
        }
        let expected: Vec<i64> = (0..10_000).filter(|id| id % 2 == i64::from(partition)).collect();
        let first_difference = ids.iter().zip(&expected).position(|(got, want)| got != want);
        assert!(
            ids.len() == expected.len() && first_difference.is_none(),
            "partition {partition}: {} records where {} were expected, first difference at index {first_difference:?} ({:?} where {:?} was expected)",
            ids.len(),
            expected.len(),
            first_difference.map(|i| &ids[i.saturating_sub(2)..(i + 3).min(ids.len())]),
            first_difference.map(|i| expected[i]),
        );
    }
    // With partition.field, each country's rows are in its own directory.
    for path in files(by_country.path()) {
        let directory = path
            .parent()
            .and_then(|p| p.file_name())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let country = directory.trim_start_matches("country=");
        let (_, rows) = read_file(&path);
        assert!(
            rows.iter().all(|r| r.country.as_deref() == Some(country)),
            "{}",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_the_files_hold_every_offset_exactly_once() {
    const RECORDS: i64 = 100_000;
    let kafka = shared_cluster().bootstrap_servers();
    let topic = unique_name("parquet-crash");
    produce(&topic, 2, RECORDS).await;
    let out = tempfile::tempdir().unwrap();
    let by_country = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({
        "flush.size": "777",
        "consumer.override.max.poll.records": "500",
        "consumer.override.session.timeout.ms": "6000",
    });
    let plain = sink_config(&topic, out.path(), settings.clone());
    let split = sink_config(
        &topic,
        by_country.path(),
        merged(settings, json!({"partition.field": "country"})),
    );
    let connectors = [(topic.clone(), plain), (format!("{topic}-by-country"), split)];
    let mut worker = WorkerProcess::standalone(&kafka, dir.path(), "parquet-worker", 5000).await;
    for (name, config) in &connectors {
        worker.put_connector(name, config).await;
    }
    eventually(Duration::from_secs(60), "some files written", || async {
        (row_count(out.path()) >= 20_000 && row_count(by_country.path()) >= 20_000).then_some(())
    })
    .await;
    worker.kill();
    assert!(row_count(out.path()) < RECORDS as usize, "killed before the end");
    assert!(row_count(by_country.path()) < RECORDS as usize, "killed before the end");
    worker.restart();
    worker.wait_ready().await;
    for (name, config) in &connectors {
        worker.put_connector(name, config).await;
    }
    for target in [out.path(), by_country.path()] {
        eventually(Duration::from_secs(120), "every record in files", || async {
            (row_count(target) >= RECORDS as usize).then_some(())
        })
        .await;
    }
    let files = read_files(out.path());
    assert_eq!(
        files.values().map(Vec::len).sum::<usize>(),
        RECORDS as usize,
        "no record twice"
    );
    for partition in 0..2 {
        let mut next = 0;
        for ((_, first, last), rows) in files.range((partition, 0, 0)..(partition + 1, 0, 0)) {
            assert_eq!(*first, next, "partition {partition}: no gap and no overlap");
            assert_eq!(rows.len() as i64, last - first + 1);
            next = last + 1;
        }
        assert_eq!(next, RECORDS / 2, "partition {partition}: every offset");
    }
    // Split by country, the files still hold every id once.
    let mut ids: Vec<i64> = read_files(by_country.path())
        .values()
        .flat_map(|rows| rows.iter().map(|r| r.id))
        .collect();
    ids.sort_unstable();
    let missing = (0..RECORDS).filter(|id| ids.binary_search(id).is_err()).count();
    assert_eq!(
        (ids.len(), missing),
        (RECORDS as usize, 0),
        "split by country: (ids in files, ids missing)"
    );
}
