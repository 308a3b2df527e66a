//! MirrorMaker 2's dedicated-mode file (`connect-mirror-maker.properties`): the cluster
//! aliases, which `A->B` flows are enabled, and the connector config each flow gets, built the
//! way Apache's `MirrorMakerConfig` builds it.
//!
//! For flow `A->B`, a connector config is: the top-level settings, then `A.<key>` as
//! `source.cluster.<key>` and `B.<key>` as `target.cluster.<key>`, then the flow's own `A->B.<key>`
//! settings, plus `source.cluster.alias` and `target.cluster.alias`.

use tributary_runtime::config::{split_list, ConfigMap};

use crate::config::{SOURCE_CLUSTER_ALIAS, TARGET_CLUSTER_ALIAS};
use crate::filter::{BadPattern, NameFilter};
use crate::policy::{ReplicationPolicy, UnknownPolicy};

/// One enabled flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The source cluster's alias.
    pub source: String,
    /// The target cluster's alias.
    pub target: String,
    /// The settings the flow's connectors get (without `connector.class` and `name`).
    pub config: ConfigMap,
}

/// What is wrong with a mirror file; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mirror configuration: {}", .0.join("; "))]
pub struct FlowErrors(pub Vec<String>);

/// The enabled flows of a `connect-mirror-maker.properties` file, checked: known aliases, a
/// `bootstrap.servers` per cluster used, valid topic and group patterns, a known policy.
pub fn flows(file: &ConfigMap) -> Result<Vec<Flow>, FlowErrors> {
    let clusters = split_list(file.get("clusters").map(String::as_str).unwrap_or(""));
    let mut problems = Vec::new();
    if clusters.is_empty() {
        problems.push("Missing required configuration \"clusters\" which has no default value.".to_string());
    }
    let mut flows = Vec::new();
    for (key, value) in file {
        let Some((pair, "enabled")) = key.rsplit_once('.') else {
            continue;
        };
        let Some((source, target)) = pair.split_once("->") else {
            continue;
        };
        let (source, target) = (source.trim(), target.trim());
        for alias in [source, target] {
            if !clusters.iter().any(|c| c == alias) {
                problems.push(format!(
                    "{key} names cluster {alias}, which is not in clusters ({})",
                    clusters.join(", ")
                ));
            }
        }
        if value.trim().eq_ignore_ascii_case("true") {
            flows.push((source.to_string(), target.to_string()));
        }
    }
    let mut built = Vec::new();
    for (source, target) in flows {
        for alias in [&source, &target] {
            if file
                .get(&format!("{alias}.bootstrap.servers"))
                .is_none_or(|v| v.trim().is_empty())
            {
                problems.push(format!("cluster {alias} has no {alias}.bootstrap.servers"));
            }
        }
        let config = flow_config(file, &clusters, &source, &target);
        if let Err(BadPattern { key, value, message }) = NameFilter::topics(&config).and(NameFilter::groups(&config)) {
            problems.push(format!(
                "{source}->{target}: invalid value {value} for {key}: {message}"
            ));
        }
        if let Err(UnknownPolicy(class)) = ReplicationPolicy::from_config(&config) {
            problems.push(format!("{source}->{target}: unknown replication.policy.class {class}"));
        }
        built.push(Flow { source, target, config });
    }
    if problems.is_empty() {
        Ok(built)
    } else {
        problems.dedup();
        Err(FlowErrors(problems))
    }
}

fn flow_config(file: &ConfigMap, clusters: &[String], source: &str, target: &str) -> ConfigMap {
    let is_scoped = |key: &str| key.contains("->") || clusters.iter().any(|c| key.starts_with(&format!("{c}.")));
    let mut config: ConfigMap = file
        .iter()
        .filter(|(k, _)| k.as_str() != "clusters" && !is_scoped(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (alias, prefix) in [(source, "source.cluster."), (target, "target.cluster.")] {
        let scope = format!("{alias}.");
        for (key, value) in file {
            if let Some(rest) = key.strip_prefix(&scope) {
                config.insert(format!("{prefix}{rest}"), value.clone());
            }
        }
    }
    let scope = format!("{source}->{target}.");
    for (key, value) in file {
        if let Some(rest) = key.strip_prefix(&scope) {
            config.insert(rest.to_string(), value.clone());
        }
    }
    config.remove("enabled");
    config.insert(SOURCE_CLUSTER_ALIAS.name().into(), source.to_string());
    config.insert(TARGET_CLUSTER_ALIAS.name().into(), target.to_string());
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigMap {
        tributary_runtime::config::parse_properties(text).unwrap()
    }

    #[test]
    fn the_sample_file_gives_one_flow_with_its_overrides() {
        let flows = flows(&file(include_str!("../../config/connect-mirror-maker.properties"))).unwrap();
        assert_eq!(flows.len(), 1);
        let flow = &flows[0];
        assert_eq!((flow.source.as_str(), flow.target.as_str()), ("A", "B"));
        assert_eq!(flow.config["source.cluster.alias"], "A");
        assert_eq!(
            flow.config["target.cluster.bootstrap.servers"],
            "B_host1:9092, B_host2:9092, B_host3:9092"
        );
        assert_eq!(flow.config["topics"], ".*");
        assert_eq!(flow.config["sync.group.offsets.enabled"], "true");
        assert!(!flow.config.contains_key("A.bootstrap.servers"));
    }

    #[test]
    fn cluster_and_flow_scoped_settings_land_where_apache_puts_them() {
        let flows = flows(&file(
            "clusters=east,west\neast.bootstrap.servers=e:9092\nwest.bootstrap.servers=w:9092\n\
             east.consumer.fetch.min.bytes=1000\nwest.producer.linger.ms=20\nreplication.factor=3\n\
             east->west.enabled=true\neast->west.replication.factor=2\nwest->east.enabled=false\n",
        ))
        .unwrap();
        let config = &flows[0].config;
        assert_eq!(config["source.cluster.consumer.fetch.min.bytes"], "1000");
        assert_eq!(config["target.cluster.producer.linger.ms"], "20");
        assert_eq!(config["replication.factor"], "2", "the flow's own setting wins");
        assert!(!config.contains_key("enabled"));
    }

    #[test]
    fn bad_files_list_every_problem() {
        let errors = flows(&file(
            "clusters=A,B\nA.bootstrap.servers=a:9092\nA->C.enabled=true\nA->B.enabled=true\nA->B.topics=([\n",
        ))
        .unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("names cluster C"), "{text}");
        assert!(text.contains("cluster B has no B.bootstrap.servers"), "{text}");
        assert!(text.contains("A->B: invalid value ([ for topics"), "{text}");
    }
}
