//! Errors connectors and tasks return.

use crate::config::ValidationError;
use crate::converter::DataError;

/// Why a connector or task call failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The config is invalid.
    #[error("{}", format_validation(.0))]
    Config(Vec<ValidationError>),
    /// A record could not be converted or transformed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A passing failure; the worker retries the same call.
    #[error("{0}")]
    Retriable(String),
    /// A failure that stops the task.
    #[error("{0}")]
    Fatal(String),
    /// A failure that stops the task, with the error that caused it (kept, so that the status
    /// trace shows every cause: see [`ConnectError::trace`]).
    #[error("{context}")]
    FatalCause {
        /// What failed.
        context: String,
        /// Why.
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A failure that stops the task: an error of another kind, kept whole.
    #[error(transparent)]
    FatalError(Box<dyn std::error::Error + Send + Sync>),
    /// Kafka refused a request.
    #[error(transparent)]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl ConnectError {
    /// A fatal error with `message`.
    pub fn fatal(message: impl Into<String>) -> Self {
        ConnectError::Fatal(message.into())
    }

    /// A fatal error saying what failed (`context`), caused by `cause`.
    pub fn caused(context: impl Into<String>, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ConnectError::FatalCause {
            context: context.into(),
            cause: cause.into(),
        }
    }

    /// A fatal error that is `error` (its message, its causes).
    pub fn failed(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ConnectError::FatalError(error.into())
    }

    /// The message with each cause after it (`context: cause: cause's cause`), as a status
    /// trace shows it.
    pub fn trace(&self) -> String {
        crate::error_chain::with_causes(self)
    }
}

/// Apache's wording for an invalid connector config.
pub fn format_validation(errors: &[ValidationError]) -> String {
    let mut text = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        errors.len()
    );
    for error in errors {
        text.push('\n');
        text.push_str(&error.message);
    }
    text.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    text
}

#[cfg(test)]
mod tests {
    use super::ConnectError;

    /// A status trace names what failed and every cause below it (written by
    /// `error_chain::with_causes`, tested there).
    #[test]
    fn the_trace_keeps_every_cause() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let sending = || ConnectError::caused("error sending request", refused());
        let caused = ConnectError::caused("cannot reach the registry", sending());
        assert_eq!(caused.to_string(), "cannot reach the registry");
        assert_eq!(
            caused.trace(),
            "cannot reach the registry: error sending request: connection refused"
        );
        let failed = ConnectError::failed(sending());
        assert_eq!(failed.trace(), "error sending request: connection refused");
        assert_eq!(ConnectError::fatal("plain").trace(), "plain");
    }
}
