//! The error of a value that does not fit: a record a converter cannot read or write, a
//! transformation cannot apply to, or a decimal that is not a number.

/// A value that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

impl DataError {
    /// A conversion error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        DataError(message.into())
    }
}
