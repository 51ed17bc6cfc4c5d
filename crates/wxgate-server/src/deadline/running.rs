//! Work running in this process (handlers, the model) and whether the process is draining, so a shutdown can
//! wait for the work to end and stop holding WeChat's attempts: a draining process hands every push it still
//! holds to late delivery at once, instead of staying silent for a retry it will not be there to answer.

use std::sync::Arc;

use tokio::sync::watch;

/// The count of running work and the draining flag of one gateway.
#[derive(Debug)]
pub(crate) struct Running {
    count: watch::Sender<usize>,
    draining: watch::Sender<bool>,
}

/// Held while one piece of work runs.
#[derive(Debug)]
pub(crate) struct Guard(Arc<Running>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.count.send_modify(|n| *n -= 1);
    }
}

impl Default for Running {
    fn default() -> Self {
        Running { count: watch::channel(0).0, draining: watch::channel(false).0 }
    }
}

impl Running {
    /// Counts a piece of work until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> Guard {
        self.count.send_modify(|n| *n += 1);
        Guard(self.clone())
    }

    /// How much work runs now.
    pub(crate) fn count(&self) -> usize {
        *self.count.borrow()
    }

    /// Resolves once no work runs.
    pub(crate) async fn idle(&self) {
        let _ = self.count.subscribe().wait_for(|n| *n == 0).await;
    }

    /// Starts draining (once and for all).
    pub(crate) fn drain(&self) {
        self.draining.send_replace(true);
    }

    /// True once draining.
    pub(crate) fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves once draining.
    pub(crate) async fn draining(&self) {
        let _ = self.draining.subscribe().wait_for(|d| *d).await;
    }
}
