//! Every kind of bad input gets its 4xx and a short reason; handler failures become `success`.

mod common;

use std::time::Duration;

use common::*;
use wxgate_proto::crypto::{MessageCrypto, url_signature};
use wxgate_server::Router;
use wxgate_server::router::Text;

#[tokio::test]
async fn forged_missing_and_stale_signatures_are_401() {
    let s = start(&account_toml(""), Router::new()).await;
    let body = text_xml("hi", 1);
    let (status, reason) = s.post_raw("/wx?signature=deadbeef&timestamp=1&nonce=2", body.clone()).await;
    assert_eq!(status, 401, "{reason}");
    let ts = now().to_string();
    let forged = url_signature("not-the-token", &ts, "7");
    let (status, reason) = s.post_raw(&format!("/wx?signature={forged}&timestamp={ts}&nonce=7"), body.clone()).await;
    assert_eq!((status, reason.as_str()), (401, "signature mismatch"));
    let (status, reason) = s.post_raw("/wx", body.clone()).await;
    assert_eq!((status, reason.as_str()), (401, "missing signature, timestamp or nonce"));
    let stale = s.push_with("/wx", TOKEN, &body, Mode::Plain, now() - 3600).await;
    assert_eq!((stale.status, stale.body.as_str()), (401, "timestamp outside the accepted window"));
}

#[tokio::test]
async fn stale_timestamps_pass_when_the_window_is_off() {
    let s = start(&format!("[server]\ntimestamp_window_secs = 0\n{}", account_toml("")), Router::new()).await;
    assert_eq!(s.push_with("/wx", TOKEN, &text_xml("hi", 1), Mode::Plain, 1).await.status, 200);
}

#[tokio::test]
async fn wrong_msg_signature_and_wrong_appid() {
    let s = start(&account_toml(""), Router::new()).await;
    let ts = now().to_string();
    let sig = url_signature(TOKEN, &ts, "9");
    let sealed = common::crypto().seal(text_xml("x", 1).as_bytes(), &ts, "9").unwrap();
    let body = format!("<xml><ToUserName>{GH}</ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>", sealed.encrypt);
    let q = format!("/wx?signature={sig}&timestamp={ts}&nonce=9&encrypt_type=aes");
    let (status, _) = s.post_raw(&format!("{q}&msg_signature=0000"), body.clone()).await;
    assert_eq!(status, 401);
    let (status, reason) = s.post_raw(&q, body).await;
    assert_eq!((status, reason.as_str()), (401, "missing msg_signature"));

    let other = MessageCrypto::new(TOKEN, Some(AES_KEY), "wx0000000000000000").unwrap();
    let sealed = other.seal(text_xml("x", 1).as_bytes(), &ts, "9").unwrap();
    let body = format!("<xml><ToUserName>{GH}</ToUserName><Encrypt><![CDATA[{}]]></Encrypt></xml>", sealed.encrypt);
    let (status, reason) = s.post_raw(&format!("{q}&msg_signature={}", sealed.msg_signature), body).await;
    assert_eq!(status, 400);
    assert!(reason.contains("appid"), "{reason}");
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let s = start(&account_toml(""), Router::new()).await;
    let dtd = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\
               <xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&lol2;</Content></xml>";
    let xxe = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Content>&e;</Content></xml>";
    let cases: &[(&str, &str)] = &[
        ("<xml><ToUserName>a</Oops></xml>", "malformed XML"),
        (dtd, "DTD"),
        (xxe, "DTD"),
        ("<xml><Content>&unknown;</Content></xml>", "malformed XML"),
        ("{\"ToUserName\": ", "malformed JSON"),
        ("hello", "neither XML nor JSON"),
        ("<xml><MsgType>text</MsgType></xml>", "ToUserName"),
    ];
    for (body, why) in cases {
        let (status, reason) = s.post_raw(&format!("/wx?{}", s.signed_query()), body.to_string()).await;
        assert_eq!(status, 400, "{body}: {reason}");
        assert!(reason.contains(why), "{body}: {reason}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_413_before_being_read_whole() {
    let s = start(&format!("[server]\nbody_limit = 4096\n{}", account_toml("")), Router::new()).await;
    let big = "x".repeat(10_000);
    let (status, _) = s.post_raw(&format!("/wx?{}", s.signed_query()), big.clone()).await;
    assert_eq!(status, 413);
    // Chunked, no Content-Length: cut off once the cap is passed.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..10).map(|_| Ok(vec![b'x'; 1000])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, _) = s.post_raw(&format!("/wx?{}", s.signed_query()), stream).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn unknown_types_and_failing_handlers_answer_success() {
    let router = Router::new()
        .on_keyword("fail", || async { Err::<String, _>("database down") })
        .on_keyword("panic", || async {
            panic!("handler bug");
            #[allow(unreachable_code)]
            ""
        })
        .on_keyword("slow", || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "too late"
        })
        .on_keyword("bad reply", || async { wxgate_proto::ReplyBody::Image { media_id: String::new() } })
        .on_text(|Text(t): Text| async move { format!("handled {t}") });
    let cfg =
        format!("[[accounts]]\npath = \"/wx\"\ntoken = \"{TOKEN}\"\ndeadline = {{ budget_ms = 300, attempts = 1 }}\n");
    let s = start(&cfg, router).await;
    for word in ["fail", "panic", "slow", "bad reply"] {
        let sent = s.push(&text_xml(word, fresh_id()), Mode::Plain).await;
        assert_eq!((sent.status, sent.body.as_str()), (200, "success"), "{word}");
    }
    let unknown = format!(
        "<xml><ToUserName>{GH}</ToUserName><FromUserName>{USER}</FromUserName><CreateTime>1</CreateTime>\
         <MsgType>hologram</MsgType><Depth>3</Depth></xml>"
    );
    let sent = s.push(&unknown, Mode::Plain).await;
    assert_eq!((sent.status, sent.body.as_str()), (200, "success"));
    // The server is still healthy and answering.
    let sent = s.push(&text_xml("ok", 2), Mode::Plain).await;
    assert!(sent.body.contains("handled ok"), "{}", sent.body);
}
