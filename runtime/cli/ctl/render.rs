//! How answers are printed: aligned tables for people, JSON or YAML for scripts.

use serde_json::Value;

use super::client::CtlError;

/// The format of a command's output.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Output {
    /// Tables and text for people.
    Table,
    /// The worker's answers as JSON.
    Json,
    /// The worker's answers as YAML.
    Yaml,
}

impl Output {
    /// Prints `value` as JSON or YAML; `false` for [`Output::Table`], which the caller prints
    /// its own way.
    pub fn print_data(self, value: &Value) -> Result<bool, CtlError> {
        match self {
            Output::Table => Ok(false),
            Output::Json => {
                let text = serde_json::to_string_pretty(value).map_err(|e| CtlError::Input(e.to_string()))?;
                println!("{text}");
                Ok(true)
            }
            Output::Yaml => {
                let text = serde_yaml::to_string(value).map_err(|e| CtlError::Input(e.to_string()))?;
                print!("{text}");
                Ok(true)
            }
        }
    }
}

/// Rows printed under a header with each column as wide as its widest cell.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, a line per row (no trailing spaces).
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(&widths) {
                line.push_str(&format!("{cell:<width$}   "));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A JSON value as a table cell: strings bare, anything else as compact JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut table = Table::new(&["NAME", "STATE"]);
        table.row(vec!["a-long-name".into(), "RUNNING".into()]);
        table.row(vec!["b".into(), "".into()]);
        assert_eq!(table.render(), "NAME          STATE\na-long-name   RUNNING\nb\n");
        assert_eq!(cell(&serde_json::json!({"a": 1})), "{\"a\":1}");
    }
}
