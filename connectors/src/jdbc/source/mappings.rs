//! Confluent's newer ways to name tables and their offset columns, by regular expressions
//! matched against a table's qualified name (`schema.table` on PostgreSQL, `database.table` on
//! MySQL, as its JDBC drivers list it): `table.include.list` and `table.exclude.list` (a table
//! is copied when one include matches it whole and no exclude does), `timestamp.columns.mapping`
//! (`regex:[col1|col2],…`) and `incrementing.column.mapping` (`regex:col,…`). Each copied table
//! must match exactly one mapping of the mode's columns.

use regex::Regex;
use tributary_runtime::config::{split_list, KeyValue};

use super::query::Mode;

/// Regular expressions, each matched against a whole name.
#[derive(Debug, Clone, Default)]
pub(super) struct TableRegexes(Vec<Regex>);

impl TableRegexes {
    /// The expressions of `list`, or why one is none.
    pub(super) fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|text| whole(text))
            .collect::<Result<_, _>>()
            .map(TableRegexes)
    }

    /// Whether there are none.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one matches `name` whole.
    pub(super) fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|regex| regex.is_match(name))
    }
}

/// Implements reading each of these types through its key: a list, whose check parsed it
/// already.
macro_rules! parsed_list_value {
    ($($kind:ty),*) => {$(
        impl KeyValue for $kind {
            fn read(raw: Option<&str>) -> Self {
                <$kind>::parse(&split_list(raw.unwrap_or_default())).unwrap_or_default()
            }
        }
    )*};
}

parsed_list_value!(TableRegexes, TimestampMapping, IncrementingMapping);

/// `text` as an expression matching whole names, as Java's `Pattern.matches`.
fn whole(text: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{})$", text.trim()))
        .map_err(|e| format!("must be a valid comma-separated list of regular expression patterns: {e}"))
}

/// The offset columns of the tables whose names a regular expression matches.
#[derive(Debug, Clone, Default)]
pub(super) struct ColumnMapping<T> {
    entries: Vec<(Regex, T)>,
}

/// `timestamp.columns.mapping`: the timestamp columns (the first not null is a row's).
pub(super) type TimestampMapping = ColumnMapping<Vec<String>>;
/// `incrementing.column.mapping`.
pub(super) type IncrementingMapping = ColumnMapping<String>;

impl<T: Clone> ColumnMapping<T> {
    /// Whether there are no entries.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The columns of table `name`, which must match exactly one entry's expression.
    pub(super) fn of(&self, name: &str) -> Result<T, String> {
        let mut matching = self.entries.iter().filter(|(regex, _)| regex.is_match(name));
        match (matching.next(), matching.next()) {
            (Some((_, columns)), None) => Ok(columns.clone()),
            (None, _) => Err(format!(
                "Included table '{name}' does not match any of the provided regexes"
            )),
            (Some(_), Some(_)) => Err(format!(
                "Included table '{name}' matches more than one of the provided regexes"
            )),
        }
    }
}

impl TimestampMapping {
    /// The mappings `regex:[col1|col2|…]` of `list`, or why one is not.
    pub(super) fn parse(list: &[String]) -> Result<Self, String> {
        let entries = list
            .iter()
            .map(|entry| {
                let (regex, columns) = split(entry, "regex:[col1|col2|...]")?;
                let inner = columns
                    .strip_prefix('[')
                    .and_then(|rest| rest.strip_suffix(']'))
                    .ok_or_else(|| format!("{columns}: Columns list must be enclosed in square brackets"))?;
                if inner.trim().is_empty() {
                    return Err(format!("{columns}: Columns list cannot be empty"));
                }
                let columns: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
                if columns.iter().any(String::is_empty) {
                    return Err(format!("{columns:?}: Every column name should be non-empty string"));
                }
                Ok((regex, columns))
            })
            .collect::<Result<_, String>>()?;
        Ok(ColumnMapping { entries })
    }
}

impl IncrementingMapping {
    /// The mappings `regex:column` of `list`, or why one is not.
    pub(super) fn parse(list: &[String]) -> Result<Self, String> {
        let entries = list
            .iter()
            .map(|entry| {
                let (regex, column) = split(entry, "regex:columnName")?;
                if column.is_empty() {
                    return Err("Column name cannot be empty".to_string());
                }
                Ok((regex, column.to_string()))
            })
            .collect::<Result<_, String>>()?;
        Ok(ColumnMapping { entries })
    }
}

/// A mapping's expression and the text after its one colon.
fn split<'a>(entry: &'a str, format: &str) -> Result<(Regex, &'a str), String> {
    let mut parts = entry.trim().split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(regex), Some(columns), None) => Ok((whole(regex)?, columns.trim())),
        _ => Err(format!("{entry}: Invalid format. Expected '{format}'")),
    }
}

/// Where each table's offset columns come from.
#[derive(Debug, Clone)]
pub(super) enum OffsetColumns {
    /// `incrementing.column.name` (the table's auto-increment column when empty) and
    /// `timestamp.column.name`, for every table and the query.
    Named {
        incrementing: String,
        timestamps: Vec<String>,
    },
    /// The mappings, by table (with `table.include.list`).
    Mapped {
        incrementing: IncrementingMapping,
        timestamps: TimestampMapping,
    },
}

/// One table's (or the query's) offset columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct TableColumns {
    /// The incrementing column; `None` for the table's auto-increment column.
    pub incrementing: Option<String>,
    /// The timestamp columns.
    pub timestamps: Vec<String>,
}

impl OffsetColumns {
    /// The offset columns in `mode` of the table named `name` (qualified; `None` for the query).
    pub(super) fn of(&self, name: Option<&str>, mode: Mode) -> Result<TableColumns, String> {
        let (incrementing, timestamps, name) = match (self, name) {
            (
                OffsetColumns::Named {
                    incrementing,
                    timestamps,
                },
                _,
            ) => {
                return Ok(TableColumns {
                    incrementing: Some(incrementing.trim().to_string()).filter(|c| !c.is_empty()),
                    timestamps: timestamps.clone(),
                })
            }
            // A query has no table for a mapping to match (validation refuses mappings with one).
            (OffsetColumns::Mapped { .. }, None) => return Ok(TableColumns::default()),
            (
                OffsetColumns::Mapped {
                    incrementing,
                    timestamps,
                },
                Some(name),
            ) => (incrementing, timestamps, name),
        };
        let incrementing = if mode.uses_incrementing() && !incrementing.is_empty() {
            let column = incrementing
                .of(name)
                .map_err(|e| format!("Error while validating incrementing column mappings: {e}"))?;
            Some(column)
        } else {
            None
        };
        let timestamps = if mode.uses_timestamp() {
            timestamps
                .of(name)
                .map_err(|e| format!("Error while validating timestamp column mappings: {e}"))?
        } else {
            Vec::new()
        };
        Ok(TableColumns {
            incrementing,
            timestamps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expressions_match_whole_qualified_names() {
        let include = TableRegexes::parse(&list(&["public\\.order.*", "sales\\.c"])).unwrap();
        assert!(include.matches("public.orders"));
        assert!(include.matches("sales.c"));
        assert!(!include.matches("sales.cc"), "a match must cover the whole name");
        assert!(!include.matches("archive.public.orders"));
        assert!(TableRegexes::parse(&list(&["(unclosed"])).is_err());
    }

    #[test]
    fn each_table_takes_the_one_mapping_that_matches_it() {
        let timestamps = TimestampMapping::parse(&list(&[
            "public\\.orders:[updated_at| created_at]",
            "sales\\..*:[changed]",
        ]))
        .unwrap();
        assert_eq!(timestamps.of("public.orders").unwrap(), ["updated_at", "created_at"]);
        assert_eq!(timestamps.of("sales.c").unwrap(), ["changed"]);
        assert!(timestamps
            .of("public.other")
            .unwrap_err()
            .contains("does not match any"));
        let incrementing = IncrementingMapping::parse(&list(&["public\\..*:id", ".*orders:order_id"])).unwrap();
        assert!(incrementing.of("public.orders").unwrap_err().contains("more than one"));
        assert_eq!(incrementing.of("public.lines").unwrap(), "id");
        for bad in ["public.orders", "a:[]", "a:[x||y]", "a:x", "a:b:[c]"] {
            assert!(TimestampMapping::parse(&list(&[bad])).is_err(), "{bad}");
        }
        assert!(IncrementingMapping::parse(&list(&["a:"])).is_err());
    }
}
