//! The encrypted envelopes: opening an inbound `Encrypt` (a safe-mode body carries only `ToUserName` and `Encrypt`,
//! a compatible-mode body the plain fields too) and sealing a passive reply as `Encrypt`, `MsgSignature`,
//! `TimeStamp` and `Nonce`.

use super::{AesKey, cipher, signature};
use crate::ProtoError;
use crate::tree::Fields;
use crate::write::{XmlOut, json_escape_into};

/// The credentials of one account needed to open and seal messages. `Debug` hides the token and key.
#[derive(Clone)]
pub struct MessageCrypto {
    token: String,
    key: Option<AesKey>,
    app_id: String,
}

impl std::fmt::Debug for MessageCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageCrypto")
            .field("token", &"<redacted>")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("app_id", &self.app_id)
            .finish()
    }
}

/// The `Encrypt` value of an inbound envelope with the query parameters that sign it.
#[derive(Debug, Clone, Copy)]
pub struct EncryptedEnvelope<'a> {
    /// Base64 ciphertext from the body.
    pub encrypt: &'a str,
    /// `timestamp` from the query.
    pub timestamp: &'a str,
    /// `nonce` from the query.
    pub nonce: &'a str,
    /// `msg_signature` from the query.
    pub msg_signature: &'a str,
}

/// An encrypted passive reply, ready to be written as XML or JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedReply {
    /// Base64 ciphertext.
    pub encrypt: String,
    /// `sha1(sort(token, timestamp, nonce, encrypt))`.
    pub msg_signature: String,
    /// Seconds.
    pub timestamp: String,
    /// The nonce signed over.
    pub nonce: String,
}

impl MessageCrypto {
    /// Credentials for an account; `encoding_aes_key` may be absent for a plain-mode account.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: Option<&str>,
        app_id: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        let key = encoding_aes_key.map(AesKey::from_encoding_aes_key).transpose()?;
        Ok(MessageCrypto { token: token.into(), key, app_id: app_id.into() })
    }

    /// The token signatures are computed with.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The appid expected in (and written to) encrypted frames.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// True when an AES key is configured (compatible / safe mode possible).
    pub fn can_encrypt(&self) -> bool {
        self.key.is_some()
    }

    /// Checks the URL `signature` of a verification GET or a push.
    pub fn verify_url(&self, timestamp: &str, nonce: &str, signature: &str) -> Result<(), ProtoError> {
        if signature::verify_url_signature(&self.token, timestamp, nonce, signature) {
            Ok(())
        } else {
            Err(ProtoError::SignatureMismatch)
        }
    }

    fn key(&self) -> Result<&AesKey, ProtoError> {
        self.key.as_ref().ok_or(ProtoError::IllegalAesKey(0))
    }

    /// Verifies `msg_signature`, decrypts, and checks the appid; returns the inner message bytes.
    pub fn open(&self, env: EncryptedEnvelope<'_>) -> Result<Vec<u8>, ProtoError> {
        if !signature::verify_msg_signature(&self.token, env.timestamp, env.nonce, env.encrypt, env.msg_signature) {
            return Err(ProtoError::SignatureMismatch);
        }
        let dec = cipher::decrypt(self.key()?, env.encrypt)?;
        if !self.app_id.is_empty() {
            dec.check_receive_id(&self.app_id)?;
        }
        Ok(dec.message)
    }

    /// Encrypts and signs a reply body with a fresh random prefix.
    pub fn seal(&self, message: &[u8], timestamp: &str, nonce: &str) -> Result<SealedReply, ProtoError> {
        self.seal_with_prefix(&cipher::random_prefix(), message, timestamp, nonce)
    }

    /// Encrypts and signs with a given random prefix (deterministic).
    pub fn seal_with_prefix(
        &self,
        random: &[u8; 16],
        message: &[u8],
        timestamp: &str,
        nonce: &str,
    ) -> Result<SealedReply, ProtoError> {
        let encrypt = cipher::encrypt_with_prefix(self.key()?, random, message, &self.app_id);
        let msg_signature = signature::msg_signature(&self.token, timestamp, nonce, &encrypt);
        Ok(SealedReply { encrypt, msg_signature, timestamp: timestamp.to_owned(), nonce: nonce.to_owned() })
    }

    /// Opens a sealed reply (what WeChat does with the developer's answer): checks the signature, decrypts and
    /// checks the appid.
    pub fn open_reply(&self, sealed: &SealedReply) -> Result<Vec<u8>, ProtoError> {
        self.open(EncryptedEnvelope {
            encrypt: &sealed.encrypt,
            timestamp: &sealed.timestamp,
            nonce: &sealed.nonce,
            msg_signature: &sealed.msg_signature,
        })
    }
}

impl SealedReply {
    /// The XML envelope in the field order of the official samples.
    pub fn to_xml(&self) -> String {
        let mut out = XmlOut::with_capacity(self.encrypt.len() + 200);
        out.open_root();
        out.cdata("Encrypt", &self.encrypt);
        out.cdata("MsgSignature", &self.msg_signature);
        out.bare("TimeStamp", &self.timestamp);
        out.cdata("Nonce", &self.nonce);
        out.close_root()
    }

    /// The JSON envelope (PascalCase keys, `TimeStamp` a number unless it is not a canonical integer, such as
    /// `"0123"`, which stays a string so that the signed text survives).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.encrypt.len() + 160);
        out.push_str("{\"Encrypt\":\"");
        json_escape_into(&mut out, &self.encrypt);
        out.push_str("\",\"MsgSignature\":\"");
        json_escape_into(&mut out, &self.msg_signature);
        out.push_str("\",\"TimeStamp\":");
        // A number only when it reads back as the same text: the signature covers the exact timestamp string.
        match self.timestamp.parse::<i64>() {
            Ok(n) if n.to_string() == self.timestamp => out.push_str(&self.timestamp),
            _ => {
                out.push('"');
                json_escape_into(&mut out, &self.timestamp);
                out.push('"');
            }
        }
        out.push_str(",\"Nonce\":\"");
        json_escape_into(&mut out, &self.nonce);
        out.push_str("\"}");
        out
    }

    /// Reads an envelope from decoded fields (either casing of the JSON keys).
    pub fn from_fields(fields: &Fields) -> Result<SealedReply, ProtoError> {
        let pick = |a: &'static str, b: &str| fields.text(a).or_else(|| fields.text(b)).map(str::to_owned);
        Ok(SealedReply {
            encrypt: pick("Encrypt", "encrypt").ok_or(ProtoError::MissingField("Encrypt"))?,
            msg_signature: pick("MsgSignature", "msgsignature").ok_or(ProtoError::MissingField("MsgSignature"))?,
            timestamp: pick("TimeStamp", "timestamp").ok_or(ProtoError::MissingField("TimeStamp"))?,
            nonce: pick("Nonce", "nonce").ok_or(ProtoError::MissingField("Nonce"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree;

    #[test]
    fn json_envelope_keeps_the_signed_timestamp_text() {
        // Regression: a timestamp such as "0123" was written as the number 123, so the signature (computed over
        // "0123") no longer matched once the envelope was read back.
        let account = MessageCrypto::new("t", Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"), "wx1").unwrap();
        for ts in ["0123", "+5", "1409735669", "-7", "soon"] {
            let sealed = account.seal(b"<xml/>", ts, "n").unwrap();
            let back = SealedReply::from_fields(&tree::from_json(sealed.to_json().as_bytes()).unwrap()).unwrap();
            assert_eq!(back, sealed, "{ts}");
            assert_eq!(account.open_reply(&back).unwrap(), b"<xml/>");
        }
        let sealed = account.seal(b"<xml/>", "1409735669", "n").unwrap();
        assert!(sealed.to_json().contains(r#""TimeStamp":1409735669,"#));
    }
}
