//! How the group connection reaches a broker: TCP, then TLS when `security.protocol` says so,
//! with the same certificates librdkafka is given ([`TlsSettings`]).

use std::pin::Pin;

use openssl::ssl::{SslConnector, SslMethod};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::client::{KafkaSecurity, TlsSettings};

/// A byte stream to a broker, plain or TLS.
pub(super) trait BrokerStream: AsyncRead + AsyncWrite + Send + Sync + Unpin {}

impl<S: AsyncRead + AsyncWrite + Send + Sync + Unpin> BrokerStream for S {}

/// Opens the stream to `broker` (`host:port`) as `security` says.
pub(super) async fn connect(broker: &str, security: &KafkaSecurity) -> Result<Box<dyn BrokerStream>, std::io::Error> {
    let tcp = TcpStream::connect(broker).await?;
    tcp.set_nodelay(true)?;
    if !security.protocol.tls() {
        return Ok(Box::new(tcp));
    }
    let host = broker.rsplit_once(':').map_or(broker, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ssl = connector(&security.tls)
        .and_then(|connector| {
            let mut config = connector.configure()?;
            config.set_verify_hostname(security.tls.verify_hostname);
            config.into_ssl(host)
        })
        .map_err(|e| std::io::Error::other(format!("TLS set-up: {e}")))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(std::io::Error::other)?;
    Pin::new(&mut stream)
        .connect()
        .await
        .map_err(|e| std::io::Error::other(format!("TLS handshake: {e}")))?;
    Ok(Box::new(stream))
}

fn connector(tls: &TlsSettings) -> Result<SslConnector, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    if !tls.add_trusted(&mut builder)? {
        builder.set_default_verify_paths()?;
    }
    tls.add_identity(&mut builder)?;
    Ok(builder.build())
}
