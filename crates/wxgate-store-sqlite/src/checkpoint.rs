//! Checkpoints off the write path. In WAL mode SQLite copies the log back into the database file now and then
//! (a checkpoint); left to itself it does so inside whichever commit crosses the threshold, and every write
//! queued behind that commit waits for the copy (and, with `durability = "full"`, its flush). Here automatic
//! checkpoints are off on the connection that writes, and a thread of the store's own, on a connection of its
//! own, runs a passive checkpoint — one that never waits for a writer or makes a writer wait — every
//! [`EVERY`]. The log then holds at most about that long's writes. Dropping the store stops the thread and waits
//! for it, so its connection closes before the writer's: the connection that closes last copies the log back and
//! removes it, and a store closed cleanly leaves no log beside its file.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(500);

/// The checkpointing thread of one store; dropping it stops the thread and waits until its connection is closed.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// The channel whose closing stops the thread, and the thread; taken when dropped.
    running: Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Checkpointer {
    /// Turns automatic checkpoints off on `writer` and starts checkpointing `path` from a thread. `None` when a
    /// second connection cannot be opened (the writer then keeps checkpointing itself).
    pub(crate) fn start(path: &Path, writer: &Connection) -> Option<Checkpointer> {
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(Duration::from_secs(1)).ok()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wxgate-sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    // One that fails (another process checkpointing the same file) is tried again next time.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
                }
            })
            .ok()?;
        writer.pragma_update(None, "wal_autocheckpoint", 0).ok()?;
        Some(Checkpointer { running: Some((stop, thread)) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            // The thread sees the channel close at once (or after a checkpoint under way, which never waits).
            drop(stop);
            let _ = thread.join();
        }
    }
}
