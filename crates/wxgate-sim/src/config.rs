//! The TOML configuration of a standalone simulator (`wxgate sim --config sim.toml`): listen address, platform
//! settings with plain-number durations, and accounts with their users. Parsing is pure;
//! [`crate::SimulatorBuilder::config`] applies it.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::account::Account;
use crate::error::SimError;
use crate::settings::Settings;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// `[sim]`: listen address and platform settings.
    #[serde(default)]
    pub sim: RawSettings,
    /// `[[accounts]]`.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
}

/// One `[[accounts]]` entry: the account plus the openids of its users.
#[derive(Debug, Deserialize)]
pub struct AccountConfig {
    /// The account fields (see [`Account`]).
    #[serde(flatten)]
    pub account: Account,
    /// Followers known from the start (users are also created when they first send something).
    #[serde(default)]
    pub users: Vec<String>,
}

/// `[sim]` with durations as numbers; every field optional (defaults of [`Settings`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSettings {
    /// Listen address of the API and control endpoints, default `127.0.0.1:9000`.
    pub listen: Option<SocketAddr>,
    /// Per-attempt push timeout in milliseconds (default 5000).
    pub push_timeout_ms: Option<u64>,
    /// Push attempts (default 3).
    pub push_attempts: Option<u32>,
    /// Fresh timestamp/nonce per attempt (default true).
    pub fresh_signature_per_attempt: Option<bool>,
    /// The system notice text.
    pub system_notice: Option<String>,
    /// Token lifetime in seconds (default 7200).
    pub token_ttl_secs: Option<u64>,
    /// Old/new token overlap in seconds (default 300).
    pub token_overlap_secs: Option<u64>,
    /// `/cgi-bin/token` calls per day (default 2000).
    pub token_daily_quota: Option<u32>,
    /// Customer-service text limit in bytes (default 2048).
    pub text_max_bytes: Option<usize>,
    /// Customer-service news articles allowed (default 1).
    pub news_max_articles: Option<usize>,
    /// Passive news article limit; absent = the 1/8 rule.
    pub passive_max_articles: Option<usize>,
    /// Image upload limit in bytes (default 10 MB).
    pub media_image_max_bytes: Option<usize>,
    /// Voice upload limit in bytes (default 2 MB).
    pub media_voice_max_bytes: Option<usize>,
}

/// The default listen address of the standalone simulator.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

impl SimConfig {
    /// Parses the TOML text.
    pub fn from_toml(text: &str) -> Result<SimConfig, SimError> {
        toml::from_str(text).map_err(|e| SimError::Config(e.to_string()))
    }

    /// Reads and parses a file.
    pub fn load(path: &std::path::Path) -> Result<SimConfig, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Config(format!("{}: {e}", path.display())))?;
        SimConfig::from_toml(&text)
    }

    /// The resolved platform settings.
    pub fn settings(&self) -> Settings {
        let r = &self.sim;
        let mut s = Settings::default();
        if let Some(v) = r.push_timeout_ms {
            s.push_timeout = Duration::from_millis(v);
        }
        if let Some(v) = r.push_attempts {
            s.push_attempts = v;
        }
        if let Some(v) = r.fresh_signature_per_attempt {
            s.fresh_signature_per_attempt = v;
        }
        if let Some(v) = &r.system_notice {
            s.system_notice = v.clone();
        }
        if let Some(v) = r.token_ttl_secs {
            s.token_ttl = Duration::from_secs(v);
        }
        if let Some(v) = r.token_overlap_secs {
            s.token_overlap = Duration::from_secs(v);
        }
        if let Some(v) = r.token_daily_quota {
            s.token_daily_quota = v;
        }
        if let Some(v) = r.text_max_bytes {
            s.text_max_bytes = v;
        }
        if let Some(v) = r.news_max_articles {
            s.news_max_articles = v;
        }
        s.passive_max_articles = r.passive_max_articles;
        if let Some(v) = r.media_image_max_bytes {
            s.media_limits.image = v;
        }
        if let Some(v) = r.media_voice_max_bytes {
            s.media_limits.voice = v;
        }
        s
    }

    /// The listen address (default `127.0.0.1:9000`).
    pub fn listen(&self) -> SocketAddr {
        self.sim.listen.unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{DataFormat, Delivery, Mode};

    #[test]
    fn parses_the_example_config() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sim.toml")).unwrap();
        let cfg = SimConfig::from_toml(&text).unwrap();
        let a = &cfg.accounts[0].account;
        assert_eq!(a.appid, "wx0000000000000001");
        assert_eq!(a.token, "wxgate-demo-token");
        assert_eq!(a.delivery, Some(Delivery::Url { url: "http://127.0.0.1:8080/wx".into() }));
        assert!(!cfg.accounts[0].users.is_empty());
        assert_eq!(cfg.listen().port(), 9000);
    }

    #[test]
    fn settings_and_errors() {
        let cfg = SimConfig::from_toml(
            r#"
            [sim]
            push_timeout_ms = 300
            [[accounts]]
            appid = "wx1"
            secret = "s"
            original_id = "gh_1"
            token = "t"
            mode = "safe"
            format = "json"
            encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
            delivery = { kind = "cloud_hosting", url = "http://127.0.0.1:1/", env = "e" }
            "#,
        )
        .unwrap();
        assert_eq!(cfg.settings().push_timeout, Duration::from_millis(300));
        assert_eq!(cfg.accounts[0].account.mode, Mode::Safe);
        assert_eq!(cfg.accounts[0].account.format, DataFormat::Json);
        assert!(matches!(SimConfig::from_toml("[sim]\nbogus = 1"), Err(SimError::Config(_))));
    }
}
