//! `[store]` resolved: which backend keeps durable state, and where.

use super::error::{ConfigError, invalid};
use super::raw::{StoreConfig, redacted};

/// Where durable state (the outbox, shared tokens, media ids, conversations) lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// One SQLite file on this machine.
    Sqlite {
        /// The file.
        path: std::path::PathBuf,
        /// True for `durability = "full"`.
        full_sync: bool,
    },
    /// One Redis server shared by every replica.
    Redis {
        /// The URL (may carry a password, so `Debug` hides it).
        url: RedisUrl,
        /// Prefix of every key.
        prefix: String,
        /// The local SQLite file late answers are spooled to while Redis does not answer.
        spool: std::path::PathBuf,
    },
}

/// A Redis URL; `Debug` shows `redis://…` without what may be a password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(pub String);

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({})", redacted(&self.0))
    }
}

pub(crate) fn resolve(raw: &StoreConfig, instance: &str) -> Result<StoreChoice, ConfigError> {
    match raw.backend.as_str() {
        "sqlite" => {
            let full_sync = match raw.durability.as_str() {
                "full" => true,
                "normal" => false,
                other => {
                    return Err(invalid(
                        "store.durability",
                        format!("{other:?} is not a durability"),
                        "use \"full\" or \"normal\"",
                    ));
                }
            };
            if raw.path.trim().is_empty() {
                return Err(invalid("store.path", "empty", "name a file, e.g. wxgate.sqlite (or WXGATE_STORE)"));
            }
            Ok(StoreChoice::Sqlite { path: raw.path.clone().into(), full_sync })
        }
        "redis" => {
            if !(raw.url.starts_with("redis://") || raw.url.starts_with("unix://")) {
                let what =
                    if raw.url.is_empty() { "empty".to_owned() } else { "not a redis:// or unix:// URL".to_owned() };
                return Err(invalid(
                    "store.url",
                    what,
                    "give the Redis URL, e.g. redis://127.0.0.1:6379/ (or WXGATE_REDIS_URL)",
                ));
            }
            let spool = match raw.spool.trim() {
                "" => {
                    let name: String =
                        instance.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
                    format!("wxgate-spool-{name}.sqlite")
                }
                path => path.to_owned(),
            };
            Ok(StoreChoice::Redis { url: RedisUrl(raw.url.clone()), prefix: raw.prefix.clone(), spool: spool.into() })
        }
        other => Err(invalid(
            "store.backend",
            format!("{other:?} is not a backend"),
            "use \"sqlite\" (one machine) or \"redis\" (several replicas; set store.url too)",
        )),
    }
}
