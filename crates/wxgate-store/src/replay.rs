//! Which body came with each signed query, shared by the processes using the same store.
//!
//! In plaintext mode WeChat's signature covers the token, the timestamp and the nonce — not the body. Someone who
//! saw one push could send its query again, within the timestamp window, with a body of their own. WeChat's own
//! retries repeat the body, so a query may come back only with the body it first came with; replicas behind a load
//! balancer must agree on that first body, so they keep it here.

use async_trait::async_trait;

use crate::StoreError;

/// The first body of each signed query, for the timestamp window.
#[async_trait]
pub trait ReplayGuard: Send + Sync + std::fmt::Debug {
    /// Records that the body `body` (a hash of it) came with the signed query `query` (a hash of its signature,
    /// timestamp and nonce), remembered for `ttl_ms`. True when it is the first body seen with that query, or the
    /// same body again (a retry); false when another body came with it first (a replay).
    async fn first_body(&self, query: &str, body: &str, ttl_ms: u64) -> Result<bool, StoreError>;
}
