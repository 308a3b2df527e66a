//! Why a local Kafka, or another local server started the same way, could not be provided.

use std::path::PathBuf;

/// Why a local Kafka (or another local server) could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum LocalKafkaError {
    /// A program that is needed is not installed.
    #[error("`{program}` was not found on PATH: {hint}")]
    MissingProgram {
        /// The program looked for.
        program: &'static str,
        /// How to install it.
        hint: &'static str,
    },
    /// A command run to fetch or install something (Maven, pip, tar) failed.
    #[error("{what} failed ({status}); it said:\n{output}")]
    Fetch {
        /// What the command was doing.
        what: String,
        /// Its exit status.
        status: String,
        /// The tail of its output.
        output: String,
    },
    /// An I/O error on a file or process.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A server (a Kafka node; the test harness's databases and registry too) exited, failed a
    /// step of its set-up, or did not become ready in time.
    #[error("{message}\n--- lines of {} ---\n{log_tail}", log.display())]
    Node {
        /// What went wrong.
        message: String,
        /// Its process exited during start-up.
        exited: bool,
        /// Its log file.
        log: PathBuf,
        /// The first error of that log and its last lines.
        log_tail: String,
    },
    /// A request to the cluster failed.
    #[error("kafka request failed: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The caller asked for something the cluster does not have.
    #[error("{0}")]
    Usage(String),
}

impl LocalKafkaError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| LocalKafkaError::Io { context, source }
    }
}
