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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;

use query::SignedQuery;
use reject::Reject;

use crate::account::{Account, DeliveryMode};
use crate::clock::Clock;
use crate::context::{CloudInfo, Context};
use crate::deadline::{self, InFlightTable, SHARED_STATE_WAIT};
use crate::outbox::Interactions;
use crate::ports::{CustomerService, LateDelivery, MediaUploader};
use crate::router::Router;

/// What every path shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The handlers.
    pub(crate) router: Router,
    /// Logical messages in flight, joined by retries.
    pub(crate) table: InFlightTable,
    /// Late delivery of each account, by name.
    pub(crate) late: HashMap<String, Arc<dyn LateDelivery>>,
    /// Customer-service windows opened by pushes.
    pub(crate) interactions: Interactions,
    /// Shows the typing status while slow handlers run.
    pub(crate) typing: Arc<dyn CustomerService>,
    /// Uploads for rules that reply with a local file.
    pub(crate) media: Arc<dyn MediaUploader>,
    /// Attempt numbers shared with other replicas, when several serve the accounts.
    pub(crate) attempts: Option<Arc<dyn wxgate_store::AttemptCounter>>,
    /// The router's extensions, shared into every context.
    pub(crate) extensions: Arc<Extensions>,
    /// Allowed clock difference.
    pub(crate) timestamp_window: Option<Duration>,
    /// Body size cap in bytes.
    pub(crate) body_limit: usize,
    /// The clock of timestamps and replies.
    pub(crate) clock: Clock,
    /// Stops the background work (the outbox worker and recovery) when `true` is sent or when dropped with the
    /// last path.
    pub(crate) stop: tokio::sync::watch::Sender<bool>,
}

/// The accounts on one path.
#[derive(Debug)]
pub(crate) struct PathGroup {
    /// Accounts served here.
    pub(crate) accounts: Vec<Arc<Account>>,
    /// Shared state.
    pub(crate) shared: Arc<Shared>,
}

/// GET: URL verification. Returns `echostr` exactly when the signature verifies.
pub(crate) fn verify(group: &PathGroup, parts: &Parts) -> Response {
    let q = SignedQuery::parse(parts.uri.query());
    let result = (|| {
        let s = classic::signed_parts(&q, group.shared.timestamp_window, group.shared.clock)?;
        classic::account_for(&group.accounts, &s)?;
        q.echostr.as_deref().map(str::to_owned).ok_or_else(|| Reject::bad_request("missing echostr"))
    })();
    match result {
        Ok(echo) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], echo).into_response(),
        Err(r) => r.into_response(),
    }
}

/// POST: a push, with any body type (hyper's, or axum's when mounted).
pub(crate) async fn push<B>(group: &PathGroup, parts: &Parts, body: B) -> Response
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let received_at = group.shared.clock.instant();
    let q = SignedQuery::parse(parts.uri.query());
    let body = match read_body(&parts.headers, body, group.shared.body_limit).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let cloud_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Cloud);
    let classic_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Classic);
    // A signed query means the classic URL; otherwise Cloud Hosting if configured on this path.
    if classic_here && (q.signature.is_some() || !cloud_here) {
        match classic_push(group, &q, body, received_at).await {
            Ok(r) | Err(r) => r,
        }
    } else {
        let info = CloudInfo::from_headers(&parts.headers);
        match cloud::open(&group.accounts, &info, &body) {
            Ok(cloud::CloudPush::Probe) => respond::success(),
            Ok(cloud::CloudPush::Push(account, inbound, format)) => {
                let ctx = Context::new(*inbound, account)
                    .with_format(format)
                    .with_cloud(info)
                    .arrived_at(received_at)
                    .with_extensions(group.shared.extensions.clone());
                finish(&Arc::new(ctx), &group.shared, "", "").await
            }
            Err(r) => r.into_response(),
        }
    }
}

/// axum adapter for [`verify`].
pub(crate) async fn verify_axum(State(group): State<Arc<PathGroup>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    verify(&group, &parts)
}

/// axum adapter for [`push`].
pub(crate) async fn push_axum(State(group): State<Arc<PathGroup>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    push(&group, &parts, body).await
}

/// Reads at most `limit` bytes: a body declared larger is refused unread, a streamed one is cut off at the cap.
async fn read_body<B>(headers: &HeaderMap, body: B, limit: usize) -> Result<Bytes, Reject>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let too_large = || Reject { status: StatusCode::PAYLOAD_TOO_LARGE, reason: "body over the size limit".into() };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let collected = http_body_util::Limited::new(body, limit).collect().await;
    collected.map(|c| c.to_bytes()).map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
        while let Some(err) = source {
            if err.is::<http_body_util::LengthLimitError>() {
                return too_large();
            }
            source = err.source();
        }
        Reject::bad_request("could not read the request body")
    })
}

async fn classic_push(
    group: &PathGroup,
    q: &SignedQuery<'_>,
    body: Bytes,
    received_at: Instant,
) -> Result<Response, Response> {
    let s = classic::signed_parts(q, group.shared.timestamp_window, group.shared.clock)
        .map_err(IntoResponse::into_response)?;
    let account = classic::account_for(&group.accounts, &s).map_err(IntoResponse::into_response)?;
    let (inbound, format) = classic::open_push(account, q, &s, &body).map_err(IntoResponse::into_response)?;
    if account.original_id.as_deref().is_some_and(|id| id != inbound.to_user) {
        return Err(Reject::bad_request("ToUserName is not this account's original id").into_response());
    }
    let ctx = Context::new(inbound, account.clone())
        .with_format(format)
        .encrypted(q.is_encrypted())
        .arrived_at(received_at)
        .with_extensions(group.shared.extensions.clone());
    Ok(finish(&Arc::new(ctx), &group.shared, s.timestamp, s.nonce).await)
}

async fn finish(ctx: &Arc<Context>, shared: &Shared, timestamp: &str, nonce: &str) -> Response {
    tracing::debug!(account = %ctx.account.name, msg_type = %ctx.inbound.msg_type, "push");
    if tokio::time::timeout(SHARED_STATE_WAIT, shared.interactions.record(ctx)).await.is_err() {
        tracing::warn!(account = %ctx.account.name, "the store is slow to record the user's window; going on");
    }
    let Some(late) = shared.late.get(&ctx.account.name) else {
        tracing::error!(account = %ctx.account.name, "no late delivery for this account, answering success");
        return respond::success();
    };
    let services = deadline::Services {
        router: &shared.router,
        table: &shared.table,
        late,
        typing: &shared.typing,
        media: &shared.media,
        attempts: shared.attempts.as_ref(),
    };
    match deadline::answer(ctx, services).await {
        Some(body) => respond::reply(ctx, body, timestamp, nonce, shared.clock),
        None => respond::success(),
    }
}
