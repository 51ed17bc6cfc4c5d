//! Which of WeChat's attempts a request is, when several replicas receive the attempts of one push.
//!
//! Each process counts the attempts it sees in its in-flight table. Replicas behind a load balancer that spreads
//! a push's attempts also count them in the store they share, so the last attempt is known wherever it lands.
//! The shared count is started as the attempt arrives and read only when the budget has run out: a passive
//! answer never waits for it, and a slow or hanging store costs at most [`SHARED_STATE_WAIT`].

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use wxgate_store::{AttemptCounter, StoreError};

/// How long a push may wait for state shared with other replicas (its attempt number, the user's window) before
/// it goes on with what this process knows: the answer must still reach WeChat within 5 seconds.
pub(crate) const SHARED_STATE_WAIT: Duration = Duration::from_millis(500);

/// How long an entry stays joinable at least (and at most twice that): all of WeChat's attempts (~15 s), with room.
pub(crate) const ENTRY_TTL: Duration = Duration::from_secs(30);

/// An attempt being counted in the shared store.
pub(crate) struct Counting(Option<JoinHandle<Result<u32, StoreError>>>);

/// Starts counting this attempt in the store shared with the other replicas, when there is one.
pub(crate) fn count_shared(key: Option<String>, counter: Option<&Arc<dyn AttemptCounter>>) -> Counting {
    let (Some(counter), Some(key)) = (counter, key) else { return Counting(None) };
    let counter = counter.clone();
    Counting(Some(tokio::spawn(async move { counter.count_attempt(&key, ENTRY_TTL.as_millis() as u64).await })))
}

impl Counting {
    /// Which attempt this is: the count shared with the other replicas when there is one (another replica may
    /// have received the earlier attempts), else this process's own (`local`).
    pub(crate) async fn attempt(self, account: &str, local: u32) -> u32 {
        let Some(counting) = self.0 else { return local };
        match tokio::time::timeout(SHARED_STATE_WAIT, counting).await {
            Ok(Ok(Ok(n))) => n.max(local),
            Ok(Ok(Err(e))) => {
                tracing::warn!(account, error = %e, "cannot count the attempt in the store; counting locally");
                local
            }
            _ => {
                tracing::warn!(account, "the store is slow to count the attempt; counting locally");
                local
            }
        }
    }
}
