//! [`ConversationStore`] on Redis: one JSON string per user, replaced whole on save.

use async_trait::async_trait;
use redis::AsyncCommands;
use wxgate_store::{ConversationStore, StoreError, Turn};

use crate::RedisStore;
use crate::conn::backend;

#[async_trait]
impl ConversationStore for RedisStore {
    async fn load(&self, account: &str, openid: &str) -> Result<Vec<Turn>, StoreError> {
        let json: Option<String> = self.conn().get(self.conversation_key(account, openid)).await.map_err(backend)?;
        match json {
            Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("conversation: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    async fn save(&self, account: &str, openid: &str, turns: &[Turn]) -> Result<(), StoreError> {
        let json = serde_json::to_string(turns).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn().set::<_, _, ()>(self.conversation_key(account, openid), json).await.map_err(backend)
    }

    async fn clear(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        self.conn().del::<_, ()>(self.conversation_key(account, openid)).await.map_err(backend)
    }
}
