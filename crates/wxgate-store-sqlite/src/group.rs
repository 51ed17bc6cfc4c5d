//! Group commit of outbox accepts. On WeChat's last attempt the push is written to the outbox before `success`
//! is answered, and with `durability = "full"` every commit waits for the disk. Accepts that arrive while one
//! commit is under way queue up, and the next commit takes all of them in one transaction: one disk flush for
//! the lot instead of one each. Nothing waits on purpose — a lone accept commits at once — so the batch is just
//! whatever arrived meanwhile, and the busier the server the bigger it is.
//!
//! A batch that fails is retried job by job, so one bad job cannot fail the others.

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;
use wxgate_store::{NewJob, StoreError};

type Reply = oneshot::Sender<Result<i64, StoreError>>;

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Accepts waiting for the next commit, and whether a committer is running.
#[derive(Debug, Default)]
struct AcceptQueue {
    waiting: Vec<(NewJob, Reply)>,
    committing: bool,
}

/// The group committer of one database connection. Cloning shares the queue.
#[derive(Debug, Default, Clone)]
pub(crate) struct GroupCommit {
    queue: Arc<Mutex<AcceptQueue>>,
}

fn lock(queue: &Mutex<AcceptQueue>) -> MutexGuard<'_, AcceptQueue> {
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resets the queue if the committer unwinds, so later accepts start a new one (the waiting ones get an error).
struct Committing<'a>(&'a Mutex<AcceptQueue>);

impl Drop for Committing<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut q = lock(self.0);
            q.committing = false;
            q.waiting.clear();
        }
    }
}

impl GroupCommit {
    /// Accepts `job` on `conn` in the next group commit; the job's id (the first job's, for a dedup key seen
    /// before).
    pub(crate) async fn accept(&self, conn: &Arc<Mutex<Connection>>, job: NewJob) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = lock(&self.queue);
            q.waiting.push((job, reply));
            !std::mem::replace(&mut q.committing, true)
        };
        if start {
            let (me, conn) = (self.clone(), conn.clone());
            tokio::task::spawn_blocking(move || me.commit_all(&conn));
        }
        answer.await.map_err(|_| StoreError::Backend("the accept was dropped by its committer".into()))?
    }

    /// Commits queued accepts, batch after batch, until the queue is empty.
    fn commit_all(&self, conn: &Mutex<Connection>) {
        let _guard = Committing(&self.queue);
        loop {
            let batch = {
                let mut q = lock(&self.queue);
                if q.waiting.is_empty() {
                    q.committing = false;
                    return;
                }
                std::mem::take(&mut q.waiting)
            };
            let (jobs, replies): (Vec<NewJob>, Vec<Reply>) = batch.into_iter().unzip();
            let mut conn = match conn.lock() {
                Ok(c) => c,
                Err(_) => {
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::Backend("connection lock poisoned".into())));
                    }
                    continue;
                }
            };
            match insert(&mut conn, &jobs) {
                Ok(ids) => {
                    for (reply, id) in replies.into_iter().zip(ids) {
                        let _ = reply.send(Ok(id));
                    }
                }
                Err(e) if jobs.len() == 1 => {
                    let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
                }
                Err(_) => {
                    for (job, reply) in jobs.iter().zip(replies) {
                        let _ = reply.send(insert(&mut conn, std::slice::from_ref(job)).map(|ids| ids[0]));
                    }
                }
            }
        }
    }
}

/// Accepts `jobs` in one transaction: each gets a new `awaiting` job, or the id of the job of its dedup key.
fn insert(conn: &mut Connection, jobs: &[NewJob]) -> Result<Vec<i64>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut ids = Vec::with_capacity(jobs.len());
    for j in jobs {
        let existing: Option<i64> = tx
            .prepare_cached("SELECT id FROM outbox WHERE dedup_key = ?1")
            .map_err(backend)?
            .query_row([&j.dedup_key], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        let id = match existing {
            Some(id) => id,
            None => {
                let (owner, until) = j.lease.as_ref().map(|l| (l.owner.as_str(), l.until)).unzip();
                tx.prepare_cached(
                    "INSERT INTO outbox (account, openid, dedup_key, push, state, accepted_at, lease_owner, lease_until,
                                         from_appid)
                     VALUES (?1, ?2, ?3, ?4, 'awaiting', ?5, ?6, ?7, ?8)",
                )
                .map_err(backend)?
                .execute(params![j.account, j.openid, j.dedup_key, j.push, j.accepted_at, owner, until, j.from_appid])
                .map_err(backend)?;
                tx.last_insert_rowid()
            }
        };
        ids.push(id);
    }
    tx.commit().map_err(backend)?;
    Ok(ids)
}
