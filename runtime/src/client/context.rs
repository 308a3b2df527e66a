//! A librdkafka client context that keeps the errors which make a client useless (failed
//! authentication, a TLS handshake that cannot succeed), so that start-up and tasks can report
//! them at once instead of waiting for a timeout.

use std::sync::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Remembers the last fatal error librdkafka reported; logs every error.
#[derive(Debug, Default)]
pub struct ErrorCapture {
    fatal: Mutex<Option<String>>,
}

impl ErrorCapture {
    /// The last authentication or TLS error, if any.
    pub fn fatal_error(&self) -> Option<String> {
        self.fatal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Looks at an error a client reported; keeps it when it is fatal.
    fn record(&self, error: &KafkaError, reason: &str) {
        if is_fatal(error, reason) {
            *self.fatal.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reason.to_string());
        }
    }
}

/// Whether `error` (with librdkafka's `reason`) means the client cannot reach the cluster
/// however long it retries: wrong credentials, an untrusted certificate, a client certificate
/// the broker refuses (a transport failure with a TLS alert).
fn is_fatal(error: &KafkaError, reason: &str) -> bool {
    match error.rdkafka_error_code() {
        Some(
            RDKafkaErrorCode::Authentication
            | RDKafkaErrorCode::SaslAuthenticationFailed
            | RDKafkaErrorCode::SSL
            | RDKafkaErrorCode::ClusterAuthorizationFailed,
        ) => true,
        Some(RDKafkaErrorCode::BrokerTransportFailure) => reason.contains("SSL routines"),
        _ => false,
    }
}

impl ClientContext for ErrorCapture {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::error!("librdkafka: {error}: {reason}");
        self.record(&error, reason);
    }
}

impl ConsumerContext for ErrorCapture {}
