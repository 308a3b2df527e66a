//! Where the REST API listens, read as Apache Kafka Connect reads it: `listeners` (a list of
//! `http://host:port` and `https://host:port`, an empty host meaning every interface),
//! `admin.listeners` (absent: the `/admin` endpoints are served on `listeners`; empty: they are
//! turned off; otherwise they are served there alone) and `rest.advertised.listener` (the scheme
//! other workers use to reach this one).

use std::fmt;

use crate::config::ConfigMap;

/// Tributary's default listener (Apache's is every interface; loopback is the safe default).
pub const DEFAULT_LISTENER: &str = "http://127.0.0.1:8083";

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
    /// Reads `listeners`, `admin.listeners` and `rest.advertised.listener`; every problem is
    /// listed.
    pub fn from_worker(raw: &ConfigMap) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let listeners = raw
            .get("listeners")
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_LISTENER);
        let public = list("listeners", listeners).unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        let admin = match raw.get("admin.listeners").map(|v| v.trim()) {
            None => AdminListeners::Public,
            Some("") => AdminListeners::Disabled,
            Some(value) => AdminListeners::Separate(list("admin.listeners", value).unwrap_or_else(|e| {
                errors.extend(e);
                Vec::new()
            })),
        };
        // Apache's choice when `rest.advertised.listener` is absent: HTTP if any listener is.
        let advertised_scheme = match raw.get("rest.advertised.listener").map(|v| v.trim()) {
            None | Some("") => {
                if public.iter().any(|l| l.scheme == Scheme::Http) || public.is_empty() {
                    Scheme::Http
                } else {
                    Scheme::Https
                }
            }
            Some(value) => match Scheme::parse(value) {
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
