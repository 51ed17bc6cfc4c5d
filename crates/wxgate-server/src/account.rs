//! A resolved account: its credentials, delivery mode, rules and time budget.

use std::time::Duration;

use wxgate_proto::crypto::MessageCrypto;

use crate::config::{DeliveryMode, EncryptionMode, LateStrategy};
use crate::join::DedupMode;
use crate::rules::Rule;

/// One Official Account or Mini Program served by this gateway. `Debug` never shows secrets.
#[derive(Debug)]
pub struct Account {
    /// Name for logs.
    pub name: String,
    /// URL path.
    pub path: String,
    /// AppID (may be empty for a plaintext classic account).
    pub appid: String,
    /// Original id (`gh_…`), when configured.
    pub original_id: Option<String>,
    /// Token, AES key and appid for signatures and encryption.
    pub crypto: MessageCrypto,
    /// Which encryption modes are accepted.
    pub encryption: EncryptionMode,
    /// Classic or Cloud Hosting.
    pub delivery: DeliveryMode,
    /// Cloud Hosting: require `x-wx-source`.
    pub require_wx_source: bool,
    /// Config rules, tried in order before Rust handlers.
    pub rules: Vec<Rule>,
    /// How long an attempt may wait for its answer.
    pub budget: Duration,
    /// WeChat's attempts per push; the last one hands a late answer off.
    pub attempts: u32,
    /// How long a non-last attempt may hold its connection after the budget.
    pub hold: Duration,
    /// Where late answers go.
    pub strategy: LateStrategy,
    /// Passive-only placeholder text.
    pub placeholder: Option<String>,
    /// How retries are recognised.
    pub dedup: DedupMode,
    /// AppSecret for platform API calls, when configured.
    pub secret: Option<wxgate_client::Secret>,
    /// Platform API base; empty for the default.
    pub api_base: String,
}

impl Account {
    /// The platform client settings of this account: token-free for Cloud Hosting, by AppSecret otherwise;
    /// `None` when a classic account has no secret (it cannot send customer-service messages).
    pub fn client_config(&self) -> Option<wxgate_client::ClientConfig> {
        let config = match (self.delivery, &self.secret) {
            (DeliveryMode::Cloud, _) => wxgate_client::ClientConfig::cloud(None),
            (DeliveryMode::Classic, Some(secret)) => wxgate_client::ClientConfig::new(&self.appid, secret.clone()),
            (DeliveryMode::Classic, None) => return None,
        };
        Some(if self.api_base.is_empty() { config } else { config.api_base(&self.api_base) })
    }
}

impl Account {
    /// A plaintext classic account for tests and examples.
    pub fn classic(name: &str, path: &str, token: &str) -> Account {
        Account {
            name: name.into(),
            path: path.into(),
            appid: String::new(),
            original_id: None,
            crypto: MessageCrypto::new(token, None, "").expect("no key to check"),
            encryption: EncryptionMode::Auto,
            delivery: DeliveryMode::Classic,
            require_wx_source: true,
            rules: Vec::new(),
            budget: Duration::from_millis(4500),
            attempts: 3,
            hold: Duration::from_secs(20),
            strategy: LateStrategy::CustomerService,
            placeholder: None,
            dedup: DedupMode::Sender,
            secret: None,
            api_base: String::new(),
        }
    }
}
