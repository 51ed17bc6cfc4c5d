//! Hostile and broken input: every case must end in a typed `ProtoError`, never a panic, never an expanded entity,
//! never a secret in an error or `Debug` line.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wxgate_proto::crypto::{self, AesKey, EncryptedEnvelope, MessageCrypto, SealedReply, msg_signature};
use wxgate_proto::error::RAW_EXCERPT_BYTES;
use wxgate_proto::tree::{self, MAX_XML_DEPTH};
use wxgate_proto::{Format, Inbound, ProtoError, Reply};

const TOKEN: &str = "spamtest";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";

const TEXT_XML: &str = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>24301234567890123</MsgId></xml>";
const TEXT_JSON: &str = r#"{"ToUserName":"gh_0123456789ab","FromUserName":"oUser","CreateTime":1700000000,"MsgType":"text","Content":"你好","MsgId":24301234567890123}"#;

/// Decodes as a push (format sniffed, XML when unknown); it must fail with an error that blames the body.
fn body_error(body: &[u8]) -> ProtoError {
    let format = Format::sniff(body).unwrap_or(Format::Xml);
    let err = Inbound::decode(body, format).expect_err("hostile input must be refused");
    assert!(err.is_bad_body(), "{err:?} should count as a bad body");
    err
}

/// Like [`body_error`], and the reply decoder (the simulator's side) refuses the body as well.
fn unreadable(body: &[u8]) -> ProtoError {
    let err = body_error(body);
    assert!(Reply::decode(body, Format::sniff(body).unwrap_or(Format::Xml)).is_err());
    err
}

#[test]
fn billion_laughs_is_refused_before_any_expansion() {
    let mut dtd = String::from("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 { "lol".to_owned() } else { format!("lol{}", i - 1) };
        dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10)));
    }
    dtd.push_str("]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&lol9;</Content></xml>");
    assert_eq!(unreadable(dtd.as_bytes()), ProtoError::XmlDtdRefused);
    assert_eq!(tree::from_xml(dtd.as_bytes()), Err(ProtoError::XmlDtdRefused));
}

#[test]
fn external_and_parameter_entities_are_refused() {
    let external = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
                    <xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>\
                    <Content>&xxe;</Content></xml>";
    let err = unreadable(external.as_bytes());
    assert_eq!(err, ProtoError::XmlDtdRefused);
    assert!(!err.to_string().contains("root:"));

    let parameter = "<!DOCTYPE xml [<!ENTITY % remote SYSTEM \"http://127.0.0.1:1/evil.dtd\"> %remote;]>\
                     <xml><A>1</A></xml>";
    assert_eq!(unreadable(parameter.as_bytes()), ProtoError::XmlDtdRefused);

    let public = "<!DOCTYPE xml PUBLIC \"-//X//EN\" \"http://127.0.0.1:1/x.dtd\"><xml><A>1</A></xml>";
    assert_eq!(unreadable(public.as_bytes()), ProtoError::XmlDtdRefused);

    // A DOCTYPE hidden inside the root element or after it is refused just the same.
    let inside = "<xml><!DOCTYPE x [<!ENTITY e \"boom\">]><A>&e;</A></xml>";
    assert!(unreadable(inside.as_bytes()) == ProtoError::XmlDtdRefused);
}

#[test]
fn unknown_entities_are_an_error_and_predefined_ones_resolve() {
    for body in [
        "<xml><Content>&lol;</Content></xml>",
        "<xml><Content>&nbsp;</Content></xml>",
        "<xml><Content>&#xZZ;</Content></xml>",
    ] {
        assert!(matches!(body_error(body.as_bytes()), ProtoError::MalformedXml { .. }), "{body}");
    }
    let ok = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>\
              <Content>&lt;&gt;&amp;&quot;&apos;&#20320;&#x597D;</Content></xml>";
    assert_eq!(Inbound::from_xml(ok.as_bytes()).unwrap().text(), Some("<>&\"'你好"));
}

#[test]
fn deep_nesting_is_capped() {
    let nest = |depth: usize| "<a>".repeat(depth) + &"</a>".repeat(depth);
    assert!(tree::from_xml(nest(MAX_XML_DEPTH).as_bytes()).is_ok());
    assert_eq!(tree::from_xml(nest(MAX_XML_DEPTH + 1).as_bytes()), Err(ProtoError::XmlTooDeep(MAX_XML_DEPTH)));
    let huge = nest(100_000);
    assert_eq!(unreadable(huge.as_bytes()), ProtoError::XmlTooDeep(MAX_XML_DEPTH));
    // Unclosed deep nesting too.
    assert_eq!(unreadable("<a>".repeat(100_000).as_bytes()), ProtoError::XmlTooDeep(MAX_XML_DEPTH));
    // JSON nesting is bounded by serde_json's recursion limit.
    let deep_json = "{\"a\":".repeat(100_000) + "1" + &"}".repeat(100_000);
    assert!(matches!(unreadable(deep_json.as_bytes()), ProtoError::MalformedJson { .. }));
}

#[test]
fn non_utf8_bodies() {
    // "你好" in GBK, declared or not.
    let gbk = b"<?xml version=\"1.0\" encoding=\"GBK\"?><xml><Content>\xc4\xe3\xba\xc3</Content></xml>";
    assert_eq!(unreadable(gbk), ProtoError::NotUtf8);
    assert_eq!(unreadable(b"<xml><Content>\xff\xfe</Content></xml>"), ProtoError::NotUtf8);
    assert_eq!(unreadable(b"<xml><\xffName>1</\xffName></xml>"), ProtoError::NotUtf8);
    // UTF-16 with its BOM is neither XML nor JSON to us.
    let utf16: Vec<u8> = "\u{FEFF}<xml/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(Format::sniff(&utf16), Err(ProtoError::UnknownFormat));
    assert!(Inbound::decode(&utf16, Format::Xml).is_err());
    assert!(matches!(unreadable(b"{\"Content\":\"\xff\"}"), ProtoError::MalformedJson { .. }));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for full in [TEXT_XML, TEXT_JSON] {
        let bytes = full.as_bytes();
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            let format = Format::sniff(prefix).unwrap_or(Format::Xml);
            let err = Inbound::decode(prefix, format).expect_err("a truncated body must not decode");
            assert!(err.is_bad_body(), "cut at {cut}: {err:?}");
        }
        assert!(Inbound::decode(bytes, Format::sniff(bytes).unwrap()).is_ok());
    }
}

#[test]
fn a_bom_is_skipped_in_both_formats() {
    for body in [TEXT_XML, TEXT_JSON] {
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), body.as_bytes()].concat();
        let format = Format::sniff(&with_bom).unwrap();
        let decoded = Inbound::decode(&with_bom, format).unwrap();
        assert_eq!(decoded, Inbound::decode(body.as_bytes(), format).unwrap());
    }
    let twice = [b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), TEXT_JSON.as_bytes()].concat();
    assert!(Inbound::decode(&twice, Format::Json).is_err());
}

#[test]
fn huge_text_is_decoded_without_trouble_and_errors_stay_short() {
    let content = "长".repeat(2 * 1024 * 1024); // 6 MiB
    let body = TEXT_XML.replace("你好", &content);
    assert_eq!(Inbound::from_xml(body.as_bytes()).unwrap().text().map(str::len), Some(content.len()));
    let json = TEXT_JSON.replace("你好", &content);
    assert_eq!(Inbound::from_json(json.as_bytes()).unwrap().text().map(str::len), Some(content.len()));

    // A huge malformed body keeps only a short, valid excerpt (cut inside a multi-byte character).
    let broken = format!("<xml><Content>{content}</Nope></xml>");
    match body_error(broken.as_bytes()) {
        ProtoError::MalformedXml { excerpt, .. } => {
            assert!(excerpt.len() <= RAW_EXCERPT_BYTES && excerpt.starts_with("<xml><Content>长"));
            assert!(!excerpt.contains('\u{FFFD}'));
        }
        other => panic!("{other:?}"),
    }
    let broken_json = format!("{{\"Content\":\"{content}\"");
    match body_error(broken_json.as_bytes()) {
        ProtoError::MalformedJson { excerpt, .. } => assert!(excerpt.len() <= RAW_EXCERPT_BYTES),
        other => panic!("{other:?}"),
    }
    // Many fields.
    let many = format!("<xml>{}</xml>", "<F><![CDATA[x]]></F>".repeat(200_000));
    assert_eq!(tree::from_xml(many.as_bytes()).unwrap().len(), 200_000);
}

#[test]
fn structurally_broken_xml() {
    for body in [
        "<xml><A>1</B></xml>",
        "<xml><A>1</A></xml><xml></xml>",
        "<xml/><xml/>",
        "<xml></xml>tail",
        "<xml><![CDATA[open</xml>",
        "<xml><A><![CDATA[x]]></A>",
        "</xml>",
        "<xml",
        "<>",
        "",
        "   ",
        "hello",
    ] {
        let err = unreadable(body.as_bytes());
        assert!(
            matches!(err, ProtoError::MalformedXml { .. } | ProtoError::UnknownFormat | ProtoError::MissingField(_)),
            "{body:?}: {err:?}"
        );
    }
    // Well-formed but not a push.
    assert_eq!(unreadable(b"<xml/>"), ProtoError::MissingField("ToUserName"));
    assert_eq!(unreadable(b"<xml><ToUserName>a</ToUserName></xml>"), ProtoError::MissingField("FromUserName"));
    let no_event = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>event</MsgType></xml>";
    assert_eq!(unreadable(no_event.as_bytes()), ProtoError::MissingField("Event"));
    // Comments, processing instructions, attributes and a declaration are harmless.
    let odd = "<?xml version=\"1.0\"?><!-- c --><xml a=\"1\"><?pi x?><ToUserName x='y'>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>c<!-- in -->d</Content></xml>";
    assert_eq!(Inbound::from_xml(odd.as_bytes()).unwrap().text(), Some("cd"));
}

#[test]
fn json_that_is_not_an_object() {
    for body in ["[1,2]", "\"text\"", "42", "null", "true", "[]"] {
        assert_eq!(Inbound::decode(body.as_bytes(), Format::Json), Err(ProtoError::JsonNotObject), "{body}");
    }
    for body in ["", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} {}"] {
        let err = Inbound::decode(body.as_bytes(), Format::Json).unwrap_err();
        assert!(matches!(err, ProtoError::MalformedJson { .. }), "{body:?}: {err:?}");
        assert!(Reply::decode(body.as_bytes(), Format::Json).is_err());
    }
}

#[test]
fn numbers_too_big_or_not_numbers() {
    let with = |field: &str, value: &str| {
        TEXT_XML.replace("<MsgId>24301234567890123</MsgId>", &format!("<{field}>{value}</{field}>"))
    };
    let invalid = |body: &str, field: &str| match body_error(body.as_bytes()) {
        ProtoError::InvalidField { field: f, .. } => assert_eq!(f, field, "{body}"),
        other => panic!("{body}: {other:?}"),
    };
    invalid(&with("MsgId", "18446744073709551616"), "MsgId");
    invalid(&with("MsgId", "-1"), "MsgId");
    invalid(&with("MsgID", "99999999999999999999999999"), "MsgID");
    invalid(&TEXT_XML.replace("1700000000", "soon"), "CreateTime");
    invalid(&TEXT_XML.replace("1700000000", "99999999999999999999"), "CreateTime");
    invalid(&TEXT_JSON.replace("24301234567890123", "18446744073709551616"), "MsgId");
    invalid(&TEXT_JSON.replace("24301234567890123", "1e30"), "MsgId");
    invalid(&TEXT_JSON.replace("1700000000", "\"yesterday\""), "CreateTime");
    assert!(matches!(
        body_error(TEXT_JSON.replace("1700000000", "1e400").as_bytes()),
        ProtoError::MalformedJson { .. }
    ));
    let loc = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>location</MsgType><Location_X>north</Location_X></xml>";
    invalid(loc, "Location_X");
    let pics = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>event</MsgType><Event>pic_weixin</Event><SendPicsInfo><Count>4294967296</Count></SendPicsInfo></xml>";
    invalid(pics, "Count");
    // u64::MAX itself is fine.
    assert_eq!(Inbound::from_xml(with("MsgId", "18446744073709551615").as_bytes()).unwrap().msg_id, Some(u64::MAX));
}

#[test]
fn signatures_of_the_wrong_shape() {
    let account = MessageCrypto::new("AAAAA", None, "").unwrap();
    let good = "f464b24fc39322e44b38aa78f5edd27bd1441696";
    account.verify_url("1714036504", "1514711492", good).unwrap();
    for bad in [
        &good[..39],
        &format!("{good}0"),
        "",
        "f464b24fc39322e44b38aa78f5edd27bd144169g",
        " f464b24fc39322e44b38aa78f5edd27bd144169",
        "ｆ464b24fc39322e44b38aa78f5edd27bd14416",
        &good.repeat(1000),
    ] {
        assert_eq!(account.verify_url("1714036504", "1514711492", bad), Err(ProtoError::SignatureMismatch), "{bad:?}");
    }
    // Hex is compared case-insensitively: the same 160 bits in capitals are accepted.
    account.verify_url("1714036504", "1514711492", &good.to_ascii_uppercase()).unwrap();

    let safe = MessageCrypto::new(TOKEN, Some(KEY), APPID).unwrap();
    let sealed = safe.seal(b"<xml/>", "1409735669", "1320562132").unwrap();
    let open = |sig: &str| {
        safe.open(EncryptedEnvelope {
            encrypt: &sealed.encrypt,
            timestamp: "1409735669",
            nonce: "1320562132",
            msg_signature: sig,
        })
    };
    assert_eq!(open(&sealed.msg_signature).unwrap(), b"<xml/>");
    assert_eq!(open(&sealed.msg_signature.to_ascii_uppercase()).unwrap(), b"<xml/>");
    assert_eq!(open(&sealed.msg_signature[1..]), Err(ProtoError::SignatureMismatch));
    assert_eq!(open(""), Err(ProtoError::SignatureMismatch));
}

/// Encrypts an arbitrary (already padded) frame with the raw cipher, bypassing the crate's framing.
fn raw_encrypt(key: &AesKey, frame: &[u8]) -> String {
    let mut buf = frame.to_vec();
    let len = buf.len();
    cbc::Encryptor::<aes::Aes256>::new(key.as_bytes().into(), &key.iv().into())
        .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        .unwrap();
    STANDARD.encode(buf)
}

fn frame(msg: &[u8], appid: &str, declared_len: u32) -> Vec<u8> {
    let mut f = b"0123456789abcdef".to_vec();
    f.extend_from_slice(&declared_len.to_be_bytes());
    f.extend_from_slice(msg);
    f.extend_from_slice(appid.as_bytes());
    f
}

#[test]
fn broken_ciphertexts() {
    let key = AesKey::from_encoding_aes_key(KEY).unwrap();
    let body = frame(b"<xml/>", APPID, 6); // 44 bytes
    let pad_with = |tail: &[u8]| raw_encrypt(&key, &[body.clone(), tail.to_vec()].concat());

    // Correct padding decrypts.
    assert_eq!(crypto::decrypt(&key, &pad_with(&[20; 20])).unwrap().message, b"<xml/>");
    // Pad byte 0, pad byte above 32, inconsistent pad bytes.
    let mut zero = vec![20u8; 19];
    zero.push(0);
    assert!(matches!(crypto::decrypt(&key, &pad_with(&zero)), Err(ProtoError::IllegalBuffer(_))));
    let mut too_big = vec![20u8; 19];
    too_big.push(33);
    assert!(matches!(crypto::decrypt(&key, &pad_with(&too_big)), Err(ProtoError::IllegalBuffer(_))));
    let mut mixed = vec![7u8; 19];
    mixed.push(20);
    assert!(matches!(crypto::decrypt(&key, &pad_with(&mixed)), Err(ProtoError::IllegalBuffer(_))));
    // A length prefix past the end, and a frame shorter than its header.
    let lying = frame(b"<xml/>", APPID, 4096);
    let enc = raw_encrypt(&key, &[lying, vec![20; 20]].concat());
    assert!(matches!(crypto::decrypt(&key, &enc), Err(ProtoError::IllegalBuffer(_))));
    let short = [b"0123456789".to_vec(), vec![22; 22]].concat();
    assert!(matches!(crypto::decrypt(&key, &raw_encrypt(&key, &short)), Err(ProtoError::IllegalBuffer(_))));
    // A non-UTF-8 receive id.
    let bad_id = [frame(b"<xml/>", "", 6), vec![0xff; 18], vec![20; 20]].concat();
    assert!(matches!(crypto::decrypt(&key, &raw_encrypt(&key, &bad_id)), Err(ProtoError::IllegalBuffer(_))));

    // Not base64, wrong lengths.
    assert_eq!(crypto::decrypt(&key, "***"), Err(ProtoError::Base64));
    assert_eq!(crypto::decrypt(&key, "QUJD"), Err(ProtoError::CipherLength(3)));
    assert_eq!(crypto::decrypt(&key, ""), Err(ProtoError::CipherLength(0)));
    let seventeen = STANDARD.encode([0u8; 17]);
    assert_eq!(crypto::decrypt(&key, &seventeen), Err(ProtoError::CipherLength(17)));
    // Sixteen zero bytes decrypt to garbage whose padding is checked, not trusted.
    assert!(crypto::decrypt(&key, &STANDARD.encode([0u8; 16])).is_err());
}

#[test]
fn wrong_appid_and_wrong_key() {
    let sender = MessageCrypto::new(TOKEN, Some(KEY), APPID).unwrap();
    let sealed = sender.seal_with_prefix(b"0123456789abcdef", b"<xml>hi</xml>", "1409735669", "1320562132").unwrap();

    let other_app = MessageCrypto::new(TOKEN, Some(KEY), "wx0000000000000000").unwrap();
    assert_eq!(other_app.open_reply(&sealed), Err(ProtoError::AppIdMismatch));

    let other_key = MessageCrypto::new(TOKEN, Some("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"), APPID).unwrap();
    let err = other_key.open_reply(&sealed).unwrap_err();
    assert!(matches!(err, ProtoError::IllegalBuffer(_) | ProtoError::AppIdMismatch), "{err:?}");

    let other_token = MessageCrypto::new("not-the-token", Some(KEY), APPID).unwrap();
    assert_eq!(other_token.open_reply(&sealed), Err(ProtoError::SignatureMismatch));

    // The signature is checked before anything is decrypted: a re-signed garbage ciphertext fails later, typed.
    let garbage = STANDARD.encode([9u8; 64]);
    let env = EncryptedEnvelope {
        encrypt: &garbage,
        timestamp: "1",
        nonce: "2",
        msg_signature: &msg_signature(TOKEN, "1", "2", &garbage),
    };
    assert!(sender.open(env).is_err());

    // An account without an EncodingAESKey cannot open or seal.
    let plain = MessageCrypto::new(TOKEN, None, APPID).unwrap();
    assert!(!plain.can_encrypt());
    assert!(matches!(plain.open_reply(&sealed), Err(ProtoError::IllegalAesKey(_))));
    assert!(matches!(plain.seal(b"x", "1", "2"), Err(ProtoError::IllegalAesKey(_))));
}

#[test]
fn bad_encoding_aes_keys() {
    for bad in [
        "",
        &KEY[..42],
        &format!("{KEY}H"),
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF+",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFé",
        "中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文中",
    ] {
        assert!(matches!(AesKey::from_encoding_aes_key(bad), Err(ProtoError::IllegalAesKey(_))), "{bad:?}");
        assert!(MessageCrypto::new(TOKEN, Some(bad), APPID).is_err());
    }
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let account = MessageCrypto::new("s3cr3t-token", Some(KEY), APPID).unwrap();
    let debug = format!("{account:?}");
    assert!(!debug.contains("s3cr3t-token") && !debug.contains(KEY) && !debug.contains("69b71d79"), "{debug}");
    assert!(debug.contains(APPID));
    let key = AesKey::from_encoding_aes_key(KEY).unwrap();
    assert!(!format!("{key:?}").contains("69b71d79"));
    let err = AesKey::from_encoding_aes_key(&KEY[..42]).unwrap_err();
    assert!(!err.to_string().contains(&KEY[..42]));
}

#[test]
fn sealed_envelopes_with_missing_parts() {
    let full = "<xml><Encrypt><![CDATA[e]]></Encrypt><MsgSignature><![CDATA[s]]></MsgSignature><TimeStamp>1</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>";
    assert!(SealedReply::from_fields(&tree::from_xml(full.as_bytes()).unwrap()).is_ok());
    for (cut, missing) in [
        ("<Encrypt><![CDATA[e]]></Encrypt>", "Encrypt"),
        ("<MsgSignature><![CDATA[s]]></MsgSignature>", "MsgSignature"),
        ("<TimeStamp>1</TimeStamp>", "TimeStamp"),
        ("<Nonce><![CDATA[n]]></Nonce>", "Nonce"),
    ] {
        let body = full.replace(cut, "");
        assert_eq!(
            SealedReply::from_fields(&tree::from_xml(body.as_bytes()).unwrap()),
            Err(ProtoError::MissingField(missing))
        );
    }
    // Lower-case JSON keys (EasyWeChat's WeCom form) are read too.
    let lower = r#"{"encrypt":"e","msgsignature":"s","timestamp":1,"nonce":"n"}"#;
    let sealed = SealedReply::from_fields(&tree::from_json(lower.as_bytes()).unwrap()).unwrap();
    assert_eq!((sealed.encrypt.as_str(), sealed.timestamp.as_str()), ("e", "1"));
}
