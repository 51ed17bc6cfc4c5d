//! URL verification and pushes in plain, compatible and safe mode, XML and JSON, over a real socket.

mod common;

use common::*;
use wxgate_proto::{Format, ReplyBody};
use wxgate_server::Router;

#[tokio::test]
async fn url_verification_returns_echostr_exactly() {
    let s = start(&account_toml(""), Router::new()).await;
    let q = s.signed_query();
    let resp = s.http.get(s.url(&format!("/wx?{q}&echostr=4375120948345356249"))).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "4375120948345356249");

    let forged = s.http.get(s.url("/wx?signature=00&timestamp=1&nonce=2&echostr=1")).send().await.unwrap();
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn every_mode_answers_in_kind() {
    let s = start(&account_toml(""), Router::new()).await;
    for (i, mode) in [Mode::Plain, Mode::Compatible, Mode::Safe].into_iter().enumerate() {
        let sent = s.push(&text_xml("你好 ]]> <b>", 100 + i as u64), mode).await;
        let encrypted = mode != Mode::Plain;
        if encrypted {
            assert!(sent.body.contains("<Encrypt>") && sent.body.contains("<MsgSignature>"), "{mode:?}: {}", sent.body);
            assert!(!sent.body.contains("echo"), "{mode:?} reply must be sealed");
        }
        let reply = open_reply(&sent, encrypted, Format::Xml);
        assert_eq!(reply.body, ReplyBody::text("echo: 你好 ]]> <b>"), "{mode:?}");
        assert_eq!(reply.to_user, USER);
        assert_eq!(reply.from_user, GH);
    }
}

#[tokio::test]
async fn json_pushes_on_the_classic_url_get_json_replies() {
    let s = start(&account_toml(""), Router::new()).await;
    let json = format!(
        r#"{{"ToUserName":"{GH}","FromUserName":"{USER}","CreateTime":{},"MsgType":"text","Content":"hi","MsgId":6054768590064713728}}"#,
        now()
    );
    for mode in [Mode::Plain, Mode::Safe] {
        let sent = s.push(&json, mode).await;
        let reply = open_reply(&sent, mode == Mode::Safe, Format::Json);
        assert_eq!(reply.body, ReplyBody::text("echo: hi"));
    }
}

#[tokio::test]
async fn safe_only_accounts_refuse_plaintext() {
    let s = start(&account_toml("encryption = \"safe\""), Router::new()).await;
    assert_eq!(s.push(&text_xml("x", 1), Mode::Plain).await.status, 401);
    assert_eq!(s.push(&text_xml("x", 2), Mode::Safe).await.status, 200);
}

#[tokio::test]
async fn health_endpoint() {
    let s = start(&account_toml(""), Router::new()).await;
    let resp = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}
