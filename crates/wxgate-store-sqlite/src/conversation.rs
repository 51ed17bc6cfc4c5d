//! [`ConversationStore`] on SQLite: one row per user, the turns as JSON.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use wxgate_store::{ConversationStore, StoreError, Turn};

use crate::conn::SqliteStore;
use crate::error::backend;

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn load(&self, account: &str, openid: &str) -> Result<Vec<Turn>, StoreError> {
        let (account, openid) = (account.to_owned(), openid.to_owned());
        self.run(move |c| {
            let json: Option<String> = c
                .query_row(
                    "SELECT turns FROM conversations WHERE account = ?1 AND openid = ?2",
                    params![account, openid],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            match json {
                Some(j) => serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(e.to_string())),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn save(&self, account: &str, openid: &str, turns: &[Turn]) -> Result<(), StoreError> {
        let (account, openid) = (account.to_owned(), openid.to_owned());
        let json = serde_json::to_string(turns).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.run(move |c| {
            c.execute(
                "INSERT INTO conversations (account, openid, turns) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account, openid) DO UPDATE SET turns = excluded.turns",
                params![account, openid, json],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn clear(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        let (account, openid) = (account.to_owned(), openid.to_owned());
        self.run(move |c| {
            c.execute("DELETE FROM conversations WHERE account = ?1 AND openid = ?2", params![account, openid])
                .map(|_| ())
                .map_err(backend)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conforms() {
        wxgate_store::conformance::conversations(&SqliteStore::in_memory().unwrap()).await;
    }
}
