//! The REST contract, endpoint by endpoint, against a real worker on a real broker: status
//! codes, JSON shapes and error bodies as Apache Kafka Connect gives them.

use crate::common;

use std::time::Duration;

use common::{eventually, start_worker, Api};
use reqwest::Method;
use serde_json::{json, Value};
use tributary_harness::clients::unique_name;
use tributary_harness::shared_cluster;

const WAIT: Duration = Duration::from_secs(30);

async fn setup() -> (
    tributary_runtime::mode::standalone::StandaloneRuntime,
    Api,
    tempfile::TempDir,
) {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&cluster.bootstrap_servers(), dir.path(), &[]).await;
    (runtime, api, dir)
}

fn assert_error(body: &Value, code: u16, fragment: &str) {
    assert_eq!(body["error_code"], code, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(fragment), "message {message:?} lacks {fragment:?}");
}

fn file_source(name: &str, file: &std::path::Path, topic: &str) -> Value {
    json!({"name": name, "config": {
        "connector.class": "FileStreamSource", "file": file.display().to_string(), "topic": topic, "tasks.max": "1"
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_health_metrics_and_unknown_routes() {
    let (runtime, api, _dir) = setup().await;
    let (code, body) = api.get("/").await;
    assert_eq!(code, 200);
    assert!(body["version"].is_string() && body["commit"].is_string());
    assert!(!body["kafka_cluster_id"].as_str().unwrap().is_empty());

    let (code, body) = api.get("/health").await;
    assert_eq!((code, body["status"].as_str()), (200, Some("healthy")));

    let (code, body) = api.get("/metrics").await;
    assert_eq!(code, 200);
    assert!(body.as_str().unwrap().contains("tributary_"), "prometheus text");

    let (code, body) = api.get("/no/such/path").await;
    assert_eq!(code, 404);
    assert_error(&body, 404, "Not Found");
    let (code, body) = api.delete("/connector-plugins").await;
    assert_eq!(code, 405);
    assert_error(&body, 405, "Method Not Allowed");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_listing_config_and_validation() {
    let (runtime, api, _dir) = setup().await;
    let (code, body) = api.get("/connector-plugins").await;
    assert_eq!(code, 200);
    let plugins = body.as_array().unwrap();
    let source = plugins
        .iter()
        .find(|p| p["class"] == "org.apache.kafka.connect.file.FileStreamSourceConnector")
        .expect("file source listed");
    assert_eq!(source["type"], "source");
    assert!(source["version"].is_string());
    assert!(plugins
        .iter()
        .any(|p| p["class"] == "org.apache.kafka.connect.file.FileStreamSinkConnector" && p["type"] == "sink"));
    assert!(
        plugins.iter().all(|p| p["type"] == "source" || p["type"] == "sink"),
        "connectors only by default"
    );

    let (_, all) = api.get("/connector-plugins?connectorsOnly=false").await;
    let all = all.as_array().unwrap();
    let listed = |class: &str, kind: &str| all.iter().any(|p| p["class"] == class && p["type"] == kind);
    // Stand-ins are listed under the names users and tools look for.
    for (class, kind) in [
        ("io.confluent.connect.jdbc.JdbcSourceConnector", "source"),
        ("io.confluent.connect.jdbc.JdbcSinkConnector", "sink"),
        ("io.debezium.connector.postgresql.PostgresConnector", "source"),
    ] {
        assert!(listed(class, kind), "{class} {kind}");
    }
    for class in [
        "io.confluent.connect.avro.AvroConverter",
        "io.confluent.connect.json.JsonSchemaConverter",
        "io.confluent.connect.protobuf.ProtobufConverter",
    ] {
        assert!(
            listed(class, "converter") && listed(class, "header_converter"),
            "{class}"
        );
    }
    for simple in [
        "JsonConverter",
        "ByteArrayConverter",
        "StringConverter",
        "LongConverter",
        "IntegerConverter",
        "ShortConverter",
        "FloatConverter",
        "DoubleConverter",
        "BooleanConverter",
    ] {
        let package = match simple {
            "JsonConverter" => "org.apache.kafka.connect.json",
            "StringConverter" => "org.apache.kafka.connect.storage",
            _ => "org.apache.kafka.connect.converters",
        };
        let class = format!("{package}.{simple}");
        assert!(
            listed(&class, "converter") && listed(&class, "header_converter"),
            "{class}"
        );
    }
    let simple_header = "org.apache.kafka.connect.storage.SimpleHeaderConverter";
    assert!(listed(simple_header, "header_converter") && !listed(simple_header, "converter"));

    let (code, keys) = api.get("/connector-plugins/FileStreamSource/config").await;
    assert_eq!(code, 200);
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    // As Apache: the framework's keys for a source, in their groups, then the plugin's own.
    assert_eq!(&names[..3], ["name", "connector.class", "connector.plugin.version"]);
    assert_eq!(&names[names.len() - 3..], ["file", "topic", "batch.size"]);
    assert!(names.contains(&"exactly.once.support") && names.contains(&"errors.tolerance"));
    let key = |name: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
            .clone()
    };
    let topic = key("topic");
    assert_eq!(
        (topic["type"].as_str(), topic["required"].as_bool(), &topic["group"]),
        (Some("STRING"), Some(true), &Value::Null)
    );
    let file = key("file");
    assert_eq!(
        (&file["default_value"], file["required"].as_bool()),
        (&Value::Null, Some(false))
    );
    let tolerance = key("errors.tolerance");
    assert_eq!(
        (tolerance["group"].as_str(), tolerance["default_value"].as_str()),
        (Some("Error Handling"), Some("none"))
    );
    let (code, body) = api.get("/connector-plugins/NoSuchThing/config").await;
    assert_eq!(code, 404);
    assert_error(&body, 404, "NoSuchThing");

    // Validation answers 200 even with errors, one message on each bad key.
    let (code, result) = api
        .put(
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "zero"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        result["name"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    assert_eq!(result["error_count"], 3, "{result}");
    let errors_of = |key: &str| -> Vec<String> {
        result["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| {
                c["value"]["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(errors_of("topic")[0].contains("Missing required configuration \"topic\""));
    assert!(errors_of("name")[0].contains("Missing required configuration \"name\""));
    assert!(errors_of("tasks.max")[0].contains("Not a number of type INT"));
    let definition = &result["configs"][0]["definition"];
    for field in [
        "name",
        "type",
        "required",
        "default_value",
        "importance",
        "documentation",
        "group",
        "order_in_group",
        "width",
        "display_name",
        "dependents",
    ] {
        assert!(definition.get(field).is_some(), "definition has {field}: {definition}");
    }

    let (code, body) = api
        .put(
            "/connector-plugins/FileStreamSource/config/validate",
            Some(json!({"connector.class": "FileStreamSink"})),
        )
        .await;
    assert_eq!(code, 400);
    assert_error(&body, 400, "does not match request type");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_errors_have_apache_codes() {
    let (runtime, api, dir) = setup().await;
    let (code, _, _) = api.raw(Method::POST, "/connectors", Some("{not json".into())).await;
    assert_eq!(code, 400);
    let (code, body, _) = api.raw(Method::POST, "/connectors", Some("{not json".into())).await;
    assert_error(&body, code, "Invalid JSON");

    let (code, body) = api
        .post(
            "/connectors",
            json!({"name": "bad", "config": {"connector.class": "FileStreamSource"}}),
        )
        .await;
    assert_eq!(code, 400);
    assert_error(
        &body,
        400,
        "Connector configuration is invalid and contains the following 1 error(s):",
    );
    assert_error(&body, 400, "Missing required configuration \"topic\"");

    let (code, body) = api
        .post(
            "/connectors",
            json!({"name": "bad", "config": {"connector.class": "com.example.Nope"}}),
        )
        .await;
    assert_eq!(code, 400);
    assert_error(&body, 400, "Class com.example.Nope could not be found");

    let (code, body) = api
        .post(
            "/connectors",
            json!({"name": "", "config": {"connector.class": "FileStreamSource", "topic": "t"}}),
        )
        .await;
    assert_eq!(code, 400);
    assert_error(&body, 400, "name");

    let name = unique_name("dup");
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "").unwrap();
    let (code, _) = api
        .post("/connectors", file_source(&name, &file, &unique_name("t")))
        .await;
    assert_eq!(code, 201);
    let (code, body) = api
        .post("/connectors", file_source(&name, &file, &unique_name("t")))
        .await;
    assert_eq!(code, 409);
    assert_error(&body, 409, &format!("Connector {name} already exists"));

    for path in [
        "/connectors/nope",
        "/connectors/nope/config",
        "/connectors/nope/status",
        "/connectors/nope/tasks",
        "/connectors/nope/offsets",
        "/connectors/nope/topics",
    ] {
        let (code, body) = api.get(path).await;
        assert_eq!(code, 404, "{path}");
        assert_error(&body, 404, "Connector nope not found");
    }
    for path in [
        "/connectors/nope/pause",
        "/connectors/nope/resume",
        "/connectors/nope/stop",
    ] {
        assert_eq!(api.put(path, None).await.0, 404, "{path}");
    }
    assert_eq!(api.post("/connectors/nope/restart", json!({})).await.0, 404);
    assert_eq!(api.delete("/connectors/nope").await.0, 404);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_lifecycle_over_rest() {
    let (runtime, api, dir) = setup().await;
    let name = unique_name("life");
    let topic = unique_name("life-topic");
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "one\ntwo\nthree\n").unwrap();

    let (code, info, headers) = api
        .raw(
            Method::POST,
            "/connectors",
            Some(file_source(&name, &file, &topic).to_string()),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(
        headers["location"],
        format!("{}/connectors/{name}", api.base()).as_str()
    );
    assert_eq!(info["name"], name.as_str());
    assert_eq!(info["type"], "source");
    assert_eq!(info["config"]["name"], name.as_str());
    assert_eq!(info["tasks"], json!([{"connector": name, "task": 0}]));

    let status = api.wait_for_state(&name, "RUNNING", WAIT).await;
    assert_eq!(status["name"], name.as_str());
    assert_eq!(status["type"], "source");
    let port = runtime.rest_address().port();
    assert_eq!(status["connector"]["worker_id"], format!("127.0.0.1:{port}").as_str());
    assert!(status["connector"].get("trace").is_none(), "no trace when healthy");
    // Apache 4.x reports the plugin's version with each state.
    let (_, plugins) = api.get("/connector-plugins").await;
    let version = plugins[0]["version"].clone();
    assert!(version.is_string(), "{plugins}");
    assert_eq!(status["connector"]["version"], version);
    assert_eq!(status["tasks"][0]["version"], version);

    let (code, list) = api.get("/connectors").await;
    assert_eq!(code, 200);
    assert!(list.as_array().unwrap().contains(&json!(name)));
    let (_, expanded) = api.get("/connectors?expand=status&expand=info").await;
    assert_eq!(expanded[&name]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(expanded[&name]["info"]["type"], "source");

    let (code, config) = api.get(&format!("/connectors/{name}/config")).await;
    assert_eq!(code, 200);
    assert_eq!(config["topic"], topic.as_str());

    let (code, tasks) = api.get(&format!("/connectors/{name}/tasks")).await;
    assert_eq!(code, 200);
    assert_eq!(tasks[0]["id"], json!({"connector": name, "task": 0}));
    assert_eq!(tasks[0]["config"]["topic"], topic.as_str());
    let (code, task) = api.get(&format!("/connectors/{name}/tasks/0/status")).await;
    assert_eq!(
        (code, task["id"].as_u64(), task["state"].as_str()),
        (200, Some(0), Some("RUNNING"))
    );
    assert_eq!(api.get(&format!("/connectors/{name}/tasks/7/status")).await.0, 404);

    // Source offsets appear once the lines are acknowledged and flushed.
    let offsets = eventually(WAIT, "offsets", || async {
        let (_, body) = api.get(&format!("/connectors/{name}/offsets")).await;
        let first = body["offsets"].get(0).cloned()?;
        (first["offset"]["position"] == 14).then_some(first)
    })
    .await;
    assert_eq!(offsets["partition"]["filename"], file.display().to_string().as_str());

    let (code, topics) = api.get(&format!("/connectors/{name}/topics")).await;
    assert_eq!(code, 200);
    assert_eq!(topics, json!({name.clone(): {"topics": [topic.clone()]}}));
    assert_eq!(api.put(&format!("/connectors/{name}/topics/reset"), None).await.0, 202);
    assert_eq!(
        api.get(&format!("/connectors/{name}/topics")).await.1[&name]["topics"],
        json!([])
    );

    assert_eq!(api.put(&format!("/connectors/{name}/pause"), None).await.0, 202);
    api.wait_for_state(&name, "PAUSED", WAIT).await;
    assert_eq!(api.put(&format!("/connectors/{name}/resume"), None).await.0, 202);
    api.wait_for_state(&name, "RUNNING", WAIT).await;

    assert_eq!(api.post(&format!("/connectors/{name}/restart"), json!({})).await.0, 204);
    let (code, restarted) = api
        .post(&format!("/connectors/{name}/restart?includeTasks=true"), json!({}))
        .await;
    assert_eq!(code, 202);
    assert_eq!(restarted["connector"]["state"], "RESTARTING");
    assert_eq!(restarted["tasks"][0]["state"], "RESTARTING");
    api.wait_for_state(&name, "RUNNING", WAIT).await;
    assert_eq!(
        api.post(&format!("/connectors/{name}/tasks/0/restart"), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        api.post(&format!("/connectors/{name}/tasks/5/restart"), json!({}))
            .await
            .0,
        404
    );
    api.wait_for_state(&name, "RUNNING", WAIT).await;

    // Offsets may only change while STOPPED.
    let new_offsets =
        json!({"offsets": [{"partition": {"filename": file.display().to_string()}, "offset": {"position": 4}}]});
    let (code, body) = api
        .patch(&format!("/connectors/{name}/offsets"), new_offsets.clone())
        .await;
    assert_eq!(code, 400);
    assert_error(&body, 400, "STOPPED state");

    assert_eq!(api.put(&format!("/connectors/{name}/stop"), None).await.0, 204);
    let (_, stopped) = api.get(&format!("/connectors/{name}/status")).await;
    assert_eq!(stopped["connector"]["state"], "STOPPED");
    assert_eq!(stopped["tasks"], json!([]));
    assert_eq!(api.get(&format!("/connectors/{name}/tasks")).await.1, json!([]));
    // The connector refuses offsets it could never use, as Apache's alterOffsets does.
    let filename = file.display().to_string();
    for (offsets, reason) in [
        (
            json!([{"partition": {"file": filename}, "offset": {"position": 4}}]),
            "should contain the key 'filename'",
        ),
        (
            json!([{"partition": {"filename": filename}, "offset": {"position": "seven"}}]),
            "expected to be a Long value",
        ),
        (
            json!([{"partition": {"filename": filename}, "offset": {"position": -1}}]),
            "non-negative",
        ),
        (
            json!([{"partition": {"filename": filename}, "offset": {"line": 4}}]),
            "contain the key 'position'",
        ),
    ] {
        let (code, body) = api
            .patch(&format!("/connectors/{name}/offsets"), json!({"offsets": offsets}))
            .await;
        assert_eq!(code, 400, "{offsets}: {body}");
        assert_error(&body, 400, reason);
    }
    let (code, body) = api.patch(&format!("/connectors/{name}/offsets"), new_offsets).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["message"],
        "The offsets for this connector have been altered successfully"
    );
    assert_eq!(
        api.get(&format!("/connectors/{name}/offsets")).await.1["offsets"][0]["offset"]["position"],
        4
    );
    let (code, body) = api.delete(&format!("/connectors/{name}/offsets")).await;
    assert_eq!(code, 200);
    assert_eq!(
        body["message"],
        "The offsets for this connector have been reset successfully"
    );
    assert_eq!(
        api.get(&format!("/connectors/{name}/offsets")).await.1["offsets"],
        json!([])
    );
    assert_eq!(api.put(&format!("/connectors/{name}/resume"), None).await.0, 202);
    api.wait_for_state(&name, "RUNNING", WAIT).await;

    // PUT config updates (200), PATCH merges and removes nulls.
    let mut config = config.as_object().unwrap().clone();
    config.insert("batch.size".into(), json!("10"));
    let (code, updated) = api
        .put(&format!("/connectors/{name}/config"), Some(Value::Object(config)))
        .await;
    assert_eq!(code, 200);
    assert_eq!(updated["config"]["batch.size"], "10");
    let (code, patched) = api
        .patch(
            &format!("/connectors/{name}/config"),
            json!({"batch.size": null, "tasks.max": 1}),
        )
        .await;
    assert_eq!(code, 200);
    assert!(patched["config"].get("batch.size").is_none());
    assert_eq!(patched["config"]["tasks.max"], "1");
    let (code, body) = api
        .put(
            &format!("/connectors/{name}/config"),
            Some(json!({"name": "other", "connector.class": "FileStreamSource", "topic": "t"})),
        )
        .await;
    assert_eq!(code, 400);
    assert_error(&body, 400, "doesn't match connector name in the URL");

    assert_eq!(api.delete(&format!("/connectors/{name}")).await.0, 204);
    assert_eq!(api.get(&format!("/connectors/{name}")).await.0, 404);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_creates_and_initial_state_is_honoured() {
    let (runtime, api, dir) = setup().await;
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "").unwrap();
    let name = unique_name("put");
    let (code, info) = api
        .put(
            &format!("/connectors/{name}/config"),
            Some(json!({"connector.class": "FileStreamSource", "file": file.display().to_string(), "topic": unique_name("t")})),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(info["name"], name.as_str());

    let paused = unique_name("paused");
    let mut body = file_source(&paused, &file, &unique_name("t"));
    body["initial_state"] = json!("PAUSED");
    assert_eq!(api.post("/connectors", body).await.0, 201);
    // As Apache: created PAUSED, the connector makes no tasks until it is resumed.
    let status = eventually(WAIT, "the connector PAUSED", || async {
        let (_, status) = api.get(&format!("/connectors/{paused}/status")).await;
        (status["connector"]["state"] == "PAUSED").then_some(status)
    })
    .await;
    assert_eq!(status["tasks"], json!([]));
    assert_eq!(api.get(&format!("/connectors/{paused}/tasks")).await.1, json!([]));
    assert_eq!(api.put(&format!("/connectors/{paused}/resume"), None).await.0, 202);
    api.wait_for_state(&paused, "RUNNING", WAIT).await;

    let stopped = unique_name("stopped");
    let mut body = file_source(&stopped, &file, &unique_name("t"));
    body["initial_state"] = json!("STOPPED");
    assert_eq!(api.post("/connectors", body).await.0, 201);
    let (_, status) = api.get(&format!("/connectors/{stopped}/status")).await;
    assert_eq!(status["connector"]["state"], "STOPPED");

    let mut body = file_source(&unique_name("x"), &file, "t");
    body["initial_state"] = json!("SLEEPING");
    assert_eq!(api.post("/connectors", body).await.0, 400);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_offsets_are_kafka_positions() {
    let (runtime, api, dir) = setup().await;
    let cluster = shared_cluster();
    let topic = unique_name("sink-offsets");
    cluster.create_topic(&topic, 2, 1).await.unwrap();
    let producer = tributary_harness::clients::reliable_producer(&cluster.bootstrap_servers()).unwrap();
    let records = (0..10).map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes()));
    assert!(tributary_harness::clients::produce_all(&producer, &topic, records, 10)
        .await
        .iter()
        .all(Result::is_ok));
    let name = unique_name("sink");
    let out = dir.path().join("out.txt");
    let (code, _) = api
        .post(
            "/connectors",
            json!({"name": name, "config": {"connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}}),
        )
        .await;
    assert_eq!(code, 201);
    let offsets = eventually(WAIT, "sink offsets committed", || async {
        let (_, body) = api.get(&format!("/connectors/{name}/offsets")).await;
        let entries = body["offsets"].as_array().cloned().unwrap_or_default();
        let total: i64 = entries
            .iter()
            .map(|e| e["offset"]["kafka_offset"].as_i64().unwrap_or(0))
            .sum();
        (total == 10).then_some(entries)
    })
    .await;
    for entry in offsets {
        assert_eq!(entry["partition"]["kafka_topic"], topic.as_str());
        assert!(entry["partition"]["kafka_partition"].is_i64());
    }
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 10);

    // Reset as Strimzi's `strimzi.io/connector-offsets: reset` does it: stop, delete, resume;
    // the group's offsets are gone and the sink reads the topic again from the start.
    assert_eq!(api.put(&format!("/connectors/{name}/stop"), None).await.0, 204);
    eventually(WAIT, "the sink to be STOPPED", || async {
        let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
        (status["connector"]["state"] == "STOPPED").then_some(())
    })
    .await;
    for _ in 0..2 {
        let (code, body) = api.delete(&format!("/connectors/{name}/offsets")).await;
        assert_eq!(code, 200, "a reset (and a second one) succeeds: {body}");
        assert_eq!(
            body["message"],
            "The offsets for this connector have been reset successfully"
        );
    }
    let (_, body) = api.get(&format!("/connectors/{name}/offsets")).await;
    assert_eq!(body, json!({"offsets": []}));
    assert_eq!(api.put(&format!("/connectors/{name}/resume"), None).await.0, 202);
    eventually(WAIT, "the sink to write every record again", || async {
        let lines = std::fs::read_to_string(&out).unwrap_or_default().lines().count();
        (lines == 20).then_some(())
    })
    .await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_loggers() {
    let (runtime, api, _dir) = setup().await;
    let (code, loggers) = api.get("/admin/loggers").await;
    assert_eq!(code, 200);
    assert_eq!(loggers["root"]["level"], "INFO");
    let (code, body) = api
        .put("/admin/loggers/tributary_runtime", Some(json!({"level": "DEBUG"})))
        .await;
    assert_eq!((code, body), (200, json!(["tributary_runtime"])));
    let (code, logger) = api.get("/admin/loggers/tributary_runtime").await;
    assert_eq!(code, 200);
    assert_eq!(logger["level"], "DEBUG");
    assert!(logger["last_modified"].is_i64());
    assert_eq!(
        api.put("/admin/loggers/x?scope=cluster", Some(json!({"level": "WARN"})))
            .await
            .0,
        204
    );
    assert_eq!(api.put("/admin/loggers/x", Some(json!({"level": "LOUD"}))).await.0, 404);
    assert_eq!(api.put("/admin/loggers/x", Some(json!({}))).await.0, 400);
    assert_eq!(api.get("/admin/loggers/never-set").await.0, 404);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_must_be_json_and_names_printable() {
    let (runtime, api, dir) = setup().await;
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let body = file_source("typed", &input, &unique_name("typed")).to_string();
    let client = reqwest::Client::new();
    // A body as text, as a form, or without a content type: 415, as Apache's resources answer,
    // and nothing is created (a web page can send these without the browser asking first).
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut request = client.post(format!("{}/connectors", api.base())).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 415, "{content_type:?}");
        let error: Value = answer.json().await.unwrap();
        assert_error(&error, 415, "Unsupported Media Type");
    }
    assert_eq!(api.get("/connectors/typed").await.0, 404);
    let answer = client
        .post(format!("{}/connectors", api.base()))
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    // Requests without a body need no content type.
    let answer = client
        .put(format!("{}/connectors/typed/pause", api.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);

    // Control characters (Apache's name validator) and names no URL can address: 400, nothing
    // created.
    for name in ["forged\nINFO all is well", "tab\there", ".", ".."] {
        let (code, body) = api
            .post("/connectors", file_source(name, &input, &unique_name("named")))
            .await;
        assert_eq!(code, 400, "{name:?}: {body}");
        assert_eq!(body["error_code"], 400, "{body}");
    }
    let (_, names) = api.get("/connectors").await;
    assert_eq!(names, json!(["typed"]));
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_a_trailing_slash_are_served_as_apache_serves_them() {
    // Strimzi's operator lists `/admin/loggers/` and kcctl creates through `/connectors/`.
    let (runtime, api, dir) = setup().await;
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let name = unique_name("slash");
    let (code, body) = api
        .post("/connectors/", file_source(&name, &input, &unique_name("t")))
        .await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = api.get("/connectors/").await;
    assert_eq!((code, body), (200, json!([name])));
    api.wait_for_state(&name, "RUNNING", WAIT).await;
    for path in [
        "/connector-plugins/".to_string(),
        "/admin/loggers/".to_string(),
        format!("/connectors/{name}/"),
        format!("/connectors/{name}/status/"),
        format!("/connectors/{name}/tasks/"),
        format!("/connectors/{name}/tasks/0/status/"),
    ] {
        let (code, body) = api.get(&path).await;
        assert_eq!(code, 200, "{path}: {body}");
    }
    let (code, _) = api.put(&format!("/connectors/{name}/pause/"), None).await;
    assert_eq!(code, 202);
    let (code, body) = api.get("/").await;
    assert_eq!(code, 200, "{body}");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_topics_regex_matches_whole_topic_names() {
    let (runtime, api, dir) = setup().await;
    let cluster = shared_cluster();
    let topic = unique_name("orders");
    let dlq = format!("{topic}-dlq");
    cluster.create_topic(&topic, 1, 1).await.unwrap();
    cluster.create_topic(&dlq, 1, 1).await.unwrap();
    let producer = tributary_harness::clients::reliable_producer(&cluster.bootstrap_servers()).unwrap();
    let send = |topic: String, prefix: &'static str| {
        let producer = producer.clone();
        async move {
            let records = (0..3).map(move |i| (b"k".to_vec(), format!("{prefix}{i}").into_bytes()));
            let sent = tributary_harness::clients::produce_all(&producer, &topic, records, 3).await;
            assert!(sent.iter().all(Result::is_ok));
        }
    };
    send(dlq.clone(), "dlq-").await;
    send(topic.clone(), "first-").await;
    let name = unique_name("regex-sink");
    let out = dir.path().join("out.txt");
    let (code, body) = api
        .post(
            "/connectors",
            json!({"name": name, "config": {"connector.class": "FileStreamSink", "topics.regex": topic,
                "file": out.display().to_string(),
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let lines = |wanted: usize| {
        let out = out.clone();
        async move {
            eventually(WAIT, "the sink's lines", || async {
                let text = std::fs::read_to_string(&out).unwrap_or_default();
                (text.lines().filter(|l| !l.starts_with("dlq-")).count() == wanted).then_some(text)
            })
            .await
        }
    };
    lines(3).await;
    // More records on the matching topic: the other topic's older ones would be read by now.
    send(topic.clone(), "second-").await;
    let text = lines(6).await;
    assert!(!text.contains("dlq-"), "{dlq} matched topics.regex={topic}: {text}");
    let offsets = eventually(WAIT, "the sink's offsets committed", || async {
        let (_, offsets) = api.get(&format!("/connectors/{name}/offsets")).await;
        let committed: i64 = offsets["offsets"]
            .as_array()?
            .iter()
            .filter_map(|e| e["offset"]["kafka_offset"].as_i64())
            .sum();
        (committed == 6).then_some(offsets)
    })
    .await;
    let topics: Vec<&str> = offsets["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["partition"]["kafka_topic"].as_str())
        .collect();
    assert_eq!(topics, [topic.as_str()], "{offsets}");
    runtime.shutdown().await;
}

/// `topic.tracking.enable=false` turns the topic endpoints off, and
/// `topic.tracking.allow.reset=false` the reset alone, with Apache's 403 answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_tracking_can_be_turned_off_or_its_reset_refused() {
    tributary_connectors::link();
    let cluster = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "one\n").unwrap();
    for (setting, get_refused, reset_refused) in [
        (
            "topic.tracking.enable",
            Some("Topic tracking is disabled."),
            "Topic tracking is disabled.",
        ),
        ("topic.tracking.allow.reset", None, "Topic tracking reset is disabled."),
    ] {
        let worker_dir = dir.path().join(setting);
        std::fs::create_dir(&worker_dir).unwrap();
        let (runtime, api) = start_worker(&cluster.bootstrap_servers(), &worker_dir, &[(setting, "false")]).await;
        let (name, topic) = (unique_name("tracked"), unique_name("tracked-topic"));
        assert_eq!(api.post("/connectors", file_source(&name, &file, &topic)).await.0, 201);
        api.wait_for_state(&name, "RUNNING", WAIT).await;
        let path = format!("/connectors/{name}/topics");
        match get_refused {
            Some(message) => {
                let (code, body) = api.get(&path).await;
                assert_eq!((code, body), (403, json!({"error_code": 403, "message": message})));
            }
            None => {
                eventually(WAIT, "the topic tracked", || async {
                    let (_, body) = api.get(&path).await;
                    (body[&name]["topics"] == json!([topic.clone()])).then_some(())
                })
                .await;
            }
        }
        let (code, body) = api.put(&format!("{path}/reset"), None).await;
        assert_eq!(
            (code, body),
            (403, json!({"error_code": 403, "message": reset_refused}))
        );
        runtime.shutdown().await;
    }
}
