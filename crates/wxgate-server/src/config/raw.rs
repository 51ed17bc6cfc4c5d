//! The raw configuration: serde types mirroring the TOML file, with every default documented.

use serde::{Deserialize, Serialize};
use wxgate_proto::ReplyBody;

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`: listener and request limits.
    pub server: ServerConfig,
    /// `[[accounts]]`: one entry per Official Account or Mini Program.
    pub accounts: Vec<AccountConfig>,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`; in a container use `0.0.0.0:80` (`WXGATE_LISTEN`).
    pub listen: String,
    /// Largest accepted request body in bytes. Default 1 MiB; larger bodies get 413 before being read whole.
    pub body_limit: usize,
    /// Accept a push only if its `timestamp` is within this many seconds of now. Default 300; 0 turns it off.
    pub timestamp_window_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { listen: "127.0.0.1:8080".into(), body_limit: 1024 * 1024, timestamp_window_secs: 300 }
    }
}

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

/// `[[accounts]]`: one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// A name for logs. Default: the appid.
    pub name: String,
    /// URL path WeChat calls. Default `/wx`. Several accounts may share a path (told apart by signature, original
    /// id or the Cloud Hosting appid header).
    pub path: String,
    /// AppID (`wx…`): checked inside encrypted frames and used for Cloud Hosting routing.
    pub appid: String,
    /// Original id (`gh_…`), the `ToUserName` of pushes. Optional; when set, pushes for another account are refused.
    pub original_id: String,
    /// AppSecret, for platform API calls (also `WXGATE_APPSECRET`). Never logged.
    pub secret: String,
    /// The Token from 服务器配置 (classic delivery). Never logged.
    pub token: String,
    /// The 43-character EncodingAESKey; empty for plaintext mode. Never logged.
    pub aes_key: String,
    /// Encryption modes accepted. Default `auto`.
    pub encryption: EncryptionMode,
    /// `classic` (default) or `cloud`.
    pub delivery: DeliveryMode,
    /// Cloud Hosting only: refuse pushes without the `x-wx-source` header. Keep `true` (the default) whenever
    /// the service is reachable from the public network; `false` only when public access is disabled.
    pub require_wx_source: bool,
    /// Replies to send by keyword, regex, event or menu click; the first match wins, before any Rust handler.
    pub rules: Vec<RuleConfig>,
    /// Time limits for answering.
    pub deadline: DeadlineConfig,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            name: String::new(),
            path: "/wx".into(),
            appid: String::new(),
            original_id: String::new(),
            secret: String::new(),
            token: String::new(),
            aes_key: String::new(),
            encryption: EncryptionMode::Auto,
            delivery: DeliveryMode::Classic,
            require_wx_source: true,
            rules: Vec::new(),
            deadline: DeadlineConfig::default(),
        }
    }
}

/// `[accounts.deadline]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlineConfig {
    /// How long one attempt may wait for the handler, in milliseconds from arrival. Default 4500 (WeChat waits 5 s).
    pub budget_ms: u64,
}

impl Default for DeadlineConfig {
    fn default() -> Self {
        DeadlineConfig { budget_ms: 4500 }
    }
}

/// `[[accounts.rules]]`: every condition given must hold.
///
/// Reply text may use `{content}` (the user's text), `{openid}`, `{event_key}` and `{scene}` (QR scene).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// `MsgType` to match (`text`, `image`, `event`, …).
    pub msg_type: Option<String>,
    /// Text equal to this keyword (surrounding whitespace ignored).
    pub keyword: Option<String>,
    /// Text equal to any of these keywords.
    pub keywords: Vec<String>,
    /// Text matching this regular expression.
    pub regex: Option<String>,
    /// `Event` name, exactly as WeChat sends it (`subscribe`, `CLICK`, `SCAN`, …).
    pub event: Option<String>,
    /// `EventKey` equal to this value (for `subscribe`, the `qrscene_` prefix is part of the key).
    pub event_key: Option<String>,
    /// Shorthand for `event = "CLICK"` with this `event_key`.
    pub menu_click: Option<String>,
    /// The reply; `{ type = "text", content = "…" }`, `image`/`voice` with `media_id`, `video`, `music`,
    /// `news` with `articles`, or `transfer_customer_service`.
    pub reply: Option<ReplyBody>,
}
