//! What a handler knows about one push: the decoded message, the account, how it arrived.
//!
//! A context is built by the webhook (or by the recovery of a push accepted before a restart) and shared as
//! `Arc<Context>` by the work and every attempt that joins it. It knows nothing of the deadline machinery: a
//! handler that sends parts of a long answer early does so through [`EarlyParts`], a port the machinery plugs
//! in when the work starts.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use axum::http::{Extensions, HeaderMap};
use tokio::time::Instant;
use wxgate_proto::{Format, Inbound, ReplyBody};

use crate::account::{Account, Caller};

/// Everything about one push, shared by the pipeline and handlers.
#[derive(Debug)]
pub struct Context {
    pub(crate) inbound: Inbound,
    pub(crate) account: Arc<Account>,
    /// Format of the (inner) body; the reply uses the same.
    pub(crate) format: Format,
    /// True when the push was encrypted (the reply is then encrypted too).
    pub(crate) encrypted: bool,
    pub(crate) cloud: Option<CloudInfo>,
    /// When the request arrived; deadlines count from here.
    pub(crate) received_at: Instant,
    /// Values registered on the router (none given: no allocation per push).
    pub(crate) extensions: Option<Arc<Extensions>>,
    /// How parts go out early, once the work has started under the deadline machinery.
    early: OnceLock<Arc<dyn EarlyParts>>,
}

/// Sends parts of a push's answer before the work has finished.
pub(crate) trait EarlyParts: Send + Sync + std::fmt::Debug {
    /// Queues `part` for delivery now; false when it cannot go early (the caller keeps it for the final answer).
    fn send<'a>(&'a self, ctx: &'a Arc<Context>, part: ReplyBody) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

impl Context {
    /// The context of a push to `account`, received now, in XML, unencrypted, not through Cloud Hosting; the
    /// `with_…` methods say otherwise.
    pub fn new(inbound: Inbound, account: Arc<Account>) -> Self {
        Context::received(inbound, account, Instant::now())
    }

    /// As [`Context::new`], received at `at` (the webhook has read the clock already).
    pub(crate) fn received(inbound: Inbound, account: Arc<Account>, at: Instant) -> Self {
        Context {
            inbound,
            account,
            format: Format::Xml,
            encrypted: false,
            cloud: None,
            received_at: at,
            extensions: None,
            early: OnceLock::new(),
        }
    }

    /// The body came in `format` (and the reply goes out in it).
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The push was encrypted (and the reply is sealed).
    pub fn encrypted(mut self, encrypted: bool) -> Self {
        self.encrypted = encrypted;
        self
    }

    /// The push came through Cloud Hosting with these headers.
    pub fn with_cloud(mut self, info: CloudInfo) -> Self {
        self.cloud = Some(info);
        self
    }

    /// The request arrived at `at` (deadlines count from it).
    pub fn arrived_at(mut self, at: Instant) -> Self {
        self.received_at = at;
        self
    }

    /// Values for the [`Extension`](crate::router::Extension) extractor.
    pub fn with_extensions(mut self, extensions: Arc<Extensions>) -> Self {
        self.extensions = Some(extensions);
        self
    }

    /// The decoded push.
    pub fn inbound(&self) -> &Inbound {
        &self.inbound
    }

    /// The account it was sent to.
    pub fn account(&self) -> &Arc<Account> {
        &self.account
    }

    /// Format of the (inner) body.
    pub fn format(&self) -> Format {
        self.format
    }

    /// True when the push was encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// The Cloud Hosting headers, when the push came through Cloud Hosting.
    pub fn cloud(&self) -> Option<&CloudInfo> {
        self.cloud.as_ref()
    }

    /// Cloud Hosting resource reuse: the appid of the account the push came for (`x-wx-from-appid`), which every
    /// platform call made for this push passes as `from_appid`.
    pub fn from_appid(&self) -> Option<&str> {
        self.cloud.as_ref()?.from_appid.as_deref().filter(|a| !a.is_empty())
    }

    /// On whose behalf platform calls for this push are made.
    pub(crate) fn caller(&self) -> Caller<'_> {
        Caller { account: &self.account.name, from_appid: self.from_appid() }
    }

    /// When the request arrived.
    pub fn arrived(&self) -> Instant {
        self.received_at
    }

    /// A value registered with [`Router::extension`](crate::Router::extension).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.as_deref()?.get::<T>()
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
    pub(crate) fn set_early(&self, early: Arc<dyn EarlyParts>) {
        let _ = self.early.set(early);
    }
}

/// The `x-wx-*` headers of a Cloud Hosting push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudInfo {
    /// `x-wx-source` (or the older `x-wx-sources`): present on requests that came through WeChat's internal link.
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
