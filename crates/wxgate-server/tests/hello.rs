//! The `hello` example as its user meets it: its own config and router, a signed push over HTTP.

mod common;

#[allow(dead_code)]
#[path = "../examples/hello.rs"]
mod hello;

use common::*;
use wxgate_proto::crypto::url_signature;
use wxgate_proto::{Format, Reply, ReplyBody};
use wxgate_server::{Gateway, config};

async fn push(s: &TestServer, inner: &str) -> ReplyBody {
    let (ts, nonce) = (now().to_string(), fresh_nonce());
    let q = format!("/wx?signature={}&timestamp={ts}&nonce={nonce}", url_signature("hello-token", &ts, &nonce));
    let (status, body) = s.post_raw(&q, inner.to_owned()).await;
    assert_eq!(status, 200, "{body}");
    Reply::decode(body.as_bytes(), Format::Xml).expect("a passive reply").body
}

#[tokio::test]
async fn ping_gets_pong_and_a_follow_gets_welcome() {
    let config = config::load_str(hello::CONFIG, "hello.rs", Vec::new()).unwrap();
    let s = start_gateway(Gateway::builder(config).router(hello::router()).build().unwrap()).await;
    assert_eq!(push(&s, &text_xml("ping", fresh_id())).await, ReplyBody::text("pong"));
    let follow = wxgate_proto::write::fields_to_xml(
        &wxgate_proto::Fields::new()
            .with_text("ToUserName", GH)
            .with_text("FromUserName", USER)
            .with_text("CreateTime", now().to_string())
            .with_text("MsgType", "event")
            .with_text("Event", "subscribe"),
    );
    assert_eq!(push(&s, &follow).await, ReplyBody::text("welcome!"));
    assert_eq!(push(&s, &text_xml("hi", fresh_id())).await, ReplyBody::text(format!("{USER} said hi")));
}
