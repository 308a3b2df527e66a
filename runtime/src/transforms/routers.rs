//! Topic routing and dropping: `RegexRouter` (rename topics matching `regex` with
//! `replacement`), `TimestampRouter` (`topic.format` with `${topic}` and `${timestamp}`) and
//! `Filter` (drops every record; use it with a predicate).

use regex::Regex;

use super::support::register;
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Key, ParsedConfig};
use crate::converter::DataError;
use crate::data::ConnectRecord;

/// `regex` (RegexRouter).
const REGEX: Key<String> = Key::new(
    ConfigKey::required("regex", ConfigType::String, "Regular expression to use for matching.")
        .check(|v| Regex::new(v).map(|_| ()).map_err(|e| e.to_string())),
);
/// `replacement` (RegexRouter).
const REPLACEMENT: Key<String> = Key::new(ConfigKey::required(
    "replacement",
    ConfigType::String,
    "Replacement string.",
));

fn regex_config_def() -> ConfigDef {
    ConfigDef::new().key(&REGEX).key(&REPLACEMENT)
}

struct RegexRouter {
    regex: Regex,
    replacement: String,
}

/// Java's `$1` group references as the regex crate writes them (`${1}`).
fn java_replacement(replacement: &str) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    if next == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(next);
                    }
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            other => out.push(other),
        }
    }
    out
}

fn create_regex(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    let pattern = config.value(&REGEX);
    // Apache matches the whole topic name.
    let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?;
    Ok(Box::new(RegexRouter {
        regex,
        replacement: java_replacement(&config.value(&REPLACEMENT)),
    }))
}

impl Transformation for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        if self.regex.is_match(&record.topic) {
            record.topic = self.regex.replace(&record.topic, self.replacement.as_str()).into();
        }
        Ok(Some(record))
    }
}

register!("RegexRouter", regex_config_def, create_regex);

/// `topic.format` (TimestampRouter).
const TOPIC_FORMAT: Key<String> = Key::new(
    ConfigKey::optional(
        "topic.format",
        ConfigType::String,
        "${topic}-${timestamp}",
        "Format string which can contain ${topic} and ${timestamp} as placeholders.",
    )
    .importance(Importance::High),
);
/// `timestamp.format` (TimestampRouter).
const TIMESTAMP_FORMAT: Key<String> = Key::new(
    ConfigKey::optional(
        "timestamp.format",
        ConfigType::String,
        "yyyyMMdd",
        "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
    )
    .importance(Importance::High),
);

fn timestamp_config_def() -> ConfigDef {
    ConfigDef::new().key(&TOPIC_FORMAT).key(&TIMESTAMP_FORMAT)
}

struct TimestampRouter {
    topic_format: String,
    timestamp_format: String,
}

fn create_timestamp(config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(TimestampRouter {
        topic_format: config.value(&TOPIC_FORMAT),
        timestamp_format: super::timestamp_converter::chrono_format(&config.value(&TIMESTAMP_FORMAT)),
    }))
}

impl Transformation for TimestampRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        let millis = record
            .timestamp
            .ok_or_else(|| DataError::new(format!("Timestamp missing on record: {}", record.topic)))?;
        let time =
            chrono::DateTime::from_timestamp_millis(millis).ok_or_else(|| DataError::new("timestamp out of range"))?;
        let stamp = time.format(&self.timestamp_format).to_string();
        record.topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &stamp)
            .into();
        Ok(Some(record))
    }
}

register!("TimestampRouter", timestamp_config_def, create_timestamp);

struct Filter;

impl Transformation for Filter {
    fn apply(&self, _record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        Ok(None)
    }
}

fn create_filter(_config: &ParsedConfig) -> Result<Box<dyn Transformation>, String> {
    Ok(Box::new(Filter))
}

register!("Filter", ConfigDef::new, create_filter);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_group_references() {
        assert_eq!(java_replacement("$1-mirror"), "${1}-mirror");
        assert_eq!(java_replacement("a\\$b"), "a$$b");
    }
}
