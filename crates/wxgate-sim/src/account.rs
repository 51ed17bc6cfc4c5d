//! The simulated account model: credentials, encryption mode, data format, delivery target and
//! the account kind that gates what the account may do on the API side.
//!
//! `Debug` never prints the AppSecret, the token or the EncodingAESKey.

use serde::Deserialize;

/// What kind of account this is; it decides which customer-service message types are allowed and whether the
/// customer-service API may be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A verified service account (服务号): every customer-service feature.
    #[default]
    VerifiedService,
    /// A verified subscription account (订阅号): customer-service allowed.
    VerifiedSubscription,
    /// An unverified subscription account: customer-service and typing answer 48001.
    UnverifiedSubscription,
    /// A Mini Program: only `text`, `image`, `link`, `miniprogrampage`; media upload of images only.
    MiniProgram,
    /// A sandbox test account: like a service account but without `msgmenu`, and a 200/day token quota.
    TestAccount,
}

impl AccountKind {
    /// True for Mini Programs (other rules for the window and msgtypes).
    pub fn is_mini_program(self) -> bool {
        matches!(self, AccountKind::MiniProgram)
    }
}

/// The encryption mode set in the console: plaintext (明文), compatible (兼容) or safe (安全).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 明文模式: plaintext body, URL `signature` only.
    #[default]
    Plain,
    /// 兼容模式: plaintext fields plus `Encrypt`, and `msg_signature`.
    Compatible,
    /// 安全模式: only `ToUserName` and `Encrypt`; the reply must be encrypted too.
    Safe,
}

/// The push body format (XML for classic callbacks; JSON for Mini Program JSON mode and Cloud Hosting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// `<xml>…</xml>`.
    #[default]
    Xml,
    /// A flat JSON object.
    Json,
}

impl From<DataFormat> for wxgate_proto::Format {
    fn from(f: DataFormat) -> Self {
        match f {
            DataFormat::Xml => wxgate_proto::Format::Xml,
            DataFormat::Json => wxgate_proto::Format::Json,
        }
    }
}

/// Where pushes of this account go.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    /// The classic developer server URL, signed (and encrypted by mode).
    Url {
        /// Full URL, e.g. `http://127.0.0.1:8080/wx`.
        url: String,
    },
    /// A Cloud Hosting (微信云托管) service path: no signature, no encryption, `X-WX-*` headers.
    CloudHosting {
        /// Full URL of the container path.
        url: String,
        /// `X-WX-ENV`.
        env: String,
        /// Resource reuse: the environment belongs to this other account. Pushes then carry `X-WX-APPID` = the
        /// owner, `X-WX-FROM-APPID` = this account and `X-WX-FROM-OPENID` instead of `X-WX-OPENID`.
        #[serde(default)]
        owner_appid: Option<String>,
    },
}

impl Delivery {
    /// The URL pushes are POSTed to.
    pub fn url(&self) -> &str {
        match self {
            Delivery::Url { url } | Delivery::CloudHosting { url, .. } => url,
        }
    }
}

/// One simulated account.
#[derive(Clone, Deserialize)]
pub struct Account {
    /// `wx` + 16 hex chars.
    pub appid: String,
    /// The AppSecret (for `/cgi-bin/token` and `stable_token`).
    pub secret: String,
    /// Original id `gh_…`: `ToUserName` of pushes.
    pub original_id: String,
    /// The message token signatures are computed with.
    pub token: String,
    /// The 43-char EncodingAESKey; required for compatible and safe mode.
    #[serde(default)]
    pub encoding_aes_key: Option<String>,
    /// Encryption mode.
    #[serde(default)]
    pub mode: Mode,
    /// Push body format.
    #[serde(default)]
    pub format: DataFormat,
    /// Where pushes go; `None` for an API-only account.
    #[serde(default)]
    pub delivery: Option<Delivery>,
    /// Account kind.
    #[serde(default)]
    pub kind: AccountKind,
    /// API IP allow-list for the token endpoints; empty means no check.
    #[serde(default)]
    pub ip_allow_list: Vec<String>,
    /// Cloud Hosting open interface service: API calls without `access_token` are accepted for this account.
    #[serde(default)]
    pub token_free: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("appid", &self.appid)
            .field("secret", &"<redacted>")
            .field("original_id", &self.original_id)
            .field("token", &"<redacted>")
            .field("encoding_aes_key", &self.encoding_aes_key.as_ref().map(|_| "<redacted>"))
            .field("mode", &self.mode)
            .field("format", &self.format)
            .field("delivery", &self.delivery)
            .field("kind", &self.kind)
            .field("ip_allow_list", &self.ip_allow_list)
            .field("token_free", &self.token_free)
            .finish()
    }
}

impl Account {
    /// A plain-mode, XML, verified service account without a delivery target.
    pub fn new(
        appid: impl Into<String>,
        secret: impl Into<String>,
        original_id: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Account {
            appid: appid.into(),
            secret: secret.into(),
            original_id: original_id.into(),
            token: token.into(),
            encoding_aes_key: None,
            mode: Mode::Plain,
            format: DataFormat::Xml,
            delivery: None,
            kind: AccountKind::VerifiedService,
            ip_allow_list: Vec::new(),
            token_free: false,
        }
    }

    /// Sets the encryption mode and EncodingAESKey.
    pub fn with_mode(mut self, mode: Mode, encoding_aes_key: Option<&str>) -> Self {
        self.mode = mode;
        self.encoding_aes_key = encoding_aes_key.map(str::to_owned);
        self
    }

    /// Sets the push body format.
    pub fn with_format(mut self, format: DataFormat) -> Self {
        self.format = format;
        self
    }

    /// Pushes go to this classic URL.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.delivery = Some(Delivery::Url { url: url.into() });
        self
    }

    /// Sets the delivery target.
    pub fn with_delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = Some(delivery);
        self
    }

    /// Sets the account kind.
    pub fn with_kind(mut self, kind: AccountKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the API IP allow-list (token endpoints answer 40164 for other callers).
    pub fn with_ip_allow_list(mut self, ips: &[&str]) -> Self {
        self.ip_allow_list = ips.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Accepts API calls without `access_token` (Cloud Hosting open interface service).
    pub fn with_token_free(mut self, on: bool) -> Self {
        self.token_free = on;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let a = Account::new("wx1", "SECRET-XYZ", "gh_1", "TOKEN-XYZ").with_mode(Mode::Safe, Some("KEY-XYZ"));
        let d = format!("{a:?}");
        assert!(!d.contains("SECRET-XYZ") && !d.contains("TOKEN-XYZ") && !d.contains("KEY-XYZ"), "{d}");
    }
}
