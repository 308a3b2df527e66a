//! The two ways a worker runs, each assembled from the stores, the worker, a herder and the
//! REST API: [`standalone`] (offsets in a file, connectors from the command line or REST) and
//! [`distributed`] (everything in Kafka topics, work shared by a group), with what starting
//! either involves ([`startup`]). The herders themselves live in [`crate::herder`].

pub mod distributed;
pub mod standalone;
pub mod startup;
