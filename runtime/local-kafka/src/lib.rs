//! A local Apache Kafka: real Kafka 4.3.1 clusters (KRaft, every node a combined broker and
//! controller) on free loopback ports, for `tributary dev`, the test harness and the benchmarks.
//!
//! - [`KafkaDistribution`] fetches the broker's jars (and the JVM peers the benchmarks compare
//!   with) through Maven into a cache outside git ([`cache_dir`]), once per machine.
//! - [`KafkaCluster`] formats storage, starts N nodes with a small heap, waits until metadata
//!   shows every broker, and can `kill` (SIGKILL), `stop` (SIGTERM) and `restart` one. A cluster
//!   is stopped when dropped.
//! - [`ChildProcess`] is a process that dies with the process that started it, even on a panic
//!   or `kill -9`, so nothing is left behind; the test harness starts its other servers
//!   (databases, a Kubernetes API server, a Schema Registry) the same way.

mod cluster;
mod distribution;
mod error;
mod spawner;

pub use cluster::{free_ports, ClusterOptions, KafkaCluster};
pub use distribution::{
    cache_dir, require_program, run_quietly, tail, ChildProcess, FileLock, KafkaDistribution, KAFKA_VERSION,
};
pub use error::LocalKafkaError;
