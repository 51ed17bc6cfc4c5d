//! The HTTP side: URL verification (GET) and pushes (POST) for every configured path.
//!
//! Order of checks for a push, written down once. Classic: signature, timestamp and nonce present, timestamp
//! window, signature (401) — all from the query, before the body is read — then the body within the limits (413,
//! 408, 503), decrypt and decode (400/401), original id → answer → encode → seal. Cloud Hosting: the body within the
//! limits → probe → account by appid header → `x-wx-source` (401) → decode (400) → answer → encode.

mod classic;
mod cloud;
mod quiet;
mod reject;
mod replay;
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

pub(crate) use quiet::{flush as flush_quiet_log, quiet_warn};
use reject::Reject;
pub(crate) use replay::Replays;
use wxgate_proto::query::SignedQuery;

use crate::account::{Account, DeliveryMode};
use crate::clock::Clock;
use crate::config::Limits;
use crate::context::{CloudInfo, Context};
use crate::deadline::{self, InFlightTable, Running, SHARED_STATE_WAIT};
use crate::meter::{Answer, Arrival};
use crate::outbox::Interactions;
use crate::ports::{CustomerService, LateDelivery, MediaUploader};
use crate::router::Router;

/// What every path shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The handlers.
    pub(crate) router: Router,
    /// Logical messages in flight, joined by retries.
    pub(crate) table: Arc<InFlightTable>,
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
    /// Claims on pushes' work shared with other replicas, when several serve the accounts.
    pub(crate) claims: Option<Arc<deadline::Claims>>,
    /// The router's extensions, shared into every context.
    pub(crate) extensions: Arc<Extensions>,
    /// Allowed clock difference.
    pub(crate) timestamp_window: Option<Duration>,
    /// What one client may cost.
    pub(crate) limits: Limits,
    /// Bodies being read at once (a permit each).
    pub(crate) body_reads: tokio::sync::Semaphore,
    /// The first bodies of recent plaintext queries.
    pub(crate) replays: Arc<Replays>,
    /// The clock of timestamps and replies.
    pub(crate) clock: Clock,
    /// Work running, and whether the process drains.
    pub(crate) running: Arc<Running>,
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

/// POST: a push, with any body type (hyper's, or axum's when mounted). What the query proves — the signature
/// and the timestamp window of a classic push — is checked before a byte of the body is read.
pub(crate) async fn push<B>(group: &PathGroup, parts: &Parts, body: B) -> Response
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shared = &group.shared;
    let received_at = shared.clock.instant();
    let q = SignedQuery::parse(parts.uri.query());
    let cloud_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Cloud);
    let classic_here = group.accounts.iter().any(|a| a.delivery == DeliveryMode::Classic);
    // A signed query means the classic URL; otherwise Cloud Hosting if configured on this path.
    let result = if classic_here && (q.signature.is_some() || !cloud_here) {
        classic_push(group, parts, &q, body, received_at).await
    } else {
        cloud_push(group, parts, body, received_at).await
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn classic_push<B>(
    group: &PathGroup,
    parts: &Parts,
    q: &SignedQuery<'_>,
    body: B,
    received_at: Instant,
) -> Result<Response, Reject>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shared = &group.shared;
    let s = classic::signed_parts(q, shared.timestamp_window, shared.clock)?;
    let account = classic::account_for(&group.accounts, &s)?;
    let body = read_body(&parts.headers, body, shared).await?;
    if !q.is_encrypted() {
        shared.replays.check(account, &s, &body, received_at).await?;
    }
    let (inbound, format) = classic::open_push(account, q, &s, &body)?;
    sane_ids(&inbound)?;
    if account.original_id.as_deref().is_some_and(|id| id != inbound.to_user) {
        return Err(Reject::bad_request("ToUserName is not this account's original id"));
    }
    let ctx = Context::received(inbound, account.clone(), received_at)
        .with_format(format)
        .encrypted(q.is_encrypted())
        .with_extensions(shared.extensions.clone());
    Ok(finish(&Arc::new(ctx), shared, s.timestamp, s.nonce).await)
}

async fn cloud_push<B>(group: &PathGroup, parts: &Parts, body: B, received_at: Instant) -> Result<Response, Reject>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shared = &group.shared;
    let info = CloudInfo::from_headers(&parts.headers);
    let body = read_body(&parts.headers, body, shared).await?;
    match cloud::open(&group.accounts, &info, &body)? {
        cloud::CloudPush::Probe => Ok(respond::success()),
        cloud::CloudPush::Push(account, inbound, format) => {
            sane_ids(&inbound)?;
            let ctx = Context::received(*inbound, account, received_at)
                .with_format(format)
                .with_cloud(info)
                .with_extensions(shared.extensions.clone());
            Ok(finish(&Arc::new(ctx), shared, "", "").await)
        }
    }
}

/// The longest `FromUserName` / `ToUserName` accepted: an openid has 28 characters, an original id 15; anything
/// much longer is not WeChat, and every user kept in memory costs its id.
const MAX_ID_BYTES: usize = 64;

/// Refuses a push whose sender or addressee is not a plausible id.
fn sane_ids(inbound: &wxgate_proto::Inbound) -> Result<(), Reject> {
    if inbound.from_user.len() > MAX_ID_BYTES || inbound.to_user.len() > MAX_ID_BYTES {
        return Err(Reject::bad_request("FromUserName or ToUserName longer than 64 bytes"));
    }
    Ok(())
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

/// Reads the body within the limits: a body declared larger than the cap is refused unread (413), a streamed one is
/// cut off at the cap, one that takes longer than the body timeout is cut off (408), and when too many bodies are
/// being read already the push is refused at once (503).
async fn read_body<B>(headers: &HeaderMap, body: B, shared: &Shared) -> Result<Bytes, Reject>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limits = &shared.limits;
    let too_large = || Reject { status: StatusCode::PAYLOAD_TOO_LARGE, reason: "body over the size limit".into() };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body as u64) {
        return Err(too_large());
    }
    let Ok(_reading) = shared.body_reads.try_acquire() else {
        return Err(Reject { status: StatusCode::SERVICE_UNAVAILABLE, reason: "too many bodies being read".into() });
    };
    let collect = http_body_util::Limited::new(body, limits.body).collect();
    let collected = tokio::time::timeout(limits.body_timeout, collect)
        .await
        .map_err(|_| Reject { status: StatusCode::REQUEST_TIMEOUT, reason: "body not received in time".into() })?;
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
        claims: shared.claims.as_ref(),
        running: &shared.running,
        clock: shared.clock,
    };
    let answered = deadline::answer(ctx, services).await;
    count_push(ctx, &answered, shared.clock.instant() - ctx.received_at);
    match answered.reply {
        Some(body) => respond::reply(ctx, body, timestamp, nonce, shared.clock),
        None => respond::success(),
    }
}

/// Counts a push's answer — passive, handed off to late delivery, or plain `success` — by delivery and mode, and
/// how long it took.
fn count_push(ctx: &Context, answered: &deadline::Answered, took: Duration) {
    let arrival = match (ctx.cloud(), ctx.format(), ctx.is_encrypted()) {
        (Some(_), wxgate_proto::Format::Json, _) => Arrival::CloudJson,
        (Some(_), wxgate_proto::Format::Xml, _) => Arrival::CloudXml,
        (None, _, true) => Arrival::ClassicAes,
        (None, _, false) => Arrival::ClassicPlain,
    };
    let answer = match answered {
        deadline::Answered { handed_off: true, .. } => Answer::HandedOff,
        deadline::Answered { reply: Some(_), .. } => Answer::Passive,
        deadline::Answered { reply: None, .. } => Answer::Success,
    };
    ctx.account.meter.record(arrival, answer, took);
}
