//! Named contexts, as kubectl's and kcctl's: a small YAML file mapping names to workers (URL
//! and credentials), one of them current.
//!
//! The file is `$TRIBUTARY_CTL_CONFIG`, else `$XDG_CONFIG_HOME/tributary/ctl.yaml`, else
//! `~/.config/tributary/ctl.yaml`:
//!
//! ```yaml
//! current-context: prod
//! contexts:
//!   prod:
//!     url: https://connect.example:8443
//!     username: admin
//!     password: secret
//!     ca-certificate: /etc/ssl/connect-ca.pem
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::client::CtlError;

/// The worker a command talks to when nothing names one.
pub const DEFAULT_URL: &str = "http://localhost:8083";

/// Where and how to reach a worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Target {
    /// The REST API's base URL.
    pub url: String,
    /// The user for HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password for HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A PEM file of the certificate authority that signed the worker's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
    /// Accept any certificate (for tests only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

/// The contexts file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Contexts {
    /// The context used when `--context` names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    /// The contexts by name.
    #[serde(default)]
    pub contexts: BTreeMap<String, Target>,
}

impl Contexts {
    /// The file's path (see the module doc).
    pub fn path() -> Result<PathBuf, CtlError> {
        if let Some(path) = std::env::var_os("TRIBUTARY_CTL_CONFIG") {
            return Ok(PathBuf::from(path));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
            .ok_or_else(|| CtlError::Input("neither TRIBUTARY_CTL_CONFIG, XDG_CONFIG_HOME nor HOME is set".into()))?;
        Ok(base.join("tributary").join("ctl.yaml"))
    }

    /// The file's contexts; none when there is no file yet.
    pub fn load() -> Result<Self, CtlError> {
        let path = Self::path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_yaml::from_str(&text).map_err(|e| CtlError::Input(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contexts::default()),
            Err(e) => Err(CtlError::Input(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the contexts back (readable by the user only: it may hold passwords).
    pub fn save(&self) -> Result<(), CtlError> {
        let path = Self::path()?;
        let failed = |e: &dyn std::fmt::Display| CtlError::Input(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
        }
        let text = serde_yaml::to_string(self).map_err(|e| failed(&e))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(|e| failed(&e))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| failed(&e))
    }

    /// The worker to talk to: the command line's `flags` (an empty URL when none was given)
    /// over the context named (or current), over [`DEFAULT_URL`]. A URL on the command line
    /// other than the context's leaves the context's credentials out.
    pub fn target(&self, flags: &Target, context: Option<&str>) -> Result<Target, CtlError> {
        let named = match context.or(self.current_context.as_deref()) {
            Some(name) => Some(
                self.contexts
                    .get(name)
                    .cloned()
                    .ok_or_else(|| CtlError::Input(format!("no context named '{name}'")))?,
            ),
            None => None,
        };
        let mut target = match named {
            Some(context) if flags.url.is_empty() || flags.url == context.url => context,
            _ if !flags.url.is_empty() => Target {
                url: flags.url.clone(),
                ..Target::default()
            },
            _ => Target {
                url: DEFAULT_URL.to_string(),
                ..Target::default()
            },
        };
        if flags.username.is_some() {
            target.username = flags.username.clone();
            target.password = flags.password.clone();
        }
        if flags.ca_certificate.is_some() {
            target.ca_certificate = flags.ca_certificate.clone();
        }
        target.insecure |= flags.insecure;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts() -> Contexts {
        let mut contexts = Contexts::default();
        contexts.contexts.insert(
            "prod".into(),
            Target {
                url: "https://prod:8443".into(),
                username: Some("admin".into()),
                ..Target::default()
            },
        );
        contexts
    }

    fn url(url: &str) -> Target {
        Target {
            url: url.into(),
            ..Target::default()
        }
    }

    #[test]
    fn flags_win_then_the_named_context_then_the_current_one() {
        let mut contexts = contexts();
        let none = url("");
        assert_eq!(contexts.target(&none, None).unwrap().url, DEFAULT_URL);
        assert_eq!(contexts.target(&url("http://x:1"), None).unwrap().url, "http://x:1");
        assert_eq!(
            contexts.target(&none, Some("prod")).unwrap().username.as_deref(),
            Some("admin")
        );
        contexts.current_context = Some("prod".into());
        assert_eq!(contexts.target(&none, None).unwrap().url, "https://prod:8443");
        let other = contexts.target(&url("http://x:1"), None).unwrap();
        assert_eq!((other.url.as_str(), other.username), ("http://x:1", None));
        let user = Target {
            username: Some("me".into()),
            insecure: true,
            ..none.clone()
        };
        let mine = contexts.target(&user, None).unwrap();
        assert_eq!(
            (mine.url.as_str(), mine.username.as_deref(), mine.insecure),
            ("https://prod:8443", Some("me"), true)
        );
        let error = contexts.target(&none, Some("test")).unwrap_err().to_string();
        assert_eq!(error, "no context named 'test'");
    }

    #[test]
    fn the_file_reads_back_what_was_written() {
        let text = serde_yaml::to_string(&contexts()).unwrap();
        assert!(
            text.contains("url: https://prod:8443") && !text.contains("insecure"),
            "{text}"
        );
        let read: Contexts = serde_yaml::from_str(&text).unwrap();
        assert_eq!(read.contexts["prod"], contexts().contexts["prod"]);
    }
}
