//! Configuration: a TOML file, overridden key by key from `WXGATE_…` environment variables, then resolved.
//!
//! Two stages: the raw config is plain serde data with every default written down (no IO, no validation beyond
//! types), and [`load`] / [`load_str`] turn it into a typed, validated [`Config`] ([`Account`](crate::Account)s,
//! durations, compiled rules). A mistake is reported with the key that holds it and how to fix it
//! ([`ConfigError`]).

mod env;
mod error;
mod limits;
mod raw;
mod resolve;
mod rule;
mod store;
#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use limits::Limits;
pub use resolve::{Config, DEFAULT_CONFIG, load, load_str};
pub use store::{RedisUrl, StoreChoice};
