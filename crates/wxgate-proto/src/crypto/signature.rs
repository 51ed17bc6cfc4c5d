//! The URL `signature` over token, timestamp and nonce (server URL verification, 接入验证, and every push) and the
//! `msg_signature` of encrypted messages, which adds the `Encrypt` value (消息加解密说明).
//!
//! Both are the lowercase hex SHA-1 of the byte-wise sorted parts concatenated without a separator.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// SHA-1 hex of the sorted, concatenated parts.
fn sorted_sha1(parts: &mut [&str]) -> String {
    let hex = sorted_sha1_hex(parts);
    String::from_utf8(hex.to_vec()).expect("hex is ASCII")
}

/// The same as lowercase hex bytes, without allocating.
fn sorted_sha1_hex(parts: &mut [&str]) -> [u8; 40] {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for p in parts.iter() {
        hasher.update(p.as_bytes());
    }
    let mut out = [0u8; 40];
    hex::encode_to_slice(hasher.finalize(), &mut out).expect("40 hex digits for 20 bytes");
    out
}

/// `signature = sha1(sort(token, timestamp, nonce))`, sent on URL verification and on every push.
pub fn url_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce])
}

/// `msg_signature = sha1(sort(token, timestamp, nonce, encrypt))`, for encrypted bodies and replies.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce, encrypt])
}

/// Constant-time check of a received URL `signature` (case-insensitive hex).
pub fn verify_url_signature(token: &str, timestamp: &str, nonce: &str, received: &str) -> bool {
    ct_eq_hex(&sorted_sha1_hex(&mut [token, timestamp, nonce]), received)
}

/// Constant-time check of a received `msg_signature` (case-insensitive hex).
pub fn verify_msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str, received: &str) -> bool {
    ct_eq_hex(&sorted_sha1_hex(&mut [token, timestamp, nonce, encrypt]), received)
}

/// Constant-time comparison of the expected lowercase hex with a received value of either case.
fn ct_eq_hex(expected: &[u8; 40], received: &str) -> bool {
    let Ok(received) = <&[u8; 40]>::try_from(received.as_bytes()) else { return false };
    let lowered = received.map(|b| b.to_ascii_lowercase());
    expected.ct_eq(&lowered).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_example() {
        assert_eq!(url_signature("AAAAA", "1714036504", "1514711492"), "f464b24fc39322e44b38aa78f5edd27bd1441696");
        assert!(verify_url_signature("AAAAA", "1714036504", "1514711492", "F464B24FC39322E44B38AA78F5EDD27BD1441696"));
        assert!(!verify_url_signature("AAAAA", "1714036504", "1514711493", "f464b24fc39322e44b38aa78f5edd27bd1441696"));
        assert!(!verify_url_signature("AAAAA", "1714036504", "1514711492", ""));
    }
}
