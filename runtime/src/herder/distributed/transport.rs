//! How the group connection reaches a broker: TCP, then TLS when `security.protocol` says so,
//! with the same certificates librdkafka is given ([`TlsSettings`]).

use std::pin::Pin;

use openssl::pkey::PKey;
use openssl::ssl::{SslConnector, SslMethod};
use openssl::x509::X509;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::client::{KafkaSecurity, TlsSettings};

/// A byte stream to a broker, plain or TLS.
pub trait BrokerStream: AsyncRead + AsyncWrite + Send + Sync + Unpin {}

impl<S: AsyncRead + AsyncWrite + Send + Sync + Unpin> BrokerStream for S {}

/// Opens the stream to `broker` (`host:port`) as `security` says.
pub async fn connect(broker: &str, security: &KafkaSecurity) -> Result<Box<dyn BrokerStream>, std::io::Error> {
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
    match &tls.ca_pem {
        Some(pem) => {
            for cert in X509::stack_from_pem(pem.as_bytes())? {
                builder.cert_store_mut().add_cert(cert)?;
            }
        }
        None => builder.set_default_verify_paths()?,
    }
    if let (Some(chain), Some(key)) = (&tls.certificate_pem, &tls.key_pem) {
        let mut certs = X509::stack_from_pem(chain.as_bytes())?.into_iter();
        if let Some(leaf) = certs.next() {
            builder.set_certificate(&leaf)?;
        }
        for extra in certs {
            builder.add_extra_chain_cert(extra)?;
        }
        let key = PKey::private_key_from_pem(key.as_bytes())?;
        builder.set_private_key(&key)?;
        builder.check_private_key()?;
    }
    Ok(builder.build())
}
