//! The media cache: which `media_id` a file already has on the platform, so the same file is uploaded once and
//! uploaded again only after its temporary life (3 days) runs out.
//!
//! The key is the account, the file's content hash and the media type — the same bytes uploaded as `image` and
//! as `thumb` are different media. The expiry stored is the one to act on (the caller subtracts its margin).

use async_trait::async_trait;

use crate::StoreError;

/// What identifies one cached upload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaKey {
    /// The account (appid, or the Cloud Hosting `from_appid`).
    pub account: String,
    /// Hex SHA-256 of the file's bytes.
    pub content_hash: String,
    /// `image`, `voice`, `video` or `thumb`.
    pub media_type: String,
}

/// A cached upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMedia {
    /// The platform's media id.
    pub media_id: String,
    /// Unix ms from which the entry no longer counts.
    pub expires_at_ms: u64,
}

/// Storage of uploaded media ids.
#[async_trait]
pub trait MediaCache: Send + Sync + std::fmt::Debug {
    /// The entry of `key` if it has not expired at `now_ms`.
    async fn get(&self, key: &MediaKey, now_ms: u64) -> Result<Option<CachedMedia>, StoreError>;

    /// Stores (or replaces) the entry of `key`.
    async fn put(&self, key: &MediaKey, media: &CachedMedia) -> Result<(), StoreError>;

    /// Forgets `key` only if it still maps to `media_id` (after the platform rejected it, e.g. 40007).
    async fn remove(&self, key: &MediaKey, media_id: &str) -> Result<bool, StoreError>;
}
