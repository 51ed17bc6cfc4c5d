//! The access-token store: one current token per key (`appid` + endpoint), shared by every process that uses the
//! same backend, so they use one token instead of each fetching its own (which, for `/cgi-bin/token`, silently
//! invalidates the others' after 5 minutes).
//!
//! Three rules make sharing safe:
//!
//! * **put-if-newer**: a token is stored only if it expires later than the stored one (or the stored one was
//!   invalidated), so a slow process never overwrites a fresher token
//!   (an invalidated token comes back only if obtained after its invalidation);
//! * **compare-and-invalidate**: a caller that saw a token rejected invalidates *that* token only; if another
//!   process already stored a newer one, nothing is lost;
//! * **refresh lease**: before calling the platform a process takes a short lease per key; others wait for the
//!   token to appear instead of refreshing too. The lease expires by itself if its holder dies.
//!
//! Times are Unix milliseconds passed in by the caller, so backends need no clock and tests control time.

use async_trait::async_trait;

use crate::StoreError;

/// A stored access token. `Debug` never shows the token itself.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The access token (≤ 512 chars on the platform).
    pub token: String,
    /// Unix ms when it expires (obtained time + `expires_in`).
    pub expires_at_ms: u64,
    /// Unix ms when it was obtained.
    pub obtained_at_ms: u64,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("token", &format_args!("<{} chars>", self.token.len()))
            .field("expires_at_ms", &self.expires_at_ms)
            .field("obtained_at_ms", &self.obtained_at_ms)
            .finish()
    }
}

/// Shared storage of access tokens.
#[async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The current (not invalidated) token of `key`, expired or not: the caller judges freshness.
    async fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Stores `token` if there is none, if it is a different token expiring later than the stored one, or if the
    /// stored one was invalidated and `token` is a different token or was obtained after the invalidation.
    /// Returns whether it was stored.
    async fn put_if_newer(&self, key: &str, token: &StoredToken) -> Result<bool, StoreError>;

    /// Invalidates the stored token of `key` only if it is `token` (at `now_ms`). Returns whether it was.
    async fn invalidate(&self, key: &str, token: &str, now_ms: u64) -> Result<bool, StoreError>;

    /// Takes the refresh lease of `key` for `holder` until `now_ms + ttl_ms`, if nobody else holds an unexpired
    /// one (the holder may renew its own). Returns whether `holder` holds it now.
    async fn try_lease(&self, key: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<bool, StoreError>;

    /// Gives the lease back if `holder` holds it.
    async fn release_lease(&self, key: &str, holder: &str) -> Result<(), StoreError>;
}

/// The put-if-newer rule shared by every backend: may `new` replace `old`, which was invalidated at
/// `invalidated_at_ms` if that is `Some`?
///
/// An invalidated token comes back only if it was obtained at or after the invalidation: `stable_token` hands out the
/// same token while the platform considers it valid, but a slow process must not write back a token it fetched
/// before someone saw it rejected.
pub fn replaces(old: Option<(&StoredToken, Option<u64>)>, new: &StoredToken) -> bool {
    match old {
        None => true,
        Some((old, None)) => old.token != new.token && new.expires_at_ms > old.expires_at_ms,
        Some((old, Some(invalidated_at_ms))) => old.token != new.token || new.obtained_at_ms >= invalidated_at_ms,
    }
}
