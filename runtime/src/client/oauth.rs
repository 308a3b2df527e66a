//! OAUTHBEARER tokens for the worker's own group connection. librdkafka fetches its tokens
//! itself (`sasl.oauthbearer.method=oidc`); the group membership speaks the Kafka protocol
//! directly, so it asks the token endpoint as the Java client's `OAuthBearerLoginCallbackHandler`
//! does: an OAuth 2 client-credentials grant, the client id and secret in a Basic
//! `Authorization` header, the scope in the form body. Without an endpoint, an unsecured JWT
//! for the principal is made, as librdkafka's `enable.sasl.oauthbearer.unsecure.jwt` does (for
//! test clusters whose brokers accept them).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// How long the token endpoint has to answer (the Java client's
/// `sasl.login.read.timeout.ms` plus its connect timeout are of this order).
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Lifetime of an unsecured token (librdkafka's default `lifeSeconds`).
const UNSECURED_LIFETIME_SECS: u64 = 3600;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The endpoint could not be reached or answered too late.
    #[error("cannot reach the OAuth token endpoint {endpoint}: {source}")]
    Unreachable {
        /// The token endpoint.
        endpoint: String,
        /// What the HTTP client said.
        #[source]
        source: reqwest::Error,
    },
    /// The endpoint answered with an error status (wrong client id or secret, unknown scope).
    #[error("the OAuth token endpoint {endpoint} refused the client credentials: HTTP {status}: {body}")]
    Refused {
        /// The token endpoint.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// The answer has no `access_token`.
    #[error("the OAuth token endpoint {endpoint} answered without an access_token")]
    NoToken {
        /// The token endpoint.
        endpoint: String,
    },
}

/// A bearer token for `client_id`: from `token_endpoint` with the client credentials, or an
/// unsecured one naming `client_id` as the principal when there is no endpoint.
pub(crate) async fn bearer_token(
    token_endpoint: Option<&str>,
    client_id: &str,
    client_secret: &str,
    scope: Option<&str>,
) -> Result<String, TokenError> {
    match token_endpoint {
        Some(endpoint) => client_credentials_token(endpoint, client_id, client_secret, scope).await,
        None => Ok(unsecured_token(client_id)),
    }
}

async fn client_credentials_token(
    endpoint: &str,
    client_id: &str,
    client_secret: &str,
    scope: Option<&str>,
) -> Result<String, TokenError> {
    let unreachable = |source| TokenError::Unreachable {
        endpoint: endpoint.to_string(),
        source,
    };
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let client = reqwest::Client::builder()
        .timeout(TOKEN_REQUEST_TIMEOUT)
        .build()
        .map_err(unreachable)?;
    let response = client
        .post(endpoint)
        .basic_auth(form_encode(client_id), Some(form_encode(client_secret)))
        .form(&form)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let body = response.text().await.map_err(unreachable)?;
    if !status.is_success() {
        return Err(TokenError::Refused {
            endpoint: endpoint.to_string(),
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        });
    }
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer.get("access_token")?.as_str().map(str::to_string))
        .ok_or_else(|| TokenError::NoToken {
            endpoint: endpoint.to_string(),
        })
}

/// URL-encodes a client id or secret as the Java client does before putting it in the Basic
/// header (RFC 6749 §2.3.1).
fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An unsigned JWT (`alg: none`) whose subject is `principal`.
fn unsecured_token(principal: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let header = serde_json::json!({ "alg": "none" });
    let claims = serde_json::json!({
        "sub": principal,
        "iat": now,
        "exp": now + UNSECURED_LIFETIME_SECS,
    });
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsecured_tokens_name_their_principal() {
        let token = unsecured_token("connect");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "connect");
        assert!(claims["exp"].as_u64() > claims["iat"].as_u64());
    }

    #[test]
    fn credentials_are_form_encoded_for_the_basic_header() {
        assert_eq!(form_encode("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }
}
