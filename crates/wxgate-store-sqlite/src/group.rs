//! Group commit of outbox writes. With `durability = "full"` every commit waits for the disk, and the outbox
//! writes often: an accept on WeChat's last attempt (before `success` is answered), then a claim, the parts sent
//! and an acknowledgement per job. Writes that arrive while one commit is under way queue up, and the next
//! commit takes all of them in one transaction: one disk flush for the lot instead of one each. Nothing waits on
//! purpose — a lone write commits at once — so the batch is just whatever arrived meanwhile, and the busier the
//! store the bigger it is.
//!
//! Each write runs under a savepoint of its own inside the batch's transaction, in the order the writes arrived:
//! it sees what the writes before it did, and one that fails is rolled back alone. Its caller hears the result
//! only once the transaction is committed (or the commit's error when it is not).

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;
use wxgate_store::StoreError;

use crate::error::backend;

/// Tells a write's caller how it ended, given the outcome of the batch's commit.
type Tell = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A queued write.
trait Queued: Send {
    /// Runs inside the batch's transaction; returns how to tell the caller once the commit is known.
    fn run(self: Box<Self>, tx: &mut rusqlite::Transaction<'_>) -> Tell;
    /// The batch could not start: tells the caller why.
    fn fail(self: Box<Self>, why: &str);
}

/// A write and where its result goes.
struct Pending<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Queued for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut rusqlite::Transaction<'_>) -> Tell {
        let Pending { f, reply } = *self;
        let result = isolated(tx, f);
        Box::new(move |committed| {
            let _ = reply.send(committed.map_err(StoreError::Backend).and(result));
        })
    }

    fn fail(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(StoreError::Backend(why.to_owned())));
    }
}

type Write = Box<dyn Queued>;

/// Writes waiting for the next commit, and whether a committer is running.
#[derive(Default)]
struct WriteQueue {
    waiting: Vec<Write>,
    committing: bool,
}

impl std::fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteQueue")
            .field("waiting", &self.waiting.len())
            .field("committing", &self.committing)
            .finish()
    }
}

/// The group committer of one database connection. Cloning shares the queue.
#[derive(Debug, Default, Clone)]
pub(crate) struct GroupCommit {
    queue: Arc<Mutex<WriteQueue>>,
}

fn lock(queue: &Mutex<WriteQueue>) -> MutexGuard<'_, WriteQueue> {
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resets the queue if the committer unwinds, so later writes start a new one (the waiting ones get an error).
struct Committing<'a>(&'a Mutex<WriteQueue>);

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
    /// Runs `f` on `conn` in the next group commit and returns its result once that commit is on disk.
    pub(crate) async fn write<T, F>(&self, conn: &Arc<Mutex<Connection>>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let write: Write = Box::new(Pending { f, reply });
        let start = {
            let mut q = lock(&self.queue);
            q.waiting.push(write);
            !std::mem::replace(&mut q.committing, true)
        };
        if start {
            let (me, conn) = (self.clone(), conn.clone());
            tokio::task::spawn_blocking(move || me.commit_all(&conn));
        }
        answer.await.map_err(|_| StoreError::Backend("the write was dropped by its committer".into()))?
    }

    /// Commits queued writes, batch after batch, until the queue is empty.
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
            let mut conn = match conn.lock() {
                Ok(c) => c,
                Err(_) => {
                    fail(batch, "connection lock poisoned");
                    continue;
                }
            };
            let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
                Ok(tx) => tx,
                Err(e) => {
                    fail(batch, &e.to_string());
                    continue;
                }
            };
            let tells: Vec<Tell> = batch.into_iter().map(|write| write.run(&mut tx)).collect();
            let committed = tx.commit().map_err(|e| e.to_string());
            for tell in tells {
                tell(committed.clone());
            }
        }
    }
}

/// Runs `f` under a savepoint: kept when it succeeds, rolled back alone when it fails. The savepoint's statements
/// are prepared once per connection (opening one the usual way parses its SQL for every write).
fn isolated<T>(
    tx: &mut rusqlite::Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let run = |sql: &str| tx.prepare_cached(sql).and_then(|mut s| s.execute([])).map_err(backend);
    run("SAVEPOINT write")?;
    match f(tx) {
        Ok(result) => {
            run("RELEASE write")?;
            Ok(result)
        }
        Err(e) => {
            // Its changes undone, the savepoint is closed; the batch goes on. The write's own error is what its
            // caller hears (the transaction's commit reports one that undoing it hit).
            let _ = run("ROLLBACK TO write");
            let _ = run("RELEASE write");
            Err(e)
        }
    }
}

/// Tells every write of a batch that could not start why.
fn fail(batch: Vec<Write>, why: &str) {
    for write in batch {
        write.fail(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_is_undone_alone_and_the_batch_commits() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        let insert = |n: i64| move |c: &Connection| c.execute("INSERT INTO t VALUES (?1)", [n]).map_err(backend);
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
        isolated(&mut tx, insert(1)).unwrap();
        let failed = isolated(&mut tx, |c| {
            insert(2)(c)?;
            Err::<(), _>(StoreError::Backend("refused".into()))
        });
        assert!(matches!(failed, Err(StoreError::Backend(why)) if why == "refused"), "the write's own error");
        isolated(&mut tx, insert(3)).unwrap();
        tx.commit().unwrap();
        let kept: Vec<i64> = conn
            .prepare("SELECT n FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kept, [1, 3]);
    }
}
