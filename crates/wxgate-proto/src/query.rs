//! The query string of a classic push or URL verification — the part WeChat signs — parsed straight from the
//! URI without a serde detour and borrowed from it (this is on the hot path of every push): a value is copied
//! only when it is percent-encoded.

use std::borrow::Cow;

/// Query of a URL verification GET or a push POST; every field optional so a missing one gets a clear 401.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignedQuery<'a> {
    /// `signature`: sha1 of token, timestamp, nonce.
    pub signature: Option<Cow<'a, str>>,
    /// `timestamp`, seconds.
    pub timestamp: Option<Cow<'a, str>>,
    /// `nonce`.
    pub nonce: Option<Cow<'a, str>>,
    /// `echostr`, on verification only.
    pub echostr: Option<Cow<'a, str>>,
    /// `openid` of the sender, on user pushes.
    pub openid: Option<Cow<'a, str>>,
    /// `encrypt_type=aes` in compatible and safe modes.
    pub encrypt_type: Option<Cow<'a, str>>,
    /// `msg_signature`, with `encrypt_type=aes`.
    pub msg_signature: Option<Cow<'a, str>>,
}

impl<'a> SignedQuery<'a> {
    /// Parses an `application/x-www-form-urlencoded` query; unknown parameters are ignored, the first of a
    /// repeated one wins.
    pub fn parse(query: Option<&'a str>) -> SignedQuery<'a> {
        let mut q = SignedQuery::default();
        let Some(query) = query else { return q };
        // Split on the bytes with `memchr`: `&` and `=` are ASCII, so every cut falls on a character boundary, and
        // its vector search is several times quicker than `str::split`'s searcher (this runs on every push).
        let mut rest = query;
        while !rest.is_empty() {
            let end = memchr::memchr(b'&', rest.as_bytes()).unwrap_or(rest.len());
            let pair = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            let (k, v) = match memchr::memchr(b'=', pair.as_bytes()) {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, ""),
            };
            let slot = match k {
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
                *slot = Some(decode(v));
            }
        }
        q
    }

    /// True when the body is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypt_type.as_deref() == Some("aes")
    }
}

/// A form-urlencoded value: borrowed as it is unless it holds `%` escapes or `+` (a space).
fn decode(v: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'%', b'+', v.as_bytes()).is_none() {
        return Cow::Borrowed(v);
    }
    form_urlencoded::parse(format!("v={v}").as_bytes())
        .next()
        .map(|(_, value)| Cow::Owned(value.into_owned()))
        .unwrap_or(Cow::Borrowed(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let q = SignedQuery::parse(Some(
            "signature=ab&timestamp=1&nonce=2&echostr=a%2Bb%3D&x=1&encrypt_type=aes&openid=o+1&nonce=3&msg_signature",
        ));
        assert_eq!(q.signature.as_deref(), Some("ab"));
        assert!(matches!(q.signature, Some(Cow::Borrowed(_))), "plain values are borrowed");
        assert_eq!(q.echostr.as_deref(), Some("a+b="));
        assert_eq!(q.openid.as_deref(), Some("o 1"), "+ is a space");
        assert_eq!(q.nonce.as_deref(), Some("2"), "the first of a repeated parameter wins");
        assert_eq!(q.msg_signature.as_deref(), Some(""), "a parameter without '=' is empty");
        assert!(q.is_encrypted());
        assert_eq!(SignedQuery::parse(None), SignedQuery::default());
    }
}
