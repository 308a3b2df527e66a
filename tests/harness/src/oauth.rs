//! A small OAuth 2 authorization server for tests of `OAUTHBEARER`: a client-credentials
//! token endpoint that signs JWTs with its own RSA key (RS256), and the JWKS endpoint brokers
//! fetch that key from (Kafka's `OAuthBearerValidatorCallbackHandler` with
//! `sasl.oauthbearer.jwks.endpoint.url`). It plays the part Keycloak or Hydra plays beside a
//! Strimzi cluster, on a free loopback port, for the life of the test binary.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;

use crate::HarnessError;

/// The key id in the tokens' header and in the JWKS.
const KEY_ID: &str = "tributary-test-key";
/// How long a token is valid.
const TOKEN_LIFETIME_SECS: u64 = 3600;

/// The one client the server knows.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// Its id (and the tokens' `sub`).
    pub id: String,
    /// Its secret.
    pub secret: String,
}

struct Issuer {
    key: PKey<Private>,
    client: OAuthClient,
}

/// A running token and JWKS endpoint; it serves until the process ends.
#[derive(Debug, Clone)]
pub struct OAuthServer {
    address: SocketAddr,
}

impl OAuthServer {
    /// Makes a key and serves on a free loopback port, on a thread of its own.
    pub fn start(client: OAuthClient) -> Result<Self, HarnessError> {
        let rsa = Rsa::generate(2048).map_err(|e| HarnessError::Usage(format!("generating an RSA key: {e}")))?;
        let key = PKey::from_rsa(rsa).map_err(|e| HarnessError::Usage(format!("wrapping the RSA key: {e}")))?;
        let issuer = Arc::new(Issuer { key, client });
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(HarnessError::io("binding the OAuth server"))?;
        listener
            .set_nonblocking(true)
            .map_err(HarnessError::io("configuring the OAuth server's socket"))?;
        let address = listener
            .local_addr()
            .map_err(HarnessError::io("reading the OAuth server's address"))?;
        let app = Router::new()
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(issuer);
        std::thread::Builder::new()
            .name("oauth-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(error) => return tracing::error!("the OAuth server cannot start: {error}"),
                };
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            if let Err(error) = axum::serve(listener, app).await {
                                tracing::error!("the OAuth server stopped: {error}");
                            }
                        }
                        Err(error) => tracing::error!("the OAuth server cannot listen: {error}"),
                    }
                });
            })
            .map_err(HarnessError::io("starting the OAuth server's thread"))?;
        Ok(OAuthServer { address })
    }

    /// The client-credentials token endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("http://{}/token", self.address)
    }

    /// The JWKS endpoint.
    pub fn jwks_endpoint(&self) -> String {
        format!("http://{}/jwks", self.address)
    }
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    grant_type: String,
    scope: Option<String>,
}

/// Grants a token for the known client's credentials, given in a Basic header (each part
/// form-encoded, as RFC 6749 §2.3.1 asks) or in the form.
async fn token(State(issuer): State<Arc<Issuer>>, headers: HeaderMap, Form(request): Form<TokenRequest>) -> Response {
    if request.grant_type != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let known = credentials
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .is_some_and(|(id, secret)| form_decode(id) == issuer.client.id && form_decode(secret) == issuer.client.secret);
    if !known {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    match issuer.sign(request.scope.as_deref()) {
        Ok(jwt) => Json(serde_json::json!({
            "access_token": jwt,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
        }))
        .into_response(),
        Err(error) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// A client id or secret as it was before being form-encoded for the Basic header.
fn form_decode(value: &str) -> String {
    percent_encoding::percent_decode_str(&value.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

/// The public key as a JWKS.
async fn jwks(State(issuer): State<Arc<Issuer>>) -> Response {
    match issuer.key.rsa() {
        Ok(rsa) => Json(serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "kid": KEY_ID,
                "alg": "RS256",
                "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
                "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
            }]
        }))
        .into_response(),
        Err(error) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

impl Issuer {
    /// A signed JWT for the client.
    fn sign(&self, scope: Option<&str>) -> Result<String, openssl::error::ErrorStack> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": KEY_ID });
        let claims = serde_json::json!({
            "sub": self.client.id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "scope": scope.unwrap_or_default(),
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(signed.as_bytes())?;
        let signature = signer.sign_to_vec()?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}
