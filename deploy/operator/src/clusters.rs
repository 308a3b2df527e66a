//! Where a worker cluster's REST API is: the URL a `strimzi.io/cluster` label leads to.
//!
//! In a Kubernetes cluster it is the cluster's Service, named as Strimzi names it
//! (`http://<cluster>-connect-api.<namespace>.svc:8083`); an operator running elsewhere (or a
//! test) names each cluster's URL itself.

use std::collections::BTreeMap;

/// The default URL template: `{cluster}` and `{namespace}` are filled in.
pub const DEFAULT_URL_TEMPLATE: &str = "http://{cluster}-connect-api.{namespace}.svc:8083";

/// Worker cluster name → REST URL.
#[derive(Debug, Clone)]
pub struct ClusterUrls {
    explicit: BTreeMap<String, String>,
    template: String,
}

impl Default for ClusterUrls {
    fn default() -> Self {
        ClusterUrls {
            explicit: BTreeMap::new(),
            template: DEFAULT_URL_TEMPLATE.to_string(),
        }
    }
}

impl ClusterUrls {
    /// URLs from `template`, unless a cluster has its own.
    pub fn with_template(template: &str) -> Self {
        ClusterUrls {
            explicit: BTreeMap::new(),
            template: template.to_string(),
        }
    }

    /// Gives `cluster` (a name, or `namespace/name` for one namespace only) the URL `url`.
    pub fn insert(&mut self, cluster: &str, url: &str) {
        self.explicit.insert(cluster.to_string(), url.to_string());
    }

    /// Reads `NAME=URL` (or `NAMESPACE/NAME=URL`).
    pub fn parse_entry(&mut self, entry: &str) -> Result<(), String> {
        let (cluster, url) = entry
            .split_once('=')
            .filter(|(cluster, url)| !cluster.is_empty() && !url.is_empty())
            .ok_or_else(|| format!("'{entry}' is not NAME=URL"))?;
        self.insert(cluster, url);
        Ok(())
    }

    /// The URL given for `cluster` in `namespace` (`NAMESPACE/NAME` first, then `NAME`).
    pub fn explicit_url(&self, cluster: &str, namespace: &str) -> Option<String> {
        self.explicit
            .get(&format!("{namespace}/{cluster}"))
            .or_else(|| self.explicit.get(cluster))
            .cloned()
    }

    /// The REST URL of `cluster` in `namespace`.
    pub fn url(&self, cluster: &str, namespace: &str) -> String {
        self.explicit_url(cluster, namespace).unwrap_or_else(|| {
            self.template
                .replace("{cluster}", cluster)
                .replace("{namespace}", namespace)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_urls_win_over_the_service_name() {
        let mut urls = ClusterUrls::default();
        assert_eq!(
            urls.url("my-connect", "kafka"),
            "http://my-connect-connect-api.kafka.svc:8083"
        );
        urls.parse_entry("my-connect=http://127.0.0.1:8083").unwrap();
        urls.parse_entry("team-b/my-connect=http://127.0.0.1:9083").unwrap();
        assert_eq!(urls.url("my-connect", "kafka"), "http://127.0.0.1:8083");
        assert_eq!(urls.url("my-connect", "team-b"), "http://127.0.0.1:9083");
        assert!(urls.parse_entry("no-url").is_err());
        assert!(urls.parse_entry("=http://x").is_err());
    }
}
