//! A connection to one broker speaking the Kafka protocol, for the group requests librdkafka
//! does not expose (JoinGroup and friends with the `connect` protocol type). Messages are
//! encoded by the `kafka-protocol` crate; this module frames them, negotiates versions with
//! ApiVersions, matches correlation ids and, on `SASL_*` listeners, authenticates with
//! SaslHandshake and SaslAuthenticate (the mechanisms themselves are the `rsasl` crate's;
//! OAUTHBEARER tokens come from [`oauth`]).

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes};
use rsasl::callback::{Context, Request as SaslRequest, SessionCallback, SessionData};
use rsasl::prelude::{Mechname, SASLClient, SASLConfig, SessionError, State};
use rsasl::property::OAuthBearerToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::{self, BrokerStream};
use crate::client::{oauth, KafkaSecurity, SaslSettings};

/// A protocol-level failure talking to a broker.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectionError {
    /// Connecting, reading or writing failed.
    #[error("broker {broker}: {source}")]
    Io {
        /// The broker.
        broker: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A request did not complete in time.
    #[error("broker {0}: request timed out")]
    Timeout(String),
    /// The broker refused the client's credentials.
    #[error("broker {broker}: SASL authentication failed: {message}")]
    Authentication {
        /// The broker.
        broker: String,
        /// What the broker or the mechanism said.
        message: String,
    },
    /// A message could not be encoded or decoded.
    #[error("broker {broker}: {message}")]
    Protocol {
        /// The broker.
        broker: String,
        /// What went wrong.
        message: String,
    },
}

/// Hands an OAUTHBEARER token to the `rsasl` mechanism.
struct BearerToken(String);

impl SessionCallback for BearerToken {
    fn callback(
        &self,
        _session: &SessionData,
        _context: &Context,
        request: &mut SaslRequest<'_>,
    ) -> Result<(), SessionError> {
        request.satisfy::<OAuthBearerToken>(self.0.as_str())?;
        Ok(())
    }
}

/// One connection to one broker.
pub(super) struct Connection {
    broker: String,
    stream: Box<dyn BrokerStream>,
    correlation: i32,
    client_id: StrBytes,
    versions: HashMap<i16, (i16, i16)>,
    timeout: Duration,
}

impl Connection {
    /// Connects to `broker` (`host:port`) as `security` says (TLS, SASL), and learns the API
    /// versions it supports.
    pub(super) async fn open(
        broker: &str,
        client_id: &str,
        timeout: Duration,
        security: &KafkaSecurity,
    ) -> Result<Self, ConnectionError> {
        let io = |source| ConnectionError::Io {
            broker: broker.to_string(),
            source,
        };
        let stream = tokio::time::timeout(timeout, transport::connect(broker, security))
            .await
            .map_err(|_| ConnectionError::Timeout(broker.to_string()))?
            .map_err(io)?;
        let mut connection = Connection {
            broker: broker.to_string(),
            stream,
            correlation: 0,
            client_id: StrBytes::from_string(client_id.to_string()),
            versions: HashMap::new(),
            timeout,
        };
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("tributary"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let response: ApiVersionsResponse = connection.send_versioned(&request, 3).await?;
        if response.error_code != 0 {
            return Err(connection.protocol(format!("ApiVersions failed with error {}", response.error_code)));
        }
        connection.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        if security.protocol.sasl() {
            connection.authenticate(security.sasl.as_ref()).await?;
        }
        Ok(connection)
    }

    /// SaslHandshake, then SaslAuthenticate round trips until the mechanism is done.
    async fn authenticate(&mut self, sasl: Option<&SaslSettings>) -> Result<(), ConnectionError> {
        let failed = |broker: &str, message: String| ConnectionError::Authentication {
            broker: broker.to_string(),
            message,
        };
        let Some(sasl) = sasl else {
            return Err(failed(&self.broker, "no SASL mechanism is configured".into()));
        };
        let (mechanism, config) = match sasl {
            SaslSettings::Password {
                mechanism,
                username,
                password,
            } => (
                mechanism.as_str(),
                SASLConfig::with_credentials(None, username.clone(), password.clone())
                    .map_err(|e| failed(&self.broker, e.to_string()))?,
            ),
            SaslSettings::OAuthBearer {
                token_endpoint,
                client_id,
                client_secret,
                scope,
            } => {
                let token = oauth::bearer_token(token_endpoint.as_deref(), client_id, client_secret, scope.as_deref())
                    .await
                    .map_err(|e| failed(&self.broker, e.to_string()))?;
                let config = SASLConfig::builder()
                    .with_default_mechanisms()
                    .with_callback(BearerToken(token))
                    .map_err(|e| failed(&self.broker, e.to_string()))?;
                ("OAUTHBEARER", config)
            }
        };
        let handshake = SaslHandshakeRequest::default().with_mechanism(StrBytes::from_string(mechanism.to_string()));
        let (_, response) = self.send(&handshake, 1).await?;
        if response.error_code != 0 {
            let offered: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(failed(
                &self.broker,
                format!("the broker does not offer {mechanism} (it offers {offered:?})"),
            ));
        }
        let name = Mechname::parse(mechanism.as_bytes()).map_err(|e| failed(&self.broker, e.to_string()))?;
        let mut session = SASLClient::new(config)
            .start_suggested(&[name])
            .map_err(|e| failed(&self.broker, e.to_string()))?;
        let mut input: Option<bytes::Bytes> = None;
        loop {
            let mut output = Vec::new();
            let state = session
                .step(input.as_deref(), &mut output)
                .map_err(|e| failed(&self.broker, e.to_string()))?;
            if matches!(state, State::Finished(_)) && output.is_empty() && input.is_some() {
                return Ok(());
            }
            let request = SaslAuthenticateRequest::default().with_auth_bytes(output.into());
            let (_, response) = self.send(&request, 2).await?;
            if response.error_code != 0 {
                let message = response.error_message.map(|m| m.to_string()).unwrap_or_default();
                return Err(failed(
                    &self.broker,
                    format!("error {}: {message}", response.error_code),
                ));
            }
            if matches!(state, State::Finished(_)) {
                return Ok(());
            }
            input = Some(response.auth_bytes);
        }
    }

    fn protocol(&self, message: String) -> ConnectionError {
        ConnectionError::Protocol {
            broker: self.broker.clone(),
            message,
        }
    }

    /// The version to use for `R`: the highest both we (up to `ours`) and the broker support.
    pub(super) fn version<R: Request>(&self, ours: i16) -> Result<i16, ConnectionError> {
        let (min, max) = self.versions.get(&R::KEY).copied().unwrap_or((0, -1));
        let version = ours.min(max);
        if version < min || version < 0 {
            return Err(self.protocol(format!(
                "the broker does not support a version of API {} we speak (it supports {min}..={max})",
                R::KEY
            )));
        }
        Ok(version)
    }

    /// Sends `request` at the negotiated version (at most `ours`) and returns it with the
    /// response.
    pub(super) async fn send<R: Request>(
        &mut self,
        request: &R,
        ours: i16,
    ) -> Result<(i16, R::Response), ConnectionError> {
        self.send_within(request, ours, self.timeout).await
    }

    /// [`Connection::send`] with its own timeout (JoinGroup waits for the whole rebalance).
    pub(super) async fn send_within<R: Request>(
        &mut self,
        request: &R,
        ours: i16,
        timeout: Duration,
    ) -> Result<(i16, R::Response), ConnectionError> {
        let version = self.version::<R>(ours)?;
        let result = tokio::time::timeout(timeout, self.round_trip(request, version)).await;
        let response = result.map_err(|_| ConnectionError::Timeout(self.broker.clone()))??;
        Ok((version, response))
    }

    async fn send_versioned<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response, ConnectionError> {
        let result = tokio::time::timeout(self.timeout, self.round_trip(request, version)).await;
        result.map_err(|_| ConnectionError::Timeout(self.broker.clone()))?
    }

    async fn round_trip<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response, ConnectionError> {
        self.correlation = self.correlation.wrapping_add(1);
        let correlation = self.correlation;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(self.client_id.clone()));
        let mut body = BytesMut::new();
        body.put_i32(0);
        header
            .encode(&mut body, R::header_version(version))
            .map_err(|e| self.protocol(format!("cannot encode a request header: {e}")))?;
        request
            .encode(&mut body, version)
            .map_err(|e| self.protocol(format!("cannot encode API {} v{version}: {e}", R::KEY)))?;
        let length = (body.len() - 4) as i32;
        body[..4].copy_from_slice(&length.to_be_bytes());
        let io = |broker: &str, source| ConnectionError::Io {
            broker: broker.to_string(),
            source,
        };
        self.stream.write_all(&body).await.map_err(|e| io(&self.broker, e))?;
        let length = self.stream.read_i32().await.map_err(|e| io(&self.broker, e))?;
        if !(0..=64 * 1024 * 1024).contains(&length) {
            return Err(self.protocol(format!("response of {length} bytes")));
        }
        let mut response = vec![0u8; length as usize];
        self.stream
            .read_exact(&mut response)
            .await
            .map_err(|e| io(&self.broker, e))?;
        let mut response = bytes::Bytes::from(response);
        let api_key = ApiKey::try_from(R::KEY).map_err(|_| self.protocol(format!("unknown API {}", R::KEY)))?;
        let header = ResponseHeader::decode(&mut response, api_key.response_header_version(version))
            .map_err(|e| self.protocol(format!("cannot decode a response header: {e}")))?;
        if header.correlation_id != correlation {
            return Err(self.protocol(format!(
                "response correlation id {} for request {correlation}",
                header.correlation_id
            )));
        }
        let decoded = R::Response::decode(&mut response, version)
            .map_err(|e| self.protocol(format!("cannot decode API {} v{version}: {e}", R::KEY)))?;
        if response.has_remaining() {
            tracing::debug!(broker = %self.broker, api = R::KEY, left = response.remaining(), "response had trailing bytes");
        }
        Ok(decoded)
    }
}
