//! `unavailable.value.placeholder`: what Debezium writes for a value the replication stream did
//! not send (a TOASTed column an update left alone), in the forms Debezium 3.7 derives from it
//! (its `UnchangedToastedPlaceholder`): the setting's bytes (after `hex:`, the bytes those hex
//! digits spell; else the text's UTF-8), the bytes read back as text, and the UUID Java names
//! after them. [`super::columns::unavailable`] shapes them by column type.

use md5::{Digest, Md5};

/// Debezium's default placeholder.
pub(super) const DEFAULT_PLACEHOLDER: &str = "__debezium_unavailable_value";

/// A placeholder's forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placeholder {
    /// The bytes: what a BYTEA holds, and, one number per byte (signed, as Java's bytes are),
    /// what an INT or BIGINT array holds.
    pub bytes: Vec<u8>,
    /// The bytes as text (Java's `new String(bytes)`: each malformed UTF-8 sequence a U+FFFD).
    pub text: String,
    /// Java's `UUID.nameUUIDFromBytes` of the bytes: a UUID array's item.
    pub uuid: String,
}

impl Placeholder {
    /// The placeholder a setting gives: `hex:` then an even number of hex digits for bytes,
    /// any other text for its UTF-8 bytes.
    pub(super) fn parse(setting: &str) -> Result<Self, String> {
        let bytes = match setting.strip_prefix("hex:") {
            Some(digits) => hex_bytes(digits)?,
            None => setting.as_bytes().to_vec(),
        };
        Ok(Placeholder::of(bytes))
    }

    /// The placeholder made of `bytes`.
    fn of(bytes: Vec<u8>) -> Self {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let digest: [u8; 16] = Md5::digest(&bytes).into();
        let uuid = uuid::Builder::from_md5_bytes(digest).into_uuid().to_string();
        Placeholder { bytes, text, uuid }
    }

    /// The bytes as Java's signed bytes.
    pub(super) fn signed_bytes(&self) -> impl Iterator<Item = i8> + '_ {
        self.bytes.iter().map(|&byte| byte as i8)
    }
}

impl Default for Placeholder {
    fn default() -> Self {
        Placeholder::of(DEFAULT_PLACEHOLDER.as_bytes().to_vec())
    }
}

/// The bytes an even number of hex digits spell.
fn hex_bytes(digits: &str) -> Result<Vec<u8>, String> {
    hex::decode(digits).map_err(|error| match error {
        hex::FromHexError::InvalidHexCharacter { .. } => {
            format!("hex:{digits} has a character that is not a hex digit")
        }
        _ => format!("hex:{digits} must be an even number of hex digits after hex:"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_debeziums_with_the_uuid_java_names_after_it() {
        let placeholder = Placeholder::default();
        assert_eq!(placeholder.text, DEFAULT_PLACEHOLDER);
        assert_eq!(placeholder.bytes, DEFAULT_PLACEHOLDER.as_bytes());
        // What Debezium 3.7 writes for a UUID array it was not sent.
        assert_eq!(placeholder.uuid, "b68a35a7-17ad-35b3-af2a-ae46edb4545a");
        assert_eq!(Placeholder::parse(DEFAULT_PLACEHOLDER), Ok(placeholder));
    }

    #[test]
    fn hex_gives_bytes_read_back_as_text_and_signed_numbers() {
        let placeholder = Placeholder::parse("hex:E282ac2dff").expect("hex digits");
        assert_eq!(placeholder.bytes, [0xe2, 0x82, 0xac, 0x2d, 0xff]);
        assert_eq!(placeholder.text, "€-\u{fffd}", "a malformed byte read as U+FFFD");
        assert_eq!(placeholder.signed_bytes().collect::<Vec<_>>(), [-30, -126, -84, 45, -1]);
        assert_eq!(Placeholder::parse("hex:").map(|p| p.bytes), Ok(Vec::new()));
        assert_eq!(Placeholder::parse("n/a").map(|p| p.bytes), Ok(b"n/a".to_vec()));
    }

    #[test]
    fn bad_hex_is_refused_with_the_reason() {
        let odd = Placeholder::parse("hex:abc").expect_err("odd");
        assert!(odd.contains("even number of hex digits"), "{odd}");
        let letter = Placeholder::parse("hex:zz").expect_err("not hex");
        assert!(letter.contains("not a hex digit"), "{letter}");
        assert!(Placeholder::parse("hex:é0").is_err());
    }
}
