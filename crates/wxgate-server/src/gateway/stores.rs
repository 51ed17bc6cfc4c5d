//! The storage a gateway runs on, as the capabilities it uses: the outbox, shared access tokens and media ids,
//! model conversations, and — for several replicas — attempt counts, claims on work and customer-service windows.
//!
//! The server never names a backend: the binary opens SQLite or Redis and hands them over here. What is not given
//! is kept in this process's memory.

use std::sync::Arc;

use wxgate_store::{
    AttemptCounter, ConversationStore, MediaCache, OutboxStore, ReplayGuard, TokenStore, WindowStore, WorkClaims,
};

/// The stores a gateway uses; each `None` is kept in memory.
#[derive(Debug, Clone, Default)]
pub struct Stores {
    /// Late answers (durable: written before `success` is answered).
    pub outbox: Option<Arc<dyn OutboxStore>>,
    /// Access tokens, shared with every process using the same store.
    pub tokens: Option<Arc<dyn TokenStore>>,
    /// Media ids of uploaded files.
    pub media: Option<Arc<dyn MediaCache>>,
    /// Conversations with the model.
    pub conversations: Option<Arc<dyn ConversationStore>>,
    /// WeChat's attempts at a push, counted across replicas.
    pub attempts: Option<Arc<dyn AttemptCounter>>,
    /// Claims on pushes' work, so one replica runs a push whichever replicas its attempts reach.
    pub claims: Option<Arc<dyn WorkClaims>>,
    /// Users' customer-service windows and quotas, shared by replicas.
    pub windows: Option<Arc<dyn WindowStore>>,
    /// The first body of each signed plaintext query, shared by replicas (a replay to another replica is
    /// refused too).
    pub replays: Option<Arc<dyn ReplayGuard>>,
    /// A local durable outbox (SQLite) where late answers wait while the shared store does not answer; they go
    /// on to the shared outbox, in order, once it answers again.
    pub spool: Option<Arc<dyn OutboxStore>>,
}

impl Stores {
    /// Every per-machine capability from one store (SQLite, or memory): attempts and windows stay in memory.
    pub fn single<S>(store: Arc<S>) -> Stores
    where
        S: OutboxStore + TokenStore + MediaCache + ConversationStore + 'static,
    {
        Stores {
            outbox: Some(store.clone()),
            tokens: Some(store.clone()),
            media: Some(store.clone()),
            conversations: Some(store),
            attempts: None,
            claims: None,
            windows: None,
            replays: None,
            spool: None,
        }
    }

    /// Every capability from one store shared by several replicas (Redis).
    pub fn replicated<S>(store: Arc<S>) -> Stores
    where
        S: OutboxStore
            + TokenStore
            + MediaCache
            + ConversationStore
            + AttemptCounter
            + WorkClaims
            + WindowStore
            + ReplayGuard
            + 'static,
    {
        Stores {
            attempts: Some(store.clone()),
            claims: Some(store.clone()),
            windows: Some(store.clone()),
            replays: Some(store.clone()),
            ..Stores::single(store)
        }
    }
}
