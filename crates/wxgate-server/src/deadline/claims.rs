//! One replica works out a push's answer, wherever WeChat's attempts land.
//!
//! Replicas sharing a store ([`WorkClaims`]) claim a push before starting its work. The first replica to see the
//! push wins the claim, renews its lease while the work runs, and records the result. A replica that receives an
//! attempt of a push claimed elsewhere does not start the work: it follows the claim (a short poll) and its
//! attempts answer from the recorded result as attempts joining local work do — passively when the result is
//! there in time, through late delivery when this replica received the last attempt. A claim whose lease runs
//! out without a result (its replica died) is taken over: the follower runs the work itself.
//!
//! When the store does not answer within [`SHARED_STATE_WAIT`], the replica runs the work itself: a second run
//! (whose answer the outbox still sends once) is better than none.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wxgate_store::{Claim, WorkClaims};

use super::attempts::{ENTRY_TTL, SHARED_STATE_WAIT};
use crate::answer::Outcome;

/// How long a claim lives without renewal: a replica that died is taken over this long after its last renewal.
const LEASE: Duration = Duration::from_secs(5);

/// How often the owner renews its leases (all in one call).
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// How often a follower asks for the result while WeChat's attempts may still come (they need it at once)…
const POLL: Duration = Duration::from_millis(100);

/// … and after that (only a hand-off is left to complete).
const POLL_LATER: Duration = Duration::from_secs(1);

/// How long a follower asks before it gives up (the owner keeps renewing but never finishes).
const FOLLOW_FOR: Duration = Duration::from_secs(600);

/// How long a recorded result is kept: longer than every attempt, and than a follower's last poll after them.
const RESULT_TTL: Duration = Duration::from_secs(2 * ENTRY_TTL.as_secs());

/// A result as recorded in the store.
#[derive(Debug, Serialize, Deserialize)]
struct Recorded {
    /// The work's outcome.
    outcome: Outcome,
    /// The owner sent it (or is sending it) through late delivery itself: nobody else may.
    delivered: bool,
}

/// Claims on pushes in the store shared with the other replicas, as this replica (`owner`).
#[derive(Debug)]
pub(crate) struct Claims {
    store: Arc<dyn WorkClaims>,
    owner: String,
    /// The claims held here while their work runs.
    held: Mutex<HashSet<String>>,
    /// Whether the task renewing them has started.
    renewing: AtomicBool,
}

/// What to do with a push this replica sees for the first time.
pub(crate) enum Decision {
    /// Run the work, holding the claim (`None`: the store did not answer; run it anyway).
    Run(Option<Held>),
    /// Another replica runs it: follow its claim.
    Follow,
    /// It has run: its outcome, and whether its owner delivers it.
    Finished(Outcome, bool),
}

/// How following a claim ended.
pub(crate) enum Followed {
    /// The owner recorded the result.
    Finished(Outcome, bool),
    /// The owner's lease ran out without a result: this replica holds the claim now and runs the work.
    TakenOver(Held),
    /// No result came in [`FOLLOW_FOR`].
    GaveUp,
}

/// A claim this replica holds while its work runs: renewed until [`Held::finish`] (or dropped).
pub(crate) struct Held {
    claims: Arc<Claims>,
    key: String,
}

impl Claims {
    /// Claims made in `store` as `owner` (unique to this process).
    pub(crate) fn new(store: Arc<dyn WorkClaims>, owner: String) -> Arc<Self> {
        Arc::new(Claims { store, owner, held: Mutex::new(HashSet::new()), renewing: AtomicBool::new(false) })
    }

    /// Claims the push `key`, or finds who holds it.
    pub(crate) async fn decide(self: &Arc<Self>, account: &str, key: &str) -> Decision {
        match tokio::time::timeout(SHARED_STATE_WAIT, self.store.claim(key, &self.owner, LEASE.as_millis() as u64))
            .await
        {
            Ok(Ok(Claim::Won)) => Decision::Run(Some(self.hold(key))),
            Ok(Ok(Claim::Held)) => Decision::Follow,
            Ok(Ok(Claim::Finished(recorded))) => {
                let (outcome, delivered) = parse(account, &recorded);
                Decision::Finished(outcome, delivered)
            }
            Ok(Err(e)) => {
                tracing::warn!(account, error = %e, "cannot claim the push in the store; running it here");
                Decision::Run(None)
            }
            Err(_) => {
                tracing::warn!(account, "the store is slow to claim the push; running it here");
                Decision::Run(None)
            }
        }
    }

    /// Waits for the result of the push `key` claimed by another replica, or takes the claim over when its lease
    /// runs out.
    pub(crate) async fn follow(self: &Arc<Self>, account: &str, key: &str) -> Followed {
        let started = tokio::time::Instant::now();
        let mut complained = false;
        while started.elapsed() < FOLLOW_FOR {
            let every = if started.elapsed() < ENTRY_TTL { POLL } else { POLL_LATER };
            tokio::time::sleep(every).await;
            match self.store.claim(key, &self.owner, LEASE.as_millis() as u64).await {
                Ok(Claim::Held) => {}
                Ok(Claim::Finished(recorded)) => {
                    let (outcome, delivered) = parse(account, &recorded);
                    return Followed::Finished(outcome, delivered);
                }
                Ok(Claim::Won) => {
                    tracing::info!(account, "the replica running a push stopped renewing its claim; running it here");
                    return Followed::TakenOver(self.hold(key));
                }
                Err(e) if !complained => {
                    complained = true;
                    tracing::warn!(account, error = %e, "cannot read a push's claim in the store; still trying");
                }
                Err(_) => {}
            }
        }
        tracing::warn!(account, "no result from the replica running a push; giving up on it here");
        Followed::GaveUp
    }

    fn hold(self: &Arc<Self>, key: &str) -> Held {
        self.held().insert(key.to_owned());
        if !self.renewing.swap(true, Ordering::SeqCst) {
            tokio::spawn(renew(Arc::downgrade(self)));
        }
        Held { claims: self.clone(), key: key.to_owned() }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Renews every claim held here, all in one call, every [`RENEW_EVERY`], for as long as the claims exist.
async fn renew(claims: Weak<Claims>) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let Some(claims) = claims.upgrade() else { return };
        let keys: Vec<String> = claims.held().iter().cloned().collect();
        if keys.is_empty() {
            continue;
        }
        match claims.store.renew_claims(&keys, &claims.owner, LEASE.as_millis() as u64).await {
            Ok(renewed) => {
                for (key, _) in keys.iter().zip(renewed).filter(|(_, renewed)| !renewed) {
                    // Finished meanwhile, or lost: only a claim still held here is news.
                    if claims.held().remove(key) {
                        tracing::warn!("a push's claim was lost (the store was slow); another replica may run it too");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew the pushes' claims; trying again"),
        }
    }
}

impl Held {
    /// Records the outcome (and whether this replica delivers it) for the other replicas, ending the claim.
    pub(crate) async fn finish(self, account: &str, outcome: &Outcome, delivered: bool) {
        self.claims.held().remove(&self.key);
        let recorded = match serde_json::to_string(&RecordedRef { outcome, delivered }) {
            Ok(recorded) => recorded,
            Err(e) => {
                tracing::error!(account, error = %e, "cannot record a push's outcome");
                return;
            }
        };
        let (store, owner) = (&self.claims.store, &self.claims.owner);
        let finishing = store.finish_claim(&self.key, owner, &recorded, RESULT_TTL.as_millis() as u64);
        match tokio::time::timeout(LEASE, finishing).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(account, error = %e, "cannot record a push's outcome in the store"),
            Err(_) => tracing::warn!(account, "the store is slow to record a push's outcome"),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.claims.held().remove(&self.key);
    }
}

/// [`Recorded`] by reference, to record without cloning the outcome.
#[derive(Serialize)]
struct RecordedRef<'a> {
    outcome: &'a Outcome,
    delivered: bool,
}

/// A recorded result; one that cannot be read counts as nothing to say, delivered (logged).
fn parse(account: &str, recorded: &str) -> (Outcome, bool) {
    match serde_json::from_str::<Recorded>(recorded) {
        Ok(r) => (r.outcome, r.delivered),
        Err(e) => {
            tracing::error!(account, error = %e, "a push's recorded outcome cannot be read; answering nothing");
            (None, true)
        }
    }
}
