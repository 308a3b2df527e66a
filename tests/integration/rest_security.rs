//! The REST API opened up safely, configured with Apache Kafka Connect's keys: HTTPS listeners
//! (`listeners.https.ssl.*`, client certificates required), HTTP Basic authentication as
//! Apache's `BasicAuthSecurityRestExtension` reads it (a JAAS file naming a
//! `PropertyFileLoginModule` and its credentials file), `admin.listeners` apart from the
//! public ones, slow clients cut off, settings that cannot be honoured refused at start, and a
//! three-worker HTTPS cluster whose forwarded requests carry the caller's credentials and whose
//! task configs reach the leader signed with the session key the leader keeps in the config
//! topic.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{config, eventually, start_worker, Api};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use serde_json::{json, Value};
use tributary_harness::clients::unique_name;
use tributary_harness::{shared_cluster, KafkaCluster, TlsFiles, STORE_PASSWORD};
use tributary_runtime::mode::distributed::DistributedRuntime;
use tributary_runtime::rest::BoundListener;
use tributary_runtime::worker::listeners::Scheme;

const WAIT: Duration = Duration::from_secs(60);
const BASIC_AUTH: &str = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const USER: &str = "operator";
const PASSWORD: &str = "operator-s3cret";

async fn cluster() -> &'static KafkaCluster {
    tokio::task::spawn_blocking(shared_cluster).await.unwrap()
}

/// Apache's JAAS file and credentials file for Basic authentication, in `dir`; returns the
/// JAAS file's path.
fn basic_auth_files(dir: &Path) -> String {
    let credentials = dir.join("credentials.properties");
    std::fs::write(&credentials, format!("{USER}={PASSWORD}\nauditor=audit-pw\n")).unwrap();
    let jaas = dir.join("rest-jaas.conf");
    std::fs::write(
        &jaas,
        format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            credentials.display()
        ),
    )
    .unwrap();
    jaas.display().to_string()
}

/// The worker keys of an HTTPS listener with `worker.p12` and Basic authentication.
fn secured_rest(tls: &TlsFiles, jaas: &str) -> Vec<(String, String)> {
    [
        ("listeners.https.ssl.keystore.location", tls.path("worker.p12")),
        ("listeners.https.ssl.keystore.password", STORE_PASSWORD.to_string()),
        ("listeners.https.ssl.keystore.type", "PKCS12".to_string()),
        ("listeners.https.ssl.truststore.location", tls.path("ca.crt")),
        ("listeners.https.ssl.truststore.type", "PEM".to_string()),
        ("rest.extension.classes", BASIC_AUTH.to_string()),
        ("java.security.auth.login.config", jaas.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// An HTTP client trusting the test CA, presenting `identity`'s certificate if given, and
/// sending `credentials` if given.
fn client(tls: &TlsFiles, identity: Option<&str>, credentials: Option<(&str, &str)>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&tls.read("ca.crt")).unwrap();
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(30));
    if let Some(name) = identity {
        let identity =
            reqwest::Identity::from_pkcs8_pem(&tls.read(&format!("{name}.crt")), &tls.read(&format!("{name}.key")))
                .unwrap();
        builder = builder.identity(identity);
    }
    if let Some((user, password)) = credentials {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        builder = builder.default_headers(headers);
    }
    builder.build().unwrap()
}

fn url(listener: &BoundListener) -> String {
    format!("{}://{}", listener.scheme, listener.address)
}

fn file_source(name: &str, file: &Path, topic: &str) -> Value {
    json!({"name": name, "config": {
        "connector.class": "FileStreamSource", "file": file.display().to_string(), "topic": topic, "tasks.max": "1"
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_client_certificates_basic_auth_and_a_separate_admin_listener() {
    let kafka = cluster().await;
    let tls = TlsFiles::make(&["worker", "operator"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jaas = basic_auth_files(dir.path());
    let mut settings = secured_rest(&tls, &jaas);
    settings.extend([
        ("listeners".to_string(), "https://127.0.0.1:0".to_string()),
        ("admin.listeners".to_string(), "http://127.0.0.1:0".to_string()),
        ("listeners.https.ssl.client.auth".to_string(), "required".to_string()),
    ]);
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (runtime, _) = start_worker(&kafka.bootstrap_servers(), dir.path(), &pairs).await;
    let public = *runtime.rest_listeners().iter().find(|l| !l.admin).unwrap();
    let admin = *runtime.rest_listeners().iter().find(|l| l.admin).unwrap();
    assert_eq!((public.scheme, admin.scheme), (Scheme::Https, Scheme::Http));

    // The operator (certificate and password) runs a connector over HTTPS.
    let operator = Api::with_client(&url(&public), client(&tls, Some("operator"), Some((USER, PASSWORD))));
    let (code, root) = operator.get("/").await;
    assert_eq!(code, 200, "{root}");
    assert!(root["version"].is_string(), "{root}");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "").unwrap();
    let name = unique_name("secured");
    let (code, body) = operator
        .post("/connectors", file_source(&name, &input, &unique_name("t")))
        .await;
    assert_eq!(code, 201, "{body}");
    operator.wait_for_state(&name, "RUNNING", WAIT).await;

    // Without credentials, or with a wrong password: Apache's 401 and its words.
    for credentials in [None, Some((USER, "wrong")), Some(("nobody", PASSWORD))] {
        let api = Api::with_client(&url(&public), client(&tls, Some("operator"), credentials));
        let (code, body) = api.get("/connectors").await;
        assert_eq!(code, 401, "{credentials:?}: {body}");
        assert_eq!(body, json!("User cannot access the resource."));
        let (code, _) = api.post("/connectors", file_source("sneaky", &input, "t")).await;
        assert_eq!(code, 401);
    }
    let (code, body) = operator.get("/connectors").await;
    assert_eq!(
        (code, body),
        (200, json!([name])),
        "the refused creations created nothing"
    );

    // No client certificate: the TLS handshake fails; plain HTTP to the HTTPS port fails too.
    let anonymous = client(&tls, None, Some((USER, PASSWORD)));
    let refused = anonymous.get(format!("{}/", url(&public))).send().await;
    assert!(refused.is_err(), "a client without a certificate got {refused:?}");
    let plain = reqwest::get(format!("http://{}/", public.address)).await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP on the HTTPS port got {plain:?}"
    );

    // /admin lives on the admin listener alone, behind the same credentials (Apache leaves its
    // admin listeners unauthenticated; Tributary does not).
    let admin_api = Api::with_client(&url(&admin), client(&tls, None, Some((USER, PASSWORD))));
    let (code, loggers) = admin_api.get("/admin/loggers").await;
    assert_eq!(code, 200, "{loggers}");
    assert!(loggers["root"]["level"].is_string(), "{loggers}");
    let (code, _) = Api::with_client(&url(&admin), client(&tls, None, None))
        .get("/admin/loggers")
        .await;
    assert_eq!(code, 401);
    let (code, _) = admin_api.get("/connectors").await;
    assert_eq!(code, 404, "the admin listener serves /admin only");
    let (code, _) = operator.get("/admin/loggers").await;
    assert_eq!(code, 404, "the public listener does not serve /admin");
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_cannot_be_honoured_stop_the_start_with_every_reason() {
    let kafka = cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let offsets = dir.path().join("offsets").display().to_string();
    let started = Instant::now();
    let refused = tributary_runtime::mode::standalone::StandaloneRuntime::start(
        config(&[
            ("bootstrap.servers", &kafka.bootstrap_servers()),
            ("offset.storage.file.filename", &offsets),
            ("listeners", "https://127.0.0.1:0"),
            ("rest.extension.classes", "com.example.AuditExtension"),
            ("rest.read.timeout.ms", "soon"),
        ]),
        None,
    )
    .await;
    let message = match refused {
        Ok(_) => panic!("a worker started with an https listener and no certificate"),
        Err(e) => e.to_string(),
    };
    for reason in [
        "listeners.https.ssl.keystore.location",
        "com.example.AuditExtension",
        "rest.read.timeout.ms",
    ] {
        assert!(message.contains(reason), "{message:?} lacks {reason}");
    }
    assert!(started.elapsed() < Duration::from_secs(10));

    let missing_jaas = tributary_runtime::mode::standalone::StandaloneRuntime::start(
        config(&[
            ("bootstrap.servers", &kafka.bootstrap_servers()),
            ("offset.storage.file.filename", &offsets),
            ("listeners", "http://127.0.0.1:0"),
            ("rest.extension.classes", BASIC_AUTH),
        ]),
        None,
    )
    .await;
    let message = missing_jaas.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("java.security.auth.login.config"), "{message:?}");

    // The worker's own values and converters are checked too, as Apache checks them.
    let bad_values = tributary_runtime::mode::standalone::StandaloneRuntime::start(
        config(&[
            ("bootstrap.servers", &kafka.bootstrap_servers()),
            ("offset.storage.file.filename", &offsets),
            ("listeners", "http://127.0.0.1:0"),
            ("offset.flush.interval.ms", "abc"),
            ("value.converter", "com.example.NoSuchConverter"),
        ]),
        None,
    )
    .await;
    let message = bad_values.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("Invalid value abc for configuration offset.flush.interval.ms"),
        "{message:?}"
    );
    assert!(message.contains("com.example.NoSuchConverter"), "{message:?}");
}

/// Reads from `stream` until the peer closes it or `limit` passes; returns what was read and
/// whether it closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&received).into_owned(), true)
            }
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), false),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_send_too_slowly_are_cut_off() {
    let kafka = cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let (runtime, api) = start_worker(
        &kafka.bootstrap_servers(),
        dir.path(),
        &[("rest.read.timeout.ms", "1000")],
    )
    .await;
    let address = runtime.rest_address();
    let outcome = tokio::task::spawn_blocking(move || {
        // Headers never finished.
        let mut headers = TcpStream::connect(address).unwrap();
        headers.write_all(b"GET /connectors HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = Instant::now();
        let (_, closed) = read_until_closed(&mut headers, Duration::from_secs(10));
        let headers_cut = (closed, started.elapsed());
        // A body that never arrives.
        let mut body = TcpStream::connect(address).unwrap();
        body.write_all(
            b"POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .unwrap();
        let started = Instant::now();
        let (answer, closed) = read_until_closed(&mut body, Duration::from_secs(10));
        (headers_cut, (answer, closed, started.elapsed()))
    })
    .await
    .unwrap();
    let ((headers_closed, headers_after), (answer, body_closed, body_after)) = outcome;
    assert!(headers_closed, "a client that never finished its headers was kept");
    assert!(headers_after < Duration::from_secs(5), "cut after {headers_after:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(body_closed && body_after < Duration::from_secs(5), "{body_after:?}");
    let (code, _) = api.get("/connectors").await;
    assert_eq!(code, 200, "the worker still serves others");
    runtime.shutdown().await;
}

/// The session key the leader wrote to the config topic `topic`.
fn session_key(bootstrap: &str, topic: &str) -> Option<Vec<u8>> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique_name("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .ok()?;
    consumer.subscribe(&[topic]).ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut key = None;
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) if message.key() == Some(b"session-key".as_slice()) => {
                let value: Value = serde_json::from_slice(message.payload()?).ok()?;
                key = base64::engine::general_purpose::STANDARD
                    .decode(value["key"].as_str()?)
                    .ok();
            }
            Some(_) => {}
            None if key.is_some() => break,
            None => {}
        }
    }
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_worker_https_cluster_forwards_with_credentials_and_signs_task_configs() {
    tributary_connectors::link();
    let kafka = cluster().await;
    let bootstrap = kafka.bootstrap_servers();
    let tls = TlsFiles::make(&["worker"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jaas = basic_auth_files(dir.path());
    let group = unique_name("secured-cluster");
    let mut worker = config(&[
        ("bootstrap.servers", &bootstrap),
        ("group.id", &group),
        ("config.storage.topic", &format!("{group}-configs")),
        ("offset.storage.topic", &format!("{group}-offsets")),
        ("status.storage.topic", &format!("{group}-status")),
        ("config.storage.replication.factor", "1"),
        ("offset.storage.replication.factor", "1"),
        ("status.storage.replication.factor", "1"),
        ("offset.storage.partitions", "2"),
        ("status.storage.partitions", "2"),
        ("listeners", "https://127.0.0.1:0"),
        ("offset.flush.interval.ms", "1000"),
        ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
        ("value.converter", "org.apache.kafka.connect.storage.StringConverter"),
    ]);
    worker.extend(secured_rest(&tls, &jaas));
    let workers = futures::future::join_all((0..3).map(|_| DistributedRuntime::start(worker.clone(), None))).await;
    let workers: Vec<DistributedRuntime> = workers.into_iter().map(|w| w.expect("worker starts")).collect();
    let apis: Vec<Api> = workers
        .iter()
        .map(|w| {
            Api::with_client(
                &format!("https://{}", w.rest_address()),
                client(&tls, None, Some((USER, PASSWORD))),
            )
        })
        .collect();
    let leader = eventually(WAIT, "a leader", || async {
        workers.iter().position(|w| w.herder().is_leader())
    })
    .await;
    let follower = (leader + 1) % 3;

    // Created through a follower: forwarded to the leader with the caller's credentials.
    let (code, _) = Api::with_client(apis[follower].base(), client(&tls, None, None))
        .post("/connectors", file_source("x", Path::new("/tmp/x"), "x"))
        .await;
    assert_eq!(code, 401, "the follower checks credentials before forwarding");
    let names: Vec<String> = (0..3).map(|_| unique_name("fwd")).collect();
    for name in &names {
        let input = dir.path().join(format!("{name}.txt"));
        std::fs::write(&input, "").unwrap();
        // 409 while the follower does not know the leader yet, as Apache's.
        let (code, body) = eventually(WAIT, "the follower to forward the creation", || async {
            let (code, body) = apis[follower]
                .post("/connectors", file_source(name, &input, name))
                .await;
            (code != 409).then_some((code, body))
        })
        .await;
        assert_eq!(code, 201, "{body}");
    }
    // Each worker runs one connector in the end; its task configs reached the leader signed.
    eventually(
        WAIT,
        "every connector and task RUNNING, one connector per worker",
        || async {
            let mut owners = std::collections::BTreeSet::new();
            for name in &names {
                let (code, status) = apis[leader].get(&format!("/connectors/{name}/status")).await;
                let running = code == 200
                    && status["connector"]["state"] == "RUNNING"
                    && status["tasks"]
                        .as_array()
                        .is_some_and(|t| t.len() == 1 && t[0]["state"] == "RUNNING");
                if !running {
                    return None;
                }
                owners.insert(status["connector"]["worker_id"].as_str()?.to_string());
            }
            (owners.len() == 3).then_some(())
        },
    )
    .await;

    // The internal endpoint needs no password but a signature: none is a 400, a wrong one a 403,
    // one made with the session key from the config topic is accepted.
    let body = json!([{"topic": names[0], "file": "/tmp/in", "task.class": "x"}]).to_string();
    let internal = |signature: Option<[(&'static str, String); 2]>| {
        let client = client(&tls, None, None);
        let target = format!("{}/connectors/{}/tasks", apis[leader].base(), names[0]);
        let body = body.clone();
        async move {
            let mut request = client
                .post(target)
                .header("content-type", "application/json")
                .body(body);
            for (name, value) in signature.into_iter().flatten() {
                request = request.header(name, value);
            }
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap_or_default())
        }
    };
    let (code, text) = internal(None).await;
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("Internal request missing required signature"), "{text}");
    let forged = tributary_runtime::rest::signature::sign("HmacSHA256", b"not the key", body.as_bytes()).unwrap();
    let (code, text) = internal(Some(forged)).await;
    assert_eq!(code, 403, "{text}");
    let topic = format!("{group}-configs");
    let key = tokio::task::spawn_blocking(move || session_key(&bootstrap, &topic))
        .await
        .unwrap()
        .expect("a session key record in the config topic");
    let signed = tributary_runtime::rest::signature::sign("HmacSHA256", &key, body.as_bytes()).unwrap();
    let (code, text) = internal(Some(signed)).await;
    assert_eq!(code, 204, "{text}");

    for worker in workers {
        worker.shutdown().await;
    }
}
