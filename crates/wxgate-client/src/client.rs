//! The [`Client`] handle and its builder: the HTTP client, the token manager (unless in Cloud Hosting mode), the
//! token store, the media cache and the clock. Cloning is cheap and shares everything.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;
use sha2::{Digest, Sha256};
use wxgate_store::memory::MemoryStore;
use wxgate_store::{CachedMedia, MediaCache, MediaKey, TokenStore};

use crate::http::{Call, Payload, Transport};
use crate::media::{
    CacheOutcome, DownloadedMedia, MEDIA_LIFETIME_MS, MediaType, Progress, UploadedMedia, download, upload, validate,
};
use crate::token::TokenSettings;
use crate::{Auth, ClientConfig, ClientError, Clock, SystemClock, TokenInfo, TokenManager};

/// Builds a [`Client`]; without explicit stores both live in this process's memory.
#[derive(Debug)]
pub struct ClientBuilder {
    config: ClientConfig,
    token_store: Option<Arc<dyn TokenStore>>,
    media_cache: Option<Arc<dyn MediaCache>>,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    observer: Option<crate::token::TokenObserver>,
}

impl ClientBuilder {
    /// Shares tokens through this store (e.g. SQLite on one machine, Redis across machines).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// Remembers uploads in this cache.
    pub fn media_cache(mut self, cache: Arc<dyn MediaCache>) -> Self {
        self.media_cache = Some(cache);
        self
    }

    /// Reads time from this clock instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls `observe` with the source of every access token adopted anew (the shared store, or the platform
    /// when this process refreshed it), e.g. to count refreshes.
    pub fn on_token(mut self, observe: impl Fn(crate::TokenSource) + Send + Sync + 'static) -> Self {
        self.observer = Some(crate::token::TokenObserver(Arc::new(observe)));
        self
    }

    /// Uses this HTTP client (shared connection pool, proxy settings…).
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, ClientError> {
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder().build().map_err(|e| ClientError::Config(e.without_url().to_string()))?,
        };
        let memory = Arc::new(MemoryStore::new());
        let cfg = &self.config;
        let tokens = match &cfg.auth {
            Auth::AccessToken { appid, secret, endpoint } => {
                let settings = TokenSettings {
                    api_base: cfg.api_base.clone(),
                    appid: appid.clone(),
                    secret: secret.clone(),
                    endpoint: *endpoint,
                    margin: cfg.token_refresh_margin,
                    lease: cfg.token_lease,
                    poll: cfg.token_poll,
                    retry: cfg.retry,
                    timeout: cfg.request_timeout,
                };
                let store = self.token_store.unwrap_or_else(|| memory.clone());
                Some(Arc::new(TokenManager::new(settings, http.clone(), store, self.clock.clone(), self.observer)))
            }
            Auth::CloudHosting { .. } => None,
        };
        let media_cache = self.media_cache.unwrap_or(memory);
        let transport = Transport { http, config: self.config, tokens };
        Ok(Client { inner: Arc::new(Inner { transport, media_cache, clock: self.clock }) })
    }
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    media_cache: Arc<dyn MediaCache>,
    clock: Arc<dyn Clock>,
}

/// The platform API client (see the crate doc).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// A builder for `config`.
    pub fn builder(config: ClientConfig) -> ClientBuilder {
        ClientBuilder {
            config,
            token_store: None,
            media_cache: None,
            clock: Arc::new(SystemClock),
            http: None,
            observer: None,
        }
    }

    /// A client with in-memory stores and the system clock.
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        Self::builder(config).build()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The configuration in force.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.transport.config
    }

    /// The token manager (`None` in Cloud Hosting mode).
    pub fn token_manager(&self) -> Option<&Arc<TokenManager>> {
        self.inner.transport.tokens.as_ref()
    }

    /// A fresh access token with its source (`None` in Cloud Hosting mode, which needs none).
    pub async fn access_token(&self) -> Result<Option<TokenInfo>, ClientError> {
        match self.token_manager() {
            Some(t) => Ok(Some(t.token().await?)),
            None => Ok(None),
        }
    }

    /// Uploads a temporary media file after checking its size and format locally (no network call on failure).
    pub async fn upload_media(
        &self,
        media_type: MediaType,
        filename: &str,
        bytes: Bytes,
        progress: Option<Progress>,
    ) -> Result<UploadedMedia, ClientError> {
        let content_type = validate::check(media_type, filename, &bytes, &self.config().media_limits)?;
        let call = Call {
            method: Method::POST,
            path: "/cgi-bin/media/upload",
            query: vec![("type", media_type.as_str().to_owned())],
            payload: Payload::Media { filename: filename.to_owned(), content_type, bytes, progress },
        };
        let answer = self.transport().call(&call).await?;
        let v = answer.json()?;
        upload::parse(media_type, &v)
            .ok_or_else(|| ClientError::Decode(format!("upload answer without a media id: {v}")))
    }

    /// Like [`Client::upload_media`], but reuses the media id of the same bytes (same account and type) until
    /// its 3-day life minus [`ClientConfig::media_cache_margin`] runs out.
    pub async fn upload_media_cached(
        &self,
        media_type: MediaType,
        filename: &str,
        bytes: Bytes,
        progress: Option<Progress>,
    ) -> Result<(String, CacheOutcome), ClientError> {
        validate::check(media_type, filename, &bytes, &self.config().media_limits)?;
        let key = MediaKey {
            account: self.config().account().to_owned(),
            content_hash: hex::encode(Sha256::digest(&bytes)),
            media_type: media_type.as_str().to_owned(),
        };
        let now = self.inner.clock.now_ms();
        if let Some(hit) = self.inner.media_cache.get(&key, now).await? {
            return Ok((hit.media_id, CacheOutcome::Hit));
        }
        let uploaded = self.upload_media(media_type, filename, bytes, progress).await?;
        // The life counts from the platform's created_at when it is plausible, else from our clock.
        let created_ms = match uploaded.created_at.saturating_mul(1000) {
            0 => now,
            c => c.min(now),
        };
        let margin = self.config().media_cache_margin.as_millis() as u64;
        let expires_at_ms = created_ms.saturating_add(MEDIA_LIFETIME_MS).saturating_sub(margin);
        let cached = CachedMedia { media_id: uploaded.media_id.clone(), expires_at_ms };
        self.inner.media_cache.put(&key, &cached).await?;
        Ok((uploaded.media_id, CacheOutcome::Uploaded))
    }

    /// Forgets a cached media id the platform rejected (40007), so the next cached upload sends the file again.
    pub async fn forget_media(&self, media_type: MediaType, bytes: &[u8], media_id: &str) -> Result<bool, ClientError> {
        let key = MediaKey {
            account: self.config().account().to_owned(),
            content_hash: hex::encode(Sha256::digest(bytes)),
            media_type: media_type.as_str().to_owned(),
        };
        Ok(self.inner.media_cache.remove(&key, media_id).await?)
    }

    /// Downloads temporary media.
    pub async fn download_media(&self, media_id: &str) -> Result<DownloadedMedia, ClientError> {
        let call = Call {
            method: Method::GET,
            path: "/cgi-bin/media/get",
            query: vec![("media_id", media_id.to_owned())],
            payload: Payload::Empty,
        };
        let answer = self.transport().call(&call).await?;
        Ok(download::classify(&answer.headers, answer.body))
    }
}
