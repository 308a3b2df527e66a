//! The distributed herder: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in Kafka topics, and split the
//! connectors and tasks between them. Kafka is the whole coordination engine, as for Apache
//! Kafka Connect: no consensus of our own, no external store.

mod assignor;
mod connection;
mod group;
mod herder;
mod protocol;
mod settings;
mod transport;

pub use herder::DistributedHerder;

pub use settings::DistributedSettings;
