//! Configuration: a TOML file, overridden key by key from `WXGATE_…` environment variables, then resolved.
//!
//! Two stages, as DESIGN.md asks: [`RawConfig`] is plain serde data with every default written down (no IO, no
//! validation beyond types), and [`load`] / [`load_str`] turn it into typed, validated settings
//! ([`crate::account::Account`], durations, compiled rules). A mistake is reported with the key that holds it and
//! how to fix it.

mod env;
mod raw;
mod resolve;

pub use env::{apply_env, env_key_path};
pub use raw::{
    AccountConfig, DeadlineConfig, DeliveryMode, EncryptionMode, LateStrategy, RawConfig, RuleConfig, ServerConfig,
    StoreConfig,
};
pub use resolve::{ConfigError, RedisUrl, ResolvedConfig, StoreChoice, load, load_str};

/// The embedded default configuration used by `wxgate serve` without `--config`: one demo account on `/wx`
/// answering the seed-000 demo keywords, greeting followers and echoing other text.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../examples/default.toml");
