//! `column.mask.hash.<algorithm>.with.salt.<salt>` and `column.mask.hash.v2.<algorithm>.with.salt.<salt>`:
//! a text column's values replaced by the hex digest of the salt and the value, as Debezium
//! 3.7's `MaskStrings` hashes them. Version 1 hashes the value as Java serializes a `String`
//! (`ObjectOutputStream`: a stream header, then the text in Java's modified UTF-8 with its
//! length); version 2 hashes its UTF-8 bytes.

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512, Sha512_224, Sha512_256};
use sha3::{Sha3_224, Sha3_256, Sha3_384, Sha3_512};

/// A hash mask: the algorithm, the salt and how the value is turned into bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextHash {
    algorithm: Algorithm,
    salt: Vec<u8>,
    /// `v2`: the value's UTF-8 bytes, not its Java serialization.
    v2: bool,
}

/// The digests Java's `MessageDigest` names that Tributary computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl Algorithm {
    /// The algorithm Java names `name` (in any case, as Java's providers look names up).
    fn from_java_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "MD5" => Algorithm::Md5,
            "SHA-1" | "SHA1" | "SHA" => Algorithm::Sha1,
            "SHA-224" | "SHA224" => Algorithm::Sha224,
            "SHA-256" | "SHA256" => Algorithm::Sha256,
            "SHA-384" | "SHA384" => Algorithm::Sha384,
            "SHA-512" | "SHA512" => Algorithm::Sha512,
            "SHA-512/224" | "SHA512/224" => Algorithm::Sha512_224,
            "SHA-512/256" | "SHA512/256" => Algorithm::Sha512_256,
            "SHA3-224" => Algorithm::Sha3_224,
            "SHA3-256" => Algorithm::Sha3_256,
            "SHA3-384" => Algorithm::Sha3_384,
            "SHA3-512" => Algorithm::Sha3_512,
            _ => return None,
        })
    }

    /// The digest of `parts`, one after the other.
    fn digest(self, parts: [&[u8]; 2]) -> Vec<u8> {
        fn run<D: Digest>(parts: [&[u8]; 2]) -> Vec<u8> {
            let mut digest = D::new();
            for part in parts {
                digest.update(part);
            }
            digest.finalize().to_vec()
        }
        match self {
            Algorithm::Md5 => run::<Md5>(parts),
            Algorithm::Sha1 => run::<Sha1>(parts),
            Algorithm::Sha224 => run::<Sha224>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
            Algorithm::Sha384 => run::<Sha384>(parts),
            Algorithm::Sha512 => run::<Sha512>(parts),
            Algorithm::Sha512_224 => run::<Sha512_224>(parts),
            Algorithm::Sha512_256 => run::<Sha512_256>(parts),
            Algorithm::Sha3_224 => run::<Sha3_224>(parts),
            Algorithm::Sha3_256 => run::<Sha3_256>(parts),
            Algorithm::Sha3_384 => run::<Sha3_384>(parts),
            Algorithm::Sha3_512 => run::<Sha3_512>(parts),
        }
    }
}

impl TextHash {
    /// The hash mask a config key names, or `None` for a key that is not a hash mask's; `Err`
    /// for an algorithm Tributary does not compute.
    pub(super) fn from_key(key: &str) -> Option<Result<Self, String>> {
        let rest = key.strip_prefix("column.mask.hash.")?;
        let (v2, rest) = match rest.strip_prefix("v2.") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (algorithm, salt) = rest.split_once(".with.salt.")?;
        if algorithm.contains('.') || salt.is_empty() {
            return None;
        }
        Some(
            Algorithm::from_java_name(algorithm)
                .map(|algorithm| TextHash {
                    algorithm,
                    salt: salt.as_bytes().to_vec(),
                    v2,
                })
                .ok_or_else(|| {
                    format!(
                        "{key}: hash algorithm {algorithm} is not one of MD5, SHA-1, SHA-224, SHA-256, SHA-384, \
                         SHA-512, SHA-512/224, SHA-512/256, SHA3-224, SHA3-256, SHA3-384 and SHA3-512"
                    )
                }),
        )
    }

    /// Whether the value is hashed as its UTF-8 bytes (`column.mask.hash.v2.*`).
    pub(super) fn is_v2(&self) -> bool {
        self.v2
    }

    /// `text` masked: the digest of the salt then the text's bytes, in lowercase hex.
    pub(super) fn mask(&self, text: &str) -> String {
        let serialized;
        let value = if self.v2 {
            text.as_bytes()
        } else {
            serialized = java_serialized(text);
            &serialized
        };
        hex::encode(self.algorithm.digest([&self.salt, value]))
    }
}

/// `text` as Java's `ObjectOutputStream` writes a `String`: the stream's magic and version,
/// then `TC_STRING` and a two-byte length (`TC_LONGSTRING` and eight bytes past 65,535) and
/// the text in modified UTF-8 (NUL as two bytes, each UTF-16 unit of a character outside the
/// Basic Multilingual Plane as three).
fn java_serialized(text: &str) -> Vec<u8> {
    let mut modified = Vec::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007f => modified.push(unit as u8),
            0x0000 | 0x0080..=0x07ff => {
                modified.push(0xc0 | (unit >> 6) as u8);
                modified.push(0x80 | (unit & 0x3f) as u8);
            }
            _ => {
                modified.push(0xe0 | (unit >> 12) as u8);
                modified.push(0x80 | ((unit >> 6) & 0x3f) as u8);
                modified.push(0x80 | (unit & 0x3f) as u8);
            }
        }
    }
    let mut serialized = vec![0xac, 0xed, 0x00, 0x05];
    match u16::try_from(modified.len()) {
        Ok(length) => {
            serialized.push(0x74);
            serialized.extend_from_slice(&length.to_be_bytes());
        }
        Err(_) => {
            serialized.push(0x7c);
            serialized.extend_from_slice(&(modified.len() as u64).to_be_bytes());
        }
    }
    serialized.extend_from_slice(&modified);
    serialized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_algorithm_the_salt_and_the_version() {
        let v1 = TextHash::from_key("column.mask.hash.SHA-256.with.salt.CzQMA0cB5K")
            .expect("a hash key")
            .expect("a known algorithm");
        assert_eq!(
            (v1.algorithm, v1.salt.as_slice(), v1.v2),
            (Algorithm::Sha256, &b"CzQMA0cB5K"[..], false)
        );
        let v2 = TextHash::from_key("column.mask.hash.v2.md5.with.salt.a.b")
            .expect("a hash key")
            .expect("a known algorithm");
        assert_eq!(
            (v2.algorithm, v2.salt.as_slice(), v2.v2),
            (Algorithm::Md5, &b"a.b"[..], true)
        );
        assert!(TextHash::from_key("column.mask.with.3.chars").is_none());
        let sha3 = TextHash::from_key("column.mask.hash.sha3-256.with.salt.s").expect("a hash key");
        assert!(sha3.is_ok_and(|hash| hash.algorithm == Algorithm::Sha3_256));
        let unknown = TextHash::from_key("column.mask.hash.Whirlpool.with.salt.s").expect("a hash key");
        assert!(unknown.is_err_and(|e| e.contains("Whirlpool")));
    }

    #[test]
    fn java_serializes_a_string_with_its_header_and_modified_utf8() {
        assert_eq!(java_serialized("ab"), [0xac, 0xed, 0, 5, 0x74, 0, 2, b'a', b'b']);
        // NUL in two bytes, é in two, € in three, 😀 as two surrogates of three bytes each.
        assert_eq!(
            java_serialized("\0é€😀")[4..],
            [0x74, 0, 13, 0xc0, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]
        );
        let long = "x".repeat(70_000);
        assert_eq!(java_serialized(&long)[4..13], [0x7c, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }

    #[test]
    fn a_mask_is_the_hex_digest_of_the_salt_and_the_value() {
        let v2 = TextHash::from_key("column.mask.hash.v2.SHA-256.with.salt.salt")
            .expect("a hash key")
            .expect("a known algorithm");
        // sha256("saltvalue")
        assert_eq!(
            v2.mask("value"),
            "d430a1da30afe1a9d07b3b36042151ebaf53c4882af1609733c04930de318e33"
        );
    }
}
