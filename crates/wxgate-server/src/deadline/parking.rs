//! The late-delivery sink of accounts that may not send customer-service messages: the late answer waits in
//! [`ParkingLot`] for the user's next message and goes out passively then. (The durable customer-service sink is
//! the outbox's.)

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use wxgate_proto::ReplyBody;

use crate::answer::Outcome;
use crate::context::Context;
use crate::ports::{Accepted, BoxFut, LateDelivery, SinkError};

/// Passive-only delivery: the last attempt answers a placeholder, and the late answer is parked until the user's
/// next message, which receives it passively.
#[derive(Debug)]
pub(crate) struct ParkingLot {
    placeholder: Option<ReplyBody>,
    next: AtomicU64,
    parked: Mutex<HashMap<(String, String), Vec<ReplyBody>>>,
}

impl ParkingLot {
    /// A lot answering `placeholder` (or `success` when `None`) on the last attempt.
    pub(crate) fn new(placeholder: Option<ReplyBody>) -> Self {
        ParkingLot { placeholder, next: AtomicU64::new(1), parked: Mutex::new(HashMap::new()) }
    }
}

impl ParkingLot {
    /// Parks an answer for the user's next message.
    pub(crate) fn park(&self, account: &str, openid: &str, reply: ReplyBody) {
        let key = (account.to_owned(), openid.to_owned());
        self.parked.lock().expect("parking lock").entry(key).or_default().push(reply);
    }
}

impl LateDelivery for ParkingLot {
    fn accept<'a>(&'a self, _ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, SinkError>> {
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
