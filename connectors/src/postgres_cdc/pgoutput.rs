//! PostgreSQL's `pgoutput` logical replication messages (protocol version 1) inside the
//! replication stream: table descriptions and row changes with their columns in text form.
//! (The stream's client already turns transaction boundaries into events of their own.)

use std::sync::Arc;

use tributary_runtime::data::Value;

use super::hash_mask::TextHash;

/// A column of a relation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct RelationColumn {
    /// Part of the key: the stream flags the replica identity's columns;
    /// [`super::catalog`] makes it the primary key's.
    pub key: bool,
    /// Allows NULL (the stream does not say; [`super::catalog`] tells).
    pub optional: bool,
    /// The column's constant default in its type's text form, when it has one (the stream
    /// does not say; [`super::catalog`] tells).
    pub default: Option<String>,
    /// An enum type's labels in order, comma-separated (the stream does not say;
    /// [`super::catalog`] tells).
    pub enum_labels: Option<String>,
    /// The column's name.
    pub name: String,
    /// The type's OID.
    pub type_oid: u32,
    /// The type modifier (-1 for none).
    pub type_modifier: i32,
    /// The type's name, for the types of extensions, whose OIDs differ from one database to
    /// the next (the stream does not say; [`super::catalog`] tells).
    pub type_name: Option<String>,
    /// An array's item type (the stream does not say; [`super::catalog`] tells).
    pub item: Option<ArrayItem>,
    /// Of a composite type (the stream does not say; [`super::catalog`] tells).
    pub composite: bool,
    /// Left out of the events (`column.include.list`, `column.exclude.list`).
    pub excluded: bool,
    /// What `column.mask.with.<n>.chars`, `column.truncate.to.<n>.chars` or
    /// `column.mask.hash.*` does to its text.
    pub rewrite: Option<TextRewrite>,
    /// The name of the type the column was declared with (a domain's own; the stream does not
    /// say, [`super::catalog`] tells).
    pub declared_type_name: Option<String>,
    /// Whether its schema carries its type, as `column.propagate.source.type` asks.
    pub propagate_source_type: bool,
    /// Declared with a domain (the stream does not say; [`super::catalog`] tells).
    pub domain: bool,
}

/// A text column's values rewritten as Debezium's column mappers rewrite them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextRewrite {
    /// Replaced by this many `*` (`column.mask.with.<n>.chars`).
    Mask(usize),
    /// Cut to this many characters, counted as Java counts them: UTF-16 units
    /// (`column.truncate.to.<n>.chars`).
    Truncate(usize),
    /// Replaced by a hex digest (`column.mask.hash.*`), cut to the column's declared length
    /// when it has one.
    Hash(Arc<TextHash>, Option<usize>),
}

/// The types whose values Debezium's masks rewrite (its `MaskStrings` rewrites the JDBC types
/// CHAR and VARCHAR, which the driver gives TEXT, VARCHAR, CHAR, "char" and NAME); a mask
/// only marks the schema of a column of another type.
const MASKED_TYPES: [u32; 5] = [25, 1043, 1042, 18, 19];

impl TextRewrite {
    /// The parameter Debezium marks the column's schema with.
    pub(super) fn parameter(&self) -> (&'static str, String) {
        match self {
            TextRewrite::Mask(_) | TextRewrite::Hash(..) => ("masked", "true".into()),
            TextRewrite::Truncate(length) => ("truncateLength", length.to_string()),
        }
    }

    /// `value` of a column of type `type_oid` rewritten: text masked (a null too, as Debezium
    /// masks it), hashed or cut, bytes cut.
    pub(super) fn apply(&self, type_oid: u32, value: Value) -> Value {
        let masked = MASKED_TYPES.contains(&type_oid);
        match (self, value) {
            (TextRewrite::Mask(length), Value::String(_) | Value::Null) if masked => Value::String("*".repeat(*length)),
            (TextRewrite::Hash(hash, cut), Value::String(text)) if masked => {
                let mut digest = hash.mask(&text);
                digest.truncate(cut.unwrap_or(usize::MAX));
                Value::String(digest)
            }
            (TextRewrite::Truncate(length), Value::String(text)) if text.encode_utf16().count() > *length => {
                Value::String(java_prefix(&text, *length))
            }
            // Debezium cuts bytes too (BYTEA with `binary.handling.mode=bytes`).
            (TextRewrite::Truncate(length), Value::Bytes(bytes)) if bytes.len() > *length => {
                Value::Bytes(bytes.slice(..*length))
            }
            (_, value) => value,
        }
    }
}

/// The first `units` UTF-16 code units of `text`, as Java's `String.substring` cuts it (a
/// character outside the Basic Multilingual Plane is two units). A character cut in half
/// leaves its first surrogate alone, which Java's UTF-8 encoders write as `?`.
fn java_prefix(text: &str, units: usize) -> String {
    let mut prefix = String::new();
    let mut taken = 0;
    for c in text.chars() {
        let width = c.len_utf16();
        if taken + width > units {
            if taken < units {
                prefix.push('?');
            }
            break;
        }
        prefix.push(c);
        taken += width;
    }
    prefix
}

/// The item type of an array column, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ArrayItem {
    /// The item type's OID.
    pub type_oid: u32,
    /// Its name.
    pub type_name: String,
    /// An enum item type's labels in order, comma-separated.
    pub enum_labels: Option<String>,
    /// A composite item type (Debezium leaves such arrays out, or with
    /// `include.unknown.datatypes` writes them as null arrays of text).
    pub composite: bool,
}

/// A table as the stream describes it before its first change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Relation {
    /// The table's OID.
    pub id: u32,
    /// Its schema.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<RelationColumn>,
}

/// One column value of a changed row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Datum {
    /// NULL.
    Null,
    /// A TOASTed value that did not change (not sent).
    Unchanged,
    /// The value in PostgreSQL's text form.
    Text(String),
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Message {
    /// A table's description.
    Relation(Relation),
    /// A row inserted.
    Insert {
        /// The table.
        relation: u32,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row updated.
    Update {
        /// The table.
        relation: u32,
        /// The old key (or whole row with REPLICA IDENTITY FULL), when sent.
        old: Option<Vec<Datum>>,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row deleted.
    Delete {
        /// The table.
        relation: u32,
        /// The old key (or whole row).
        old: Vec<Datum>,
    },
    /// Anything else (types, origins, truncates): not turned into records.
    Other(u8),
}

/// Why a message could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("bad pgoutput message: {0}")]
pub(super) struct DecodeError(String);

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError(format!("{n} bytes wanted, {} left", self.bytes.len())));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into().unwrap_or_default()))
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let end = self
            .bytes
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| DecodeError("unterminated string".into()))?;
        let text = String::from_utf8_lossy(&self.bytes[..end]).into_owned();
        self.bytes = &self.bytes[end + 1..];
        Ok(text)
    }

    fn tuple(&mut self) -> Result<Vec<Datum>, DecodeError> {
        let count = self.i16()?;
        (0..count)
            .map(|_| match self.u8()? {
                b'n' => Ok(Datum::Null),
                b'u' => Ok(Datum::Unchanged),
                b't' => {
                    let length = self.i32()?;
                    let bytes =
                        self.take(usize::try_from(length).map_err(|_| DecodeError("negative length".into()))?)?;
                    Ok(Datum::Text(String::from_utf8_lossy(bytes).into_owned()))
                }
                other => Err(DecodeError(format!("unknown tuple column kind {other}"))),
            })
            .collect()
    }
}

/// Decodes one message.
pub(super) fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    let mut reader = Reader { bytes };
    let kind = reader.u8()?;
    Ok(match kind {
        b'R' => {
            let id = reader.i32()? as u32;
            let namespace = reader.string()?;
            let name = reader.string()?;
            let _replica_identity = reader.u8()?;
            let count = reader.i16()?;
            let columns = (0..count)
                .map(|_| {
                    Ok(RelationColumn {
                        key: reader.u8()? & 1 == 1,
                        optional: true,
                        default: None,
                        enum_labels: None,
                        name: reader.string()?,
                        type_oid: reader.i32()? as u32,
                        type_modifier: reader.i32()?,
                        ..RelationColumn::default()
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            Message::Relation(Relation {
                id,
                namespace,
                name,
                columns,
            })
        }
        b'I' => {
            let relation = reader.i32()? as u32;
            match reader.u8()? {
                b'N' => Message::Insert {
                    relation,
                    new: reader.tuple()?,
                },
                other => return Err(DecodeError(format!("insert without a new tuple ({other})"))),
            }
        }
        b'U' => {
            let relation = reader.i32()? as u32;
            let mut old = None;
            let mut marker = reader.u8()?;
            if marker == b'K' || marker == b'O' {
                old = Some(reader.tuple()?);
                marker = reader.u8()?;
            }
            if marker != b'N' {
                return Err(DecodeError(format!("update without a new tuple ({marker})")));
            }
            Message::Update {
                relation,
                old,
                new: reader.tuple()?,
            }
        }
        b'D' => {
            let relation = reader.i32()? as u32;
            match reader.u8()? {
                b'K' | b'O' => Message::Delete {
                    relation,
                    old: reader.tuple()?,
                },
                other => return Err(DecodeError(format!("delete without an old tuple ({other})"))),
            }
        }
        other => Message::Other(other),
    })
}

/// Parses PostgreSQL's LSN text form.
pub(super) fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(values: &[Option<&str>]) -> Vec<u8> {
        let mut bytes = (values.len() as i16).to_be_bytes().to_vec();
        for value in values {
            match value {
                None => bytes.push(b'n'),
                Some(text) => {
                    bytes.push(b't');
                    bytes.extend((text.len() as i32).to_be_bytes());
                    bytes.extend(text.as_bytes());
                }
            }
        }
        bytes
    }

    #[test]
    fn relations_and_changes_decode() {
        let mut relation = vec![b'R'];
        relation.extend(16_384i32.to_be_bytes());
        relation.extend(b"public\0orders\0");
        relation.push(b'd');
        relation.extend(2i16.to_be_bytes());
        relation.push(1);
        relation.extend(b"id\0");
        relation.extend(23i32.to_be_bytes());
        relation.extend((-1i32).to_be_bytes());
        relation.push(0);
        relation.extend(b"note\0");
        relation.extend(25i32.to_be_bytes());
        relation.extend((-1i32).to_be_bytes());
        let Message::Relation(decoded) = decode(&relation).unwrap() else {
            panic!("not a relation")
        };
        assert_eq!(
            (decoded.namespace.as_str(), decoded.name.as_str()),
            ("public", "orders")
        );
        assert!(decoded.columns[0].key && !decoded.columns[1].key);
        assert_eq!(decoded.columns[1].type_oid, 25);

        let mut update = vec![b'U'];
        update.extend(16_384i32.to_be_bytes());
        update.push(b'K');
        update.extend(tuple(&[Some("7"), None]));
        update.push(b'N');
        update.extend(tuple(&[Some("8"), Some("hé")]));
        assert_eq!(
            decode(&update).unwrap(),
            Message::Update {
                relation: 16_384,
                old: Some(vec![Datum::Text("7".into()), Datum::Null]),
                new: vec![Datum::Text("8".into()), Datum::Text("hé".into())],
            }
        );
    }

    #[test]
    fn truncated_messages_are_errors() {
        assert!(decode(&[b'I', 0, 0]).is_err());
    }

    #[test]
    fn lsns_parse_as_postgres_writes_them() {
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(parse_lsn("0/0"), Some(0));
    }
}
