//! [`MediaCache`] on Redis: a hash per (account, media type, content hash); expiry is judged against the
//! caller's clock, like every backend.

use async_trait::async_trait;
use redis::AsyncCommands;
use wxgate_store::{CachedMedia, MediaCache, MediaKey, StoreError};

use crate::RedisStore;
use crate::conn::backend;

#[async_trait]
impl MediaCache for RedisStore {
    async fn get(&self, key: &MediaKey, now_ms: u64) -> Result<Option<CachedMedia>, StoreError> {
        let (media_id, expires): (Option<String>, Option<u64>) =
            self.conn().hget(self.media_key(key), &["media_id", "expires_at_ms"]).await.map_err(backend)?;
        Ok(match (media_id, expires) {
            (Some(media_id), Some(expires_at_ms)) if now_ms < expires_at_ms => {
                Some(CachedMedia { media_id, expires_at_ms })
            }
            _ => None,
        })
    }

    async fn put(&self, key: &MediaKey, media: &CachedMedia) -> Result<(), StoreError> {
        let fields = [("media_id", media.media_id.clone()), ("expires_at_ms", media.expires_at_ms.to_string())];
        self.conn().hset_multiple::<_, _, _, ()>(self.media_key(key), &fields).await.map_err(backend)
    }

    async fn remove(&self, key: &MediaKey, media_id: &str) -> Result<bool, StoreError> {
        let removed: i64 = self
            .scripts
            .media_remove
            .key(self.media_key(key))
            .arg(media_id)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(removed == 1)
    }
}
