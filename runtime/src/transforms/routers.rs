//! Topic routing and dropping: `RegexRouter` (rename topics matching `regex` with
//! `replacement`), `TimestampRouter` (`topic.format` with `${topic}` and `${timestamp}`) and
//! `Filter` (drops every record; use it with a predicate).

use regex::Regex;

use super::support::register;
use super::Transformation;
use crate::config::{ConfigDef, ConfigKey, ConfigMap, ConfigType};
use crate::converter::DataError;
use crate::data::ConnectRecord;

fn regex_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::required("regex", ConfigType::String, "Regular expression to use for matching.")
                .check(|v| Regex::new(v).map(|_| ()).map_err(|e| e.to_string())),
        )
        .define(ConfigKey::required(
            "replacement",
            ConfigType::String,
            "Replacement string.",
        ))
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

fn create_regex(settings: &ConfigMap) -> Result<Box<dyn Transformation>, String> {
    let pattern = settings.get("regex").cloned().unwrap_or_default();
    // Apache matches the whole topic name.
    let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?;
    Ok(Box::new(RegexRouter {
        regex,
        replacement: java_replacement(settings.get("replacement").map(String::as_str).unwrap_or("")),
    }))
}

impl Transformation for RegexRouter {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError> {
        if self.regex.is_match(&record.topic) {
            record.topic = self
                .regex
                .replace(&record.topic, self.replacement.as_str())
                .into_owned();
        }
        Ok(Some(record))
    }
}

register!("RegexRouter", regex_config_def, create_regex);

fn timestamp_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::optional(
            "topic.format",
            ConfigType::String,
            "${topic}-${timestamp}",
            "Format string which can contain ${topic} and ${timestamp} as placeholders.",
        ))
        .define(ConfigKey::optional(
            "timestamp.format",
            ConfigType::String,
            "yyyyMMdd",
            "Format string for the timestamp that is compatible with java.text.SimpleDateFormat.",
        ))
}

struct TimestampRouter {
    topic_format: String,
    timestamp_format: String,
}

fn create_timestamp(settings: &ConfigMap) -> Result<Box<dyn Transformation>, String> {
    let format = settings
        .get("timestamp.format")
        .cloned()
        .unwrap_or_else(|| "yyyyMMdd".into());
    Ok(Box::new(TimestampRouter {
        topic_format: settings
            .get("topic.format")
            .cloned()
            .unwrap_or_else(|| "${topic}-${timestamp}".into()),
        timestamp_format: super::timestamp_converter::chrono_format(&format),
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
            .replace("${timestamp}", &stamp);
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

fn create_filter(_settings: &ConfigMap) -> Result<Box<dyn Transformation>, String> {
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
