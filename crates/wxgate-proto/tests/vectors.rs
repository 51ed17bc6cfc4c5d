//! Known-answer tests: every vector of `tests/vectors/test_vectors.json` by its `kind`, plus the vectors that are
//! written out here in full (A as a full compatible-mode body, D2, E, F as a sealed reply XML).
//!
//! The simulator reuses this crate's crypto, so a symmetric bug would pass every round trip; these answers come
//! from Tencent's samples and other SDKs. The pad length is checked by decrypting with the raw AES-CBC cipher.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;
use wxgate_proto::crypto::{
    self, AesKey, EncryptedEnvelope, MessageCrypto, SealedReply, msg_signature, url_signature, verify_msg_signature,
    verify_url_signature,
};
use wxgate_proto::tree;
use wxgate_proto::{Format, Inbound, InboundKind, ProtoError, Reply, ReplyBody};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/test_vectors.json");

fn vectors() -> Vec<Json> {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| panic!("{VECTORS}: {e}"));
    let doc: Json = serde_json::from_str(&text).expect("test_vectors.json is JSON");
    doc["vectors"].as_array().expect("a `vectors` array").clone()
}

fn field<'a>(v: &'a Json, name: &str) -> &'a str {
    v[name].as_str().unwrap_or_else(|| panic!("vector lacks string field {name}: {v}"))
}

fn opt<'a>(v: &'a Json, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Json::as_str)
}

fn prefix(text: &str) -> [u8; 16] {
    text.as_bytes().try_into().expect("a 16-byte ASCII random prefix")
}

/// Decrypts without the crate's own unpadding and returns (frame without padding, pad length).
fn raw_decrypt(key: &AesKey, encrypt: &str) -> (Vec<u8>, usize) {
    let mut buf = STANDARD.decode(encrypt).unwrap();
    assert_eq!(buf.len() % 32, 0, "ciphertext is a multiple of 32 bytes");
    let plain = cbc::Decryptor::<aes::Aes256>::new(key.as_bytes().into(), &key.iv().into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .unwrap()
        .to_vec();
    let pad = *plain.last().unwrap() as usize;
    assert!((1..=32).contains(&pad), "pad {pad}");
    assert!(plain[plain.len() - pad..].iter().all(|&b| b as usize == pad), "pad bytes all equal {pad}");
    (plain[..plain.len() - pad].to_vec(), pad)
}

fn check_url_signature(v: &Json) {
    let (token, ts, nonce, sig) = (field(v, "token"), field(v, "timestamp"), field(v, "nonce"), field(v, "signature"));
    assert_eq!(url_signature(token, ts, nonce), sig);
    assert!(verify_url_signature(token, ts, nonce, sig));
    let account = MessageCrypto::new(token, None, "").unwrap();
    account.verify_url(ts, nonce, sig).unwrap();
    assert_eq!(account.verify_url(ts, &format!("{nonce}0"), sig), Err(ProtoError::SignatureMismatch));
}

fn check_decrypt(v: &Json) {
    let key = AesKey::from_encoding_aes_key(field(v, "encoding_aes_key")).unwrap();
    if let Some(hex_key) = opt(v, "aes_key_hex") {
        assert_eq!(hex::encode(key.as_bytes()), hex_key);
    }
    let (token, ts, nonce, encrypt) =
        (field(v, "token"), field(v, "timestamp"), field(v, "nonce"), field(v, "encrypt"));
    let (sig, plaintext, receiveid) = (field(v, "msg_signature"), field(v, "plaintext"), field(v, "receiveid"));
    assert_eq!(msg_signature(token, ts, nonce, encrypt), sig);
    assert!(verify_msg_signature(token, ts, nonce, encrypt, sig));

    let dec = crypto::decrypt(&key, encrypt).unwrap();
    assert_eq!(dec.message, plaintext.as_bytes());
    assert_eq!(dec.random, prefix(field(v, "random_prefix")));
    assert_eq!(dec.receive_id, receiveid);
    dec.check_receive_id(receiveid).unwrap();

    let (frame, pad) = raw_decrypt(&key, encrypt);
    assert_eq!(pad as u64, v["pad"].as_u64().expect("pad"));
    assert_eq!(frame.len(), 16 + 4 + plaintext.len() + receiveid.len());
    assert_eq!(&frame[16..20], &(plaintext.len() as u32).to_be_bytes());

    let account = MessageCrypto::new(token, Some(field(v, "encoding_aes_key")), receiveid).unwrap();
    let env = EncryptedEnvelope { encrypt, timestamp: ts, nonce, msg_signature: sig };
    assert_eq!(account.open(env).unwrap(), plaintext.as_bytes());
    // Re-encrypting with the same prefix gives the same bytes.
    assert_eq!(crypto::encrypt_with_prefix(&key, &dec.random, plaintext.as_bytes(), receiveid), encrypt);
}

fn check_encrypt(v: &Json) {
    let key = AesKey::from_encoding_aes_key(field(v, "encoding_aes_key")).unwrap();
    let (random, plaintext, receiveid) =
        (prefix(field(v, "random_prefix")), field(v, "plaintext"), field(v, "receiveid"));
    let encrypt = crypto::encrypt_with_prefix(&key, &random, plaintext.as_bytes(), receiveid);
    assert_eq!(encrypt, field(v, "encrypt"));
    assert_eq!(crypto::decrypt(&key, &encrypt).unwrap().message, plaintext.as_bytes());
    if let Some(sig) = opt(v, "msg_signature") {
        let (token, ts, nonce) = (field(v, "token"), field(v, "timestamp"), field(v, "nonce"));
        assert_eq!(msg_signature(token, ts, nonce, &encrypt), sig);
        let account = MessageCrypto::new(token, Some(field(v, "encoding_aes_key")), receiveid).unwrap();
        let sealed = account.seal_with_prefix(&random, plaintext.as_bytes(), ts, nonce).unwrap();
        assert_eq!(
            sealed,
            SealedReply { encrypt, msg_signature: sig.into(), timestamp: ts.into(), nonce: nonce.into() }
        );
        assert_eq!(account.open_reply(&sealed).unwrap(), plaintext.as_bytes());
    }
}

fn check_wecom_url_verify(v: &Json) {
    let (token, ts, nonce) = (field(v, "token"), field(v, "timestamp"), field(v, "nonce"));
    let (echostr, sig, corp_id) = (field(v, "echostr"), field(v, "msg_signature"), field(v, "receiveid"));
    assert_eq!(msg_signature(token, ts, nonce, echostr), sig);
    let account = MessageCrypto::new(token, Some(field(v, "encoding_aes_key")), corp_id).unwrap();
    let env = EncryptedEnvelope { encrypt: echostr, timestamp: ts, nonce, msg_signature: sig };
    assert_eq!(account.open(env).unwrap(), field(v, "plaintext").as_bytes());
    let key = AesKey::from_encoding_aes_key(field(v, "encoding_aes_key")).unwrap();
    assert_eq!(crypto::decrypt(&key, echostr).unwrap().receive_id, corp_id);
    // The URL signature (without echostr) is not what WeCom signs.
    assert!(!verify_url_signature(token, ts, nonce, sig));
}

#[test]
fn every_vector_in_the_vectors_file() {
    let all = vectors();
    let mut counts = std::collections::BTreeMap::new();
    for v in &all {
        let kind = field(v, "kind");
        match kind {
            "url_signature" => check_url_signature(v),
            "decrypt" => check_decrypt(v),
            "encrypt_deterministic" => check_encrypt(v),
            "wecom_url_verify" => check_wecom_url_verify(v),
            other => panic!("test_vectors.json has a vector of kind {other:?} this test does not check: {v}"),
        }
        *counts.entry(kind).or_insert(0usize) += 1;
    }
    let checked: usize = counts.values().sum();
    assert_eq!(checked, all.len());
    assert_eq!(checked, 9, "vectors checked by kind: {counts:?}");
    assert_eq!(counts["url_signature"], 3);
    assert_eq!(counts["decrypt"], 2);
    assert_eq!(counts["encrypt_deterministic"], 3);
    assert_eq!(counts["wecom_url_verify"], 1);
}

const A_TOKEN: &str = "spamtest";
const A_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const A_APPID: &str = "wx2c2769f8efd9abc2";
const A_TIMESTAMP: &str = "1409735669";
const A_NONCE: &str = "1320562132";
const A_ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

#[test]
fn vector_a_compatible_mode_body() {
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{A_ENCRYPT}]]></Encrypt></xml>"
    );
    let account = MessageCrypto::new(A_TOKEN, Some(A_KEY), A_APPID).unwrap();
    account.verify_url(A_TIMESTAMP, A_NONCE, "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a").unwrap();

    // The plaintext half of the compatible-mode body is an ordinary push that carries an extra Encrypt field.
    let outer = Inbound::decode(body.as_bytes(), Format::sniff(body.as_bytes()).unwrap()).unwrap();
    let encrypt = outer.fields.text("Encrypt").unwrap();
    assert_eq!(encrypt, A_ENCRYPT);
    let inner = account
        .open(EncryptedEnvelope {
            encrypt,
            timestamp: A_TIMESTAMP,
            nonce: A_NONCE,
            msg_signature: "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
        })
        .unwrap();
    assert_eq!(
        String::from_utf8(inner.clone()).unwrap(),
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"
    );
    let decrypted = Inbound::from_xml(&inner).unwrap();
    assert_eq!(decrypted.msg_id, Some(6054768590064713728));
    assert_eq!(decrypted.text(), Some("abcdteT"));
    assert_eq!(decrypted.create_time, 1409735668);
    assert_eq!(
        (decrypted.to_user.as_str(), decrypted.from_user.as_str()),
        ("gh_10f6c3c3ac5a", "oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    );
    // Both halves say the same thing.
    let mut plain_half = outer.fields.clone();
    plain_half.remove("Encrypt");
    assert_eq!(Inbound::from_fields(plain_half).unwrap(), decrypted);

    // The frame details of the vector table.
    let key = AesKey::from_encoding_aes_key(A_KEY).unwrap();
    assert_eq!(hex::encode(key.iv()), "69b71d79f8218a39259a7a29aabb2dba");
    assert_eq!(STANDARD.decode(A_ENCRYPT).unwrap().len(), 320);
    let (frame, pad) = raw_decrypt(&key, A_ENCRYPT);
    assert_eq!((frame.len(), pad), (318, 2));
    assert_eq!(&frame[..16], b"89465c840c5f116f");
    assert_eq!(&frame[16..20], &[0, 0, 1, 0x18]);
    assert_eq!(&frame[300..], A_APPID.as_bytes());
}

#[test]
fn vector_d2_wecom_decrypt() {
    let token = "123456";
    let key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    let corp_id = "wx49f0ab532d5d035a";
    let encrypt = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";
    // The envelope as wechatpy's test receives it (AgentID as CDATA).
    let envelope = format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>"
    );
    let fields = tree::from_xml(envelope.as_bytes()).unwrap();
    let account = MessageCrypto::new(token, Some(key), corp_id).unwrap();
    let inner = account
        .open(EncryptedEnvelope {
            encrypt: fields.text("Encrypt").unwrap(),
            timestamp: "1411525903",
            nonce: "461056294",
            msg_signature: "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
        })
        .unwrap();
    let msg = tree::from_xml(&inner).unwrap();
    assert_eq!(msg.text("Content"), Some("test"));
    assert_eq!(msg.text("FromUserName"), Some("messense"));
    assert_eq!(msg.number::<u32>("AgentID").unwrap(), Some(1));
    let (_, pad) = raw_decrypt(&AesKey::from_encoding_aes_key(key).unwrap(), encrypt);
    assert_eq!(pad, 1);
    // A wrong corp id in the configuration is refused after the signature passed.
    let other = MessageCrypto::new(token, Some(key), "wx0000000000000000").unwrap();
    let env = EncryptedEnvelope {
        encrypt,
        timestamp: "1411525903",
        nonce: "461056294",
        msg_signature: "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
    };
    assert_eq!(other.open(env), Err(ProtoError::AppIdMismatch));
}

#[test]
fn vector_e_wecom_sealed_reply() {
    let account =
        MessageCrypto::new("123456", Some("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"), "wx49f0ab532d5d035a")
            .unwrap();
    let reply = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
    let sealed = account.seal_with_prefix(b"1234567890123456", reply.as_bytes(), "1411525903", "461056294").unwrap();
    // wechatpy's expected output, with its newlines between elements removed.
    let expected = "<xml>\n<Encrypt><![CDATA[9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3]]></Encrypt>\n<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]></MsgSignature>\n<TimeStamp>1411525903</TimeStamp>\n<Nonce><![CDATA[461056294]]></Nonce>\n</xml>";
    assert_eq!(sealed.msg_signature, "407518b7649e86ef23978113f92d27afa9296533");
    assert_eq!(sealed.to_xml(), expected.replace('\n', ""));
    let reread = SealedReply::from_fields(&tree::from_xml(expected.as_bytes()).unwrap()).unwrap();
    assert_eq!(reread, sealed);
    assert_eq!(account.open_reply(&reread).unwrap(), reply.as_bytes());
}

const F_ENCRYPT: &str = "Q3stYC6hdFzMh9T8HCvyDMpVZSnK8QoS4NPD7JNcmXpBgx7KAryCJaiju5gYmRXR+8crSovx8UXKspYEQqHLQVMJXXjSTum11hPB5bcaUdI4glOBLcHqyBB1JIQ1CeE1P95+HviTxujNhk2NKvY/DuXwJdtm6Gr/abtTbfD+FUL6vWHWTI5MB/wlbfIcwtOi47Tp7W4wTJQmr2SDH/QGWO5EqaRnapo0lLbGianH+dYE2j9dUmNGys462/12LWukIHqyOcThDzZXKrG/fBmVSy0RmCAZaup3BGtZECTye8DRtH3ynqTaCorZwJjM6rYNRklYZ6Rl/t35aAzwvTzo2OrPVeXrElG4rs8AbgNkAZNNkZVegbJGP9u8GX9TaFRP";
const F_SIGNATURE: &str = "99b168a05cc1a4570bbcdcbecd9810fbb8a890ff";
const F_PLAIN: &str = "<xml><ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName><FromUserName><![CDATA[gh_10f6c3c3ac5a]]></FromUserName><CreateTime>1409735670</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>";

#[test]
fn vector_f_sealed_reply_xml_opened_by_open_reply() {
    let sealed_xml = format!(
        "<xml><Encrypt><![CDATA[{F_ENCRYPT}]]></Encrypt><MsgSignature><![CDATA[{F_SIGNATURE}]]></MsgSignature><TimeStamp>1409735669</TimeStamp><Nonce><![CDATA[1320562132]]></Nonce></xml>"
    );
    let account = MessageCrypto::new(A_TOKEN, Some(A_KEY), A_APPID).unwrap();

    // What WeChat does with the developer's answer.
    let sealed = SealedReply::from_fields(&tree::from_xml(sealed_xml.as_bytes()).unwrap()).unwrap();
    let plain = account.open_reply(&sealed).unwrap();
    assert_eq!(plain.len(), 239);
    assert_eq!(plain, F_PLAIN.as_bytes());
    let reply = Reply::decode(&plain, Format::Xml).unwrap();
    let expected = Reply {
        to_user: "oyORnuP8q7ou2gfYjqLzSIWZf0rs".into(),
        from_user: "gh_10f6c3c3ac5a".into(),
        create_time: 1409735670,
        body: ReplyBody::text("你好"),
    };
    assert_eq!(reply, expected);

    // What the developer's side produces: the reply encoder and seal give these exact bytes.
    assert_eq!(expected.to_xml(), F_PLAIN);
    let ours = account.seal_with_prefix(b"0123456789abcdef", expected.to_xml().as_bytes(), "1409735669", "1320562132");
    assert_eq!(ours.unwrap().to_xml(), sealed_xml);
    let (frame, pad) = raw_decrypt(&AesKey::from_encoding_aes_key(A_KEY).unwrap(), F_ENCRYPT);
    assert_eq!((frame.len() + pad, pad), (288, 11));

    // The JSON envelope carries the same values (TimeStamp a number) and opens the same way.
    let json = sealed.to_json();
    assert_eq!(
        json,
        format!(
            r#"{{"Encrypt":"{F_ENCRYPT}","MsgSignature":"{F_SIGNATURE}","TimeStamp":1409735669,"Nonce":"1320562132"}}"#
        )
    );
    let from_json = SealedReply::from_fields(&tree::from_json(json.as_bytes()).unwrap()).unwrap();
    assert_eq!(from_json, sealed);

    // A tampered signature or a different nonce is refused.
    let mut bad = sealed.clone();
    bad.nonce = "1320562133".into();
    assert_eq!(account.open_reply(&bad), Err(ProtoError::SignatureMismatch));
}

#[test]
fn a_frame_aligned_to_32_bytes_gets_a_whole_block_of_padding() {
    let key = AesKey::from_encoding_aes_key(A_KEY).unwrap();
    let msg = "x".repeat(26);
    let encrypt = crypto::encrypt_with_prefix(&key, b"0123456789abcdef", msg.as_bytes(), A_APPID);
    assert_eq!(STANDARD.decode(&encrypt).unwrap().len(), 96);
    let (frame, pad) = raw_decrypt(&key, &encrypt);
    assert_eq!((frame.len(), pad), (64, 32));
    assert_eq!(crypto::decrypt(&key, &encrypt).unwrap().message, msg.as_bytes());
}

#[test]
fn safe_mode_inbound_path() {
    // A safe-mode body carries only ToUserName and Encrypt, in XML or JSON.
    let account = MessageCrypto::new(A_TOKEN, Some(A_KEY), A_APPID).unwrap();
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{A_ENCRYPT}]]></Encrypt></xml>"
    );
    let json = format!(r#"{{"ToUserName":"gh_10f6c3c3ac5a","Encrypt":"{A_ENCRYPT}"}}"#);
    for body in [xml, json] {
        let format = Format::sniff(body.as_bytes()).unwrap();
        let fields = tree::decode(body.as_bytes(), format).unwrap();
        let inner = account
            .open(EncryptedEnvelope {
                encrypt: fields.text("Encrypt").unwrap(),
                timestamp: A_TIMESTAMP,
                nonce: A_NONCE,
                msg_signature: "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
            })
            .unwrap();
        let inbound = Inbound::decode(&inner, Format::sniff(&inner).unwrap()).unwrap();
        assert!(matches!(inbound.kind, InboundKind::Text(_)));
        assert_eq!(inbound.msg_id, Some(6054768590064713728));
    }
}
