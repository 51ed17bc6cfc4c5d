//! The worker: claims ready jobs, sends them, and settles each one exactly once.
//!
//! Jobs are claimed with a lease (a crashed worker's jobs return after it runs out), at most one per user at a
//! time and a user's oldest first, so answers arrive in order; users proceed concurrently up to
//! `concurrency`. Retryable failures back off exponentially with jitter; permanent ones and jobs out of attempts
//! are dead-lettered with the reason. Progress through a multi-part answer is recorded after every part, so a
//! crash never sends a part twice.
//!
//! A user's quota (5 messages per window) is counted here as the platform counts it: a send is spent when the
//! platform confirms it, a failed one is not. A send whose outcome is unknown — the connection closed or timed
//! out after the request left — is taken as not sent and sent again (at least once: the user may see that part
//! twice when the platform had taken it, rather than never). The platform then counted one send more than this
//! process; when its 45047 (quota used up) comes, the window is taken as used up and the rest of the answer
//! waits for the user's next message, as any answer beyond the quota does.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::KfMessage;
use wxgate_store::{Job, JobState, OutboxStore, StoreError};

use super::auto::AutoDelivery;
use super::window::Windows;
use crate::account::{AccountKind, Caller};
use crate::answer::{self, pack};
use crate::clock::Clock;
use crate::metrics::{self, Metrics};
use crate::ports::{CustomerService, Retry};

/// The platform's errcode for a customer-service quota used up.
const QUOTA_USED_UP: i64 = 45047;

/// Jobs that may be between their send and their recorded outcome, per sender: a sender is freed as soon as its
/// send ends, so this many outcomes per sender may still be on their way to the store.
const SETTLING_PER_SENDER: usize = 4;

/// Jobs claimed ahead of the senders, per sender: enough to keep every sender busy for as long as a claim takes
/// (with `durability = "full"` a claim waits for a disk flush, sometimes two, while the senders go through the
/// jobs already held).
const AHEAD_PER_SENDER: usize = 4;

/// Tuning of the outbox worker (and the names it leases jobs under).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This process's name in leases: `<instance>#<boot>` (unique per process; see [`WorkerConfig::for_instance`]).
    pub name: String,
    /// The replica this process is, stable across its restarts: a restarted process adopts the awaited work its
    /// earlier life left at once, instead of waiting for the lease to run out.
    pub instance: String,
    /// Users served at once.
    pub concurrency: usize,
    /// How long a claim is held before another worker may take the job.
    pub lease: Duration,
    /// How long awaited work stays with this process unless renewed (renewed every third of it); work of a
    /// process that stopped renewing is adopted by another after it.
    pub work_lease: Duration,
    /// How often to look for due jobs when not woken.
    pub poll: Duration,
    /// Send attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// First back-off; doubled per attempt, with up to 50% jitter.
    pub backoff: Duration,
    /// Longest back-off.
    pub max_backoff: Duration,
}

impl WorkerConfig {
    /// The defaults, for replica `instance` (e.g. the host name and listen address).
    pub fn for_instance(instance: &str) -> Self {
        WorkerConfig {
            name: format!("{instance}#{}-{}", std::process::id(), Clock::system().now_ms()),
            instance: instance.to_owned(),
            concurrency: 16,
            lease: Duration::from_secs(60),
            work_lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
        }
    }
}

impl Default for WorkerConfig {
    /// The defaults for an instance of its own (named after this process): nothing to adopt at start.
    fn default() -> Self {
        WorkerConfig::for_instance(&format!("wxgate-{}-{}", std::process::id(), Clock::system().now_ms()))
    }
}

/// Delivers outbox jobs.
#[derive(Debug, Clone)]
pub(crate) struct Worker {
    /// `auto` accounts: where a 48001 switches them to passive-only.
    auto: Arc<HashMap<String, Arc<AutoDelivery>>>,
    store: Arc<dyn OutboxStore>,
    cs: Arc<dyn CustomerService>,
    windows: Arc<Windows>,
    wake: Arc<Notify>,
    config: WorkerConfig,
    clock: Clock,
}

/// What a worker works with besides its store and tuning.
#[derive(Debug, Clone)]
pub(crate) struct WorkerParts {
    /// Sends the messages.
    pub(crate) cs: Arc<dyn CustomerService>,
    /// The users' windows and quotas.
    pub(crate) windows: Arc<Windows>,
    /// Notified whenever a job may have become ready.
    pub(crate) wake: Arc<Notify>,
    /// `auto` accounts by name.
    pub(crate) auto: HashMap<String, Arc<AutoDelivery>>,
    /// The clock.
    pub(crate) clock: Clock,
}

impl Worker {
    /// A worker over a store.
    pub(crate) fn new(store: Arc<dyn OutboxStore>, parts: WorkerParts, config: WorkerConfig) -> Self {
        let WorkerParts { cs, windows, wake, auto, clock } = parts;
        Worker { auto: Arc::new(auto), store, cs, windows, wake, config, clock }
    }

    /// Runs until `shutdown` resolves, then lets the sends in progress finish.
    pub(crate) async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        // Users whose answers waited for their next message before a restart (read beside the claims: a store
        // with many asleep does not hold up the sending; shared windows wake every user anyway).
        if !self.windows.wakes_every_user() {
            let (store, windows) = (self.store.clone(), self.windows.clone());
            tokio::spawn(async move {
                if let Ok(asleep) = store.sleeping_users(100_000).await {
                    for (account, openid) in &asleep {
                        windows.sleep(account, openid);
                    }
                }
            });
        }
        let permits = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        // Jobs between their claim and their settled outcome (a sender frees itself before the outcome is
        // written): bounded, so a slow store holds the claims back.
        let settling = Arc::new(Semaphore::new(SETTLING_PER_SENDER * self.config.concurrency.max(1)));
        // Jobs claimed ahead of a free sender: while every sender is busy the next jobs are already leased here,
        // so one starts the moment a send ends, without a round trip to the store in between, and the store is
        // asked for several at a time.
        let ahead = AHEAD_PER_SENDER * self.config.concurrency.max(1);
        let mut queued: VecDeque<(Job, Instant)> = VecDeque::new();
        // The claim on its way to the store. Jobs claimed before it keep starting while it is: a claim waits for
        // a commit (with `durability = "full"`, for the disk), and senders left without work for that long would
        // idle.
        let mut claiming: Option<Claiming> = None;
        // Whether to claim as soon as there is room: after a claim that found jobs (a busy worker goes straight
        // on), or when woken; not after one that found none, until woken or polled.
        let mut want_claim = true;
        loop {
            let waited = queued.front().map(|(_, claimed_at)| claimed_at.elapsed());
            let room = room(permits.available_permits(), ahead, queued.len(), waited, self.config.lease);
            if claiming.is_none() && want_claim && room > 0 {
                claiming = Some(self.claim(room));
                want_claim = false;
            }
            self.start_queued(&mut queued, &permits, &settling);
            let waiting = claiming.is_none() && !want_claim;
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                claimed = async { claiming.as_mut().expect("a claim is on its way").await }, if claiming.is_some() => {
                    claiming = None;
                    want_claim = take(claimed, &mut queued);
                }
                // A sender is free for a queued job (the next turn starts it).
                () = free_sender(&permits, &settling), if !queued.is_empty() => {}
                () = self.wake.notified(), if waiting => want_claim = true,
                () = tokio::time::sleep(self.config.poll), if waiting => want_claim = true,
            }
        }
        // A claim on its way still leases its jobs: they join the queued ones, given back below.
        if let Some(claim) = claiming {
            take(claim.await, &mut queued);
        }
        // Jobs claimed ahead and not started are given back, due at once (a process starting now need not wait
        // for their leases to run out; it counts as an attempt); one that cannot be is claimed again when its
        // lease does.
        let now = self.clock.now_ms();
        for (job, _) in queued {
            let released = self.store.retry(job.id, &self.config.name, now, "released unsent at shutdown").await;
            if !matches!(released, Ok(true)) {
                tracing::info!(job = job.id, "a claimed job not started before shutdown returns after its lease");
            }
        }
        // The sends in progress finish (their jobs are settled); nothing new is claimed.
        let all = self.config.concurrency.max(1) as u32;
        let _ = permits.acquire_many(all).await;
        let _ = settling.acquire_many(SETTLING_PER_SENDER as u32 * all).await;
    }

    /// Claims up to `room` jobs, on its way while the worker starts the jobs it holds.
    fn claim(&self, room: usize) -> Claiming<'_> {
        let lease = self.config.lease.as_millis() as i64;
        Box::pin(async move {
            let started = Instant::now();
            let claimed = self.store.claim(&self.config.name, self.clock.now_ms(), lease, room).await;
            metrics::get().store_op("claim", started.elapsed());
            claimed
        })
    }

    /// Starts queued jobs while a sender and room to settle are free.
    fn start_queued(&self, queued: &mut VecDeque<(Job, Instant)>, permits: &Arc<Semaphore>, settling: &Arc<Semaphore>) {
        while !queued.is_empty() {
            let Ok(permit) = permits.clone().try_acquire_owned() else { break };
            let Ok(tail) = settling.clone().try_acquire_owned() else { break };
            let Some((job, claimed_at)) = queued.pop_front() else { break };
            if claimed_at.elapsed() > self.config.lease / 2 {
                // Waited so long for a sender that its lease may run out mid-send: left to run out, the job
                // is claimed again then.
                tracing::warn!(job = job.id, "claimed job waited too long for a sender; it is claimed again later");
                continue;
            }
            let me = self.clone();
            tokio::spawn(async move {
                me.settle(job, permit).await;
                drop(tail);
                me.wake.notify_one();
            });
        }
    }

    /// Sends one claimed job and records the outcome.
    async fn settle(&self, job: Job, sender: OwnedSemaphorePermit) {
        let mut sender = Some(sender);
        let me = &self.config.name;
        let Some(parts) = job.answer.as_deref().and_then(|a| stored_messages(a, &job.openid)) else {
            if self.finish(&mut sender, self.store.kill(job.id, me, "stored answer is unreadable"), &job).await {
                self.dead_letter(&job.account);
            }
            return;
        };
        let caller = Caller { account: &job.account, from_appid: job.from_appid.as_deref() };
        let now = self.clock.now_ms();
        let (send_now, mut rest) = match self.windows.state(&job.account, &job.openid, now).await {
            Some(Ok(w)) => {
                // A job that exactly fills the quota says how to continue when another of the user's follows.
                let followed = parts.len() == w.remaining as usize
                    && self.store.has_later(&job.account, &job.openid, job.id).await.unwrap_or(false);
                pack(parts, w.remaining, followed)
            }
            Some(Err(_)) if job.state == JobState::Sleeping => {
                // Woken, but the user's window is still closed: back to sleep.
                self.windows.sleep(&job.account, &job.openid);
                self.finish(&mut sender, self.store.sleep(job.id, me), &job).await;
                return;
            }
            Some(Err(_)) => {
                let reason = "45015: customer-service window closed (no interaction within 48 hours)";
                if self.finish(&mut sender, self.store.kill(job.id, me, reason), &job).await {
                    self.dead_letter(&job.account);
                }
                return;
            }
            // No interaction known (e.g. after a restart): let the platform decide.
            None => (parts, Vec::new()),
        };
        let mut pending: Vec<KfMessage> = send_now;
        while !pending.is_empty() {
            let part = pending.remove(0);
            let result = self.cs.send(caller, &part).await;
            let errcode = match &result {
                Ok(()) => "0".to_owned(),
                Err(e) => e.code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
            };
            Metrics::inc(&metrics::get().sends, &job.account, "errcode", errcode);
            let sent = match result {
                Err(e) if cannot_send_type(e.code, part.body.msg_type()) => {
                    // The account may not send this type (WeChat changes the rules): no fault of the answer's.
                    tracing::warn!(job = job.id, msg_type = part.body.msg_type(), error = %e, "message type refused for this account; left out");
                    Ok(false)
                }
                other => other.map(|()| true),
            };
            match sent {
                Ok(spent) => {
                    if spent {
                        self.windows.spend(&job.account, &job.openid).await;
                    }
                    if !pending.is_empty() || !rest.is_empty() {
                        let left: Vec<&KfMessage> = pending.iter().chain(rest.iter()).collect();
                        let json = serde_json::to_string(&left).expect("replies serialize");
                        if !self.store.set_remaining(job.id, me, &json).await.unwrap_or(false) {
                            tracing::warn!(job = job.id, "lease lost mid-answer; another worker continues");
                            return;
                        }
                    }
                }
                Err(e) if e.code == Some(QUOTA_USED_UP) => {
                    // The platform counted a send this process could not confirm (its answer was lost on the
                    // way): the quota is used up after all, and this part and the rest wait for the next message.
                    tracing::warn!(
                        job = job.id,
                        "45047: the platform counted more sends than confirmed here; the rest waits"
                    );
                    self.windows.use_up(&job.account, &job.openid, self.clock.now_ms()).await;
                    rest = std::iter::once(part).chain(pending.drain(..)).chain(rest.drain(..)).collect();
                    break;
                }
                Err(e) if e.retry == Retry::Later && job.attempts + 1 < self.config.max_attempts => {
                    let delay = self.backoff(job.attempts);
                    tracing::warn!(job = job.id, error = %e, delay_ms = delay, "send failed, will retry");
                    let due = self.clock.now_ms() + delay;
                    self.finish(&mut sender, self.store.retry(job.id, me, due, &e.to_string()), &job).await;
                    return;
                }
                Err(e) if e.code == Some(48001) && self.auto.contains_key(&job.account) => {
                    let mut left = vec![part];
                    left.append(&mut pending);
                    left.append(&mut rest);
                    self.auto[&job.account].no_permission(&job.account, left);
                    self.finish(&mut sender, self.store.ack(job.id, me), &job).await;
                    return;
                }
                Err(e) => {
                    let reason = match e.code {
                        Some(code) => format!("{code}: {}", e.message),
                        None => e.message.clone(),
                    };
                    tracing::error!(job = job.id, reason = %reason, "job dead-lettered");
                    if self.finish(&mut sender, self.store.kill(job.id, me, &reason), &job).await {
                        self.dead_letter(&job.account);
                    }
                    return;
                }
            }
        }
        if rest.is_empty() {
            self.finish(&mut sender, self.store.ack(job.id, me), &job).await;
        } else {
            tracing::info!(job = job.id, left = rest.len(), "quota used; the rest waits for the user's next message");
            self.windows.sleep(&job.account, &job.openid);
            if self.finish(&mut sender, self.store.sleep(job.id, me), &job).await {
                Metrics::inc_account(&metrics::get().quota_waits, &job.account);
            }
            // A message that arrived while this job was being sent renewed the window before the job was put to
            // sleep, so nothing woke it: wake it now.
            if self.windows.open(&job.account, &job.openid, self.clock.now_ms()).await.is_some()
                && self.windows.take_sleeping(&job.account, &job.openid)
            {
                match self.store.wake(&job.account, &job.openid).await {
                    Ok(_) => self.wake.notify_one(),
                    Err(e) => tracing::error!(job = job.id, error = %e, "cannot wake a job"),
                }
            }
        }
    }

    /// Counts a job given up (once it is recorded dead: the count never runs ahead of the store's).
    fn dead_letter(&self, account: &str) {
        Metrics::inc_account(&metrics::get().dead_letters, account);
    }

    fn backoff(&self, attempts: u32) -> i64 {
        let base = self.config.backoff.as_millis() as i64;
        let exp = base.saturating_mul(1i64 << attempts.min(20));
        let capped = exp.min(self.config.max_backoff.as_millis() as i64).max(1);
        capped + rand::rng().random_range(0..=capped / 2)
    }

    /// Writes how a job ended. Its sends are over, so its sender is freed first: the next job starts while this
    /// one's outcome is written (with `durability = "full"` that waits for the disk). The user's next job still
    /// waits for the write: it is claimable only once this one is settled. True when the outcome is recorded.
    async fn finish(
        &self,
        sender: &mut Option<OwnedSemaphorePermit>,
        write: impl std::future::Future<Output = Result<bool, wxgate_store::StoreError>>,
        job: &Job,
    ) -> bool {
        if sender.take().is_some() {
            self.wake.notify_one();
        }
        match write.await {
            Ok(true) => return true,
            Ok(false) => tracing::warn!(job = job.id, "lease lost before the job was settled"),
            Err(e) => tracing::error!(job = job.id, error = %e, "cannot settle job"),
        }
        false
    }
}

/// A claim on its way to the store (it borrows the worker).
type Claiming<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Job>, StoreError>> + Send + 'a>>;

/// How many jobs the next claim may take: one for each free sender, and up to `ahead` more to hold for the
/// senders — none more while the oldest held job (claimed `waited` ago) has waited over an eighth of the
/// `lease`: the sends are slow, and a job held past half its lease is left to run it out (see `start_queued`).
fn room(free: usize, ahead: usize, held: usize, waited: Option<Duration>, lease: Duration) -> usize {
    let ahead = if waited.is_some_and(|w| w > lease / 8) { 0 } else { ahead };
    (free + ahead).saturating_sub(held)
}

/// Queues the jobs a claim took; true when it took any (a busy worker claims again at once).
fn take(claimed: Result<Vec<Job>, StoreError>, queued: &mut VecDeque<(Job, Instant)>) -> bool {
    match claimed {
        Ok(jobs) => {
            let any = !jobs.is_empty();
            queued.extend(jobs.into_iter().map(|job| (job, Instant::now())));
            any
        }
        Err(e) => {
            tracing::error!(error = %e, "outbox claim failed");
            false
        }
    }
}

/// Resolves once a sender and room to settle are both free (taking neither).
async fn free_sender(permits: &Semaphore, settling: &Semaphore) {
    if let Ok(permit) = permits.acquire().await {
        drop(settling.acquire().await);
        drop(permit);
    }
}

/// True when WeChat says the account may not send a message of this type: 40008 (invalid message type), or
/// 40013 (invalid appid) for a type other than text and image, which every account may send — what it answers a
/// Mini Program sending voice, or an Official Account sending a mini-program card.
fn cannot_send_type(code: Option<i64>, msg_type: &str) -> bool {
    match code {
        Some(40008) => true,
        Some(40013) => !matches!(msg_type, "text" | "image"),
        _ => false,
    }
}

/// The messages of a stored answer. Answers stored by earlier versions hold passive-type replies: they are turned
/// into messages as an Official Account would send them.
fn stored_messages(answer: &str, openid: &str) -> Option<Vec<KfMessage>> {
    if let Ok(messages) = serde_json::from_str::<Vec<KfMessage>>(answer) {
        return Some(messages);
    }
    let replies: Vec<ReplyBody> = serde_json::from_str(answer).ok()?;
    let kind = AccountKind::OfficialAccount;
    Some(replies.into_iter().flat_map(|reply| answer::messages(kind, reply.into(), openid)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_claimed_ahead_only_while_the_held_ones_start_soon() {
        let lease = Duration::from_secs(60);
        assert_eq!(room(16, 64, 0, None, lease), 80, "nothing held: a job for each sender and 64 ahead");
        assert_eq!(room(0, 64, 60, Some(Duration::from_millis(5)), lease), 4, "held ones start soon: fill up");
        assert_eq!(room(0, 64, 64, Some(Duration::from_millis(5)), lease), 0, "full");
        assert_eq!(room(2, 64, 10, Some(Duration::from_secs(8)), lease), 0, "slow sends: nothing more ahead");
        assert_eq!(room(3, 64, 1, Some(Duration::from_secs(8)), lease), 2, "slow sends: only for free senders");
    }
}
