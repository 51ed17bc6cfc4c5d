//! What a handler knows about one push: the decoded message, the account, how it arrived.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{Extensions, HeaderMap};
use wxgate_proto::{Format, Inbound};

use crate::account::Account;

/// Everything about one push, shared by the pipeline and handlers.
#[derive(Debug)]
pub struct Context {
    /// The decoded push.
    pub inbound: Inbound,
    /// The account it was sent to.
    pub account: Arc<Account>,
    /// Format of the (inner) body; the reply uses the same.
    pub format: Format,
    /// True when the push was encrypted (the reply is then encrypted too).
    pub encrypted: bool,
    /// Cloud Hosting headers, when the push came through Cloud Hosting.
    pub cloud: Option<CloudInfo>,
    /// When the request arrived; deadlines count from here.
    pub received_at: Instant,
    /// Values registered on the router with [`crate::Router::extension`].
    pub extensions: Arc<Extensions>,
}

/// The `x-wx-*` headers of a Cloud Hosting push (PROTOCOL §4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudInfo {
    /// `x-wx-source` (or the older `x-wx-sources`).
    pub source: Option<String>,
    /// `x-wx-openid`.
    pub openid: Option<String>,
    /// `x-wx-appid`: the environment owner's appid.
    pub appid: Option<String>,
    /// `x-wx-unionid`.
    pub unionid: Option<String>,
    /// `x-wx-from-openid` (resource reuse).
    pub from_openid: Option<String>,
    /// `x-wx-from-appid` (resource reuse): pass it as `from_appid` on API calls.
    pub from_appid: Option<String>,
    /// `x-wx-from-unionid`.
    pub from_unionid: Option<String>,
    /// `x-wx-env`.
    pub env: Option<String>,
}

impl CloudInfo {
    /// Reads the headers (names are case-insensitive).
    pub fn from_headers(headers: &HeaderMap) -> CloudInfo {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        CloudInfo {
            source: get("x-wx-source").or_else(|| get("x-wx-sources")),
            openid: get("x-wx-openid"),
            appid: get("x-wx-appid"),
            unionid: get("x-wx-unionid"),
            from_openid: get("x-wx-from-openid"),
            from_appid: get("x-wx-from-appid"),
            from_unionid: get("x-wx-from-unionid"),
            env: get("x-wx-env"),
        }
    }

    /// The appid the push is for: the reusing account's when present, else the environment owner's.
    pub fn target_appid(&self) -> Option<&str> {
        self.from_appid.as_deref().filter(|s| !s.is_empty()).or(self.appid.as_deref())
    }
}
