//! The Redis backend: several wxgate replicas share one outbox, one access token per account, one media cache, the
//! users' conversations, their customer-service windows, the count of WeChat's attempts at each push and the
//! claim on its work through one Redis server.
//!
//! Every change that reads before it writes (accepting a push, claiming jobs, put-if-newer, leases) is one Lua
//! script, which Redis runs atomically: two replicas never claim the same job or overwrite a fresher token.
//! Durability is the Redis server's own setting (`appendonly yes` with `appendfsync everysec` or `always`);
//! a replica killed with `kill -9` loses nothing it had written.
//!
//! Keys start with a prefix (default `wxgate:`), so one Redis can serve several deployments. The scripts build
//! their keys from the prefix, so the store needs a single Redis server (or a primary with replicas), not a
//! Redis Cluster.
//!
//! The `testing` feature adds the `testing` module (a throwaway `redis-server` for tests); the default build
//! leaves it out.

mod acks;
mod attempts;
mod claims;
mod conn;
mod conversation;
mod keys;
mod media;
mod outbox;
mod replay;
mod scripts;
#[cfg(feature = "testing")]
pub mod testing;
mod token;
mod window;

pub use conn::{RedisStore, TIMEOUT};
