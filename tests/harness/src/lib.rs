//! The real-Kafka test harness.
//!
//! Starts real Apache Kafka 4.3.1 clusters (KRaft, every node a combined broker and controller)
//! on free loopback ports, for the tests of every crate, the benchmarks and `tributary dev`.
//!
//! - [`KafkaDistribution`] fetches the broker's jars (and the JVM peers used by benchmarks)
//!   through Maven into a cache outside git, once per machine.
//! - [`KafkaCluster`] formats storage, starts N nodes with a small heap, waits until metadata
//!   shows every broker, and lets a test `kill` (SIGKILL), `stop` (SIGTERM) and `restart` one.
//!   A cluster is stopped when dropped; node logs stay in its temporary directory and their tails
//!   are printed when a test panics.
//! - [`clients`] has producer/consumer helpers and unique topic and group names for tests.
//! - [`shared_cluster`] gives all the tests of one test binary a single one-broker cluster;
//!   [`shared_three_broker_cluster`] a three-broker one for tests that need replication.
//!
//! - [`SecureKafka`] is a cluster with Strimzi's secured listeners (`SSL` with client
//!   certificates, `SASL_SSL` with SCRAM-SHA-512 and PLAIN, OAUTHBEARER with tokens from an
//!   [`OAuthServer`]), certificates made by `openssl`;
//!   [`TlsFiles`] makes such certificates for other TLS servers (the REST API's HTTPS).
//!
//! - [`Database`] starts real PostgreSQL and MariaDB servers from the machine's Debian
//!   packages; [`shared_postgres`] and [`shared_mariadb`] share one of each per test binary.
//!
//! - [`KubeApiServer`] is a real kube-apiserver and etcd (built from the Go module proxy by
//!   `tests/kubernetes/build.sh`, cached) for the operator's tests; [`shared_kube_api_server`]
//!   shares one per test binary; [`Helm`] is helm v4 with the KEDA and Prometheus Operator
//!   CRDs the chart's optional parts need (`tests/helm/build.sh`).
//!
//! - [`SchemaRegistry`] is a real Schema Registry with Confluent's API (Apicurio's, from Maven
//!   Central); [`PythonEnv`] a cached Python environment with Confluent's own serializers
//!   (`confluent-kafka`) to compare Tributary's converters with.
//!
//! Every JVM and database server the harness starts dies with the process that started it,
//! even on a panic or `kill -9` of the test binary, so a failed run leaves no server behind.

mod certificates;
pub mod clients;
mod cluster;
mod databases;
mod distribution;
mod error;
mod go_build;
mod helm;
mod kubernetes;
mod oauth;
mod python;
mod schema_registry;
mod secure;
mod spawner;

pub use certificates::TlsFiles;
pub use cluster::{shared_cluster, shared_three_broker_cluster, ClusterOptions, KafkaCluster};
pub use databases::{shared_mariadb, shared_postgres, Database, DatabaseKind};
pub use distribution::{ChildProcess, KafkaDistribution, KAFKA_VERSION};
pub use error::HarnessError;
pub use helm::Helm;
pub use kubernetes::{shared_kube_api_server, KubeApiServer};
pub use oauth::{OAuthClient, OAuthServer};
pub use python::PythonEnv;
pub use schema_registry::{shared_schema_registry, SchemaRegistry, ServerCertificate, APICURIO_VERSION};
pub use secure::{
    shared_secure_cluster, with_client_prefixes, SecureKafka, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SASL_PASSWORD,
    SASL_USER, STORE_PASSWORD,
};
