//! The HTTP side: URL verification (GET) and pushes (POST) for every configured path.
//!
//! Order of checks for a push, written down once: body size (by the body-limit layer, 413) → classic: signature
//! present, timestamp window, signature (401) → decrypt and decode (400/401) → account match → answer → encode →
//! seal. Cloud Hosting: probe → account by appid header → `x-wx-source` (401) → decode (400) → answer → encode.

mod classic;
mod cloud;
mod query;
mod reject;
mod respond;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

pub use query::SignedQuery;
pub use reject::Reject;

use crate::account::Account;
use crate::config::DeliveryMode;
use crate::context::{CloudInfo, Context};
use crate::dispatch;
use crate::router::Router;

/// What every path shares.
#[derive(Debug)]
pub struct Shared {
    /// The handlers.
    pub router: Router,
    /// The router's extensions, shared into every context.
    pub extensions: Arc<Extensions>,
    /// Allowed clock difference.
    pub timestamp_window: Option<Duration>,
}

/// The accounts on one path.
#[derive(Debug)]
pub struct PathGroup {
    /// Accounts served here.
    pub accounts: Vec<Arc<Account>>,
    /// Shared state.
    pub shared: Arc<Shared>,
}

/// GET: URL verification. Returns `echostr` exactly when the signature verifies.
pub async fn verify(State(group): State<Arc<PathGroup>>, Query(q): Query<SignedQuery>) -> Response {
    let result = (|| {
        let s = classic::signed_parts(&q, group.shared.timestamp_window)?;
        classic::account_for(&group.accounts, &s)?;
        q.echostr.clone().ok_or_else(|| Reject::bad_request("missing echostr"))
    })();
    match result {
        Ok(echo) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], echo).into_response(),
        Err(r) => r.into_response(),
    }
}

/// POST: a push.
pub async fn push(
    State(group): State<Arc<PathGroup>>,
    Query(q): Query<SignedQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received_at = Instant::now();
    let cloud_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Cloud);
    let classic_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Classic);
    // A signed query means the classic URL; otherwise Cloud Hosting if configured on this path.
    if classic_here && (q.signature.is_some() || !cloud_here) {
        match classic_push(&group, &q, body, received_at).await {
            Ok(r) | Err(r) => r,
        }
    } else {
        let info = CloudInfo::from_headers(&headers);
        match cloud::open(&group.accounts, &info, &body) {
            Ok(cloud::CloudPush::Probe) => respond::success(),
            Ok(cloud::CloudPush::Push(account, inbound, format)) => {
                let ctx = Arc::new(Context {
                    inbound: *inbound,
                    account,
                    format,
                    encrypted: false,
                    cloud: Some(info),
                    received_at,
                    extensions: group.shared.extensions.clone(),
                });
                finish(&ctx, &group.shared.router, "", "").await
            }
            Err(r) => r.into_response(),
        }
    }
}

async fn classic_push(
    group: &PathGroup,
    q: &SignedQuery,
    body: Bytes,
    received_at: Instant,
) -> Result<Response, Response> {
    let s = classic::signed_parts(q, group.shared.timestamp_window).map_err(IntoResponse::into_response)?;
    let account = classic::account_for(&group.accounts, &s).map_err(IntoResponse::into_response)?;
    let (inbound, format) = classic::open_push(account, q, &s, &body).map_err(IntoResponse::into_response)?;
    if account.original_id.as_deref().is_some_and(|id| id != inbound.to_user) {
        return Err(Reject::bad_request("ToUserName is not this account's original id").into_response());
    }
    let ctx = Arc::new(Context {
        inbound,
        account: account.clone(),
        format,
        encrypted: q.is_encrypted(),
        cloud: None,
        received_at,
        extensions: group.shared.extensions.clone(),
    });
    Ok(finish(&ctx, &group.shared.router, s.timestamp, s.nonce).await)
}

async fn finish(ctx: &Arc<Context>, router: &Router, timestamp: &str, nonce: &str) -> Response {
    tracing::debug!(account = %ctx.account.name, msg_type = %ctx.inbound.msg_type, "push");
    match dispatch::answer(ctx, router).await {
        Some(body) => respond::reply(ctx, body, timestamp, nonce),
        None => respond::success(),
    }
}
