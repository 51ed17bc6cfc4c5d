//! [`WindowStore`] on Redis: a hash per user, kept a little longer than the longest window (48 hours).

use std::collections::HashMap;

use async_trait::async_trait;
use redis::AsyncCommands;
use wxgate_store::{StoreError, StoredWindow, WindowStore};

use crate::RedisStore;
use crate::conn::backend;

/// How long a window's key lives after it was opened: the 48-hour window and a day more.
const KEEP_SECS: i64 = 72 * 3600;

#[async_trait]
impl WindowStore for RedisStore {
    async fn put_window(&self, account: &str, openid: &str, window: StoredWindow) -> Result<(), StoreError> {
        let key = self.window_key(account, openid);
        let fields = [("until", window.until.to_string()), ("remaining", window.remaining.to_string())];
        redis::pipe()
            .atomic()
            .del(&key)
            .ignore()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(&key, KEEP_SECS)
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(backend)
    }

    async fn window(&self, account: &str, openid: &str) -> Result<Option<StoredWindow>, StoreError> {
        let f: HashMap<String, i64> = self.conn().hgetall(self.window_key(account, openid)).await.map_err(backend)?;
        match (f.get("until"), f.get("remaining")) {
            (Some(&until), Some(&remaining)) => {
                Ok(Some(StoredWindow { until, remaining: u32::try_from(remaining.max(0)).unwrap_or(0) }))
            }
            _ => Ok(None),
        }
    }

    async fn spend(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .scripts
            .spend
            .key(self.window_key(account, openid))
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
