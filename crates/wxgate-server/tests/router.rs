//! Rust handlers with extractors, rules before handlers, several accounts, and mounting into a user's axum app.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use wxgate_proto::{Event, Fields, Format, ReplyBody};
use wxgate_server::router::{Account, Extension, Message, OpenId, Text};
use wxgate_server::{Gateway, Router, config};

#[tokio::test]
async fn handlers_get_their_extractors_and_rules_run_first() {
    let counter = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .extension(counter.clone())
        .on_keyword("count", |Extension(c): Extension<Arc<AtomicUsize>>| async move {
            format!("n={}", c.fetch_add(1, Ordering::SeqCst) + 1)
        })
        .on_event("CLICK", |e: Event, OpenId(u): OpenId, Account(a): Account| async move {
            match e {
                Event::Click { event_key, .. } => format!("{u} clicked {event_key} on {}", a.name()),
                _ => String::new(),
            }
        })
        .on_text(|Text(t): Text, Message(m): Message| async move { format!("{t}#{}", m.msg_id.unwrap_or(0)) })
        .fallback(|| async { ReplyBody::text("fallback") });
    let s = start(&account_toml("name = \"acct\""), router).await;

    let reply = |sent: &Sent| open_reply(sent, false, Format::Xml).body;
    // The config rule (echo for every text) wins over the text handlers.
    assert_eq!(reply(&s.push(&text_xml("count", 1), Mode::Plain).await), ReplyBody::text("echo: count"));

    let click = Fields::new()
        .with_text("ToUserName", GH)
        .with_text("FromUserName", USER)
        .with_text("CreateTime", now().to_string())
        .with_text("MsgType", "event")
        .with_text("Event", "CLICK")
        .with_text("EventKey", "MENU_A");
    let sent = s.push(&wxgate_proto::write::fields_to_xml(&click), Mode::Plain).await;
    assert_eq!(reply(&sent), ReplyBody::text(format!("{USER} clicked MENU_A on acct")));

    let image = Fields::new()
        .with_text("ToUserName", GH)
        .with_text("FromUserName", USER)
        .with_text("CreateTime", "1")
        .with_text("MsgType", "image")
        .with_text("PicUrl", "http://x/y.jpg")
        .with_text("MediaId", "m")
        .with_text("MsgId", "5");
    let sent = s.push(&wxgate_proto::write::fields_to_xml(&image), Mode::Plain).await;
    assert_eq!(reply(&sent), ReplyBody::text("fallback"));
}

#[tokio::test]
async fn handlers_without_rules() {
    let counter = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .extension(counter.clone())
        .on_keyword("count", |Extension(c): Extension<Arc<AtomicUsize>>| async move {
            format!("n={}", c.fetch_add(1, Ordering::SeqCst) + 1)
        })
        .on_text(|Text(t): Text, Message(m): Message| async move { format!("{t}#{}", m.msg_id.unwrap_or(0)) });
    let cfg = format!("[[accounts]]\npath = \"/wx\"\ntoken = \"{TOKEN}\"\n");
    let s = start(&cfg, router).await;
    let reply = |sent: &Sent| open_reply(sent, false, Format::Xml).body;
    assert_eq!(reply(&s.push(&text_xml("count", 1), Mode::Plain).await), ReplyBody::text("n=1"));
    assert_eq!(reply(&s.push(&text_xml("count", 2), Mode::Plain).await), ReplyBody::text("n=2"));
    assert_eq!(reply(&s.push(&text_xml("hey", 77), Mode::Plain).await), ReplyBody::text("hey#77"));
}

#[tokio::test]
async fn several_accounts_each_with_their_credentials() {
    let cfg = format!(
        "[[accounts]]\nname = \"a\"\npath = \"/wx\"\ntoken = \"{TOKEN}\"\n\
         [[accounts.rules]]\nreply = {{ type = \"text\", content = \"from a\" }}\n\
         [[accounts]]\nname = \"b\"\npath = \"/wx\"\ntoken = \"other-token\"\n\
         [[accounts.rules]]\nreply = {{ type = \"text\", content = \"from b\" }}\n\
         [[accounts]]\nname = \"c\"\npath = \"/c\"\ntoken = \"{TOKEN}\"\n\
         [[accounts.rules]]\nreply = {{ type = \"text\", content = \"from c\" }}\n"
    );
    let s = start(&cfg, Router::new()).await;
    let body = text_xml("x", 1);
    let a = s.push_with("/wx", TOKEN, &body, Mode::Plain, now()).await;
    let b = s.push_with("/wx", "other-token", &body, Mode::Plain, now()).await;
    let c = s.push_with("/c", TOKEN, &body, Mode::Plain, now()).await;
    assert!(a.body.contains("from a"), "{}", a.body);
    assert!(b.body.contains("from b"), "{}", b.body);
    assert!(c.body.contains("from c"), "{}", c.body);
    assert_eq!(s.push_with("/c", "other-token", &body, Mode::Plain, now()).await.status, 401);
}

#[tokio::test]
async fn mounts_into_a_user_app() {
    let cfg = config::load_str(&account_toml(""), "test", Vec::new()).unwrap();
    let app = axum::Router::new()
        .route("/mine", axum::routing::get(|| async { "my own route" }))
        .merge(Gateway::builder(cfg).build().unwrap().into_axum());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let mine = http.get(format!("http://{addr}/mine")).send().await.unwrap().text().await.unwrap();
    assert_eq!(mine, "my own route");
    let ts = now().to_string();
    let sig = wxgate_proto::crypto::url_signature(TOKEN, &ts, "1");
    let resp = http
        .post(format!("http://{addr}/wx?signature={sig}&timestamp={ts}&nonce=1"))
        .body(text_xml("mounted", 1))
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("echo: mounted"));
}
