//! Why a step of the capture failed: what it was doing, and the error that stopped it (kept as
//! the source, so the task's status trace shows the database's or the stream's own reason).

use pgwire_replication::PgWireError;

use super::pgoutput::DecodeError;

/// A failed step of the capture; the task retries it, then fails with it as the cause.
#[derive(Debug, thiserror::Error)]
pub(super) enum CaptureError {
    /// A query on the database's normal connection.
    #[error("{0}")]
    Query(String, #[source] sqlx::Error),
    /// The replication connection or its stream.
    #[error("{0}")]
    Replication(String, #[source] PgWireError),
    /// A `pgoutput` message that cannot be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A reason of the capture's own, with no error below it (a missing publication, a stream
    /// that ended, a change before its table's description).
    #[error("{0}")]
    Failed(String),
}

impl CaptureError {
    /// Wraps a query's error with what the query was for (`map_err(CaptureError::query(…))`).
    pub(super) fn query(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let context = context.into();
        move |error| CaptureError::Query(context, error)
    }

    /// Wraps a replication error with what was being done.
    pub(super) fn replication(context: impl Into<String>) -> impl FnOnce(PgWireError) -> Self {
        let context = context.into();
        move |error| CaptureError::Replication(context, error)
    }
}

impl From<&str> for CaptureError {
    fn from(message: &str) -> Self {
        CaptureError::Failed(message.to_string())
    }
}

impl From<String> for CaptureError {
    fn from(message: String) -> Self {
        CaptureError::Failed(message)
    }
}
