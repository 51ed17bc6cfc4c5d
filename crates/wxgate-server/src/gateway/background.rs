//! The work a gateway does besides answering requests: the outbox worker sends late answers, the recovery renews
//! this process's leases and works again the pushes a dead process left, the spool's forwarder moves late
//! answers spooled while the shared store did not answer on to it, and the housekeeping forgets what is
//! due to be forgotten even when no request comes (in-flight entries past their time, queries the replay guard
//! no longer needs, closed customer-service windows) and sums up the refusals that were not logged one by one.
//! All start with the gateway ([`Gateway::serve`](super::Gateway::serve),
//! [`Gateway::into_axum`](super::Gateway::into_axum)) and stop with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::deadline::InFlightTable;
use crate::outbox::{Recovery, Spooled, Windows, Worker};
use crate::webhook::Replays;

/// How often the in-flight table is looked at: an entry then lives at most twice its time to live and a second.
const SWEEP: Duration = Duration::from_secs(1);

/// How often the spool is looked at while it holds something (and the shared store tried again).
const FORWARD_EVERY: Duration = Duration::from_millis(500);

/// How often closed windows are forgotten (a pass over all of them).
const PRUNE_EVERY: u32 = 60;

/// The background tasks of one gateway, not yet started.
#[derive(Debug)]
pub(crate) struct Background {
    pub(crate) worker: Worker,
    pub(crate) recovery: Recovery,
    /// The in-flight table to sweep.
    pub(crate) table: Arc<InFlightTable>,
    /// The replay guard's memory to sweep.
    pub(crate) replays: Arc<Replays>,
    /// The windows to prune.
    pub(crate) windows: Arc<Windows>,
    /// The local spool to forward, when the outbox has one.
    pub(crate) spool: Option<Arc<Spooled>>,
    pub(crate) clock: Clock,
    /// Turns `true`, or closes, when the gateway stops.
    pub(crate) stopped: watch::Receiver<bool>,
}

impl Background {
    /// Starts the tasks on the current tokio runtime; returns the recovery's and the outbox worker's tasks.
    pub(crate) fn spawn(self) -> (JoinHandle<()>, JoinHandle<()>) {
        let Background { worker, recovery, table, replays, windows, spool, clock, stopped } = self;
        if let Some(spool) = spool {
            tokio::spawn(forward(spool, stop(stopped.clone())));
        }
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
                replays.sweep();
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

/// Forwards what the spool holds to the shared store, whenever writes go to the spool, until `stopped`.
async fn forward(spool: Arc<Spooled>, stopped: impl std::future::Future<Output = ()>) {
    let mut tick = tokio::time::interval(FORWARD_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tick.tick() => {}
        }
        if !spool.state().spooling {
            continue;
        }
        if let Err(e) = spool.forward().await {
            tracing::debug!(error = %e, "the spool cannot be forwarded yet");
        }
    }
}
