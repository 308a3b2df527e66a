//! Secured Kafka as Strimzi configures it: workers and `tributary mirror` reach a broker over
//! `SSL` with client certificates and over `SASL_SSL` with SCRAM-SHA-512 and PLAIN, configured
//! with the Java clients' keys exactly as Strimzi's generated worker files write them (PKCS12
//! stores, a JAAS line, each key again under `producer.`, `consumer.`, `admin.`). Records move
//! end to end through a file source and sink; the test's own clients check the topics over the
//! broker's PLAINTEXT listener. A wrong password fails at start-up within seconds, with the
//! cause. Distributed workers join their group over TLS and SASL (the group membership has its
//! own connection), and a mirror copies between two listeners of the cluster, one over mutual
//! TLS and one over SCRAM, with Java tuning keys on its clients. OAuth client credentials
//! (`OAUTHBEARER`, tokens from a test authorization server the broker checks against its JWKS)
//! move records for a standalone worker and admit a distributed one to its group.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use common::workers::{start_file_pipeline, ClusterSpec, WorkerProcess};
use common::{config, eventually, start_worker};
use rdkafka::message::Message;
use tributary_harness::clients::{consume_until, produce_all, reliable_producer, unique_name};
use tributary_harness::{shared_secure_cluster, with_client_prefixes, SecureKafka, OAUTH_CLIENT_SECRET, SASL_PASSWORD};
use tributary_runtime::mode::standalone::StandaloneRuntime;

async fn secure() -> &'static SecureKafka {
    tokio::task::spawn_blocking(shared_secure_cluster).await.unwrap()
}

fn as_pairs(settings: &[(String, String)]) -> Vec<(&str, &str)> {
    settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A distributed cluster on `bootstrap` whose workers use `settings` as Strimzi writes them
/// (each key again under `producer.`, `consumer.`, `admin.`).
fn secured_cluster(bootstrap: &str, settings: &[(String, String)]) -> ClusterSpec {
    with_client_prefixes(settings)
        .iter()
        .fold(ClusterSpec::new(bootstrap, 1), |spec, (key, value)| {
            spec.with(key, value)
        })
}

/// Appends `lines` to `input` and waits until the sink wrote them all to `output`.
async fn round_trip(input: &Path, output: &Path, lines: &[String]) {
    let mut file = std::fs::OpenOptions::new().append(true).open(input).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    drop(file);
    let expected: Vec<String> = lines.to_vec();
    eventually(Duration::from_secs(60), "the sink to write every line", || {
        let written = std::fs::read_to_string(output).unwrap_or_default();
        let expected = expected.clone();
        async move {
            let got: Vec<String> = written.lines().map(str::to_string).collect();
            (got == expected).then_some(())
        }
    })
    .await;
}

/// A standalone worker on `bootstrap` with `settings` runs a file source and sink whose records
/// arrive, also as the broker itself holds them.
async fn pipeline_moves_records(kafka: &SecureKafka, bootstrap: &str, settings: &[(String, String)], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let settings = with_client_prefixes(settings);
    let (runtime, api) = start_worker(bootstrap, dir.path(), &as_pairs(&settings)).await;
    let topic = unique_name(name);
    let (input, output) = start_file_pipeline(&api, dir.path(), name, &topic).await;
    let lines: Vec<String> = (0..200).map(|i| format!("{name} line {i}")).collect();
    round_trip(&input, &output, &lines).await;
    let stored = consume_until(
        &kafka.cluster().bootstrap_servers(),
        &topic,
        lines.len(),
        Duration::from_secs(30),
        "read_uncommitted",
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), lines.len());
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strimzi_tls_user_moves_records_over_mutual_tls() {
    let kafka = secure().await;
    pipeline_moves_records(kafka, &kafka.ssl_servers(), &kafka.mtls_settings(), "mtls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha_512_and_plain_over_tls_move_records() {
    let kafka = secure().await;
    let scram = kafka.scram_settings(SASL_PASSWORD);
    pipeline_moves_records(kafka, &kafka.sasl_ssl_servers(), &scram, "scram").await;
    pipeline_moves_records(kafka, &kafka.sasl_ssl_servers(), &kafka.plain_settings(), "plain").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_missing_client_certificate_fails_start_up_at_once() {
    tributary_connectors::link();
    let kafka = secure().await;
    let wrong_password = refused_start(
        kafka.sasl_ssl_servers(),
        &with_client_prefixes(&kafka.scram_settings("nope")),
    )
    .await;
    assert!(wrong_password.contains("Authentication failed"), "{wrong_password}");
    // Mutual TLS without a client certificate: the broker refuses the handshake.
    let no_certificate: Vec<(String, String)> = kafka
        .mtls_settings()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ssl.keystore."))
        .collect();
    let refused = refused_start(kafka.ssl_servers(), &no_certificate).await;
    assert!(refused.contains("SSL"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_client_credentials_move_records_and_a_wrong_secret_fails_at_once() {
    tributary_connectors::link();
    let kafka = secure().await;
    let oauth = kafka.oauth_settings(OAUTH_CLIENT_SECRET);
    pipeline_moves_records(kafka, &kafka.oauth_servers(), &oauth, "oauth").await;
    let refused = refused_start(
        kafka.oauth_servers(),
        &with_client_prefixes(&kafka.oauth_settings("wrong-secret")),
    )
    .await;
    assert!(
        refused.contains("OAUTHBEARER token") && refused.contains("invalid_client"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributed_worker_joins_its_group_with_an_oauth_token() {
    let kafka = secure().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = secured_cluster(&kafka.oauth_servers(), &kafka.oauth_settings(OAUTH_CLIENT_SECRET));
    let worker = WorkerProcess::start(&spec, dir.path(), "w1");
    worker.wait_ready().await;
    let topic = unique_name("dist-oauth");
    let (input, output) = start_file_pipeline(&worker.api, dir.path(), "oauth", &topic).await;
    let lines: Vec<String> = (0..100).map(|i| format!("oauth line {i}")).collect();
    round_trip(&input, &output, &lines).await;
}

/// Starts a standalone worker on `bootstrap` with `settings`, which must fail within 20 s (the
/// start-up check alone would wait 60 s); returns why.
async fn refused_start(bootstrap: String, settings: &[(String, String)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let offsets = dir.path().join("offsets").display().to_string();
    let mut worker = config(&as_pairs(settings));
    worker.extend(config(&[
        ("listeners", "http://127.0.0.1:0"),
        ("offset.storage.file.filename", offsets.as_str()),
    ]));
    worker.insert("bootstrap.servers".into(), bootstrap);
    let started = Instant::now();
    let error = StandaloneRuntime::start(worker, None)
        .await
        .err()
        .expect("the worker refuses to start");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    error.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_workers_join_their_group_over_sasl_ssl() {
    let kafka = secure().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = secured_cluster(&kafka.sasl_ssl_servers(), &kafka.scram_settings(SASL_PASSWORD));
    let workers = [
        WorkerProcess::start(&spec, dir.path(), "w1"),
        WorkerProcess::start(&spec, dir.path(), "w2"),
    ];
    for worker in &workers {
        worker.wait_ready().await;
    }
    let topic = unique_name("dist-scram");
    // Created through the second worker: forwarded to the leader over REST.
    let (input, output) = start_file_pipeline(&workers[1].api, dir.path(), "dist", &topic).await;
    let lines: Vec<String> = (0..100).map(|i| format!("distributed line {i}")).collect();
    round_trip(&input, &output, &lines).await;
    let status = workers[0].api.get("/connectors/dist-src/status").await.1;
    assert_eq!(status["connector"]["state"], "RUNNING", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_copies_from_a_tls_listener_to_a_scram_listener_with_java_tuning_keys() {
    let kafka = secure().await;
    let dir = tempfile::tempdir().unwrap();
    let alias = unique_name("tls").replace('-', "");
    let topic = format!("{alias}-orders");
    kafka.cluster().create_topic(&topic, 2, 1).await.unwrap();
    let mut file = format!(
        "clusters = {alias}, scram\n{alias}.bootstrap.servers = {}\nscram.bootstrap.servers = {}\n\
         {alias}->scram.enabled = true\n{alias}->scram.topics = {topic}\n\
         replication.factor = 1\ncheckpoints.topic.replication.factor = 1\n\
         heartbeats.topic.replication.factor = 1\noffset-syncs.topic.replication.factor = 1\n\
         offset.storage.replication.factor = 1\nstatus.storage.replication.factor = 1\n\
         config.storage.replication.factor = 1\n\
         {alias}.consumer.receive.buffer.bytes = -1\n{alias}.consumer.fetch.max.wait.ms = 100\n\
         {alias}.consumer.max.partition.fetch.bytes = 2097152\n{alias}.consumer.no.such.setting = 1\n\
         scram.producer.send.buffer.bytes = -1\nscram.producer.buffer.memory = 67108864\n\
         scram.producer.max.request.size = 2097152\nscram.producer.delivery.timeout.ms = 120000\n",
        kafka.ssl_servers(),
        kafka.sasl_ssl_servers(),
    );
    for (key, value) in kafka.mtls_settings() {
        file.push_str(&format!("{alias}.{key} = {value}\n"));
    }
    for (key, value) in with_client_prefixes(&kafka.scram_settings(SASL_PASSWORD)) {
        file.push_str(&format!("scram.{key} = {value}\n"));
    }
    let path = dir.path().join("mirror.properties");
    std::fs::write(&path, file).unwrap();
    let mut mirror = WorkerProcess::run(dir.path(), "mirror", common::workers::free_port(), "mirror", &path);

    let producer = reliable_producer(&kafka.cluster().bootstrap_servers()).unwrap();
    let records: Vec<(Vec<u8>, Vec<u8>)> = (0..2_000u32)
        .map(|i| (format!("k{i}").into_bytes(), format!("order {i}").into_bytes()))
        .collect();
    assert!(produce_all(&producer, &topic, records, 50)
        .await
        .iter()
        .all(Result::is_ok));
    let remote = format!("{alias}.{topic}");
    let copied = consume_until(
        &kafka.cluster().bootstrap_servers(),
        &remote,
        2_000,
        Duration::from_secs(120),
        "read_uncommitted",
    )
    .await
    .unwrap();
    let mut values: Vec<String> = copied
        .iter()
        .map(|m| String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned())
        .collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 2_000, "every record mirrored");
    assert!(mirror.exit_status().is_none(), "the mirror keeps running");
    let log = std::fs::read_to_string(dir.path().join("mirror.log")).unwrap_or_default();
    assert!(
        log.contains("The configuration 'no.such.setting' was supplied but isn't a known config."),
        "the unknown key is reported: {}",
        mirror.log_tail(40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_file_connects_apache_connect_and_tributary_over_mutual_tls() {
    tributary_connectors::link();
    let kafka = secure().await;
    let dir = tempfile::tempdir().unwrap();
    let mut worker_file = format!(
        "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\noffset.flush.interval.ms=500\n",
        kafka.ssl_servers()
    );
    for (key, value) in with_client_prefixes(&kafka.mtls_settings()) {
        worker_file.push_str(&format!("{key}={value}\n"));
    }
    let lines: String = (0..100).map(|i| format!("side by side {i}\n")).collect();
    let run = |name: &str| {
        let input = dir.path().join(format!("{name}.txt"));
        std::fs::write(&input, &lines).unwrap();
        (unique_name(name), input)
    };

    // Apache Connect 4.3.1 standalone with the worker file and a FileStreamSource.
    let (apache_topic, apache_input) = run("apache");
    let apache_worker = dir.path().join("apache-worker.properties");
    std::fs::write(
        &apache_worker,
        format!(
            "{worker_file}listeners=http://127.0.0.1:{}\noffset.storage.file.filename={}\n",
            common::workers::free_port(),
            dir.path().join("apache.offsets").display()
        ),
    )
    .unwrap();
    let apache_connector = dir.path().join("apache-source.properties");
    std::fs::write(
        &apache_connector,
        format!(
            "name=apache-src\nconnector.class=FileStreamSource\nfile={}\ntopic={apache_topic}\n",
            apache_input.display()
        ),
    )
    .unwrap();
    let mut command = kafka
        .cluster()
        .distribution()
        .java("org.apache.kafka.connect.cli.ConnectStandalone", "512m");
    command.arg(&apache_worker).arg(&apache_connector);
    let _apache = tributary_harness::ChildProcess::spawn(command, &dir.path().join("apache.log")).unwrap();

    // Tributary with the same worker file.
    let (tributary_topic, tributary_input) = run("tributary");
    let mut worker = tributary_runtime::config::parse_properties(&worker_file).unwrap();
    worker.extend(config(&[
        ("listeners", "http://127.0.0.1:0"),
        (
            "offset.storage.file.filename",
            &dir.path().join("tributary.offsets").display().to_string(),
        ),
    ]));
    let runtime = StandaloneRuntime::start(worker, None).await.expect("Tributary starts");
    let api = common::Api::new(&format!("http://{}", runtime.rest_address()));
    let source = serde_json::json!({"connector.class": "FileStreamSource",
        "file": tributary_input.display().to_string(), "topic": tributary_topic});
    assert_eq!(api.put("/connectors/tributary-src/config", Some(source)).await.0, 201);

    for topic in [&apache_topic, &tributary_topic] {
        let stored = consume_until(
            &kafka.cluster().bootstrap_servers(),
            topic,
            100,
            Duration::from_secs(120),
            "read_uncommitted",
        )
        .await
        .unwrap();
        let values: Vec<String> = stored
            .iter()
            .map(|m| String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned())
            .collect();
        let expected: Vec<String> = lines.lines().map(str::to_string).collect();
        assert_eq!(values, expected, "topic {topic}");
    }
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_client_cannot_authenticate_fails_with_the_cause() {
    let kafka = secure().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = with_client_prefixes(&kafka.scram_settings(SASL_PASSWORD));
    let (runtime, api) = start_worker(&kafka.sasl_ssl_servers(), dir.path(), &as_pairs(&settings)).await;
    let wrong_jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required \
                      username=\"my-connect\" password=\"wrong\";";
    let topic = unique_name("wrong-override");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "one\n").unwrap();
    let source = serde_json::json!({"connector.class": "FileStreamSource", "topic": topic,
        "file": input.display().to_string(), "producer.override.sasl.jaas.config": wrong_jaas});
    let sink = serde_json::json!({"connector.class": "FileStreamSink", "topics": topic,
        "file": dir.path().join("out.txt").display().to_string(),
        "consumer.override.sasl.jaas.config": wrong_jaas});
    for (name, config) in [("wrong-producer", source), ("wrong-consumer", sink)] {
        assert_eq!(
            api.put(&format!("/connectors/{name}/config"), Some(config)).await.0,
            201
        );
        let trace = api.failed_trace(name, Duration::from_secs(30)).await;
        assert!(trace.contains("Authentication failed"), "{name}: {trace}");
    }
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_references_stay_references_in_task_configs_and_the_config_topic() {
    let kafka = secure().await;
    let bootstrap = kafka.cluster().bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let secret_topic = unique_name("secret-topic");
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, format!("topic={secret_topic}\n")).unwrap();
    let reference = format!("${{file:{}:topic}}", secrets.display());
    let spec = ClusterSpec::new(&bootstrap, 1);
    let worker = WorkerProcess::start(&spec, dir.path(), "w1");
    worker.wait_ready().await;
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "kept secret\n").unwrap();
    let config = serde_json::json!({"connector.class": "FileStreamSource",
        "file": input.display().to_string(), "topic": reference});
    eventually(Duration::from_secs(60), "the connector to be created", || async {
        let (code, _) = worker
            .api
            .put("/connectors/secret-src/config", Some(config.clone()))
            .await;
        (code == 201).then_some(())
    })
    .await;
    // The task writes to the resolved topic...
    let written = consume_until(
        &bootstrap,
        &secret_topic,
        1,
        Duration::from_secs(60),
        "read_uncommitted",
    )
    .await
    .unwrap();
    assert_eq!(written[0].payload(), Some(&b"kept secret"[..]));
    // ...while its config, over REST and in the config topic, holds only the reference.
    let (_, tasks) = worker.api.get("/connectors/secret-src/tasks").await;
    assert_eq!(tasks[0]["config"]["topic"], reference.as_str(), "{tasks}");
    let stored = consume_until(
        &bootstrap,
        &format!("{}-configs", spec.group),
        3,
        Duration::from_secs(30),
        "read_uncommitted",
    )
    .await
    .unwrap();
    let text: String = stored
        .iter()
        .map(|m| String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned())
        .collect();
    assert!(text.contains("secrets.properties:topic"), "{text}");
    assert!(!text.contains(&secret_topic), "a resolved value was stored: {text}");
}
