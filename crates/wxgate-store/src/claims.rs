//! Who works out the answer to a push when several replicas receive its attempts.
//!
//! WeChat retries a push it got no answer to within 5 seconds, and a load balancer may send the retry to another
//! replica. Without a shared claim that replica would start the work again (a second model call, two answers
//! racing for one slot). The first replica to see a push claims it with a lease it renews while the work runs;
//! any other replica that receives an attempt finds the claim held and waits for the result recorded here. A
//! claim whose lease ran out (its replica died) is taken over by the next replica that asks.

use async_trait::async_trait;

use crate::StoreError;

/// Where a push's claim stands, as seen by the replica asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The asking owner holds the claim now (nobody held it, its lease ran out, or the owner already held it):
    /// it runs the work.
    Won,
    /// Another owner holds a live lease: its work is running.
    Held,
    /// The work finished; the result as its owner recorded it.
    Finished(String),
}

/// Claims on pushes, shared by every process using the same store. Leases and results expire on the store's
/// own clock, so replicas' clocks need not agree.
#[async_trait]
pub trait WorkClaims: Send + Sync + std::fmt::Debug {
    /// Claims `key` for `owner` for `lease_ms`, unless another owner holds a live lease or a result is recorded.
    async fn claim(&self, key: &str, owner: &str, lease_ms: u64) -> Result<Claim, StoreError>;

    /// Extends `owner`'s leases on `keys` to `lease_ms` from now, all in one call (a replica renews every claim
    /// it holds at once); for each key, false when the owner no longer holds it.
    async fn renew_claims(&self, keys: &[String], owner: &str, lease_ms: u64) -> Result<Vec<bool>, StoreError>;

    /// Records the work's `result` (kept `ttl_ms`) and ends `owner`'s lease. A result is recorded once: a later
    /// one (from a replica that took over) leaves the first in place.
    async fn finish_claim(&self, key: &str, owner: &str, result: &str, ttl_ms: u64) -> Result<(), StoreError>;
}
