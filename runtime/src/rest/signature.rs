//! Signed internal requests, as Apache Kafka Connect signs them (KIP-507): a worker that sends
//! its connector's task configs to the leader (`POST /connectors/{name}/tasks`) signs the body
//! with an HMAC of the cluster's session key, which the leader keeps in the config topic. The
//! REST API's authentication lets these requests through; the signature is what proves they
//! come from a worker of the cluster.

use axum::http::HeaderMap;
use base64::Engine;
use bytes::Bytes;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

/// The header carrying the signature (base64).
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The header naming the signature's algorithm (`HmacSHA256`).
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

/// The HMAC algorithms, by their Java names.
pub const ALGORITHMS: [&str; 5] = ["HmacSHA1", "HmacSHA224", "HmacSHA256", "HmacSHA384", "HmacSHA512"];

fn digest(algorithm: &str) -> Option<MessageDigest> {
    match algorithm {
        "HmacSHA1" => Some(MessageDigest::sha1()),
        "HmacSHA224" => Some(MessageDigest::sha224()),
        "HmacSHA256" => Some(MessageDigest::sha256()),
        "HmacSHA384" => Some(MessageDigest::sha384()),
        "HmacSHA512" => Some(MessageDigest::sha512()),
        _ => None,
    }
}

/// The HMAC of `body` with `key`, or why it cannot be made.
pub fn hmac(algorithm: &str, key: &[u8], body: &[u8]) -> Result<Vec<u8>, String> {
    let digest = digest(algorithm).ok_or_else(|| format!("unknown signature algorithm {algorithm}"))?;
    let key = PKey::hmac(key).map_err(|e| e.to_string())?;
    let mut signer = Signer::new(digest, &key).map_err(|e| e.to_string())?;
    signer.update(body).map_err(|e| e.to_string())?;
    signer.sign_to_vec().map_err(|e| e.to_string())
}

/// The two headers that sign `body`.
pub fn sign(algorithm: &str, key: &[u8], body: &[u8]) -> Result<[(&'static str, String); 2], String> {
    let signature = hmac(algorithm, key, body)?;
    Ok([
        (
            SIGNATURE_HEADER,
            base64::engine::general_purpose::STANDARD.encode(signature),
        ),
        (ALGORITHM_HEADER, algorithm.to_string()),
    ])
}

/// A request's signature, as received.
#[derive(Debug, Clone)]
pub struct RequestSignature {
    /// The algorithm the sender used.
    pub algorithm: String,
    /// The signature, decoded.
    pub signature: Vec<u8>,
    /// The signed body.
    pub body: Bytes,
}

impl RequestSignature {
    /// The signature in `headers`, if any; a signature that is not base64 counts as none.
    pub fn from_request(headers: &HeaderMap, body: Bytes) -> Option<Self> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signature = base64::engine::general_purpose::STANDARD
            .decode(text(SIGNATURE_HEADER)?)
            .ok()?;
        Some(RequestSignature {
            algorithm: text(ALGORITHM_HEADER)?.to_string(),
            signature,
            body,
        })
    }

    /// Whether the body was signed with `key`.
    pub fn is_valid(&self, key: &[u8]) -> bool {
        hmac(&self.algorithm, key, &self.body).is_ok_and(|expected| {
            expected.len() == self.signature.len() && openssl::memcmp::eq(&expected, &self.signature)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let body = br#"[{"topic":"t"}]"#;
        let [(_, signature), (_, algorithm)] = sign("HmacSHA256", b"k3y", body).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        headers.insert(ALGORITHM_HEADER, algorithm.parse().unwrap());
        let received = RequestSignature::from_request(&headers, Bytes::from_static(body)).unwrap();
        assert!(received.is_valid(b"k3y"));
        assert!(!received.is_valid(b"other"));
        let tampered = RequestSignature {
            body: Bytes::from_static(b"[]"),
            ..received
        };
        assert!(!tampered.is_valid(b"k3y"));
        assert!(RequestSignature::from_request(&HeaderMap::new(), Bytes::new()).is_none());
        assert!(hmac("HmacMD5", b"k", b"").is_err());
    }
}
