//! The shipped example configs: the seed-000 demo keywords, the follow greeting and the echo, in every reply type.

mod common;

use common::*;
use wxgate_proto::{Fields, Format, ReplyBody};
use wxgate_server::Router;

#[tokio::test]
async fn every_demo_keyword_gets_its_reply_type_in_every_mode() {
    let s = start(&default_config(), Router::new()).await;
    for mode in [Mode::Plain, Mode::Compatible, Mode::Safe] {
        for (keyword, msg_type) in DEMO_KEYWORDS.iter() {
            let sent = s.push(&text_xml(keyword, fresh_id()), mode).await;
            let reply = open_reply(&sent, mode != Mode::Plain, Format::Xml);
            assert_eq!(reply.body.msg_type(), *msg_type, "{keyword} in {mode:?}");
            reply.validate(1).unwrap();
        }
    }
    let echo = s.push(&text_xml("anything else", fresh_id()), Mode::Plain).await;
    assert!(echo.body.contains("echo: anything else"));
}

#[tokio::test]
async fn followers_are_greeted() {
    let s = start(&default_config(), Router::new()).await;
    let follow = Fields::new()
        .with_text("ToUserName", GH)
        .with_text("FromUserName", USER)
        .with_text("CreateTime", now().to_string())
        .with_text("MsgType", "event")
        .with_text("Event", "subscribe")
        .with_text("EventKey", "qrscene_promo");
    let sent = s.push(&wxgate_proto::write::fields_to_xml(&follow), Mode::Safe).await;
    let reply = open_reply(&sent, true, Format::Xml);
    assert!(matches!(&reply.body, ReplyBody::Text { content } if content.starts_with("欢迎关注")));
}

#[tokio::test]
async fn cloud_example_answers_json() {
    let cfg = example_config("cloud_passive.toml").replace("0.0.0.0:80", "127.0.0.1:0");
    let s = start(&cfg, Router::new()).await;
    let resp = s.http.post(s.url("/")).header("x-wx-source", "x").body(text_json("回复图文", 1)).send().await.unwrap();
    let body = resp.text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["MsgType"], "news");
    assert_eq!(json["ArticleCount"], 1);
    assert!(json["Articles"].is_array());
}

#[tokio::test]
async fn echo_example_loads_and_echoes() {
    let cfg = example_config("echo.toml");
    let s = start(&cfg, Router::new()).await;
    let reply = open_reply(&s.push(&text_xml("ping", 1), Mode::Safe).await, true, Format::Xml);
    assert_eq!(reply.body, ReplyBody::text("echo: ping"));
}
