//! Group commit of outbox writes. With `durability = "full"` every commit waits for the disk, and the outbox
//! writes often: an accept on WeChat's last attempt (before `success` is answered), then a claim, the parts sent
//! and an acknowledgement per job. Writes that arrive while one commit is under way queue up, and the next
//! commit takes all of them in one transaction: one disk flush for the lot instead of one each. Nothing waits on
//! purpose — a lone write commits at once — so the batch is just whatever arrived meanwhile, and the busier the
//! store the bigger it is.
//!
//! The writes run inside the batch's transaction in the order they arrived: each sees what the writes before it
//! did. When one fails, the batch is rolled back and run again with each write under a savepoint of its own, so
//! the failed one is undone alone and the others commit; a batch without a failure (nearly every one) pays for no
//! savepoints. A caller hears its result only once the transaction is committed (or the commit's error when it is
//! not).

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;
use wxgate_store::StoreError;

use crate::error::backend;

/// A queued write.
trait Queued: Send {
    /// Runs inside the batch's transaction — under a savepoint of its own when `alone` — and keeps the result;
    /// false when it failed.
    fn run(&mut self, tx: &mut rusqlite::Transaction<'_>, alone: bool) -> bool;
    /// Tells the caller its result, given the outcome of the batch's commit.
    fn tell(self: Box<Self>, committed: Result<(), String>);
    /// The batch could not start: tells the caller why.
    fn fail(self: Box<Self>, why: &str);
}

/// A write, its result once run, and where the result goes.
struct Pending<T, F> {
    f: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Queued for Pending<T, F>
where
    T: Send + 'static,
    F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, tx: &mut rusqlite::Transaction<'_>, alone: bool) -> bool {
        let result = if alone { isolated(tx, &self.f) } else { (self.f)(tx) };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn tell(self: Box<Self>, committed: Result<(), String>) {
        let result = self.result.unwrap_or_else(|| Err(StoreError::Backend("the write was not run".into())));
        let _ = self.reply.send(committed.map_err(StoreError::Backend).and(result));
    }

    fn fail(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(StoreError::Backend(why.to_owned())));
    }
}

type Write = Box<dyn Queued>;

/// The write of `f`, to queue, and where its result arrives.
fn queued<T, F>(f: F) -> (Write, oneshot::Receiver<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    (Box::new(Pending { f, result: None, reply }), answer)
}

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
    /// Runs `f` on `conn` in the next group commit and returns its result once that commit is on disk. `f` runs
    /// a second time, after its first run was rolled back, when a write of its batch failed.
    pub(crate) async fn write<T, F>(&self, conn: &Arc<Mutex<Connection>>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (write, answer) = queued(f);
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
            let mut batch = {
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
            let committed = run_batch(&mut conn, &mut batch);
            for write in batch {
                write.tell(committed.clone());
            }
        }
    }
}

/// Runs the writes of a batch in one transaction and commits it: straight, and when one fails, again from the
/// start with each under a savepoint of its own. The commit's outcome.
fn run_batch(conn: &mut Connection, batch: &mut [Write]) -> Result<(), String> {
    let mut tx = begin(conn)?;
    // `all` stops at the first failure: the writes after it are run in the second pass only.
    if !batch.iter_mut().all(|write| write.run(&mut tx, false)) {
        // A failed statement may have ended the transaction already; the rollback is then a no-op.
        let _ = tx.rollback();
        tx = begin(conn)?;
        for write in batch.iter_mut() {
            write.run(&mut tx, true);
        }
    }
    tx.commit().map_err(|e| e.to_string())
}

/// Starts a batch's transaction (taking the write lock at once: no other connection's write can come between).
fn begin(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, String> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| e.to_string())
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

    fn numbers(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn a_batch_with_a_failed_write_is_run_again_and_commits_the_others() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        let insert = |n: i64| move |c: &Connection| c.execute("INSERT INTO t VALUES (?1)", [n]).map_err(backend);
        // The second write inserts, then fails; the third sees the first (the count) and not the second.
        let (first, a) = queued(insert(1));
        let (failing, b) = queued(|c: &Connection| {
            c.execute("INSERT INTO t VALUES (2)", []).map_err(backend)?;
            Err::<usize, _>(StoreError::Backend("refused".into()))
        });
        let (counting, d) =
            queued(|c: &Connection| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)).map_err(backend));
        let mut batch = vec![first, failing, counting];
        let committed = run_batch(&mut conn, &mut batch);
        assert_eq!(committed, Ok(()));
        for write in batch {
            write.tell(committed.clone());
        }
        assert_eq!(a.blocking_recv().unwrap().unwrap(), 1);
        assert!(matches!(b.blocking_recv().unwrap(), Err(StoreError::Backend(why)) if why == "refused"));
        assert_eq!(d.blocking_recv().unwrap().unwrap(), 1, "the third saw the first write only");
        assert_eq!(numbers(&conn), [1]);
        // A batch without a failure commits every write, each seeing the ones before it.
        let (second, e) = queued(insert(2));
        let (counting, f) =
            queued(|c: &Connection| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)).map_err(backend));
        let mut batch = vec![second, counting];
        let committed = run_batch(&mut conn, &mut batch);
        for write in batch {
            write.tell(committed.clone());
        }
        assert_eq!((e.blocking_recv().unwrap().unwrap(), f.blocking_recv().unwrap().unwrap()), (1, 2));
        assert_eq!(numbers(&conn), [1, 2]);
    }

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
        assert_eq!(numbers(&conn), [1, 3]);
    }
}
