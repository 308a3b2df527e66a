//! Every rule of [`super`], without a cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::conditions::status_changed;
use crate::kafka_connector::spec::{AlterOffsets, ConfigMapReference, ListOffsets};

fn spec(value: serde_json::Value) -> KafkaConnectorSpec {
    serde_json::from_value(value).unwrap()
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn the_desired_config_is_strimzis_comparison_set() {
    let spec = spec(json!({
        "class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasksMax": 2,
        "version": "4.3.1",
        "config": {"file": "/opt/kafka/LICENSE", "topic": "my-topic", "batch.size": 100,
                   "enabled": true, "tasks.max": 9, "name": "other", "nothing": null}
    }));
    assert_eq!(
        desired_config("my-source-connector", &spec).unwrap(),
        strings(&[
            ("batch.size", "100"),
            (
                "connector.class",
                "org.apache.kafka.connect.file.FileStreamSourceConnector"
            ),
            ("connector.plugin.version", "4.3.1"),
            ("enabled", "true"),
            ("file", "/opt/kafka/LICENSE"),
            ("name", "my-source-connector"),
            ("tasks.max", "2"),
            ("topic", "my-topic"),
        ])
    );
    let no_class = desired_config("x", &KafkaConnectorSpec::default()).unwrap_err();
    assert!(no_class.contains("spec.class"), "{no_class}");
}

#[test]
fn config_is_created_updated_or_kept() {
    let desired = strings(&[("name", "c"), ("topic", "t")]);
    assert_eq!(config_step(&desired, None), ConfigStep::Create);
    assert_eq!(config_step(&desired, Some(&desired)), ConfigStep::Keep);
    // Changed over REST behind the operator's back, or in the resource.
    let changed = strings(&[("name", "c"), ("topic", "other")]);
    assert_eq!(config_step(&desired, Some(&changed)), ConfigStep::Update);
    let extra = strings(&[("name", "c"), ("topic", "t"), ("added", "over REST")]);
    assert_eq!(config_step(&desired, Some(&extra)), ConfigStep::Update);
}

#[test]
fn state_follows_spec_state_then_the_deprecated_pause() {
    assert_eq!(target_state(&spec(json!({}))), ConnectorState::Running);
    assert_eq!(target_state(&spec(json!({"pause": true}))), ConnectorState::Paused);
    assert_eq!(target_state(&spec(json!({"pause": false}))), ConnectorState::Running);
    assert_eq!(
        target_state(&spec(json!({"state": "stopped", "pause": true}))),
        ConnectorState::Stopped
    );
    assert_eq!(
        target_state(&spec(json!({"state": "running", "pause": true}))),
        ConnectorState::Running
    );
}

#[test]
fn state_changes_as_strimzi_makes_them() {
    use ConnectorState::{Paused, Running, Stopped};
    let cases = [
        ("RUNNING", Running, None),
        ("RUNNING", Paused, Some(StateChange::Pause)),
        ("RUNNING", Stopped, Some(StateChange::Stop)),
        ("PAUSED", Running, Some(StateChange::Resume)),
        ("PAUSED", Paused, None),
        ("PAUSED", Stopped, Some(StateChange::Stop)),
        ("STOPPED", Running, Some(StateChange::Resume)),
        ("STOPPED", Paused, Some(StateChange::Pause)),
        ("STOPPED", Stopped, None),
        ("FAILED", Running, None),
        ("FAILED", Stopped, Some(StateChange::Stop)),
        ("UNASSIGNED", Paused, None),
        ("RESTARTING", Stopped, None),
    ];
    for (actual, target, expected) in cases {
        assert_eq!(state_step(target, actual), Ok(expected), "{actual} -> {target:?}");
    }
    assert!(state_step(Paused, "FAILED").unwrap_err().contains("FAILED"));
}

#[test]
fn restart_annotations_are_read_as_strimzi_reads_them() {
    let request = |include_tasks, only_failed| {
        Some(Ok(RestartRequest {
            include_tasks,
            only_failed,
        }))
    };
    assert_eq!(restart_request(None), None);
    assert_eq!(restart_request(Some("")), None);
    assert_eq!(restart_request(Some("false")), None);
    assert_eq!(restart_request(Some("true")), request(false, false));
    assert_eq!(restart_request(Some("includeTasks")), request(true, false));
    assert_eq!(restart_request(Some("onlyFailed")), request(false, true));
    assert_eq!(restart_request(Some("includeTasks,onlyFailed")), request(true, true));
    assert_eq!(restart_request(Some("onlyFailed, includeTasks")), request(true, true));
    assert!(matches!(restart_request(Some("everything")), Some(Err(m)) if m.contains("Invalid annotation format")));
    assert_eq!(restart_task_request(Some("1")), Some(Ok(1)));
    assert_eq!(restart_task_request(None), None);
    assert!(matches!(restart_task_request(Some("first")), Some(Err(_))));
}

#[test]
fn offsets_requests_need_their_config_map_and_a_stopped_connector() {
    let listing = KafkaConnectorSpec {
        list_offsets: Some(ListOffsets {
            to_config_map: ConfigMapReference { name: "out".into() },
        }),
        ..Default::default()
    };
    assert_eq!(offsets_request(Some("list"), &listing), Some(Ok(OffsetsRequest::List)));
    assert!(
        matches!(offsets_request(Some("list"), &KafkaConnectorSpec::default()), Some(Err(m)) if m.contains("listOffsets"))
    );
    let mut altering = KafkaConnectorSpec {
        alter_offsets: Some(AlterOffsets {
            from_config_map: ConfigMapReference { name: "in".into() },
        }),
        ..Default::default()
    };
    assert!(matches!(offsets_request(Some("alter"), &altering), Some(Err(m)) if m.contains("stopped")));
    assert!(matches!(offsets_request(Some("reset"), &altering), Some(Err(m)) if m.contains("stopped")));
    altering.state = Some(ConnectorState::Stopped);
    assert_eq!(
        offsets_request(Some("alter"), &altering),
        Some(Ok(OffsetsRequest::Alter))
    );
    assert_eq!(
        offsets_request(Some("reset"), &altering),
        Some(Ok(OffsetsRequest::Reset))
    );
    assert!(
        matches!(offsets_request(Some("alter"), &KafkaConnectorSpec { state: Some(ConnectorState::Stopped), ..Default::default() }), Some(Err(m)) if m.contains("alterOffsets"))
    );
    assert!(
        matches!(offsets_request(Some("drop"), &altering), Some(Err(m)) if m.contains("Invalid annotation format"))
    );
    assert_eq!(offsets_request(None, &altering), None);
}

fn at(minute: u32, second: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, minute, second).unwrap()
}

fn restarted(count: i64, when: chrono::DateTime<Utc>) -> AutoRestartStatus {
    AutoRestartStatus {
        count,
        connector_name: Some("c".into()),
        last_restart_timestamp: Some(timestamp(when)),
    }
}

#[test]
fn auto_restart_backs_off_n_squared_plus_n_minutes_up_to_max_restarts() {
    let minute = Duration::from_secs(60);
    let on = AutoRestart {
        enabled: None,
        max_restarts: Some(2),
    };
    // Off without the block, or with enabled: false.
    assert!(!auto_restart("c", None, None, true, at(0, 0), minute).restart);
    let off = AutoRestart {
        enabled: Some(false),
        max_restarts: None,
    };
    assert!(!auto_restart("c", Some(&off), None, true, at(0, 0), minute).restart);
    // The first restart at once.
    let first = auto_restart("c", Some(&on), None, true, at(0, 0), minute);
    assert!(first.restart);
    assert_eq!(first.status, Some(restarted(1, at(0, 0))));
    // The second after 1² + 1 = 2 minutes.
    let early = auto_restart("c", Some(&on), first.status.as_ref(), true, at(1, 59), minute);
    assert!(!early.restart);
    assert_eq!(early.status, first.status);
    let second = auto_restart("c", Some(&on), first.status.as_ref(), true, at(2, 0), minute);
    assert!(second.restart);
    assert_eq!(second.status, Some(restarted(2, at(2, 0))));
    // maxRestarts: 2 reached.
    let third = auto_restart("c", Some(&on), second.status.as_ref(), true, at(30, 0), minute);
    assert!(!third.restart);
    assert_eq!(third.status, second.status);
    // Healthy: the count is kept for 2² + 2 = 6 minutes, then forgotten.
    let healthy = auto_restart("c", Some(&on), second.status.as_ref(), false, at(8, 0), minute);
    assert_eq!(healthy.status, second.status);
    let forgotten = auto_restart("c", Some(&on), second.status.as_ref(), false, at(8, 1), minute);
    assert_eq!(forgotten.status, None);
    // Unlimited without maxRestarts; the back-off is capped at 60 units.
    let unlimited = AutoRestart::default();
    let many = restarted(20, at(0, 0));
    assert!(!auto_restart("c", Some(&unlimited), Some(&many), true, at(59, 59), minute).restart);
    assert!(
        auto_restart(
            "c",
            Some(&unlimited),
            Some(&many),
            true,
            at(0, 0) + chrono::Duration::minutes(60),
            minute
        )
        .restart
    );
}

#[test]
fn failures_in_the_rest_status_make_the_resource_not_ready() {
    let running = json!({"name": "c", "connector": {"state": "RUNNING"},
        "tasks": [{"id": 0, "state": "RUNNING"}, {"id": 1, "state": "RUNNING"}]});
    assert_eq!(not_ready_because(&running), None);
    let task_failed = json!({"connector": {"state": "RUNNING"},
        "tasks": [{"id": 0, "state": "FAILED"}, {"id": 1, "state": "RUNNING"}, {"id": 2, "state": "FAILED"}]});
    assert_eq!(failed_tasks(&task_failed), vec![0, 2]);
    assert_eq!(
        not_ready_because(&task_failed).unwrap(),
        "The following tasks have failed: 0, 2, see connectorStatus for more details."
    );
    let connector_failed = json!({"connector": {"state": "FAILED"}, "tasks": []});
    assert!(not_ready_because(&connector_failed)
        .unwrap()
        .starts_with("Connector has failed"));
}

#[test]
fn status_is_written_as_strimzi_writes_it() {
    let spec = spec(json!({"class": "X", "tasksMax": 2}));
    let observed = Observed {
        connector_status: Some(
            json!({"name": "c", "connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}),
        ),
        topics: Some(vec!["a".into(), "b".into()]),
        auto_restart: None,
    };
    let ready = status(Some(&spec), Some(3), Ok(&observed), &[], None, at(0, 0));
    assert_eq!(ready.conditions.len(), 1);
    assert_eq!(ready.conditions[0].type_, "Ready");
    assert_eq!(ready.conditions[0].status, "True");
    assert_eq!(
        ready.conditions[0].last_transition_time.as_deref(),
        Some("2026-11-30T12:00:00Z")
    );
    assert_eq!(ready.observed_generation, Some(3));
    assert_eq!(ready.tasks_max, Some(2));
    assert_eq!(ready.topics, Some(vec!["a".to_string(), "b".to_string()]));
    assert_eq!(ready.connector_status, observed.connector_status);

    // A later identical status keeps the transition time, and is no change.
    let again = status(Some(&spec), Some(3), Ok(&observed), &[], Some(&ready), at(5, 0));
    assert_eq!(again, ready);
    assert!(!status_changed(Some(&ready), &again));

    // Without spec.tasksMax, the number of tasks.
    let no_max = status(
        Some(&KafkaConnectorSpec::default()),
        Some(1),
        Ok(&observed),
        &[],
        None,
        at(0, 0),
    );
    assert_eq!(no_max.tasks_max, Some(1));

    let failure = Failure {
        reason: "ConnectRestException".into(),
        message: "POST /connectors answered 400: bad class".into(),
    };
    let warning = Failure {
        reason: "RestartConnector".into(),
        message: "Invalid annotation format".into(),
    };
    let not_ready = status(Some(&spec), Some(4), Err(&failure), &[warning], Some(&ready), at(6, 0));
    assert_eq!(not_ready.conditions[0].type_, "NotReady");
    assert_eq!(not_ready.conditions[0].reason.as_deref(), Some("ConnectRestException"));
    assert_eq!(
        not_ready.conditions[0].last_transition_time.as_deref(),
        Some("2026-11-30T12:06:00Z")
    );
    assert_eq!(not_ready.conditions[1].type_, "Warning");
    assert_eq!(not_ready.connector_status, None);
    assert!(status_changed(Some(&ready), &not_ready));

    let failed_task = Observed {
        connector_status: Some(json!({"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "FAILED"}]})),
        ..observed
    };
    let failing = status(Some(&spec), Some(3), Ok(&failed_task), &[], None, at(0, 0));
    assert_eq!(failing.conditions[0].type_, "NotReady");
    assert!(failing.conditions[0]
        .message
        .as_deref()
        .unwrap()
        .contains("tasks have failed: 0"));
}

#[test]
fn connectors_no_resource_backs_are_found() {
    let on_cluster = vec!["kept".to_string(), "stray".to_string(), "other".to_string()];
    let resources: BTreeSet<String> = ["kept".to_string(), "not-yet-created".to_string()].into();
    assert_eq!(unmanaged(&on_cluster, &resources), vec!["stray", "other"]);
    assert!(unmanaged(&[], &resources).is_empty());
}
