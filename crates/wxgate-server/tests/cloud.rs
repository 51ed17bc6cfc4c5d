//! Cloud Hosting push: the path probe, JSON in → JSON out, XML in → XML out, the `x-wx-source` rule, headers on
//! the context.

mod common;

use common::*;
use wxgate_proto::{Format, Reply, ReplyBody};
use wxgate_server::Router;
use wxgate_server::router::{Cloud, Text};

fn cloud_toml(require_source: bool) -> String {
    format!(
        "[[accounts]]\npath = \"/\"\ndelivery = \"cloud\"\nappid = \"{APPID}\"\nrequire_wx_source = {require_source}\n\
         [[accounts.rules]]\nkeyword = \"回复文字\"\nreply = {{ type = \"text\", content = \"这是回复的消息\" }}\n"
    )
}

async fn post(s: &TestServer, body: String, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = s.http.post(s.url("/")).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

const SRC: (&str, &str) = ("x-wx-source", "other");

#[tokio::test]
async fn probe_is_answered_success_in_both_formats() {
    let s = start(&cloud_toml(true), Router::new()).await;
    assert_eq!(post(&s, r#"{"action": "CheckContainerPath"}"#.into(), &[]).await, (200, "success".into()));
    assert_eq!(post(&s, "<xml><action>CheckContainerPath</action></xml>".into(), &[]).await, (200, "success".into()));
}

#[tokio::test]
async fn json_in_json_out_and_xml_in_xml_out() {
    let s = start(&cloud_toml(true), Router::new()).await;
    let (status, body) = post(&s, text_json("回复文字", 1), &[SRC]).await;
    assert_eq!(status, 200);
    assert!(body.starts_with('{'), "{body}");
    let reply = Reply::decode(body.as_bytes(), Format::Json).unwrap();
    assert_eq!(reply.body, ReplyBody::text("这是回复的消息"));
    assert_eq!(reply.to_user, USER);

    let (status, body) = post(&s, text_xml("回复文字", 2), &[SRC]).await;
    assert_eq!(status, 200);
    let reply = Reply::decode(body.as_bytes(), Format::Xml).unwrap();
    assert_eq!(reply.body, ReplyBody::text("这是回复的消息"));
}

#[tokio::test]
async fn source_header_is_required_when_configured() {
    let s = start(&cloud_toml(true), Router::new()).await;
    let (status, reason) = post(&s, text_json("回复文字", 1), &[]).await;
    assert_eq!(status, 401, "{reason}");
    // The older spelling is accepted too.
    let (status, _) = post(&s, text_json("回复文字", 2), &[("x-wx-sources", "x")]).await;
    assert_eq!(status, 200);

    let open = start(&cloud_toml(false), Router::new()).await;
    let (status, _) = post(&open, text_json("回复文字", 3), &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn from_appid_reaches_handlers() {
    let router = Router::new().on_text(|Text(t): Text, Cloud(c): Cloud| async move {
        format!("{t} via {}", c.from_appid.unwrap_or_default())
    });
    let s = start(&cloud_toml(true), router).await;
    let (status, body) = post(&s, text_json("hi", 1), &[SRC, ("x-wx-from-appid", APPID), ("x-wx-openid", USER)]).await;
    assert_eq!(status, 200);
    let reply = Reply::decode(body.as_bytes(), Format::Json).unwrap();
    assert_eq!(reply.body, ReplyBody::text(format!("hi via {APPID}")));
}
