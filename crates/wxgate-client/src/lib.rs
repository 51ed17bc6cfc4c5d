//! The WeChat platform API client: access tokens, customer-service messages (客服消息) and typing, temporary
//! media (临时素材), and Cloud Hosting's token-free open interface service (开放接口服务).
//!
//! * [`Client`]: customer-service messages of every type ([`wxgate_proto::kf`]), typing, temporary media upload
//!   (validated locally first, cached by content hash) and download.
//! * Authentication ([`Auth`]): an access token from `/cgi-bin/stable_token` (default) or `/cgi-bin/token`,
//!   managed by [`TokenManager`] — cached, refreshed before expiry, single-flight within a process and shared
//!   across processes through a [`wxgate_store::TokenStore`] with a refresh lease; or the Cloud Hosting open
//!   interface service, which needs no token at all.
//! * Failures are a [`ClientError`] with a typed [`RetryClass`]: `-1`, 5xx and network errors are retried with
//!   exponential back-off and jitter; `40001`/`40014`/`42001` invalidate exactly the token used, refresh once and
//!   replay the request (rebuilt from scratch) once; everything else is returned as is.
//!
//! Secrets (AppSecret, tokens) never appear in `Debug`, `Display` or logs: request URLs are stripped from
//! transport errors because the token travels in the query.

mod client;
mod clock;
mod config;
mod custom;
mod error;
mod http;
pub mod media;
mod retry;
mod secret;
mod token;

pub use client::{Client, ClientBuilder};
pub use clock::{Clock, SystemClock};
pub use config::{Auth, ClientConfig, DEFAULT_API_BASE, DEFAULT_CLOUD_API_BASE, TokenEndpoint, TypingPath};
pub use error::ClientError;
pub use media::{CacheOutcome, DownloadedMedia, MediaLimits, MediaType, UploadedMedia};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use token::{TokenInfo, TokenManager, TokenSource};
pub use wxgate_proto::errcode::{ErrCode, RetryClass};
