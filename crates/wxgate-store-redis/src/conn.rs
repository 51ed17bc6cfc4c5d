//! Connecting: one multiplexed connection that reconnects by itself, shared by every call.

use redis::aio::ConnectionManager;
use wxgate_store::StoreError;

use crate::scripts::Scripts;

/// A store on one Redis server. Cheap to clone (the connection is shared). `Debug` shows the prefix only, never
/// the URL (which may carry a password).
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) conn: ConnectionManager,
    pub(crate) prefix: String,
    pub(crate) scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host[:port][/db]`) and checks the server answers. Keys start with
    /// `prefix` (e.g. `wxgate:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let mut conn = ConnectionManager::new(client).await.map_err(backend)?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(backend)?;
        Ok(RedisStore { conn, prefix: prefix.to_owned(), scripts: std::sync::Arc::new(Scripts::new()) })
    }

    /// A handle for running a command (the connection is multiplexed: clones share it).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}
