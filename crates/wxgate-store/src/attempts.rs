//! Counting WeChat's attempts at one push across processes.
//!
//! WeChat sends a push up to three times; only the last attempt may give up waiting and hand the answer to the
//! outbox, earlier ones stay silent so that WeChat retries. A process knows which attempt it sees by counting
//! the ones it received — which is wrong behind a load balancer that spreads one push's attempts over several
//! replicas: none of them would see a third attempt, none would hand the answer over, and the user would get
//! the platform's 「该公众号暂时无法提供服务」. Replicas sharing a store count attempts there instead.

use async_trait::async_trait;

use crate::StoreError;

/// Attempt numbers shared by every process using the same store.
#[async_trait]
pub trait AttemptCounter: Send + Sync + std::fmt::Debug {
    /// Counts one more attempt at the push `key` and returns its number (1 for the first). The count is
    /// forgotten `ttl_ms` after the first attempt (longer than all of a push's attempts take).
    async fn count_attempt(&self, key: &str, ttl_ms: u64) -> Result<u32, StoreError>;
}
