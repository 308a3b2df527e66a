//! The topics a sink connector consumes: `topics` (names) or `topics.regex` (a pattern
//! matching whole topic names, as Apache's, not a search), checked, subscribed to and
//! matched in one place.

use regex::Regex;

use super::config::{TOPICS, TOPICS_REGEX};
use crate::config::{ConfigMap, KeyValue, ValidationError};

/// The consumer group of sink connector `connector`'s tasks (`connect-<name>`, as Apache's):
/// it holds the sink's offsets, which the offsets REST endpoints read, alter and reset.
pub fn sink_consumer_group(connector: &str) -> String {
    format!("connect-{connector}")
}

/// A sink's topics.
#[derive(Debug, Clone)]
pub enum SinkTopics {
    /// `topics`.
    Names(Vec<String>),
    /// `topics.regex`, anchored at both ends.
    Pattern(Regex),
}

impl SinkTopics {
    /// The topics of a connector `config`, or why they are wrong (Apache's messages, each under
    /// the key it concerns).
    pub fn new(config: &ConfigMap) -> Result<Self, Vec<ValidationError>> {
        let names: Vec<String> = KeyValue::read(config.get(TOPICS.name()).map(String::as_str));
        let pattern = config
            .get(TOPICS_REGEX.name())
            .map(|p| p.trim())
            .filter(|p| !p.is_empty());
        let on_both = |message: &str| {
            [TOPICS.name(), TOPICS_REGEX.name()]
                .into_iter()
                .map(|key| ValidationError {
                    key: key.into(),
                    message: message.into(),
                })
                .collect()
        };
        match (names.is_empty(), pattern) {
            (false, Some(_)) => Err(on_both("Must configure only one of topics or topics.regex")),
            (true, None) => Err(on_both("Must configure one of topics or topics.regex")),
            (false, None) => Ok(SinkTopics::Names(names)),
            (true, Some(pattern)) => Regex::new(&anchored(pattern)).map(SinkTopics::Pattern).map_err(|e| {
                vec![ValidationError {
                    key: TOPICS_REGEX.name().into(),
                    message: format!("Invalid value {pattern} for configuration topics.regex: {e}"),
                }]
            }),
        }
    }

    /// What the consumer subscribes to: the names, or the anchored pattern (librdkafka takes a
    /// subscription starting with `^` as a regular expression).
    pub fn subscription(&self) -> Vec<String> {
        match self {
            SinkTopics::Names(names) => names.clone(),
            SinkTopics::Pattern(pattern) => vec![pattern.as_str().to_string()],
        }
    }

    /// Whether the sink consumes `topic`.
    pub fn matches(&self, topic: &str) -> bool {
        match self {
            SinkTopics::Names(names) => names.iter().any(|n| n == topic),
            SinkTopics::Pattern(pattern) => pattern.is_match(topic),
        }
    }
}

/// A pattern anchored at both ends: Apache matches whole topic names (`orders` is not
/// `orders-dlq`), while librdkafka's subscriptions and the `regex` crate search. The form
/// (`^(…)$`) suits both.
fn anchored(pattern: &str) -> String {
    let inner = pattern.strip_prefix('^').unwrap_or(pattern);
    let inner = inner.strip_suffix('$').unwrap_or(inner);
    format!("^({inner})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(pairs: &[(&str, &str)]) -> Result<SinkTopics, Vec<ValidationError>> {
        SinkTopics::new(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn topics_regex_matches_whole_names() {
        let matches = |pattern: &str, topic: &str| topics(&[("topics.regex", pattern)]).unwrap().matches(topic);
        assert!(matches("orders", "orders"));
        assert!(!matches("orders", "orders-dlq"));
        assert!(!matches("orders", "old-orders"));
        assert!(matches("^orders.*$", "orders-dlq"));
        assert!(matches("a|b", "b") && !matches("a|b", "ab"));
        assert_eq!(topics(&[("topics.regex", "a|b")]).unwrap().subscription(), ["^(a|b)$"]);
    }

    #[test]
    fn one_of_topics_or_a_valid_regex_is_required() {
        let keys = |errors: Vec<ValidationError>| errors.into_iter().map(|e| e.key).collect::<Vec<_>>();
        assert_eq!(keys(topics(&[]).unwrap_err()), ["topics", "topics.regex"]);
        assert_eq!(
            keys(topics(&[("topics", "a"), ("topics.regex", "b")]).unwrap_err()),
            ["topics", "topics.regex"]
        );
        assert_eq!(keys(topics(&[("topics.regex", "(")]).unwrap_err()), ["topics.regex"]);
        let names = topics(&[("topics", " a, b ")]).unwrap();
        assert_eq!(names.subscription(), ["a", "b"]);
        assert!(names.matches("b") && !names.matches("c"));
    }
}
