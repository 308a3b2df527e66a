//! Why a read of a table failed: what was being done, and the database's error (kept as the
//! source, so the task's status trace shows the driver's own reason), or why a table cannot be
//! read as configured.

/// A failed read; the task retries it, then fails with it as the cause.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    /// A statement the database refused or could not answer.
    #[error("{0}")]
    Query(String, #[source] sqlx::Error),
    /// A reason of the reader's own (a missing table, a row it cannot turn into a record).
    #[error("{0}")]
    Failed(String),
    /// A table the config cannot read (an offset column missing or nullable): the task fails
    /// at once, as a retry cannot succeed.
    #[error("{0}")]
    Refused(String),
}

impl ReadError {
    /// Wraps a statement's error with what the statement was for
    /// (`map_err(ReadError::query(…))`).
    pub(super) fn query(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let context = context.into();
        move |error| ReadError::Query(context, error)
    }
}

impl From<String> for ReadError {
    fn from(message: String) -> Self {
        ReadError::Failed(message)
    }
}
