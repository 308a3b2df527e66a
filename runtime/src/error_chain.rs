//! An error's message with its causes: many errors (reqwest's, hyper's) say what failed but keep
//! why in their sources ("error sending request" over "connection refused" or "certificate
//! verify failed"), and a message or status trace that drops the sources drops the reason.

use std::error::Error;

/// `error`'s message followed by each source's, separated by `: `; a source whose message is
/// already part of the text is skipped.
pub fn with_causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::with_causes;

    #[derive(Debug, thiserror::Error)]
    #[error("error sending request")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_causes_follow_the_message() {
        let error = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        assert_eq!(with_causes(&error), "error sending request: connection refused");
        let plain = std::io::Error::other("no source");
        assert_eq!(with_causes(&plain), "no source");
    }
}
