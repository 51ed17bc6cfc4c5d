//! [`ReplayGuard`] on Redis: the first body of each signed query, kept with an expiry, so every replica refuses a
//! replayed query with another body.

use async_trait::async_trait;
use wxgate_store::{ReplayGuard, StoreError};

use crate::RedisStore;
use crate::conn::backend;

#[async_trait]
impl ReplayGuard for RedisStore {
    async fn first_body(&self, query: &str, body: &str, ttl_ms: u64) -> Result<bool, StoreError> {
        let first: i64 = self
            .scripts
            .first_body
            .key(self.token_key("replay", query))
            .arg(body)
            .arg(ttl_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(first == 1)
    }
}
