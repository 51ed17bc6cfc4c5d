//! A resolved account: its credentials, how pushes reach it, its rules, and how long it may take to answer.
//!
//! Accounts are built from the config ([`crate::config::load`]) and shared read-only as `Arc<Account>`; a handler
//! can ask for its account with the [`Account`](crate::router::Account) extractor. `Debug` never shows secrets.

mod caller;
mod form;
mod key;
mod modes;

use std::time::Duration;

use wxgate_proto::crypto::MessageCrypto;

pub use caller::Caller;
pub use form::FormProblem;
pub use key::DedupMode;
pub(crate) use key::dedup_key;
pub use modes::{AccountKind, DeliveryMode, EncryptionMode, LateStrategy};

use crate::meter::PushMeter;
use crate::rules::Rule;

/// The public token of the embedded default config: fine for a first try, never for a live account.
const DEMO_TOKEN: &str = "wxgate-demo-token";

/// One Official Account or Mini Program served by this gateway.
#[derive(Debug)]
pub struct Account {
    pub(crate) name: String,
    pub(crate) kind: AccountKind,
    pub(crate) path: String,
    /// AppID; may be empty for a plaintext classic account.
    pub(crate) appid: String,
    pub(crate) original_id: Option<String>,
    /// Token, AES key and appid for signatures and encryption.
    pub(crate) crypto: MessageCrypto,
    pub(crate) encryption: EncryptionMode,
    pub(crate) delivery: DeliveryMode,
    /// Cloud Hosting: require `x-wx-source`.
    pub(crate) require_wx_source: bool,
    /// Config rules, tried in order before Rust handlers.
    pub(crate) rules: Vec<Rule>,
    pub(crate) deadline: Deadline,
    pub(crate) dedup: DedupMode,
    /// AppSecret for platform API calls, when configured.
    pub(crate) secret: Option<wxgate_client::Secret>,
    /// Platform API base; empty for the default.
    pub(crate) api_base: String,
    /// Local size limits of uploads.
    pub(crate) media_limits: wxgate_client::MediaLimits,
    /// The key of the hashes that tell a WeChat retry from a replayed query (derived from the token).
    pub(crate) replay_key: [u8; 16],
    /// The series its pushes are counted in.
    pub(crate) meter: PushMeter,
}

/// How long an account may take to answer, and where late answers go.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    /// How long one attempt may wait for its answer.
    pub(crate) budget: Duration,
    /// WeChat's attempts per push; the last one hands a late answer off.
    pub(crate) attempts: u32,
    /// How long a non-last attempt may hold its connection after the budget.
    pub(crate) hold: Duration,
    /// How long WeChat waits for an attempt before it retries (the attempt is judged by the push's age against
    /// it when the shared count cannot be read).
    pub(crate) retry_after: Duration,
    /// Where late answers go.
    pub(crate) strategy: LateStrategy,
    /// Passive-only: the text answered on the last attempt while the answer is parked.
    pub(crate) placeholder: Option<String>,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline {
            budget: Duration::from_millis(4500),
            attempts: 3,
            hold: Duration::from_secs(20),
            retry_after: Duration::from_secs(5),
            strategy: LateStrategy::CustomerService,
            placeholder: None,
        }
    }
}

impl Account {
    /// The name used in logs, metrics and the store (the config's `name`, else the appid).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An Official Account or a Mini Program.
    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    /// The URL path WeChat calls.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The AppID (`wx…`); empty for a plaintext classic account configured without one.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// The original id (`gh_…`), when configured.
    pub fn original_id(&self) -> Option<&str> {
        self.original_id.as_deref()
    }

    /// Classic server URL or Cloud Hosting.
    pub fn delivery(&self) -> DeliveryMode {
        self.delivery
    }

    /// Which encryption modes are accepted.
    pub fn encryption(&self) -> EncryptionMode {
        self.encryption
    }

    /// Where answers that miss WeChat's last attempt go.
    pub fn late_strategy(&self) -> LateStrategy {
        self.deadline.strategy
    }

    /// The credentials of this account (the `index`th of the config) whose form is wrong; empty when all are
    /// right (see [`FormProblem`]).
    pub fn form_problems(&self, index: usize) -> Vec<FormProblem> {
        form::problems(&form::Credentials {
            index,
            delivery: self.delivery,
            appid: &self.appid,
            original_id: self.original_id.as_deref(),
            secret: self.secret.as_ref().map(wxgate_client::Secret::expose),
            token: self.crypto.token(),
            demo_token: self.uses_demo_token(),
        })
    }

    /// The local files its rules reply with (uploaded on first use).
    pub fn media_files(&self) -> Vec<&crate::rules::MediaFile> {
        self.rules.iter().flat_map(crate::rules::Rule::files).collect()
    }

    /// True while the account still uses the public demo token of the embedded default config.
    pub fn uses_demo_token(&self) -> bool {
        self.crypto.token() == DEMO_TOKEN
    }

    /// The platform client settings of this account: token-free for Cloud Hosting (acting for `from_appid` under
    /// resource reuse), by AppSecret otherwise; `None` when a classic account has no secret (it cannot call the
    /// platform API). A Mini Program shows typing through its own endpoint; uploads are checked against the
    /// configured limits.
    pub fn client_config(&self, from_appid: Option<&str>) -> Option<wxgate_client::ClientConfig> {
        let mut config = match (self.delivery, &self.secret) {
            (DeliveryMode::Cloud, _) => wxgate_client::ClientConfig::cloud(from_appid.map(str::to_owned)),
            (DeliveryMode::Classic, Some(secret)) => wxgate_client::ClientConfig::new(&self.appid, secret.clone()),
            (DeliveryMode::Classic, None) => return None,
        };
        if self.kind.is_mini_program() {
            config.typing_path = wxgate_client::TypingPath::Business;
        }
        config.media_limits = self.media_limits;
        Some(if self.api_base.is_empty() { config } else { config.api_base(&self.api_base) })
    }
}
