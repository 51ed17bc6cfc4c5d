//! The access-token manager: cached, refreshed before expiry, single-flight, shared.
//!
//! * **Fast path**: a token in memory that is fresh (`now + margin < expiry`) is used without any IO.
//! * **Single-flight in the process**: callers that find no fresh token queue on one async mutex; the first
//!   refreshes, the rest find its token when they get the mutex. 100 concurrent callers cause one refresh.
//! * **Shared across processes**: before the platform, the [`TokenStore`]; a process that must refresh takes the
//!   store's refresh lease, so another process on the same store waits for the token instead of fetching its own
//!   (`/cgi-bin/token` invalidates the previous token after 5 minutes). The token is stored put-if-newer.
//! * **Invalidation**: [`TokenManager::invalidate`] removes exactly the token a rejected call used, locally and
//!   in the store (compare-and-invalidate), so a newer token another caller already stored is kept.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::Value;
use wxgate_proto::errcode::RetryClass;
use wxgate_store::{StoredToken, TokenStore};

use crate::error::errcode_of;
use crate::{ClientError, Clock, RetryPolicy, Secret, TokenEndpoint};

/// Where the token handed out came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// This process's memory.
    Memory,
    /// The shared store (another process, or an earlier run, fetched it).
    Store,
    /// Fetched from the platform just now.
    Platform,
}

/// A token with its provenance. `Debug` never shows the token.
#[derive(Clone)]
pub struct TokenInfo {
    /// The access token.
    pub token: String,
    /// Unix ms when it expires.
    pub expires_at_ms: u64,
    /// Where it came from.
    pub source: TokenSource,
}

impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo")
            .field("token", &"<redacted>")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("source", &self.source)
            .finish()
    }
}

/// How the manager reaches the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct TokenSettings {
    pub api_base: String,
    pub appid: String,
    pub secret: Secret,
    pub endpoint: TokenEndpoint,
    pub margin: Duration,
    pub lease: Duration,
    pub poll: Duration,
    pub retry: RetryPolicy,
    pub timeout: Duration,
}

/// Manages one account's access token (see the module doc).
#[derive(Debug)]
pub struct TokenManager {
    settings: TokenSettings,
    http: reqwest::Client,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    key: String,
    holder: String,
    local: RwLock<Option<StoredToken>>,
    refresh: tokio::sync::Mutex<()>,
    /// Told where each newly adopted token came from (the shared store or the platform).
    observer: Option<TokenObserver>,
}

/// Called with the source of every token this process adopts anew (from the shared store or the platform; not
/// for the memory hits in between): how a gateway counts token refreshes.
#[derive(Clone)]
pub(crate) struct TokenObserver(pub(crate) Arc<dyn Fn(TokenSource) + Send + Sync>);

impl std::fmt::Debug for TokenObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenObserver")
    }
}

impl TokenManager {
    pub(crate) fn new(
        settings: TokenSettings,
        http: reqwest::Client,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        observer: Option<TokenObserver>,
    ) -> TokenManager {
        let key = format!("token:{}:{}", settings.appid, settings.endpoint.as_str());
        let holder = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        TokenManager {
            settings,
            http,
            store,
            clock,
            key,
            holder,
            local: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            observer,
        }
    }

    /// The key of this account's token in the store (`token:<appid>:<stable|classic>`; also the lease key).
    pub fn store_key(&self) -> &str {
        &self.key
    }

    fn fresh(&self, t: &StoredToken) -> bool {
        self.clock.now_ms().saturating_add(self.settings.margin.as_millis() as u64) < t.expires_at_ms
    }

    fn local_fresh(&self) -> Option<StoredToken> {
        let local = self.local.read().unwrap_or_else(|e| e.into_inner());
        local.as_ref().filter(|t| self.fresh(t)).cloned()
    }

    fn adopt(&self, t: &StoredToken, source: TokenSource) -> TokenInfo {
        *self.local.write().unwrap_or_else(|e| e.into_inner()) = Some(t.clone());
        if let Some(observe) = &self.observer {
            (observe.0)(source);
        }
        TokenInfo { token: t.token.clone(), expires_at_ms: t.expires_at_ms, source }
    }

    /// A fresh token: from memory, the shared store, or the platform (see the module doc).
    pub async fn token(&self) -> Result<TokenInfo, ClientError> {
        let info =
            |t: StoredToken| TokenInfo { token: t.token, expires_at_ms: t.expires_at_ms, source: TokenSource::Memory };
        if let Some(t) = self.local_fresh() {
            return Ok(info(t));
        }
        let _flight = self.refresh.lock().await;
        if let Some(t) = self.local_fresh() {
            return Ok(info(t));
        }
        let lease_ms = self.settings.lease.as_millis() as u64;
        let give_up = self.clock.now_ms().saturating_add(lease_ms.saturating_mul(3));
        loop {
            if let Some(t) = self.store.get(&self.key).await?.filter(|t| self.fresh(t)) {
                return Ok(self.adopt(&t, TokenSource::Store));
            }
            let now = self.clock.now_ms();
            if self.store.try_lease(&self.key, &self.holder, now, lease_ms).await? {
                let result = self.refresh_holding_lease().await;
                if let Err(e) = self.store.release_lease(&self.key, &self.holder).await {
                    // The lease expires by itself; the token we hold is still good.
                    tracing::warn!(error = %e, "could not release the token refresh lease");
                }
                return result;
            }
            if now >= give_up {
                return Err(ClientError::TokenWaitTimeout);
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    async fn refresh_holding_lease(&self) -> Result<TokenInfo, ClientError> {
        // Someone may have stored a token between our look and the lease.
        if let Some(t) = self.store.get(&self.key).await?.filter(|t| self.fresh(t)) {
            return Ok(self.adopt(&t, TokenSource::Store));
        }
        let fetched = self.fetch_with_retry().await?;
        self.store.put_if_newer(&self.key, &fetched).await?;
        // Hand out what the store holds now (a newer token may have won), else what we fetched.
        match self.store.get(&self.key).await?.filter(|t| self.fresh(t) && t.token != fetched.token) {
            Some(newer) => Ok(self.adopt(&newer, TokenSource::Store)),
            None => Ok(self.adopt(&fetched, TokenSource::Platform)),
        }
    }

    /// Forgets `used` (the token a call was rejected with) here and in the store, only if it is still current.
    pub async fn invalidate(&self, used: &str) -> Result<bool, ClientError> {
        {
            let mut local = self.local.write().unwrap_or_else(|e| e.into_inner());
            if local.as_ref().is_some_and(|t| t.token == used) {
                *local = None;
            }
        }
        Ok(self.store.invalidate(&self.key, used, self.clock.now_ms()).await?)
    }

    async fn fetch_with_retry(&self) -> Result<StoredToken, ClientError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fetch().await {
                Ok(t) => return Ok(t),
                Err(e) if e.retry_class() == RetryClass::Backoff && attempt < self.settings.retry.max_attempts => {
                    tokio::time::sleep(self.settings.retry.delay(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One request to the token endpoint.
    async fn fetch(&self) -> Result<StoredToken, ClientError> {
        let s = &self.settings;
        let obtained_at_ms = self.clock.now_ms();
        let req = match s.endpoint {
            TokenEndpoint::Classic => {
                let url = format!("{}/cgi-bin/token", s.api_base);
                let query = [("grant_type", "client_credential"), ("appid", &s.appid), ("secret", s.secret.expose())];
                self.http.get(url).query(&query)
            }
            TokenEndpoint::Stable => {
                let url = format!("{}/cgi-bin/stable_token", s.api_base);
                let body = serde_json::json!({
                    "grant_type": "client_credential",
                    "appid": s.appid,
                    "secret": s.secret.expose(),
                    "force_refresh": false,
                });
                self.http.post(url).json(&body)
            }
        };
        let network = |e| match ClientError::network(e) {
            ClientError::Network(m) => ClientError::Network(format!("token endpoint: {m}")),
            other => other,
        };
        let resp = req.timeout(s.timeout).send().await.map_err(network)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(network)?;
        if !status.is_success() {
            return Err(ClientError::HttpStatus(status.as_u16()));
        }
        if let Some((code, errmsg)) = errcode_of(&body) {
            return Err(ClientError::TokenRefused { code, errmsg });
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| ClientError::Decode(format!("token answer: {e}")))?;
        let token = v.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty());
        let expires_in = v.get("expires_in").and_then(Value::as_u64);
        match (token, expires_in) {
            (Some(token), Some(expires_in)) => Ok(StoredToken {
                token: token.to_owned(),
                expires_at_ms: obtained_at_ms.saturating_add(expires_in.saturating_mul(1000)),
                obtained_at_ms,
            }),
            _ => Err(ClientError::Decode("token answer without access_token/expires_in".into())),
        }
    }
}
