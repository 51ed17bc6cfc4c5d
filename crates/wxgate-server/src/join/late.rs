//! Late delivery: where an answer goes when it is not ready by the last attempt.
//!
//! The last attempt first asks the sink to *accept* the push (the outbox makes it durable here, before `success`
//! is answered, so a crash cannot lose it), then hands the entry off. When the work finishes, the sink gets the
//! result. Implementations: the durable customer-service outbox, and [`ParkingLot`] for accounts that may not
//! send customer-service messages (the answer waits for the user's next message).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use wxgate_proto::ReplyBody;

use super::table::Outcome;
use crate::context::Context;

/// A boxed future, for the object-safe trait below.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the last attempt answers once the sink has accepted the push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Identifies the push to the sink.
    pub ticket: u64,
    /// A passive reply to send now (e.g. "still thinking…"), or `None` for `success`.
    pub placeholder: Option<ReplyBody>,
}

/// Where late answers go.
pub trait LateDelivery: Send + Sync + std::fmt::Debug {
    /// Takes responsibility for the push (durably, where the sink is durable).
    fn accept<'a>(&'a self, ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, String>>;
    /// The result of an accepted push.
    fn complete(&self, ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()>;
    /// The push was answered passively after all (its result arrived in the meantime): forget the ticket.
    fn cancel(&self, ticket: u64) -> BoxFut<'_, ()>;
    /// Whether an answer may go out in parts while its work still runs ([`super::Early`]); false by default.
    fn streams(&self) -> bool {
        false
    }
    /// Takes responsibility for part `n` (1, 2, …) of the push's answer, queued after the parts before it (part 0
    /// is the push itself, [`LateDelivery::accept`]). Only called when [`LateDelivery::streams`] is true.
    fn accept_part<'a>(&'a self, _ctx: &'a Arc<Context>, _n: u32) -> BoxFut<'a, Result<u64, String>> {
        Box::pin(async { Err("this delivery does not send answers in parts".to_owned()) })
    }
    /// A passive reply owed to this user from earlier, taken (so it is given once); `None` by default.
    fn take_parked<'a>(&'a self, _account: &'a str, _openid: &'a str) -> BoxFut<'a, Option<ReplyBody>> {
        Box::pin(async { None })
    }
}

/// The fallback when no outbox is configured: late answers are logged and dropped.
#[derive(Debug, Default)]
pub struct DropLate {
    next: AtomicU64,
}

impl LateDelivery for DropLate {
    fn accept<'a>(&'a self, _ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, String>> {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move { Ok(Accepted { ticket, placeholder: None }) })
    }

    fn complete(&self, _ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()> {
        Box::pin(async move {
            if outcome.is_some() {
                tracing::warn!(
                    account = %ctx.account.name,
                    "answer ready after the last attempt and no outbox is configured: dropped"
                );
            }
        })
    }

    fn cancel(&self, _ticket: u64) -> BoxFut<'_, ()> {
        Box::pin(async {})
    }
}

/// Passive-only delivery: the last attempt answers a placeholder, and the late answer is parked until the user's
/// next message, which receives it passively.
#[derive(Debug)]
pub struct ParkingLot {
    placeholder: Option<ReplyBody>,
    next: AtomicU64,
    parked: Mutex<HashMap<(String, String), Vec<ReplyBody>>>,
}

impl ParkingLot {
    /// A lot answering `placeholder` (or `success` when `None`) on the last attempt.
    pub fn new(placeholder: Option<ReplyBody>) -> Self {
        ParkingLot { placeholder, next: AtomicU64::new(1), parked: Mutex::new(HashMap::new()) }
    }
}

impl ParkingLot {
    /// Parks an answer for the user's next message.
    pub fn park(&self, account: &str, openid: &str, reply: ReplyBody) {
        let key = (account.to_owned(), openid.to_owned());
        self.parked.lock().expect("parking lock").entry(key).or_default().push(reply);
    }
}

impl LateDelivery for ParkingLot {
    fn accept<'a>(&'a self, _ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, String>> {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let placeholder = self.placeholder.clone();
        Box::pin(async move { Ok(Accepted { ticket, placeholder }) })
    }

    fn complete(&self, _ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()> {
        Box::pin(async move {
            if let Some(reply) = outcome {
                self.park(&ctx.account.name, &ctx.inbound.from_user, reply);
            }
        })
    }

    fn cancel(&self, _ticket: u64) -> BoxFut<'_, ()> {
        Box::pin(async {})
    }

    fn take_parked<'a>(&'a self, account: &'a str, openid: &'a str) -> BoxFut<'a, Option<ReplyBody>> {
        Box::pin(async move {
            let mut parked = self.parked.lock().expect("parking lock");
            let key = (account.to_owned(), openid.to_owned());
            let queue = parked.get_mut(&key)?;
            let first = queue.remove(0);
            if queue.is_empty() {
                parked.remove(&key);
            }
            Some(first)
        })
    }
}
