//! [`TokenStore`], [`MediaCache`], [`AttemptCounter`], [`WorkClaims`], [`WindowStore`] and [`ReplayGuard`] for the in-memory
//! store: plain maps behind a mutex, with the same rules as every backend (put-if-newer via
//! [`crate::token::replaces`], compare-and-invalidate, expiring leases and counts). The maps themselves are declared with the store, which does not depend on this module.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::memory::{MemoryStore, TokenRow};
use crate::token::replaces;
use crate::{
    AttemptCounter, CachedMedia, Claim, MediaCache, MediaKey, ReplayGuard, StoreError, StoredToken, StoredWindow,
    TokenStore, WindowStore, WorkClaims,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(lock(&self.kv.tokens).get(key).filter(|r| r.invalidated_at_ms.is_none()).map(|r| r.token.clone()))
    }

    async fn put_if_newer(&self, key: &str, token: &StoredToken) -> Result<bool, StoreError> {
        let mut tokens = lock(&self.kv.tokens);
        let old = tokens.get(key).map(|r| (&r.token, r.invalidated_at_ms));
        if !replaces(old, token) {
            return Ok(false);
        }
        tokens.insert(key.to_owned(), TokenRow { token: token.clone(), invalidated_at_ms: None });
        Ok(true)
    }

    async fn invalidate(&self, key: &str, token: &str, now_ms: u64) -> Result<bool, StoreError> {
        Ok(match lock(&self.kv.tokens).get_mut(key) {
            Some(row) if row.invalidated_at_ms.is_none() && row.token.token == token => {
                row.invalidated_at_ms = Some(now_ms);
                true
            }
            _ => false,
        })
    }

    async fn try_lease(&self, key: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<bool, StoreError> {
        let mut leases = lock(&self.kv.leases);
        let free = leases.get(key).is_none_or(|(h, until)| h == holder || *until <= now_ms);
        if free {
            leases.insert(key.to_owned(), (holder.to_owned(), now_ms.saturating_add(ttl_ms)));
        }
        Ok(free)
    }

    async fn release_lease(&self, key: &str, holder: &str) -> Result<(), StoreError> {
        let mut leases = lock(&self.kv.leases);
        if leases.get(key).is_some_and(|(h, _)| h == holder) {
            leases.remove(key);
        }
        Ok(())
    }
}

#[async_trait]
impl MediaCache for MemoryStore {
    async fn get(&self, key: &MediaKey, now_ms: u64) -> Result<Option<CachedMedia>, StoreError> {
        Ok(lock(&self.kv.media).get(key).filter(|m| now_ms < m.expires_at_ms).cloned())
    }

    async fn put(&self, key: &MediaKey, media: &CachedMedia) -> Result<(), StoreError> {
        lock(&self.kv.media).insert(key.clone(), media.clone());
        Ok(())
    }

    async fn remove(&self, key: &MediaKey, media_id: &str) -> Result<bool, StoreError> {
        let mut media = lock(&self.kv.media);
        if media.get(key).is_some_and(|m| m.media_id == media_id) {
            media.remove(key);
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl AttemptCounter for MemoryStore {
    async fn count_attempt(&self, key: &str, ttl_ms: u64) -> Result<u32, StoreError> {
        let now = std::time::Instant::now();
        let mut attempts = lock(&self.kv.attempts);
        attempts.retain(|_, (_, forget_at)| *forget_at > now);
        let (n, _) = attempts.entry(key.to_owned()).or_insert((0, now + std::time::Duration::from_millis(ttl_ms)));
        *n += 1;
        Ok(*n)
    }
}

#[async_trait]
impl WorkClaims for MemoryStore {
    async fn claim(&self, key: &str, owner: &str, lease_ms: u64) -> Result<Claim, StoreError> {
        let now = std::time::Instant::now();
        let mut claims = lock(&self.kv.claims);
        claims.retain(|_, row| {
            row.lease.as_ref().is_some_and(|(_, until)| *until > now)
                || row.result.as_ref().is_some_and(|(_, until)| *until > now)
        });
        let row = claims.entry(key.to_owned()).or_default();
        if let Some((result, _)) = &row.result {
            return Ok(Claim::Finished(result.clone()));
        }
        if let Some((holder, until)) = &row.lease
            && holder != owner
            && *until > now
        {
            return Ok(Claim::Held);
        }
        row.lease = Some((owner.to_owned(), now + std::time::Duration::from_millis(lease_ms)));
        Ok(Claim::Won)
    }

    async fn renew_claims(&self, keys: &[String], owner: &str, lease_ms: u64) -> Result<Vec<bool>, StoreError> {
        let now = std::time::Instant::now();
        let mut claims = lock(&self.kv.claims);
        let renew = |key: &String| match claims.get_mut(key).and_then(|row| row.lease.as_mut()) {
            Some((holder, until)) if holder == owner && *until > now => {
                *until = now + std::time::Duration::from_millis(lease_ms);
                true
            }
            _ => false,
        };
        Ok(keys.iter().map(renew).collect())
    }

    async fn finish_claim(&self, key: &str, owner: &str, result: &str, ttl_ms: u64) -> Result<(), StoreError> {
        let now = std::time::Instant::now();
        let mut claims = lock(&self.kv.claims);
        let row = claims.entry(key.to_owned()).or_default();
        if row.result.as_ref().is_none_or(|(_, until)| *until <= now) {
            row.result = Some((result.to_owned(), now + std::time::Duration::from_millis(ttl_ms)));
        }
        if row.lease.as_ref().is_some_and(|(holder, _)| holder == owner) {
            row.lease = None;
        }
        Ok(())
    }
}

#[async_trait]
impl ReplayGuard for MemoryStore {
    async fn first_body(&self, query: &str, body: &str, ttl_ms: u64) -> Result<bool, StoreError> {
        let now = std::time::Instant::now();
        let mut replays = lock(&self.kv.replays);
        if replays.len() >= 1024 && replays.len().is_power_of_two() {
            // Amortised: a sweep each time the map has doubled.
            replays.retain(|_, (_, forget_at)| *forget_at > now);
        }
        let fresh = (body.to_owned(), now + std::time::Duration::from_millis(ttl_ms));
        let (first, forget_at) = replays.entry(query.to_owned()).or_insert_with(|| fresh.clone());
        if *forget_at <= now {
            (*first, *forget_at) = fresh;
        }
        Ok(first == body)
    }
}

#[async_trait]
impl WindowStore for MemoryStore {
    async fn put_window(&self, account: &str, openid: &str, window: StoredWindow) -> Result<(), StoreError> {
        lock(&self.kv.windows).insert((account.to_owned(), openid.to_owned()), window);
        Ok(())
    }

    async fn window(&self, account: &str, openid: &str) -> Result<Option<StoredWindow>, StoreError> {
        Ok(lock(&self.kv.windows).get(&(account.to_owned(), openid.to_owned())).copied())
    }

    async fn spend(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        if let Some(w) = lock(&self.kv.windows).get_mut(&(account.to_owned(), openid.to_owned())) {
            w.remaining = w.remaining.saturating_sub(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn conforms() {
        let store = MemoryStore::new();
        crate::conformance::token_store(&store).await;
        crate::conformance::media_cache(&store).await;
        crate::conformance::token_store_shared(&store, &store).await;
        crate::conformance::attempt_counter(&store).await;
        crate::conformance::work_claims(&store).await;
        crate::conformance::windows(&store).await;
        crate::conformance::replay_guard(&store).await;
    }
}
