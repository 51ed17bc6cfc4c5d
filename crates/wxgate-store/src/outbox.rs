//! The outbox: answers that missed WeChat's last attempt, delivered later through the customer-service API.
//!
//! A job is written when the last attempt gives up waiting — **before** `success` is answered — holding the push
//! itself, so a crash loses nothing: on restart a job still [`JobState::Awaiting`] its answer is worked again.
//! When the answer is known the job becomes [`JobState::Ready`]; a worker claims it with a lease (only the holder
//! may finish it; a dead worker's lease runs out and the job is claimed again), sends it, and acknowledges. When
//! the user's quota runs out mid-answer the rest is put [`JobState::Sleeping`] until the user's next message
//! [wakes](OutboxStore::wake) it.
//! Jobs of one user (account + openid) go out in the order they were accepted; different users proceed in
//! parallel. Jobs that cannot be delivered end [`JobState::Dead`] with their reason.
//!
//! An awaited job is leased too: to the process working out its answer, which renews the lease while it works.
//! When that process dies its lease runs out and any process sharing the store adopts the job and works it
//! again ([`OutboxStore::adopt`]); a process restarted under the same instance name adopts its own earlier
//! jobs at once.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Accepted; the answer is still being worked out.
    Awaiting,
    /// The answer is known and waits to be sent (or to be sent again after a back-off).
    Ready,
    /// Part of the answer went out and the user's quota is used: the rest waits for the user's next message. A
    /// woken job is claimed again still `Sleeping`, so the worker knows it was waiting for the user.
    Sleeping,
    /// Sent.
    Done,
    /// Given up; `last_error` says why.
    Dead,
}

impl JobState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Awaiting => "awaiting",
            JobState::Ready => "ready",
            JobState::Sleeping => "sleeping",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "awaiting" => JobState::Awaiting,
            "ready" => JobState::Ready,
            "sleeping" => JobState::Sleeping,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => return None,
        })
    }
}

/// A job to accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Account name.
    pub account: String,
    /// The user's openid.
    pub openid: String,
    /// The push's dedup key: accepting the same key twice returns the first job.
    pub dedup_key: String,
    /// The push as received (inner XML/JSON), to work it again after a crash.
    pub push: Vec<u8>,
    /// Unix milliseconds of acceptance.
    pub accepted_at: i64,
    /// The process working out the answer, and until when (`None`: nobody; any process may adopt it).
    pub lease: Option<Lease>,
    /// Cloud Hosting resource reuse: the appid of the account the push came for (`x-wx-from-appid`), passed as
    /// `from_appid` on every platform call made for it.
    pub from_appid: Option<String>,
    /// Unix milliseconds before which the job is not sent, even once answered (0: as soon as it is answered).
    /// Unlike a back-off after a failed send, the user's next message does not lift it.
    pub not_before: i64,
}

/// Who holds a job, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The holder's name (for awaited jobs: `<instance>#<boot>`).
    pub owner: String,
    /// Unix milliseconds when the lease runs out unless renewed.
    pub until: i64,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id, increasing in acceptance order.
    pub id: i64,
    /// Account name.
    pub account: String,
    /// The user's openid.
    pub openid: String,
    /// The push's dedup key.
    pub dedup_key: String,
    /// The push as received.
    pub push: Vec<u8>,
    /// The answer to send, as JSON (set when Ready).
    pub answer: Option<String>,
    /// State.
    pub state: JobState,
    /// Send attempts so far.
    pub attempts: u32,
    /// Not to be claimed before this time (Unix ms): back-off.
    pub not_before: i64,
    /// Why the last attempt failed, or why the job is dead.
    pub last_error: Option<String>,
    /// Unix milliseconds of acceptance.
    pub accepted_at: i64,
    /// Cloud Hosting resource reuse: the appid the push came for (`x-wx-from-appid`).
    pub from_appid: Option<String>,
}

/// Durable storage of outbox jobs.
#[async_trait]
pub trait OutboxStore: Send + Sync + std::fmt::Debug {
    /// Accepts a push (state Awaiting); idempotent per dedup key (returns the existing job's id).
    async fn accept(&self, job: NewJob) -> Result<i64, StoreError>;
    /// Records the answer (JSON) of an Awaiting job, making it Ready (and unleased); `None` (nothing to say) makes
    /// it Done.
    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError>;
    /// Extends to `until` the lease of every Awaiting job `owner` holds (it is still working them out). Returns
    /// how many.
    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError>;
    /// Leases to `owner` until `now + lease_ms`, and returns oldest first, up to `limit` Awaiting jobs nobody
    /// works on: unleased, lease run out, or held by an earlier life of this instance (an owner starting with
    /// `previous`, other than `owner` itself).
    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;
    /// Claims up to `limit` jobs — Ready ones whose time has come, Sleeping ones that were woken — at most one per
    /// user and only a user's oldest unfinished job, leasing each to `worker` until `now + lease_ms`.
    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError>;
    /// Marks a claimed job Done; only the current lease holder may. Returns false when the lease was lost.
    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError>;
    /// Replaces the answer still to send (after part of it went out), keeping the lease; lease holder only.
    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError>;
    /// True when the user has an unfinished (Awaiting, Ready or Sleeping) job accepted after job `id`: more
    /// follows it, so the last message the quota allows should say how to get the rest.
    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError>;
    /// Makes every Sleeping job of a user claimable and every Ready one backed off after a failed send due now (a
    /// new interaction reopened the customer-service window). Returns how many it woke or made due earlier.
    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError>;
    /// Releases a claimed job for another try at `not_before` (it is Ready again), recording the error; lease
    /// holder only.
    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError>;
    /// Puts a claimed job to sleep until the user's next message [wakes](OutboxStore::wake) it; lease holder only.
    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError>;
    /// Gives a job up with its reason; lease holder only.
    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError>;
    /// Jobs in a state, oldest first (for the CLI and for crash recovery of Awaiting jobs).
    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError>;
    /// The users (account, openid) with answers Sleeping, up to `limit` — what a process starting needs to know
    /// to wake them on their next message, without reading the jobs themselves.
    async fn sleeping_users(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        let jobs = self.list(JobState::Sleeping, limit).await?;
        Ok(jobs.into_iter().map(|j| (j.account, j.openid)).collect())
    }
    /// Puts a Dead job back to Ready (operator retry). Returns false if it is not dead.
    async fn revive(&self, id: i64) -> Result<bool, StoreError>;
    /// Deletes a job (operator drop). Returns false if there was none.
    async fn remove(&self, id: i64) -> Result<bool, StoreError>;
    /// How many jobs wait in each state, and when the oldest Ready one was accepted (for metrics: one cheap
    /// query, never a scan of the jobs' bodies).
    async fn counts(&self) -> Result<OutboxCounts, StoreError>;
}

/// Jobs by state ([`OutboxStore::counts`]); Done jobs are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Accepted, answer still being worked out.
    pub awaiting: u64,
    /// Answer known, waiting to be sent (including back-off).
    pub ready: u64,
    /// Waiting for the user's next message.
    pub sleeping: u64,
    /// Given up.
    pub dead: u64,
    /// Unix ms at which the oldest Ready job was accepted.
    pub oldest_ready_accepted_at: Option<i64>,
}

/// The adoption rule shared by every backend: may `owner` adopt an Awaiting job leased as `lease` (owner, until)?
pub fn adoptable(lease: Option<(&str, i64)>, owner: &str, previous: Option<&str>, now: i64) -> bool {
    match lease {
        None => true,
        Some((held_by, until)) => until <= now || previous.is_some_and(|p| held_by != owner && held_by.starts_with(p)),
    }
}
