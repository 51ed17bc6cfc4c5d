//! [`AttemptCounter`] on Redis: one counter per push, expiring after its time to live, so every replica knows
//! which of WeChat's attempts it is answering.

use async_trait::async_trait;
use wxgate_store::{AttemptCounter, StoreError};

use crate::RedisStore;
use crate::conn::backend;

#[async_trait]
impl AttemptCounter for RedisStore {
    async fn count_attempt(&self, key: &str, ttl_ms: u64) -> Result<u32, StoreError> {
        let n: u32 = self
            .scripts
            .count_attempt
            .key(self.token_key("attempt", key))
            .arg(ttl_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(n)
    }
}
