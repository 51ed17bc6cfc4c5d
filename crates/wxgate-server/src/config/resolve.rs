//! From raw config to validated settings; every error names the key and the fix.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wxgate_proto::crypto::MessageCrypto;

use super::env::apply_env;
use super::error::{ConfigError, invalid};
use super::raw::RawConfig;
use super::store::{self, StoreChoice};
use crate::account::{Account, Deadline, DeliveryMode, EncryptionMode, LateStrategy};
use crate::meter::PushMeter;

/// The embedded default configuration used by `wxgate serve` without `--config`: one demo account on `/wx`
/// answering the seed demo keywords with each passive reply type, greeting followers and echoing other text.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// Validated settings for the server: what [`load`] returns and [`Gateway`](crate::Gateway) runs on.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind.
    pub(crate) listen: SocketAddr,
    /// What one client may cost (`[server]` limits).
    pub(crate) limits: super::Limits,
    /// Where `/metrics` (and the probes) are served besides `listen`.
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Allowed clock difference for push timestamps; `None` = not checked.
    pub(crate) timestamp_window: Option<Duration>,
    /// The accounts.
    pub(crate) accounts: Vec<Arc<Account>>,
    /// Where durable state lives.
    pub(crate) store: StoreChoice,
    /// This replica's name, stable across restarts.
    pub(crate) instance: String,
    /// How long a push being worked out stays with its process unless renewed.
    pub(crate) work_lease: Duration,
    /// Model settings per account name, for accounts with `[accounts.llm]`.
    pub(crate) llm: std::collections::HashMap<String, wxgate_llm::LlmConfig>,
    /// Size limits of uploads (`[media]`).
    pub(crate) media_limits: wxgate_client::MediaLimits,
}

impl Config {
    /// The address to listen on (`server.listen`).
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The second address of `/metrics`, `/healthz` and `/readyz` (`server.metrics_listen`), if any.
    pub fn metrics_listen(&self) -> Option<SocketAddr> {
        self.metrics_listen
    }

    /// The model settings of the account named `account`, if it has `[accounts.llm]`.
    pub fn llm(&self, account: &str) -> Option<&wxgate_llm::LlmConfig> {
        self.llm.get(account)
    }

    /// The accounts, in config order.
    pub fn accounts(&self) -> &[Arc<Account>] {
        &self.accounts
    }

    /// Where durable state lives (`[store]`).
    pub fn store(&self) -> &StoreChoice {
        &self.store
    }

    /// The size limits of uploads (`[media]`).
    pub fn media_limits(&self) -> wxgate_client::MediaLimits {
        self.media_limits
    }

    /// This replica's name (`server.instance`).
    pub fn instance(&self) -> &str {
        &self.instance
    }
}

/// Loads a file (or the embedded default when `None`), applies the process environment, resolves.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let (text, origin) = match path {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|source| ConfigError::Io { path: p.display().to_string(), source })?,
            p.display().to_string(),
        ),
        None => (DEFAULT_CONFIG.to_owned(), "embedded default".to_owned()),
    };
    load_str(&text, &origin, std::env::vars())
}

/// Parses TOML text, applies the given environment, resolves.
pub fn load_str(
    text: &str,
    origin: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let parse_err =
        |e: &dyn std::fmt::Display| ConfigError::Parse { origin: origin.to_owned(), message: e.to_string() };
    let mut doc: toml::Value = toml::from_str(text).map_err(|e| parse_err(&e))?;
    apply_env(&mut doc, env)?;
    let raw: RawConfig = doc.try_into().map_err(|e: toml::de::Error| parse_err(&e))?;
    resolve(raw)
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

/// Validates raw settings.
pub(crate) fn resolve(raw: RawConfig) -> Result<Config, ConfigError> {
    let listen: SocketAddr = raw.server.listen.parse().map_err(|_| {
        invalid("server.listen", format!("{:?} is not an address", raw.server.listen), "use host:port, e.g. 0.0.0.0:80")
    })?;
    let limits = super::limits::resolve(&raw.server)?;
    let metrics_listen = match raw.server.metrics_listen.as_str() {
        "" => None,
        addr => Some(addr.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "server.metrics_listen",
                format!("{addr:?} is not an address"),
                "use host:port, e.g. 0.0.0.0:9090, or leave it empty to serve /metrics on server.listen",
            )
        })?),
    };
    if raw.accounts.is_empty() {
        return Err(invalid(
            "accounts",
            "no account is configured",
            "add an [[accounts]] section, or set WXGATE_TOKEN and WXGATE_APPID",
        ));
    }
    let media_limits = media_limits(&raw.media)?;
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
        for (j, r) in a.rules.iter().enumerate().filter(|(_, r)| !(r.unless_model && a.llm.is_some())) {
            rules.push(
                super::rule::compile(r, a.kind).map_err(|(field, reason, fix)| {
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
        if !(500..=60_000).contains(&a.deadline.retry_after_ms) {
            return Err(invalid(
                key("deadline.retry_after_ms"),
                format!("{} is out of range", a.deadline.retry_after_ms),
                "use 500..=60000 (default 5000: WeChat retries a push it got no answer to after 5 s)",
            ));
        }
        if !(1..=10).contains(&a.deadline.attempts) {
            return Err(invalid(
                key("deadline.attempts"),
                format!("{} is out of range", a.deadline.attempts),
                "use 3 (WeChat's attempts per push; 4 if your account is seen to retry three times)",
            ));
        }
        if a.kind.is_mini_program() && a.deadline.strategy != LateStrategy::CustomerService {
            return Err(invalid(
                key("deadline.strategy"),
                format!("{:?} for a Mini Program", a.deadline.strategy),
                "drop it: a Mini Program answers every push by customer service (customer_service)",
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
            meter: PushMeter::new(&name),
            name,
            kind: a.kind,
            path: a.path,
            appid: a.appid,
            original_id: (!a.original_id.is_empty()).then_some(a.original_id),
            crypto,
            encryption: a.encryption,
            delivery: a.delivery,
            require_wx_source: a.require_wx_source,
            rules,
            deadline: Deadline {
                budget: Duration::from_millis(a.deadline.budget_ms),
                attempts: a.deadline.attempts,
                hold: Duration::from_millis(a.deadline.hold_ms),
                retry_after: Duration::from_millis(a.deadline.retry_after_ms),
                strategy: a.deadline.strategy,
                placeholder: (!placeholder.is_empty()).then(|| placeholder.to_owned()),
            },
            dedup: a.dedup,
            secret: (!a.secret.is_empty()).then(|| wxgate_client::Secret::new(a.secret.clone())),
            media_limits,
            replay_key: replay_key(&a.token),
            api_base: a.api_base.trim_end_matches('/').to_owned(),
        }));
    }
    check_shared_paths(&accounts)?;
    let instance = match raw.server.instance.trim() {
        "" => format!("{}/{listen}", host_name()),
        name => name.to_owned(),
    };
    let store = store::resolve(&raw.store, &instance)?;
    if !(1_000..=600_000).contains(&raw.store.work_lease_ms) {
        return Err(invalid(
            "store.work_lease_ms",
            format!("{} is out of range", raw.store.work_lease_ms),
            "use 1000 to 600000 (milliseconds; default 30000)",
        ));
    }
    Ok(Config {
        llm,
        media_limits,
        store,
        instance,
        work_lease: Duration::from_millis(raw.store.work_lease_ms),
        listen,
        limits,
        metrics_listen,
        timestamp_window: (raw.server.timestamp_window_secs > 0)
            .then(|| Duration::from_secs(raw.server.timestamp_window_secs)),
        accounts,
    })
}

/// The key of an account's replay hashes: derived from its token, so only who knows the token could make two
/// bodies hash alike.
fn replay_key(token: &str) -> [u8; 16] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("wxgate replay key\u{1f}{token}").as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// `[media]` as the client's upload limits.
fn media_limits(m: &super::raw::MediaConfig) -> Result<wxgate_client::MediaLimits, ConfigError> {
    for (key, value) in [
        ("media.image_max_bytes", m.image_max_bytes),
        ("media.voice_max_bytes", m.voice_max_bytes),
        ("media.video_max_bytes", m.video_max_bytes),
        ("media.thumb_max_bytes", m.thumb_max_bytes),
    ] {
        if value == 0 {
            return Err(invalid(key, "0", "give the largest file in bytes, e.g. 2097152 for 2 MB"));
        }
    }
    Ok(wxgate_client::MediaLimits {
        image: m.image_max_bytes,
        voice: m.voice_max_bytes,
        video: m.video_max_bytes,
        thumb: m.thumb_max_bytes,
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
