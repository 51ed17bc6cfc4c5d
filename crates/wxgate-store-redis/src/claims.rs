//! [`WorkClaims`] on Redis: a push's lease is a key holding its owner, expiring with the lease; its result is
//! another key, expiring after its time to live. Expiry runs on the server's clock, so replicas' clocks need not
//! agree.

use async_trait::async_trait;
use redis::Value;
use wxgate_store::{Claim, StoreError, WorkClaims};

use crate::RedisStore;
use crate::conn::backend;

/// Claims renewed per script call.
const RENEW_CHUNK: usize = 500;

impl RedisStore {
    fn claim_keys(&self, key: &str) -> (String, String) {
        (self.token_key("claim", key), self.token_key("claimed", key))
    }
}

#[async_trait]
impl WorkClaims for RedisStore {
    async fn claim(&self, key: &str, owner: &str, lease_ms: u64) -> Result<Claim, StoreError> {
        let (lease, result) = self.claim_keys(key);
        let answer: Vec<Value> = self
            .scripts
            .work_claim
            .key(lease)
            .key(result)
            .arg(owner)
            .arg(lease_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        match answer.as_slice() {
            [Value::Int(0)] => Ok(Claim::Won),
            [Value::Int(1)] => Ok(Claim::Held),
            [Value::Int(2), Value::BulkString(result)] => {
                Ok(Claim::Finished(String::from_utf8_lossy(result).into_owned()))
            }
            other => Err(StoreError::Corrupt(format!("unexpected answer to a claim: {other:?}"))),
        }
    }

    async fn renew_claims(&self, keys: &[String], owner: &str, lease_ms: u64) -> Result<Vec<bool>, StoreError> {
        let mut renewed = Vec::with_capacity(keys.len());
        // A bounded number of keys per call, so one call never holds the server long.
        for chunk in keys.chunks(RENEW_CHUNK) {
            let mut invocation = self.scripts.work_renew.prepare_invoke();
            for key in chunk {
                invocation.key(self.claim_keys(key).0);
            }
            let these: Vec<i64> =
                invocation.arg(owner).arg(lease_ms).invoke_async(&mut self.conn()).await.map_err(backend)?;
            renewed.extend(these.into_iter().map(|r| r == 1));
        }
        Ok(renewed)
    }

    async fn finish_claim(&self, key: &str, owner: &str, result: &str, ttl_ms: u64) -> Result<(), StoreError> {
        let (lease, done) = self.claim_keys(key);
        let _: i64 = self
            .scripts
            .work_finish
            .key(lease)
            .key(done)
            .arg(owner)
            .arg(result)
            .arg(ttl_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
