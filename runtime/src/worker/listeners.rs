//! Where the REST API listens, read as Apache Kafka Connect reads it: `listeners` (a list of
//! `http://host:port` and `https://host:port`, an empty host meaning every interface),
//! `admin.listeners` (absent: the `/admin` endpoints are served on `listeners`; empty: they are
//! turned off; otherwise they are served there alone) and `rest.advertised.listener` (the scheme
//! other workers use to reach this one).

use std::fmt;

use crate::config::{ConfigKey, ConfigMap, ConfigType, Key};

/// Tributary's default listener (Apache's is every interface; loopback is the safe default).
pub const DEFAULT_LISTENER: &str = "http://127.0.0.1:8083";

/// `listeners`: where the REST API listens (empty: [`DEFAULT_LISTENER`]).
pub const LISTENERS: Key<String> = Key::new(ConfigKey::optional(
    "listeners",
    ConfigType::List,
    DEFAULT_LISTENER,
    "List of comma-separated URIs the REST API will listen on. The supported protocols are HTTP and HTTPS.",
));
/// `admin.listeners`: where the `/admin` endpoints are served (unset: on `listeners`; empty:
/// nowhere).
pub const ADMIN_LISTENERS: Key<Option<String>> = Key::new(ConfigKey::unset(
    "admin.listeners",
    ConfigType::List,
    "List of comma-separated URIs the Admin REST API will listen on. An empty list turns the Admin REST API off; unset, it is served on listeners.",
));
/// `rest.advertised.listener`: the scheme other workers use to reach this one.
pub const REST_ADVERTISED_LISTENER: Key<String> = Key::new(ConfigKey::optional(
    "rest.advertised.listener",
    ConfigType::String,
    "",
    "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use.",
));
/// `rest.advertised.host.name`: the host other workers reach this one's REST API at (unset:
/// the advertised listener's).
pub const REST_ADVERTISED_HOST_NAME: Key<Option<String>> = Key::new(ConfigKey::unset(
    "rest.advertised.host.name",
    ConfigType::String,
    "The host other workers reach this one's REST API at.",
));
/// `rest.advertised.port`: the port other workers reach this one's REST API at (unset: the
/// advertised listener's, the bound one for port 0).
pub const REST_ADVERTISED_PORT: Key<Option<u16>> = Key::new(ConfigKey::unset(
    "rest.advertised.port",
    ConfigType::Int,
    "The port other workers reach this one's REST API at.",
));

/// `ui.enabled`: whether the REST listener serves the web console at `/ui`.
pub const UI_ENABLED: Key<bool> = Key::new(ConfigKey::optional(
    "ui.enabled",
    ConfigType::Boolean,
    "true",
    "Whether the REST listener serves the web console at /ui.",
));

/// `ui.read.only`: a console that shows everything and offers no action.
pub const UI_READ_ONLY: Key<bool> = Key::new(ConfigKey::optional(
    "ui.read.only",
    ConfigType::Boolean,
    "false",
    "Whether the web console only shows (no create, pause, restart, delete...).",
));

/// HTTP or HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One listener: a scheme and the address to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// HTTP or HTTPS.
    pub scheme: Scheme,
    /// The host as written (`0.0.0.0` when it was empty).
    pub host: String,
    /// The port (0 picks a free one).
    pub port: u16,
}

impl Listener {
    /// `host:port`, to bind.
    pub fn address(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn parse(key: &str, text: &str) -> Result<Self, String> {
        let invalid = |why: &str| format!("Invalid value {text} for configuration {key}: {why}");
        let (scheme, address) = text
            .split_once("://")
            .ok_or_else(|| invalid("a listener is written scheme://host:port"))?;
        let scheme =
            Scheme::parse(scheme).ok_or_else(|| invalid("the scheme must be http or https (Apache's listeners)"))?;
        let address = address.trim_end_matches('/');
        let (host, port) = address.rsplit_once(':').ok_or_else(|| invalid("the port is missing"))?;
        let port = port.parse::<u16>().map_err(|_| invalid("the port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        Ok(Listener {
            scheme,
            host: host.to_string(),
            port,
        })
    }
}

/// Where the `/admin` endpoints are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminListeners {
    /// On the public listeners (`admin.listeners` absent).
    Public,
    /// Nowhere (`admin.listeners` empty).
    Disabled,
    /// On these listeners alone.
    Separate(Vec<Listener>),
}

/// Every listener the worker config asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerLayout {
    /// `listeners`, in order.
    pub public: Vec<Listener>,
    /// `admin.listeners`.
    pub admin: AdminListeners,
    /// The scheme of the URL advertised to other workers.
    pub advertised_scheme: Scheme,
}

fn list(key: &str, value: &str) -> Result<Vec<Listener>, Vec<String>> {
    let mut listeners = Vec::new();
    let mut errors = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        match Listener::parse(key, item) {
            Ok(listener) => listeners.push(listener),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(listeners)
    } else {
        Err(errors)
    }
}

impl ListenerLayout {
    /// Reads [`LISTENERS`], [`ADMIN_LISTENERS`] and [`REST_ADVERTISED_LISTENER`]; every problem
    /// is listed.
    pub fn from_worker(raw: &ConfigMap) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let listeners = LISTENERS.read(raw);
        let listeners = match listeners.trim() {
            "" => DEFAULT_LISTENER,
            listeners => listeners,
        };
        let public = list(LISTENERS.name(), listeners).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        let admin = match ADMIN_LISTENERS.read(raw) {
            None => AdminListeners::Public,
            Some(value) if value.trim().is_empty() => AdminListeners::Disabled,
            Some(value) => AdminListeners::Separate(list(ADMIN_LISTENERS.name(), &value).unwrap_or_else(|e| {
                errors.extend(e);
                Vec::new()
            })),
        };
        // Apache's choice when `rest.advertised.listener` is absent: HTTP if any listener is.
        let advertised = REST_ADVERTISED_LISTENER.read(raw);
        let advertised_scheme = match advertised.trim() {
            "" => {
                if public.iter().any(|l| l.scheme == Scheme::Http) || public.is_empty() {
                    Scheme::Http
                } else {
                    Scheme::Https
                }
            }
            value => match Scheme::parse(value) {
                Some(scheme) if public.iter().any(|l| l.scheme == scheme) => scheme,
                Some(scheme) => {
                    errors.push(format!(
                        "Invalid value {value} for configuration rest.advertised.listener: no {scheme} listener in listeners"
                    ));
                    scheme
                }
                None => {
                    errors.push(format!(
                        "Invalid value {value} for configuration rest.advertised.listener: String must be one of: http, https"
                    ));
                    Scheme::Http
                }
            },
        };
        if errors.is_empty() {
            Ok(ListenerLayout {
                public,
                admin,
                advertised_scheme,
            })
        } else {
            Err(errors)
        }
    }

    /// The listener other workers reach: the first of the advertised scheme.
    pub fn advertised(&self) -> Option<&Listener> {
        self.public.iter().find(|l| l.scheme == self.advertised_scheme)
    }

    /// Whether any listener, public or admin, is HTTPS.
    pub fn any_https(&self) -> bool {
        let admin = match &self.admin {
            AdminListeners::Separate(listeners) => listeners.as_slice(),
            _ => &[],
        };
        self.public.iter().chain(admin).any(|l| l.scheme == Scheme::Https)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(pairs: &[(&str, &str)]) -> Result<ListenerLayout, Vec<String>> {
        ListenerLayout::from_worker(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn apache_forms() {
        let default = layout(&[]).unwrap();
        assert_eq!(default.public[0].address(), "127.0.0.1:8083");
        assert_eq!(default.admin, AdminListeners::Public);
        let both = layout(&[("listeners", "HTTPS://:8443, http://localhost:9000")]).unwrap();
        assert_eq!(both.public[0].scheme, Scheme::Https);
        assert_eq!(both.public[0].address(), "0.0.0.0:8443");
        assert_eq!(both.advertised_scheme, Scheme::Http, "Apache prefers an HTTP listener");
        assert_eq!(
            both.advertised().map(Listener::address).as_deref(),
            Some("localhost:9000")
        );
        let https = layout(&[("listeners", "https://[::1]:0")]).unwrap();
        assert_eq!(https.advertised_scheme, Scheme::Https);
        assert_eq!(https.public[0].address(), "[::1]:0");
        assert_eq!(
            layout(&[("admin.listeners", "")]).unwrap().admin,
            AdminListeners::Disabled
        );
        let separate = layout(&[("admin.listeners", "https://127.0.0.1:0")]).unwrap();
        assert!(separate.any_https());
    }

    #[test]
    fn every_problem_is_listed() {
        let errors = layout(&[
            ("listeners", "ftp://:1,http://x"),
            ("admin.listeners", "http:/oops"),
            ("rest.advertised.listener", "https"),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("http or https"), "{errors:?}");
        assert!(errors[3].contains("no https listener"), "{errors:?}");
    }
}
