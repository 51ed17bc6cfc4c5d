//! Load benchmark tools: pre-signed WeChat pushes and latency statistics.
//!
//! The load generator builds every request before the clock starts (distinct `MsgId`s, fresh signatures, and in
//! safe mode a distinct ciphertext each), so what is measured is the server, not the client's crypto.

use std::time::{SystemTime, UNIX_EPOCH};

use wxgate_proto::Fields;
use wxgate_proto::crypto::{MessageCrypto, url_signature};
use wxgate_proto::write::fields_to_xml;

/// One ready-to-send push: path with query, and body.
#[derive(Debug, Clone)]
pub struct PreparedPush {
    /// `/wx?signature=…`.
    pub path_and_query: String,
    /// The XML body.
    pub body: bytes::Bytes,
}

/// Credentials the pushes are signed with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Server path.
    pub path: String,
    /// Token.
    pub token: String,
    /// EncodingAESKey (for safe mode).
    pub aes_key: String,
    /// AppID.
    pub appid: String,
    /// Original id.
    pub original_id: String,
}

/// Builds `n` distinct text pushes; `safe` encrypts each (safe mode), otherwise plaintext.
pub fn prepare(creds: &Credentials, n: usize, safe: bool) -> Vec<PreparedPush> {
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs().to_string();
    let crypto = MessageCrypto::new(&creds.token, safe.then_some(creds.aes_key.as_str()), &creds.appid)
        .expect("valid EncodingAESKey");
    (0..n)
        .map(|i| {
            let nonce = format!("{}", 100_000_000 + i);
            let fields = Fields::new()
                .with_text("ToUserName", &creds.original_id)
                .with_text("FromUserName", format!("oBenchUser{:018}", i % 1000))
                .with_text("CreateTime", &ts)
                .with_text("MsgType", "text")
                .with_text("Content", format!("hello wxgate {i}"))
                .with_text("MsgId", (24_301_234_567_890_123u64 + i as u64).to_string());
            let xml = fields_to_xml(&fields);
            let sig = url_signature(&creds.token, &ts, &nonce);
            let mut q = format!("{}?signature={sig}&timestamp={ts}&nonce={nonce}&openid=oBenchUser", creds.path);
            let body = if safe {
                let sealed = crypto.seal(xml.as_bytes(), &ts, &nonce).expect("key present");
                q.push_str(&format!("&encrypt_type=aes&msg_signature={}", sealed.msg_signature));
                format!(
                    "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>",
                    creds.original_id, sealed.encrypt
                )
            } else {
                xml
            };
            PreparedPush { path_and_query: q, body: body.into() }
        })
        .collect()
}

/// Latency percentiles in microseconds from unsorted samples.
pub fn percentile(sorted_us: &[u32], p: f64) -> u32 {
    if sorted_us.is_empty() {
        return 0;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[idx.min(sorted_us.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_safe_pushes_open() {
        let creds = Credentials {
            path: "/wx".into(),
            token: "t".into(),
            aes_key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
            appid: "wx1".into(),
            original_id: "gh_1".into(),
        };
        let pushes = prepare(&creds, 3, true);
        assert_eq!(pushes.len(), 3);
        assert_ne!(pushes[0].body, pushes[1].body);
        assert!(pushes[0].path_and_query.contains("encrypt_type=aes"));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.99), 4);
    }
}
