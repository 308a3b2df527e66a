//! The Tributary Connect engine.
//!
//! - [`config`]: `.properties` files, config providers, typed config definitions.
//! - [`data`]: schemas, values and records (the Connect data model).
//! - [`converter`]: Connect values to Kafka bytes and back.
//! - [`transforms`]: single message transformations and predicates.
//! - [`connector`]: the API connectors implement.
//! - [`plugins`]: the registry of connectors, converters, transforms and predicates.

pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod plugins;
pub mod transforms;
