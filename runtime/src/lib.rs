//! The Tributary Connect engine.
//!
//! - [`config`]: `.properties` files, config providers, typed config definitions.
pub mod config;
