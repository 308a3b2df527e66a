//! The wall clock as Kafka and Connect count it: milliseconds (Debezium's events also
//! microseconds) since the Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 for a clock set before it).
pub fn now_millis() -> i64 {
    saturating(since_epoch().as_millis())
}

/// Microseconds since the Unix epoch (0 for a clock set before it).
pub fn now_micros() -> i64 {
    saturating(since_epoch().as_micros())
}

/// The time since the epoch (zero for a clock set before it).
fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// `count` as an `i64`, the largest one beyond its range.
fn saturating(count: u128) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
