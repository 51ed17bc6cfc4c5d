//! The in-memory store: for tests, benchmarks and single-process setups that accept losing work on a crash.
//!
//! The outbox keeps indexes beside its jobs, so a claim never walks past finished jobs, answers asleep for their
//! users or the jobs being sent: the unfinished jobs not asleep and not claimed (`awake`), the claimed ones with
//! their leases (`in_flight`, back in `awake` when a lease runs out or the job is retried), and each user's
//! unfinished jobs (`users`), whose oldest is the only one of theirs a claim may take. The counts for metrics walk
//! the unfinished jobs only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::StoreError;
use crate::outbox::{Job, JobState, NewJob, OutboxStore};

#[derive(Debug)]
struct Row {
    job: Job,
    lease: Option<(String, i64)>,
    /// Sleeping and not woken yet.
    asleep: bool,
    /// `account \x1f openid`: the key of the user's jobs in `State::users`.
    user: Arc<str>,
}

#[derive(Debug, Default)]
struct State {
    conversations: HashMap<(String, String), Vec<crate::Turn>>,
    next_id: i64,
    jobs: BTreeMap<i64, Row>,
    by_key: HashMap<String, i64>,
    /// Unfinished jobs neither asleep nor claimed: what claims, adoption and renewal look at.
    awake: BTreeSet<i64>,
    /// Claimed jobs and when their leases run out (as many as the workers hold).
    in_flight: HashMap<i64, i64>,
    /// Each user's unfinished jobs.
    users: HashMap<Arc<str>, BTreeSet<i64>>,
    /// How many jobs are dead (the other states are counted from `users`).
    dead: u64,
}

impl State {
    /// Job `id` is settled (done, dead or removed): out of the indexes.
    fn settle(&mut self, id: i64) {
        self.awake.remove(&id);
        self.in_flight.remove(&id);
        if let Some(row) = self.jobs.get(&id)
            && let Some(ids) = self.users.get_mut(&row.user)
        {
            ids.remove(&id);
            if ids.is_empty() {
                self.users.remove(&row.user);
            }
        }
    }

    /// Job `id` is unfinished again (revived): back in the indexes.
    fn reopen(&mut self, id: i64) {
        if let Some(row) = self.jobs.get(&id) {
            self.awake.insert(id);
            self.users.entry(row.user.clone()).or_default().insert(id);
        }
    }
}

fn user_key(account: &str, openid: &str) -> String {
    format!("{account}\u{1f}{openid}")
}

/// Everything in one process's memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Tokens, leases and the media cache (the capabilities are implemented in `memory_kv`).
    pub(crate) kv: KvState,
}

/// A stored token and whether it is still valid.
#[derive(Debug)]
pub(crate) struct TokenRow {
    pub(crate) token: crate::StoredToken,
    pub(crate) invalidated_at_ms: Option<u64>,
}

/// A push's claim: the lease (owner, until) while its work runs, then the result (until forgotten).
#[derive(Debug, Default)]
pub(crate) struct ClaimRow {
    pub(crate) lease: Option<(String, std::time::Instant)>,
    pub(crate) result: Option<(String, std::time::Instant)>,
}

/// The maps behind the in-memory token store, media cache, attempt counter, claims and windows.
#[derive(Debug, Default)]
pub(crate) struct KvState {
    pub(crate) tokens: Mutex<HashMap<String, TokenRow>>,
    pub(crate) leases: Mutex<HashMap<String, (String, u64)>>,
    pub(crate) media: Mutex<HashMap<crate::MediaKey, crate::CachedMedia>>,
    pub(crate) attempts: Mutex<HashMap<String, (u32, std::time::Instant)>>,
    pub(crate) claims: Mutex<HashMap<String, ClaimRow>>,
    pub(crate) windows: Mutex<HashMap<(String, String), crate::StoredWindow>>,
    pub(crate) replays: Mutex<HashMap<String, (String, std::time::Instant)>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("memory store lock"))
    }
}

fn holder(row: &Row, worker: &str) -> bool {
    row.lease.as_ref().is_some_and(|(w, _)| w == worker) && claimable(row.job.state)
}

/// Ready and Sleeping jobs are the ones a worker claims and settles.
fn claimable(state: JobState) -> bool {
    matches!(state, JobState::Ready | JobState::Sleeping)
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn accept(&self, job: NewJob) -> Result<i64, StoreError> {
        Ok(self.with(|s| {
            if let Some(id) = s.by_key.get(&job.dedup_key) {
                return *id;
            }
            s.next_id += 1;
            let id = s.next_id;
            let lease = job.lease;
            s.by_key.insert(job.dedup_key.clone(), id);
            let job = Job {
                id,
                account: job.account,
                openid: job.openid,
                dedup_key: job.dedup_key,
                push: job.push,
                answer: None,
                state: JobState::Awaiting,
                attempts: 0,
                not_before: job.not_before,
                last_error: None,
                accepted_at: job.accepted_at,
                from_appid: job.from_appid,
            };
            let user: Arc<str> = user_key(&job.account, &job.openid).into();
            s.users.entry(user.clone()).or_default().insert(id);
            s.awake.insert(id);
            s.jobs.insert(id, Row { job, lease: lease.map(|l| (l.owner, l.until)), asleep: false, user });
            id
        }))
    }

    async fn set_answer(&self, id: i64, answer: Option<String>) -> Result<(), StoreError> {
        self.with(|s| {
            let row = s.jobs.get_mut(&id).ok_or_else(|| StoreError::NotFound(format!("job {id}")))?;
            if row.job.state == JobState::Awaiting {
                row.job.state = if answer.is_some() { JobState::Ready } else { JobState::Done };
                row.job.answer = answer;
                row.lease = None;
                if row.job.state == JobState::Done {
                    s.settle(id);
                }
            }
            Ok(())
        })
    }

    async fn renew(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        Ok(self.with(|s| {
            let mut n = 0;
            let State { jobs, awake, .. } = s;
            for id in awake.iter() {
                let Some(row) = jobs.get_mut(id).filter(|r| r.job.state == JobState::Awaiting) else { continue };
                if let Some((o, u)) = &mut row.lease
                    && o == owner
                {
                    *u = until;
                    n += 1;
                }
            }
            n
        }))
    }

    async fn adopt(
        &self,
        owner: &str,
        previous: Option<&str>,
        now: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        Ok(self.with(|s| {
            let mut adopted = Vec::new();
            let State { jobs, awake, .. } = s;
            for id in awake.iter() {
                let Some(row) = jobs.get_mut(id).filter(|r| r.job.state == JobState::Awaiting) else { continue };
                if adopted.len() >= limit {
                    break;
                }
                if crate::outbox::adoptable(row.lease.as_ref().map(|(o, u)| (o.as_str(), *u)), owner, previous, now) {
                    row.lease = Some((owner.to_owned(), now + lease_ms));
                    adopted.push(row.job.clone());
                }
            }
            adopted
        }))
    }

    async fn claim(&self, worker: &str, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>, StoreError> {
        Ok(self.with(|s| {
            let mut claimed = Vec::new();
            let State { jobs, awake, users, in_flight, .. } = s;
            // Claimed jobs whose leases ran out are candidates again.
            in_flight.retain(|id, until| {
                let running = *until > now;
                if !running {
                    awake.insert(*id);
                }
                running
            });
            for id in awake.iter() {
                if claimed.len() >= limit {
                    break;
                }
                let Some(row) = jobs.get_mut(id) else { continue };
                // Only the oldest unfinished job of each user is a candidate.
                if users.get(&row.user).and_then(|ids| ids.first()) != Some(id) {
                    continue;
                }
                let leased = row.lease.as_ref().is_some_and(|(_, until)| *until > now);
                let due = match row.job.state {
                    JobState::Ready => row.job.not_before <= now,
                    JobState::Sleeping => !row.asleep,
                    _ => false,
                };
                if due && !leased {
                    row.lease = Some((worker.to_owned(), now + lease_ms));
                    claimed.push(row.job.clone());
                }
            }
            for job in &claimed {
                awake.remove(&job.id);
                in_flight.insert(job.id, now + lease_ms);
            }
            claimed
        }))
    }

    async fn ack(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if holder(row, worker) => {
                row.job.state = JobState::Done;
                row.job.attempts += 1;
                row.lease = None;
                s.settle(id);
                true
            }
            _ => false,
        }))
    }

    async fn set_remaining(&self, id: i64, worker: &str, answer: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if holder(row, worker) => {
                row.job.answer = Some(answer.to_owned());
                true
            }
            _ => false,
        }))
    }

    async fn has_later(&self, account: &str, openid: &str, id: i64) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.users.get(user_key(account, openid).as_str()).is_some_and(|ids| ids.range(id + 1..).next().is_some())
        }))
    }

    async fn wake(&self, account: &str, openid: &str) -> Result<u64, StoreError> {
        Ok(self.with(|s| {
            let mut n = 0;
            let State { jobs, awake, users, .. } = s;
            for id in users.get(user_key(account, openid).as_str()).into_iter().flatten() {
                let Some(row) = jobs.get_mut(id) else { continue };
                let backed_off = row.job.state == JobState::Ready && row.job.not_before > 0 && row.job.attempts > 0;
                let waiting = row.asleep || backed_off;
                if waiting {
                    row.job.not_before = 0;
                    row.asleep = false;
                    awake.insert(*id);
                    n += 1;
                }
            }
            n
        }))
    }

    async fn retry(&self, id: i64, worker: &str, not_before: i64, error: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if holder(row, worker) => {
                row.job.attempts += 1;
                row.job.state = JobState::Ready;
                row.job.not_before = not_before;
                row.job.last_error = Some(error.to_owned());
                row.lease = None;
                s.in_flight.remove(&id);
                s.awake.insert(id);
                true
            }
            _ => false,
        }))
    }

    async fn sleep(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if holder(row, worker) => {
                row.job.attempts += 1;
                row.job.state = JobState::Sleeping;
                row.asleep = true;
                row.lease = None;
                s.awake.remove(&id);
                s.in_flight.remove(&id);
                true
            }
            _ => false,
        }))
    }

    async fn kill(&self, id: i64, worker: &str, reason: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if holder(row, worker) => {
                row.job.attempts += 1;
                row.job.state = JobState::Dead;
                row.job.last_error = Some(reason.to_owned());
                row.lease = None;
                s.settle(id);
                s.dead += 1;
                true
            }
            _ => false,
        }))
    }

    async fn counts(&self) -> Result<crate::OutboxCounts, StoreError> {
        Ok(self.with(|s| {
            // The unfinished jobs only: however many it has sent, the store does not walk them.
            let mut c = crate::OutboxCounts { dead: s.dead, ..Default::default() };
            let unfinished = s.users.values().flatten().filter_map(|id| s.jobs.get(id));
            for job in unfinished.map(|r| &r.job) {
                match job.state {
                    JobState::Awaiting => c.awaiting += 1,
                    JobState::Ready => {
                        c.ready += 1;
                        c.oldest_ready_accepted_at =
                            Some(c.oldest_ready_accepted_at.map_or(job.accepted_at, |t| t.min(job.accepted_at)));
                    }
                    JobState::Sleeping => c.sleeping += 1,
                    JobState::Dead | JobState::Done => {}
                }
            }
            c
        }))
    }

    async fn list(&self, state: JobState, limit: usize) -> Result<Vec<Job>, StoreError> {
        Ok(self.with(|s| s.jobs.values().filter(|r| r.job.state == state).take(limit).map(|r| r.job.clone()).collect()))
    }

    async fn sleeping_users(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        // The users' unfinished jobs only, never the finished ones; each user once.
        Ok(self.with(|s| {
            s.users
                .values()
                .filter_map(|ids| ids.iter().map(|id| &s.jobs[id]).find(|r| r.job.state == JobState::Sleeping))
                .take(limit)
                .map(|r| (r.job.account.clone(), r.job.openid.clone()))
                .collect()
        }))
    }

    async fn revive(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.with(|s| match s.jobs.get_mut(&id) {
            Some(row) if row.job.state == JobState::Dead => {
                row.job.state = JobState::Ready;
                row.job.not_before = 0;
                s.reopen(id);
                s.dead -= 1;
                true
            }
            _ => false,
        }))
    }

    async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.settle(id);
            let Some(row) = s.jobs.remove(&id) else { return false };
            s.by_key.remove(&row.job.dedup_key);
            if row.job.state == JobState::Dead {
                s.dead -= 1;
            }
            true
        }))
    }
}

#[async_trait]
impl crate::ConversationStore for MemoryStore {
    async fn load(&self, account: &str, openid: &str) -> Result<Vec<crate::Turn>, StoreError> {
        Ok(self.with(|s| s.conversations.get(&(account.to_owned(), openid.to_owned())).cloned().unwrap_or_default()))
    }

    async fn save(&self, account: &str, openid: &str, turns: &[crate::Turn]) -> Result<(), StoreError> {
        self.with(|s| s.conversations.insert((account.to_owned(), openid.to_owned()), turns.to_vec()));
        Ok(())
    }

    async fn clear(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        self.with(|s| s.conversations.remove(&(account.to_owned(), openid.to_owned())));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexed(store: &MemoryStore) -> (Vec<i64>, Vec<i64>) {
        store.with(|s| {
            let mut in_flight: Vec<i64> = s.in_flight.keys().copied().collect();
            in_flight.sort_unstable();
            (s.awake.iter().copied().collect(), in_flight)
        })
    }

    #[tokio::test]
    async fn claimed_jobs_leave_the_index_claims_walk_until_settled_retried_or_their_lease_runs_out() {
        let store = MemoryStore::new();
        let mut ids = Vec::new();
        for user in ["a", "b", "c"] {
            let job = NewJob {
                account: "acct".into(),
                openid: user.into(),
                dedup_key: user.into(),
                push: Vec::new(),
                accepted_at: 1,
                lease: None,
                from_appid: None,
                not_before: 0,
            };
            let id = store.accept(job).await.unwrap();
            store.set_answer(id, Some("[]".into())).await.unwrap();
            ids.push(id);
        }
        let claimed: Vec<i64> = store.claim("w", 1_000, 500, 10).await.unwrap().iter().map(|j| j.id).collect();
        assert_eq!(claimed, ids);
        assert_eq!(indexed(&store), (vec![], ids.clone()), "a later claim walks none of them");
        assert!(store.ack(ids[0], "w").await.unwrap());
        assert!(store.retry(ids[1], "w", 0, "try again").await.unwrap());
        assert_eq!(indexed(&store), (vec![ids[1]], vec![ids[2]]), "sent: gone; retried: a candidate again");
        let again: Vec<i64> = store.claim("w2", 1_500, 500, 10).await.unwrap().iter().map(|j| j.id).collect();
        assert_eq!(again, [ids[1], ids[2]], "the lease ran out: claimed again");
        assert!(!store.ack(ids[2], "w").await.unwrap(), "its first holder no longer holds it");
    }

    #[tokio::test]
    async fn conforms() {
        crate::conformance::outbox(&MemoryStore::new()).await;
        crate::conformance::outbox_adoption(&MemoryStore::new()).await;
        crate::conformance::outbox_long_queue(&MemoryStore::new()).await;
        crate::conformance::outbox_many_asleep(&MemoryStore::new()).await;
        crate::conformance::conversations(&MemoryStore::new()).await;
    }
}
