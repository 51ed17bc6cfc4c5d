//! Sending the first parts of a long answer while the work still writes the rest.
//!
//! A model streaming a long answer has its first message's worth of text long before it has finished; waiting
//! for the end would delay every part by the whole generation time. A handler hands each finished part to
//! [`Context::send_early`](crate::Context::send_early): the part becomes its own late-delivery job, queued in order, and the entry switches
//! to [`Delivery::Streaming`] so every attempt answers `success` at once. Each part's successor job is accepted
//! (durably, with the push) *before* the part is recorded, so the rest of the answer always has a place in the
//! queue after it: the handler's final result completes that last job. After a crash that job is worked again
//! from the push like any awaited one, so the user receives the parts already sent and then the answer worked
//! out anew, whole (a model does not write the same answer twice, so it cannot resume mid-way). A crash between
//! accepting the successor and recording the part leaves two awaited jobs of one push; recovery works only the
//! newest (see the outbox's recovery).

use std::sync::Arc;

use tokio::sync::Mutex;
use wxgate_proto::ReplyBody;

use super::table::{Delivery, Entry};
use crate::answer::Answer;
use crate::context::{Context, EarlyParts};
use crate::ports::{BoxFut, LateDelivery};

/// The way to send parts early for one entry; set on the context when its work starts.
#[derive(Debug)]
pub(crate) struct Early {
    entry: Arc<Entry>,
    late: Arc<dyn LateDelivery>,
    /// Parts sent so far.
    sent: Mutex<u32>,
}

impl Early {
    /// Early sending for `entry` through `late`.
    pub(crate) fn new(entry: Arc<Entry>, late: Arc<dyn LateDelivery>) -> Self {
        Early { entry, late, sent: Mutex::new(0) }
    }

    async fn send_now(&self, ctx: &Arc<Context>, part: ReplyBody) -> bool {
        if !self.late.streams() {
            return false;
        }
        let mut sent = self.sent.lock().await;
        let current = match self.entry.delivery() {
            Delivery::Streaming(ticket) | Delivery::HandedOff(ticket) => ticket,
            Delivery::Elsewhere => return false,
            Delivery::Open => match self.late.accept(ctx).await {
                Ok(accepted) => accepted.ticket,
                Err(e) => {
                    tracing::warn!(account = %ctx.account.name, error = %e, "cannot send a part early");
                    return false;
                }
            },
        };
        let next = match self.late.accept_part(ctx, *sent + 1).await {
            Ok(ticket) => ticket,
            Err(e) => {
                tracing::warn!(account = %ctx.account.name, error = %e, "cannot send a part early");
                return false;
            }
        };
        self.late.complete(current, ctx.clone(), Some(Answer::Reply(part))).await;
        self.entry.stream(next);
        *sent += 1;
        true
    }
}

impl EarlyParts for Early {
    fn send<'a>(&'a self, ctx: &'a Arc<Context>, part: ReplyBody) -> BoxFut<'a, bool> {
        Box::pin(self.send_now(ctx, part))
    }
}
