//! Telling XML from JSON.
//!
//! WeChat has been seen sending JSON with `Content-Type: text/xml`, so the format is sniffed from the first
//! non-whitespace byte of the body and the header is never trusted.

use crate::ProtoError;

/// The wire format of a push body or a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `<xml>…</xml>`: the classic callback and Cloud Hosting XML mode.
    Xml,
    /// A flat JSON object: Cloud Hosting JSON mode and Mini Program JSON mode.
    Json,
}

impl Format {
    /// Sniffs the format from the first non-whitespace byte (`<` or `{`), skipping a UTF-8 BOM.
    pub fn sniff(body: &[u8]) -> Result<Format, ProtoError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => Ok(Format::Xml),
            Some(b'{') => Ok(Format::Json),
            _ => Err(ProtoError::UnknownFormat),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_first_byte() {
        assert_eq!(Format::sniff(b"  <xml/>").unwrap(), Format::Xml);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF{\"a\":1}").unwrap(), Format::Json);
        assert_eq!(Format::sniff(b"\n\t{}").unwrap(), Format::Json);
        assert!(Format::sniff(b"hello").is_err());
        assert!(Format::sniff(b"").is_err());
    }
}
