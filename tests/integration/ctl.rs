//! `tributary ctl` run as a user runs it (the built binary, a contexts file of its own) against
//! a real Tributary worker, and its read commands against Apache Kafka Connect 4.3.1: what it
//! prints, its exit codes, and what it changed as the worker's REST API shows it.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{eventually, start_worker, Api};
use serde_json::{json, Value};
use tributary_harness::clients::{flush, produce_all, reliable_producer, unique_name};
use tributary_harness::shared_cluster;

const WAIT: Duration = Duration::from_secs(60);

/// What one run of the command printed and returned.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The JSON it printed.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// Runs `tributary ctl ARGS` with `contexts` as its contexts file and no connection settings
/// from the environment.
async fn ctl(contexts: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("ctl")
        .args(args)
        .env("TRIBUTARY_CTL_CONFIG", contexts)
        .env_remove("TRIBUTARY_URL")
        .env_remove("TRIBUTARY_USERNAME")
        .env_remove("TRIBUTARY_PASSWORD")
        .output()
        .await
        .expect("tributary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `tributary ctl ARGS` and expects exit code `code`.
async fn ctl_expect(contexts: &Path, code: i32, args: &[&str]) -> Run {
    let run = ctl(contexts, args).await;
    assert_eq!(
        run.code, code,
        "ctl {args:?}\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    run
}

/// The line of a table whose first cell is `name`, split into cells.
fn row(table: &str, name: &str) -> Vec<String> {
    table
        .lines()
        .map(|line| line.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
}

async fn config_of(api: &Api, name: &str) -> Value {
    api.get(&format!("/connectors/{name}/config")).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_manages_connectors_on_a_tributary_worker() {
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&kafka.bootstrap_servers(), dir.path(), &[]).await;
    let contexts = dir.path().join("ctl.yaml");
    let contexts = contexts.as_path();

    // A context made current is what every later command talks to.
    ctl_expect(
        contexts,
        0,
        &["config", "set-context", "local", "--url", api.base(), "--use"],
    )
    .await;
    let listing = ctl_expect(contexts, 0, &["config", "get-contexts"]).await.stdout;
    assert_eq!(row(&listing, "*"), ["*", "local", api.base()]);
    assert_eq!(
        ctl_expect(contexts, 0, &["config", "current-context"])
            .await
            .stdout
            .trim(),
        "local"
    );

    // A directory of connectors in the three formats: validated first, then applied.
    let (source, sink, second) = (unique_name("ctl-src"), unique_name("ctl-sink"), unique_name("ctl-src2"));
    let topic = unique_name("ctl-lines");
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    std::fs::write(&input, "").unwrap();
    let files = dir.path().join("connectors");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(
        files.join("a.properties"),
        format!(
            "name={source}\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic={topic}\n\
             batch.size=2000\nnote=to be removed\n",
            input.display()
        ),
    )
    .unwrap();
    std::fs::write(
        files.join("b.json"),
        json!({"name": sink, "config": {"connector.class": "FileStreamSink", "tasks.max": 1,
            "file": output.display().to_string(), "topics": topic}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        files.join("c.yaml"),
        format!(
            "apiVersion: kafka.strimzi.io/v1\nkind: KafkaConnector\nmetadata:\n  name: {second}\n  labels:\n    \
             strimzi.io/cluster: local\nspec:\n  class: org.apache.kafka.connect.file.FileStreamSourceConnector\n  \
             tasksMax: 1\n  config:\n    file: {}\n    topic: {topic}-2\n",
            input.display()
        ),
    )
    .unwrap();
    let files = files.display().to_string();
    let checked = ctl_expect(contexts, 0, &["apply", "-f", &files, "--dry-run"])
        .await
        .stdout;
    assert_eq!(checked.matches(" valid").count(), 3, "{checked}");
    assert_eq!(api.get("/connectors").await.1, json!([]), "a dry run creates nothing");
    let applied = ctl_expect(contexts, 0, &["apply", "-f", &files]).await.stdout;
    for name in [&source, &sink, &second] {
        assert!(applied.contains(&format!("connector {name} created")), "{applied}");
        api.wait_for_state(name, "RUNNING", WAIT).await;
    }
    std::fs::write(&input, "one\ntwo\n").unwrap();
    eventually(WAIT, "the lines to reach the sink's file", || async {
        (std::fs::read_to_string(&output).unwrap_or_default() == "one\ntwo\n").then_some(())
    })
    .await;

    // Listing: a table for people, the worker's answer for scripts.
    let table = ctl_expect(contexts, 0, &["get", "connectors"]).await.stdout;
    assert_eq!(
        row(&table, "NAME"),
        ["NAME", "TYPE", "CLASS", "STATE", "TASKS", "WORKER"]
    );
    let line = row(&table, &source);
    assert_eq!(line[1..5], ["source", "FileStreamSource", "RUNNING", "1/1"], "{table}");
    assert_eq!(
        row(&table, &sink)[1..5],
        ["sink", "FileStreamSink", "RUNNING", "1/1"],
        "{table}"
    );
    let listing = ctl_expect(contexts, 0, &["get", "connectors", "-o", "json"])
        .await
        .json();
    assert_eq!(listing[&second]["status"]["connector"]["state"], "RUNNING");
    let yaml = ctl_expect(contexts, 0, &["get", "connectors", "-o", "yaml"])
        .await
        .stdout;
    let listing: Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(listing[&sink]["info"]["type"], "sink");
    let plugins = ctl_expect(contexts, 0, &["get", "plugins"]).await.stdout;
    assert!(
        plugins.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{plugins}"
    );
    let settings = ctl_expect(contexts, 0, &["describe", "plugin", "FileStreamSink"])
        .await
        .stdout;
    assert_eq!(row(&settings, "file")[1], "STRING", "{settings}");

    // Applying again updates; patch changes and removes single settings.
    let again = ctl_expect(contexts, 0, &["apply", "-f", &format!("{files}/a.properties")])
        .await
        .stdout;
    assert_eq!(again.trim(), format!("connector {source} configured"));
    ctl_expect(
        contexts,
        0,
        &["patch", &source, "--set", "batch.size=100", "--unset", "note"],
    )
    .await;
    let config = config_of(&api, &source).await;
    assert_eq!(
        (config["batch.size"].as_str(), config.get("note")),
        (Some("100"), None),
        "{config}"
    );

    // State changes, as REST then shows them.
    ctl_expect(contexts, 0, &["pause", &source, &second]).await;
    api.wait_for_state(&source, "PAUSED", WAIT).await;
    api.wait_for_state(&second, "PAUSED", WAIT).await;
    ctl_expect(contexts, 0, &["resume", &source, &second]).await;
    api.wait_for_state(&source, "RUNNING", WAIT).await;
    ctl_expect(contexts, 0, &["restart", &source, "--tasks"]).await;
    api.wait_for_state(&source, "RUNNING", WAIT).await;

    // Offsets of a stopped sink: shown, reset, and the connector resumed.
    ctl_expect(contexts, 0, &["stop", &sink]).await;
    eventually(WAIT, "the sink to stop", || async {
        let (_, status) = api.get(&format!("/connectors/{sink}/status")).await;
        (status["connector"]["state"] == "STOPPED").then_some(())
    })
    .await;
    let offsets = ctl_expect(contexts, 0, &["get", "offsets", &sink, "-o", "json"])
        .await
        .json();
    assert_eq!(offsets["offsets"][0]["offset"]["kafka_offset"], 2, "{offsets}");
    let shown = ctl_expect(contexts, 0, &["get", "offsets", &sink]).await.stdout;
    assert!(shown.contains(&format!("\"kafka_topic\":\"{topic}\"")), "{shown}");
    ctl_expect(contexts, 0, &["reset", "offsets", &sink]).await;
    let offsets = ctl_expect(contexts, 0, &["get", "offsets", &sink, "-o", "json"])
        .await
        .json();
    assert_eq!(offsets["offsets"], json!([]));
    let moved = dir.path().join("offsets.yaml");
    std::fs::write(
        &moved,
        format!(
            "offsets:\n  - partition: {{kafka_topic: {topic}, kafka_partition: 0}}\n    offset: {{kafka_offset: 1}}\n"
        ),
    )
    .unwrap();
    ctl_expect(
        contexts,
        0,
        &["alter", "offsets", &sink, "-f", &moved.display().to_string()],
    )
    .await;
    let offsets = ctl_expect(contexts, 0, &["get", "offsets", &sink, "-o", "json"])
        .await
        .json();
    assert_eq!(offsets["offsets"][0]["offset"]["kafka_offset"], 1, "{offsets}");
    ctl_expect(contexts, 0, &["resume", &sink]).await;
    api.wait_for_state(&sink, "RUNNING", WAIT).await;
    eventually(WAIT, "the sink to write from offset 1 again", || async {
        (std::fs::read_to_string(&output).unwrap_or_default() == "one\ntwo\ntwo\n").then_some(())
    })
    .await;

    // A failed task: its trace is in `describe`, and a failed-only restart is accepted.
    let poisoned_topic = unique_name("ctl-poison");
    kafka.create_topic(&poisoned_topic, 1, 1).await.unwrap();
    let producer = reliable_producer(&kafka.bootstrap_servers()).unwrap();
    let sent = produce_all(&producer, &poisoned_topic, [(b"k".to_vec(), b"not json".to_vec())], 1).await;
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    flush(&producer).await.unwrap();
    let poisoned = unique_name("ctl-poisoned");
    let poisoned_file = dir.path().join("poisoned.json");
    std::fs::write(
        &poisoned_file,
        json!({"name": poisoned, "connector.class": "FileStreamSink", "topics": poisoned_topic,
            "file": dir.path().join("poisoned.txt").display().to_string(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter"})
        .to_string(),
    )
    .unwrap();
    ctl_expect(contexts, 0, &["apply", "-f", &poisoned_file.display().to_string()]).await;
    api.failed_trace(&poisoned, WAIT).await;
    let described = ctl_expect(contexts, 0, &["describe", "connector", &poisoned])
        .await
        .stdout;
    assert!(described.contains("State:   RUNNING"), "{described}");
    assert!(described.contains("Trace of task 0:"), "{described}");
    assert!(described.contains("serialization error"), "{described}");
    assert_eq!(row(&described, "0")[1], "FAILED", "{described}");
    assert_eq!(row(&described, "topics")[1], poisoned_topic, "{described}");
    ctl_expect(contexts, 0, &["restart", &poisoned, "--tasks", "--failed"]).await;

    // Mistakes: each with its reason and an exit code a script can test.
    let bad = dir.path().join("bad.properties");
    std::fs::write(
        &bad,
        format!(
            "name={}\nconnector.class=FileStreamSink\ntasks.max=none\n",
            unique_name("bad")
        ),
    )
    .unwrap();
    let refused = ctl_expect(contexts, 1, &["apply", "-f", &bad.display().to_string(), "--dry-run"]).await;
    assert!(refused.stderr.contains("tasks.max: "), "{}", refused.stderr);
    let refused = ctl_expect(contexts, 1, &["apply", "-f", &bad.display().to_string()]).await;
    assert!(
        refused.stderr.contains("1 of 1 files were not applied"),
        "{}",
        refused.stderr
    );
    ctl_expect(contexts, 0, &["delete", &second]).await;
    let missing = ctl_expect(contexts, 4, &["delete", &second]).await;
    assert!(missing.stderr.contains(&second), "{}", missing.stderr);
    ctl_expect(contexts, 4, &["describe", "connector", "no-such-connector"]).await;
    let closed = format!("http://127.0.0.1:{}", common::workers::free_port());
    let unreachable = ctl_expect(contexts, 3, &["--url", &closed, "get", "connectors"]).await;
    assert!(
        unreachable.stderr.contains("Connection refused"),
        "{}",
        unreachable.stderr
    );
    ctl_expect(contexts, 1, &["--context", "elsewhere", "get", "connectors"]).await;
    ctl_expect(contexts, 2, &["get", "everything"]).await;

    // Log levels.
    ctl_expect(contexts, 0, &["logs", "level", "tributary_connectors", "debug"]).await;
    let level = ctl_expect(contexts, 0, &["logs", "level", "tributary_connectors"])
        .await
        .stdout;
    assert_eq!(level.trim(), "tributary_connectors DEBUG");
    let loggers = ctl_expect(contexts, 0, &["get", "loggers"]).await.stdout;
    assert_eq!(row(&loggers, "root")[1], "INFO", "{loggers}");

    let script = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(["completion", "bash"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&script.stdout).contains("subcmd__apply"));
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_reads_apache_connect_as_it_reads_tributary() {
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let worker_file = format!(
        "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\noffset.flush.interval.ms=500\n",
        kafka.bootstrap_servers()
    );
    let (_apache, api) = common::workers::start_apache_standalone(kafka, dir.path(), &worker_file);
    let contexts = dir.path().join("ctl.yaml");
    let contexts = contexts.as_path();
    eventually(Duration::from_secs(90), "Apache Connect to serve REST", || async {
        (ctl(contexts, &["--url", api.base(), "get", "connectors"]).await.code == 0).then_some(())
    })
    .await;
    ctl_expect(
        contexts,
        0,
        &["config", "set-context", "apache", "--url", api.base(), "--use"],
    )
    .await;

    let name = unique_name("ctl-apache");
    let topic = unique_name("ctl-apache-lines");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let file = dir.path().join("source.properties");
    std::fs::write(
        &file,
        format!(
            "name={name}\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic={topic}\n",
            input.display()
        ),
    )
    .unwrap();
    let applied = ctl_expect(contexts, 0, &["apply", "-f", &file.display().to_string()])
        .await
        .stdout;
    assert_eq!(applied.trim(), format!("connector {name} created"));
    api.wait_for_state(&name, "RUNNING", Duration::from_secs(90)).await;

    let table = ctl_expect(contexts, 0, &["get", "connectors"]).await.stdout;
    let line = row(&table, &name);
    assert_eq!(line[1..5], ["source", "FileStreamSource", "RUNNING", "1/1"], "{table}");
    let described = ctl_expect(contexts, 0, &["describe", "connector", &name]).await.stdout;
    assert!(described.contains("State:   RUNNING"), "{described}");
    assert_eq!(row(&described, "0")[1], "RUNNING", "{described}");
    assert_eq!(row(&described, "file")[1], input.display().to_string(), "{described}");
    let plugins = ctl_expect(contexts, 0, &["get", "plugins"]).await.stdout;
    assert!(
        plugins.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{plugins}"
    );
    let loggers = ctl_expect(contexts, 0, &["get", "loggers"]).await.stdout;
    assert!(row(&loggers, "root").len() == 2, "{loggers}");
    let offsets = eventually(WAIT, "Apache to commit the source's offsets", || async {
        let offsets = ctl(contexts, &["get", "offsets", &name, "-o", "json"]).await.json();
        (offsets["offsets"][0]["offset"]["position"].as_i64() == Some(6)).then_some(offsets)
    })
    .await;
    assert_eq!(
        offsets["offsets"][0]["partition"]["filename"],
        input.display().to_string()
    );
    ctl_expect(contexts, 0, &["delete", &name]).await;
    assert_eq!(api.get("/connectors").await.1, json!([]));
}
