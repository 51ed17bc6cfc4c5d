//! [`TokenStore`] on Redis: a hash per token key and one per refresh lease; put-if-newer, compare-and-invalidate
//! and the lease are scripts, so replicas sharing the server share one token safely.

use std::collections::HashMap;

use async_trait::async_trait;
use redis::AsyncCommands;
use wxgate_store::{StoreError, StoredToken, TokenStore};

use crate::RedisStore;
use crate::conn::backend;

/// How long an abandoned lease key stays in Redis beyond its own term (only housekeeping: the lease's term is
/// judged by the caller's clock, stored in the key).
const LEASE_KEEP_MS: u64 = 60_000;

fn number(f: &HashMap<String, String>, name: &str) -> Result<u64, StoreError> {
    f.get(name)
        .ok_or_else(|| StoreError::Corrupt(format!("token field {name} is missing")))?
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("token field {name} is not a number")))
}

#[async_trait]
impl TokenStore for RedisStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError> {
        let f: HashMap<String, String> = self.conn().hgetall(self.token_key("token", key)).await.map_err(backend)?;
        if f.is_empty() || f.contains_key("invalidated_at_ms") {
            return Ok(None);
        }
        Ok(Some(StoredToken {
            token: f.get("token").cloned().unwrap_or_default(),
            expires_at_ms: number(&f, "expires_at_ms")?,
            obtained_at_ms: number(&f, "obtained_at_ms")?,
        }))
    }

    async fn put_if_newer(&self, key: &str, token: &StoredToken) -> Result<bool, StoreError> {
        let stored: i64 = self
            .scripts
            .token_put
            .key(self.token_key("token", key))
            .arg(&token.token)
            .arg(token.expires_at_ms)
            .arg(token.obtained_at_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(stored == 1)
    }

    async fn invalidate(&self, key: &str, token: &str, now_ms: u64) -> Result<bool, StoreError> {
        let done: i64 = self
            .scripts
            .token_invalidate
            .key(self.token_key("token", key))
            .arg(token)
            .arg(now_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(done == 1)
    }

    async fn try_lease(&self, key: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<bool, StoreError> {
        let held: i64 = self
            .scripts
            .lease_try
            .key(self.token_key("lease", key))
            .arg(holder)
            .arg(now_ms)
            .arg(now_ms.saturating_add(ttl_ms))
            .arg(ttl_ms.saturating_add(LEASE_KEEP_MS))
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(held == 1)
    }

    async fn release_lease(&self, key: &str, holder: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .scripts
            .lease_release
            .key(self.token_key("lease", key))
            .arg(holder)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
