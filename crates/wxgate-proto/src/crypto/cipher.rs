//! The AES-256-CBC frame of WeChat's message encryption (消息加解密说明).
//!
//! `random(16) ‖ be32(len) ‖ msg ‖ receiveid`, padded PKCS#7-style to a multiple of 32 bytes, encrypted with
//! IV = key\[..16\], base64 (standard, padded).

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use subtle::ConstantTimeEq;

use super::AesKey;
use crate::ProtoError;

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

/// The padding block size WeChat uses (not the AES block size).
const PAD_BLOCK: usize = 32;

/// A decrypted frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The 16-byte random prefix.
    pub random: [u8; 16],
    /// The message (XML or JSON, UTF-8).
    pub message: Vec<u8>,
    /// The trailer: appid (Official Account / Mini Program) or CorpID.
    pub receive_id: String,
}

/// Sixteen random alphanumeric bytes, as WeChat's own samples use.
pub fn random_prefix() -> [u8; 16] {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut out = [0u8; 16];
    for b in &mut out {
        *b = ALNUM[rng.random_range(0..ALNUM.len())];
    }
    out
}

/// Encrypts `message` for `receive_id` with a fresh random prefix; returns the base64 `Encrypt` value.
pub fn encrypt(key: &AesKey, message: &[u8], receive_id: &str) -> String {
    encrypt_with_prefix(key, &random_prefix(), message, receive_id)
}

/// Encrypts with a given random prefix (deterministic; used by the test vectors).
pub fn encrypt_with_prefix(key: &AesKey, random: &[u8; 16], message: &[u8], receive_id: &str) -> String {
    let frame_len = 16 + 4 + message.len() + receive_id.len();
    let pad = PAD_BLOCK - frame_len % PAD_BLOCK;
    let mut buf = Vec::with_capacity(frame_len + pad);
    buf.extend_from_slice(random);
    buf.extend_from_slice(&(message.len() as u32).to_be_bytes());
    buf.extend_from_slice(message);
    buf.extend_from_slice(receive_id.as_bytes());
    buf.resize(frame_len + pad, pad as u8);
    let len = buf.len();
    Enc::inner_iv_init(key.cipher().clone(), &key.iv().into())
        .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        .expect("buffer is a multiple of the block size");
    STANDARD.encode(&buf)
}

/// Decrypts an `Encrypt` value. Padding is checked strictly (1..=32, all pad bytes equal): WeChat always pads
/// correctly, and a strict check turns a wrong key into a clear error instead of garbage.
pub fn decrypt(key: &AesKey, encrypt_b64: &str) -> Result<Decrypted, ProtoError> {
    let mut buf = STANDARD.decode(encrypt_b64.trim()).map_err(|_| ProtoError::Base64)?;
    if buf.is_empty() || buf.len() % 16 != 0 {
        return Err(ProtoError::CipherLength(buf.len()));
    }
    let plain = Dec::inner_iv_init(key.cipher().clone(), &key.iv().into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| ProtoError::CipherLength(0))?;
    let pad = *plain.last().ok_or(ProtoError::IllegalBuffer("empty"))? as usize;
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(ProtoError::IllegalBuffer("bad padding length"));
    }
    let body_len = plain.len() - pad;
    if plain[body_len..].iter().any(|&b| b as usize != pad) {
        return Err(ProtoError::IllegalBuffer("inconsistent padding bytes"));
    }
    let body = &plain[..body_len];
    if body.len() < 20 {
        return Err(ProtoError::IllegalBuffer("frame shorter than its header"));
    }
    let msg_len = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    if 20 + msg_len > body.len() {
        return Err(ProtoError::IllegalBuffer("length prefix past the end"));
    }
    let mut random = [0u8; 16];
    random.copy_from_slice(&body[..16]);
    let receive_id = std::str::from_utf8(&body[20 + msg_len..])
        .map_err(|_| ProtoError::IllegalBuffer("receive id is not UTF-8"))?
        .to_owned();
    Ok(Decrypted { random, message: body[20..20 + msg_len].to_vec(), receive_id })
}

impl Decrypted {
    /// Checks the trailer against the configured appid in constant time.
    pub fn check_receive_id(&self, expected: &str) -> Result<(), ProtoError> {
        if bool::from(self.receive_id.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err(ProtoError::AppIdMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AesKey {
        AesKey::from_encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap()
    }

    #[test]
    fn round_trip() {
        let enc = encrypt(&key(), "你好 hello".as_bytes(), "wx2c2769f8efd9abc2");
        let dec = decrypt(&key(), &enc).unwrap();
        assert_eq!(dec.message, "你好 hello".as_bytes());
        dec.check_receive_id("wx2c2769f8efd9abc2").unwrap();
        assert_eq!(dec.check_receive_id("wx0000000000000000"), Err(ProtoError::AppIdMismatch));
    }

    #[test]
    fn full_pad_block_when_frame_is_aligned() {
        // 16 + 4 + 26 + 18 = 64 → a whole block of 0x20 is appended (an aligned frame is still padded).
        let msg = [b'a'; 26];
        let enc = encrypt_with_prefix(&key(), b"0123456789abcdef", &msg, "wx2c2769f8efd9abc2");
        assert_eq!(STANDARD.decode(&enc).unwrap().len(), 96);
        assert_eq!(decrypt(&key(), &enc).unwrap().message, msg);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(decrypt(&key(), "not base64!"), Err(ProtoError::Base64));
        assert!(matches!(decrypt(&key(), "AAAA"), Err(ProtoError::CipherLength(3))));
        let other = AesKey::from_bytes([1; 32]);
        let enc = encrypt_with_prefix(&other, b"0123456789abcdef", b"<xml/>", "wx1");
        assert!(decrypt(&key(), &enc).is_err());
    }
}
