//! The REST server: every listener of `listeners` and `admin.listeners` bound, HTTP or HTTPS,
//! with Basic authentication when configured, bounded reads (a client that sends its headers
//! or body too slowly is cut off after `rest.read.timeout.ms`), and one graceful shutdown for
//! all of them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::tls_openssl::{OpenSSLAcceptor, OpenSSLConfig};
use axum_server::Handle;
use openssl::ssl::SslAcceptor;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use super::auth::BasicAuth;
use super::response_rules::ResponseRules;
use super::{router, tls, AppState, Endpoints};
use crate::config::{positive, ConfigDef, ConfigKey, ConfigMap, ConfigType, Key};
use crate::mode::startup::StartError;
use crate::worker::listeners::{
    AdminListeners, Listener, ListenerLayout, Scheme, REST_ADVERTISED_LISTENER, REST_ADVERTISED_PORT, UI_ENABLED,
    UI_READ_ONLY,
};
use crate::worker::WorkerConfig;

/// How long the TLS handshake of a new connection may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Apache's 90 s bound on a request forwarded to another worker.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

/// The REST keys Tributary adds to Apache's: `rest.read.timeout.ms`, its bound on reading a
/// request (30 s, Jetty's idle timeout in Apache's worker).
fn rest_config_def() -> ConfigDef {
    ConfigDef::new().key(&READ_TIMEOUT)
}

/// `rest.read.timeout.ms`.
const READ_TIMEOUT: Key<Duration> = Key::new(
    ConfigKey::optional(
        "rest.read.timeout.ms",
        ConfigType::Long,
        "30000",
        "How long a client may take to send a request's headers, then its body, in ms.",
    )
    .check(positive),
);

/// The REST API's settings from the worker config, checked.
pub struct RestSettings {
    layout: ListenerLayout,
    public_tls: Option<Arc<SslAcceptor>>,
    admin_tls: Option<Arc<SslAcceptor>>,
    /// Basic authentication, when `rest.extension.classes` asks for it.
    pub(super) auth: Option<BasicAuth>,
    /// `rest.read.timeout.ms`: how long a client may take to send a request.
    pub(super) read_timeout: Duration,
    /// Reaches other workers (forwarding, task configs to the leader).
    pub(super) client: reqwest::Client,
    /// The web console, unless `ui.enabled=false`.
    pub(super) console: Option<super::console::Console>,
    /// Cross-origin access and header rules.
    pub(super) response_rules: ResponseRules,
}

impl RestSettings {
    /// Reads the listeners, their TLS material, the authentication and the timeouts; every
    /// problem is listed.
    pub fn from_worker(raw: &ConfigMap) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let layout = kept(ListenerLayout::from_worker(raw), &mut errors);
        // The public listeners' stores, read once: their HTTPS and the client that reaches the
        // other workers' listeners both use them.
        let (public_keys, public_prefix) = tls::ssl_keys(raw, "listeners.https.");
        let public_material = kept(tls::material(&public_keys, &public_prefix), &mut errors);
        let public_https = layout
            .as_ref()
            .is_some_and(|l| l.public.iter().any(|l| l.scheme == Scheme::Https));
        let admin_https = layout.as_ref().is_some_and(|l| match &l.admin {
            AdminListeners::Separate(listeners) => listeners.iter().any(|l| l.scheme == Scheme::Https),
            _ => false,
        });
        let public_tls = match (&public_material, public_https) {
            (Some(material), true) => kept(
                tls::acceptor(&public_keys, material, &public_prefix, "listeners.https."),
                &mut errors,
            ),
            _ => None,
        };
        let admin_tls = if admin_https {
            let (keys, found_under) = tls::ssl_keys(raw, "admin.listeners.https.");
            kept(tls::material(&keys, &found_under), &mut errors).and_then(|material| {
                kept(
                    tls::acceptor(&keys, &material, &found_under, "admin.listeners.https."),
                    &mut errors,
                )
            })
        } else {
            None
        };
        let auth = kept(BasicAuth::from_worker(raw), &mut errors).flatten();
        let response_rules = kept(ResponseRules::from_worker(raw), &mut errors);
        let own = rest_config_def()
            .parse(raw)
            .map_err(|invalid| invalid.into_iter().map(|e| e.message).collect());
        let read_timeout = kept(own, &mut errors).map_or(Duration::ZERO, |own| own.value(&READ_TIMEOUT));
        let client = public_material.as_ref().and_then(|material| {
            kept(
                tls::client(material, &public_prefix, tls::HttpTimeouts::Total(FORWARD_TIMEOUT)),
                &mut errors,
            )
        });
        match (layout, client, response_rules) {
            (Some(layout), Some(client), Some(response_rules)) if errors.is_empty() => Ok(RestSettings {
                console: UI_ENABLED.read(raw).then(|| super::console::Console {
                    read_only: UI_READ_ONLY.read(raw),
                    scheme: layout.advertised_scheme,
                    client: client.clone(),
                }),
                layout,
                public_tls,
                admin_tls,
                auth,
                read_timeout,
                client,
                response_rules,
            }),
            _ => Err(errors),
        }
    }
}

/// The value of `result`, its problems added to `errors` otherwise.
fn kept<T>(result: Result<T, Vec<String>>, errors: &mut Vec<String>) -> Option<T> {
    result.map_err(|e| errors.extend(e)).ok()
}

/// The listeners, bound but not serving yet.
pub struct BoundRest {
    settings: RestSettings,
    public: Vec<(Scheme, TcpListener)>,
    admin: Vec<(Scheme, TcpListener)>,
    address: SocketAddr,
}

async fn bind_all(listeners: &[Listener]) -> Result<Vec<(Scheme, TcpListener)>, StartError> {
    let mut bound = Vec::new();
    for listener in listeners {
        let address = listener.address();
        let socket = TcpListener::bind(&address)
            .await
            .map_err(|source| StartError::Listen { address, source })?;
        bound.push((listener.scheme, socket));
    }
    Ok(bound)
}

/// Checks the REST settings and binds every listener. The advertised listener's real port
/// (which differs with port 0) becomes `rest.advertised.port`, and its scheme
/// `rest.advertised.listener`, so that statuses and other workers use them.
pub async fn bind(config: &mut WorkerConfig) -> Result<BoundRest, StartError> {
    let settings = RestSettings::from_worker(&config.raw).map_err(|errors| StartError::Config(errors.join("; ")))?;
    let public = bind_all(&settings.layout.public).await?;
    let admin = match &settings.layout.admin {
        AdminListeners::Separate(listeners) => bind_all(listeners).await?,
        AdminListeners::Public | AdminListeners::Disabled => Vec::new(),
    };
    let advertised = settings.layout.advertised_scheme;
    let local = |socket: &TcpListener| {
        socket.local_addr().map_err(|source| StartError::Listen {
            address: "the REST listener".into(),
            source,
        })
    };
    let advertised_socket = public
        .iter()
        .find(|(scheme, _)| *scheme == advertised)
        .or(public.first())
        .map(|(_, socket)| socket)
        .ok_or_else(|| StartError::Config("listeners names no listener".into()))?;
    let address = local(advertised_socket)?;
    config
        .raw
        .entry(REST_ADVERTISED_PORT.name().into())
        .or_insert_with(|| address.port().to_string());
    config
        .raw
        .entry(REST_ADVERTISED_LISTENER.name().into())
        .or_insert_with(|| advertised.as_str().to_string());
    Ok(BoundRest {
        settings,
        public,
        admin,
        address,
    })
}

impl BoundRest {
    /// The advertised listener's local address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The HTTP client that reaches other workers of the cluster.
    pub fn client(&self) -> reqwest::Client {
        self.settings.client.clone()
    }

    /// Starts serving `state` on every listener.
    pub fn serve(self, state: AppState) -> RestServer {
        let settings = &self.settings;
        let handle = Handle::new();
        let describe = |admin: bool| {
            move |(scheme, socket): &(Scheme, TcpListener)| {
                socket.local_addr().ok().map(|address| BoundListener {
                    scheme: *scheme,
                    address,
                    admin,
                })
            }
        };
        let listeners = self
            .public
            .iter()
            .filter_map(describe(false))
            .chain(self.admin.iter().filter_map(describe(true)))
            .collect();
        let public_endpoints = match settings.layout.admin {
            AdminListeners::Public => Endpoints::All,
            AdminListeners::Disabled | AdminListeners::Separate(_) => Endpoints::Public,
        };
        let public = router(state.clone(), public_endpoints, settings);
        let admin = router(state, Endpoints::Admin, settings);
        let mut servers = Vec::new();
        for (scheme, socket) in self.public {
            servers.push(spawn(
                socket,
                scheme,
                settings.public_tls.clone(),
                public.clone(),
                settings,
                &handle,
            ));
        }
        for (scheme, socket) in self.admin {
            servers.push(spawn(
                socket,
                scheme,
                settings.admin_tls.clone(),
                admin.clone(),
                settings,
                &handle,
            ));
        }
        RestServer {
            handle,
            servers,
            listeners,
        }
    }
}

fn spawn(
    socket: TcpListener,
    scheme: Scheme,
    tls: Option<Arc<SslAcceptor>>,
    router: Router,
    settings: &RestSettings,
    handle: &Handle<SocketAddr>,
) -> JoinHandle<std::io::Result<()>> {
    let mut server = axum_server::Server::from_listener(socket)
        .handle(handle.clone())
        .http1_only();
    server
        .http_builder()
        .http1()
        .header_read_timeout(Some(settings.read_timeout));
    // `/connectors/` is `/connectors`, as in Apache's (Jersey's) routing; handlers learn the
    // listener's scheme for the URLs they give back.
    let router = router.layer(axum::Extension(scheme));
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(
        NormalizePathLayer::trim_trailing_slash().layer(router),
    );
    match (scheme, tls) {
        (Scheme::Https, Some(acceptor)) => {
            let acceptor =
                OpenSSLAcceptor::new(OpenSSLConfig::from_acceptor(acceptor)).handshake_timeout(HANDSHAKE_TIMEOUT);
            tokio::spawn(server.acceptor(acceptor).serve(service))
        }
        _ => tokio::spawn(server.serve(service)),
    }
}

/// A listener being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundListener {
    /// HTTP or HTTPS.
    pub scheme: Scheme,
    /// Its local address.
    pub address: SocketAddr,
    /// Whether it is one of `admin.listeners`.
    pub admin: bool,
}

/// The running REST server.
pub struct RestServer {
    handle: Handle<SocketAddr>,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
    listeners: Vec<BoundListener>,
}

impl RestServer {
    /// Every listener served, public ones first.
    pub fn listeners(&self) -> &[BoundListener] {
        &self.listeners
    }

    /// Stops accepting, lets requests in flight finish (5 s at most), and returns.
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        for server in self.servers {
            if tokio::time::timeout(Duration::from_secs(6), server).await.is_err() {
                tracing::warn!("the REST server did not stop within 6 s");
            }
        }
    }
}
