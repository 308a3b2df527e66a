//! `date.calendar.system`: the calendar of dates before 1582-10-15, as Confluent's JDBC
//! connectors read and write them. `LEGACY`, their default, is what the JDBC drivers do with
//! Java's `java.sql` dates: a database's date (proleptic Gregorian) is given to Java's calendar
//! by its fields, which reads them as a Julian date before the cutover, so the database's
//! 1000-01-01 becomes the day of Julian 1000-01-01 (five days later); the sink writes a day's
//! Julian fields the same way. `PROLEPTIC_GREGORIAN` keeps the database's date as it is, both
//! ways. Dates from 1582-10-15 on are the same in both.

use chrono::{NaiveDate, NaiveDateTime};
use tributary_runtime::config::{ConfigKey, ConfigType, Key};
use tributary_runtime::data::{gregorian_day_of_hybrid_fields, hybrid_day_of_gregorian_fields};

tributary_runtime::choice_key_value!(DateCalendarSystem);

/// `date.calendar.system`.
pub const DATE_CALENDAR_SYSTEM: Key<DateCalendarSystem> = Key::new(
    ConfigKey::optional(
        "date.calendar.system",
        ConfigType::String,
        "LEGACY",
        "The calendar of dates before 1582-10-15: LEGACY (Julian, as the JDBC drivers' Java dates \
         read and write them) or PROLEPTIC_GREGORIAN (the database's dates as they are).",
    )
    .check(|value| {
        DateCalendarSystem::parse(value)
            .map(|_| ())
            .ok_or_else(|| "must be one of LEGACY, PROLEPTIC_GREGORIAN".into())
    }),
);

/// A `date.calendar.system`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateCalendarSystem {
    /// Julian before 1582-10-15, Gregorian from then on, as Java's calendar counts.
    #[default]
    Legacy,
    /// Gregorian throughout, as the databases count.
    ProlepticGregorian,
}

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// 1582-10-15, the first day of the Gregorian calendar: dates from it on are the same in both.
pub const CUTOVER: NaiveDate = match NaiveDate::from_ymd_opt(1582, 10, 15) {
    Some(date) => date,
    None => panic!("a date"),
};

impl DateCalendarSystem {
    /// Parses Confluent's names, as they are spelled (its connectors' check is case-sensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "LEGACY" => Some(DateCalendarSystem::Legacy),
            "PROLEPTIC_GREGORIAN" => Some(DateCalendarSystem::ProlepticGregorian),
            _ => None,
        }
    }

    /// The day after 1970-01-01 a date read from the database stands for, given the day
    /// `days` its fields are in the proleptic Gregorian calendar.
    pub fn read_day(self, days: i64) -> i64 {
        match self {
            DateCalendarSystem::Legacy => hybrid_day_of_gregorian_fields(days),
            DateCalendarSystem::ProlepticGregorian => days,
        }
    }

    /// [`read_day`](Self::read_day) for a wall time read from the database, `micros` from
    /// 1970-01-01 00:00 in the proleptic Gregorian calendar: its time of day is kept.
    pub fn read_wall(self, micros: i64) -> i64 {
        let day = micros.div_euclid(DAY_MICROS);
        micros.saturating_add((self.read_day(day) - day).saturating_mul(DAY_MICROS))
    }

    /// The date the database is given for the day `date` (proleptic Gregorian, as Connect
    /// counts): under `LEGACY`, the date of its fields in Java's calendar; an error for a Julian
    /// leap day the Gregorian calendar does not have, which the database would refuse.
    pub fn written_date(self, date: NaiveDate) -> Result<NaiveDate, String> {
        if self == DateCalendarSystem::ProlepticGregorian || date >= CUTOVER {
            return Ok(date);
        }
        let days = (date - NaiveDate::default()).num_days();
        gregorian_day_of_hybrid_fields(days)
            .and_then(|written| NaiveDate::default().checked_add_signed(chrono::Duration::days(written)))
            .ok_or_else(|| {
                format!(
                    "{date} is February 29 in the Julian calendar of date.calendar.system=LEGACY, a day no \
                     Gregorian date has"
                )
            })
    }

    /// [`written_date`](Self::written_date) for a wall time: its time of day is kept.
    pub fn written_wall(self, at: NaiveDateTime) -> Result<NaiveDateTime, String> {
        Ok(self.written_date(at.date())?.and_time(at.time()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn days(text: &str) -> i64 {
        (date(text) - NaiveDate::default()).num_days()
    }

    #[test]
    fn legacy_dates_before_the_cutover_are_julian_both_ways() {
        use DateCalendarSystem::*;
        // The database's 1000-01-01 is Julian 1000-01-01, 1000-01-06 in Gregorian days.
        assert_eq!(Legacy.read_day(days("1000-01-01")), days("1000-01-06"));
        assert_eq!(ProlepticGregorian.read_day(days("1000-01-01")), days("1000-01-01"));
        assert_eq!(Legacy.read_day(days("2024-02-29")), days("2024-02-29"));
        let wall = days("1000-01-01") * DAY_MICROS + 3_600_000_001;
        assert_eq!(Legacy.read_wall(wall), days("1000-01-06") * DAY_MICROS + 3_600_000_001);
        assert_eq!(Legacy.written_date(date("1000-01-06")), Ok(date("1000-01-01")));
        assert_eq!(
            ProlepticGregorian.written_date(date("1000-01-06")),
            Ok(date("1000-01-06"))
        );
        let at = date("1000-01-06").and_hms_opt(1, 2, 3).unwrap();
        assert_eq!(
            Legacy.written_wall(at),
            Ok(date("1000-01-01").and_hms_opt(1, 2, 3).unwrap())
        );
        // Julian 1500-02-29 is Gregorian 1500-03-10: no date of its fields.
        assert!(Legacy.written_date(date("1500-03-10")).is_err());
    }

    #[test]
    fn calendar_systems_take_confluents_names() {
        assert_eq!(
            DateCalendarSystem::parse(" PROLEPTIC_GREGORIAN"),
            Some(DateCalendarSystem::ProlepticGregorian)
        );
        assert_eq!(DateCalendarSystem::parse("legacy"), None);
    }
}
