//! [`TokenStore`] on SQLite: one row per key (with the time it was invalidated, so an invalidated token is not
//! brought back by a slow writer), and a lease table. Each read-modify-write is one `BEGIN IMMEDIATE`
//! transaction or a single conditional statement, so two processes on the same file apply put-if-newer and the
//! lease atomically.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use wxgate_store::token::replaces;
use wxgate_store::{StoreError, StoredToken, TokenStore};

use crate::conn::SqliteStore;
use crate::error::backend;

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn read(tx: &rusqlite::Connection, key: &str) -> Result<Option<(StoredToken, Option<u64>)>, StoreError> {
    let sql = "SELECT token, expires_at, obtained_at, invalidated_at FROM access_token WHERE key = ?1";
    tx.query_row(sql, [key], |r| {
        let t = StoredToken {
            token: r.get(0)?,
            expires_at_ms: r.get::<_, i64>(1)?.max(0) as u64,
            obtained_at_ms: r.get::<_, i64>(2)?.max(0) as u64,
        };
        Ok((t, r.get::<_, Option<i64>>(3)?.map(|v| v.max(0) as u64)))
    })
    .optional()
    .map_err(backend)
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError> {
        let key = key.to_owned();
        self.run(move |c| Ok(read(c, &key)?.filter(|(_, invalidated)| invalidated.is_none()).map(|(t, _)| t))).await
    }

    async fn put_if_newer(&self, key: &str, token: &StoredToken) -> Result<bool, StoreError> {
        let (key, token) = (key.to_owned(), token.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let old = read(&tx, &key)?;
            if !replaces(old.as_ref().map(|(t, inv)| (t, *inv)), &token) {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO access_token (key, token, expires_at, obtained_at, invalidated_at) VALUES (?1, ?2, ?3, ?4, NULL)
                 ON CONFLICT (key) DO UPDATE SET token = ?2, expires_at = ?3, obtained_at = ?4, invalidated_at = NULL",
                params![key, token.token, ms(token.expires_at_ms), ms(token.obtained_at_ms)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn invalidate(&self, key: &str, token: &str, now_ms: u64) -> Result<bool, StoreError> {
        let (key, token) = (key.to_owned(), token.to_owned());
        self.run(move |c| {
            let n = c
                .execute(
                    "UPDATE access_token SET invalidated_at = ?3 WHERE key = ?1 AND token = ?2 AND invalidated_at IS NULL",
                    params![key, token, ms(now_ms)],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn try_lease(&self, key: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<bool, StoreError> {
        let (key, holder) = (key.to_owned(), holder.to_owned());
        self.run(move |c| {
            let n = c
                .execute(
                    "INSERT INTO token_lease (key, holder, until) VALUES (?1, ?2, ?4)
                     ON CONFLICT (key) DO UPDATE SET holder = ?2, until = ?4
                     WHERE token_lease.holder = ?2 OR token_lease.until <= ?3",
                    params![key, holder, ms(now_ms), ms(now_ms.saturating_add(ttl_ms))],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_lease(&self, key: &str, holder: &str) -> Result<(), StoreError> {
        let (key, holder) = (key.to_owned(), holder.to_owned());
        self.run(move |c| {
            c.execute("DELETE FROM token_lease WHERE key = ?1 AND holder = ?2", [&key, &holder]).map_err(backend)?;
            Ok(())
        })
        .await
    }
}
