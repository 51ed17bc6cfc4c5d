//! Load benchmark tools: pre-signed WeChat pushes and latency statistics.
//!
//! Every request is a distinct push (its own `MsgId`, signature and, in safe mode, ciphertext), built by the load
//! generator as it goes. The baseline runs build the same pushes, so the client's share of the machine is the same
//! in every run and the ratios compare the servers alone.

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

/// Makes distinct pushes on demand: the `i`-th push has its own `MsgId` (the gateway deduplicates retries by it,
/// so a repeated one would be answered from cache) and, in safe mode, its own ciphertext.
#[derive(Debug)]
pub struct PushFactory {
    creds: Credentials,
    crypto: MessageCrypto,
    safe: bool,
    timestamp: String,
    run: u64,
}

impl PushFactory {
    /// A factory for one run; `safe` encrypts every push. `run` keeps MsgIds of different runs apart.
    pub fn new(creds: Credentials, safe: bool, run: u64) -> Self {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs().to_string();
        let crypto = MessageCrypto::new(&creds.token, safe.then_some(creds.aes_key.as_str()), &creds.appid)
            .expect("valid EncodingAESKey");
        PushFactory { creds, crypto, safe, timestamp, run }
    }

    /// The `i`-th push.
    pub fn push(&self, i: u64) -> PreparedPush {
        let creds = &self.creds;
        let ts = &self.timestamp;
        let nonce = format!("{}", 100_000_000 + i % 900_000_000);
        let fields = Fields::new()
            .with_text("ToUserName", &creds.original_id)
            .with_text("FromUserName", format!("oBenchUser{:018}", i % 1000))
            .with_text("CreateTime", ts)
            .with_text("MsgType", "text")
            .with_text("Content", format!("hello wxgate {i}"))
            .with_text("MsgId", (self.run << 40 | i).to_string());
        let xml = fields_to_xml(&fields);
        let sig = url_signature(&creds.token, ts, &nonce);
        let mut q = format!("{}?signature={sig}&timestamp={ts}&nonce={nonce}&openid=oBenchUser", creds.path);
        let body = if self.safe {
            let sealed = self.crypto.seal(xml.as_bytes(), ts, &nonce).expect("key present");
            q.push_str(&format!("&encrypt_type=aes&msg_signature={}", sealed.msg_signature));
            format!(
                "<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>",
                creds.original_id, sealed.encrypt
            )
        } else {
            xml
        };
        PreparedPush { path_and_query: q, body: body.into() }
    }
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
    fn pushes_are_distinct() {
        let creds = Credentials {
            path: "/wx".into(),
            token: "t".into(),
            aes_key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
            appid: "wx1".into(),
            original_id: "gh_1".into(),
        };
        let f = PushFactory::new(creds, true, 1);
        let (a, b) = (f.push(0), f.push(1));
        assert_ne!(a.body, b.body);
        assert!(a.path_and_query.contains("encrypt_type=aes"));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.99), 4);
    }
}
