//! [`MediaCache`] on SQLite: one row per (account, content hash, media type).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use wxgate_store::{CachedMedia, MediaCache, MediaKey, StoreError};

use crate::conn::SqliteStore;
use crate::error::backend;

#[async_trait]
impl MediaCache for SqliteStore {
    async fn get(&self, key: &MediaKey, now_ms: u64) -> Result<Option<CachedMedia>, StoreError> {
        let key = key.clone();
        self.run(move |c| {
            c.query_row(
                "SELECT media_id, expires_at FROM media_cache
                 WHERE account = ?1 AND content_hash = ?2 AND media_type = ?3 AND expires_at > ?4",
                params![key.account, key.content_hash, key.media_type, i64::try_from(now_ms).unwrap_or(i64::MAX)],
                |r| Ok(CachedMedia { media_id: r.get(0)?, expires_at_ms: r.get::<_, i64>(1)?.max(0) as u64 }),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn put(&self, key: &MediaKey, media: &CachedMedia) -> Result<(), StoreError> {
        let (key, media) = (key.clone(), media.clone());
        self.run(move |c| {
            c.execute(
                "INSERT INTO media_cache (account, content_hash, media_type, media_id, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, content_hash, media_type) DO UPDATE SET media_id = ?4, expires_at = ?5",
                params![
                    key.account,
                    key.content_hash,
                    key.media_type,
                    media.media_id,
                    i64::try_from(media.expires_at_ms).unwrap_or(i64::MAX)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn remove(&self, key: &MediaKey, media_id: &str) -> Result<bool, StoreError> {
        let (key, media_id) = (key.clone(), media_id.to_owned());
        self.run(move |c| {
            let n = c
                .execute(
                    "DELETE FROM media_cache WHERE account = ?1 AND content_hash = ?2 AND media_type = ?3 AND media_id = ?4",
                    params![key.account, key.content_hash, key.media_type, media_id],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }
}
