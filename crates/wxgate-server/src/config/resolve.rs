//! From raw config to validated settings; every error names the key and the fix.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use wxgate_proto::crypto::MessageCrypto;

use super::env::apply_env;
use super::raw::{DeliveryMode, EncryptionMode, RawConfig};
use crate::account::Account;
use crate::rules::Rule;

/// A configuration mistake.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML does not parse or has an unknown key / wrong type.
    #[error("config {origin}: {message}")]
    Parse {
        /// File name or "embedded default".
        origin: String,
        /// The parser's message (names the key and position).
        message: String,
    },
    /// A value is wrong.
    #[error("config key `{key}`: {reason}; fix: {fix}")]
    Invalid {
        /// The key (dotted path, or the environment variable).
        key: String,
        /// What is wrong.
        reason: String,
        /// What to do.
        fix: String,
    },
    /// A `WXGATE_…` variable that is not a config key.
    #[error("environment variable {var} is not a config key: {hint}")]
    UnknownEnv {
        /// The variable name.
        var: String,
        /// How to spell it.
        hint: String,
    },
}

/// Validated settings for the server.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Body size cap in bytes.
    pub body_limit: usize,
    /// Allowed clock difference for push timestamps; `None` = not checked.
    pub timestamp_window: Option<Duration>,
    /// The accounts.
    pub accounts: Vec<Arc<Account>>,
    /// Where durable state lives.
    pub store: StoreChoice,
    /// This replica's name, stable across restarts.
    pub instance: String,
    /// How long a push being worked out stays with its process unless renewed.
    pub work_lease: Duration,
    /// Model settings per account name, for accounts with `[accounts.llm]`.
    pub llm: std::collections::HashMap<String, wxgate_llm::LlmConfig>,
}

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
    },
}

/// A Redis URL; `Debug` shows `redis://…` without what may be a password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(pub String);

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.rsplit_once('@') {
            Some((_, host)) => write!(f, "RedisUrl(redis://<credentials>@{host})"),
            None => write!(f, "RedisUrl({})", self.0),
        }
    }
}

/// The machine's name (`/proc/sys/kernel/hostname`, else `HOSTNAME`, else `localhost`).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn store(raw: &super::raw::StoreConfig) -> Result<StoreChoice, ConfigError> {
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
            Ok(StoreChoice::Redis { url: RedisUrl(raw.url.clone()), prefix: raw.prefix.clone() })
        }
        other => Err(invalid(
            "store.backend",
            format!("{other:?} is not a backend"),
            "use \"sqlite\" (one machine) or \"redis\" (several replicas; set store.url too)",
        )),
    }
}

/// Loads a file (or the embedded default when `None`), applies the process environment, resolves.
pub fn load(path: Option<&Path>) -> Result<ResolvedConfig, ConfigError> {
    let (text, origin) = match path {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|source| ConfigError::Io { path: p.display().to_string(), source })?,
            p.display().to_string(),
        ),
        None => (super::DEFAULT_CONFIG.to_owned(), "embedded default".to_owned()),
    };
    load_str(&text, &origin, std::env::vars())
}

/// Parses TOML text, applies the given environment, resolves.
pub fn load_str(
    text: &str,
    origin: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<ResolvedConfig, ConfigError> {
    let parse_err =
        |e: &dyn std::fmt::Display| ConfigError::Parse { origin: origin.to_owned(), message: e.to_string() };
    let mut doc: toml::Value = toml::from_str(text).map_err(|e| parse_err(&e))?;
    apply_env(&mut doc, env)?;
    let raw: RawConfig = doc.try_into().map_err(|e: toml::de::Error| parse_err(&e))?;
    resolve(raw)
}

fn invalid(key: impl Into<String>, reason: impl Into<String>, fix: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into(), fix: fix.into() }
}

/// Validates raw settings.
pub fn resolve(raw: RawConfig) -> Result<ResolvedConfig, ConfigError> {
    let listen: SocketAddr = raw.server.listen.parse().map_err(|_| {
        invalid("server.listen", format!("{:?} is not an address", raw.server.listen), "use host:port, e.g. 0.0.0.0:80")
    })?;
    if raw.server.body_limit < 1024 {
        return Err(invalid("server.body_limit", "under 1024 bytes", "use at least 1024 (default 1048576)"));
    }
    if raw.accounts.is_empty() {
        return Err(invalid(
            "accounts",
            "no account is configured",
            "add an [[accounts]] section, or set WXGATE_TOKEN and WXGATE_APPID",
        ));
    }
    let mut accounts = Vec::with_capacity(raw.accounts.len());
    let mut llm = std::collections::HashMap::new();
    for (i, a) in raw.accounts.into_iter().enumerate() {
        let key = |k: &str| format!("accounts[{i}].{k}");
        if !a.path.starts_with('/') {
            return Err(invalid(key("path"), format!("{:?} does not start with /", a.path), "use a path like /wx"));
        }
        if a.delivery == DeliveryMode::Classic && a.token.is_empty() {
            return Err(invalid(
                key("token"),
                "empty for a classic (server URL) account",
                "copy the Token from 设置与开发 → 基本配置 → 服务器配置 (or set WXGATE_TOKEN), or set delivery = \"cloud\"",
            ));
        }
        let aes = (!a.aes_key.is_empty()).then_some(a.aes_key.as_str());
        if aes.is_some() && a.appid.is_empty() {
            return Err(invalid(
                key("appid"),
                "required with aes_key (it is checked inside every encrypted message)",
                "set appid = \"wx…\" (or WXGATE_APPID)",
            ));
        }
        if a.encryption == EncryptionMode::Safe && aes.is_none() {
            return Err(invalid(
                key("aes_key"),
                "required with encryption = \"safe\"",
                "copy the 43-character EncodingAESKey from 服务器配置 (or WXGATE_AES_KEY)",
            ));
        }
        let crypto = MessageCrypto::new(a.token.clone(), aes, a.appid.clone()).map_err(|e| {
            invalid(
                key("aes_key"),
                e.to_string(),
                "copy the 43-character EncodingAESKey exactly, or leave it empty for plaintext mode",
            )
        })?;
        let mut rules = Vec::with_capacity(a.rules.len());
        for (j, r) in a.rules.iter().enumerate() {
            rules.push(
                Rule::compile(r).map_err(|(field, reason, fix)| {
                    invalid(format!("accounts[{i}].rules[{j}].{field}"), reason, fix)
                })?,
            );
        }
        if a.deadline.budget_ms == 0 || a.deadline.budget_ms > 15_000 {
            return Err(invalid(
                key("deadline.budget_ms"),
                format!("{} is out of range", a.deadline.budget_ms),
                "use 1..=15000 (default 4500; WeChat waits 5000 per attempt)",
            ));
        }
        if !(1..=10).contains(&a.deadline.attempts) {
            return Err(invalid(
                key("deadline.attempts"),
                format!("{} is out of range", a.deadline.attempts),
                "use 3 (WeChat's attempts per push; 4 if your account is seen to retry three times)",
            ));
        }
        let placeholder = a.deadline.placeholder.trim();
        if placeholder.len() > wxgate_proto::reply::MAX_TEXT_BYTES {
            return Err(invalid(key("deadline.placeholder"), "over 2048 bytes", "use a short sentence"));
        }
        if let Some(m) = &a.llm {
            if m.base_url.is_empty() || !(m.base_url.starts_with("http://") || m.base_url.starts_with("https://")) {
                return Err(invalid(
                    key("llm.base_url"),
                    format!("{:?} is not an http(s) URL", m.base_url),
                    "set the API base, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (WXGATE_LLM_BASE_URL)",
                ));
            }
            if m.model.is_empty() {
                return Err(invalid(
                    key("llm.model"),
                    "empty",
                    "name the model, e.g. gpt-4o-mini or qwen2.5 (WXGATE_LLM_MODEL)",
                ));
            }
        }
        let name = if a.name.is_empty() {
            if a.appid.is_empty() { format!("account{i}") } else { a.appid.clone() }
        } else {
            a.name.clone()
        };
        if let Some(m) = a.llm.clone() {
            llm.insert(name.clone(), m);
        }
        accounts.push(Arc::new(Account {
            name,
            path: a.path,
            appid: a.appid,
            original_id: (!a.original_id.is_empty()).then_some(a.original_id),
            crypto,
            encryption: a.encryption,
            delivery: a.delivery,
            require_wx_source: a.require_wx_source,
            rules,
            budget: Duration::from_millis(a.deadline.budget_ms),
            attempts: a.deadline.attempts,
            hold: Duration::from_millis(a.deadline.hold_ms),
            strategy: a.deadline.strategy,
            placeholder: (!placeholder.is_empty()).then(|| placeholder.to_owned()),
            dedup: a.dedup,
            secret: (!a.secret.is_empty()).then(|| wxgate_client::Secret::new(a.secret.clone())),
            api_base: a.api_base.trim_end_matches('/').to_owned(),
        }));
    }
    check_shared_paths(&accounts)?;
    let store = store(&raw.store)?;
    if !(1_000..=600_000).contains(&raw.store.work_lease_ms) {
        return Err(invalid(
            "store.work_lease_ms",
            format!("{} is out of range", raw.store.work_lease_ms),
            "use 1000 to 600000 (milliseconds; default 30000)",
        ));
    }
    let instance = match raw.server.instance.trim() {
        "" => format!("{}/{listen}", host_name()),
        name => name.to_owned(),
    };
    Ok(ResolvedConfig {
        llm,
        store,
        instance,
        work_lease: Duration::from_millis(raw.store.work_lease_ms),
        listen,
        body_limit: raw.server.body_limit,
        timestamp_window: (raw.server.timestamp_window_secs > 0)
            .then(|| Duration::from_secs(raw.server.timestamp_window_secs)),
        accounts,
    })
}

/// Accounts sharing a path must be distinguishable: classic ones by token, cloud ones by appid.
fn check_shared_paths(accounts: &[Arc<Account>]) -> Result<(), ConfigError> {
    for (i, a) in accounts.iter().enumerate() {
        for b in &accounts[..i] {
            if a.path != b.path {
                continue;
            }
            let clash = match (a.delivery, b.delivery) {
                (DeliveryMode::Classic, DeliveryMode::Classic) => a.crypto.token() == b.crypto.token(),
                _ => a.appid.is_empty() || b.appid.is_empty() || a.appid == b.appid,
            };
            if clash {
                return Err(invalid(
                    format!("accounts[{i}].path"),
                    format!("{} shares path {} with {} and cannot be told apart", a.name, a.path, b.name),
                    "give each account its own path, or distinct tokens (classic) / appids (cloud)",
                ));
            }
        }
    }
    Ok(())
}
