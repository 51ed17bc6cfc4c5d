//! Customer-service windows shared by replicas.
//!
//! A user's message opens a window of 48 hours and 5 customer-service sends (a menu click, follow or scan: one
//! minute and 3). One process tracks them in memory; replicas behind a load balancer must share them: the
//! replica sending an answer is often not the one that received the user's message, and the quota is the
//! user's, not the replica's.

use async_trait::async_trait;

use crate::StoreError;

/// A user's window: until when it is open, and how many sends remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredWindow {
    /// Unix ms when it closes.
    pub until: i64,
    /// Sends left.
    pub remaining: u32,
}

/// Windows per (account, openid), shared by every process using the same store.
#[async_trait]
pub trait WindowStore: Send + Sync + std::fmt::Debug {
    /// Replaces the user's window (a new interaction opened one).
    async fn put_window(&self, account: &str, openid: &str, window: StoredWindow) -> Result<(), StoreError>;
    /// The user's window, open or not; `None` when no interaction is known.
    async fn window(&self, account: &str, openid: &str) -> Result<Option<StoredWindow>, StoreError>;
    /// Counts one send against the user's window (never below zero; nothing when there is none).
    async fn spend(&self, account: &str, openid: &str) -> Result<(), StoreError>;
}
