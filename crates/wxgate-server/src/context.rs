//! What a handler knows about one push: the decoded message, the account, how it arrived.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::http::{Extensions, HeaderMap};
use wxgate_proto::{Format, Inbound, ReplyBody};

use crate::account::Account;
use crate::join::Early;

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
    /// How parts go out early, once the work has started under the deadline machinery.
    early: OnceLock<Early>,
}

impl Context {
    /// The context of one push.
    pub fn new(
        inbound: Inbound,
        account: Arc<Account>,
        format: Format,
        encrypted: bool,
        cloud: Option<CloudInfo>,
        received_at: Instant,
        extensions: Arc<Extensions>,
    ) -> Self {
        Context { inbound, account, format, encrypted, cloud, received_at, extensions, early: OnceLock::new() }
    }

    /// Sends `part` of a long answer now, through customer service, while the handler still works out the rest
    /// (which it returns as usual and which follows the parts sent). Use it for text that cannot be a passive
    /// reply anyway. Returns false when the part cannot go early — the push is not (or no longer) handled by the
    /// deadline machinery, or its late delivery cannot send parts — and then the handler keeps the part in its
    /// answer.
    pub async fn send_early(self: &Arc<Self>, part: ReplyBody) -> bool {
        match self.early.get() {
            Some(early) => early.send(self, part).await,
            None => false,
        }
    }

    /// Lets the handler send parts early through `early` (set once, when the work starts).
    pub(crate) fn set_early(&self, early: Early) {
        let _ = self.early.set(early);
    }
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
