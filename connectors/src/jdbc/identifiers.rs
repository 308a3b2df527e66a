//! `quote.sql.identifiers`: whether the statements Confluent's JDBC source and sink build quote
//! table and column names (`always`, its default) or write them as they are (`never`, so that
//! the database folds them as it folds unquoted names: PostgreSQL to lower case).

use tributary_runtime::config::{ConfigKey, ConfigType, Key};

use super::connection::Dialect;

tributary_runtime::choice_key_value!(QuoteIdentifiers);

/// `quote.sql.identifiers`.
pub const QUOTE_SQL_IDENTIFIERS: Key<QuoteIdentifiers> = Key::new(
    ConfigKey::optional(
        "quote.sql.identifiers",
        ConfigType::String,
        "always",
        "Whether table and column names in the statements are quoted: always, or never (the \
         database folds them as unquoted names).",
    )
    .check(|value| {
        QuoteIdentifiers::parse(value)
            .map(|_| ())
            .ok_or_else(|| "must be one of always, never".into())
    }),
);

/// A `quote.sql.identifiers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuoteIdentifiers {
    /// Every name quoted.
    #[default]
    Always,
    /// Names as they are.
    Never,
}

impl QuoteIdentifiers {
    /// Parses Confluent's names, in either case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "always" => Some(QuoteIdentifiers::Always),
            "never" => Some(QuoteIdentifiers::Never),
            _ => None,
        }
    }

    /// `name` as an identifier of `dialect`.
    pub fn name(self, dialect: Dialect, name: &str) -> String {
        match self {
            QuoteIdentifiers::Always => dialect.quote(name),
            QuoteIdentifiers::Never => name.to_string(),
        }
    }

    /// Whether the sink takes its tables' names in lower case in `dialect`: PostgreSQL's under
    /// `never`, as Confluent's dialect parses a table's name (the server folds the unquoted
    /// names of the statements so, and the catalog holds them so).
    pub fn lower_cases_tables(self, dialect: Dialect) -> bool {
        self == QuoteIdentifiers::Never && dialect == Dialect::Postgres
    }

    /// A possibly qualified table name (`schema.table`) as an identifier of `dialect`.
    pub fn table(self, dialect: Dialect, table: &str) -> String {
        match self {
            QuoteIdentifiers::Always => dialect.quote_table(table),
            QuoteIdentifiers::Never => table.to_string(),
        }
    }
}
