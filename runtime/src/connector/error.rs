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
