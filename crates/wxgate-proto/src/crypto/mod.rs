//! Message crypto: signatures, the AES frame, and the encrypted envelopes.
//!
//! The algorithms are those of Tencent's `WXBizMsgCrypt`, the sample code of WeChat's message encryption guide
//! (消息加解密说明) and server URL verification (接入验证): SHA-1 over the sorted parts for both
//! signatures, AES-256-CBC with IV = key\[..16\], a 16-byte random prefix, a big-endian length, the appid trailer and
//! PKCS#7 padding to 32-byte blocks. Every comparison of a secret-derived value is constant-time.

mod cipher;
mod envelope;
mod key;
mod signature;

pub use cipher::{Decrypted, decrypt, encrypt, encrypt_with_prefix, random_prefix};
pub use envelope::{EncryptedEnvelope, MessageCrypto, SealedReply};
pub use key::AesKey;
pub use signature::{msg_signature, url_signature, verify_msg_signature, verify_url_signature};
