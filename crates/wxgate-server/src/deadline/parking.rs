//! The late-delivery sink of accounts that may not send customer-service messages: the late answer waits in
//! [`ParkingLot`] for the user's next message and goes out passively then. (The durable customer-service sink is
//! the outbox's.)

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use wxgate_proto::ReplyBody;

use wxgate_proto::kf::KfMessage;

use crate::answer::{self, Answer, Outcome};
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
    /// Parks a customer-service message for the user's next message, as the passive reply that says the same
    /// (one that has none is left out, logged).
    pub(crate) fn park_message(&self, account: &str, message: &KfMessage) {
        match answer::as_passive(&message.body) {
            Some(reply) => self.park(account, &message.touser, reply),
            None => tracing::warn!(
                account,
                msg_type = message.body.msg_type(),
                "a message with no passive form cannot be parked; left out"
            ),
        }
    }

    /// Parks an answer for the user's next message.
    pub(crate) fn park(&self, account: &str, openid: &str, reply: ReplyBody) {
        crate::metrics::Metrics::inc(&crate::metrics::get().answers, account, "route", "parked");
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
            let (account, openid) = (&ctx.account.name, &ctx.inbound.from_user);
            match outcome {
                Some(Answer::Reply(reply)) => self.park(account, openid, reply),
                Some(answer) => {
                    for message in answer::messages(ctx.account.kind, answer, openid) {
                        self.park_message(account, &message);
                    }
                }
                None => {}
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
