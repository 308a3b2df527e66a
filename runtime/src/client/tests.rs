//! Every table entry round-trips into the librdkafka setting it should produce; the security
//! keys as Strimzi writes them.

use super::*;

fn java(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn translate(kind: ClientKind, pairs: &[(&str, &str)]) -> Result<ClientSettings, Vec<ClientConfigError>> {
    ClientSettings::translate(&java(pairs), kind)
}

/// What one Java setting should become.
enum Expect {
    /// This librdkafka setting.
    Set(&'static str, &'static str),
    /// Left out with a notice.
    Notice,
    /// Left out without a word.
    Nothing,
    /// Refused with a message containing this.
    Error(&'static str),
    /// `max.poll.records`.
    MaxPoll(usize),
}

use ClientKind::{Admin, Consumer, Producer};
use Expect::*;

/// One case per table entry (and a few for the values that need converting).
const CASES: &[(ClientKind, &str, &str, Expect)] = &[
    (
        Admin,
        "bootstrap.servers",
        "a:1,b:2",
        Set("bootstrap.servers", "a:1,b:2"),
    ),
    (Producer, "client.id", "me", Set("client.id", "me")),
    (
        Consumer,
        "client.dns.lookup",
        "use_all_dns_ips",
        Set("client.dns.lookup", "use_all_dns_ips"),
    ),
    (Consumer, "client.rack", "eu-1a", Set("client.rack", "eu-1a")),
    (
        Admin,
        "connections.max.idle.ms",
        "540000",
        Set("connections.max.idle.ms", "540000"),
    ),
    (
        Producer,
        "metadata.max.age.ms",
        "30000",
        Set("topic.metadata.refresh.interval.ms", "30000"),
    ),
    (
        Admin,
        "metadata.recovery.strategy",
        "rebootstrap",
        Set("metadata.recovery.strategy", "rebootstrap"),
    ),
    (
        Consumer,
        "receive.buffer.bytes",
        "-1",
        Set("socket.receive.buffer.bytes", "0"),
    ),
    (
        Consumer,
        "receive.buffer.bytes",
        "65536",
        Set("socket.receive.buffer.bytes", "65536"),
    ),
    (Consumer, "receive.buffer.bytes", "big", Error("OS default")),
    (
        Producer,
        "send.buffer.bytes",
        "-1",
        Set("socket.send.buffer.bytes", "0"),
    ),
    (
        Producer,
        "send.buffer.bytes",
        "131072",
        Set("socket.send.buffer.bytes", "131072"),
    ),
    (
        Consumer,
        "reconnect.backoff.ms",
        "50",
        Set("reconnect.backoff.ms", "50"),
    ),
    (
        Consumer,
        "reconnect.backoff.max.ms",
        "1000",
        Set("reconnect.backoff.max.ms", "1000"),
    ),
    (Producer, "retry.backoff.ms", "100", Set("retry.backoff.ms", "100")),
    (
        Producer,
        "retry.backoff.max.ms",
        "1000",
        Set("retry.backoff.max.ms", "1000"),
    ),
    (
        Producer,
        "request.timeout.ms",
        "30000",
        Set("request.timeout.ms", "30000"),
    ),
    (
        Consumer,
        "request.timeout.ms",
        "30000",
        Set("socket.timeout.ms", "30000"),
    ),
    (Admin, "request.timeout.ms", "20000", Set("socket.timeout.ms", "20000")),
    (
        Admin,
        "socket.connection.setup.timeout.ms",
        "10000",
        Set("socket.connection.setup.timeout.ms", "10000"),
    ),
    (Admin, "socket.connection.setup.timeout.max.ms", "30000", Notice),
    (
        Producer,
        "enable.metrics.push",
        "false",
        Set("enable.metrics.push", "false"),
    ),
    (Producer, "metrics.num.samples", "2", Notice),
    (Producer, "metrics.sample.window.ms", "30000", Notice),
    (Producer, "metrics.recording.level", "INFO", Notice),
    (
        Consumer,
        "metric.reporters",
        "io.strimzi.kafka.metrics.KafkaPrometheusMetricsReporter",
        Notice,
    ),
    (Consumer, "auto.include.jmx.reporter", "true", Notice),
    (
        Producer,
        "interceptor.classes",
        "com.example.Audit",
        Error("interceptors"),
    ),
    (Producer, "interceptor.classes", "", Nothing),
    (Consumer, "default.api.timeout.ms", "60000", Notice),
    (Admin, "retries", "5", Notice),
    (Producer, "acks", "all", Set("acks", "all")),
    (Producer, "batch.size", "65536", Set("batch.size", "65536")),
    (Producer, "linger.ms", "20", Set("linger.ms", "20")),
    (
        Producer,
        "buffer.memory",
        "33554432",
        Set("queue.buffering.max.kbytes", "32768"),
    ),
    (Producer, "buffer.memory", "100", Set("queue.buffering.max.kbytes", "1")),
    (Producer, "compression.type", "zstd", Set("compression.type", "zstd")),
    (Producer, "compression.gzip.level", "9", Nothing),
    (Producer, "compression.lz4.level", "9", Nothing),
    (Producer, "compression.zstd.level", "9", Nothing),
    (
        Producer,
        "max.request.size",
        "2097152",
        Set("message.max.bytes", "2097152"),
    ),
    (
        Producer,
        "delivery.timeout.ms",
        "120000",
        Set("message.timeout.ms", "120000"),
    ),
    (
        Producer,
        "enable.idempotence",
        "true",
        Set("enable.idempotence", "true"),
    ),
    (
        Producer,
        "max.in.flight.requests.per.connection",
        "5",
        Set("max.in.flight.requests.per.connection", "5"),
    ),
    (Producer, "retries", "2147483647", Set("retries", "2147483647")),
    (Producer, "transactional.id", "tx-1", Set("transactional.id", "tx-1")),
    (
        Producer,
        "transaction.timeout.ms",
        "60000",
        Set("transaction.timeout.ms", "60000"),
    ),
    (
        Producer,
        "partitioner.class",
        "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
        Set("partitioner", "murmur2_random"),
    ),
    (
        Producer,
        "partitioner.class",
        "org.apache.kafka.clients.producer.UniformStickyPartitioner",
        Set("partitioner", "random"),
    ),
    (
        Producer,
        "partitioner.class",
        "com.example.MyPartitioner",
        Error("cannot run"),
    ),
    (
        Producer,
        "partitioner.ignore.keys",
        "true",
        Set("partitioner", "random"),
    ),
    (
        Producer,
        "partitioner.ignore.keys",
        "false",
        Set("partitioner", "murmur2_random"),
    ),
    (Producer, "partitioner.adaptive.partitioning.enable", "true", Notice),
    (Producer, "partitioner.availability.timeout.ms", "0", Notice),
    (Producer, "max.block.ms", "60000", Notice),
    (Producer, "metadata.max.idle.ms", "300000", Notice),
    (
        Producer,
        "key.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer",
        Nothing,
    ),
    (
        Producer,
        "value.serializer",
        "org.apache.kafka.common.serialization.ByteArraySerializer",
        Nothing,
    ),
    (Consumer, "group.id", "g", Set("group.id", "g")),
    (Consumer, "group.instance.id", "i", Set("group.instance.id", "i")),
    (Consumer, "group.protocol", "classic", Set("group.protocol", "classic")),
    (
        Consumer,
        "group.remote.assignor",
        "uniform",
        Set("group.remote.assignor", "uniform"),
    ),
    (
        Consumer,
        "session.timeout.ms",
        "45000",
        Set("session.timeout.ms", "45000"),
    ),
    (
        Consumer,
        "heartbeat.interval.ms",
        "3000",
        Set("heartbeat.interval.ms", "3000"),
    ),
    (
        Consumer,
        "max.poll.interval.ms",
        "300000",
        Set("max.poll.interval.ms", "300000"),
    ),
    (
        Consumer,
        "auto.offset.reset",
        "earliest",
        Set("auto.offset.reset", "earliest"),
    ),
    (Consumer, "auto.offset.reset", "none", Set("auto.offset.reset", "error")),
    (Consumer, "auto.offset.reset", "by_duration:PT1H", Error("not one of")),
    (
        Consumer,
        "enable.auto.commit",
        "false",
        Set("enable.auto.commit", "false"),
    ),
    (
        Consumer,
        "auto.commit.interval.ms",
        "5000",
        Set("auto.commit.interval.ms", "5000"),
    ),
    (Consumer, "fetch.min.bytes", "1", Set("fetch.min.bytes", "1")),
    (
        Consumer,
        "fetch.max.bytes",
        "52428800",
        Set("fetch.max.bytes", "52428800"),
    ),
    (Consumer, "fetch.max.wait.ms", "500", Set("fetch.wait.max.ms", "500")),
    (
        Consumer,
        "max.partition.fetch.bytes",
        "1048576",
        Set("max.partition.fetch.bytes", "1048576"),
    ),
    (Consumer, "max.poll.records", "2000", MaxPoll(2000)),
    (Consumer, "max.poll.records", "0", Error("at least 1")),
    (
        Consumer,
        "isolation.level",
        "read_committed",
        Set("isolation.level", "read_committed"),
    ),
    (
        Consumer,
        "partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        Set("partition.assignment.strategy", "range,cooperative-sticky"),
    ),
    (
        Consumer,
        "partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.StickyAssignor",
        Error("no librdkafka equivalent"),
    ),
    (Consumer, "check.crcs", "true", Set("check.crcs", "true")),
    (
        Consumer,
        "allow.auto.create.topics",
        "false",
        Set("allow.auto.create.topics", "false"),
    ),
    (Consumer, "exclude.internal.topics", "true", Notice),
    (
        Consumer,
        "key.deserializer",
        "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        Nothing,
    ),
    (
        Consumer,
        "value.deserializer",
        "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        Nothing,
    ),
];

#[test]
fn every_table_entry_translates_as_expected() {
    for (kind, key, value, expect) in CASES {
        let context = format!("{kind:?} {key}={value}");
        let result = translate(*kind, &[(key, value)]);
        match expect {
            Set(name, expected) => {
                let settings = result.unwrap_or_else(|e| panic!("{context}: {e:?}"));
                assert_eq!(settings.get(name), Some(*expected), "{context}");
                if name != key {
                    assert_eq!(
                        settings.get(key),
                        None,
                        "{context}: the Java name must not reach librdkafka"
                    );
                }
                assert!(settings.notices.is_empty(), "{context}: {:?}", settings.notices);
            }
            Notice | Nothing => {
                let settings = result.unwrap_or_else(|e| panic!("{context}: {e:?}"));
                assert_eq!(settings.get(key), None, "{context}");
                assert_eq!(
                    settings.notices.len(),
                    usize::from(matches!(expect, Notice)),
                    "{context}"
                );
                if matches!(expect, Notice) {
                    assert!(settings.notices[0].contains(key), "{context}: {:?}", settings.notices);
                }
            }
            Error(text) => {
                let errors = result.err().unwrap_or_else(|| panic!("{context}: accepted"));
                assert_eq!(errors.len(), 1, "{context}: {errors:?}");
                assert_eq!(errors[0].key, *key, "{context}");
                assert!(errors[0].message.contains(text), "{context}: {}", errors[0].message);
            }
            MaxPoll(n) => {
                let settings = result.unwrap_or_else(|e| panic!("{context}: {e:?}"));
                assert_eq!(settings.max_poll_records(), Some(*n));
                assert_eq!(settings.get(key), None);
            }
        }
    }
}

#[test]
fn every_table_entry_has_a_case() {
    for (name, clients, _) in table::TABLE {
        assert!(
            CASES.iter().any(|(kind, key, _, _)| key == name && clients.has(*kind)),
            "no test case for {name} ({clients:?})"
        );
    }
}

#[test]
fn compression_levels_follow_the_codec_in_use() {
    let settings = translate(
        Producer,
        &[
            ("compression.type", "zstd"),
            ("compression.zstd.level", "7"),
            ("compression.gzip.level", "3"),
        ],
    )
    .unwrap();
    assert_eq!(settings.get("compression.level"), Some("7"));
}

#[test]
fn keys_of_other_clients_are_left_out() {
    let settings = translate(Producer, &[("fetch.max.wait.ms", "500"), ("acks", "1")]).unwrap();
    assert_eq!(settings.get("fetch.wait.max.ms"), None);
    assert_eq!(settings.get("fetch.max.wait.ms"), None);
    let settings = translate(Consumer, &[("acks", "1")]).unwrap();
    assert_eq!(settings.get("acks"), None);
}

#[test]
fn librdkafka_names_pass_and_unknown_names_are_reported() {
    let settings = translate(Producer, &[("queue.buffering.max.ms", "5"), ("no.such.setting", "1")]).unwrap();
    assert_eq!(settings.get("queue.buffering.max.ms"), Some("5"));
    assert_eq!(settings.get("no.such.setting"), None);
    assert_eq!(
        settings.notices,
        vec!["The configuration 'no.such.setting' was supplied but isn't a known config.".to_string()]
    );
}

#[test]
fn values_librdkafka_refuses_are_errors_under_the_java_key() {
    let errors = translate(Consumer, &[("fetch.max.wait.ms", "soon"), ("acks", "x")]).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].key, "fetch.max.wait.ms");
    let errors = translate(Producer, &[("linger.ms", "-5"), ("compression.type", "brotli")]).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, vec!["compression.type", "linger.ms"]);
}

#[test]
fn producers_partition_keys_as_java_does_by_default() {
    let settings = translate(Producer, &[]).unwrap();
    assert_eq!(settings.get("partitioner"), Some("murmur2_random"));
    assert_eq!(translate(Consumer, &[]).unwrap().get("partitioner"), None);
}

#[test]
fn metrics_push_is_off_unless_asked_for() {
    for kind in [Producer, Consumer, Admin] {
        assert_eq!(translate(kind, &[]).unwrap().get("enable.metrics.push"), Some("false"));
        let asked = translate(kind, &[("enable.metrics.push", "true")]).unwrap();
        assert_eq!(asked.get("enable.metrics.push"), Some("true"));
    }
}

#[test]
fn reconnect_back_off_is_the_java_clients_unless_set() {
    for kind in [Producer, Consumer, Admin] {
        let settings = translate(kind, &[]).unwrap();
        assert_eq!(settings.get("reconnect.backoff.ms"), Some("50"));
        assert_eq!(settings.get("reconnect.backoff.max.ms"), Some("1000"));
        let set = translate(
            kind,
            &[("reconnect.backoff.ms", "200"), ("reconnect.backoff.max.ms", "5000")],
        )
        .unwrap();
        assert_eq!(set.get("reconnect.backoff.ms"), Some("200"));
        assert_eq!(set.get("reconnect.backoff.max.ms"), Some("5000"));
        // Java starts a back-off above its maximum at the maximum.
        let above = translate(kind, &[("reconnect.backoff.ms", "2000")]).unwrap();
        assert_eq!(above.get("reconnect.backoff.ms"), Some("1000"));
    }
}

#[test]
fn librdkafka_debug_lines_are_let_through_only_when_its_debug_setting_asks_for_them() {
    use rdkafka::config::RDKafkaLogLevel;
    let quiet = translate(Producer, &[]).unwrap().client_config();
    assert!(matches!(quiet.log_level, RDKafkaLogLevel::Warning));
    let traced = translate(Producer, &[("debug", "msg")]).unwrap().client_config();
    assert_eq!(traced.get("debug"), Some("msg"));
    assert!(matches!(traced.log_level, RDKafkaLogLevel::Debug));
}

mod security_keys {
    use std::path::Path;

    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkcs12::Pkcs12;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::stack::Stack;
    use openssl::x509::{X509Name, X509};

    use super::*;

    fn certificate(name: &str) -> (X509, PKey<Private>) {
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut subject = X509Name::builder().unwrap();
        subject.append_entry_by_text("CN", name).unwrap();
        let subject = subject.build();
        let mut builder = X509::builder().unwrap();
        builder.set_version(2).unwrap();
        builder.set_subject_name(&subject).unwrap();
        builder.set_issuer_name(&subject).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
        builder.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
        builder.sign(&key, MessageDigest::sha256()).unwrap();
        (builder.build(), key)
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    #[test]
    fn strimzi_tls_worker_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _) = certificate("cluster-ca");
        let mut cas = Stack::new().unwrap();
        cas.push(ca.clone()).unwrap();
        let truststore = Pkcs12::builder().ca(cas).build2("trustpass").unwrap();
        let truststore = write(dir.path(), "ca.p12", &truststore.to_der().unwrap());
        let (user, user_key) = certificate("my-user");
        let keystore = Pkcs12::builder()
            .name("my-user")
            .pkey(&user_key)
            .cert(&user)
            .build2("keypass")
            .unwrap();
        let keystore = write(dir.path(), "user.p12", &keystore.to_der().unwrap());
        let settings = translate(
            Producer,
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", &truststore),
                ("ssl.truststore.password", "trustpass"),
                ("ssl.truststore.type", "PKCS12"),
                ("ssl.keystore.location", &keystore),
                ("ssl.keystore.password", "keypass"),
                ("ssl.keystore.type", "PKCS12"),
                ("ssl.endpoint.identification.algorithm", ""),
                ("ssl.enabled.protocols", "TLSv1.3"),
            ],
        )
        .unwrap();
        assert_eq!(settings.get("security.protocol"), Some("ssl"));
        let ca_pem = String::from_utf8(ca.to_pem().unwrap()).unwrap();
        assert_eq!(settings.get("ssl.ca.pem"), Some(ca_pem.as_str()));
        let user_pem = String::from_utf8(user.to_pem().unwrap()).unwrap();
        assert_eq!(settings.get("ssl.certificate.pem"), Some(user_pem.as_str()));
        assert!(settings.get("ssl.key.pem").unwrap().contains("BEGIN PRIVATE KEY"));
        assert_eq!(settings.get("ssl.endpoint.identification.algorithm"), Some("none"));
        for java_only in [
            "ssl.truststore.location",
            "ssl.keystore.password",
            "ssl.enabled.protocols",
        ] {
            assert_eq!(settings.get(java_only), None);
        }
        assert_eq!(settings.notices.len(), 1, "{:?}", settings.notices);
        assert!(settings.security().tls.key_pem.is_some());

        let errors = translate(
            Producer,
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", &truststore),
                ("ssl.truststore.password", "wrong"),
            ],
        )
        .unwrap_err();
        assert_eq!(errors[0].key, "ssl.truststore.location");
        assert!(
            errors[0].message.contains("wrong ssl.truststore.password"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn pem_stores_and_jks() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_key) = certificate("ca");
        let ca_pem = String::from_utf8(ca.to_pem().unwrap()).unwrap();
        let ca_file = write(dir.path(), "ca.crt", ca_pem.as_bytes());
        let settings = translate(
            Admin,
            &[
                ("security.protocol", "ssl"),
                ("ssl.truststore.type", "PEM"),
                ("ssl.truststore.location", &ca_file),
            ],
        )
        .unwrap();
        assert_eq!(settings.get("ssl.ca.pem"), Some(ca_pem.as_str()));
        assert_eq!(settings.get("ssl.endpoint.identification.algorithm"), Some("https"));
        // librdkafka's own name for a PEM CA file is read the same way, not passed on beside it
        // (librdkafka refuses ssl.ca.location together with ssl.ca.pem).
        let settings = translate(Admin, &[("security.protocol", "SSL"), ("ssl.ca.location", &ca_file)]).unwrap();
        assert_eq!(settings.get("ssl.ca.pem"), Some(ca_pem.as_str()));
        assert_eq!(settings.get("ssl.ca.location"), None);
        assert!(settings
            .client_config()
            .create::<rdkafka::consumer::BaseConsumer>()
            .is_ok());

        let key_pem = ca_key
            .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"kp")
            .unwrap();
        let settings = translate(
            Admin,
            &[
                ("security.protocol", "SSL"),
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.certificate.chain", &ca_pem),
                ("ssl.keystore.key", std::str::from_utf8(&key_pem).unwrap()),
                ("ssl.key.password", "kp"),
            ],
        )
        .unwrap();
        assert!(settings
            .get("ssl.key.pem")
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----"));

        let jks = write(dir.path(), "trust.jks", &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]);
        let errors = translate(
            Consumer,
            &[("security.protocol", "SSL"), ("ssl.truststore.location", &jks)],
        )
        .unwrap_err();
        assert_eq!(errors[0].key, "ssl.truststore.location");
        assert!(
            errors[0].message.contains("keytool -importkeystore"),
            "{}",
            errors[0].message
        );

        // Without TLS the stores are not read (as the Java clients ignore them).
        translate(Consumer, &[("ssl.truststore.location", &jks)]).unwrap();
    }

    #[test]
    fn sasl_from_jaas() {
        let settings = translate(
            Consumer,
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"my-connect\" password=\"s3cr=t\";",
                ),
            ],
        )
        .unwrap();
        assert_eq!(settings.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(settings.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(settings.get("sasl.username"), Some("my-connect"));
        assert_eq!(settings.get("sasl.password"), Some("s3cr=t"));
        assert_eq!(settings.get("sasl.jaas.config"), None);

        // OAuth client credentials: librdkafka's own OIDC client fetches the tokens.
        let oidc = translate(
            Producer,
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "OAUTHBEARER"),
                ("sasl.oauthbearer.token.endpoint.url", "https://sso/token"),
                (
                    "sasl.login.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                ),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"c\" clientSecret=\"s\" scope=\"kafka\";",
                ),
            ],
        )
        .unwrap();
        assert_eq!(oidc.get("sasl.oauthbearer.method"), Some("oidc"));
        assert_eq!(
            oidc.get("sasl.oauthbearer.token.endpoint.url"),
            Some("https://sso/token")
        );
        assert_eq!(oidc.get("sasl.oauthbearer.client.id"), Some("c"));
        assert_eq!(oidc.get("sasl.oauthbearer.client.secret"), Some("s"));
        assert_eq!(oidc.get("sasl.oauthbearer.scope"), Some("kafka"));
        let unsecured = translate(
            Producer,
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "OAUTHBEARER"),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"admin\";",
                ),
            ],
        )
        .unwrap();
        assert_eq!(unsecured.get("enable.sasl.oauthbearer.unsecure.jwt"), Some("true"));
        assert_eq!(unsecured.get("sasl.oauthbearer.config"), Some("principal=admin"));

        let plain_with_scram_module = translate(
            Producer,
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"a\" password=\"b\";",
                ),
            ],
        )
        .unwrap_err();
        assert!(plain_with_scram_module[0].message.contains("PlainLoginModule"));
        let gssapi = translate(Producer, &[("security.protocol", "SASL_SSL")]).unwrap_err();
        assert_eq!(gssapi[0].key, "sasl.mechanism");
        assert!(gssapi[0].message.contains("GSSAPI"));
        let bad_protocol = translate(Producer, &[("security.protocol", "TLS")]).unwrap_err();
        assert_eq!(bad_protocol[0].key, "security.protocol");
    }
}
