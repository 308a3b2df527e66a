//! What the replication stream does not say about a table, read from PostgreSQL's catalog: its
//! columns' types, which columns make its primary key (Debezium keys events by the primary key,
//! while the stream flags the replica identity's columns: every column under `REPLICA IDENTITY
//! FULL`), which allow NULL (Debezium's schemas make a `NOT NULL` column's field required) and
//! their constant defaults (a field's default in Debezium's schemas), and an enum type's labels.

use sqlx::PgExecutor;

use super::columns::default_literal;
use super::pgoutput::RelationColumn;

/// A column as the catalog query reads it: name, type, type modifier, in the primary key,
/// allows NULL, default expression, enum labels.
type CatalogRow = (String, i64, i32, bool, bool, Option<String>, Option<String>);

/// The live columns of `table` (a qualified, quoted name), in order.
pub(super) async fn table_columns<'e>(
    executor: impl PgExecutor<'e>,
    table: &str,
) -> Result<Vec<RelationColumn>, sqlx::Error> {
    let columns: Vec<CatalogRow> = sqlx::query_as(
        "SELECT a.attname::text, a.atttypid::int8, a.atttypmod, \
         COALESCE(a.attnum = ANY(i.indkey), false), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
         (SELECT string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) FROM pg_enum e \
          WHERE e.enumtypid = a.atttypid) \
         FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(executor)
    .await?;
    Ok(columns
        .into_iter()
        .map(
            |(name, oid, modifier, key, optional, default, enum_labels)| RelationColumn {
                key,
                optional,
                default: default.as_deref().and_then(default_literal),
                enum_labels,
                name,
                type_oid: oid as u32,
                type_modifier: modifier,
            },
        )
        .collect())
}

/// `columns` as the stream described them, with the primary key, NULL-ability, default and
/// enum labels of the catalog's `described` columns of the same name (a column the catalog no
/// longer has keeps what the stream said, and allows NULL).
pub(super) fn with_catalog(columns: &mut [RelationColumn], described: &[RelationColumn]) {
    for column in columns {
        match described.iter().find(|d| d.name == column.name) {
            Some(d) => {
                column.key = d.key;
                column.optional = d.optional;
                column.default.clone_from(&d.default);
                column.enum_labels.clone_from(&d.enum_labels);
            }
            None => column.optional = true,
        }
    }
}
