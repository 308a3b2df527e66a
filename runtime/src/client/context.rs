//! A librdkafka client context that keeps the errors which make a client useless (failed
//! authentication, a TLS handshake that cannot succeed), so that start-up and tasks can report
//! them at once instead of waiting for a timeout.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How long an error that keeps coming back (`AllBrokersDown` while the brokers are gone) is
/// logged once.
const REPEAT_QUIET: Duration = Duration::from_secs(30);

/// Remembers the last fatal error librdkafka reported; logs each error, an error that keeps
/// repeating once every [`REPEAT_QUIET`].
#[derive(Debug, Default)]
pub struct ErrorCapture {
    fatal: Mutex<Option<String>>,
    last_logged: Mutex<Option<(String, Instant)>>,
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

impl ErrorCapture {
    /// Whether `error` should be logged now: not when the same error was logged a moment ago.
    fn worth_logging(&self, error: &KafkaError) -> bool {
        let key = error.to_string();
        let mut last = self.last_logged.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last
            .as_ref()
            .is_some_and(|(previous, at)| *previous == key && at.elapsed() < REPEAT_QUIET)
        {
            return false;
        }
        *last = Some((key, Instant::now()));
        true
    }
}

/// The level a librdkafka log line is logged at: its own, except for the retries of an
/// idempotent producer's id, which librdkafka makes by itself (a new cluster answers
/// "coordinator load in progress" while it creates its transaction state topic), as Java's
/// producer does not warn of them either.
fn log_level(level: RDKafkaLogLevel, facility: &str, message: &str) -> RDKafkaLogLevel {
    if facility == "GETPID" && message.ends_with(": retrying") {
        RDKafkaLogLevel::Debug
    } else {
        level
    }
}

impl ClientContext for ErrorCapture {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        DefaultClientContext.log(log_level(level, facility, message), facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if self.worth_logging(&error) {
            tracing::error!("librdkafka: {error}: {reason}");
        } else {
            tracing::debug!("librdkafka: {error}: {reason}");
        }
        self.record(&error, reason);
    }
}

impl ConsumerContext for ErrorCapture {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotent_producers_own_retries_are_not_warnings() {
        let retry =
            "Failed to acquire idempotence PID from broker b:9092/1: Broker: Coordinator load in progress: retrying";
        assert!(matches!(
            log_level(RDKafkaLogLevel::Warning, "GETPID", retry),
            RDKafkaLogLevel::Debug
        ));
        let other = "Failed to acquire idempotence PID: Broker: Cluster authorization failed";
        assert!(matches!(
            log_level(RDKafkaLogLevel::Warning, "GETPID", other),
            RDKafkaLogLevel::Warning
        ));
    }

    #[test]
    fn a_repeating_error_is_logged_once_a_while() {
        let context = ErrorCapture::default();
        let down = KafkaError::Global(RDKafkaErrorCode::AllBrokersDown);
        assert!(context.worth_logging(&down));
        assert!(!context.worth_logging(&down));
        let other = KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure);
        assert!(context.worth_logging(&other));
        assert!(
            context.worth_logging(&down),
            "a different error in between is news again"
        );
    }
}
