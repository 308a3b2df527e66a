//! The web console at `/ui`, used in a real headless Chromium as a person uses it: the
//! connectors listed with their states, a connector created through the form (validated as
//! it is filled in), paused from its page, a failed task's trace shown, live throughput drawn;
//! no console error on any page; the read-only mode and the setting that turns it off.
//!
//! `CONSOLE_SCREENSHOTS=<dir>` saves the pages' screenshots there (docs/ holds the latest).

use crate::common;

use std::time::Duration;

use common::{eventually, start_worker, Api};
use serde_json::json;
use tributary_harness::clients::{flush, produce_all, reliable_producer, unique_name};
use tributary_harness::fantoccini::{Client, Locator};
use tributary_harness::{shared_cluster, Browser};

const WAIT: Duration = Duration::from_secs(60);

/// The text of the first element matching `css`, once `check` accepts it (the page
/// re-renders every 2 s, so elements are looked up again on every try).
async fn text_when(client: &Client, css: &str, check: impl Fn(&str) -> bool) -> String {
    eventually(WAIT, &format!("{css} to show the expected text"), || async {
        let text = client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        check(&text).then_some(text)
    })
    .await
}

/// Clicks the element matching `css` (again if it was re-rendered under the click).
async fn click(client: &Client, css: &str) {
    eventually(WAIT, &format!("a click on {css}"), || async {
        client.find(Locator::Css(css)).await.ok()?.click().await.ok()
    })
    .await;
}

/// Saves a screenshot of the page as `name`.png when CONSOLE_SCREENSHOTS names a folder.
async fn screenshot(client: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("CONSOLE_SCREENSHOTS") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn state_of(api: &Api, name: &str) -> String {
    let (_, status) = api.get(&format!("/connectors/{name}/status")).await;
    status["connector"]["state"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_lists_creates_pauses_and_explains_connectors_in_a_real_browser() {
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let bootstrap = kafka.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&bootstrap, dir.path(), &[]).await;

    // A sink whose task fails on a record its converter cannot read.
    let poisoned_topic = unique_name("console-poison");
    kafka.create_topic(&poisoned_topic, 1, 1).await.unwrap();
    let producer = reliable_producer(&bootstrap).unwrap();
    let sent = produce_all(&producer, &poisoned_topic, [(b"k".to_vec(), b"not json".to_vec())], 1).await;
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");
    flush(&producer).await.unwrap();
    let poisoned = unique_name("console-poisoned");
    let config = json!({"connector.class": "FileStreamSink", "topics": poisoned_topic,
        "file": dir.path().join("poisoned.txt").display().to_string(),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter"});
    assert_eq!(
        api.put(&format!("/connectors/{poisoned}/config"), Some(config)).await.0,
        201
    );
    api.failed_trace(&poisoned, WAIT).await;

    let browser = Browser::start(dir.path()).await.unwrap();
    let client = &browser.client;
    client.goto(&format!("{}/ui", api.base())).await.unwrap();
    let row = format!("tr[data-connector=\"{poisoned}\"]");
    text_when(client, &format!("{row} td.tasks"), |t| {
        t.starts_with("0/1") && t.ends_with("1 failed")
    })
    .await;
    text_when(client, &format!("{row} .state"), |t| t == "RUNNING").await;

    // A new file source through the form: errors shown per field until it is complete.
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let source = unique_name("console-src");
    let topic = unique_name("console-lines");
    click(client, "a[href=\"#/new\"]").await;
    let plugin = client.wait().for_element(Locator::Css("select#plugin")).await.unwrap();
    plugin
        .select_by_value("org.apache.kafka.connect.file.FileStreamSourceConnector")
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("input[name=\"topic\"]"))
        .await
        .unwrap();
    client
        .find(Locator::Css("input#name"))
        .await
        .unwrap()
        .send_keys(&source)
        .await
        .unwrap();
    let missing = text_when(client, "[data-field=\"topic\"] .error", |t| !t.is_empty()).await;
    assert!(missing.contains("topic"), "{missing}");
    text_when(client, "#validation-summary", |t| t.contains("not valid")).await;
    screenshot(client, "console-new-connector").await;
    let field = |name: &'static str| async move {
        client
            .find(Locator::Css(&format!("input[name=\"{name}\"]")))
            .await
            .unwrap()
    };
    field("topic").await.send_keys(&topic).await.unwrap();
    field("file")
        .await
        .send_keys(&input.display().to_string())
        .await
        .unwrap();
    text_when(client, "#validation-summary", |t| t == "Valid.").await;
    click(client, "#create").await;
    text_when(client, "#connector-state", |t| t == "RUNNING").await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with(&format!("#/connectors/{source}")));
    api.wait_for_state(&source, "RUNNING", WAIT).await;
    let (_, created) = api.get(&format!("/connectors/{source}/config")).await;
    assert_eq!(
        (created["topic"].as_str(), created["file"].as_str()),
        (Some(topic.as_str()), input.to_str())
    );

    // Records moving show as a throughput line on the task's row.
    let lines: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(&input, &lines).unwrap();
    eventually(WAIT, "a throughput line on the source's task", || async {
        let mut more = std::fs::OpenOptions::new().append(true).open(&input).ok()?;
        std::io::Write::write_all(&mut more, lines.as_bytes()).ok()?;
        client
            .find(Locator::Css("tr[data-task=\"0\"] svg.spark polyline"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    screenshot(client, "console-connector").await;

    // Pause, behind a confirmation.
    click(client, "button[data-action=\"pause\"]").await;
    click(client, "#confirm-ok").await;
    eventually(WAIT, "the source PAUSED over REST", || async {
        (state_of(&api, &source).await == "PAUSED").then_some(())
    })
    .await;
    text_when(client, "#connector-state", |t| t == "PAUSED").await;
    click(client, "header a[href=\"#/\"]").await;
    text_when(client, &format!("tr[data-connector=\"{source}\"] .state"), |t| {
        t == "PAUSED"
    })
    .await;
    screenshot(client, "console-connectors").await;

    // A failed task's trace on its connector's page.
    client
        .goto(&format!("{}/ui#/connectors/{poisoned}", api.base()))
        .await
        .unwrap();
    let trace = text_when(client, "pre.trace[data-task=\"0\"]", |t| !t.is_empty()).await;
    assert!(trace.contains("serialization error"), "{trace}");
    text_when(client, "tr[data-task=\"0\"] .state", |t| t == "FAILED").await;
    screenshot(client, "console-failed-task").await;

    // A mirror's first copy shows as progress on its task.
    let mirror = unique_name("console-mirror");
    let config = json!({"connector.class": "MirrorSourceConnector", "source.cluster.alias": "here",
        "target.cluster.alias": "there", "source.cluster.bootstrap.servers": bootstrap,
        "target.cluster.bootstrap.servers": bootstrap, "topics": topic, "replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1", "sync.topic.acls.enabled": "false",
        "refresh.topics.interval.seconds": "1"});
    assert_eq!(
        api.put(&format!("/connectors/{mirror}/config"), Some(config)).await.0,
        201
    );
    client
        .goto(&format!("{}/ui#/connectors/{mirror}", api.base()))
        .await
        .unwrap();
    let progress = text_when(client, "tr[data-task=\"0\"] td.progress", |t| {
        t.starts_with("catch-up: done (")
    })
    .await;
    let copied: u64 = progress
        .trim_start_matches("catch-up: done (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(copied >= 2000, "{progress}");

    let severe: Vec<_> = browser
        .console_messages()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m["level"] == "SEVERE")
        .collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");
    browser.close().await;
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_console_offers_no_action_and_the_console_can_be_turned_off() {
    let kafka = tokio::task::spawn_blocking(shared_cluster).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (read_only, api) = start_worker(&kafka.bootstrap_servers(), dir.path(), &[("ui.read.only", "true")]).await;
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let name = unique_name("console-ro");
    let config = json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": unique_name("console-ro")});
    assert_eq!(
        api.put(&format!("/connectors/{name}/config"), Some(config)).await.0,
        201
    );
    api.wait_for_state(&name, "RUNNING", WAIT).await;

    let browser = Browser::start(dir.path()).await.unwrap();
    let client = &browser.client;
    client
        .goto(&format!("{}/ui#/connectors/{name}", api.base()))
        .await
        .unwrap();
    text_when(client, "#connector-state", |t| t == "RUNNING").await;
    for css in [
        "button[data-action=\"pause\"]",
        "button[data-action=\"delete\"]",
        "#nav-new",
    ] {
        let shown = client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap();
        assert!(!shown, "{css} is offered by a read-only console");
    }
    client.goto(&format!("{}/ui#/new", api.base())).await.unwrap();
    text_when(client, "#view .notice", |t| t.contains("read-only")).await;
    browser.close().await;
    read_only.shutdown().await;

    let off = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(&kafka.bootstrap_servers(), off.path(), &[("ui.enabled", "false")]).await;
    assert_eq!(api.get("/ui").await.0, 404);
    runtime.shutdown().await;
}
