//! Never miss the deadline: retries join the running work, and the answer goes out passively when it is ready in
//! time, or late through a [`LateDelivery`] sink when it is not.
//!
//! Per attempt (WeChat waits 5 s per attempt and makes 3):
//! 1. the first attempt starts the work ([`crate::work`]); retries join it ([`table::InFlightTable`]). Replicas
//!    sharing a store count the attempts there ([`attempts`]), so the last is known even when a load balancer
//!    spreads them, and claim the work there ([`claims`]): a replica that receives a retry of work running
//!    elsewhere waits for that work's result instead of running it again;
//! 2. every attempt waits up to the account's budget (4.5 s from its arrival) and replies passively if the result
//!    is there and fits one passive reply ([`crate::answer`]) — a passive reply costs no customer-service quota;
//! 3. otherwise an attempt that is not the last keeps holding the connection without answering, so WeChat retries
//!    (and if the result arrives meanwhile it is answered at once);
//! 4. the last attempt hands the push to the late-delivery sink (durably, before answering) and answers `success`
//!    or the sink's placeholder.
//!
//! While the work runs past a second, the user sees the typing status ([`typing`]); a handler may send the first parts of a long answer before it has finished ([`early`]).

mod attempts;
mod claims;
mod early;
mod parking;
mod running;
mod table;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use wxgate_proto::ReplyBody;
use wxgate_store::AttemptCounter;

pub(crate) use attempts::{ENTRY_TTL, SHARED_STATE_WAIT};
pub(crate) use claims::Claims;
pub(crate) use parking::ParkingLot;
pub(crate) use running::Running;
pub(crate) use table::InFlightTable;

use self::claims::{Decision, Followed, Held};
use self::early::Early;
use self::table::{Arrival, Delivery, Entry};
use crate::account::dedup_key;
use crate::answer::{self, Outcome};
use crate::clock::Clock;
use crate::context::Context;
use crate::metrics::{self, Metrics};
use crate::ports::{Accepted, CustomerService, LateDelivery, MediaUploader};
use crate::router::Router;
use crate::work::{self, Work};

/// What answering needs besides the push: handlers, the in-flight table, late delivery, typing and uploads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Services<'a> {
    /// Rust handlers.
    pub(crate) router: &'a Router,
    /// Logical messages in flight.
    pub(crate) table: &'a InFlightTable,
    /// Where late answers go.
    pub(crate) late: &'a Arc<dyn LateDelivery>,
    /// Typing status sender.
    pub(crate) typing: &'a Arc<dyn CustomerService>,
    /// Uploads for rules that reply with a file.
    pub(crate) media: &'a Arc<dyn MediaUploader>,
    /// Attempt numbers shared with other replicas, when several serve the account.
    pub(crate) attempts: Option<&'a Arc<dyn AttemptCounter>>,
    /// Claims on pushes' work shared with other replicas, when several serve the account.
    pub(crate) claims: Option<&'a Arc<Claims>>,
    /// Work running, and whether the process drains.
    pub(crate) running: &'a Arc<Running>,
    /// Wall time, to judge a push's age.
    pub(crate) clock: Clock,
}

/// How one attempt was answered.
#[derive(Debug)]
pub(crate) struct Answered {
    /// The passive reply (an answer, or late delivery's placeholder); `None` for `success`.
    pub(crate) reply: Option<ReplyBody>,
    /// The push's answer goes (or went, from an earlier attempt) through late delivery.
    pub(crate) handed_off: bool,
}

/// Answers one attempt (see the module doc).
pub(crate) async fn answer(ctx: &Arc<Context>, services: Services<'_>) -> Answered {
    let mut entry = None;
    let reply = attempt(ctx, services, &mut entry).await;
    let handed_off = entry.is_some_and(|e: Arc<Entry>| {
        matches!(e.delivery(), Delivery::HandedOff(_) | Delivery::Streaming(_) | Delivery::Elsewhere)
    });
    Answered { reply, handed_off }
}

/// Answers one attempt: `Some(reply)` to reply passively, `None` for `success`; `seen` gets the push's in-flight
/// entry once there is one.
async fn attempt(ctx: &Arc<Context>, services: Services<'_>, seen: &mut Option<Arc<Entry>>) -> Option<ReplyBody> {
    let Services { table, late, .. } = services;
    let account = &ctx.account;
    let kind = account.kind;
    let parked = late.take_parked(&account.name, &ctx.inbound.from_user).await;
    // A config rule answers at once and always the same way, so a retry may simply be answered again: no entry.
    let rule = match work::by_rules(ctx, services.media) {
        Some(Work::Ready(None)) if parked.is_none() => return None,
        Some(Work::Ready(Some(answer))) if parked.is_none() => match answer::into_passive(kind, answer) {
            Ok(reply) => return Some(reply),
            Err(answer) => Some(Work::Ready(Some(answer))),
        },
        rule => rule,
    };
    let key = dedup_key(&account.name, &ctx.inbound, account.dedup);
    let arrival = arrive(key.as_deref(), table);
    count_arrival(&account.name, &arrival);
    *seen = Some(arrival.entry.clone());
    if kind.is_mini_program() {
        return actively(ctx, &arrival, rule, key.as_deref(), services).await;
    }
    if arrival.is_first() {
        begin(ctx, &arrival.entry, rule, key.as_deref(), services).await;
    }
    let entry = &arrival.entry;
    if let Some(parked) = parked {
        // An answer owed from an earlier message goes out now; this message is still handled, and its own answer
        // is parked in turn if it cannot be given.
        let ticket = late.accept(ctx).await.ok().map(|a| a.ticket);
        if let Some(ticket) = ticket
            && let Err(outcome) = entry.hand_off(ticket)
        {
            late.complete(ticket, ctx.clone(), outcome).await;
        }
        return Some(parked);
    }
    if let Delivery::HandedOff(_) | Delivery::Streaming(_) | Delivery::Elsewhere = entry.delivery() {
        return None;
    }
    // Counted now, read only if the answer is not ready within the budget: a passive answer never waits for it.
    let counting = attempts::count_shared(key, services.attempts);
    let deadline = ctx.received_at + account.deadline.budget;
    // A draining process answers now: the retry it would wait for may never reach it.
    let draining = services.running.draining();
    tokio::pin!(draining);
    tokio::select! {
        waited = tokio::time::timeout_at(deadline, entry.wait_passive()) => match waited {
            Ok(Some(outcome)) => return passive_or_late(ctx, entry, late, outcome).await,
            Ok(None) => return None, // the answer is going out in parts
            Err(_) => {}
        },
        () = &mut draining => {}
    }
    let aged = || {
        let arrived_ms = services.clock.now_ms() - ctx.received_at.elapsed().as_millis() as i64;
        attempts::by_age(
            arrived_ms - ctx.inbound.create_time * 1000,
            account.deadline.retry_after,
            account.deadline.attempts,
        )
    };
    let attempt = counting.attempt(&account.name, arrival.attempt, aged).await;
    if attempt < account.deadline.attempts && !services.running.is_draining() {
        // Not the last attempt: stay silent so WeChat retries; answer if the result turns up meanwhile.
        tracing::debug!(account = %account.name, attempt, "holding the attempt for a retry");
        let held = tokio::select! {
            held = tokio::time::timeout(account.deadline.hold, entry.wait_passive()) => Some(held.ok().flatten().flatten()),
            () = &mut draining => None,
        };
        if let Some(outcome) = held {
            return passive_or_late(ctx, entry, late, outcome).await;
        }
    }
    // The hand-off runs in a task of its own: were WeChat to close the connection meanwhile (the store slow to
    // accept), the push is still accepted and its answer still delivered.
    let (ctx, entry, late) = (ctx.clone(), entry.clone(), late.clone());
    tokio::spawn(async move { hand_off(&ctx, &entry, &late, attempt).await }).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the hand-off to late delivery failed");
        None
    })
}

/// The last attempt's hand-off: accepts the push for late delivery (durably) and hands the answer over, unless it
/// turned up meanwhile; answers the placeholder, `success`, or the answer itself.
async fn hand_off(
    ctx: &Arc<Context>,
    entry: &Arc<Entry>,
    late: &Arc<dyn LateDelivery>,
    attempt: u32,
) -> Option<ReplyBody> {
    let account = &ctx.account;
    match late.accept(ctx).await {
        Ok(Accepted { ticket, placeholder }) => match entry.hand_off(ticket) {
            Ok(()) => {
                tracing::info!(account = %account.name, attempt, "answer handed to late delivery");
                placeholder
            }
            Err(Some(answer)) => match answer::into_passive(account.kind, answer) {
                Ok(reply) => {
                    late.cancel(ticket).await;
                    Some(reply)
                }
                Err(answer) if entry.hand_off_ready(ticket) => {
                    late.complete(ticket, ctx.clone(), Some(answer)).await;
                    placeholder
                }
                Err(_) => None,
            },
            Err(None) => {
                late.cancel(ticket).await;
                None
            }
        },
        Err(e) => {
            tracing::error!(account = %account.name, error = %e, "late delivery refused the push; its answer is lost");
            None
        }
    }
}

/// A Mini Program answers every push by customer service: the attempt accepts the push durably (the same job for
/// every attempt of one push), the first one starts the work, and each answers `success` at once. The answer
/// follows from the outbox.
async fn actively(
    ctx: &Arc<Context>,
    arrival: &Arrival,
    rule: Option<Work>,
    key: Option<&str>,
    services: Services<'_>,
) -> Option<ReplyBody> {
    match services.late.accept(ctx).await {
        Ok(accepted) => {
            if arrival.is_first() {
                // Nothing has run yet, so the hand-off always takes: the result goes to the outbox job.
                let _ = arrival.entry.hand_off(accepted.ticket);
                begin(ctx, &arrival.entry, rule, key, services).await;
            }
        }
        Err(e) => {
            tracing::error!(account = %ctx.account.name, error = %e, "late delivery refused the push; its answer is lost");
        }
    }
    None
}

/// A ready answer goes out passively when the account may give it so, else it is handed to late delivery (once,
/// whichever attempt sees it first) and this attempt answers `success` or the placeholder.
async fn passive_or_late(
    ctx: &Arc<Context>,
    entry: &Arc<Entry>,
    late: &Arc<dyn LateDelivery>,
    outcome: Outcome,
) -> Option<ReplyBody> {
    let answer = match answer::into_passive(ctx.account.kind, outcome?) {
        Ok(reply) => return Some(reply),
        Err(answer) => answer,
    };
    if entry.delivery() != Delivery::Open {
        return None; // another attempt already handed it off
    }
    let accepted = match late.accept(ctx).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(account = %ctx.account.name, error = %e, "late delivery refused an answer");
            return None;
        }
    };
    // Tickets of one push are shared (the outbox accepts a dedup key once), so a lost race cancels nothing.
    if entry.hand_off_ready(accepted.ticket) {
        late.complete(accepted.ticket, ctx.clone(), Some(answer)).await;
        accepted.placeholder
    } else {
        None
    }
}

/// Counts the attempt this arrival is (as far as this process saw) and whether it joined running work.
fn count_arrival(account: &str, arrival: &Arrival) {
    let m = metrics::get();
    Metrics::inc(&m.attempts, account, "attempt", arrival.attempt.min(9).to_string());
    if !arrival.is_first() {
        Metrics::inc_account(&m.retries_joined, account);
    }
}

fn arrive(key: Option<&str>, table: &InFlightTable) -> Arrival {
    match key {
        Some(key) => table.arrive(key),
        // Without a key every request is its own (and last) attempt.
        None => InFlightTable::new(Duration::ZERO).arrive(""),
    }
}

/// Starts the work for a push this process sees first, unless another replica claimed it: then this process
/// follows that replica's claim, and takes the work over if the replica dies. A rule's work is not claimed: it
/// answers at once, the same way wherever it runs.
async fn begin(ctx: &Arc<Context>, entry: &Arc<Entry>, rule: Option<Work>, key: Option<&str>, services: Services<'_>) {
    let starter = Starter::of(services);
    let (Some(claims), Some(key), None) = (services.claims, key, rule.as_ref()) else {
        return starter.start(ctx, entry, rule.unwrap_or_else(|| work::by_router(ctx, services.router)), None);
    };
    match claims.decide(&ctx.account.name, key).await {
        Decision::Run(held) => starter.start(ctx, entry, work::by_router(ctx, services.router), held),
        Decision::Finished(outcome, delivered) => starter.take_result(ctx, entry, outcome, delivered),
        Decision::Follow => {
            Metrics::inc_account(&metrics::get().claims_followed, &ctx.account.name);
            let (claims, key, ctx, entry) = (claims.clone(), key.to_owned(), ctx.clone(), entry.clone());
            let (router, counted) = (services.router.clone(), services.running.enter());
            tokio::spawn(async move {
                let _counted = counted;
                match claims.follow(&ctx.account.name, &key).await {
                    Followed::Finished(outcome, delivered) => starter.take_result(&ctx, &entry, outcome, delivered),
                    Followed::TakenOver(held) => {
                        let work = work::by_router(&ctx, &router);
                        starter.start(&ctx, &entry, work, Some(held));
                    }
                    Followed::GaveUp => {}
                }
            });
        }
    }
}

/// What starting work needs, owned (work may start later, in another task, when a claim is taken over).
struct Starter {
    late: Arc<dyn LateDelivery>,
    typing: Arc<dyn CustomerService>,
    running: Arc<Running>,
}

impl Starter {
    fn of(services: Services<'_>) -> Starter {
        Starter { late: services.late.clone(), typing: services.typing.clone(), running: services.running.clone() }
    }

    /// Starts the work for a new entry: an answer known at once completes it; running work goes on in its own
    /// task, and its result completes the entry (and goes to late delivery if the entry was handed off
    /// meanwhile). A claim held on the push records the result for the other replicas.
    fn start(&self, ctx: &Arc<Context>, entry: &Arc<Entry>, work: Work, held: Option<Held>) {
        Metrics::inc_account(&metrics::get().handler_runs, &ctx.account.name);
        let running = match work {
            Work::Ready(outcome) => {
                let ticket = entry.complete(outcome.clone());
                if ticket.is_some() || held.is_some() {
                    let (ctx, late) = (ctx.clone(), self.late.clone());
                    tokio::spawn(async move { finish(&ctx, &late, held, ticket, outcome).await });
                }
                return;
            }
            Work::Running(running) => running,
        };
        typing::spawn(ctx.clone(), entry.clone(), self.typing.clone());
        ctx.set_early(Arc::new(Early::new(entry.clone(), self.late.clone())));
        let (ctx, entry, late, counted) = (ctx.clone(), entry.clone(), self.late.clone(), self.running.enter());
        tokio::spawn(async move {
            let _counted = counted;
            let outcome = running.await;
            let ticket = entry.complete(outcome.clone());
            finish(&ctx, &late, held, ticket, outcome).await;
        });
    }

    /// Takes the result another replica recorded: the answer it delivers itself is not this process's to send;
    /// otherwise the result completes the entry as if the work had run here.
    fn take_result(&self, ctx: &Arc<Context>, entry: &Arc<Entry>, outcome: Outcome, delivered: bool) {
        if delivered {
            entry.elsewhere();
            return;
        }
        if let Some(ticket) = entry.complete(outcome.clone()) {
            let (ctx, late) = (ctx.clone(), self.late.clone());
            tokio::spawn(async move { late.complete(ticket, ctx, outcome).await });
        }
    }
}

/// What follows a finished piece of work: the claim records the outcome (and whether this process delivers it
/// late), then the late answer goes to its ticket.
async fn finish(
    ctx: &Arc<Context>,
    late: &Arc<dyn LateDelivery>,
    held: Option<Held>,
    ticket: Option<u64>,
    outcome: Outcome,
) {
    if let Some(held) = held {
        held.finish(&ctx.account.name, &outcome, ticket.is_some()).await;
    }
    if let Some(ticket) = ticket {
        late.complete(ticket, ctx.clone(), outcome).await;
    }
}
