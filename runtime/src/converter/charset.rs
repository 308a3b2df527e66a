//! The character sets `StringConverter`'s `converter.encoding` names: the six every Java
//! platform has (`UTF-8`, `US-ASCII`, `ISO-8859-1`, `UTF-16`, `UTF-16BE`, `UTF-16LE`), found
//! by their Java names and aliases in any case, and text encoded and decoded as Java's
//! `String.getBytes` and `new String(bytes, charset)` do: a character the set cannot hold
//! written as `?` (U+FFFD in UTF-16), bytes that are not text read as U+FFFD, `UTF-16` written
//! big-endian after a byte-order mark and read by the mark it starts with.

use crate::data::java_utf8_text;

/// A character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Charset {
    /// `UTF-8`, the default.
    #[default]
    Utf8,
    /// `US-ASCII`: seven bits.
    Ascii,
    /// `ISO-8859-1`: one byte per character, the first 256 code points.
    Latin1,
    /// `UTF-16`: big-endian with a byte-order mark when written; by its mark when read.
    Utf16,
    /// `UTF-16BE`.
    Utf16Be,
    /// `UTF-16LE`.
    Utf16Le,
}

/// Each set's Java name, then its Java aliases.
const NAMES: &[(Charset, &[&str])] = &[
    (Charset::Utf8, &["UTF-8", "UTF8", "unicode-1-1-utf-8"]),
    (
        Charset::Ascii,
        &[
            "US-ASCII",
            "ASCII",
            "ANSI_X3.4-1968",
            "ANSI_X3.4-1986",
            "cp367",
            "csASCII",
            "iso-ir-6",
            "iso_646.irv:1983",
            "ISO_646.irv:1991",
            "ISO646-US",
            "IBM367",
            "ascii7",
            "646",
            "us",
            "default",
        ],
    ),
    (
        Charset::Latin1,
        &[
            "ISO-8859-1",
            "ISO8859-1",
            "ISO8859_1",
            "ISO_8859-1",
            "ISO_8859_1",
            "ISO_8859-1:1987",
            "8859_1",
            "819",
            "cp819",
            "IBM819",
            "IBM-819",
            "csISOLatin1",
            "iso-ir-100",
            "latin1",
            "l1",
        ],
    ),
    (Charset::Utf16, &["UTF-16", "UTF_16", "utf16", "unicode", "UnicodeBig"]),
    (
        Charset::Utf16Be,
        &[
            "UTF-16BE",
            "UTF_16BE",
            "X-UTF-16BE",
            "ISO-10646-UCS-2",
            "UnicodeBigUnmarked",
        ],
    ),
    (
        Charset::Utf16Le,
        &["UTF-16LE", "UTF_16LE", "X-UTF-16LE", "UnicodeLittleUnmarked"],
    ),
];

impl Charset {
    /// The set Java knows as `name` (or by one of its aliases), in any case, around spaces.
    pub(super) fn for_name(name: &str) -> Result<Self, String> {
        let name = name.trim();
        NAMES
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(charset, _)| *charset)
            .ok_or_else(|| {
                format!(
                    "Unsupported character set {name}: converter.encoding takes UTF-8, US-ASCII, ISO-8859-1, UTF-16, UTF-16BE or UTF-16LE"
                )
            })
    }

    /// `text` in this set.
    pub(super) fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => text.as_bytes().to_vec(),
            Charset::Ascii => text
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Charset::Latin1 => text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect(),
            Charset::Utf16 if text.is_empty() => Vec::new(),
            Charset::Utf16 => [0xFE, 0xFF]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
            Charset::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Charset::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }

    /// `bytes` read as text in this set.
    pub(super) fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Utf8 => java_utf8_text(bytes),
            Charset::Ascii => bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii() {
                        b as char
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                })
                .collect(),
            Charset::Latin1 => bytes.iter().map(|&b| b as char).collect(),
            Charset::Utf16 => match bytes {
                [0xFF, 0xFE, rest @ ..] => utf16_text(rest, u16::from_le_bytes),
                [0xFE, 0xFF, rest @ ..] => utf16_text(rest, u16::from_be_bytes),
                _ => utf16_text(bytes, u16::from_be_bytes),
            },
            Charset::Utf16Be => utf16_text(bytes, u16::from_be_bytes),
            Charset::Utf16Le => utf16_text(bytes, u16::from_le_bytes),
        }
    }
}

/// `bytes` as UTF-16 units read by `unit`; an unpaired surrogate or an odd last byte as U+FFFD.
fn utf16_text(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let mut text: String = char::decode_utf16(pairs.map(|pair| unit([pair[0], pair[1]])))
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if odd {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Java 17's `String.getBytes` and `new String(bytes, charset)` give for the same.
    #[test]
    fn text_is_encoded_and_decoded_as_java_does() {
        assert_eq!(Charset::for_name(" latin1 "), Ok(Charset::Latin1));
        assert_eq!(Charset::for_name("utf8"), Ok(Charset::Utf8));
        assert_eq!(Charset::for_name("unicodebig"), Ok(Charset::Utf16));
        assert!(Charset::for_name("nope")
            .unwrap_err()
            .starts_with("Unsupported character set nope"));

        assert_eq!(Charset::Utf16.encode(""), Vec::<u8>::new());
        assert_eq!(Charset::Utf16.encode("aé€"), [0xFE, 0xFF, 0, 97, 0, 0xE9, 0x20, 0xAC]);
        assert_eq!(Charset::Ascii.encode("aé€"), b"a??");
        assert_eq!(Charset::Latin1.encode("aé€😀"), [97, 0xE9, b'?', b'?']);
        assert_eq!(Charset::Utf16Le.encode("a€"), [97, 0, 0xAC, 0x20]);

        assert_eq!(Charset::Utf16.decode(&[0xFF, 0xFE, 0x61, 0]), "a");
        assert_eq!(Charset::Utf16.decode(&[0xFE, 0xFF, 0, 0x61, 0]), "a\u{fffd}");
        assert_eq!(Charset::Utf16Be.decode(&[0xFE, 0xFF, 0, 0x61]), "\u{feff}a");
        assert_eq!(Charset::Ascii.decode(&[0x61, 0x80]), "a\u{fffd}");
        assert_eq!(Charset::Latin1.decode(&[0x61, 0xE9]), "aé");
    }
}
