//! The work a gateway does besides answering requests: the outbox worker sends late answers, the recovery renews
//! this process's leases and works again the pushes a dead process left, and the housekeeping forgets what is
//! due to be forgotten even when no request comes (in-flight entries past their time, closed customer-service
//! windows) and sums up the refusals that were not logged one by one. All start with the gateway
//! ([`Gateway::serve`](super::Gateway::serve), [`Gateway::into_axum`](super::Gateway::into_axum)) and stop with
//! it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::deadline::InFlightTable;
use crate::outbox::{Recovery, Windows, Worker};

/// How often the in-flight table is looked at: an entry then lives at most twice its time to live and a second.
const SWEEP: Duration = Duration::from_secs(1);

/// How often closed windows are forgotten (a pass over all of them).
const PRUNE_EVERY: u32 = 60;

/// The background tasks of one gateway, not yet started.
#[derive(Debug)]
pub(crate) struct Background {
    pub(crate) worker: Worker,
    pub(crate) recovery: Recovery,
    /// The in-flight table to sweep.
    pub(crate) table: Arc<InFlightTable>,
    /// The windows to prune.
    pub(crate) windows: Arc<Windows>,
    pub(crate) clock: Clock,
    /// Turns `true`, or closes, when the gateway stops.
    pub(crate) stopped: watch::Receiver<bool>,
}

impl Background {
    /// Starts the tasks on the current tokio runtime; returns the recovery's and the outbox worker's tasks.
    pub(crate) fn spawn(self) -> (JoinHandle<()>, JoinHandle<()>) {
        let Background { worker, recovery, table, windows, clock, stopped } = self;
        let recovering = tokio::spawn(recovery.run(stop(stopped.clone())));
        let working = tokio::spawn(worker.run(stop(stopped.clone())));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let stopped = stop(stopped);
            tokio::pin!(stopped);
            for n in 0u32.. {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tick.tick() => {}
                }
                table.sweep();
                crate::webhook::flush_quiet_log();
                if n % PRUNE_EVERY == 0 {
                    windows.prune(clock.now_ms());
                }
            }
        });
        (recovering, working)
    }
}

/// Resolves when `true` is sent or the sender is dropped.
async fn stop(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
