//! Opening the configured backend (`[store]`): SQLite on one machine, Redis for several replicas. Every
//! command that needs durable state gets it here, as the capability traits the rest of the program uses.

use std::sync::Arc;

use anyhow::Context as _;
use wxgate_server::config::{ResolvedConfig, StoreChoice};
use wxgate_store::{AttemptCounter, ConversationStore, MediaCache, OutboxStore, TokenStore, WindowStore};
use wxgate_store_redis::RedisStore;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// The opened backend, seen through each capability.
#[derive(Debug, Clone)]
pub struct Stores {
    /// Late answers.
    pub outbox: Arc<dyn OutboxStore>,
    /// Shared access tokens.
    pub tokens: Arc<dyn TokenStore>,
    /// Uploaded media ids.
    pub media: Arc<dyn MediaCache>,
    /// Conversations with the model.
    pub conversations: Arc<dyn ConversationStore>,
    /// WeChat's attempts counted across replicas (Redis only: one machine counts them in memory).
    pub attempts: Option<Arc<dyn AttemptCounter>>,
    /// Customer-service windows shared by replicas (Redis only: one machine keeps them in memory).
    pub windows: Option<Arc<dyn WindowStore>>,
}

impl Stores {
    fn of<S>(store: Arc<S>) -> Stores
    where
        S: OutboxStore + TokenStore + MediaCache + ConversationStore + 'static,
    {
        Stores {
            outbox: store.clone(),
            tokens: store.clone(),
            media: store.clone(),
            conversations: store,
            attempts: None,
            windows: None,
        }
    }
}

/// Opens the backend `config` names.
pub async fn open(config: &ResolvedConfig) -> anyhow::Result<Stores> {
    match &config.store {
        StoreChoice::Sqlite { path, full_sync } => {
            let durability = if *full_sync { Durability::Full } else { Durability::Normal };
            let store = SqliteStore::open(path, durability)
                .with_context(|| format!("cannot open the store {} (store.path / WXGATE_STORE)", path.display()))?;
            Ok(Stores::of(Arc::new(store)))
        }
        StoreChoice::Redis { url, prefix } => {
            let store = RedisStore::connect(&url.0, prefix)
                .await
                .with_context(|| format!("cannot reach Redis at {url:?} (store.url / WXGATE_REDIS_URL)"))?;
            tracing::info!(prefix = %prefix, "store: redis");
            let store = Arc::new(store);
            Ok(Stores { attempts: Some(store.clone()), windows: Some(store.clone()), ..Stores::of(store) })
        }
    }
}
