//! Choosing and running the work for one push: config rules first, then Rust handlers.
//!
//! A handler runs in its own task, so a panic is contained (logged, answered `success`) and its result can
//! outlive the HTTP attempt that started it (see [`crate::join`]). Every reply is checked against the platform's
//! limits before it can be sent.

use std::sync::Arc;

use wxgate_proto::{Reply, ReplyBody};

use crate::context::Context;
use crate::join::Outcome;
use crate::media::MediaUploader;
use crate::router::{HandlerFuture, Router};
use crate::rules::MediaFile;

/// What the first matching config rule answers.
#[derive(Debug, Clone)]
pub enum RuleAnswer {
    /// The answer, at once.
    Ready(Outcome),
    /// The answer once this file is uploaded (its media id goes into the reply).
    Upload(ReplyBody, MediaFile),
}

/// The answer of the first matching config rule, if any.
pub fn by_rules(ctx: &Arc<Context>) -> Option<RuleAnswer> {
    let rule = ctx.account.rules.iter().find(|r| r.matches(&ctx.inbound))?;
    let reply = rule.reply_for(&ctx.inbound);
    Some(match rule.file() {
        Some(file) => RuleAnswer::Upload(reply, file.clone()),
        None => RuleAnswer::Ready(checked(ctx, Some(reply))),
    })
}

/// Runs a rule's upload to completion.
pub async fn upload(
    ctx: &Arc<Context>,
    uploader: Option<&Arc<dyn MediaUploader>>,
    reply: ReplyBody,
    file: &MediaFile,
) -> Outcome {
    let reply = crate::media::reply_with_file(uploader, &ctx.account.name, reply, file).await;
    checked(ctx, reply)
}

/// The first applicable route, started; `None` when no route applies.
pub fn by_router(ctx: &Arc<Context>, router: &Router) -> Option<HandlerFuture> {
    let fut = router.dispatch(ctx);
    if fut.is_none() && matches!(ctx.inbound.kind, wxgate_proto::InboundKind::Unknown) {
        tracing::info!(msg_type = %ctx.inbound.msg_type, "unknown message type, answering success");
    }
    fut
}

/// Runs a handler to completion in its own task; errors and panics become `None` (logged).
pub async fn run(ctx: &Arc<Context>, fut: HandlerFuture) -> Outcome {
    match tokio::spawn(fut).await {
        Ok(Ok(reply)) => checked(ctx, reply),
        Ok(Err(e)) => {
            tracing::error!(account = %ctx.account.name, error = %e, "handler failed, answering success");
            None
        }
        Err(join) => {
            tracing::error!(account = %ctx.account.name, error = %join, "handler panicked, answering success");
            None
        }
    }
}

/// Drops a reply that breaks the platform's limits (logged): sending it would show the user an error notice.
/// A text longer than a passive reply may hold is kept: it goes out late, split into customer-service messages.
fn checked(ctx: &Arc<Context>, reply: Option<ReplyBody>) -> Outcome {
    let body = reply?;
    if too_long_for_passive(&body) {
        return Some(body);
    }
    match body.validate(Reply::max_articles_for(&ctx.inbound)) {
        Ok(()) => Some(body),
        Err(e) => {
            tracing::error!(account = %ctx.account.name, error = %e, "reply refused, answering success");
            None
        }
    }
}

/// True for a text over the passive limit: it must go out as several customer-service messages.
pub fn too_long_for_passive(body: &ReplyBody) -> bool {
    matches!(body, ReplyBody::Text { content } if content.len() > wxgate_proto::reply::MAX_TEXT_BYTES)
}
