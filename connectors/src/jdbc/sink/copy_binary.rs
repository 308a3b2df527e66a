//! PostgreSQL's binary `COPY` format, for a run whose every column has a type this writes in the
//! server's own binary form (`int2`/`int4`/`int8`, `float8`, `bool`, `text`/`varchar`/`bpchar`,
//! `bytea`, `numeric`, `date`, `time`, `timestamp`/`timestamptz`): the server stores the values
//! without parsing text (about 40% less of its CPU than the text format for the database
//! benchmark's rows, numbers and timestamps above all). Any other run keeps the text format,
//! whose conversions the server does itself.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::plan::{ColumnData, Decimal, Run};
use super::table::Table;

/// The start of the data: signature, flags (none), header extension length (none).
pub(super) const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end of the data: a tuple of -1 fields.
pub(super) const TRAILER: &[u8] = &[0xff, 0xff];

/// The largest decimal scale written in binary; larger ones go as text.
const MAX_SCALE: i32 = 64;

/// How one column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Int2,
    Int4,
    Int8,
    Float8,
    Bool,
    Text,
    Bytea,
    Numeric,
    Date,
    Time,
    Timestamp,
}

/// The form of each of `run`'s columns in `table`; `None` when one has none: a type not written here, or a value
/// the type's binary form cannot take as the text form would (an integer out of the column's
/// range, a time finer than a microsecond), which the text format then gives the server to
/// judge.
pub(super) fn forms(run: &Run<'_>, table: &Table) -> Option<Vec<Form>> {
    let ints_fit =
        |values: &[Option<i64>], min: i64, max: i64| values.iter().flatten().all(|v| (min..=max).contains(v));
    run.columns
        .iter()
        .zip(&run.data)
        .map(|(column, data)| {
            Some(match (data, table.column_type(&column.name)?) {
                (ColumnData::Int(_), "int8") => Form::Int8,
                (ColumnData::Int(v), "int4") if ints_fit(v, i32::MIN.into(), i32::MAX.into()) => Form::Int4,
                (ColumnData::Int(v), "int2") if ints_fit(v, i16::MIN.into(), i16::MAX.into()) => Form::Int2,
                (ColumnData::Float(_), "float8") => Form::Float8,
                (ColumnData::Bool(_), "bool") => Form::Bool,
                (ColumnData::Text(_), "text" | "varchar" | "bpchar") => Form::Text,
                (ColumnData::Bytes(_), "bytea") => Form::Bytea,
                (ColumnData::Decimal(v), "numeric")
                    if v.iter()
                        .flatten()
                        .all(|d| matches!(d, Decimal::Small(_, scale) if (0..=MAX_SCALE).contains(scale))) =>
                {
                    Form::Numeric
                }
                (ColumnData::Date(_), "date") => Form::Date,
                (ColumnData::Time(v), "time") if v.iter().flatten().all(|t| whole_micros(t.nanosecond())) => Form::Time,
                (ColumnData::Timestamp(v), "timestamp" | "timestamptz")
                    if v.iter().flatten().all(|t| whole_micros(t.nanosecond())) =>
                {
                    Form::Timestamp
                }
                _ => return None,
            })
        })
        .collect()
}

/// Row `row` of `run` as a tuple of the binary format, its columns in `forms`.
pub(super) fn write_row(out: &mut Vec<u8>, run: &Run<'_>, forms: &[Form], row: usize) {
    // A run has at most as many columns as a table (1,600), well within an i16.
    out.extend_from_slice(&(run.data.len() as i16).to_be_bytes());
    for (data, form) in run.data.iter().zip(forms) {
        write_value(out, data, *form, row);
    }
}

fn write_value(out: &mut Vec<u8>, data: &ColumnData<'_>, form: Form, row: usize) {
    match data {
        ColumnData::Int(v) => match (v[row], form) {
            (None, _) => null(out),
            (Some(x), Form::Int2) => field(out, &(x as i16).to_be_bytes()),
            (Some(x), Form::Int4) => field(out, &(x as i32).to_be_bytes()),
            (Some(x), _) => field(out, &x.to_be_bytes()),
        },
        ColumnData::Float(v) => match v[row] {
            Some(x) => field(out, &x.to_be_bytes()),
            None => null(out),
        },
        ColumnData::Bool(v) => match v[row] {
            Some(x) => field(out, &[u8::from(x)]),
            None => null(out),
        },
        ColumnData::Text(v) => match &v[row] {
            Some(x) => field(out, x.as_bytes()),
            None => null(out),
        },
        ColumnData::Bytes(v) => match &v[row] {
            Some(x) => field(out, x),
            None => null(out),
        },
        ColumnData::Decimal(v) => match &v[row] {
            // `forms` let through small decimals of scales 0 to MAX_SCALE only.
            Some(Decimal::Small(unscaled, scale)) => numeric(out, *unscaled, *scale as usize),
            _ => null(out),
        },
        ColumnData::Date(v) => match v[row] {
            Some(x) => field(out, &date_days(x).to_be_bytes()),
            None => null(out),
        },
        ColumnData::Time(v) => match v[row] {
            Some(x) => field(out, &time_micros(x).to_be_bytes()),
            None => null(out),
        },
        ColumnData::Timestamp(v) => match v[row] {
            Some(x) => field(out, &timestamp_micros(x).to_be_bytes()),
            None => null(out),
        },
    }
}

/// A field: its length, then its bytes.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    // Values are far below 2 GiB (a Kafka record is).
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1_i32).to_be_bytes());
}

/// PostgreSQL's epoch for dates and timestamps.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a date"),
};

/// Days since 2000-01-01 (chrono's dates are within ±262,143 years, so this fits).
fn date_days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

/// Whether a time's fraction of a second is whole microseconds, as the binary forms hold
/// (a finer one, or a leap second, goes as text for the server to round).
fn whole_micros(nanos: u32) -> bool {
    nanos % 1000 == 0 && nanos < 1_000_000_000
}

/// Microseconds since midnight (of a time whose fraction is whole microseconds).
fn time_micros(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) * 1_000_000 + i64::from(time.nanosecond() / 1000)
}

/// Microseconds since 2000-01-01 00:00:00 (of a timestamp whose fraction is whole
/// microseconds; chrono's ±262,143 years fit).
fn timestamp_micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros() - EPOCH.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

/// A `numeric` from an unscaled integer and a scale (0 to [`MAX_SCALE`]): base-10000 digits
/// with the weight of the first, the sign, and the scale to display.
fn numeric(out: &mut Vec<u8>, unscaled: i128, scale: usize) {
    let mut text = itoa::Buffer::new();
    let digits = text.format(unscaled.unsigned_abs()).as_bytes();
    // The decimal digits laid out in groups of four as the base-10000 digits take them: the
    // whole part padded on the left, the fraction on the right. At most 3 + 39 + 64 digits.
    let whole = digits.len().saturating_sub(scale);
    let lead = (4 - whole % 4) % 4;
    let total = lead + whole + scale.div_ceil(4) * 4;
    let mut laid = [b'0'; 108];
    let end = lead + whole + scale;
    laid[end - digits.len()..end].copy_from_slice(digits);
    let mut groups = [0_u16; 27];
    for (group, four) in groups.iter_mut().zip(laid[..total].chunks(4)) {
        *group = four.iter().fold(0, |value, digit| value * 10 + u16::from(digit - b'0'));
    }
    let groups = &groups[..total / 4];
    // The weight is the power of 10000 of the first digit kept; zeros at either end are not.
    let first = groups.iter().position(|g| *g != 0).unwrap_or(groups.len());
    let last = groups.iter().rposition(|g| *g != 0).map_or(first, |i| i + 1);
    let kept = &groups[first..last];
    let weight = if kept.is_empty() {
        0
    } else {
        ((lead + whole) / 4) as i16 - 1 - first as i16
    };
    let sign: u16 = if unscaled < 0 && !kept.is_empty() { 0x4000 } else { 0 };
    out.extend_from_slice(&((8 + 2 * kept.len()) as i32).to_be_bytes());
    out.extend_from_slice(&(kept.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(scale as i16).to_be_bytes());
    for group in kept {
        out.extend_from_slice(&group.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// `numeric`'s fields after the length: digit count, weight, sign, scale, digits.
    fn numeric_fields(unscaled: i128, scale: usize) -> Vec<i32> {
        let mut out = Vec::new();
        numeric(&mut out, unscaled, scale);
        let length = i32::from_be_bytes([out[0], out[1], out[2], out[3]]);
        assert_eq!(length as usize, out.len() - 4);
        out[4..]
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let raw = [pair[0], pair[1]];
                // The sign is unsigned; the rest are signed 16-bit.
                if i == 2 {
                    i32::from(u16::from_be_bytes(raw))
                } else {
                    i32::from(i16::from_be_bytes(raw))
                }
            })
            .collect()
    }

    /// The layouts PostgreSQL's `numeric_send` gives for the same values.
    #[test]
    fn numerics_are_laid_out_as_the_server_sends_them() {
        assert_eq!(numeric_fields(12345, 2), [2, 0, 0, 2, 123, 4500]);
        assert_eq!(numeric_fields(-12345, 2), [2, 0, 0x4000, 2, 123, 4500]);
        assert_eq!(numeric_fields(5, 3), [1, -1, 0, 3, 50]);
        assert_eq!(numeric_fields(0, 2), [0, 0, 0, 2]);
        assert_eq!(numeric_fields(123_456_789, 2), [3, 1, 0, 2, 123, 4567, 8900]);
        assert_eq!(numeric_fields(100_000_000, 4), [1, 1, 0, 4, 1]);
        assert_eq!(numeric_fields(7, 0), [1, 0, 0, 0, 7]);
        assert_eq!(numeric_fields(1, 9), [1, -3, 0, 9, 1000]);
        let largest = numeric_fields(i128::MIN + 1, 64);
        assert_eq!(&largest[..4], [10, -7, 0x4000, 64]);
    }

    /// A run of `data` into columns c0, c1, … of a table whose columns have the types `types`.
    fn run_of(data: Vec<ColumnData<'static>>, types: &[&str]) -> (Run<'static>, Table) {
        let run = Run::of_columns(data);
        let table = Table::of_columns(run.columns.iter().map(|c| c.name.as_str()).zip(types.iter().copied()));
        (run, table)
    }

    #[test]
    fn runs_go_binary_only_where_every_column_takes_it() {
        let at = NaiveDate::from_ymd_opt(2024, 2, 29).and_then(|d| d.and_hms_milli_opt(1, 2, 3, 4));
        let (run, types) = run_of(
            vec![
                ColumnData::Int(vec![Some(1)]),
                ColumnData::Int(vec![Some(-32768)]),
                ColumnData::Float(vec![Some(0.5)]),
                ColumnData::Text(vec![Some("x".into())]),
                ColumnData::Decimal(vec![Some(Decimal::Small(5, 2)), None]),
                ColumnData::Timestamp(vec![at]),
            ],
            &["int8", "int2", "float8", "varchar", "numeric", "timestamptz"],
        );
        use Form::*;
        assert_eq!(
            forms(&run, &types),
            Some(vec![Int8, Int2, Float8, Text, Numeric, Timestamp])
        );
        // A type written as text only; an integer beyond the column's range; a column unknown.
        let (run, types) = run_of(vec![ColumnData::Float(vec![Some(0.5)])], &["float4"]);
        assert_eq!(forms(&run, &types), None);
        let (run, types) = run_of(vec![ColumnData::Int(vec![Some(40_000)])], &["int2"]);
        assert_eq!(forms(&run, &types), None);
        let (run, _) = run_of(vec![ColumnData::Int(vec![Some(1)])], &[]);
        assert_eq!(forms(&run, &Table::default()), None);
        let big = Decimal::new(&[0x7f; 17], 2);
        let (run, types) = run_of(vec![ColumnData::Decimal(vec![Some(big)])], &["numeric"]);
        assert_eq!(forms(&run, &types), None);
    }

    #[test]
    fn dates_times_and_timestamps_count_from_the_servers_epoch() {
        let day = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap();
        assert_eq!(date_days(day), 1);
        assert_eq!(date_days(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()), -1);
        let noon = NaiveTime::from_hms_milli_opt(12, 0, 0, 5).unwrap();
        assert_eq!(time_micros(noon), 43_200_005_000);
        assert!(!whole_micros(
            NaiveTime::from_hms_nano_opt(0, 0, 0, 1).unwrap().nanosecond()
        ));
        assert_eq!(timestamp_micros(day.and_time(noon)), 86_400_000_000 + 43_200_005_000);
    }
}
