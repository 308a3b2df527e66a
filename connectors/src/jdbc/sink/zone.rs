//! The zones the sink writes dates and times in, as Confluent's sink binds a Connect Timestamp,
//! Time and Date with the calendar of a zone: `db.timezone` for timestamps and times of day,
//! `date.timezone` (that zone by default, or UTC) for dates. A timestamp goes to a column
//! without a zone (PostgreSQL's `timestamp`, MySQL's `DATETIME`) as its wall time in the zone,
//! a time of day as the zone's wall time at that time of 1970-01-01 UTC, and a date as the day
//! its UTC midnight falls on in the zone (the day before, west of UTC: Confluent keeps that
//! default for pipelines written with it, and recommends `date.timezone=UTC`, which writes the
//! date itself). A column with a zone (PostgreSQL's `timestamptz` and `timetz`, MySQL's
//! `TIMESTAMP`) takes the instant, as the writes' UTC sessions read it. Dates before 1582-10-15
//! are written in `date.calendar.system`'s calendar: under `LEGACY`, Confluent's default, with
//! the fields Java's Julian calendar gives them, as the drivers write `java.sql` dates (an
//! instant before it is moved as its wall time's date is).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use tributary_runtime::choice_key_value;
use tributary_runtime::config::{ConfigKey, ConfigType, Key};

use super::plan::{ColumnData, Run};
use super::table::Table;
use crate::jdbc::calendar::{DateCalendarSystem, CUTOVER};
use crate::jdbc::connection::Dialect;
use crate::jdbc::time_zone::DbTimeZone;

/// `date.timezone`: the zone a Date is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum DateTimeZone {
    /// `db.timezone`'s.
    #[default]
    DbTimeZone,
    /// UTC: the date itself.
    Utc,
}

impl DateTimeZone {
    /// Parses Confluent's names (`DB_TIMEZONE`, `UTC`), in either case.
    pub(super) fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "DB_TIMEZONE" => Some(DateTimeZone::DbTimeZone),
            "UTC" => Some(DateTimeZone::Utc),
            _ => None,
        }
    }
}

choice_key_value!(DateTimeZone);

/// `date.timezone`.
pub(super) const DATE_TIMEZONE: Key<DateTimeZone> = Key::new(
    ConfigKey::optional(
        "date.timezone",
        ConfigType::String,
        "DB_TIMEZONE",
        "The zone a Date is written in: DB_TIMEZONE (db.timezone's, the day its UTC midnight falls on there) or UTC (the date itself).",
    )
    .check(|value| {
        DateTimeZone::parse(value)
            .map(|_| ())
            .ok_or_else(|| "must be one of DB_TIMEZONE, UTC".into())
    }),
);

/// The zones and the calendar of a sink's dates and times.
#[derive(Debug, Clone, Default)]
pub(super) struct WriteZones {
    /// `db.timezone`.
    pub time_zone: DbTimeZone,
    /// `date.timezone`.
    pub date_time_zone: DateTimeZone,
    /// `date.calendar.system`.
    pub calendar: DateCalendarSystem,
}

impl WriteZones {
    /// Turns the dates and times of `runs` (UTC and proleptic Gregorian, as planned) into what
    /// their columns take: the wall times and days of the zones for columns without a zone, in
    /// the calendar. `tables` describes the tables (by name); a column of unknown type is taken
    /// for one without a zone.
    pub(super) fn localize(
        &self,
        runs: &mut [Run<'_>],
        tables: &HashMap<String, Table>,
        dialect: Dialect,
    ) -> Result<(), String> {
        if self.time_zone.is_utc() && self.calendar == DateCalendarSystem::ProlepticGregorian {
            return Ok(());
        }
        for run in runs {
            let table = tables.get(&run.table);
            for (column, data) in run.columns.iter().zip(&mut run.data) {
                let column_type = table.and_then(|table| table.column_type(&column.name));
                let zoned = column_type.is_some_and(|name| holds_instants(dialect, name));
                self.localize_column(data, zoned).map_err(|e| {
                    format!(
                        "column {} of {} in {}: {e}",
                        column.name,
                        run.table,
                        self.time_zone.name()
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Turns the dates and times of one column's `data` into what the column takes: a column
    /// with a zone (`zoned`) the instants, one without the wall times and days of the zones, in
    /// the calendar.
    fn localize_column(&self, data: &mut ColumnData<'_>, zoned: bool) -> Result<(), String> {
        let calendar = self.calendar;
        let dates_in_zone = self.date_time_zone == DateTimeZone::DbTimeZone;
        match data {
            ColumnData::Timestamp(values) if zoned => convert(values, |at| self.instant(at)),
            ColumnData::Timestamp(values) => convert(values, |at| calendar.written_wall(self.wall_time(at)?)),
            ColumnData::Time(values) if !zoned => convert(values, |time| self.time_of_day(time)),
            ColumnData::Date(values) => convert(values, |day| {
                calendar.written_date(if dates_in_zone { self.zone_day(day)? } else { day })
            }),
            _ => Ok(()),
        }
    }

    /// The text a Date, Time or Timestamp (the first value of `data`) has in a `DEFAULT`
    /// clause, as Confluent's dialects format one with `java.time` (so in the proleptic
    /// calendar) in the zones its values are written in, for a column without a zone:
    /// `yyyy-MM-dd`, `HH:mm:ss.SSS`, `yyyy-MM-dd HH:mm:ss.SSS`. `None` for other data.
    pub(super) fn default_text(&self, mut data: ColumnData<'_>) -> Result<Option<String>, String> {
        let zones = WriteZones {
            calendar: DateCalendarSystem::ProlepticGregorian,
            ..self.clone()
        };
        zones.localize_column(&mut data, false)?;
        Ok(match data {
            ColumnData::Date(days) => days.first().copied().flatten().map(|day| day.to_string()),
            ColumnData::Time(times) => times
                .first()
                .copied()
                .flatten()
                .map(|time| time.format("%H:%M:%S%.3f").to_string()),
            ColumnData::Timestamp(ats) => ats
                .first()
                .copied()
                .flatten()
                .map(|at| at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
            _ => None,
        })
    }

    /// The wall time in the zone of the UTC time `at` (as the calendar system's Java classes
    /// take the zone before 1900).
    fn wall_time(&self, at: NaiveDateTime) -> Result<NaiveDateTime, String> {
        if self.time_zone.is_utc() {
            return Ok(at);
        }
        // Connect's times are whole milliseconds: microseconds lose nothing.
        self.time_zone.wall_time(at.and_utc().timestamp_micros(), self.calendar)
    }

    /// The instant a column with a zone is given for the UTC time `at`: itself, but before the
    /// cutover, where the drivers write its wall time in the zone with its offset, and the
    /// calendar may write that wall time's date with other fields.
    fn instant(&self, at: NaiveDateTime) -> Result<NaiveDateTime, String> {
        // A day's margin: a wall time is within a day of its UTC time.
        if self.calendar == DateCalendarSystem::ProlepticGregorian || at.date() > CUTOVER + chrono::Days::new(1) {
            return Ok(at);
        }
        let wall = self.wall_time(at)?;
        Ok(at + (self.calendar.written_wall(wall)? - wall))
    }

    /// The time of day in the zone at the UTC time of day `time` of 1970-01-01.
    fn time_of_day(&self, time: NaiveTime) -> Result<NaiveTime, String> {
        Ok(self.wall_time(NaiveDate::default().and_time(time))?.time())
    }

    /// The day in the zone at the UTC midnight that starts `day`.
    fn zone_day(&self, day: NaiveDate) -> Result<NaiveDate, String> {
        Ok(self.wall_time(day.and_time(NaiveTime::MIN))?.date())
    }
}

/// Whether a column of type `name` holds instants, which the writes' UTC sessions take as they
/// are.
fn holds_instants(dialect: Dialect, name: &str) -> bool {
    match dialect {
        Dialect::Postgres => name.eq_ignore_ascii_case("timestamptz") || name.eq_ignore_ascii_case("timetz"),
        Dialect::MySql => name.eq_ignore_ascii_case("timestamp"),
    }
}

/// Replaces each value of `values` with what `change` makes of it.
fn convert<T: Copy>(values: &mut [Option<T>], change: impl Fn(T) -> Result<T, String>) -> Result<(), String> {
    for value in values.iter_mut().flatten() {
        *value = change(*value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn zones(time_zone: &str, date_time_zone: DateTimeZone) -> WriteZones {
        WriteZones {
            time_zone: DbTimeZone::parse(time_zone).unwrap(),
            date_time_zone,
            calendar: DateCalendarSystem::ProlepticGregorian,
        }
    }

    /// The values America/New_York gives, as the JDBC drivers write them with Confluent's
    /// calendars (measured with pgjdbc, MySQL Connector/J and MariaDB Connector/J).
    #[test]
    fn columns_without_a_zone_take_wall_times_and_days_of_the_zone() {
        let timestamps = || {
            ColumnData::Timestamp(vec![
                Some(at("2024-02-29 18:14:15.123")),
                Some(at("2024-11-03 05:30:00")),
                Some(at("2024-11-03 06:30:00")),
                None,
            ])
        };
        let times = ColumnData::Time(vec![
            NaiveTime::from_hms_milli_opt(18, 14, 15, 500),
            NaiveTime::from_hms_opt(0, 0, 0),
        ]);
        let days = ColumnData::Date(vec![
            NaiveDate::from_ymd_opt(2024, 2, 29),
            NaiveDate::from_ymd_opt(1970, 1, 1),
        ]);
        for dialect in [Dialect::Postgres, Dialect::MySql] {
            let mut runs = [Run::of_columns(vec![
                timestamps(),
                timestamps(),
                times.clone(),
                days.clone(),
            ])];
            let (wall_type, instant_type) = match dialect {
                Dialect::Postgres => ("timestamp", "timestamptz"),
                Dialect::MySql => ("datetime", "TIMESTAMP"),
            };
            let tables = [(
                "t".to_string(),
                Table::of_columns([("c0", wall_type), ("c1", instant_type)]),
            )]
            .into();
            let new_york = zones("America/New_York", DateTimeZone::DbTimeZone);
            new_york.localize(&mut runs, &tables, dialect).unwrap();
            let data = &runs[0].data;
            // Both instants of the repeated hour are its wall time.
            let walls = ColumnData::Timestamp(vec![
                Some(at("2024-02-29 13:14:15.123")),
                Some(at("2024-11-03 01:30:00")),
                Some(at("2024-11-03 01:30:00")),
                None,
            ]);
            assert_eq!(data[0], walls, "{dialect:?}");
            assert_eq!(data[1], timestamps(), "{dialect:?}: instants stay");
            assert_eq!(
                data[2],
                ColumnData::Time(vec![
                    NaiveTime::from_hms_milli_opt(13, 14, 15, 500),
                    NaiveTime::from_hms_opt(19, 0, 0)
                ])
            );
            assert_eq!(
                data[3],
                ColumnData::Date(vec![
                    NaiveDate::from_ymd_opt(2024, 2, 28),
                    NaiveDate::from_ymd_opt(1969, 12, 31)
                ])
            );
        }
    }

    #[test]
    fn dates_stay_with_date_timezone_utc_and_nothing_moves_in_utc() {
        let day = ColumnData::Date(vec![NaiveDate::from_ymd_opt(2024, 2, 29)]);
        let time = ColumnData::Time(vec![NaiveTime::from_hms_opt(1, 0, 0)]);
        let tables = HashMap::new();
        let mut runs = [Run::of_columns(vec![day.clone(), time.clone()])];
        zones("America/New_York", DateTimeZone::Utc)
            .localize(&mut runs, &tables, Dialect::MySql)
            .unwrap();
        assert_eq!(runs[0].data[0], day);
        assert_eq!(
            runs[0].data[1],
            ColumnData::Time(vec![NaiveTime::from_hms_opt(20, 0, 0)])
        );
        // East of UTC a date's midnight is on the same day.
        let mut runs = [Run::of_columns(vec![day.clone(), time.clone()])];
        zones("Asia/Tokyo", DateTimeZone::DbTimeZone)
            .localize(&mut runs, &tables, Dialect::Postgres)
            .unwrap();
        assert_eq!(runs[0].data[0], day);
        let mut runs = [Run::of_columns(vec![day.clone(), time.clone()])];
        WriteZones::default()
            .localize(&mut runs, &tables, Dialect::Postgres)
            .unwrap();
        assert_eq!(runs[0].data, [day, time]);
    }

    /// Dates before 1582-10-15 under LEGACY: written with their Julian fields, in UTC and in a
    /// zone, an instant moved as its wall time's date is; a Julian leap day the Gregorian
    /// calendar lacks is refused.
    #[test]
    fn legacy_dates_before_the_cutover_are_written_with_their_julian_fields() {
        let tables = [("t".to_string(), Table::of_columns([("c1", "timestamptz")]))].into();
        let julian = |text: &str| at(&text.replace("1000-01-06", "1000-01-01"));
        for time_zone in ["UTC", "America/New_York"] {
            let legacy = WriteZones {
                date_time_zone: DateTimeZone::Utc,
                calendar: DateCalendarSystem::Legacy,
                ..zones(time_zone, DateTimeZone::Utc)
            };
            let walls = ColumnData::Timestamp(vec![Some(at("1000-01-06 12:00:00")), Some(at("2024-02-29 12:00:00"))]);
            let days = ColumnData::Date(vec![
                NaiveDate::from_ymd_opt(1000, 1, 6),
                NaiveDate::from_ymd_opt(1582, 10, 15),
            ]);
            let mut runs = [Run::of_columns(vec![walls.clone(), walls, days])];
            legacy.localize(&mut runs, &tables, Dialect::Postgres).unwrap();
            let wall = legacy.wall_time(at("1000-01-06 12:00:00")).unwrap();
            assert_eq!(wall.date(), NaiveDate::from_ymd_opt(1000, 1, 6).unwrap(), "{time_zone}");
            let data = &runs[0].data;
            assert_eq!(
                data[0],
                ColumnData::Timestamp(vec![
                    Some(julian(&wall.to_string())),
                    Some(legacy.wall_time(at("2024-02-29 12:00:00")).unwrap())
                ]),
                "{time_zone}"
            );
            assert_eq!(
                data[1],
                ColumnData::Timestamp(vec![Some(at("1000-01-01 12:00:00")), Some(at("2024-02-29 12:00:00"))]),
                "{time_zone}"
            );
            assert_eq!(
                data[2],
                ColumnData::Date(vec![
                    NaiveDate::from_ymd_opt(1000, 1, 1),
                    NaiveDate::from_ymd_opt(1582, 10, 15)
                ])
            );
        }
        let leap_day = ColumnData::Date(vec![NaiveDate::from_ymd_opt(1500, 3, 10)]);
        let error = WriteZones::default()
            .localize(&mut [Run::of_columns(vec![leap_day])], &tables, Dialect::MySql)
            .unwrap_err();
        assert!(error.contains("February 29"), "{error}");
    }

    #[test]
    fn date_timezone_takes_confluents_names_in_either_case() {
        assert_eq!(DateTimeZone::parse("db_timezone"), Some(DateTimeZone::DbTimeZone));
        assert_eq!(DateTimeZone::parse("UTC"), Some(DateTimeZone::Utc));
        assert_eq!(DateTimeZone::parse("Europe/Paris"), None);
    }
}
