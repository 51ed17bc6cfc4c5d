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
use std::time::Duration;

use axum::http::Extensions;
use wxgate_proto::Inbound;
use wxgate_store::{Job, OutboxStore};

use super::sink::Outbox;
use crate::account::Account;
use crate::clock::Clock;
use crate::context::{CloudInfo, Context};
use crate::ports::MediaUploader;
use crate::router::Router;
use crate::work;

/// How many recovered pushes are worked at once (handlers may call a model).
const CONCURRENCY: usize = 16;

/// Keeps awaited work alive and adopts abandoned work: renews this process's leases on the pushes it is
/// working out, and works again those nobody works on — at start the ones this instance's earlier life left,
/// then, every third of the work lease, the ones whose process stopped renewing (died, or lost the store).
#[derive(Debug)]
pub(crate) struct Recovery {
    store: Arc<dyn OutboxStore>,
    /// Where recovered answers are recorded.
    outbox: Outbox,
    accounts: HashMap<String, Arc<Account>>,
    router: Router,
    /// The router's extensions, shared into every recovered context.
    extensions: Arc<Extensions>,
    media: Arc<dyn MediaUploader>,
    /// This process's lease name.
    owner: String,
    /// The prefix of this instance's lease names (`<instance>#`).
    instance: String,
    work_lease: Duration,
    permits: tokio::sync::Semaphore,
    clock: Clock,
}

/// What a recovery works with: the gateway's accounts, handlers and uploads.
#[derive(Debug, Clone)]
pub(crate) struct RecoveryParts {
    /// Accounts by name.
    pub(crate) accounts: HashMap<String, Arc<Account>>,
    /// The handlers (the model last).
    pub(crate) router: Router,
    /// Uploads rule media.
    pub(crate) media: Arc<dyn MediaUploader>,
}

impl Recovery {
    /// The recovery of `store`'s awaited work into `outbox`, as process `owner` of replica `instance`.
    pub(crate) fn new(
        store: Arc<dyn OutboxStore>,
        outbox: Outbox,
        parts: RecoveryParts,
        config: &super::WorkerConfig,
        clock: Clock,
    ) -> Self {
        let RecoveryParts { accounts, router, media } = parts;
        Recovery {
            store,
            outbox,
            accounts,
            extensions: Arc::new(router.extensions()),
            router,
            media,
            owner: config.name.clone(),
            instance: format!("{}#", config.instance),
            work_lease: config.work_lease,
            permits: tokio::sync::Semaphore::new(CONCURRENCY),
            clock,
        }
    }

    /// Runs until `shutdown`.
    pub(crate) async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
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
            if let Err(e) = me.store.renew(&me.owner, me.clock.now_ms() + me.lease_ms()).await {
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
        let jobs = match self.store.adopt(&self.owner, previous, self.clock.now_ms(), self.lease_ms(), 1_000).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "cannot adopt awaited outbox jobs");
                return 0;
            }
        };
        let (jobs, superseded) = newest_per_push(jobs);
        for id in superseded {
            tracing::warn!(job = id, "closing a part superseded by a later awaited part of the same answer");
            if let Err(e) = self.outbox.close(id).await {
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
        let mut ctx = Context::new(inbound, account.clone()).with_extensions(self.extensions.clone());
        if let Some(from_appid) = &job.from_appid {
            // Resource reuse: the platform calls made for this push act for the account it came for.
            ctx = ctx.with_cloud(CloudInfo { from_appid: Some(from_appid.clone()), ..CloudInfo::default() });
        }
        let ctx = Arc::new(ctx);
        let outcome = work::choose(&ctx, &self.router, &self.media).finish().await;
        if let Err(e) = self.outbox.record(job.id, &ctx.account, &ctx.inbound.from_user, outcome).await {
            tracing::error!(job = job.id, error = %e, "cannot record a recovered answer");
        }
    }
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
            from_appid: None,
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
