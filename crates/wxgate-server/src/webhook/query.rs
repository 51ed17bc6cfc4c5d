//! The query string WeChat signs (PROTOCOL §1.1, §2.1), parsed straight from the URI without a serde detour
//! (this is on the hot path of every push).

/// Query of a URL verification GET or a push POST; every field optional so a missing one gets a clear 401.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
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
    /// Parses an `application/x-www-form-urlencoded` query; unknown parameters are ignored, the first of a
    /// repeated one wins.
    pub fn parse(query: Option<&str>) -> SignedQuery {
        let mut q = SignedQuery::default();
        let Some(query) = query else { return q };
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "signature" => &mut q.signature,
                "timestamp" => &mut q.timestamp,
                "nonce" => &mut q.nonce,
                "echostr" => &mut q.echostr,
                "openid" => &mut q.openid,
                "encrypt_type" => &mut q.encrypt_type,
                "msg_signature" => &mut q.msg_signature,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        q
    }

    /// True when the body is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypt_type.as_deref() == Some("aes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let q = SignedQuery::parse(Some("signature=ab&timestamp=1&nonce=2&echostr=a%2Bb%3D&x=1&encrypt_type=aes"));
        assert_eq!(q.signature.as_deref(), Some("ab"));
        assert_eq!(q.echostr.as_deref(), Some("a+b="));
        assert!(q.is_encrypted());
        assert_eq!(SignedQuery::parse(None), SignedQuery::default());
    }
}
