//! The one error type of the protocol core, with variants named by cause.
//!
//! Parse errors keep a truncated copy of the offending input so a log line shows what arrived without flooding.

use thiserror::Error;

/// How many bytes of raw input an error keeps for diagnostics.
pub const RAW_EXCERPT_BYTES: usize = 160;

/// Everything that can go wrong while decoding, verifying, encrypting or encoding.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// The body is not well-formed XML (or uses a construct we refuse).
    #[error("malformed XML: {reason} (input starts {excerpt:?})")]
    MalformedXml {
        /// What the reader reported.
        reason: String,
        /// The first bytes of the input.
        excerpt: String,
    },
    /// The body carries a document type declaration; DTDs and custom entities are never accepted.
    #[error("XML with a DTD or entity declaration is refused")]
    XmlDtdRefused,
    /// The XML nests deeper than any WeChat push does.
    #[error("XML nesting deeper than {0} levels is refused")]
    XmlTooDeep(usize),
    /// The body is not valid JSON.
    #[error("malformed JSON: {reason} (input starts {excerpt:?})")]
    MalformedJson {
        /// What serde_json reported.
        reason: String,
        /// The first bytes of the input.
        excerpt: String,
    },
    /// The JSON body is valid but not an object.
    #[error("JSON body must be an object")]
    JsonNotObject,
    /// The body is neither XML nor JSON (first byte is neither `<` nor `{`).
    #[error("body is neither XML nor JSON")]
    UnknownFormat,
    /// The body is not UTF-8.
    #[error("body is not valid UTF-8")]
    NotUtf8,
    /// A field every push carries is absent.
    #[error("required field {0} is missing")]
    MissingField(&'static str),
    /// A field has a value of the wrong shape (for example a non-numeric `CreateTime`).
    #[error("field {field} has an invalid value {value:?}")]
    InvalidField {
        /// The field name as on the wire.
        field: &'static str,
        /// The (truncated) value found.
        value: String,
    },
    /// EncodingAESKey is not 43 characters of `[A-Za-z0-9]` (WXBizMsgCrypt -40004).
    #[error("EncodingAESKey must be exactly 43 characters from [A-Za-z0-9] (got {0} characters)")]
    IllegalAesKey(usize),
    /// `Encrypt` is not valid base64 (-40010).
    #[error("Encrypt is not valid base64")]
    Base64,
    /// The ciphertext length is not a positive multiple of the block size (-40007).
    #[error("ciphertext length {0} is not a positive multiple of 16")]
    CipherLength(usize),
    /// The decrypted frame is malformed: bad padding or length prefix (-40008).
    #[error("decrypted buffer is malformed: {0}")]
    IllegalBuffer(&'static str),
    /// The appid inside the frame is not the configured one (-40005).
    #[error("appid in the encrypted frame does not match the configured appid")]
    AppIdMismatch,
    /// A signature did not match (-40001).
    #[error("signature mismatch")]
    SignatureMismatch,
    /// A passive reply breaks a platform limit and would make WeChat show its error notice.
    #[error("invalid reply: {0}")]
    InvalidReply(String),
}

impl ProtoError {
    /// Builds [`ProtoError::MalformedXml`] keeping an excerpt of the input.
    pub fn malformed_xml(reason: impl ToString, input: &[u8]) -> Self {
        ProtoError::MalformedXml { reason: reason.to_string(), excerpt: excerpt(input) }
    }

    /// Builds [`ProtoError::MalformedJson`] keeping an excerpt of the input.
    pub fn malformed_json(reason: impl ToString, input: &[u8]) -> Self {
        ProtoError::MalformedJson { reason: reason.to_string(), excerpt: excerpt(input) }
    }

    /// True when the cause is in the request body itself (answer 400), false for signature or key problems.
    pub fn is_bad_body(&self) -> bool {
        matches!(
            self,
            ProtoError::MalformedXml { .. }
                | ProtoError::XmlDtdRefused
                | ProtoError::XmlTooDeep(_)
                | ProtoError::MalformedJson { .. }
                | ProtoError::JsonNotObject
                | ProtoError::UnknownFormat
                | ProtoError::NotUtf8
                | ProtoError::MissingField(_)
                | ProtoError::InvalidField { .. }
        )
    }
}

/// The first [`RAW_EXCERPT_BYTES`] bytes of `input`, lossily decoded, cut at a character boundary.
pub fn excerpt(input: &[u8]) -> String {
    let cut = &input[..input.len().min(RAW_EXCERPT_BYTES)];
    let text = String::from_utf8_lossy(cut);
    text.trim_end_matches('\u{FFFD}').to_string()
}
