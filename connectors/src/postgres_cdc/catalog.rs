//! What the replication stream does not say about a table, read from PostgreSQL's catalog: its
//! columns' types, which columns make its primary key (Debezium keys events by the primary key,
//! while the stream flags the replica identity's columns: every column under `REPLICA IDENTITY
//! FULL`), which allow NULL (Debezium's schemas make a `NOT NULL` column's field required) and
//! their defaults (a field's default in Debezium's schemas), an enum type's labels (an
//! enum array's items' too), a domain's base type (Debezium maps a domain as its base type),
//! the names of extensions' types (HSTORE, LTREE), of an array's items and of the type a column
//! was declared with as the JDBC driver names it (`serial` for an INT4 drawing from a sequence;
//! `column.propagate.source.type`, `datatype.propagate.source.type`), and which types are composite (Debezium
//! leaves those out).

use sqlx::PgExecutor;

use super::columns::{default_text, jdbc_type_name};
use super::pgoutput::{ArrayItem, RelationColumn};

/// A column as the catalog query reads it: name, declared type's name, declared type, type (a
/// domain's base type), type modifier, in the primary key, allows NULL, default expression,
/// enum labels, the type's name, whether it is composite, an array's item type, its name, its
/// enum labels and whether it is composite.
type CatalogRow = (
    String,
    String,
    i64,
    i64,
    i32,
    bool,
    bool,
    Option<String>,
    Option<String>,
    String,
    bool,
    i64,
    Option<String>,
    Option<String>,
    bool,
);

/// A column as the catalog describes it.
#[derive(Debug, Clone)]
pub(super) struct CatalogColumn {
    /// The type the column was declared with (a domain's own OID, as the stream sends it).
    pub declared_type: u32,
    /// The column, of its domain's base type when it has a domain.
    pub column: RelationColumn,
}

/// The live columns of `table` (a qualified, quoted name), in order.
pub(super) async fn table_columns<'e>(
    executor: impl PgExecutor<'e>,
    table: &str,
) -> Result<Vec<CatalogColumn>, sqlx::Error> {
    let columns: Vec<CatalogRow> = sqlx::query_as(
        "SELECT a.attname::text, t.typname::text, a.atttypid::int8, b.oid::int8, \
         CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END, \
         COALESCE(a.attnum = ANY(i.indkey), false), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
         (SELECT string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) FROM pg_enum e \
          WHERE e.enumtypid = b.oid), b.typname::text, b.typtype = 'c', b.typelem::int8, \
         (SELECT i.typname::text FROM pg_type i WHERE i.oid = b.typelem AND b.typcategory = 'A'), \
         (SELECT string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) FROM pg_enum e \
          WHERE e.enumtypid = b.typelem), \
         COALESCE((SELECT i.typtype = 'c' FROM pg_type i WHERE i.oid = b.typelem AND b.typcategory = 'A'), false) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         JOIN pg_type b ON b.oid = CASE WHEN t.typbasetype <> 0 THEN t.typbasetype ELSE t.oid END \
         LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(executor)
    .await?;
    Ok(columns
        .into_iter()
        .map(
            |(
                name,
                declared_name,
                declared,
                oid,
                modifier,
                key,
                optional,
                default,
                enum_labels,
                type_name,
                composite,
                item_oid,
                item_name,
                item_enum_labels,
                item_composite,
            )| {
                // A domain is named by its own name; only an enum's own name has Debezium read
                // its default.
                let declared_name = jdbc_type_name(declared_name, default.as_deref());
                let is_enum = declared == oid && enum_labels.is_some();
                let default = default
                    .as_deref()
                    .and_then(|expression| default_text(&declared_name, is_enum, modifier, expression));
                CatalogColumn {
                    declared_type: declared as u32,
                    column: RelationColumn {
                        key,
                        optional,
                        default,
                        enum_labels,
                        name,
                        type_oid: oid as u32,
                        type_modifier: modifier,
                        type_name: Some(type_name),
                        item: item_name.map(|type_name| ArrayItem {
                            type_oid: item_oid as u32,
                            type_name,
                            enum_labels: item_enum_labels,
                            composite: item_composite,
                        }),
                        composite,
                        declared_type_name: Some(declared_name),
                        domain: declared != oid,
                        ..RelationColumn::default()
                    },
                }
            },
        )
        .collect())
}

/// `columns` as the stream described them, with the primary key, NULL-ability, default and
/// enum labels of the catalog's `described` columns of the same name (a column the catalog no
/// longer has keeps what the stream said, and allows NULL), and, while the catalog's column
/// has the type the stream sent, that type as the catalog resolved and named it.
pub(super) fn with_catalog(columns: &mut [RelationColumn], described: &[CatalogColumn]) {
    for column in columns {
        match described.iter().find(|d| d.column.name == column.name) {
            Some(CatalogColumn {
                declared_type,
                column: d,
            }) => {
                column.key = d.key;
                column.optional = d.optional;
                column.default.clone_from(&d.default);
                column.enum_labels.clone_from(&d.enum_labels);
                if *declared_type == column.type_oid {
                    column.type_oid = d.type_oid;
                    column.type_modifier = d.type_modifier;
                    column.type_name.clone_from(&d.type_name);
                    column.item.clone_from(&d.item);
                    column.composite = d.composite;
                    column.declared_type_name.clone_from(&d.declared_type_name);
                    column.domain = d.domain;
                }
            }
            None => column.optional = true,
        }
    }
}
