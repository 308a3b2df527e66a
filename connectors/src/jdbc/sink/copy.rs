//! PostgreSQL `COPY … FROM STDIN` for plain inserts, which the server loads faster than any
//! statement: in the binary format ([`super::copy_binary`]) where every column's type allows,
//! else as COPY's text format (a line per row, tab-separated, `\N` for null, backslash
//! escapes). A run's data is written whole, so that it can be sent after the records it came
//! from are gone, and sent in pieces. Values COPY's text cannot carry as they are (dates
//! outside years 1–9999) make a run the binary format cannot take fall back to the `UNNEST`
//! statement.

use std::io::Write;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use sqlx::{Postgres, Transaction};

use super::copy_binary;
use super::plan::{ColumnData, Decimal, Run};
use super::table::Table;
use crate::jdbc::connection::Dialect;

/// The size of the pieces the data is sent in.
const PIECE_BYTES: usize = 64 * 1024;

/// A `COPY` statement and the data it loads.
#[derive(Debug)]
pub(super) struct Load {
    statement: String,
    data: Vec<u8>,
}

impl Load {
    /// `run` as a `COPY` into `table` (when known); `None` when neither format can carry its
    /// values.
    pub(super) fn of(run: &Run<'_>, table: Option<&Table>) -> Option<Load> {
        let mut data = Vec::new();
        let binary = match table.and_then(|table| copy_binary::forms(run, table)) {
            Some(forms) => {
                data.extend_from_slice(copy_binary::HEADER);
                for row in 0..run.rows() {
                    copy_binary::write_row(&mut data, run, &forms, row);
                }
                data.extend_from_slice(copy_binary::TRAILER);
                true
            }
            None if copyable(run) => {
                for row in 0..run.rows() {
                    write_row(&mut data, run, row);
                }
                false
            }
            None => return None,
        };
        Some(Load {
            statement: statement(run, binary),
            data,
        })
    }

    /// Sends the data in pieces of [`PIECE_BYTES`], so that the server parses one while the
    /// next travels.
    pub(super) async fn send(&self, transaction: &mut Transaction<'static, Postgres>) -> Result<(), sqlx::Error> {
        let mut copy_in = transaction.copy_in_raw(&self.statement).await?;
        for piece in self.data.chunks(PIECE_BYTES) {
            copy_in.send(piece).await?;
        }
        copy_in.finish().await?;
        Ok(())
    }
}

/// The `COPY` statement loading `run`'s columns, in the binary format or the text one.
fn statement(run: &Run<'_>, binary: bool) -> String {
    let d = Dialect::Postgres;
    let columns = run.column_names(d);
    let format = if binary { " (FORMAT binary)" } else { "" };
    format!("COPY {} ({}) FROM STDIN{format}", run.table_name(d), columns.join(", "))
}

/// Whether COPY's text form carries every value of `run` as it is: dates and timestamps in
/// years 1–9999 (no era, four digits).
fn copyable(run: &Run<'_>) -> bool {
    let in_range = |year: i32| (1..=9999).contains(&year);
    run.data.iter().all(|data| match data {
        ColumnData::Date(v) => v.iter().flatten().all(|x| in_range(x.year())),
        ColumnData::Timestamp(v) => v.iter().flatten().all(|x| in_range(x.year())),
        _ => true,
    })
}

/// Row `row` of `run` as a line of COPY's text format.
fn write_row(out: &mut Vec<u8>, run: &Run<'_>, row: usize) {
    for (index, data) in run.data.iter().enumerate() {
        if index > 0 {
            out.push(b'\t');
        }
        write_value(out, data, row);
    }
    out.push(b'\n');
}

fn write_value(out: &mut Vec<u8>, data: &ColumnData<'_>, row: usize) {
    match data {
        ColumnData::Int(v) => match v[row] {
            Some(x) => integer(out, x),
            None => null(out),
        },
        ColumnData::Float(v) => match v[row] {
            Some(x) if x.is_nan() => out.extend_from_slice(b"NaN"),
            Some(x) if x.is_infinite() => out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" }),
            Some(x) => display(out, format_args!("{x:?}")),
            None => null(out),
        },
        ColumnData::Bool(v) => match v[row] {
            Some(x) => out.push(if x { b't' } else { b'f' }),
            None => null(out),
        },
        ColumnData::Text(v) => match &v[row] {
            Some(x) => escape(out, x.as_bytes()),
            None => null(out),
        },
        ColumnData::Bytes(v) => match &v[row] {
            // bytea's hex form, its backslash escaped for COPY.
            Some(x) => {
                out.extend_from_slice(b"\\\\x");
                for byte in x {
                    out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
                }
            }
            None => null(out),
        },
        ColumnData::Decimal(v) => match &v[row] {
            Some(x) => decimal(out, x),
            None => null(out),
        },
        ColumnData::Date(v) => match v[row] {
            Some(x) => date(out, x),
            None => null(out),
        },
        ColumnData::Time(v) => match v[row] {
            Some(x) => time(out, x),
            None => null(out),
        },
        ColumnData::Timestamp(v) => match v[row] {
            Some(x) => {
                date(out, x.date());
                out.push(b' ');
                time(out, x.time());
            }
            None => null(out),
        },
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// `value` in at least two digits.
fn two_digits(out: &mut Vec<u8>, value: u32) {
    if value < 10 {
        out.push(b'0');
    }
    integer(out, value);
}

/// `YYYY-MM-DD`, for years 1–9999.
fn date(out: &mut Vec<u8>, date: NaiveDate) {
    let year = date.year();
    out.extend_from_slice(&[b'0'; 3][..4usize.saturating_sub(itoa::Buffer::new().format(year).len())]);
    integer(out, year);
    out.push(b'-');
    two_digits(out, date.month());
    out.push(b'-');
    two_digits(out, date.day());
}

/// `HH:MM:SS`, then the fraction of the second in 3, 6 or 9 digits, as needed.
fn time(out: &mut Vec<u8>, time: NaiveTime) {
    two_digits(out, time.hour());
    out.push(b':');
    two_digits(out, time.minute());
    out.push(b':');
    two_digits(out, time.second());
    let nanos = time.nanosecond();
    if nanos == 0 {
        return;
    }
    let (fraction, digits) = match nanos {
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    out.push(b'.');
    let mut text = itoa::Buffer::new();
    let text = text.format(fraction);
    out.extend(std::iter::repeat_n(b'0', digits - text.len()));
    out.extend_from_slice(text.as_bytes());
}

/// A decimal in plain notation; those whose digits do not fit 128 bits, or with a negative
/// scale, as `BigDecimal` writes them.
fn decimal(out: &mut Vec<u8>, value: &Decimal) {
    let Some((unscaled, scale)) = (match value {
        Decimal::Small(unscaled, scale) => usize::try_from(*scale).ok().map(|scale| (*unscaled, scale)),
        Decimal::Big(_) => None,
    }) else {
        return display(out, value.to_big());
    };
    if unscaled < 0 {
        out.push(b'-');
    }
    let mut text = itoa::Buffer::new();
    let text = text.format(unscaled.unsigned_abs()).as_bytes();
    if text.len() > scale {
        let (whole, fraction) = text.split_at(text.len() - scale);
        out.extend_from_slice(whole);
        if scale > 0 {
            out.push(b'.');
            out.extend_from_slice(fraction);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - text.len()));
        out.extend_from_slice(text);
    }
}

fn display(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    // Writing to a Vec cannot fail.
    write!(out, "{value}").ok();
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\\N");
}

/// Text with COPY's escapes for backslash, tab, newline and carriage return.
fn escape(out: &mut Vec<u8>, text: &[u8]) {
    for &byte in text {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use bigdecimal::num_bigint::BigInt;
    use bigdecimal::BigDecimal;
    use chrono::{NaiveDate, NaiveDateTime};

    use super::*;

    /// Every row of `run` in COPY's text format.
    fn text(run: &Run<'_>) -> String {
        let mut out = Vec::new();
        for row in 0..run.rows() {
            write_row(&mut out, run, row);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rows_are_written_in_copy_text_format() {
        let at = NaiveDate::from_ymd_opt(2024, 2, 29).and_then(|d| d.and_hms_milli_opt(13, 14, 15, 120));
        let run = Run::of_columns(vec![
            ColumnData::Int(vec![Some(-7), None]),
            ColumnData::Text(vec![Some("a\tb\\c\nd".into()), Some("".into())]),
            ColumnData::Float(vec![Some(0.1), Some(f64::NEG_INFINITY)]),
            ColumnData::Bytes(vec![Some(vec![0, 255]), None]),
            ColumnData::Timestamp(vec![at, None]),
        ]);
        assert_eq!(
            text(&run),
            "-7\ta\\tb\\\\c\\nd\t0.1\t\\\\x00ff\t2024-02-29 13:14:15.120\n\\N\t\t-Infinity\t\\N\t\\N\n"
        );
        assert_eq!(
            statement(&run, false),
            "COPY \"t\" (\"c0\", \"c1\", \"c2\", \"c3\", \"c4\") FROM STDIN"
        );
    }

    /// Dates and times as chrono's `%Y-%m-%d %H:%M:%S%.f` writes them, decimals as the same
    /// number.
    #[test]
    fn values_are_written_as_the_libraries_would() {
        let starts = [
            -62_135_596_800_000_i64,
            -86_399_999,
            0,
            1,
            999,
            1_709_212_455_120,
            253_402_300_799_999,
        ];
        for millis in starts.into_iter().flat_map(|m| [m, m + 7_654_321_987]) {
            for nanos in [0, 120_000_000, 120_500_000, 120_500_007] {
                let Some(at) = chrono::DateTime::from_timestamp(millis.div_euclid(1000), nanos) else {
                    continue;
                };
                let at = at.naive_utc();
                let run = Run::of_columns(vec![ColumnData::Timestamp(vec![Some(at)])]);
                if copyable(&run) {
                    assert_eq!(text(&run), at.format("%Y-%m-%d %H:%M:%S%.f\n").to_string());
                }
            }
        }
        // From Connect's bytes, as the plan reads them: in 128 bits, and beyond.
        let big = "-1234567890123456789012345678901234567890".parse::<BigInt>().unwrap();
        for (unscaled, scale) in [
            (BigInt::from(12345), 2),
            (BigInt::from(-5), 2),
            (BigInt::from(5), 0),
            (BigInt::from(0), 3),
            (BigInt::from(-1234567), 3),
            (BigInt::from(7), -2),
            (BigInt::from(i64::MAX), 30),
            (BigInt::from(i128::MIN), 4),
            (BigInt::from(i128::MAX), 0),
            (big.clone(), 5),
        ] {
            let bytes = unscaled.to_signed_bytes_be();
            let value = Decimal::new(&bytes, scale);
            assert_eq!(matches!(value, Decimal::Small(..)), bytes.len() <= 16, "{unscaled}");
            let mut out = Vec::new();
            decimal(&mut out, &value);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text.parse::<BigDecimal>().unwrap(),
                BigDecimal::new(unscaled, scale.into()),
                "{text}"
            );
        }
        let mut out = Vec::new();
        decimal(&mut out, &Decimal::new(&[0x30, 0x39], 2));
        decimal(&mut out, &Decimal::new(&[0xfb], 3));
        assert_eq!(out, b"123.45-0.005");
    }

    #[test]
    fn dates_copy_cannot_carry_fall_back() {
        let ancient = NaiveDate::from_ymd_opt(-44, 3, 15).map(|d| NaiveDateTime::new(d, Default::default()));
        assert!(!copyable(&Run::of_columns(vec![ColumnData::Timestamp(vec![ancient])])));
        assert!(copyable(&Run::of_columns(vec![ColumnData::Timestamp(vec![None])])));
    }
}
