//! Opening the configured backend (`[store]`): SQLite on one machine, Redis for several replicas. Every
//! command that needs durable state gets it here, as the capability traits the rest of the program uses.

use std::sync::Arc;

use anyhow::Context as _;
use wxgate_server::Stores;
use wxgate_server::config::{Config, StoreChoice};
use wxgate_store::OutboxStore;
use wxgate_store_redis::RedisStore;
use wxgate_store_sqlite::{Durability, SqliteStore};

/// Opens the backend `config` names.
pub async fn open(config: &Config) -> anyhow::Result<Stores> {
    match config.store() {
        StoreChoice::Sqlite { path, full_sync } => {
            let durability = if *full_sync { Durability::Full } else { Durability::Normal };
            let store = SqliteStore::open(path, durability)
                .with_context(|| format!("cannot open the store {} (store.path / WXGATE_STORE)", path.display()))?;
            Ok(Stores::single(Arc::new(store)))
        }
        StoreChoice::Redis { url, prefix, spool } => {
            let store = RedisStore::connect(&url.0, prefix)
                .await
                .with_context(|| format!("cannot reach Redis at {url:?} (store.url / WXGATE_REDIS_URL)"))?;
            let spooled = SqliteStore::open(spool, Durability::Full).with_context(|| {
                format!("cannot open the local spool {} (store.spool / WXGATE_SPOOL)", spool.display())
            })?;
            tracing::info!(prefix = %prefix, spool = %spool.display(), "store: redis, with a local spool for when it does not answer");
            Ok(Stores { spool: Some(Arc::new(spooled)), ..Stores::replicated(Arc::new(store)) })
        }
    }
}

/// The outbox of the backend `config` names.
pub async fn outbox(config: &Config) -> anyhow::Result<Arc<dyn OutboxStore>> {
    open(config).await?.outbox.context("the store keeps no outbox")
}
