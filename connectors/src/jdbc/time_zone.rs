//! `db.timezone`: the zone of the clock a database's times without a zone were written by (a
//! PostgreSQL `timestamp` or `time`, a MySQL `DATETIME` or `TIME`), as Confluent's JDBC source
//! reads them: such a time is the instant its wall time is in that zone. An ambiguous wall time
//! (the hour a clock turned back repeats) is the later of its two instants, and one that never
//! happened (skipped when a clock turned forward) is read with the offset before the change, so
//! it falls after it: as the JDBC drivers' `Calendar` reads them, and as PostgreSQL converts a
//! `timestamp` to a `timestamptz`. Before 1900, a zone's offset depends on the calendar system
//! ([`DateCalendarSystem`]) Confluent's connectors convert with: under `LEGACY` it is the zone's
//! current standard offset, as Java's `TimeZone` (which the drivers' calendars read) takes it;
//! under `PROLEPTIC_GREGORIAN` the time zone database's offset (a local mean time in the 19th
//! century), as `java.time`, which the connectors convert that calendar's times with, takes it.

use chrono::{DateTime, NaiveDateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use tributary_runtime::config::{ConfigKey, ConfigType, Key};

use super::calendar::DateCalendarSystem;

tributary_runtime::choice_key_value!(DbTimeZone);

/// `db.timezone`.
pub const DB_TIMEZONE: Key<DbTimeZone> = Key::new(
    ConfigKey::optional(
        "db.timezone",
        ConfigType::String,
        "UTC",
        "The time zone of the database's times without a zone (an IANA name, such as Europe/Paris).",
    )
    .check(|name| {
        DbTimeZone::parse(name)
            .map(|_| ())
            .ok_or_else(|| "must be a time zone's IANA name, such as UTC or America/New_York".into())
    }),
);

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// 1900-01-01T00:00Z, in microseconds from 1970: Java's `TimeZone` reads none of a zone's
/// history before it (where `java.time` reads all of it).
const JAVA_ZONES_START: i64 = -2_208_988_800_000_000;

/// A `db.timezone`.
#[derive(Debug, Clone)]
pub struct DbTimeZone {
    name: String,
    zone: TimeZone,
    /// The zone is UTC, where a wall time is its instant.
    utc: bool,
    /// Its offset before 1900 under `LEGACY` (Java's `TimeZone`'s raw offset), in microseconds.
    offset_before_1900: i64,
}

impl Default for DbTimeZone {
    fn default() -> Self {
        DbTimeZone {
            name: "UTC".into(),
            zone: TimeZone::UTC,
            utc: true,
            offset_before_1900: 0,
        }
    }
}

impl DbTimeZone {
    /// The zone named `name` (an IANA name), if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        let zone = TimeZone::get(name).ok()?;
        // The database's primary name of UTC and its links (Etc/UTC, GMT, Zulu...).
        let utc = zone == TimeZone::UTC || zone.primary_iana_name() == Some("UTC");
        let offset_before_1900 = i64::from(standard_offset(&zone)) * 1_000_000;
        Some(DbTimeZone {
            name: name.to_string(),
            zone,
            utc,
            offset_before_1900,
        })
    }

    /// The zone's name, as it was given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the zone is UTC.
    pub fn is_utc(&self) -> bool {
        self.utc
    }

    /// The instant (microseconds from the Unix epoch) of the wall time of this zone that is
    /// `wall` microseconds from 1970-01-01 00:00, under `calendar`.
    pub fn instant_micros(&self, wall: i64, calendar: DateCalendarSystem) -> Result<i64, String> {
        if self.utc {
            return Ok(wall);
        }
        // As Java's calendar finds the offset: at the wall time read in standard time.
        let standard = wall.saturating_sub(self.offset_before_1900);
        if calendar == DateCalendarSystem::Legacy && standard < JAVA_ZONES_START {
            return Ok(standard);
        }
        let civil = TimeZone::UTC.to_datetime(timestamp(wall)?);
        self.zone
            .to_ambiguous_timestamp(civil)
            .later()
            .map(|instant| instant.as_microsecond())
            .map_err(|e| format!("the wall time {civil} in {}: {e}", self.name))
    }

    /// The wall time of this zone (microseconds from 1970-01-01 00:00) at `instant`
    /// (microseconds from the Unix epoch), under `calendar`.
    pub fn wall_micros(&self, instant: i64, calendar: DateCalendarSystem) -> Result<i64, String> {
        if self.utc {
            return Ok(instant);
        }
        if calendar == DateCalendarSystem::Legacy && instant < JAVA_ZONES_START {
            return Ok(instant.saturating_add(self.offset_before_1900));
        }
        let civil = self.zone.to_datetime(timestamp(instant)?);
        TimeZone::UTC
            .to_timestamp(civil)
            .map(|wall| wall.as_microsecond())
            .map_err(|e| format!("the wall time {civil}: {e}"))
    }

    /// The wall time of this zone at `instant` (microseconds from the Unix epoch), under
    /// `calendar`.
    pub fn wall_time(&self, instant: i64, calendar: DateCalendarSystem) -> Result<NaiveDateTime, String> {
        let wall = self.wall_micros(instant, calendar)?;
        DateTime::from_timestamp_micros(wall)
            .map(|wall| wall.naive_utc())
            .ok_or_else(|| {
                format!(
                    "the wall time in {} of {instant} µs from 1970 is out of range",
                    self.name
                )
            })
    }

    /// The time of day in UTC (microseconds from midnight) of the time of day `time` of this
    /// zone on 1970-01-01, as the JDBC drivers read a time with the zone's calendar, wrapped
    /// into the day where it falls on another (Connect's Time cannot hold it, so Confluent's
    /// task fails there). In UTC, a time is itself: PostgreSQL's 24:00:00 stays the next
    /// midnight, as the drivers read it.
    pub fn utc_time_of_day_micros(&self, time: i64) -> Result<i64, String> {
        if self.utc {
            return Ok(time);
        }
        // 1970: the calendars agree.
        Ok(self
            .instant_micros(time, DateCalendarSystem::Legacy)?
            .rem_euclid(DAY_MICROS))
    }
}

/// The standard offset of `zone` now, in seconds, as Java's `TimeZone` has it (its raw offset):
/// the smallest of the last year's offsets (the time zone database marks some as daylight time
/// that Java's data, which keeps daylight time ahead of standard time, does not).
fn standard_offset(zone: &TimeZone) -> i32 {
    let now = Timestamp::now();
    let year_ago = Timestamp::from_second(now.as_second() - 366 * 86_400).unwrap_or(now);
    zone.following(year_ago)
        .take_while(|transition| transition.timestamp() <= now)
        .map(|transition| transition.offset())
        .fold(zone.to_offset(year_ago), std::cmp::min)
        .seconds()
}

fn timestamp(micros: i64) -> Result<Timestamp, String> {
    Timestamp::from_microsecond(micros).map_err(|e| format!("{micros} µs from 1970: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Microseconds from 1970-01-01 00:00 of an ISO date and time.
    fn micros(text: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    }

    #[test]
    fn wall_times_are_read_as_the_jdbc_drivers_calendar_reads_them() {
        let new_york = DbTimeZone::parse("America/New_York").unwrap();
        assert!(!new_york.is_utc());
        let instant = |wall| {
            new_york
                .instant_micros(micros(wall), DateCalendarSystem::Legacy)
                .unwrap()
        };
        assert_eq!(instant("2024-02-29 13:14:15"), micros("2024-02-29 18:14:15"));
        // The repeated hour: the later instant (standard time), as java.util.Calendar.
        assert_eq!(instant("2024-11-03 01:30:00"), micros("2024-11-03 06:30:00"));
        // The skipped hour: the offset before it, so 02:30 is 03:30 daylight time.
        assert_eq!(instant("2024-03-10 02:30:00"), micros("2024-03-10 07:30:00"));
        for wall in ["2024-02-29 13:14:15", "2024-11-03 01:30:00", "1969-12-31 23:00:00"] {
            assert_eq!(
                new_york.wall_micros(instant(wall), DateCalendarSystem::Legacy).unwrap(),
                micros(wall),
                "{wall}"
            );
        }
    }

    /// Figures from Java 17: `TimeZone.getOffset` and `Calendar` (`LEGACY`) take a zone's
    /// current standard offset before 1900 where the time zone database has local mean times,
    /// which `java.time` (`PROLEPTIC_GREGORIAN`) takes.
    #[test]
    fn times_before_1900_take_the_offsets_of_the_calendar_systems_java_classes() {
        use DateCalendarSystem::{Legacy, ProlepticGregorian};
        let seconds = |s: i64| s * 1_000_000;
        for (zone, raw, local_mean_time) in [
            ("America/New_York", -18_000, -17_762),
            ("Europe/Paris", 3_600, 561),
            ("Asia/Kolkata", 19_800, 21_208),
            ("Europe/Dublin", 0, -1_521),
            ("Africa/Casablanca", 0, -1_820),
            ("Australia/Lord_Howe", 37_800, 38_180),
        ] {
            let zone = DbTimeZone::parse(zone).unwrap();
            let wall = micros("1800-07-01 12:00:00");
            for (calendar, offset) in [(Legacy, raw), (ProlepticGregorian, local_mean_time)] {
                let instant = wall - seconds(offset);
                assert_eq!(zone.instant_micros(wall, calendar).unwrap(), instant, "{}", zone.name());
                assert_eq!(zone.wall_micros(instant, calendar).unwrap(), wall, "{}", zone.name());
            }
        }
        // From 1900 on, the database's offsets: Paris Mean Time, 0:09:21 ahead.
        let paris = DbTimeZone::parse("Europe/Paris").unwrap();
        let midnight = micros("1900-01-01 00:00:00");
        assert_eq!(paris.wall_micros(midnight, Legacy).unwrap(), midnight + seconds(561));
        assert_eq!(
            paris.wall_micros(midnight - 1, Legacy).unwrap(),
            midnight - 1 + seconds(3_600)
        );
    }

    #[test]
    fn times_of_day_move_to_utc_on_1970_01_01_and_wrap_into_the_day() {
        let hour = 3_600_000_000;
        let new_york = DbTimeZone::parse("America/New_York").unwrap();
        assert_eq!(new_york.utc_time_of_day_micros(13 * hour).unwrap(), 18 * hour);
        assert_eq!(new_york.utc_time_of_day_micros(20 * hour).unwrap(), hour);
        // London kept summer time through the winter of 1970.
        let london = DbTimeZone::parse("Europe/London").unwrap();
        assert_eq!(london.utc_time_of_day_micros(0).unwrap(), 23 * hour);
        let utc = DbTimeZone::default();
        assert_eq!(utc.utc_time_of_day_micros(24 * hour).unwrap(), 24 * hour);
    }

    #[test]
    fn zones_are_iana_names_and_utc_is_known_by_any_of_its_names() {
        for name in ["UTC", "Etc/UTC", " UTC ", "GMT", "Zulu"] {
            assert!(DbTimeZone::parse(name).unwrap().is_utc(), "{name}");
        }
        assert!(DbTimeZone::parse("Mars/Olympus").is_none());
        assert_eq!(DbTimeZone::parse("Asia/Tokyo").unwrap().name(), "Asia/Tokyo");
    }
}
