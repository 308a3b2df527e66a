//! HTTPS for the REST API, configured with Apache Kafka Connect's keys: the `ssl.*` keys under
//! `listeners.https.` (or `admin.listeners.https.` for the admin listeners) when any such key is
//! set, else the worker's unprefixed `ssl.*` keys. Stores are read as the Kafka clients read
//! them (PKCS12 or PEM; JKS refused with the way out). The same material makes the client that
//! forwards requests to other workers.

use std::sync::Arc;

use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode, SslVersion};

use crate::client::{read_tls_settings, TlsSettings};
use crate::config::{settings_under, ConfigMap};

/// Keys of the JVM's TLS machinery that have no counterpart here and change nothing.
const JVM_ONLY: [&str; 6] = [
    "ssl.protocol",
    "ssl.provider",
    "ssl.keymanager.algorithm",
    "ssl.trustmanager.algorithm",
    "ssl.secure.random.implementation",
    "ssl.engine.factory.class",
];

/// The `ssl.*` keys for listeners configured under `prefix` (`listeners.https.`), with the
/// prefix removed, and the prefix the user wrote them under (for messages).
pub(crate) fn ssl_keys(raw: &ConfigMap, prefix: &str) -> (ConfigMap, String) {
    let mut prefixed = settings_under(raw, prefix);
    prefixed.retain(|k, _| k.starts_with("ssl."));
    if !prefixed.is_empty() {
        return (prefixed, prefix.to_string());
    }
    let unprefixed = raw
        .iter()
        .filter(|(k, _)| k.starts_with("ssl."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (unprefixed, String::new())
}

/// The stores `keys` (from [`ssl_keys`], found under `prefix`) name, read once for the
/// listeners and for the client that reaches other workers.
pub(crate) fn material(keys: &ConfigMap, prefix: &str) -> Result<TlsSettings, Vec<String>> {
    let (settings, problems) = read_tls_settings(keys);
    if problems.is_empty() {
        return Ok(settings);
    }
    Err(problems
        .into_iter()
        .map(|(key, message)| format!("Invalid value for configuration {prefix}{key}: {message}"))
        .collect())
}

/// The TLS acceptor of HTTPS listeners with `settings` and the other `keys` (from
/// [`ssl_keys`], found under `prefix`); `listener_prefix` is where the listeners' own keys
/// would be.
pub(crate) fn acceptor(
    keys: &ConfigMap,
    settings: &TlsSettings,
    prefix: &str,
    listener_prefix: &str,
) -> Result<Arc<SslAcceptor>, Vec<String>> {
    let mut errors = Vec::new();
    let get = |key: &str| keys.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(suites) = get("ssl.cipher.suites") {
        errors.push(format!(
            "Invalid value {suites} for configuration {prefix}ssl.cipher.suites: the REST API's HTTPS does not choose cipher suites by their Java names; remove it to use OpenSSL's secure defaults"
        ));
    }
    for key in JVM_ONLY {
        if let Some(value) = get(key) {
            tracing::info!("{prefix}{key}={value} is a JVM setting with no effect on the REST API's HTTPS");
        }
    }
    let verify = match get("ssl.client.auth").map(str::to_ascii_lowercase).as_deref() {
        None | Some("none") => SslVerifyMode::NONE,
        Some("requested") => SslVerifyMode::PEER,
        Some("required") => SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        Some(other) => {
            errors.push(format!(
                "Invalid value {other} for configuration {prefix}ssl.client.auth: String must be one of: required, requested, none"
            ));
            SslVerifyMode::NONE
        }
    };
    let versions = match get("ssl.enabled.protocols") {
        None => None,
        Some(list) => match protocol_range(list) {
            Ok(range) => Some(range),
            Err(e) => {
                errors.push(format!(
                    "Invalid value {list} for configuration {prefix}ssl.enabled.protocols: {e}"
                ));
                None
            }
        },
    };
    if settings.certificate_pem.is_none() || settings.key_pem.is_none() {
        if errors.is_empty() {
            let alternative = if prefix.is_empty() {
                format!(" (or {listener_prefix}ssl.keystore.location)")
            } else {
                String::new()
            };
            errors.push(format!(
                "an https listener needs a certificate: set {prefix}ssl.keystore.location{alternative} to a PKCS12 or PEM store, or {prefix}ssl.keystore.certificate.chain and {prefix}ssl.keystore.key"
            ));
        }
        return Err(errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    build_acceptor(settings, verify, versions)
        .map(Arc::new)
        .map_err(|e| vec![format!("cannot set up HTTPS with the {prefix}ssl.* settings: {e}")])
}

fn build_acceptor(
    settings: &TlsSettings,
    verify: SslVerifyMode,
    versions: Option<(SslVersion, SslVersion)>,
) -> Result<SslAcceptor, openssl::error::ErrorStack> {
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    settings.add_identity(&mut builder)?;
    settings.add_trusted(&mut builder)?;
    builder.set_verify(verify);
    if let Some((min, max)) = versions {
        builder.set_min_proto_version(Some(min))?;
        builder.set_max_proto_version(Some(max))?;
    }
    Ok(builder.build())
}

/// The lowest and highest of Java's protocol names in `list` (`TLSv1.2,TLSv1.3`).
fn protocol_range(list: &str) -> Result<(SslVersion, SslVersion), String> {
    let mut versions = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let version = match name {
            "TLSv1.3" => (3, SslVersion::TLS1_3),
            "TLSv1.2" => (2, SslVersion::TLS1_2),
            "TLSv1.1" => (1, SslVersion::TLS1_1),
            "TLSv1" => (0, SslVersion::TLS1),
            other => return Err(format!("'{other}' is not one of TLSv1.3, TLSv1.2, TLSv1.1, TLSv1")),
        };
        versions.push(version);
    }
    let min = versions.iter().min_by_key(|v| v.0).ok_or("no protocol is listed")?;
    let max = versions.iter().max_by_key(|v| v.0).ok_or("no protocol is listed")?;
    Ok((min.1, max.1))
}

/// How long a client's requests may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpTimeouts {
    /// Each request as a whole.
    Total(std::time::Duration),
    /// Connecting, and each wait for more of the answer (as Java's `HttpURLConnection` bounds
    /// them), with no bound on the whole.
    ConnectAndRead {
        /// Connecting.
        connect: std::time::Duration,
        /// Each read.
        read: std::time::Duration,
    },
}

/// The HTTP client that reaches other workers' REST APIs (forwarded requests, task configs
/// sent to the leader): it trusts the listeners' trust store, presents their certificate when
/// the peers ask for one, and checks host names unless
/// `ssl.endpoint.identification.algorithm` is empty.
pub(crate) fn client(
    settings: &TlsSettings,
    prefix: &str,
    timeouts: HttpTimeouts,
) -> Result<reqwest::Client, Vec<String>> {
    let mut builder = match timeouts {
        HttpTimeouts::Total(total) => reqwest::Client::builder().timeout(total),
        HttpTimeouts::ConnectAndRead { connect, read } => {
            reqwest::Client::builder().connect_timeout(connect).read_timeout(read)
        }
    };
    if let Some(ca) = &settings.ca_pem {
        let roots = reqwest::Certificate::from_pem_bundle(ca.as_bytes())
            .map_err(|e| vec![format!("{prefix}ssl.truststore.location: {e}")])?;
        builder = builder.tls_built_in_root_certs(false);
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    if let (Some(chain), Some(key)) = (&settings.certificate_pem, &settings.key_pem) {
        let identity = reqwest::Identity::from_pkcs8_pem(chain.as_bytes(), key.as_bytes())
            .map_err(|e| vec![format!("{prefix}ssl.keystore.location: {e}")])?;
        builder = builder.identity(identity);
    }
    if !settings.verify_hostname {
        builder = builder.danger_accept_invalid_hostnames(true);
    }
    builder
        .build()
        .map_err(|e| vec![format!("cannot make the HTTP client that reaches other workers: {e}")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_keys_win_whole() {
        let raw: ConfigMap = [
            ("ssl.keystore.location", "/a"),
            ("ssl.truststore.location", "/t"),
            ("listeners.https.ssl.keystore.location", "/b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (keys, prefix) = ssl_keys(&raw, "listeners.https.");
        assert_eq!(prefix, "listeners.https.");
        assert_eq!(keys.get("ssl.keystore.location").map(String::as_str), Some("/b"));
        assert!(
            !keys.contains_key("ssl.truststore.location"),
            "Apache takes all or nothing"
        );
        let (keys, prefix) = ssl_keys(&raw, "admin.listeners.https.");
        assert_eq!(prefix, "");
        assert_eq!(keys.get("ssl.keystore.location").map(String::as_str), Some("/a"));
    }

    #[test]
    fn settings_it_cannot_honour_are_refused() {
        let raw: ConfigMap = [
            ("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256"),
            ("ssl.client.auth", "sometimes"),
            ("ssl.enabled.protocols", "SSLv3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let no_stores = TlsSettings::default();
        let errors = acceptor(&raw, &no_stores, "", "listeners.https.")
            .err()
            .unwrap_or_default();
        assert_eq!(errors.len(), 3, "{errors:?}");
        let none: ConfigMap = ConfigMap::new();
        let errors = acceptor(&none, &no_stores, "", "listeners.https.")
            .err()
            .unwrap_or_default();
        assert!(
            errors[0].contains("listeners.https.ssl.keystore.location"),
            "{errors:?}"
        );
    }

    #[test]
    fn protocol_ranges() {
        assert_eq!(
            protocol_range("TLSv1.3, TLSv1.2").map(|(a, b)| (a == SslVersion::TLS1_2, b == SslVersion::TLS1_3)),
            Ok((true, true))
        );
        assert!(protocol_range("").is_err());
    }
}
