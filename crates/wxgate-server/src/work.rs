//! The work for one push, chosen once: the account's config rules first, then the Rust routes (the model, when
//! the account has one, is the last route).
//!
//! The deadline machinery and the recovery of pushes accepted before a restart both start work here, so a push
//! is answered the same way whichever of them runs it. A rule answers at once; a rule with a local file waits for
//! its upload; a handler runs in its own task, so a panic is contained (logged, answered `success`) and its
//! result can outlive the HTTP attempt that started it. Every answer passes [`answer::checked`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wxgate_proto::InboundKind;

use crate::answer::{self, Outcome};
use crate::context::Context;
use crate::ports::MediaUploader;
use crate::router::{HandlerFuture, Router};
use crate::rules::{MediaFile, with_media_id};

/// Work that is still running.
pub(crate) type Running = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What a push's work is.
pub(crate) enum Work {
    /// A rule's answer, known at once (`None` too when nothing applies).
    Ready(Outcome),
    /// An answer still being worked out.
    Running(Running),
}

/// Chooses the work for `ctx`: the first matching rule, else the first applicable route.
pub(crate) fn choose(ctx: &Arc<Context>, router: &Router, media: &Arc<dyn MediaUploader>) -> Work {
    by_rules(ctx, media).unwrap_or_else(|| by_router(ctx, router))
}

/// The work of the first matching rule, if one matches.
pub(crate) fn by_rules(ctx: &Arc<Context>, media: &Arc<dyn MediaUploader>) -> Option<Work> {
    let rule = ctx.account.rules.iter().find(|r| r.matches(&ctx.inbound))?;
    let reply = rule.reply_for(&ctx.inbound);
    Some(match rule.file() {
        None => Work::Ready(answer::checked(&ctx.account.name, &ctx.inbound, Some(reply))),
        Some(file) => {
            let (ctx, media, file) = (ctx.clone(), media.clone(), file.clone());
            Work::Running(Box::pin(async move { upload(&ctx, &media, reply, &file).await }))
        }
    })
}

/// The work of the first applicable route; nothing to say when none applies.
pub(crate) fn by_router(ctx: &Arc<Context>, router: &Router) -> Work {
    match router.dispatch(ctx) {
        Some(fut) => {
            let ctx = ctx.clone();
            Work::Running(Box::pin(async move { run(&ctx, fut).await }))
        }
        None => {
            if matches!(ctx.inbound.kind, InboundKind::Unknown) {
                tracing::info!(msg_type = %ctx.inbound.msg_type, "unknown message type, answering success");
            }
            Work::Ready(None)
        }
    }
}

impl Work {
    /// The answer, once the work has finished.
    pub(crate) async fn finish(self) -> Outcome {
        match self {
            Work::Ready(outcome) => outcome,
            Work::Running(running) => running.await,
        }
    }
}

/// Uploads a rule's file and answers with its media id; `None` (logged) when it cannot.
async fn upload(
    ctx: &Arc<Context>,
    uploader: &Arc<dyn MediaUploader>,
    reply: wxgate_proto::ReplyBody,
    file: &MediaFile,
) -> Outcome {
    let account = ctx.account.name.as_str();
    match uploader.media_id(account, file).await {
        Ok(media_id) => answer::checked(account, &ctx.inbound, Some(with_media_id(reply, media_id))),
        Err(e) => {
            tracing::error!(account, file = %file.path.display(), error = %e, "cannot upload a rule's file");
            None
        }
    }
}

/// Runs a handler to completion in its own task; errors and panics become `None` (logged).
async fn run(ctx: &Arc<Context>, fut: HandlerFuture) -> Outcome {
    match tokio::spawn(fut).await {
        Ok(Ok(reply)) => answer::checked(&ctx.account.name, &ctx.inbound, reply),
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
