//! Dates as Java's default calendar counts them (`java.util.GregorianCalendar`, which
//! `SimpleDateFormat`, and so Apache's `Values`, reads with and `Date.toString` prints with):
//! Julian before 1582-10-15, Gregorian from then on, and lenient, so that a month or day past
//! its range rolls over.

/// Milliseconds in a day.
const DAY: i128 = 86_400_000;

/// 1582-10-15, the first Gregorian day, in days since 1970-01-01.
const CUTOVER: i128 = -141_427;

/// The year of the cutover: earlier years are read as Julian whatever their other fields.
const CUTOVER_YEAR: i128 = 1582;

/// The Julian Day Number of 1970-01-01.
const EPOCH_DAY_NUMBER: i128 = 2_440_588;

/// Milliseconds since 1970-01-01T00:00Z of the date and time whose fields (year, month from 1,
/// day of month, hour, minute, second, millisecond) a lenient `GregorianCalendar` in UTC was
/// given: each field may be past its range, and the calendar is chosen as
/// `GregorianCalendar.computeTime` chooses it (a year before 1582 is Julian; a later one is
/// Gregorian unless that falls before the cutover, where the Julian reading wins, as it also
/// does for the days the cutover skipped). `None` past an `i64`.
pub(super) fn lenient_epoch_millis(fields: [i64; 7]) -> Option<i64> {
    let [year, month, day, hour, minute, second, millisecond] = fields.map(i128::from);
    let time_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millisecond;
    let (carried_days, millis) = (time_of_day.div_euclid(DAY), time_of_day.rem_euclid(DAY));
    let months = year * 12 + month - 1;
    let (normal_year, normal_month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    let day_in = |julian| first_of_month(normal_year, normal_month, julian) + day - 1 + carried_days;
    let gregorian = day_in(false);
    let days = if year < CUTOVER_YEAR || gregorian < CUTOVER {
        day_in(true)
    } else {
        gregorian
    };
    i64::try_from(days.checked_mul(DAY)? + millis).ok()
}

/// The fields of an instant in UTC as Java's calendar gives them.
pub(super) struct UtcFields {
    /// The astronomical year (0 is 1 BC).
    pub(super) year: i64,
    /// 1 to 12.
    pub(super) month: u32,
    /// The day of the month.
    pub(super) day: u32,
    /// The day of the week, 0 for Sunday to 6 for Saturday.
    pub(super) weekday: usize,
    /// The milliseconds since midnight.
    pub(super) time_of_day: i64,
}

impl UtcFields {
    /// The hour, minute, second and millisecond of the time of day.
    pub(super) fn time(&self) -> (i64, i64, i64, i64) {
        let t = self.time_of_day;
        (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000)
    }
}

/// The fields of the instant `millis` after 1970-01-01T00:00Z in UTC (the other way from
/// [`lenient_epoch_millis`]): Julian before 1582-10-15, Gregorian from then on.
pub(super) fn utc_fields(millis: i64) -> UtcFields {
    let day = DAY as i64;
    let days = millis.div_euclid(day);
    let (year, month, day_of_month) = calendar_date(days);
    UtcFields {
        year,
        month,
        day: day_of_month,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
        time_of_day: millis.rem_euclid(day),
    }
}

/// The day after 1970-01-01 that Java's calendar reads the date of proleptic Gregorian day
/// `days` as, when given its fields (as a JDBC driver's `getDate` reads a database's date): a
/// Julian date before 1582-10-15, so ten days or fewer later for the centuries before it (and
/// the days the cutover skipped ten days later); the same day from then on.
pub fn hybrid_day_of_gregorian_fields(days: i64) -> i64 {
    if i128::from(days) >= CUTOVER {
        return days;
    }
    let (year, month, day) = date_fields(days, false);
    (first_of_month(year.into(), month.into(), true) + i128::from(day) - 1) as i64
}

/// The proleptic Gregorian day after 1970-01-01 whose date has the fields Java's calendar
/// gives day `days` (as a JDBC driver's `setDate` writes a day): the other way from
/// [`hybrid_day_of_gregorian_fields`]. `None` for a Julian leap day the Gregorian calendar does
/// not have (February 29 of 1500, 1400, 1300, 1100…), which a database refuses.
pub fn gregorian_day_of_hybrid_fields(days: i64) -> Option<i64> {
    if i128::from(days) >= CUTOVER {
        return Some(days);
    }
    let (year, month, day) = date_fields(days, true);
    let gregorian_leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (month, day) == (2, 29) && !gregorian_leap {
        return None;
    }
    Some((first_of_month(year.into(), month.into(), false) + i128::from(day) - 1) as i64)
}

/// The year, month (1 to 12) and day of month a `java.util.Calendar` in UTC gives for the day
/// `days` after 1970-01-01 (Julian before 1582-10-15): the year is of its era, 1 BC being 1.
pub fn java_calendar_fields(days: i64) -> (i64, u32, u32) {
    let (year, month, day) = calendar_date(days);
    (if year <= 0 { 1 - year } else { year }, month, day)
}

/// The day after 1970-01-01 whose date a strict (non-lenient) `java.util.Calendar` in UTC is
/// given as a year of the Christian era, a month (1 to 12) and a day of month: `None` where it
/// refuses them (a year before 1, a month or day the calendar does not have, such as the days
/// the 1582 cutover skipped; Julian dates before it, so 1500-02-29 is one).
pub fn java_strict_calendar_day(year: i64, month: i64, day: i64) -> Option<i64> {
    if year < 1 || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let days = lenient_epoch_millis([year, month, day, 0, 0, 0, 0])?.div_euclid(DAY as i64);
    (calendar_date(days) == (year, month as u32, day as u32)).then_some(days)
}

/// The astronomical year (0 is 1 BC), month (1 to 12) and day of month of the day `days` after
/// 1970-01-01 as Java's calendar counts it: Julian before 1582-10-15, Gregorian from then on.
fn calendar_date(days: i64) -> (i64, u32, u32) {
    date_fields(days, i128::from(days) < CUTOVER)
}

/// The astronomical year, month and day of month of the day `days` after 1970-01-01 in the
/// Julian or the proleptic Gregorian calendar.
fn date_fields(days: i64, julian: bool) -> (i64, u32, u32) {
    let days = i128::from(days);
    // From the Julian Day Number, in years counted from March, 4800 BC (as above); the
    // Gregorian calendar first takes away the century days it leaves out.
    let (centuries, shifted) = if !julian {
        let from_gregorian_start = days + EPOCH_DAY_NUMBER + 32_044;
        let centuries = (4 * from_gregorian_start + 3).div_euclid(146_097);
        (centuries, from_gregorian_start - (146_097 * centuries).div_euclid(4))
    } else {
        (0, days + EPOCH_DAY_NUMBER + 32_082)
    };
    let years = (4 * shifted + 3).div_euclid(1461);
    let day_of_year = shifted - (1461 * years).div_euclid(4);
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = march_month + 3 - 12 * (march_month / 10);
    let year = 100 * centuries + years - 4800 + march_month / 10;
    // Within an i64's days the year is far within an i64.
    (year as i64, month as u32, day as u32)
}

/// Days since 1970-01-01 of the first day of `month` (1 to 12) of astronomical `year` (0 is
/// 1 BC) in the Julian or the proleptic Gregorian calendar.
fn first_of_month(year: i128, month: i128, julian: bool) -> i128 {
    // Years counted from March, 4800 BC (so that a leap day ends its year).
    let shift = i128::from(month <= 2);
    let years = year + 4800 - shift;
    let march_month = month + 12 * shift - 3;
    let leap_days = if julian {
        years.div_euclid(4) - 32_083
    } else {
        years.div_euclid(4) - years.div_euclid(100) + years.div_euclid(400) - 32_045
    };
    let day_number = 1 + (153 * march_month + 2) / 5 + 365 * years + leap_days;
    day_number - EPOCH_DAY_NUMBER
}

#[cfg(test)]
mod tests {
    use super::{
        calendar_date, gregorian_day_of_hybrid_fields, hybrid_day_of_gregorian_fields, java_calendar_fields,
        java_strict_calendar_day, lenient_epoch_millis,
    };

    fn days(year: i64, month: i64, day: i64) -> i64 {
        lenient_epoch_millis([year, month, day, 0, 0, 0, 0]).expect("in range") / 86_400_000
    }

    /// Figures from Java 17's `SimpleDateFormat("yyyy-MM-dd")` in UTC.
    #[test]
    fn dates_count_as_javas_calendar_counts_them() {
        assert_eq!(days(1970, 1, 1), 0);
        assert_eq!(days(2024, 1, 31), 19_753);
        assert_eq!(days(2023, 13, 1), 19_723);
        // Gregorian from the cutover, Julian before it.
        assert_eq!(days(1582, 10, 15), -141_427);
        assert_eq!(days(1582, 10, 4), -141_428);
        assert_eq!(days(1500, 1, 1), -171_655);
        assert_eq!(days(1, 1, 1), -719_164);
        // A day the cutover skipped is read as Julian: ten days later.
        assert_eq!(days(1582, 10, 10), -141_422);
    }

    #[test]
    fn dates_read_back_as_javas_calendar_gives_them() {
        assert_eq!(calendar_date(-141_428), (1582, 10, 4));
        assert_eq!(calendar_date(-141_427), (1582, 10, 15));
        assert_eq!(calendar_date(0), (1970, 1, 1));
        assert_eq!(calendar_date(19_753), (2024, 1, 31));
        assert_eq!(calendar_date(days(1500, 2, 29)), (1500, 2, 29));
        assert_eq!(calendar_date(days(0, 1, 1)), (0, 1, 1));
        // Figures from Java 17's `Date.toString` (its era's year: 251536 BC), far past chrono's.
        assert_eq!(calendar_date(-8_000_000_000_000_000 / 86_400_000 - 1), (-251_535, 4, 6));
        for day in (-800_000..100_000).chain([i64::from(i32::MIN), i64::from(i32::MAX)]) {
            let (year, month, date) = calendar_date(day);
            assert_eq!(days(year, i64::from(month), i64::from(date)), day);
        }
    }

    /// Figures from Java 17's `Calendar.getInstance(UTC)`: `setTime` and `get(YEAR)`… for the
    /// fields, `setLenient(false)`, `set(YEAR, …)`… and `getTime` for the days.
    #[test]
    fn strict_calendars_give_and_take_dates_as_javas_do() {
        for (days, fields) in [
            (19_000, (2022, 1, 8)),
            (-141_427, (1582, 10, 15)),
            (-141_428, (1582, 10, 4)),
            (-354_285, (999, 12, 27)),
            (-719_162, (1, 1, 3)),
            (-719_528, (1, 1, 3)),
            (-719_893, (2, 1, 3)),
        ] {
            assert_eq!(java_calendar_fields(days), fields, "{days}");
        }
        for (fields, days) in [
            ((1000, 1, 1), Some(-354_280)),
            ((1582, 10, 15), Some(-141_427)),
            ((1500, 2, 29), Some(-171_596)),
            ((1, 1, 1), Some(-719_164)),
            ((1582, 10, 5), None),
            ((0, 1, 1), None),
            ((2023, 2, 29), None),
            ((2024, 13, 1), None),
            ((-5, 1, 1), None),
        ] {
            assert_eq!(
                java_strict_calendar_day(fields.0, fields.1, fields.2),
                days,
                "{fields:?}"
            );
        }
    }

    /// Figures from Java 17: `new GregorianCalendar(year, month - 1, day)` in UTC, against
    /// `LocalDate.of(year, month, day).toEpochDay()`.
    #[test]
    fn dates_before_the_cutover_move_between_the_calendars_as_javas_do() {
        let gregorian = |year, month, day| {
            chrono::NaiveDate::from_ymd_opt(year, month, day)
                .map(|date| (date - chrono::NaiveDate::default()).num_days())
                .expect("a date")
        };
        for (year, month, day, hybrid) in [
            (2024, 2, 29, 19_782),
            (1582, 10, 15, -141_427),
            (1582, 10, 4, -141_428),
            (1582, 10, 10, -141_422),
            (1500, 3, 1, -171_595),
            (1500, 2, 28, -171_597),
            (1000, 1, 1, -354_280),
            (1, 1, 1, -719_164),
            (-43, 3, 15, -735_162),
        ] {
            let days = gregorian(year, month, day);
            assert_eq!(hybrid_day_of_gregorian_fields(days), hybrid, "{year}-{month}-{day}");
            if days != gregorian(1582, 10, 10) {
                assert_eq!(
                    gregorian_day_of_hybrid_fields(hybrid),
                    Some(days),
                    "{year}-{month}-{day}"
                );
            }
        }
        // Julian 1500-02-29, the day before 1500-03-01.
        assert_eq!(gregorian_day_of_hybrid_fields(-171_596), None);
        // Every other day is written with its own fields and read back.
        let written: Vec<i64> = (-800_000..-100_000)
            .filter_map(|days| Some((days, gregorian_day_of_hybrid_fields(days)?)))
            .map(|(days, gregorian)| {
                assert_eq!(hybrid_day_of_gregorian_fields(gregorian), days);
                days
            })
            .collect();
        // 221 BC to 1582: a Julian leap day a century but each fourth (-200, -100, 100…1500).
        assert_eq!(700_000 - written.len(), 14);
    }

    #[test]
    fn time_of_day_rolls_into_the_date() {
        let millis = lenient_epoch_millis([1970, 1, 1, 25, 0, 0, 0]);
        assert_eq!(millis, Some(90_000_000));
        assert_eq!(lenient_epoch_millis([1970, 1, 1, 0, 0, 0, -1]), Some(-1));
        assert_eq!(lenient_epoch_millis([i64::MAX, 1, 1, 0, 0, 0, 0]), None);
    }
}
