//! `timestamp.granularity`: how the JDBC source writes a timestamp column's values, as
//! Confluent's source writes them: Connect's Timestamp (milliseconds, the default), or the
//! column's full precision as microseconds or nanoseconds from 1970 (a number, or its decimal
//! text), or as the wall time in `db.timezone` in ISO form (`2024-02-29T13:14:15.123456`, nine
//! digits for nanoseconds). Where Confluent's gets a pre-1970 time with a fraction of a second
//! wrong (it truncates the milliseconds towards zero before adding the fraction back), this
//! writes the true number.

use chrono::Datelike;
use tributary_runtime::config::{ConfigKey, ConfigType, Key};
use tributary_runtime::data::{SchemaBuilder, SchemaType, Value};

use super::calendar::DateCalendarSystem;
use super::time_zone::DbTimeZone;

tributary_runtime::choice_key_value!(TimestampGranularity);

/// `timestamp.granularity`.
pub const TIMESTAMP_GRANULARITY: Key<TimestampGranularity> = Key::new(
    ConfigKey::optional(
        "timestamp.granularity",
        ConfigType::String,
        "connect_logical",
        "How timestamp columns are written: connect_logical (Connect's Timestamp), micros_long, \
         micros_string, micros_iso_datetime_string, nanos_long, nanos_string or \
         nanos_iso_datetime_string.",
    )
    .check(|value| {
        TimestampGranularity::parse(value).map(|_| ()).ok_or_else(|| {
            "must be one of connect_logical, micros_long, micros_string, micros_iso_datetime_string, \
             nanos_long, nanos_string, nanos_iso_datetime_string"
                .into()
        })
    }),
);

/// A `timestamp.granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampGranularity {
    /// Connect's Timestamp logical type: milliseconds.
    #[default]
    ConnectLogical,
    /// Microseconds from 1970, an INT64.
    MicrosLong,
    /// Microseconds from 1970 as decimal text.
    MicrosString,
    /// The wall time in `db.timezone`, `yyyy-MM-ddTHH:mm:ss.SSSSSS`.
    MicrosIsoDatetimeString,
    /// Nanoseconds from 1970, an INT64.
    NanosLong,
    /// Nanoseconds from 1970 as decimal text.
    NanosString,
    /// The wall time in `db.timezone`, `yyyy-MM-ddTHH:mm:ss.SSSSSSSSS`.
    NanosIsoDatetimeString,
}

/// Which infinity a PostgreSQL timestamp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Infinity {
    /// `infinity`.
    Positive,
    /// `-infinity`.
    Negative,
}

impl TimestampGranularity {
    /// Parses Confluent's names, in either case.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "connect_logical" => TimestampGranularity::ConnectLogical,
            "micros_long" => TimestampGranularity::MicrosLong,
            "micros_string" => TimestampGranularity::MicrosString,
            "micros_iso_datetime_string" => TimestampGranularity::MicrosIsoDatetimeString,
            "nanos_long" => TimestampGranularity::NanosLong,
            "nanos_string" => TimestampGranularity::NanosString,
            "nanos_iso_datetime_string" => TimestampGranularity::NanosIsoDatetimeString,
            _ => return None,
        })
    }

    /// The schema of a timestamp column's values.
    pub fn schema(self) -> SchemaBuilder {
        match self {
            TimestampGranularity::ConnectLogical => SchemaBuilder::timestamp(),
            TimestampGranularity::MicrosLong | TimestampGranularity::NanosLong => SchemaBuilder::new(SchemaType::Int64),
            _ => SchemaBuilder::new(SchemaType::String),
        }
    }

    /// The value of the instant `micros` microseconds from 1970 (ISO text: its wall time in
    /// `zone`).
    pub fn value(self, micros: i64, zone: &DbTimeZone) -> Result<Value, String> {
        Ok(match self {
            TimestampGranularity::ConnectLogical => Value::Int64(micros.div_euclid(1000)),
            TimestampGranularity::MicrosLong => Value::Int64(micros),
            TimestampGranularity::MicrosString => Value::String(micros.to_string()),
            // Java's TimeUnit conversion saturates, as this does, beyond the year 2262.
            TimestampGranularity::NanosLong => Value::Int64(micros.saturating_mul(1000)),
            TimestampGranularity::NanosString => Value::String((i128::from(micros) * 1000).to_string()),
            TimestampGranularity::MicrosIsoDatetimeString | TimestampGranularity::NanosIsoDatetimeString => {
                let format = match self {
                    TimestampGranularity::MicrosIsoDatetimeString => "-%m-%dT%H:%M:%S%.6f",
                    _ => "-%m-%dT%H:%M:%S%.9f",
                };
                // Through java.time, whatever the calendar system (a zone's whole history).
                let wall = zone.wall_time(micros, DateCalendarSystem::ProlepticGregorian)?;
                // Java's `yyyy`: the year of the era, so 1 BC (year 0) is 0001.
                let year = match wall.year() {
                    year if year <= 0 => format!("{:04}", 1 - year),
                    _ => wall.format("%Y").to_string(),
                };
                Value::String(year + &wall.format(format).to_string())
            }
        })
    }

    /// The value of a PostgreSQL infinity, as Confluent's writes the times pgjdbc gives for them
    /// (their milliseconds, a whole number of seconds, converted with Java's saturating
    /// arithmetic); none in ISO text, which has no year for them.
    pub fn infinity(self, infinity: Infinity) -> Result<Value, String> {
        let (millis, saturated) = match infinity {
            Infinity::Positive => (9_223_372_036_825_200_000_i64, i64::MAX),
            Infinity::Negative => (-9_223_372_036_832_400_000_i64, i64::MIN),
        };
        Ok(match self {
            TimestampGranularity::ConnectLogical => Value::Int64(millis),
            TimestampGranularity::MicrosLong | TimestampGranularity::NanosLong => Value::Int64(saturated),
            TimestampGranularity::MicrosString => Value::String(saturated.to_string()),
            TimestampGranularity::NanosString => Value::String((i128::from(millis) * 1_000_000).to_string()),
            TimestampGranularity::MicrosIsoDatetimeString | TimestampGranularity::NanosIsoDatetimeString => {
                return Err(format!("an infinite timestamp, which {self:?} cannot write"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_at_each_granularity() {
        use TimestampGranularity::*;
        let new_york = DbTimeZone::parse("America/New_York").unwrap();
        // 2024-02-29T18:14:15.123456Z
        let micros = 1_709_230_455_123_456;
        let written = |granularity: TimestampGranularity, micros| granularity.value(micros, &new_york).unwrap();
        assert_eq!(written(ConnectLogical, micros), Value::Int64(1_709_230_455_123));
        assert_eq!(written(MicrosLong, micros), Value::Int64(micros));
        assert_eq!(written(MicrosString, micros), Value::String("1709230455123456".into()));
        assert_eq!(written(NanosLong, micros), Value::Int64(micros * 1000));
        assert_eq!(
            written(NanosString, micros),
            Value::String("1709230455123456000".into())
        );
        assert_eq!(
            written(MicrosIsoDatetimeString, micros),
            Value::String("2024-02-29T13:14:15.123456".into())
        );
        assert_eq!(
            written(NanosIsoDatetimeString, micros),
            Value::String("2024-02-29T13:14:15.123456000".into())
        );
        // Before 1970 with a fraction: the true number (Confluent's is off by a second).
        assert_eq!(written(MicrosLong, -1_500_000), Value::Int64(-1_500_000));
        assert_eq!(written(ConnectLogical, -1_500_001), Value::Int64(-1_501));
        assert_eq!(NanosLong.infinity(Infinity::Negative).unwrap(), Value::Int64(i64::MIN));
        assert_eq!(
            NanosString.infinity(Infinity::Positive).unwrap(),
            Value::String("9223372036825200000000000".into())
        );
        assert!(MicrosIsoDatetimeString.infinity(Infinity::Positive).is_err());
        // Java's `yyyy`: the year of the era, without the era; `+` beyond four digits.
        let utc = DbTimeZone::default();
        let iso = |micros| MicrosIsoDatetimeString.value(micros, &utc).unwrap();
        assert_eq!(
            iso(-62_167_219_200_000_000),
            Value::String("0001-01-01T00:00:00.000000".into())
        );
        assert_eq!(
            iso(-63_529_000_000_000_000),
            Value::String("0045-11-05T15:33:20.000000".into())
        );
        assert_eq!(
            iso(253_402_300_800_000_000),
            Value::String("+10000-01-01T00:00:00.000000".into())
        );
    }

    #[test]
    fn granularities_take_confluents_names() {
        assert_eq!(
            TimestampGranularity::parse("NANOS_ISO_DATETIME_STRING"),
            Some(TimestampGranularity::NanosIsoDatetimeString)
        );
        assert_eq!(TimestampGranularity::parse("millis"), None);
        assert_eq!(
            TimestampGranularity::MicrosLong.schema().build().schema_type,
            SchemaType::Int64
        );
    }
}
