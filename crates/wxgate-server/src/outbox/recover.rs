//! Awaited work that outlives its process: every push whose answer was still being worked out when its process
//! died is worked again — by the same instance when it restarts (at once), or by any process sharing the store
//! once the dead one's lease runs out.
//!
//! An answer sent in parts has at most one awaited job in normal operation: its tail. A crash inside
//! [`Context::send_early`](crate::Context::send_early), between accepting a part's successor and recording the
//! part, leaves two awaited jobs of one push; working both would send the whole answer twice. Only the newest
//! job of a push is worked again (it produces the whole answer anew); the older ones are closed with nothing to
//! send.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wxgate_proto::Inbound;
use wxgate_store::{Job, OutboxStore};

use super::now_ms;
use super::sink::Outbox;
use crate::account::Account;
use crate::context::Context;
use crate::dispatch;
use crate::router::Router;

/// Keeps awaited work alive and adopts abandoned work: renews this process's leases on the pushes it is
/// working out, and works again those nobody works on — at start the ones this instance's earlier life left,
/// then, every third of the work lease, the ones whose process stopped renewing (died, or lost the store).
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The store.
    pub store: Arc<dyn OutboxStore>,
    /// Where recovered answers are recorded.
    pub outbox: Outbox,
    /// Accounts by name.
    pub accounts: Arc<HashMap<String, Arc<Account>>>,
    /// The handlers.
    pub router: Router,
    /// The router's extensions, shared into every recovered context.
    pub extensions: Arc<axum::http::Extensions>,
    /// Uploads rule media.
    pub media: Option<Arc<dyn crate::media::MediaUploader>>,
    /// This process's lease name.
    pub owner: String,
    /// The prefix of this instance's lease names (`<instance>#`).
    pub instance: String,
    /// The work lease.
    pub work_lease: Duration,
    /// How many recovered pushes are worked at once (handlers may call a model).
    pub permits: Arc<tokio::sync::Semaphore>,
}

impl Recovery {
    /// Runs until `shutdown`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let me = Arc::new(self);
        let n = me.sweep(Some(&me.instance)).await;
        if n > 0 {
            tracing::info!(jobs = n, "recovered outbox jobs awaited before the restart");
        }
        let mut tick = tokio::time::interval((me.work_lease / 3).max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = me.store.renew(&me.owner, now_ms() + me.lease_ms()).await {
                tracing::warn!(error = %e, "cannot renew the leases of awaited work");
            }
            let n = me.sweep(None).await;
            if n > 0 {
                tracing::warn!(jobs = n, "adopted awaited work abandoned by another process");
            }
        }
    }

    fn lease_ms(&self) -> i64 {
        self.work_lease.as_millis() as i64
    }

    /// Adopts the awaited work nobody works on and starts working it again; returns how many jobs.
    async fn sweep(self: &Arc<Self>, previous: Option<&str>) -> usize {
        let jobs = match self.store.adopt(&self.owner, previous, now_ms(), self.lease_ms(), 1_000).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "cannot adopt awaited outbox jobs");
                return 0;
            }
        };
        let (jobs, superseded) = newest_per_push(jobs);
        for id in superseded {
            tracing::warn!(job = id, "closing a part superseded by a later awaited part of the same answer");
            if let Err(e) = self.outbox.record(id, None).await {
                tracing::error!(job = id, error = %e, "cannot close a superseded part");
            }
        }
        let n = jobs.len();
        for job in jobs {
            let me = self.clone();
            tokio::spawn(async move {
                // Adopted jobs stay leased to this process while they queue here.
                let _permit = me.permits.acquire().await;
                me.rework(job).await
            });
        }
        n
    }

    /// Works one adopted job again from its stored push and records the answer.
    async fn rework(&self, job: Job) {
        let (Some(account), Ok(inbound)) = (self.accounts.get(&job.account), Inbound::from_xml(&job.push)) else {
            tracing::error!(job = job.id, account = %job.account, "cannot recover job: unknown account or bad push");
            return;
        };
        let ctx = Arc::new(context(account.clone(), inbound, self.extensions.clone()));
        let outcome = match dispatch::by_rules(&ctx) {
            Some(dispatch::RuleAnswer::Ready(outcome)) => outcome,
            Some(dispatch::RuleAnswer::Upload(reply, file)) => {
                dispatch::upload(&ctx, self.media.as_ref(), reply, &file).await
            }
            None => match dispatch::by_router(&ctx, &self.router) {
                Some(fut) => dispatch::run(&ctx, fut).await,
                None => None,
            },
        };
        if let Err(e) = self.outbox.record(job.id, outcome).await {
            tracing::error!(job = job.id, error = %e, "cannot record a recovered answer");
        }
    }
}

fn context(account: Arc<Account>, inbound: Inbound, extensions: Arc<axum::http::Extensions>) -> Context {
    Context::new(inbound, account, wxgate_proto::Format::Xml, false, None, Instant::now(), extensions)
}

/// Splits awaited jobs into the newest per push (in id order) and the ids of older jobs of the same push.
fn newest_per_push(jobs: Vec<Job>) -> (Vec<Job>, Vec<i64>) {
    let mut newest: HashMap<(&str, &str), i64> = HashMap::new();
    for job in &jobs {
        let id = newest.entry((job.account.as_str(), push_key(&job.dedup_key))).or_insert(job.id);
        *id = (*id).max(job.id);
    }
    let newest: HashSet<i64> = newest.into_values().collect();
    let (keep, older): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|job| newest.contains(&job.id));
    (keep, older.into_iter().map(|job| job.id).collect())
}

/// The push's own dedup key: a part's key without its `\x1fpartN` suffix.
fn push_key(dedup_key: &str) -> &str {
    match dedup_key.rsplit_once("\u{1f}part") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => dedup_key,
    }
}

#[cfg(test)]
mod tests {
    use wxgate_store::JobState;

    use super::*;

    fn job(id: i64, key: &str) -> Job {
        Job {
            id,
            account: "acct".into(),
            openid: "o".into(),
            dedup_key: key.into(),
            push: Vec::new(),
            answer: None,
            state: JobState::Awaiting,
            attempts: 0,
            not_before: 0,
            last_error: None,
            accepted_at: 0,
        }
    }

    #[test]
    fn only_the_newest_part_of_a_push_is_worked_again() {
        let jobs =
            vec![job(1, "a"), job(2, "b\u{1f}part2"), job(3, "c"), job(4, "b\u{1f}part3"), job(5, "a\u{1f}partx")];
        let (keep, superseded) = newest_per_push(jobs);
        assert_eq!(keep.iter().map(|j| j.id).collect::<Vec<_>>(), [1, 3, 4, 5]);
        assert_eq!(superseded, [2]);
    }
}
