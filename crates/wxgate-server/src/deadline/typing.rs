//! The typing indicator while slow work runs (the customer-service typing API, 客服输入状态).
//!
//! After [`SHOW_AFTER`] without an answer the user sees 「对方正在输入」; the status lasts 15 s on the platform, so
//! it is renewed while the work runs, but only within 30 s of the user's message (later calls get 45080), and
//! cancelled when the work ends. A typing failure is logged and never affects the answer.

use std::sync::Arc;
use std::time::Duration;

use super::table::Entry;
use crate::context::Context;
use crate::ports::CustomerService;

/// How long work may run before the typing status is shown.
pub(crate) const SHOW_AFTER: Duration = Duration::from_secs(1);
/// How often the status is renewed (it expires after 15 s).
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(12);
/// The platform accepts typing only this long after the user's message.
pub(crate) const INTERACTION_WINDOW: Duration = Duration::from_secs(30);

/// Shows typing while `entry` has no result; spawned next to the work.
pub(crate) fn spawn(ctx: Arc<Context>, entry: Arc<Entry>, cs: Arc<dyn CustomerService>) {
    tokio::spawn(async move {
        let (caller, openid) = (ctx.caller(), ctx.inbound.from_user.as_str());
        let account = caller.account;
        if tokio::time::timeout(SHOW_AFTER, entry.wait()).await.is_ok() {
            return;
        }
        let mut shown = false;
        while ctx.received_at.elapsed() < INTERACTION_WINDOW {
            crate::metrics::Metrics::inc_account(&crate::metrics::get().typing_calls, account);
            match cs.typing(caller, openid, true).await {
                Ok(()) => shown = true,
                Err(e) => {
                    tracing::debug!(account, error = %e, "typing status not shown");
                    break;
                }
            }
            if tokio::time::timeout(RENEW_EVERY, entry.wait()).await.is_ok() {
                break;
            }
        }
        if shown {
            // Wait for the end of the work, then cancel (the platform clears it after 15 s anyway).
            let _ = tokio::time::timeout(Duration::from_secs(15), entry.wait()).await;
            crate::metrics::Metrics::inc_account(&crate::metrics::get().typing_calls, account);
            if let Err(e) = cs.typing(caller, openid, false).await {
                tracing::debug!(account, error = %e, "typing status not cancelled");
            }
        }
    });
}
