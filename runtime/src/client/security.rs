//! The security keys of the Java clients (`security.protocol`, `ssl.*`, `sasl.*`) read into one
//! model, [`KafkaSecurity`], that both librdkafka and the worker's own group connection use.
//!
//! Key and trust stores are read here, once, into PEM text held in memory: PKCS12 and PEM stores
//! directly, a JKS store refused with the command that converts it. SASL credentials come from
//! the JAAS line (`sasl.jaas.config`) as Strimzi and every Connect user write it.

use std::fs;

use openssl::error::ErrorStack;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::ssl::SslContextBuilder;
use openssl::x509::{X509Ref, X509};

use super::jaas;
use super::Translation;
use crate::config::ConfigMap;

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    #[default]
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(Self::Plaintext),
            "SSL" => Some(Self::Ssl),
            "SASL_PLAINTEXT" => Some(Self::SaslPlaintext),
            "SASL_SSL" => Some(Self::SaslSsl),
            _ => None,
        }
    }

    /// Whether connections use TLS.
    pub fn tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }

    fn librdkafka_name(self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::Ssl => "ssl",
            Self::SaslPlaintext => "sasl_plaintext",
            Self::SaslSsl => "sasl_ssl",
        }
    }
}

/// TLS material, as PEM text.
#[derive(Clone, Default)]
pub struct TlsSettings {
    /// The certificates to trust; the system's roots when `None`.
    pub ca_pem: Option<String>,
    /// The client certificate and its chain (mutual TLS).
    pub certificate_pem: Option<String>,
    /// The client certificate's private key, unencrypted (held in memory only).
    pub key_pem: Option<String>,
    /// Whether the broker's certificate must name the host connected to
    /// (`ssl.endpoint.identification.algorithm=https`, the default).
    pub verify_hostname: bool,
}

impl TlsSettings {
    /// Presents this certificate chain and key (when there are some) on `builder`'s
    /// connections: the group membership's TLS client and the REST API's HTTPS server share it.
    pub(crate) fn add_identity(&self, builder: &mut SslContextBuilder) -> Result<(), ErrorStack> {
        let (Some(chain), Some(key)) = (&self.certificate_pem, &self.key_pem) else {
            return Ok(());
        };
        let mut certificates = X509::stack_from_pem(chain.as_bytes())?.into_iter();
        if let Some(leaf) = certificates.next() {
            builder.set_certificate(&leaf)?;
        }
        for intermediate in certificates {
            builder.add_extra_chain_cert(intermediate)?;
        }
        let key = PKey::private_key_from_pem(key.as_bytes())?;
        builder.set_private_key(&key)?;
        builder.check_private_key()
    }

    /// Trusts these CA certificates on `builder`; returns whether there were some.
    pub(crate) fn add_trusted(&self, builder: &mut SslContextBuilder) -> Result<bool, ErrorStack> {
        let Some(ca) = &self.ca_pem else { return Ok(false) };
        for certificate in X509::stack_from_pem(ca.as_bytes())? {
            builder.cert_store_mut().add_cert(certificate)?;
        }
        Ok(true)
    }
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "…"))
            .field("certificate_pem", &self.certificate_pem.as_ref().map(|_| "…"))
            .field("key_pem", &self.key_pem.as_ref().map(|_| "[hidden]"))
            .field("verify_hostname", &self.verify_hostname)
            .finish()
    }
}

/// How the client authenticates with SASL.
#[derive(Clone, PartialEq, Eq)]
pub enum SaslSettings {
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with a username and password.
    Password {
        /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
        mechanism: String,
        /// The user.
        username: String,
        /// The password.
        password: String,
    },
    /// OAUTHBEARER: tokens from an OAuth server (client credentials) or, without one, an
    /// unsecured token for a principal (test clusters).
    OAuthBearer {
        /// The token endpoint; `None` for an unsecured token.
        token_endpoint: Option<String>,
        /// The client id (or, unsecured, the principal).
        client_id: String,
        /// The client secret.
        client_secret: String,
        /// The scope asked for.
        scope: Option<String>,
    },
}

impl std::fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password {
                mechanism, username, ..
            } => f
                .debug_struct("Password")
                .field("mechanism", mechanism)
                .field("username", username)
                .finish_non_exhaustive(),
            Self::OAuthBearer {
                token_endpoint,
                client_id,
                ..
            } => f
                .debug_struct("OAuthBearer")
                .field("token_endpoint", token_endpoint)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// How a client reaches a secured Kafka cluster.
#[derive(Debug, Clone, Default)]
pub struct KafkaSecurity {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// TLS material (used when the protocol is `SSL` or `SASL_SSL`).
    pub tls: TlsSettings,
    /// SASL credentials (used when the protocol is `SASL_*`).
    pub sasl: Option<SaslSettings>,
}

/// Java security keys with no librdkafka equivalent, and why they can be left out.
const JVM_ONLY: &[(&str, &str)] = &[
    (
        "ssl.protocol",
        "OpenSSL negotiates the highest TLS version both sides support",
    ),
    (
        "ssl.enabled.protocols",
        "OpenSSL negotiates the highest TLS version both sides support",
    ),
    ("ssl.provider", "TLS is OpenSSL's"),
    ("ssl.keymanager.algorithm", "TLS is OpenSSL's"),
    ("ssl.trustmanager.algorithm", "TLS is OpenSSL's"),
    ("ssl.secure.random.implementation", "TLS is OpenSSL's"),
    ("ssl.engine.factory.class", "TLS is OpenSSL's"),
    (
        "ssl.cipher.suites",
        "Java cipher suite names differ from OpenSSL's; OpenSSL's defaults apply",
    ),
    (
        "sasl.login.refresh.window.factor",
        "librdkafka refreshes tokens on its own schedule",
    ),
    (
        "sasl.login.refresh.window.jitter",
        "librdkafka refreshes tokens on its own schedule",
    ),
    (
        "sasl.login.refresh.min.period.seconds",
        "librdkafka refreshes tokens on its own schedule",
    ),
    (
        "sasl.login.refresh.buffer.seconds",
        "librdkafka refreshes tokens on its own schedule",
    ),
    (
        "sasl.login.connect.timeout.ms",
        "librdkafka's OAuth client has its own timeouts",
    ),
    (
        "sasl.login.read.timeout.ms",
        "librdkafka's OAuth client has its own timeouts",
    ),
    (
        "sasl.login.retry.backoff.ms",
        "librdkafka's OAuth client has its own timeouts",
    ),
    (
        "sasl.login.retry.backoff.max.ms",
        "librdkafka's OAuth client has its own timeouts",
    ),
    ("sasl.kerberos.service.name", "GSSAPI is not built in"),
    ("sasl.kerberos.kinit.cmd", "GSSAPI is not built in"),
    ("sasl.kerberos.min.time.before.relogin", "GSSAPI is not built in"),
    ("sasl.kerberos.ticket.renew.jitter", "GSSAPI is not built in"),
    ("sasl.kerberos.ticket.renew.window.factor", "GSSAPI is not built in"),
];

/// Login callback handlers that mean "OAuth client credentials", which librdkafka does itself.
const OAUTH_HANDLERS: &[&str] = &[
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
    "io.strimzi.kafka.oauth.client.JaasClientOauthLoginCallbackHandler",
];

/// A non-empty value of `key`, trimmed.
fn value<'a>(java: &'a ConfigMap, key: &str) -> Option<&'a str> {
    java.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Whether this module reads `key` (the rest of the table never sees it).
pub(super) fn handles(key: &str) -> bool {
    key == "security.protocol"
        || key.starts_with("ssl.truststore.")
        || key.starts_with("ssl.keystore.")
        || [
            "ssl.ca.location",
            "ssl.key.password",
            "ssl.endpoint.identification.algorithm",
            "sasl.mechanism",
            "sasl.jaas.config",
            "sasl.login.callback.handler.class",
            "sasl.client.callback.handler.class",
            "sasl.oauthbearer.token.endpoint.url",
            "sasl.oauthbearer.scope",
            "sasl.oauthbearer.client.credentials.client.id",
            "sasl.oauthbearer.client.credentials.client.secret",
            "sasl.username",
            "sasl.password",
        ]
        .contains(&key)
        || JVM_ONLY.iter().any(|(k, _)| *k == key)
}

/// Reads the security keys of `java` into a [`KafkaSecurity`] and the librdkafka settings that
/// express it; problems go to `out` under the key the user wrote.
pub(super) fn translate(java: &ConfigMap, out: &mut Translation) -> KafkaSecurity {
    let get = |key: &str| value(java, key);
    for (key, why) in JVM_ONLY {
        if get(key).is_some() {
            out.notice(format!("The configuration '{key}' has no effect here: {why}."));
        }
    }
    let protocol = match get("security.protocol") {
        None => SecurityProtocol::Plaintext,
        Some(value) => match SecurityProtocol::parse(value) {
            Some(protocol) => protocol,
            None => {
                out.error(
                    "security.protocol",
                    format!("'{value}' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
                );
                SecurityProtocol::Plaintext
            }
        },
    };
    out.set("security.protocol", "security.protocol", protocol.librdkafka_name());
    let mut security = KafkaSecurity {
        protocol,
        ..KafkaSecurity::default()
    };
    if protocol.tls() {
        security.tls = tls(java, out);
        let tls = &security.tls;
        if let Some(pem) = &tls.ca_pem {
            out.set("ssl.ca.pem", "ssl.truststore.location", pem);
        }
        if let (Some(certificate), Some(key)) = (&tls.certificate_pem, &tls.key_pem) {
            out.set("ssl.certificate.pem", "ssl.keystore.location", certificate);
            out.set("ssl.key.pem", "ssl.keystore.location", key);
        }
        let algorithm = if tls.verify_hostname { "https" } else { "none" };
        out.set(
            "ssl.endpoint.identification.algorithm",
            "ssl.endpoint.identification.algorithm",
            algorithm,
        );
    }
    if protocol.sasl() {
        security.sasl = sasl(java, out);
        match &security.sasl {
            Some(SaslSettings::Password {
                mechanism,
                username,
                password,
            }) => {
                out.set("sasl.mechanism", "sasl.mechanism", mechanism);
                out.set("sasl.username", "sasl.jaas.config", username);
                out.set("sasl.password", "sasl.jaas.config", password);
            }
            Some(SaslSettings::OAuthBearer {
                token_endpoint,
                client_id,
                client_secret,
                scope,
            }) => {
                out.set("sasl.mechanism", "sasl.mechanism", "OAUTHBEARER");
                match token_endpoint {
                    Some(endpoint) => {
                        out.set("sasl.oauthbearer.method", "sasl.jaas.config", "oidc");
                        out.set("sasl.oauthbearer.token.endpoint.url", "sasl.jaas.config", endpoint);
                        out.set("sasl.oauthbearer.client.id", "sasl.jaas.config", client_id);
                        out.set("sasl.oauthbearer.client.secret", "sasl.jaas.config", client_secret);
                        if let Some(scope) = scope {
                            out.set("sasl.oauthbearer.scope", "sasl.jaas.config", scope);
                        }
                    }
                    None => {
                        out.set("enable.sasl.oauthbearer.unsecure.jwt", "sasl.jaas.config", "true");
                        out.set(
                            "sasl.oauthbearer.config",
                            "sasl.jaas.config",
                            &format!("principal={client_id}"),
                        );
                    }
                }
            }
            None => {}
        }
    }
    security
}

fn tls(java: &ConfigMap, out: &mut Translation) -> TlsSettings {
    let (settings, errors) = read_tls_settings(java);
    for (key, message) in errors {
        out.error(key, message);
    }
    settings
}

/// The TLS material and host name check that `java`'s `ssl.*` keys describe, stores read and
/// keys decrypted; each problem comes under the key at fault. The Kafka clients and the REST
/// API's HTTPS share it.
pub(crate) fn read_tls_settings(java: &ConfigMap) -> (TlsSettings, Vec<StoreError>) {
    let mut errors = Vec::new();
    // Java's default is `https`; an empty value (as Strimzi writes it to turn host name checks
    // off) or librdkafka's `none` turns them off.
    let verify_hostname = match java.get("ssl.endpoint.identification.algorithm").map(|v| v.trim()) {
        None => true,
        Some(value) if value.eq_ignore_ascii_case("https") => true,
        Some(value) if value.is_empty() || value.eq_ignore_ascii_case("none") => false,
        Some(value) => {
            errors.push((
                "ssl.endpoint.identification.algorithm",
                format!("'{value}' is not 'https' or empty"),
            ));
            true
        }
    };
    let mut settings = TlsSettings {
        verify_hostname,
        ..TlsSettings::default()
    };
    match trust_store(java) {
        Ok(pem) => settings.ca_pem = pem,
        Err(e) => errors.push(e),
    }
    match key_store(java) {
        Ok(Some((certificate, key))) => {
            settings.certificate_pem = Some(certificate);
            settings.key_pem = Some(key);
        }
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
    (settings, errors)
}

/// A problem with a store: the key at fault and what is wrong.
pub(crate) type StoreError = (&'static str, String);

/// The trusted certificates as PEM: `ssl.truststore.certificates`, or the store at
/// `ssl.truststore.location` (PKCS12 or PEM).
fn trust_store(java: &ConfigMap) -> Result<Option<String>, StoreError> {
    let get = |key: &str| value(java, key);
    if let Some(pem) = get("ssl.truststore.certificates") {
        return check_certificates(pem)
            .map(|()| Some(pem.to_string()))
            .map_err(|e| ("ssl.truststore.certificates", e));
    }
    if let Some(pem) = get("ssl.ca.location") {
        return read_pem_file(pem).map(Some).map_err(|e| ("ssl.ca.location", e));
    }
    let Some(path) = get("ssl.truststore.location") else {
        return Ok(None);
    };
    let key = "ssl.truststore.location";
    let bytes = read_store(path, get("ssl.truststore.type")).map_err(|e| (key, e))?;
    if is_pem(&bytes) {
        let pem = String::from_utf8_lossy(&bytes).into_owned();
        return check_certificates(&pem).map(|()| Some(pem)).map_err(|e| (key, e));
    }
    let parsed =
        parse_pkcs12(&bytes, get("ssl.truststore.password"), path, "ssl.truststore.password").map_err(|e| (key, e))?;
    let mut pem = String::new();
    for cert in parsed.ca.iter().flatten().chain(parsed.cert.as_deref()) {
        pem.push_str(&to_pem(cert).map_err(|e| (key, e))?);
    }
    if pem.is_empty() {
        return Err((key, format!("the truststore {path} holds no certificate")));
    }
    Ok(Some(pem))
}

/// The client certificate chain and unencrypted key as PEM, from `ssl.keystore.location`
/// (PKCS12 or PEM) or the inline `ssl.keystore.certificate.chain` and `ssl.keystore.key`.
fn key_store(java: &ConfigMap) -> Result<Option<(String, String)>, StoreError> {
    let get = |key: &str| value(java, key);
    let key_password = get("ssl.key.password");
    if let Some(chain) = get("ssl.keystore.certificate.chain") {
        let key = get("ssl.keystore.key").ok_or((
            "ssl.keystore.key",
            "is required with ssl.keystore.certificate.chain".to_string(),
        ))?;
        check_certificates(chain).map_err(|e| ("ssl.keystore.certificate.chain", e))?;
        let key = unencrypted_key(key.as_bytes(), key_password).map_err(|e| ("ssl.keystore.key", e))?;
        return Ok(Some((chain.to_string(), key)));
    }
    let Some(path) = get("ssl.keystore.location") else {
        return Ok(None);
    };
    let key = "ssl.keystore.location";
    let bytes = read_store(path, get("ssl.keystore.type")).map_err(|e| (key, e))?;
    if is_pem(&bytes) {
        let text = String::from_utf8_lossy(&bytes);
        check_certificates(&text).map_err(|e| (key, e))?;
        let certificates = pem_blocks(&text, "CERTIFICATE");
        let private_key = unencrypted_key(&bytes, key_password.or(get("ssl.keystore.password")))
            .map_err(|e| (key, format!("{path}: {e}")))?;
        return Ok(Some((certificates, private_key)));
    }
    let parsed =
        parse_pkcs12(&bytes, get("ssl.keystore.password"), path, "ssl.keystore.password").map_err(|e| (key, e))?;
    let (Some(cert), Some(pkey)) = (parsed.cert, parsed.pkey) else {
        return Err((
            key,
            format!("the keystore {path} holds no private key with its certificate"),
        ));
    };
    let mut chain = to_pem(&cert).map_err(|e| (key, e))?;
    for extra in parsed.ca.iter().flatten() {
        chain.push_str(&to_pem(extra).map_err(|e| (key, e))?);
    }
    let private_key = pkey
        .private_key_to_pem_pkcs8()
        .map_err(|e| (key, format!("cannot export the key of {path}: {e}")))?;
    Ok(Some((chain, String::from_utf8_lossy(&private_key).into_owned())))
}

/// A store's bytes; JKS (Java's own format) is refused with the way out.
fn read_store(path: &str, declared_type: Option<&str>) -> Result<Vec<u8>, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    const JKS_MAGIC: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
    if bytes.starts_with(&JKS_MAGIC) {
        return Err(format!(
            "{path} is a JKS keystore, which Tributary cannot read. Convert it to PKCS12 \
             (keytool -importkeystore -srckeystore {path} -destkeystore store.p12 -deststoretype PKCS12) \
             and set the type to PKCS12, or use PEM files with type PEM"
        ));
    }
    if let Some(kind) = declared_type {
        if !["JKS", "PKCS12", "PEM"].contains(&kind.to_ascii_uppercase().as_str()) {
            return Err(format!("store type '{kind}' is not one of PKCS12, PEM, JKS"));
        }
    }
    Ok(bytes)
}

fn is_pem(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).contains("-----BEGIN")
}

fn read_pem_file(path: &str) -> Result<String, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    check_certificates(&text).map(|()| text)
}

fn check_certificates(pem: &str) -> Result<(), String> {
    match X509::stack_from_pem(pem.as_bytes()) {
        Ok(certs) if !certs.is_empty() => Ok(()),
        Ok(_) => Err("no PEM certificate found".into()),
        Err(e) => Err(format!("not PEM certificates: {e}")),
    }
}

/// Every PEM block of `label` in `text`, in order.
fn pem_blocks(text: &str, label: &str) -> String {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let Some(stop) = rest[start..].find(&end) else { break };
        let block_end = start + stop + end.len();
        out.push_str(&rest[start..block_end]);
        out.push('\n');
        rest = &rest[block_end..];
    }
    out
}

fn unencrypted_key(pem: &[u8], password: Option<&str>) -> Result<String, String> {
    let key = match password {
        Some(password) => PKey::private_key_from_pem_passphrase(pem, password.as_bytes()),
        None => PKey::private_key_from_pem(pem),
    }
    .map_err(|e| format!("cannot read the private key (wrong ssl.key.password?): {e}"))?;
    let pem = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| format!("cannot export the private key: {e}"))?;
    Ok(String::from_utf8_lossy(&pem).into_owned())
}

fn parse_pkcs12(
    bytes: &[u8],
    password: Option<&str>,
    path: &str,
    password_key: &str,
) -> Result<openssl::pkcs12::ParsedPkcs12_2, String> {
    let store = Pkcs12::from_der(bytes).map_err(|e| format!("{path} is neither PKCS12 nor PEM: {e}"))?;
    store
        .parse2(password.unwrap_or(""))
        .map_err(|e| format!("cannot open the PKCS12 store {path} (wrong {password_key}?): {e}"))
}

fn to_pem(cert: &X509Ref) -> Result<String, String> {
    cert.to_pem()
        .map(|pem| String::from_utf8_lossy(&pem).into_owned())
        .map_err(|e| format!("cannot write a certificate as PEM: {e}"))
}

fn sasl(java: &ConfigMap, out: &mut Translation) -> Option<SaslSettings> {
    let get = |key: &str| value(java, key);
    let mechanism = get("sasl.mechanism").unwrap_or("GSSAPI").to_ascii_uppercase();
    for key in [
        "sasl.client.callback.handler.class",
        "sasl.login.callback.handler.class",
    ] {
        if let Some(class) = get(key) {
            if !(mechanism == "OAUTHBEARER" && OAUTH_HANDLERS.contains(&class)) {
                out.error(key, format!("Java callback handlers cannot run in Tributary ({class})"));
            }
        }
    }
    let entry = match get("sasl.jaas.config").map(jaas::parse) {
        Some(Ok(entry)) => Some(entry),
        Some(Err(e)) => {
            out.error("sasl.jaas.config", format!("not a JAAS entry: {e}"));
            return None;
        }
        None => None,
    };
    let option = |name: &str| entry.as_ref().and_then(|e| e.options.get(name).cloned());
    match mechanism.as_str() {
        "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" => {
            let expected = if mechanism == "PLAIN" {
                "PlainLoginModule"
            } else {
                "ScramLoginModule"
            };
            if let Some(entry) = &entry {
                if entry.simple_class() != expected {
                    out.error(
                        "sasl.jaas.config",
                        format!(
                            "{} does not go with sasl.mechanism={mechanism} ({expected} does)",
                            entry.class
                        ),
                    );
                    return None;
                }
            }
            let username = option("username").or_else(|| get("sasl.username").map(str::to_string));
            let password = option("password").or_else(|| get("sasl.password").map(str::to_string));
            match (username, password) {
                (Some(username), Some(password)) => Some(SaslSettings::Password {
                    mechanism,
                    username,
                    password,
                }),
                _ => {
                    out.error(
                        "sasl.jaas.config",
                        format!("{mechanism} needs a username and a password (in sasl.jaas.config)"),
                    );
                    None
                }
            }
        }
        "OAUTHBEARER" => {
            let token_endpoint = get("sasl.oauthbearer.token.endpoint.url")
                .map(str::to_string)
                .or_else(|| option("oauth.token.endpoint.uri"));
            let client_id = get("sasl.oauthbearer.client.credentials.client.id")
                .map(str::to_string)
                .or_else(|| option("clientId"))
                .or_else(|| option("oauth.client.id"));
            let client_secret = get("sasl.oauthbearer.client.credentials.client.secret")
                .map(str::to_string)
                .or_else(|| option("clientSecret"))
                .or_else(|| option("oauth.client.secret"));
            let scope = get("sasl.oauthbearer.scope")
                .map(str::to_string)
                .or_else(|| option("scope"))
                .or_else(|| option("oauth.scope"));
            match (token_endpoint, client_id, client_secret) {
                (Some(endpoint), Some(client_id), Some(client_secret)) => Some(SaslSettings::OAuthBearer {
                    token_endpoint: Some(endpoint),
                    client_id,
                    client_secret,
                    scope,
                }),
                (None, _, _) => match option("unsecuredLoginStringClaim_sub") {
                    Some(principal) => Some(SaslSettings::OAuthBearer {
                        token_endpoint: None,
                        client_id: principal,
                        client_secret: String::new(),
                        scope,
                    }),
                    None => {
                        out.error(
                            "sasl.oauthbearer.token.endpoint.url",
                            "OAUTHBEARER needs a token endpoint, a client id and a client secret".to_string(),
                        );
                        None
                    }
                },
                _ => {
                    out.error(
                        "sasl.jaas.config",
                        "OAUTHBEARER needs a client id and a client secret (clientId, clientSecret)".to_string(),
                    );
                    None
                }
            }
        }
        "GSSAPI" => {
            out.error(
                "sasl.mechanism",
                "GSSAPI (Kerberos) is not built into Tributary; use SCRAM-SHA-512, PLAIN or OAUTHBEARER".to_string(),
            );
            None
        }
        other => {
            out.error(
                "sasl.mechanism",
                format!("'{other}' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER"),
            );
            None
        }
    }
}
