//! Pushes as interactions: each opens (or renews) the user's customer-service window and wakes the answers that
//! waited for it.

use std::sync::Arc;

use tokio::sync::Notify;
use wxgate_store::OutboxStore;

use super::Windows;
use crate::clock::Clock;
use crate::context::Context;

/// What the webhook tells the outbox about every push.
#[derive(Debug, Clone)]
pub(crate) struct Interactions {
    /// Windows per user.
    pub(crate) windows: Arc<Windows>,
    /// The outbox store (to wake waiting jobs).
    pub(crate) store: Arc<dyn OutboxStore>,
    /// The worker's wake-up.
    pub(crate) wake: Arc<Notify>,
    /// The time windows open at.
    pub(crate) clock: Clock,
}

impl Interactions {
    /// Records a push from a user (before it is answered, so an answer handed over finds the window).
    pub(crate) async fn record(&self, ctx: &Context) {
        let (account, openid) = (&ctx.account.name, &ctx.inbound.from_user);
        self.windows.record(account, ctx.account.kind, &ctx.inbound, self.clock.now_ms()).await;
        if self.windows.take_sleeping(account, openid) {
            let (store, wake, account, openid) =
                (self.store.clone(), self.wake.clone(), account.clone(), openid.clone());
            tokio::spawn(async move {
                match store.wake(&account, &openid).await {
                    // The worker looks again only when something became claimable: with shared windows every
                    // push gets here, and most users have nothing waiting.
                    Ok(0) => {}
                    Ok(_) => wake.notify_one(),
                    Err(e) => tracing::error!(error = %e, "cannot wake waiting answers"),
                }
            });
        }
    }
}
