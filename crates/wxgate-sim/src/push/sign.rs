//! Building one push request as the platform sends it: the query with `signature`, `timestamp`, `nonce`, `openid`
//! (and `encrypt_type`, `msg_signature` when encrypting), the body by mode, and for Cloud Hosting the `X-WX-*`
//! headers instead of any signature. Pure: the caller supplies time, nonce and the
//! random prefix, so tests can check it against the published vectors.

use wxgate_proto::crypto::{MessageCrypto, url_signature};
use wxgate_proto::write::{fields_to_json, fields_to_xml};
use wxgate_proto::{Fields, ProtoError};

use crate::account::{Account, DataFormat, Delivery, Mode};

/// `X-WX-SOURCE` value sent on Cloud Hosting pushes (the real values are undocumented).
pub const X_WX_SOURCE: &str = "wx_message_push";

/// One HTTP request of a push attempt (method POST; URL = delivery URL + query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    /// Query parameters in order.
    pub query: Vec<(&'static str, String)>,
    /// Extra headers (Cloud Hosting).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

/// The variable inputs of one signed attempt.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// `timestamp` (seconds).
    pub timestamp: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// The 16-byte random prefix of the encrypted frame.
    pub prefix: &'a [u8; 16],
}

/// A random decimal nonce of 9–10 digits.
pub fn random_nonce() -> String {
    (100_000_000 + rand::random::<u64>() % 9_900_000_000).to_string()
}

/// A random 16-char alphanumeric frame prefix, as the official samples use.
pub fn random_prefix() -> [u8; 16] {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::array::from_fn(|_| CHARS[rand::random_range(0..CHARS.len())])
}

pub(crate) fn encode(fields: &Fields, format: DataFormat) -> String {
    match format {
        DataFormat::Xml => fields_to_xml(fields),
        DataFormat::Json => fields_to_json(fields),
    }
}

/// Builds the request for `fields` (the plaintext push) of `account` to user `openid`.
pub fn build(account: &Account, fields: &Fields, openid: &str, stamp: Stamp<'_>) -> Result<PushRequest, ProtoError> {
    let plain = encode(fields, account.format);
    if let Some(Delivery::CloudHosting { env, owner_appid, .. }) = &account.delivery {
        let mut headers = vec![("x-wx-source", X_WX_SOURCE.to_owned()), ("x-wx-env", env.clone())];
        match owner_appid {
            Some(owner) => headers.extend([
                ("x-wx-appid", owner.clone()),
                ("x-wx-from-appid", account.appid.clone()),
                ("x-wx-from-openid", openid.to_owned()),
            ]),
            None => headers.extend([("x-wx-appid", account.appid.clone()), ("x-wx-openid", openid.to_owned())]),
        }
        return Ok(PushRequest { query: Vec::new(), headers, body: plain });
    }
    let mut query = vec![
        ("signature", url_signature(&account.token, stamp.timestamp, stamp.nonce)),
        ("timestamp", stamp.timestamp.to_owned()),
        ("nonce", stamp.nonce.to_owned()),
        ("openid", openid.to_owned()),
    ];
    if account.mode == Mode::Plain {
        return Ok(PushRequest { query, headers: Vec::new(), body: plain });
    }
    let crypto = MessageCrypto::new(&account.token, account.encoding_aes_key.as_deref(), &account.appid)?;
    let sealed = crypto.seal_with_prefix(stamp.prefix, plain.as_bytes(), stamp.timestamp, stamp.nonce)?;
    query.push(("encrypt_type", "aes".to_owned()));
    query.push(("msg_signature", sealed.msg_signature));
    let envelope = match account.mode {
        Mode::Safe => {
            let to = fields.text("ToUserName").unwrap_or_default();
            Fields::new().with_text("ToUserName", to).with_text("Encrypt", sealed.encrypt)
        }
        _ => fields.clone().with_text("Encrypt", sealed.encrypt),
    };
    Ok(PushRequest { query, headers: Vec::new(), body: encode(&envelope, account.format) })
}

/// The query of a URL verification GET (接入验证): `signature`, `timestamp`, `nonce`, `echostr`.
pub fn verify_query(token: &str, timestamp: &str, nonce: &str, echostr: &str) -> Vec<(&'static str, String)> {
    vec![
        ("signature", url_signature(token, timestamp, nonce)),
        ("timestamp", timestamp.to_owned()),
        ("nonce", nonce.to_owned()),
        ("echostr", echostr.to_owned()),
    ]
}
