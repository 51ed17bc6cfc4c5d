//! The outbox of a replica whose shared store (Redis) may stop answering: late answers are spooled to a local
//! durable store (SQLite) meanwhile, and forwarded to the shared one, in order, once it answers again.
//!
//! Accepting a push is the write that must succeed before WeChat is answered `success`: when the shared store
//! refuses it (an error, or no answer within its own timeout), the push is written to the spool instead, and the
//! attempt answers `success` after that write. Its job id is then negative (the spool's id, negated), so an answer
//! recorded later finds the job wherever it is. An answer that cannot be recorded in the shared store is spooled
//! too, as a note to apply when it answers again.
//!
//! While the spool holds anything, new pushes are spooled as well, even when the shared store answers again: the
//! forwarder empties the spool oldest first, so each user's answers keep their order. Across replicas (each with
//! its own spool) the shared store places a user's jobs by acceptance time, and a forwarded job waits [`SETTLE`]
//! before it may be sent, so another replica's older spooled jobs arrive first. A push spooled while its
//! answer is still being worked out here is forwarded leased to this process (the recovery keeps renewing it); one
//! left by an earlier life of the process (killed while spooling) is forwarded unleased, and any replica's recovery
//! works it again.
//!
//! Every other operation (the worker's claims and acknowledgements, the recovery's adoption, the CLI) is the
//! shared store's alone: spooled jobs are not sent from the spool.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::RwLock;
use wxgate_store::{Job, JobState, Lease, NewJob, OutboxCounts, OutboxStore, StoreError};

use crate::clock::Clock;
use crate::metrics;

/// The dedup key of a spooled note "record this answer for the shared store's job N" starts with this.
const ANSWER_NOTE: &str = "\u{1f}answer-for\u{1f}";

/// How long a push's acceptance waits for the shared store before it is spooled instead: the attempt must still
/// be answered within WeChat's 5 s. (An acceptance that went through after all is found again by its dedup key
/// when the spooled copy is forwarded.)
const SHARED_WAIT: Duration = Duration::from_millis(300);

/// How long a job forwarded from the spool waits in the shared store before it may be sent. When two replicas
/// spooled answers for the same user during one outage, each forwards its own when it finds the shared store
/// again; the shared store orders a user's jobs by acceptance time, and this wait lets the later forwarder's older
/// jobs arrive and take their place first. It is several forwarding intervals (500 ms each).
const SETTLE: Duration = Duration::from_secs(3);

/// How many spooled jobs one forwarding pass reads at once.
const BATCH: usize = 256;

/// The outbox over a shared store, with a local spool for when that store does not answer.
#[derive(Debug)]
pub(crate) struct Spooled {
    shared: Arc<dyn OutboxStore>,
    spool: Arc<dyn OutboxStore>,
    /// This process's lease name, and how long a lease on a forwarded job lasts.
    owner: String,
    work_lease: Duration,
    clock: Clock,
    /// Writes go to the spool (it holds something, or the shared store just failed). Accepts read it under
    /// `mode`'s read lock; the forwarder clears it under the write lock once the spool is empty.
    spooling: AtomicBool,
    mode: RwLock<()>,
    /// One forwarding step, or one answer for a spooled job, at a time: an answer never lands on a spooled job
    /// being moved.
    moving: tokio::sync::Mutex<()>,
    /// Spool ids accepted by this process whose answers are still being worked out here.
    live: Mutex<HashSet<i64>>,
    /// Spool ids forwarded to the shared store while their answers were being worked out: spool id → shared id.
    forwarded: Mutex<HashMap<i64, i64>>,
}

/// What the spool's state looks like to the readiness probe and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpoolState {
    /// Writes currently go to the spool.
    pub(crate) spooling: bool,
}

impl Spooled {
    /// The outbox over `shared`, spooling to `spool` when `shared` fails.
    pub(crate) fn new(
        shared: Arc<dyn OutboxStore>,
        spool: Arc<dyn OutboxStore>,
        owner: String,
        work_lease: Duration,
        clock: Clock,
    ) -> Arc<Self> {
        Arc::new(Spooled {
            shared,
            spool,
            owner,
            work_lease,
            clock,
            // Something may be left from an earlier life: the first forwarding pass finds out.
            spooling: AtomicBool::new(true),
            mode: RwLock::new(()),
            moving: tokio::sync::Mutex::new(()),
            live: Mutex::new(HashSet::new()),
            forwarded: Mutex::new(HashMap::new()),
        })
    }

    /// Whether writes go to the spool now.
    pub(crate) fn state(&self) -> SpoolState {
        SpoolState { spooling: self.spooling.load(Ordering::SeqCst) }
    }

    fn start_spooling(&self, what: &str, error: &StoreError) {
        if !self.spooling.swap(true, Ordering::SeqCst) {
            metrics::get().spooling.set(1);
            tracing::warn!(
                error = %error,
                "the shared store refused a write ({what}); spooling late answers locally until it answers again"
            );
        }
    }

    async fn spool_accept(&self, job: NewJob) -> Result<i64, StoreError> {
        let id = self.spool.accept(job).await?;
        self.live.lock().expect("spool lock").insert(id);
        metrics::get().spooled.inc();
        Ok(-id)
    }

    async fn spool_answer_note(&self, shared_id: i64, answer: Option<String>) -> Result<(), StoreError> {
        let note = NewJob {
            account: String::new(),
            openid: String::new(),
            dedup_key: format!("{ANSWER_NOTE}{shared_id}"),
            push: serde_json::to_vec(&answer).expect("an optional string serializes"),
            accepted_at: self.clock.now_ms(),
            lease: None,
            from_appid: None,
            not_before: 0,
        };
        self.spool.accept(note).await?;
        metrics::get().spooled.inc();
        Ok(())
    }

    /// Forwards everything spooled to the shared store, oldest first; stops at the first failure of the shared
    /// store (it still does not answer) and returns how many jobs were forwarded. A job the shared store cannot
    /// take whatever is tried (an answer for a job it no longer has, a row that cannot be read) is logged and
    /// dropped, so it never holds the rest back. Once the spool is empty, writes go to the shared store again.
    pub(crate) async fn forward(&self) -> Result<usize, StoreError> {
        let mut moved = 0;
        loop {
            {
                // Listed and moved under one lock: no answer or removal lands on a row between the two.
                let _moving = self.moving.lock().await;
                let mut jobs = self.spool.list(JobState::Awaiting, BATCH).await?;
                jobs.extend(self.spool.list(JobState::Ready, BATCH).await?);
                jobs.sort_by_key(|j| j.id);
                jobs.truncate(BATCH);
                metrics::get().spool_jobs.set(jobs.len() as i64);
                if !jobs.is_empty() {
                    for job in jobs {
                        let id = job.id;
                        match self.forward_one(job).await {
                            Ok(()) => {}
                            Err(e @ StoreError::Backend(_)) => return Err(e),
                            Err(e) => {
                                tracing::error!(spooled = id, error = %e, "a spooled job cannot be forwarded; dropped");
                                self.live.lock().expect("spool lock").remove(&id);
                                self.spool.remove(id).await?;
                            }
                        }
                        moved += 1;
                    }
                    continue;
                }
            }
            let _exclusive = self.mode.write().await;
            // No accept or spooled answer is between its choice and its write now: if the spool is still empty,
            // it stays so.
            if self.spool.list(JobState::Awaiting, 1).await?.is_empty()
                && self.spool.list(JobState::Ready, 1).await?.is_empty()
            {
                metrics::get().spooling.set(0);
                if self.spooling.swap(false, Ordering::SeqCst) && moved > 0 {
                    tracing::info!(forwarded = moved, "the spool is drained; writing to the shared store again");
                }
                return Ok(moved);
            }
        }
    }

    /// Moves one spooled job to the shared store; the caller holds `moving`.
    async fn forward_one(&self, job: Job) -> Result<(), StoreError> {
        if let Some(shared_id) = job.dedup_key.strip_prefix(ANSWER_NOTE) {
            let shared_id: i64 = shared_id.parse().map_err(|_| StoreError::Corrupt(job.dedup_key.clone()))?;
            let answer: Option<String> =
                serde_json::from_slice(&job.push).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.shared.set_answer(shared_id, answer).await?;
            self.spool.remove(job.id).await?;
            return Ok(());
        }
        let working_here = job.state == JobState::Awaiting && self.live.lock().expect("spool lock").contains(&job.id);
        let now = self.clock.now_ms();
        let lease =
            working_here.then(|| Lease { owner: self.owner.clone(), until: now + self.work_lease.as_millis() as i64 });
        let shared_id = self
            .shared
            .accept(NewJob {
                account: job.account.clone(),
                openid: job.openid.clone(),
                dedup_key: job.dedup_key.clone(),
                push: job.push.clone(),
                accepted_at: job.accepted_at,
                lease,
                from_appid: job.from_appid.clone(),
                not_before: now + SETTLE.as_millis() as i64,
            })
            .await?;
        if job.state == JobState::Ready {
            self.shared.set_answer(shared_id, job.answer.clone()).await?;
        } else if working_here {
            self.forwarded.lock().expect("spool lock").insert(job.id, shared_id);
        }
        self.live.lock().expect("spool lock").remove(&job.id);
        self.spool.remove(job.id).await?;
        Ok(())
    }

    /// Records the answer of a spooled job (`spool_id` > 0): in the shared store if the job was forwarded
    /// meanwhile, else in the spool.
    async fn answer_spooled(&self, spool_id: i64, answer: Option<String>) -> Result<(), StoreError> {
        let _moving = self.moving.lock().await;
        self.live.lock().expect("spool lock").remove(&spool_id);
        let forwarded = self.forwarded.lock().expect("spool lock").remove(&spool_id);
        match forwarded {
            Some(shared_id) => self.answer_shared(shared_id, answer).await,
            None => self.spool.set_answer(spool_id, answer).await,
        }
    }

    async fn answer_shared(&self, shared_id: i64, answer: Option<String>) -> Result<(), StoreError> {
        match self.shared.set_answer(shared_id, answer.clone()).await {
            Err(StoreError::Backend(e)) => {
                // Under `mode`, like an accept: the forwarder cannot find the spool empty between the two.
                let _shared_mode = self.mode.read().await;
                self.start_spooling("an answer", &StoreError::Backend(e));
                self.spool_answer_note(shared_id, answer).await
            }
            other => other,
        }
    }
}

#[async_trait]
impl OutboxStore for Spooled {
    async fn accept(&self, job: NewJob) -> Result<i64, StoreError> {
        let _shared_mode = self.mode.read().await;
        if !self.spooling.load(Ordering::SeqCst) {
            match tokio::time::timeout(SHARED_WAIT, self.shared.accept(job.clone())).await {
                Ok(Err(StoreError::Backend(e))) => self.start_spooling("a push", &StoreError::Backend(e)),
                Err(_) => {
                    let slow = StoreError::Backend(format!("no answer within {} ms", SHARED_WAIT.as_millis()));
                    self.start_spooling("a push", &slow);
                }
                Ok(other) => return other,
            }
        }
        self.spool_accept(job).await
    }

    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
        if id < 0 { self.answer_spooled(-id, answer).await } else { self.answer_shared(id, answer).await }
    }

    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        self.shared.renew(owner, until).await
    }

    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.shared.adopt(owner, previous, now, lease_ms, limit).await
    }

    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.shared.claim(worker, now, lease_ms, limit).await
    }

    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.shared.ack(id, worker).await
    }

    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
        self.shared.set_remaining(id, worker, answer).await
    }

    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
        self.shared.has_later(account, openid, id).await
    }

    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
        self.shared.wake(account, openid).await
    }

    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
        self.shared.retry(id, worker, not_before, error).await
    }

    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        self.shared.sleep(id, worker).await
    }

    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
        self.shared.kill(id, worker, reason).await
    }

    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
        self.shared.list(state, limit).await
    }

    async fn sleeping_users(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        self.shared.sleeping_users(limit).await
    }

    async fn revive(&self, id: i64) -> Result<bool, StoreError> {
        self.shared.revive(id).await
    }

    async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        if id >= 0 {
            return self.shared.remove(id).await;
        }
        let _moving = self.moving.lock().await;
        self.live.lock().expect("spool lock").remove(&-id);
        let forwarded = self.forwarded.lock().expect("spool lock").remove(&-id);
        match forwarded {
            Some(shared_id) => self.shared.remove(shared_id).await,
            None => self.spool.remove(-id).await,
        }
    }

    async fn counts(&self) -> Result<OutboxCounts, StoreError> {
        self.shared.counts().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use wxgate_store::memory::MemoryStore;

    /// A shared store that can be taken down: every call fails while `down`.
    #[derive(Debug, Default)]
    struct Flaky {
        store: MemoryStore,
        down: AtomicBool,
    }

    impl Flaky {
        fn up(&self) -> Result<(), StoreError> {
            match self.down.load(Ordering::SeqCst) {
                true => Err(StoreError::Backend("connection refused".into())),
                false => Ok(()),
            }
        }
    }

    #[async_trait]
    impl OutboxStore for Flaky {
        async fn accept(&self, job: NewJob) -> Result<i64, StoreError> {
            self.up()?;
            self.store.accept(job).await
        }
        async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
            self.up()?;
            self.store.set_answer(id, answer).await
        }
        async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
            self.up()?;
            self.store.renew(owner, until).await
        }
        async fn adopt(
            &self,
            owner: &str,
            previous: Option<&str>,
            now: i64,
            lease_ms: i64,
            limit: usize,
        ) -> Result<Vec<Job>, StoreError> {
            self.up()?;
            self.store.adopt(owner, previous, now, lease_ms, limit).await
        }
        async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
            self.up()?;
            self.store.claim(worker, now, lease_ms, limit).await
        }
        async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
            self.up()?;
            self.store.ack(id, worker).await
        }
        async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
            self.up()?;
            self.store.set_remaining(id, worker, answer).await
        }
        async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
            self.up()?;
            self.store.has_later(account, openid, id).await
        }
        async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
            self.up()?;
            self.store.wake(account, openid).await
        }
        async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
            self.up()?;
            self.store.retry(id, worker, not_before, error).await
        }
        async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
            self.up()?;
            self.store.sleep(id, worker).await
        }
        async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
            self.up()?;
            self.store.kill(id, worker, reason).await
        }
        async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
            self.up()?;
            self.store.list(state, limit).await
        }
        async fn revive(&self, id: i64) -> Result<bool, StoreError> {
            self.up()?;
            self.store.revive(id).await
        }
        async fn remove(&self, id: i64) -> Result<bool, StoreError> {
            self.up()?;
            self.store.remove(id).await
        }
        async fn counts(&self) -> Result<OutboxCounts, StoreError> {
            self.up()?;
            self.store.counts().await
        }
    }

    fn job(key: &str) -> NewJob {
        NewJob {
            account: "acct".into(),
            openid: "o1".into(),
            dedup_key: key.into(),
            push: key.as_bytes().to_vec(),
            accepted_at: 1,
            lease: None,
            from_appid: None,
            not_before: 0,
        }
    }

    /// The keys of the shared store's jobs in `state`, oldest first.
    async fn keys(shared: &Flaky, state: JobState) -> Vec<String> {
        shared.store.list(state, 100).await.unwrap().into_iter().map(|j| j.dedup_key).collect()
    }

    #[tokio::test]
    async fn a_spool_keeps_what_the_shared_store_refused_and_forwards_it_in_order() {
        let shared = Arc::new(Flaky::default());
        let spool = Arc::new(MemoryStore::new());
        let outbox = Spooled::new(shared.clone(), spool, "me".into(), Duration::from_secs(30), Clock::system());
        assert_eq!(outbox.forward().await.unwrap(), 0, "nothing left from an earlier life");
        assert!(outbox.accept(job("before")).await.unwrap() > 0, "written to the shared store");

        shared.down.store(true, Ordering::SeqCst);
        let answered = outbox.accept(job("answered")).await.unwrap();
        assert!(answered < 0, "spooled");
        outbox.set_answer(answered, Some("\"a\"".into())).await.unwrap();
        let working = outbox.accept(job("working")).await.unwrap();
        assert!(outbox.forward().await.is_err(), "the shared store still refuses");

        // Back up, but the spool still holds the user's earlier answers: a new push queues behind them.
        shared.down.store(false, Ordering::SeqCst);
        let after = outbox.accept(job("after")).await.unwrap();
        assert!(after < 0, "spooled behind the earlier ones");
        let forwarded_at = Clock::system().now_ms();
        assert_eq!(outbox.forward().await.unwrap(), 3);
        assert!(!outbox.state().spooling);
        assert_eq!(keys(&shared, JobState::Ready).await, ["answered"]);
        let ready = shared.store.list(JobState::Ready, 10).await.unwrap();
        assert!(
            ready[0].not_before >= forwarded_at + SETTLE.as_millis() as i64,
            "a forwarded job waits for another replica's older ones: {ready:?}"
        );
        assert_eq!(keys(&shared, JobState::Awaiting).await, ["before", "working", "after"]);

        // The work still running here finds its job where it went; a new push goes straight to the shared store.
        outbox.set_answer(working, Some("\"w\"".into())).await.unwrap();
        assert_eq!(keys(&shared, JobState::Ready).await, ["answered", "working"]);
        assert!(outbox.accept(job("later")).await.unwrap() > 0);

        // An answer the shared store refuses is spooled as a note and recorded once it answers again.
        shared.down.store(true, Ordering::SeqCst);
        outbox.set_answer(after, Some("\"f\"".into())).await.unwrap();
        shared.down.store(false, Ordering::SeqCst);
        assert_eq!(outbox.forward().await.unwrap(), 1);
        assert_eq!(keys(&shared, JobState::Ready).await, ["answered", "working", "after"]);
    }
}
