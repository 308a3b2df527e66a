//! The integration tests of the `tributary` package: one test binary, a module per area.
//!
//! One binary links the dependency graph once and lets every area share what the harness starts
//! once per process: the single-broker and three-broker Kafka clusters, the secured cluster, the
//! PostgreSQL and MariaDB servers, the Schema Registry and the Kubernetes API server. Drills
//! that kill brokers or need a cluster to themselves start private ones. Run one area with
//! `cargo test --test integration <module>::`.

mod common;

mod apache_differential;
mod client_settings;
mod config_files;
mod console;
mod ctl;
mod debezium_differential;
mod dev_command;
mod distributed;
mod distributed_apache_compat;
mod distributed_broker_failure;
mod fetch_queue;
mod file_pipeline;
mod header_differential;
mod helm_chart;
mod jdbc_driver_differential;
mod jdbc_sink;
mod jdbc_source;
mod json_differential;
mod kafka_harness;
mod kafka_security;
mod kubernetes_operator;
mod mirror_checkpoint;
mod mirror_dedicated;
mod mirror_source;
mod mirror_volume;
mod parquet_sink;
mod postgres_cdc;
mod rest_api;
mod rest_security;
mod schema_registry;
mod shutdown_bounds;
mod standalone_crash;
mod transform_differential;
