//! The `auto` strategy: customer service until the platform says the account may not send it (48001), then
//! passive-only for that account — the undeliverable answer and every later one are parked for the user's next
//! message.
//!
//! The switch is kept in memory: after a restart the first late answer tries customer service again, meets the
//! same 48001, and switches again without losing the answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wxgate_proto::ReplyBody;
use wxgate_proto::kf::KfMessage;

use super::sink::Outbox;
use crate::answer::Outcome;
use crate::context::Context;
use crate::deadline::ParkingLot;
use crate::ports::{Accepted, BoxFut, LateDelivery, SinkError};

/// Tickets of parked answers carry this bit, so they never collide with outbox job ids.
const PARKED: u64 = 1 << 62;

/// Whether a ticket is a parked answer's: the bit set on a non-negative id (a job spooled while the shared store
/// did not answer has a negative id, every high bit set).
fn parked(ticket: u64) -> bool {
    (ticket as i64) >= 0 && ticket & PARKED != 0
}

/// Customer service with a passive-only fallback, for one account.
#[derive(Debug)]
pub(crate) struct AutoDelivery {
    outbox: Outbox,
    lot: ParkingLot,
    passive: AtomicBool,
}

impl AutoDelivery {
    /// An auto sink over the outbox; `placeholder` is answered once the account is passive-only.
    pub(crate) fn new(outbox: Outbox, placeholder: Option<ReplyBody>) -> Self {
        AutoDelivery { outbox, lot: ParkingLot::new(placeholder), passive: AtomicBool::new(false) }
    }

    /// True once the platform has refused customer service for this account.
    pub(crate) fn is_passive(&self) -> bool {
        self.passive.load(Ordering::SeqCst)
    }

    /// Called by the worker on 48001: switch, and park what could not be sent.
    pub(crate) fn no_permission(&self, account: &str, messages: Vec<KfMessage>) {
        if !self.passive.swap(true, Ordering::SeqCst) {
            tracing::warn!(account, "no customer-service permission (48001): switched to passive-only delivery");
        }
        for message in &messages {
            self.lot.park_message(account, message);
        }
    }
}

impl LateDelivery for AutoDelivery {
    fn accept<'a>(&'a self, ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, SinkError>> {
        Box::pin(async move {
            if self.is_passive() {
                let a = self.lot.accept(ctx).await?;
                Ok(Accepted { ticket: a.ticket | PARKED, placeholder: a.placeholder })
            } else {
                self.outbox.accept(ctx).await
            }
        })
    }

    fn complete(&self, ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()> {
        if parked(ticket) {
            self.lot.complete(ticket, ctx, outcome)
        } else {
            self.outbox.complete(ticket, ctx, outcome)
        }
    }

    fn streams(&self) -> bool {
        !self.is_passive()
    }

    fn accept_part<'a>(&'a self, ctx: &'a Arc<Context>, n: u32) -> BoxFut<'a, Result<u64, SinkError>> {
        if self.is_passive() {
            return Box::pin(async { Err(SinkError::Unsupported("passive-only: answers are not sent in parts")) });
        }
        self.outbox.accept_part(ctx, n)
    }

    fn cancel(&self, ticket: u64) -> BoxFut<'_, ()> {
        if parked(ticket) { self.lot.cancel(ticket) } else { self.outbox.cancel(ticket) }
    }

    fn take_parked<'a>(&'a self, account: &'a str, openid: &'a str) -> BoxFut<'a, Option<ReplyBody>> {
        self.lot.take_parked(account, openid)
    }
}
