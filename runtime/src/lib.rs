//! The Tributary Connect engine.
//!
//! - [`config`]: `.properties` files, config providers, typed config definitions.
//! - [`client`]: Kafka client settings in the Java clients' names, translated to librdkafka's.
//! - [`data`]: schemas, values and records (the Connect data model).
//! - [`converter`]: Connect values to Kafka bytes and back.
//! - [`transforms`]: single message transformations and predicates.
//! - [`connector`]: the API connectors implement.
//! - [`plugins`]: the registry of connectors, converters, transforms and predicates.
//! - [`worker`]: runs connectors and their task loops.
//! - [`herder`]: owns connector configs and target states; standalone and distributed.
//! - [`storage`]: offsets and statuses.
//! - [`metrics`]: Prometheus metrics.
//! - [`clock`]: the wall clock in milliseconds since the epoch.
//! - [`progress`]: progress of long work (snapshots, bulk loads), logged and exported.
//! - [`rest`]: the Kafka-Connect-compatible REST API.
//! - [`mode`]: standalone and distributed mode assembled (stores + worker + herder + REST), and
//!   what starting either involves.

pub mod client;
pub mod clock;
pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error_chain;
pub mod herder;
pub mod metrics;
pub mod mode;
pub mod plugins;
pub mod progress;
pub mod rest;
pub mod state;
pub mod storage;
pub mod transforms;
pub mod worker;
