//! Conversations with a language model, per user (account + openid), so the model sees earlier turns.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Turn {
    /// A turn.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Turn { role: role.to_owned(), content: content.into() }
    }
}

/// Storage of conversations.
#[async_trait]
pub trait ConversationStore: Send + Sync + std::fmt::Debug {
    /// The user's conversation, oldest first (empty when none).
    async fn load(&self, account: &str, openid: &str) -> Result<Vec<Turn>, StoreError>;
    /// Replaces the user's conversation (the caller trims it to its budget first).
    async fn save(&self, account: &str, openid: &str, turns: &[Turn]) -> Result<(), StoreError>;
    /// Forgets the user's conversation.
    async fn clear(&self, account: &str, openid: &str) -> Result<(), StoreError>;
}
