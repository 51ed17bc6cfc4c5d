//! Encrypted pushes (compatible and safe mode): the outer body, the `Encrypt` ciphertext and what it opens to.
//! The target signs the ciphertext it finds itself (as WeChat would), so the fuzzer gets past the
//! `msg_signature` check into the base64, AES-CBC, padding, length and appid checks and the inner decode; with
//! the first byte odd it keeps a wrong signature, which must be refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wxgate_proto::crypto::{AesKey, EncryptedEnvelope, MessageCrypto, decrypt, msg_signature};
use wxgate_proto::{Format, Inbound, tree};

/// The account of the platform's published sample (its token, EncodingAESKey and appid).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
    let account = MessageCrypto::new(TOKEN, Some(AES_KEY), APPID).expect("the sample account");
    // The frame alone, on any text.
    let key = AesKey::from_encoding_aes_key(AES_KEY).expect("the sample key");
    let _ = decrypt(&key, &String::from_utf8_lossy(body));
    // The whole envelope.
    let Ok(format) = Format::sniff(body) else { return };
    let Ok(outer) = tree::decode(body, format) else { return };
    let Some(encrypt) = outer.text("Encrypt") else { return };
    let right = msg_signature(TOKEN, TIMESTAMP, NONCE, encrypt);
    let forged = mode & 1 == 1;
    let signature = if forged { "0000000000000000000000000000000000000000" } else { right.as_str() };
    let opened =
        account.open(EncryptedEnvelope { encrypt, timestamp: TIMESTAMP, nonce: NONCE, msg_signature: signature });
    if forged {
        assert!(opened.is_err(), "a wrong msg_signature was accepted");
        return;
    }
    let Ok(inner) = opened else { return };
    if let Ok(inner_format) = Format::sniff(&inner) {
        let _ = Inbound::decode(&inner, inner_format);
    }
    // What opens seals back and opens to the same bytes.
    let sealed = account.seal(&inner, TIMESTAMP, NONCE).expect("seal");
    assert_eq!(account.open_reply(&sealed).expect("open what was sealed"), inner);
});
