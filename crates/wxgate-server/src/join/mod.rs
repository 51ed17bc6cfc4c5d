//! Never miss the deadline: retries join the running work, and the answer goes out passively when it is ready in
//! time, or late through a [`LateDelivery`] sink when it is not.
//!
//! Per attempt (WeChat waits 5 s per attempt and makes 3):
//! 1. the first attempt starts the work; retries join it ([`InFlightTable`]). Replicas sharing a store count
//!    the attempts there ([`AttemptCounter`]), so the last is known even when a load balancer spreads them; a
//!    replica that receives a retry of work running elsewhere runs it too (the outbox still sends one answer);
//! 2. every attempt waits up to the account's budget (4.5 s from its arrival) and replies passively if the result
//!    is there — a passive reply costs no customer-service quota;
//! 3. otherwise an attempt that is not the last keeps holding the connection without answering, so WeChat retries
//!    (and if the result arrives meanwhile it is answered at once);
//! 4. the last attempt hands the push to the late-delivery sink (durably, before answering) and answers `success`
//!    or the sink's placeholder.
//!
//! While a handler runs past a second, the user sees the typing status when a customer-service sender is there.

mod early;
mod key;
mod late;
mod table;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use wxgate_proto::ReplyBody;
use wxgate_store::AttemptCounter;

pub use early::Early;
pub use key::{DedupMode, dedup_key};
pub use late::{Accepted, BoxFut, DropLate, LateDelivery, ParkingLot};
pub use table::{Arrival, Delivery, Entry, InFlightTable, Outcome};

use crate::context::Context;
use crate::dispatch::{self, RuleAnswer};
use crate::media::MediaUploader;
use crate::outbox::CustomerService;
use crate::router::Router;

/// How long a push may wait for state shared with other replicas (its attempt number, the user's window) before
/// it goes on with what this process knows: the answer must still reach WeChat within 5 seconds.
pub const SHARED_STATE_WAIT: Duration = Duration::from_millis(500);

/// How long an entry stays joinable at least (and at most twice that): all of WeChat's attempts (~15 s), with room.
pub const ENTRY_TTL: Duration = Duration::from_secs(30);

/// What answering needs besides the push: handlers, the in-flight table, late delivery, typing and uploads.
#[derive(Debug, Clone, Copy)]
pub struct Services<'a> {
    /// Rust handlers.
    pub router: &'a Router,
    /// Logical messages in flight.
    pub table: &'a InFlightTable,
    /// Where late answers go.
    pub late: &'a Arc<dyn LateDelivery>,
    /// Typing status sender, when there is one.
    pub typing: Option<&'a Arc<dyn CustomerService>>,
    /// Uploads for rules that reply with a file.
    pub media: Option<&'a Arc<dyn MediaUploader>>,
    /// Attempt numbers shared with other replicas, when several serve the account.
    pub attempts: Option<&'a Arc<dyn AttemptCounter>>,
}

/// Answers one attempt: `Some(reply)` to reply passively, `None` for `success`.
pub async fn answer(ctx: &Arc<Context>, services: Services<'_>) -> Option<ReplyBody> {
    let Services { table, late, .. } = services;
    let account = &ctx.account;
    if let Some(parked) = late.take_parked(&account.name, &ctx.inbound.from_user).await {
        // An answer owed from an earlier message goes out now; this message is still handled, and its own answer
        // is parked in turn if it cannot be given.
        let arrival = arrive(push_key(ctx).as_deref(), table);
        if arrival.is_first() {
            start(ctx, &arrival.entry, services);
        }
        let ticket = late.accept(ctx).await.ok().map(|a| a.ticket);
        if let Some(ticket) = ticket
            && let Err(outcome) = arrival.entry.hand_off(ticket)
        {
            late.complete(ticket, ctx.clone(), outcome).await;
        }
        return Some(parked);
    }

    // A config rule answers at once and always the same way, so a retry may simply be answered again: no entry.
    if let Some(RuleAnswer::Ready(outcome)) = dispatch::by_rules(ctx) {
        return outcome;
    }
    let key = push_key(ctx);
    let arrival = arrive(key.as_deref(), table);
    if arrival.is_first() {
        start(ctx, &arrival.entry, services);
    }
    let entry = &arrival.entry;
    if let Delivery::HandedOff(_) | Delivery::Streaming(_) = entry.delivery() {
        return None;
    }
    // Counted now, read only if the answer is not ready within the budget: a passive answer never waits for it.
    let counting = count_shared(key, services.attempts);
    let deadline = ctx.received_at + account.budget;
    match tokio::time::timeout_at(deadline.into(), entry.wait_passive()).await {
        Ok(Some(outcome)) => return passive_or_late(ctx, entry, late, outcome).await,
        Ok(None) => return None, // the answer is going out in parts
        Err(_) => {}
    }
    let attempt = shared_attempt(ctx, counting, arrival.attempt).await;
    if attempt < account.attempts {
        // Not the last attempt: stay silent so WeChat retries; answer if the result turns up meanwhile.
        tracing::debug!(account = %account.name, attempt, "holding the attempt for a retry");
        let outcome = tokio::time::timeout(account.hold, entry.wait_passive()).await.ok().flatten().flatten();
        return passive_or_late(ctx, entry, late, outcome).await;
    }
    match late.accept(ctx).await {
        Ok(Accepted { ticket, placeholder }) => match entry.hand_off(ticket) {
            Ok(()) => {
                tracing::info!(account = %account.name, attempt, "answer handed to late delivery");
                placeholder
            }
            Err(Some(body)) if dispatch::too_long_for_passive(&body) => {
                if entry.hand_off_ready(ticket) {
                    late.complete(ticket, ctx.clone(), Some(body)).await;
                    placeholder
                } else {
                    None
                }
            }
            Err(outcome) => {
                late.cancel(ticket).await;
                outcome
            }
        },
        Err(e) => {
            tracing::error!(account = %account.name, error = %e, "late delivery refused the push; its answer is lost");
            None
        }
    }
}

/// A ready answer goes out passively, unless it is a text too long for one passive reply: then it is handed to
/// late delivery (once, whichever attempt sees it first) and this attempt answers `success` or the placeholder.
async fn passive_or_late(
    ctx: &Arc<Context>,
    entry: &Arc<Entry>,
    late: &Arc<dyn LateDelivery>,
    outcome: Outcome,
) -> Option<ReplyBody> {
    match outcome {
        Some(body) if dispatch::too_long_for_passive(&body) => {
            if entry.delivery() != Delivery::Open {
                return None; // another attempt already handed it off
            }
            let accepted = match late.accept(ctx).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(account = %ctx.account.name, error = %e, "late delivery refused a long answer");
                    return None;
                }
            };
            // Tickets of one push are shared (the outbox accepts a dedup key once), so a lost race cancels nothing.
            if entry.hand_off_ready(accepted.ticket) {
                late.complete(accepted.ticket, ctx.clone(), Some(body)).await;
                accepted.placeholder
            } else {
                None
            }
        }
        other => other,
    }
}

/// Starts counting this attempt in the store shared with the other replicas, when there is one.
fn count_shared(
    key: Option<String>,
    counter: Option<&Arc<dyn AttemptCounter>>,
) -> Option<tokio::task::JoinHandle<Result<u32, wxgate_store::StoreError>>> {
    let (counter, key) = (counter?.clone(), key?);
    Some(tokio::spawn(async move { counter.count_attempt(&key, ENTRY_TTL.as_millis() as u64).await }))
}

/// Which of WeChat's attempts this is: the count shared with the other replicas when there is one (another
/// replica may have received the earlier attempts), else this process's own.
async fn shared_attempt(
    ctx: &Arc<Context>,
    counting: Option<tokio::task::JoinHandle<Result<u32, wxgate_store::StoreError>>>,
    local: u32,
) -> u32 {
    let Some(counting) = counting else { return local };
    match tokio::time::timeout(SHARED_STATE_WAIT, counting).await {
        Ok(Ok(Ok(n))) => n.max(local),
        Ok(Ok(Err(e))) => {
            tracing::warn!(account = %ctx.account.name, error = %e, "cannot count the attempt in the store; counting locally");
            local
        }
        _ => {
            tracing::warn!(account = %ctx.account.name, "the store is slow to count the attempt; counting locally");
            local
        }
    }
}

/// The key that tells this push's attempts from other pushes (none when the account turned dedup off).
fn push_key(ctx: &Context) -> Option<String> {
    dedup_key(&ctx.account.name, &ctx.inbound, ctx.account.dedup)
}

fn arrive(key: Option<&str>, table: &InFlightTable) -> Arrival {
    match key {
        Some(key) => table.arrive(key),
        // Without a key every request is its own (and last) attempt.
        None => InFlightTable::new(Duration::ZERO).arrive(""),
    }
}

/// Starts the work for a new entry: a matching rule answers inline; a handler runs in its own task, and its
/// result completes the entry (and goes to late delivery if the entry was handed off).
fn start(ctx: &Arc<Context>, entry: &Arc<Entry>, services: Services<'_>) {
    let work: std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>> = match dispatch::by_rules(ctx) {
        Some(RuleAnswer::Ready(outcome)) => {
            entry.complete(outcome);
            return;
        }
        Some(RuleAnswer::Upload(reply, file)) => {
            let (ctx, media) = (ctx.clone(), services.media.cloned());
            Box::pin(async move { dispatch::upload(&ctx, media.as_ref(), reply, &file).await })
        }
        None => {
            let Some(fut) = dispatch::by_router(ctx, services.router) else {
                entry.complete(None);
                return;
            };
            let ctx = ctx.clone();
            Box::pin(async move { dispatch::run(&ctx, fut).await })
        }
    };
    if let Some(cs) = services.typing {
        typing::spawn(ctx.clone(), entry.clone(), cs.clone());
    }
    ctx.set_early(Early::new(entry.clone(), services.late.clone()));
    let (ctx, entry, late) = (ctx.clone(), entry.clone(), services.late.clone());
    tokio::spawn(async move {
        let outcome = work.await;
        if let Some(ticket) = entry.complete(outcome.clone()) {
            late.complete(ticket, ctx, outcome).await;
        }
    });
}
