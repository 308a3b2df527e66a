//! A Kafka cluster with the listeners Strimzi gives its users: `SSL` with client certificates
//! required (the `tls` KafkaUser), and `SASL_SSL` with SCRAM-SHA-512 (the `scram-sha-512`
//! KafkaUser) and PLAIN. Certificates are made at start-up with `openssl` (the trust store with
//! Java's `keytool`, as Strimzi's `ca.p12` is); the SCRAM user is
//! created when the storage is formatted, as KRaft allows. An `OAUTH` listener takes
//! OAUTHBEARER tokens from a test authorization server ([`OAuthServer`]) and checks them
//! against its JWKS, as a Strimzi `oauth` listener does with Keycloak. The harness itself still
//! reaches the brokers over their PLAINTEXT listener.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use tempfile::TempDir;

use crate::certificates;
use crate::oauth::{OAuthClient, OAuthServer};
use crate::shared::remove_at_exit;
use crate::{ClusterOptions, HarnessError, KafkaCluster};

/// The SCRAM-SHA-512 and PLAIN user.
pub const SASL_USER: &str = "my-connect";
/// Its password.
pub const SASL_PASSWORD: &str = "connect-s3cret";
/// The password of the client key store and of the trust store (PKCS12).
pub const STORE_PASSWORD: &str = "store-s3cret";
/// The OAuth client the `OAUTH` listener's tokens are granted to (and its principal).
pub const OAUTH_CLIENT_ID: &str = "my-connect-client";
/// Its secret.
pub const OAUTH_CLIENT_SECRET: &str = "oauth-s3cret";

/// A one-broker cluster with `SSL` (mutual TLS), `SASL_SSL` and `OAUTH` listeners, and the
/// authorization server whose tokens the last accepts.
#[derive(Debug)]
pub struct SecureKafka {
    cluster: KafkaCluster,
    certificates: TempDir,
    oauth: OAuthServer,
}

impl SecureKafka {
    /// Makes the certificates and starts the broker.
    pub fn start() -> Result<Self, HarnessError> {
        let certificates = tempfile::Builder::new()
            .prefix("tributary-certs-")
            .tempdir()
            .map_err(HarnessError::io("creating the certificates directory"))?;
        let dir = certificates.path();
        let openssl = || Command::new("openssl");
        certificates::signed_certificate(dir, "broker", "localhost", &openssl)?;
        certificates::signed_certificate(dir, "user", SASL_USER, &openssl)?;
        let broker_pem = [fs::read(dir.join("broker.key")), fs::read(dir.join("broker.crt"))]
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(HarnessError::io("reading the broker's key and certificate"))?
            .concat();
        fs::write(dir.join("broker.pem"), broker_pem).map_err(HarnessError::io("writing broker.pem"))?;
        certificates::run(
            dir,
            &openssl,
            &format!("pkcs12 -export -in user.crt -inkey user.key -name {SASL_USER} -out user.p12 -passout pass:{STORE_PASSWORD}"),
        )?;
        // The trust store as Strimzi makes its `ca.p12`, with Java's keytool (a trusted
        // certificate entry, which the JVM peers need too).
        let keytool = Command::new("keytool")
            .current_dir(dir)
            .args([
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                "ca.crt",
                "-keystore",
                "ca.p12",
            ])
            .args(["-storetype", "PKCS12", "-storepass", STORE_PASSWORD])
            .output()
            .map_err(HarnessError::io("running keytool"))?;
        if !keytool.status.success() {
            return Err(HarnessError::Usage(format!(
                "keytool -importcert failed: {}",
                String::from_utf8_lossy(&keytool.stderr)
            )));
        }
        let oauth = OAuthServer::start(OAuthClient {
            id: OAUTH_CLIENT_ID.into(),
            secret: OAUTH_CLIENT_SECRET.into(),
        })?;
        let path = |name: &str| dir.join(name).display().to_string();
        let mut options = ClusterOptions::with_nodes(1);
        options.extra_listeners = vec![
            ("SSL".into(), "SSL".into()),
            ("SASL_SSL".into(), "SASL_SSL".into()),
            ("OAUTH".into(), "SASL_PLAINTEXT".into()),
        ];
        // Kafka 4 fetches only the OAuth URLs it is told it may.
        options.jvm_options = vec![format!(
            "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={}",
            oauth.jwks_endpoint()
        )];
        options.format_args = vec![
            "--add-scram".into(),
            format!("SCRAM-SHA-512=[name={SASL_USER},password={SASL_PASSWORD}]"),
        ];
        options.broker_properties = [
            ("ssl.keystore.type", "PEM".to_string()),
            ("ssl.keystore.location", path("broker.pem")),
            ("ssl.truststore.type", "PEM".to_string()),
            ("ssl.truststore.location", path("ca.crt")),
            ("listener.name.ssl.ssl.client.auth", "required".to_string()),
            ("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN".to_string()),
            (
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;".to_string(),
            ),
            (
                "listener.name.sasl_ssl.plain.sasl.jaas.config",
                format!(
                    "org.apache.kafka.common.security.plain.PlainLoginModule required user_{SASL_USER}=\"{SASL_PASSWORD}\";"
                ),
            ),
            ("listener.name.oauth.sasl.enabled.mechanisms", "OAUTHBEARER".to_string()),
            (
                "listener.name.oauth.oauthbearer.sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;".to_string(),
            ),
            (
                "listener.name.oauth.oauthbearer.sasl.server.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler".to_string(),
            ),
            ("sasl.oauthbearer.jwks.endpoint.url", oauth.jwks_endpoint()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let cluster = KafkaCluster::start_with(options)?;
        Ok(SecureKafka {
            cluster,
            certificates,
            oauth,
        })
    }

    /// The cluster (its PLAINTEXT `bootstrap_servers` for the test's own clients).
    pub fn cluster(&self) -> &KafkaCluster {
        &self.cluster
    }

    /// The `SSL` listener (client certificates required).
    pub fn ssl_servers(&self) -> String {
        self.cluster.listener_servers("SSL")
    }

    /// The `SASL_SSL` listener (SCRAM-SHA-512 and PLAIN).
    pub fn sasl_ssl_servers(&self) -> String {
        self.cluster.listener_servers("SASL_SSL")
    }

    /// The `OAUTH` listener (SASL_PLAINTEXT with OAUTHBEARER tokens from [`OAuthServer`]).
    pub fn oauth_servers(&self) -> String {
        self.cluster.listener_servers("OAUTH")
    }

    /// The Java client settings for OAuth client credentials as Strimzi writes them for
    /// `authentication: type: oauth` (Kafka's own login callback handler), with `secret`.
    pub fn oauth_settings(&self, secret: &str) -> Vec<(String, String)> {
        [
            ("security.protocol", "SASL_PLAINTEXT".to_string()),
            ("sasl.mechanism", "OAUTHBEARER".to_string()),
            ("sasl.oauthbearer.token.endpoint.url", self.oauth.token_endpoint()),
            (
                "sasl.login.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler".to_string(),
            ),
            (
                "sasl.jaas.config",
                format!(
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"{OAUTH_CLIENT_ID}\" clientSecret=\"{secret}\" scope=\"kafka\";"
                ),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Where the certificates, keys and stores are.
    pub fn certificates_dir(&self) -> &Path {
        self.certificates.path()
    }

    fn store(&self, name: &str) -> String {
        self.certificates.path().join(name).display().to_string()
    }

    /// The Java client settings Strimzi writes for a `tls` KafkaUser (mutual TLS with PKCS12
    /// stores), without a prefix.
    pub fn mtls_settings(&self) -> Vec<(String, String)> {
        [
            ("security.protocol", "SSL".to_string()),
            ("ssl.truststore.location", self.store("ca.p12")),
            ("ssl.truststore.password", STORE_PASSWORD.to_string()),
            ("ssl.truststore.type", "PKCS12".to_string()),
            ("ssl.keystore.location", self.store("user.p12")),
            ("ssl.keystore.password", STORE_PASSWORD.to_string()),
            ("ssl.keystore.type", "PKCS12".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The Java client settings Strimzi writes for a `scram-sha-512` KafkaUser over TLS, with
    /// `password`, without a prefix.
    pub fn scram_settings(&self, password: &str) -> Vec<(String, String)> {
        self.sasl_settings(
            "SCRAM-SHA-512",
            "org.apache.kafka.common.security.scram.ScramLoginModule",
            password,
        )
    }

    /// The Java client settings for SASL PLAIN over TLS.
    pub fn plain_settings(&self) -> Vec<(String, String)> {
        self.sasl_settings(
            "PLAIN",
            "org.apache.kafka.common.security.plain.PlainLoginModule",
            SASL_PASSWORD,
        )
    }

    fn sasl_settings(&self, mechanism: &str, module: &str, password: &str) -> Vec<(String, String)> {
        [
            ("security.protocol", "SASL_SSL".to_string()),
            ("ssl.truststore.location", self.store("ca.p12")),
            ("ssl.truststore.password", STORE_PASSWORD.to_string()),
            ("ssl.truststore.type", "PKCS12".to_string()),
            ("sasl.mechanism", mechanism.to_string()),
            (
                "sasl.jaas.config",
                format!("{module} required username=\"{SASL_USER}\" password=\"{password}\";"),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Settings written as Strimzi writes a worker file: each key at the top level and again under
/// the `producer.`, `consumer.` and `admin.` prefixes.
pub fn with_client_prefixes(settings: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = settings.to_vec();
    for prefix in ["producer.", "consumer.", "admin."] {
        out.extend(settings.iter().map(|(k, v)| (format!("{prefix}{k}"), v.clone())));
    }
    out
}

/// The secured cluster shared by the tests of the calling test binary, started on first use.
pub fn shared_secure_cluster() -> &'static SecureKafka {
    static SHARED: OnceLock<SecureKafka> = OnceLock::new();
    SHARED.get_or_init(|| match SecureKafka::start() {
        Ok(secure) => {
            remove_at_exit(secure.cluster.dir());
            remove_at_exit(secure.certificates_dir());
            secure
        }
        Err(error) => panic!("cannot start the secured Kafka cluster: {error}"),
    })
}
