//! The settings that say how an account is reached and how it answers: delivery, encryption, the fate of late
//! answers. They are plain serde enums, written in the config as snake_case strings.

use serde::{Deserialize, Serialize};

/// How pushes reach this server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// The classic server URL: signed query, optional encryption. Default.
    #[default]
    Classic,
    /// WeChat Cloud Hosting (微信云托管) message push: internal link, no signature, no encryption.
    Cloud,
}

/// Which encryption modes are accepted on a classic account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionMode {
    /// Per request, as the query says: plaintext without `encrypt_type`, decrypt with `encrypt_type=aes`. Default.
    #[default]
    Auto,
    /// Plaintext only (明文模式).
    Plain,
    /// Encrypted only (安全模式 / 兼容模式): a plaintext push is refused, since the URL signature does not cover
    /// the body.
    Safe,
}

/// What happens to an answer that is not ready by WeChat's last attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateStrategy {
    /// Send it through the customer-service API from the durable outbox. Default.
    #[default]
    CustomerService,
    /// Answer the placeholder and give the answer passively on the user's next message (for accounts without
    /// customer-service permission, such as unverified subscription accounts).
    PassiveOnly,
    /// Customer service until the platform answers 48001 (no permission), then passive-only for the account.
    Auto,
}

/// What kind of account this is: it decides how an answer may go out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// An Official Account (公众号): answers passively when it can, by customer service when it must. Default.
    #[default]
    OfficialAccount,
    /// A Mini Program (小程序): may not answer passively (only to transfer to customer service), so every answer
    /// goes by customer service — text, image, link and mini-program card messages only.
    MiniProgram,
}

impl AccountKind {
    /// True for a Mini Program.
    pub fn is_mini_program(self) -> bool {
        self == AccountKind::MiniProgram
    }
}
