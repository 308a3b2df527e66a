//! PostgreSQL `COPY … FROM STDIN` for plain inserts: a run as COPY's text format (a line per
//! row, tab-separated, `\N` for null, backslash escapes), which the server loads faster than
//! any statement. Values COPY's text cannot carry as they are (dates outside years 1–9999) make
//! the run fall back to the `UNNEST` statement.

use std::io::Write;

use chrono::Datelike;

use super::plan::{ColumnData, Run};
use crate::jdbc::connection::Dialect;

/// The `COPY` statement loading `run`'s columns.
pub(super) fn statement(run: &Run) -> String {
    let d = Dialect::Postgres;
    let columns: Vec<String> = run.columns.iter().map(|c| d.quote(&c.name)).collect();
    format!("COPY {} ({}) FROM STDIN", d.quote_table(&run.table), columns.join(", "))
}

/// `run`'s rows in COPY's text format; `None` if a value cannot be written in it.
pub(super) fn text(run: &Run) -> Option<Vec<u8>> {
    let rows = run.rows();
    let mut out = Vec::with_capacity(rows * 16 * run.data.len().max(1));
    for row in 0..rows {
        for (index, data) in run.data.iter().enumerate() {
            if index > 0 {
                out.push(b'\t');
            }
            write_value(&mut out, data, row)?;
        }
        out.push(b'\n');
    }
    Some(out)
}

fn write_value(out: &mut Vec<u8>, data: &ColumnData, row: usize) -> Option<()> {
    match data {
        ColumnData::Int(v) => display(out, v[row]),
        ColumnData::Float(v) => match v[row] {
            Some(x) if x.is_nan() => out.extend_from_slice(b"NaN"),
            Some(x) if x.is_infinite() => out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" }),
            Some(x) => display(out, Some(format_args!("{x:?}"))),
            None => null(out),
        },
        ColumnData::Bool(v) => display(out, v[row].map(|x| if x { 't' } else { 'f' })),
        ColumnData::Text(v) => match &v[row] {
            Some(x) => escape(out, x.as_bytes()),
            None => null(out),
        },
        ColumnData::Bytes(v) => match &v[row] {
            // bytea's hex form, its backslash escaped for COPY.
            Some(x) => {
                out.extend_from_slice(b"\\\\x");
                for byte in x {
                    display(out, Some(format_args!("{byte:02x}")));
                }
            }
            None => null(out),
        },
        ColumnData::Decimal(v) => display(out, v[row].as_ref()),
        ColumnData::Date(v) => {
            if v[row].is_some_and(|x| !copyable_year(x.year())) {
                return None;
            }
            display(out, v[row].map(|x| x.format("%Y-%m-%d")))
        }
        ColumnData::Time(v) => display(out, v[row].map(|x| x.format("%H:%M:%S%.f"))),
        ColumnData::Timestamp(v) => {
            if v[row].is_some_and(|x| !copyable_year(x.year())) {
                return None;
            }
            display(out, v[row].map(|x| x.format("%Y-%m-%d %H:%M:%S%.f")))
        }
    }
    Some(())
}

/// Whether COPY's text form writes dates of `year` as they are (no era, four digits).
fn copyable_year(year: i32) -> bool {
    (1..=9999).contains(&year)
}

/// `value` as text, or COPY's null.
fn display(out: &mut Vec<u8>, value: Option<impl std::fmt::Display>) {
    match value {
        // Writing to a Vec cannot fail.
        Some(value) => {
            let _ = write!(out, "{value}");
        }
        None => null(out),
    }
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
    use chrono::{NaiveDate, NaiveDateTime};
    use tributary_runtime::data::{Schema, SchemaType};

    use super::*;
    use crate::jdbc::sink::plan::{ColumnSpec, RunKind};

    fn run(data: Vec<ColumnData>) -> Run {
        Run {
            table: "public.t".into(),
            kind: RunKind::Write,
            columns: (0..data.len())
                .map(|i| ColumnSpec {
                    name: format!("c{i}"),
                    schema: Schema::of(SchemaType::String),
                    key: false,
                })
                .collect(),
            data,
        }
    }

    #[test]
    fn rows_are_written_in_copy_text_format() {
        let at = NaiveDate::from_ymd_opt(2024, 2, 29).and_then(|d| d.and_hms_milli_opt(13, 14, 15, 120));
        let run = run(vec![
            ColumnData::Int(vec![Some(-7), None]),
            ColumnData::Text(vec![Some("a\tb\\c\nd".into()), Some(String::new())]),
            ColumnData::Float(vec![Some(0.1), Some(f64::NEG_INFINITY)]),
            ColumnData::Bytes(vec![Some(vec![0, 255]), None]),
            ColumnData::Timestamp(vec![at, None]),
        ]);
        assert_eq!(
            String::from_utf8(text(&run).unwrap()).unwrap(),
            "-7\ta\\tb\\\\c\\nd\t0.1\t\\\\x00ff\t2024-02-29 13:14:15.120\n\\N\t\t-Infinity\t\\N\t\\N\n"
        );
        assert_eq!(
            statement(&run),
            "COPY \"public\".\"t\" (\"c0\", \"c1\", \"c2\", \"c3\", \"c4\") FROM STDIN"
        );
    }

    #[test]
    fn dates_copy_cannot_carry_fall_back() {
        let ancient = NaiveDate::from_ymd_opt(-44, 3, 15).map(|d| NaiveDateTime::new(d, Default::default()));
        assert_eq!(text(&run(vec![ColumnData::Timestamp(vec![ancient])])), None);
    }
}
