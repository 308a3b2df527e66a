//! Debezium's `schema.name.adjustment.mode` and `field.name.adjustment.mode`: schema names
//! (`<topic>.Key`, `.Value`, `.Envelope`) and field names (columns) made valid Avro names, for
//! converters that need them. `avro` writes `_` for each character Avro does not take (and
//! before a leading digit); `avro_unicode` writes `_u` and the character's code in hex (as
//! Java's `Integer.toHexString` writes it, `00` put before one or two digits), underscores
//! included.

/// How names are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum NameAdjustment {
    /// Names as they are (Debezium's default).
    #[default]
    None,
    /// Characters Avro does not take written `_`.
    Avro,
    /// Characters Avro does not take, and underscores, written `_u<hex>`.
    AvroUnicode,
}

impl NameAdjustment {
    /// The mode a key's value names (`none`, `avro`, `avro_unicode`, in any case).
    pub(super) fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Some(NameAdjustment::None),
            "avro" => Some(NameAdjustment::Avro),
            "avro_unicode" => Some(NameAdjustment::AvroUnicode),
            _ => None,
        }
    }

    /// A schema's name, adjusted (dots are kept: they separate a full name's parts).
    pub(super) fn schema_name(self, name: &str) -> String {
        self.adjust(name, true)
    }

    /// A field's name, adjusted.
    pub(super) fn field_name(self, name: &str) -> String {
        self.adjust(name, false)
    }

    fn adjust(self, name: &str, dots: bool) -> String {
        let unicode = match self {
            NameAdjustment::None => return name.to_string(),
            NameAdjustment::Avro => false,
            NameAdjustment::AvroUnicode => true,
        };
        let valid_first = |c: u16| letter(c) || (!unicode && c == u16::from(b'_'));
        let valid = |c: u16| valid_first(c) || digit(c) || (dots && c == u16::from(b'.'));
        // As Java sees a string: UTF-16 units.
        let units: Vec<u16> = name.encode_utf16().collect();
        let mut adjusted: Vec<u16> = Vec::with_capacity(units.len());
        let replace = |unit: u16, out: &mut Vec<u16>| {
            if unicode {
                let hex = format!("{unit:x}");
                let hex = if hex.len() <= 2 { format!("00{hex}") } else { hex };
                out.extend(format!("_u{hex}").encode_utf16());
            } else {
                out.push(u16::from(b'_'));
            }
        };
        for (i, &unit) in units.iter().enumerate() {
            let ok = if i == 0 { valid_first(unit) } else { valid(unit) };
            if ok {
                adjusted.push(unit);
                continue;
            }
            replace(unit, &mut adjusted);
            // `avro` keeps a leading digit after its `_`, so that names differing only there
            // stay apart.
            if i == 0 && !unicode && digit(unit) {
                adjusted.push(unit);
            }
        }
        String::from_utf16_lossy(&adjusted)
    }
}

/// Whether a UTF-16 unit is an ASCII letter.
fn letter(unit: u16) -> bool {
    u8::try_from(unit).is_ok_and(|b| b.is_ascii_alphabetic())
}

/// Whether a UTF-16 unit is an ASCII digit.
fn digit(unit: u16) -> bool {
    u8::try_from(unit).is_ok_and(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::NameAdjustment::{Avro, AvroUnicode, None};

    /// Debezium's adjusters, on the names its tests and documentation use.
    #[test]
    fn names_are_adjusted_as_debezium_adjusts_them() {
        assert_eq!(None.schema_name("a-b.c d"), "a-b.c d");
        assert_eq!(
            Avro.schema_name("shop-public-order items.Value"),
            "shop_public_order_items.Value"
        );
        assert_eq!(Avro.schema_name("1abc.Key"), "_1abc.Key");
        assert_eq!(Avro.field_name("my.col-1"), "my_col_1");
        assert_eq!(Avro.field_name("9lives"), "_9lives");
        assert_eq!(AvroUnicode.schema_name("a_b-c.Value"), "a_u005fb_u002dc.Value");
        assert_eq!(AvroUnicode.schema_name("_x"), "_u005fx");
        assert_eq!(AvroUnicode.field_name("1a.b\tλ"), "_u0031a_u002eb_u009_u3bb");
    }
}
