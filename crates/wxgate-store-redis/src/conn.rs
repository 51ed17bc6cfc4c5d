//! Connecting: one multiplexed connection that reconnects by itself, shared by every call.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use wxgate_store::StoreError;

use crate::acks::Acks;
use crate::scripts::Scripts;

/// A store on one Redis server. Cheap to clone (the connection is shared). `Debug` shows the prefix only, never
/// the URL (which may carry a password).
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) conn: ConnectionManager,
    pub(crate) prefix: String,
    pub(crate) scripts: std::sync::Arc<Scripts>,
    /// Acknowledgements waiting to go together (see `acks`).
    pub(crate) acks: Acks,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

/// How long one call (or one connection attempt) may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host[:port][/db]`) and checks the server answers. Keys start with
    /// `prefix` (e.g. `wxgate:`).
    ///
    /// Every call gives up after [`TIMEOUT`] (the gateway answers WeChat within 5 seconds and falls back to what
    /// it knows locally), and connecting is tried three times before it fails.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT)
            .set_number_of_retries(2)
            .set_max_delay(1_000);
        let mut conn = ConnectionManager::new_with_config(client, config).await.map_err(backend)?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(backend)?;
        let scripts = std::sync::Arc::new(Scripts::new());
        Ok(RedisStore { conn, prefix: prefix.to_owned(), scripts, acks: Acks::default() })
    }

    /// A handle for running a command (the connection is multiplexed: clones share it).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}
