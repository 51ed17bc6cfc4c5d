//! The SQLite backend: the embedded default, one file, durable (WAL), shared safely by several processes on one
//! machine (every multi-step change is one `BEGIN IMMEDIATE` transaction).
//!
//! rusqlite is blocking, so every call runs on tokio's blocking pool.

mod checkpoint;
mod conn;
mod conversation;
mod error;
mod group;
mod media;
mod outbox;
mod schema;
mod token;

pub use conn::{Durability, SqliteStore};
