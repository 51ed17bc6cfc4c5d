//! The work a gateway does besides answering requests: the outbox worker sends late answers, and the recovery
//! renews this process's leases and works again the pushes a dead process left. Both start with the gateway
//! ([`Gateway::serve`](super::Gateway::serve), [`Gateway::into_axum`](super::Gateway::into_axum)) and stop
//! with it.

use tokio::sync::watch;

use crate::outbox::{Recovery, Worker};

/// The background tasks of one gateway, not yet started.
#[derive(Debug)]
pub(crate) struct Background {
    pub(crate) worker: Worker,
    pub(crate) recovery: Recovery,
    /// Turns `true`, or closes, when the gateway stops.
    pub(crate) stopped: watch::Receiver<bool>,
}

impl Background {
    /// Starts both tasks on the current tokio runtime.
    pub(crate) fn spawn(self) {
        let Background { worker, recovery, stopped } = self;
        tokio::spawn(recovery.run(stop(stopped.clone())));
        tokio::spawn(worker.run(stop(stopped)));
    }
}

/// Resolves when `true` is sent or the sender is dropped.
async fn stop(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
