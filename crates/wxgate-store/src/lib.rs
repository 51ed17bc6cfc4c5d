//! Storage for wxgate: small capability traits, an in-memory implementation, and a conformance suite.
//!
//! Each trait is one capability (the outbox of late answers, shared access tokens, the media cache, …) so a backend implements only what it stores,
//! and the server holds them as `Arc<dyn …>` without knowing the backend. Every backend — in memory, SQLite,
//! Redis — runs the same `conformance` functions in its tests, so they behave alike.
//!
//! The `conformance` module is test code: it exists only with the `testing` feature (which backends enable in
//! their `[dev-dependencies]`), so the default build does not carry it.

pub mod attempts;
pub mod claims;
#[cfg(any(test, feature = "testing"))]
pub mod conformance;
pub mod conversation;
pub mod error;
pub mod media;
pub mod memory;
mod memory_kv;
pub mod outbox;
pub mod replay;
pub mod token;
pub mod window;

pub use attempts::AttemptCounter;
pub use claims::{Claim, WorkClaims};
pub use conversation::{ConversationStore, Turn};
pub use error::StoreError;
pub use media::{CachedMedia, MediaCache, MediaKey};
pub use outbox::{Job, JobState, Lease, NewJob, OutboxCounts, OutboxStore};
pub use replay::ReplayGuard;
pub use token::{StoredToken, TokenStore};
pub use window::{StoredWindow, WindowStore};
