//! The simulator's signatures and encryption cross-checked against the protocol crate's
//! `tests/vectors/test_vectors.json`
//! (known answers, so a bug shared with the protocol core cannot hide).

use serde_json::Value;
use wxgate_proto::{Inbound, tree};
use wxgate_sim::push::judge::{Context, Verdict, judge};
use wxgate_sim::push::sign::{Stamp, build, verify_query};
use wxgate_sim::{Account, Mode};

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wxgate-proto/tests/vectors/test_vectors.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn url_signatures_match() {
    let vs: Vec<_> = vectors().into_iter().filter(|v| v["kind"] == "url_signature").collect();
    assert!(vs.len() >= 3);
    for v in vs {
        let q = verify_query(s(&v, "token"), s(&v, "timestamp"), s(&v, "nonce"), "123");
        assert_eq!(q[0], ("signature", s(&v, "signature").to_owned()));
    }
}

#[test]
fn safe_mode_push_matches_deterministic_vectors() {
    let mut checked = 0;
    for v in vectors().iter().filter(|v| v["kind"] == "encrypt_deterministic" && v["msg_signature"].is_string()) {
        let plaintext = s(v, "plaintext");
        let Ok(fields) = tree::from_xml(plaintext.as_bytes()) else { continue };
        if wxgate_proto::write::fields_to_xml(&fields) != plaintext {
            continue; // only vectors whose plaintext is in the canonical layout the simulator writes
        }
        let account = Account::new(s(v, "receiveid"), "secret", "gh_x", s(v, "token"))
            .with_mode(Mode::Safe, Some(s(v, "encoding_aes_key")))
            .with_url("http://127.0.0.1/wx");
        let prefix: [u8; 16] = s(v, "random_prefix").as_bytes().try_into().unwrap();
        let stamp = Stamp { timestamp: s(v, "timestamp"), nonce: s(v, "nonce"), prefix: &prefix };
        let req = build(&account, &fields, "openid", stamp).unwrap();
        let q: std::collections::HashMap<_, _> = req.query.iter().cloned().collect();
        assert_eq!(q["msg_signature"], s(v, "msg_signature"));
        assert_eq!(q["encrypt_type"], "aes");
        let body = tree::from_xml(req.body.as_bytes()).unwrap();
        assert_eq!(body.text("Encrypt"), Some(s(v, "encrypt")));
        checked += 1;
    }
    assert!(checked >= 1, "no deterministic vector was usable");
}

#[test]
fn judge_opens_the_derived_encrypted_reply_vector() {
    let v = vectors()
        .into_iter()
        .find(|v| v["kind"] == "encrypt_deterministic" && v["source"] == "derived here")
        .expect("vector F");
    let account = Account::new(s(&v, "receiveid"), "secret", "gh_10f6c3c3ac5a", s(&v, "token"))
        .with_mode(Mode::Safe, Some(s(&v, "encoding_aes_key")));
    let envelope = format!(
        "<xml><Encrypt><![CDATA[{}]]></Encrypt><MsgSignature><![CDATA[{}]]></MsgSignature><TimeStamp>{}</TimeStamp>\
         <Nonce><![CDATA[{}]]></Nonce></xml>",
        s(&v, "encrypt"),
        s(&v, "msg_signature"),
        s(&v, "timestamp"),
        s(&v, "nonce")
    );
    let inbound = Inbound::from_xml(
        b"<xml><ToUserName>gh_10f6c3c3ac5a</ToUserName><FromUserName>oyORnuP8q7ou2gfYjqLzSIWZf0rs</FromUserName>\
          <CreateTime>1409735669</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
    )
    .unwrap();
    let ctx =
        Context { account: &account, openid: "oyORnuP8q7ou2gfYjqLzSIWZf0rs", inbound: &inbound, max_articles: None };
    match judge(ctx, envelope.as_bytes()) {
        Verdict::Reply(r) => assert_eq!(r.body, wxgate_proto::ReplyBody::text("你好")),
        other => panic!("{other:?}"),
    }
    // One flipped signature character and it is rejected.
    let tampered = envelope.replace(s(&v, "msg_signature"), &"f".repeat(40));
    assert!(matches!(judge(ctx, tampered.as_bytes()), Verdict::Invalid(_)));
}
