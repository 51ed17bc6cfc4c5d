//! Choosing and running the answer to one push: config rules first, then Rust handlers, within the budget.
//!
//! A handler runs in its own task, so a panic is contained (logged, answered `success`) and a slow handler cannot
//! hold the HTTP response past the account's budget: when the budget runs out the push is answered `success` and
//! the handler's late result is logged.

use std::sync::Arc;

use wxgate_proto::{Reply, ReplyBody};

use crate::context::Context;
use crate::router::Router;

/// The reply to send passively, or `None` for `success`.
pub async fn answer(ctx: &Arc<Context>, router: &Router) -> Option<ReplyBody> {
    let body = choose(ctx, router).await?;
    match body.validate(Reply::max_articles_for(&ctx.inbound)) {
        Ok(()) => Some(body),
        Err(e) => {
            tracing::error!(account = %ctx.account.name, error = %e, "reply refused, answering success");
            None
        }
    }
}

async fn choose(ctx: &Arc<Context>, router: &Router) -> Option<ReplyBody> {
    if let Some(rule) = ctx.account.rules.iter().find(|r| r.matches(&ctx.inbound)) {
        return Some(rule.reply_for(&ctx.inbound));
    }
    let Some(fut) = router.dispatch(ctx) else {
        if matches!(ctx.inbound.kind, wxgate_proto::InboundKind::Unknown) {
            tracing::info!(msg_type = %ctx.inbound.msg_type, "unknown message type, answering success");
        }
        return None;
    };
    let task = tokio::spawn(fut);
    let remaining = ctx.account.budget.saturating_sub(ctx.received_at.elapsed());
    match tokio::time::timeout(remaining, task).await {
        Ok(Ok(Ok(reply))) => reply,
        Ok(Ok(Err(e))) => {
            tracing::error!(account = %ctx.account.name, error = %e, "handler failed, answering success");
            None
        }
        Ok(Err(join)) => {
            tracing::error!(account = %ctx.account.name, error = %join, "handler panicked, answering success");
            None
        }
        Err(_) => {
            tracing::warn!(
                account = %ctx.account.name,
                budget_ms = ctx.account.budget.as_millis() as u64,
                "handler missed the reply budget, answering success"
            );
            None
        }
    }
}
