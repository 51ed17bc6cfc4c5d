//! The query string WeChat signs (PROTOCOL §1.1, §2.1).

use serde::Deserialize;

/// Query of a URL verification GET or a push POST; every field optional so a missing one gets a clear 401.
#[derive(Debug, Default, Deserialize)]
pub struct SignedQuery {
    /// `signature`: sha1 of token, timestamp, nonce.
    pub signature: Option<String>,
    /// `timestamp`, seconds.
    pub timestamp: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `echostr`, on verification only.
    pub echostr: Option<String>,
    /// `openid` of the sender, on user pushes.
    pub openid: Option<String>,
    /// `encrypt_type=aes` in compatible and safe modes.
    pub encrypt_type: Option<String>,
    /// `msg_signature`, with `encrypt_type=aes`.
    pub msg_signature: Option<String>,
}

impl SignedQuery {
    /// True when the body is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypt_type.as_deref() == Some("aes")
    }
}
