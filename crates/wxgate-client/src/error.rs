//! The one error type of the client, with the retry class each failure implies, and the reading of the
//! platform's `{"errcode": …, "errmsg": …}` answers that become [`ClientError::Api`].

use wxgate_proto::errcode::{ErrCode, RetryClass};

/// Everything a platform call can end in, other than success.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The platform answered an `errcode`.
    #[error("WeChat errcode {}: {} — {} (errmsg: {errmsg})", .code.code(), .code.meaning(), .code.advice())]
    Api {
        /// The typed code.
        code: ErrCode,
        /// The platform's message (with its `rid`).
        errmsg: String,
    },
    /// The token endpoint refused to issue a token (wrong AppSecret, IP whitelist, quota…).
    #[error("cannot obtain an access token: errcode {}: {} — {} (errmsg: {errmsg})", .code.code(), .code.meaning(), .code.advice())]
    TokenRefused {
        /// The typed code.
        code: ErrCode,
        /// The platform's message.
        errmsg: String,
    },
    /// The HTTP status was not 2xx.
    #[error("HTTP status {0} from the platform")]
    HttpStatus(u16),
    /// The request could not be sent or the answer not read (URL with the token stripped).
    #[error("network error: {0}")]
    Network(String),
    /// The answer was not what the endpoint returns.
    #[error("unexpected answer: {0}")]
    Decode(String),
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Another process held the refresh lease and no token appeared in time.
    #[error("no access token appeared while another process was refreshing it")]
    TokenWaitTimeout,
    /// The shared store failed.
    #[error(transparent)]
    Store(#[from] wxgate_store::StoreError),
    /// A media file is larger than its type allows (checked before any network call).
    #[error("{media_type} too large: {size} bytes, the limit is {limit} bytes")]
    MediaTooLarge {
        /// `image`, `voice`, `video` or `thumb`.
        media_type: &'static str,
        /// The file's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A media file is empty.
    #[error("{media_type} file is empty")]
    MediaEmpty {
        /// The media type.
        media_type: &'static str,
    },
    /// A media file's format is not accepted for its type (checked before any network call).
    #[error("{media_type} format not accepted: {reason} (accepted: {accepted})")]
    MediaFormat {
        /// The media type.
        media_type: &'static str,
        /// What is wrong.
        reason: String,
        /// The accepted formats.
        accepted: &'static str,
    },
    /// Reading a local file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl ClientError {
    /// What to do about this error.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            ClientError::Api { code, .. } => code.retry_class(),
            ClientError::TokenRefused { code, .. } => match code.retry_class() {
                RetryClass::Backoff => RetryClass::Backoff,
                _ => RetryClass::Permanent,
            },
            ClientError::HttpStatus(s) if *s >= 500 || *s == 429 => RetryClass::Backoff,
            ClientError::Network(_) | ClientError::TokenWaitTimeout | ClientError::Store(_) => RetryClass::Backoff,
            _ => RetryClass::Permanent,
        }
    }

    /// The platform errcode, if the platform answered one.
    pub fn errcode(&self) -> Option<ErrCode> {
        match self {
            ClientError::Api { code, .. } | ClientError::TokenRefused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A transport error with its causes but without its URL (the URL carries the access token).
    pub(crate) fn network(e: reqwest::Error) -> ClientError {
        let e = e.without_url();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        ClientError::Network(text)
    }
}

/// Reads `{"errcode": n, "errmsg": "…"}` from a JSON object body; `None` for other bodies and for errcode 0.
pub(crate) fn errcode_of(body: &[u8]) -> Option<(ErrCode, String)> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("errcode")?.as_i64()?;
    if code == 0 {
        return None;
    }
    let msg = v.get("errmsg").and_then(|m| m.as_str()).unwrap_or_default().to_owned();
    Some((ErrCode::from_code(code), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcode_parsing() {
        assert_eq!(errcode_of(br#"{"errcode":45015,"errmsg":"x rid: 1"}"#).map(|e| e.0), Some(ErrCode::WindowClosed));
        assert_eq!(errcode_of(br#"{"errcode":0,"errmsg":"ok"}"#), None);
        assert_eq!(errcode_of(br#"{"media_id":"m"}"#), None);
        assert_eq!(errcode_of(b"\xff\xd8\xff"), None);
    }
}
