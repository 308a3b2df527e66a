//! The real-parts test harness, for the tests of every crate and the benchmarks.
//!
//! - [`KafkaCluster`] and [`KafkaDistribution`] come from `tributary-local-kafka` (the crate
//!   `tributary dev` starts its Kafka with): real Apache Kafka 4.3.1 on loopback, that a test
//!   can `kill` (SIGKILL), `stop` (SIGTERM) and `restart` a node of; node logs stay in the
//!   cluster's temporary directory and their tails are printed when a start fails.
//! - [`clients`] has producer/consumer helpers and unique topic and group names for tests.
//! - [`shared_cluster`] gives all the tests of one test binary a single one-broker cluster;
//!   [`shared_three_broker_cluster`] a three-broker one for tests that need replication;
//!   [`shared_cluster_pair`] a source and a target cluster for the mirroring tests.
//!
//! - [`SecureKafka`] is a cluster with Strimzi's secured listeners (`SSL` with client
//!   certificates, `SASL_SSL` with SCRAM-SHA-512 and PLAIN, OAUTHBEARER with tokens from an
//!   [`OAuthServer`]), certificates made by `openssl`;
//!   [`TlsFiles`] makes such certificates for other TLS servers (the REST API's HTTPS).
//!
//! - [`Database`] starts real PostgreSQL and MariaDB servers from the machine's Debian
//!   packages; [`shared_postgres`] and [`shared_mariadb`] share one of each per test binary;
//!   [`JdbcDriver`] fetches the JDBC drivers' jars (from Maven Central) to read them from Java,
//!   in the fixtures' Java programs a [`JavaProgram`] compiles once.
//!
//! - [`KubeApiServer`] is a real kube-apiserver and etcd (built from the Go module proxy by
//!   `tests/kubernetes/build.sh`, cached) for the operator's tests; [`shared_kube_api_server`]
//!   shares one per test binary; [`Helm`] is helm v4 with the KEDA and Prometheus Operator
//!   CRDs the chart's optional parts need (`tests/helm/build.sh`).
//!
//! - [`SchemaRegistry`] is a real Schema Registry with Confluent's API (Apicurio's, from Maven
//!   Central); [`PythonEnv`] a cached Python environment with Confluent's own serializers
//!   (`confluent-kafka`) to compare Tributary's converters with;
//!   [`debezium_postgres_plugin_path`] Debezium's PostgreSQL connector (from Maven Central too),
//!   a plugin for the Apache Connect worker run beside Tributary's change data capture.
//!
//! - [`Browser`] is a headless Chromium driven over WebDriver (Debian's `chromium` and
//!   `chromium-driver`), for the web console's tests; [`fantoccini`] is its client.
//!
//! Every JVM and database server the harness starts dies with the process that started it,
//! even on a panic or `kill -9` of the test binary, so a failed run leaves no server behind.

mod browser;
mod certificates;
pub mod clients;
mod databases;
mod debezium;
mod go_build;
mod helm;
mod java_program;
mod jdbc_drivers;
mod kubernetes;
mod maven_archive;
mod oauth;
mod python;
mod schema_registry;
mod secure;
mod shared;

pub use browser::Browser;
pub use certificates::TlsFiles;
pub use databases::{shared_mariadb, shared_postgres, ClientCertificate, Database, DatabaseKind, CERTIFIED_USER};
pub use debezium::{debezium_postgres_plugin_path, DEBEZIUM_VERSION};
pub use fantoccini;
pub use helm::Helm;
pub use java_program::{JavaProgram, NO_PROPERTIES};
pub use jdbc_drivers::JdbcDriver;
pub use kubernetes::{shared_kube_api_server, shared_kube_api_server_for_shipped_crds, KubeApiServer};
pub use oauth::{OAuthClient, OAuthServer};
pub use python::PythonEnv;
pub use schema_registry::{shared_schema_registry, SchemaRegistry, ServerCertificate, APICURIO_VERSION};
pub use secure::{
    shared_secure_cluster, with_client_prefixes, SecureKafka, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SASL_PASSWORD,
    SASL_USER, STORE_PASSWORD,
};
pub use shared::{shared_cluster, shared_cluster_pair, shared_three_broker_cluster};
/// Why the harness could not provide a cluster or a server: the local Kafka's error, which the
/// harness's other servers share.
pub use tributary_local_kafka::LocalKafkaError as HarnessError;
pub use tributary_local_kafka::{ChildProcess, ClusterOptions, KafkaCluster, KafkaDistribution, KAFKA_VERSION};
