//! The EncodingAESKey and the AES key it encodes, with its key schedule expanded once.

use aes::cipher::KeyInit;
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::ProtoError;

/// Base64 engine for the key: real keys leave non-zero trailing bits in their 43rd character, which the strict
/// `STANDARD` engine rejects (the key is the 43 characters plus `=`, decoded to 32 bytes).
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The 32-byte AES key decoded from a 43-character EncodingAESKey. Its `Debug` output never shows the key.
///
/// It keeps the expanded round keys beside the key: every encrypted push and every encrypted reply would
/// otherwise expand them again (both directions' schedules each time, since CBC's cipher holds both).
#[derive(Clone)]
pub struct AesKey {
    bytes: [u8; 32],
    cipher: aes::Aes256,
}

impl PartialEq for AesKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for AesKey {}

impl AesKey {
    /// Decodes an EncodingAESKey: exactly 43 characters of `[A-Za-z0-9]`, base64 of 32 bytes.
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Result<AesKey, ProtoError> {
        let n = encoding_aes_key.chars().count();
        if n != 43 || !encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ProtoError::IllegalAesKey(n));
        }
        let bytes = KEY_ENGINE.decode(format!("{encoding_aes_key}=")).map_err(|_| ProtoError::IllegalAesKey(n))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| ProtoError::IllegalAesKey(n))?;
        Ok(AesKey::from_bytes(key))
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> AesKey {
        AesKey { cipher: aes::Aes256::new(&bytes.into()), bytes }
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The CBC initialisation vector: the first 16 bytes of the key.
    pub fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.bytes[..16]);
        iv
    }

    /// The block cipher with its round keys already expanded.
    pub(crate) fn cipher(&self) -> &aes::Aes256 {
        &self.cipher
    }
}

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_with_trailing_bits() {
        let k = AesKey::from_encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap();
        assert_eq!(hex::encode(k.as_bytes()), "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051");
        assert!(AesKey::from_encoding_aes_key("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR").is_ok());
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(AesKey::from_encoding_aes_key("short"), Err(ProtoError::IllegalAesKey(5)));
        let with_plus = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF+";
        assert!(AesKey::from_encoding_aes_key(with_plus).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let k = AesKey::from_bytes([7; 32]);
        assert_eq!(format!("{k:?}"), "AesKey(<redacted>)");
    }
}
