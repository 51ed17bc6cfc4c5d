//! Opening the database: WAL, busy timeout, the durability setting, and the schema.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use wxgate_store::StoreError;

use crate::checkpoint::Checkpointer;
use crate::error::backend;
use crate::group::GroupCommit;
use crate::schema;

/// Prepared statements kept per connection (the stores use a few dozen distinct ones).
const STATEMENTS: usize = 64;

/// How hard SQLite works to survive power loss (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit reaches the disk before it returns (`FULL`): survives power loss. Default.
    #[default]
    Full,
    /// Commits survive a process crash (`kill -9`) but the last ones may be lost on power loss (`NORMAL`, WAL).
    Normal,
}

/// A store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Copies the log back into the file beside the writes (none for a database in memory). Declared before
    /// `conn` so it is dropped first: the writer's connection then closes last and removes the log.
    _checkpoints: Option<Arc<Checkpointer>>,
    pub(crate) conn: Arc<Mutex<Connection>>,
    /// Outbox writes waiting for the next group commit.
    pub(crate) writes: GroupCommit,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path.as_ref()).map_err(backend)?;
        let mut store = Self::setup(conn, durability)?;
        let checkpoints = Checkpointer::start(path.as_ref(), &store.conn.lock().expect("a new connection"));
        store._checkpoints = checkpoints.map(Arc::new);
        Ok(store)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(backend)?, Durability::Full)
    }

    fn setup(conn: Connection, durability: Durability) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(backend)?;
        // Every statement the stores run often is prepared once and kept: room for all of them.
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(backend)?;
        for tables in schema::ALL {
            conn.execute_batch(tables).map_err(backend)?;
        }
        schema::upgrade(&conn).map_err(backend)?;
        Ok(SqliteStore { _checkpoints: None, conn: Arc::new(Mutex::new(conn)), writes: GroupCommit::default() })
    }

    /// Runs `f` with the connection on the blocking pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| StoreError::Backend("connection lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }

    /// Runs the write `f` in the next group commit (see `group`, which may run it twice), returning once it is
    /// committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writes.write(&self.conn, f).await
    }
}
