//! The gateway: the accounts of a config, the Rust handlers and the stores, assembled ([`GatewayBuilder`]) and
//! served.
//!
//! [`Gateway::serve`] drives hyper directly with a small path table: the callback path is the hot path of the
//! whole gateway, and a framework router in front of a handful of fixed paths costs a measurable share of it.
//! [`Gateway::into_axum`] exposes the same handlers as an axum router for people who mount wxgate into their own
//! app. Either way the background work (the outbox worker, the recovery of abandoned pushes) runs with it.

mod app;
mod background;
mod builder;
mod connections;
mod health;
mod listen;
mod stores;

pub use app::{Gateway, GatewayError};
pub use builder::GatewayBuilder;
pub use stores::Stores;
