//! The work for one push, chosen once: the account's config rules first, then the Rust routes (the model, when
//! the account has one, is the last route).
//!
//! The deadline machinery and the recovery of pushes accepted before a restart both start work here, so a push
//! is answered the same way whichever of them runs it. A rule answers at once; a rule with local files waits for
//! their uploads; a handler runs in its own task, so a panic is contained (logged, answered `success`) and its
//! result can outlive the HTTP attempt that started it. Every answer passes [`answer::checked`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wxgate_proto::InboundKind;

use crate::answer::{self, Answer, Messages, Outcome};
use crate::context::Context;
use crate::ports::MediaUploader;
use crate::router::{HandlerFuture, Router};
use crate::rules::{Action, SendItem, fill_media, with_media_id};

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
    let account = ctx.account.name.as_str();
    let rule = ctx.account.rules.iter().filter(|r| r.matches(&ctx.inbound)).find(|r| match r.other_kind() {
        Some(reason) => {
            tracing::info!(account, reason, "a matching rule is for the other kind of account; skipped");
            false
        }
        None => true,
    })?;
    let action = rule.action_for(&ctx.inbound);
    let no_files = match &action {
        Action::Reply { file, .. } => file.is_none(),
        Action::Send { items, .. } => items.iter().all(|i| i.files.is_empty()),
    };
    if no_files {
        let answer = match action {
            Action::Reply { reply, .. } => Answer::Reply(reply),
            Action::Send { items, kf_account } => {
                Answer::Send(Messages { bodies: items.into_iter().map(|i| i.body).collect(), kf_account })
            }
        };
        return Some(Work::Ready(checked(ctx, Some(answer))));
    }
    let (ctx, media) = (ctx.clone(), media.clone());
    Some(Work::Running(Box::pin(async move {
        let answer = with_uploads(&ctx, &media, action).await?;
        checked(&ctx, Some(answer))
    })))
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

fn checked(ctx: &Context, outcome: Outcome) -> Outcome {
    answer::checked(&ctx.account.name, ctx.account.kind, &ctx.inbound, outcome)
}

/// A rule's answer with its files uploaded and their media ids filled in; `None` (logged) when a reply's file
/// cannot be uploaded. A message whose file cannot be uploaded is left out; the others still go.
async fn with_uploads(ctx: &Context, media: &Arc<dyn MediaUploader>, action: Action) -> Option<Answer> {
    let caller = ctx.caller();
    let upload = |file: crate::rules::MediaFile| async move {
        match media.media_id(caller, &file).await {
            Ok(media_id) => Some(media_id),
            Err(e) => {
                tracing::error!(account = caller.account, file = %file.path.display(), error = %e, "cannot upload a rule's file");
                None
            }
        }
    };
    match action {
        Action::Reply { reply, file: None } => Some(Answer::Reply(reply)),
        Action::Reply { reply, file: Some(file) } => Some(Answer::Reply(with_media_id(reply, upload(file).await?))),
        Action::Send { items, kf_account } => {
            let mut bodies = Vec::with_capacity(items.len());
            'items: for SendItem { mut body, files } in items {
                for (slot, file) in files {
                    let Some(media_id) = upload(file).await else { continue 'items };
                    fill_media(&mut body, slot, media_id);
                }
                bodies.push(body);
            }
            Some(Answer::Send(Messages { bodies, kf_account }))
        }
    }
}

/// Runs a handler to completion in its own task; errors and panics become `None` (logged).
async fn run(ctx: &Arc<Context>, fut: HandlerFuture) -> Outcome {
    match tokio::spawn(fut).await {
        Ok(Ok(outcome)) => checked(ctx, outcome),
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
