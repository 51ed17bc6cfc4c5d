//! Hostile traffic over real sockets, as someone without the token would send it: what the query cannot prove is
//! refused before the body is read, bodies and request heads that trickle in are cut off, idle connections make
//! room for requests, replies stay well-formed whatever the user typed, over-long rule answers go out by customer
//! service, implausible ids are refused, and a replayed query with another body is told apart from a retry.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wxgate_proto::crypto::SealedReply;
use wxgate_proto::{Format, tree};
use wxgate_server::router::Text;
use wxgate_server::{Gateway, Router, Stores, config};
use wxgate_sim::{Account, Item, Simulator, Verdict};

/// Longest a test waits for the server to close a connection before calling it stuck.
const STUCK: Duration = Duration::from_secs(30);

/// Reads until the server closes the connection (a reset after its answer counts as closed); panics if it is
/// still open after [`STUCK`].
async fn until_closed(mut conn: TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(STUCK, read_all).await.expect("the server left the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

/// A connection that has sent the head of a POST declaring `declared` body bytes, and the first `sent` of them.
async fn stalled_post(s: &TestServer, path_and_query: &str, declared: usize, sent: usize) -> TcpStream {
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    let head = format!("POST {path_and_query} HTTP/1.1\r\nHost: wxgate\r\nContent-Length: {declared}\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&vec![b'x'; sent]).await.unwrap();
    conn
}

#[tokio::test]
async fn unsigned_bodies_are_refused_before_they_are_read() {
    let s = start(&account_toml(""), Router::new()).await;
    // Many clients start a body they never finish, without a signature: each is answered at once and closed.
    let mut stalled = Vec::new();
    for _ in 0..50 {
        stalled.push(stalled_post(&s, "/wx", 60_000, 1000).await);
    }
    for conn in stalled {
        let answer = until_closed(conn).await;
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
    }
    // Signed, but declaring more than the cap (64 KiB by default): refused unread.
    let conn = stalled_post(&s, &format!("/wx?{}", s.signed_query()), 1 << 20, 1000).await;
    let answer = until_closed(conn).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn a_signed_body_that_stalls_is_cut_off() {
    let s = start(&format!("[server]\nbody_timeout_ms = 300\n{}", account_toml("")), Router::new()).await;
    let conn = stalled_post(&s, &format!("/wx?{}", s.signed_query()), 5000, 100).await;
    let answer = until_closed(conn).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body not received in time"), "{answer}");
}

#[tokio::test]
async fn a_request_head_sent_a_byte_at_a_time_is_cut_off() {
    let s = start(&format!("[server]\nheader_timeout_ms = 300\n{}", account_toml("")), Router::new()).await;
    let conn = TcpStream::connect(s.addr).await.unwrap();
    let (mut reader, mut writer) = conn.into_split();
    let head = format!("POST /wx HTTP/1.1\r\nHost: wxgate\r\nX-Slow: {}\r\n\r\n", "a".repeat(200));
    let written = Arc::new(AtomicUsize::new(0));
    let counting = written.clone();
    let trickle = tokio::spawn(async move {
        for byte in head.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            counting.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(STUCK, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the slow head kept its connection");
    let sent = written.load(Ordering::SeqCst);
    trickle.abort();
    assert!(sent < 200, "closed before the head was complete ({sent} bytes sent)");
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed() {
    let s = start(&format!("[server]\nheader_timeout_ms = 300\n{}", account_toml("")), Router::new()).await;
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: wxgate\r\n\r\n").await.unwrap();
    let answer = until_closed(conn).await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "answered, then closed: {answer}");
}

#[tokio::test]
async fn idle_connections_make_room_for_requests() {
    let s = start(&format!("[server]\nmax_connections = 16\n{}", account_toml("")), Router::new()).await;
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // More idle connections than the cap, and still a push is answered.
    let sent = s.push(&text_xml("still here", fresh_id()), Mode::Plain).await;
    assert!(sent.body.contains("echo: still here"), "{}", sent.body);
    // The connections idle longest were closed to make room.
    let first = idle.swap_remove(0);
    assert_eq!(until_closed(first).await, "");
}

/// A text push written by hand, so the content keeps characters the library's writer would drop.
fn raw_text_xml(content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{USER}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{}</MsgId></xml>",
        now(),
        fresh_id()
    )
}

/// Parses `xml` with a strict parser (one that refuses what XML 1.0 forbids) and returns its `Content`.
fn strict_content(xml: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed ({e}): {xml:?}"));
    let content = doc.root_element().children().find(|n| n.has_tag_name("Content")).expect("Content");
    content.text().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn control_characters_give_well_formed_replies() {
    let s = start(&account_toml(""), Router::new()).await;
    let nasty = "a\u{1}b\u{b}c\u{fffe}d\u{0}e\u{1f}f";
    // The user's message still decodes, and the echo comes back well-formed, without the characters.
    let plain = s.push(&raw_text_xml(nasty), Mode::Plain).await;
    assert_eq!((plain.status, strict_content(&plain.body)), (200, "echo: abcdef".to_owned()));
    // The same in safe mode: the sealed reply opens to well-formed XML.
    let safe = s.push(&raw_text_xml(nasty), Mode::Safe).await;
    let sealed = SealedReply::from_fields(&tree::decode(safe.body.as_bytes(), Format::Xml).unwrap()).unwrap();
    let inner = String::from_utf8(crypto().open_reply(&sealed).unwrap()).unwrap();
    assert_eq!(strict_content(&inner), "echo: abcdef");
    // A JSON push with the characters escaped: the JSON reply carries none of them, not even escaped.
    let json = text_json("x", fresh_id()).replace("\"x\"", "\"a\\u0001b\\u000bc\\ufffed\\u0000e\"");
    let sent = s.push(&json, Mode::Plain).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(!sent.body.contains("\\u"), "{}", sent.body);
    let reply: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(reply["Content"], "echo: abcde");
}

#[tokio::test]
async fn implausible_ids_are_refused() {
    let s = start(&account_toml(""), Router::new()).await;
    let long = "o".repeat(100);
    let sent = s.push(&text_xml("hi", fresh_id()).replace(USER, &long), Mode::Plain).await;
    assert_eq!((sent.status, sent.body.as_str()), (400, "FromUserName or ToUserName longer than 64 bytes"));
    let huge = "o".repeat(200_000);
    let sent = s.push(&text_xml("hi", fresh_id()).replace(USER, &huge), Mode::Plain).await;
    assert_eq!(sent.status, 413, "over the body cap: {}", sent.body);
}

fn counting_router(calls: Arc<AtomicUsize>) -> Router {
    Router::new().on_text(move |Text(t): Text| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            format!("answer to {t}")
        }
    })
}

const PLAIN_ACCOUNT: &str = "[[accounts]]\npath = \"/wx\"\ntoken = \"test-token\"\n";

#[tokio::test]
async fn a_replayed_query_with_another_body_is_refused_and_a_retry_is_joined() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = start(PLAIN_ACCOUNT, counting_router(calls.clone())).await;
    let (query, body, ..) = signed_push("/wx", TOKEN, &text_xml("mine", fresh_id()), Mode::Plain, now());
    assert_eq!(s.post_raw(&query, body.clone()).await.1, s.post_raw(&query, body.clone()).await.1, "a retry");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the retry joined the first attempt's work");
    let forged = text_xml("someone else's words", fresh_id());
    let (status, reason) = s.post_raw(&query, forged.clone()).await;
    assert_eq!((status, reason.as_str()), (401, "this signed query came before with another body (a replay)"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Replicas sharing a store refuse a replay sent to another one.
    let shared = Arc::new(wxgate_store::memory::MemoryStore::new());
    let replica = || {
        let config = config::load_str(PLAIN_ACCOUNT, "test", Vec::new()).unwrap();
        let stores = Stores { replays: Some(shared.clone()), ..Stores::default() };
        Gateway::builder(config).router(counting_router(calls.clone())).stores(stores).build().unwrap()
    };
    let (a, b) = (start_gateway(replica()).await, start_gateway(replica()).await);
    let (query, body, ..) = signed_push("/wx", TOKEN, &text_xml("mine", fresh_id()), Mode::Plain, now());
    assert_eq!(a.post_raw(&query, body.clone()).await.0, 200);
    assert_eq!(b.post_raw(&query, forged).await.0, 401);
    assert_eq!(b.post_raw(&query, body).await.0, 200, "a retry reaching the other replica");
}

#[tokio::test(start_paused = true)]
async fn in_flight_entries_are_forgotten_on_time_without_traffic() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = config::load_str(PLAIN_ACCOUNT, "test", Vec::new()).unwrap();
    let s = InProcess::new(Gateway::builder(config).router(counting_router(calls.clone())).build().unwrap());
    let push = text_xml("q", fresh_id());
    s.push(&push, Mode::Plain).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    s.push(&push, Mode::Plain).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a retry within the entry's time joins it");
    // No other request comes; the entry is gone after at most twice its 30 s and the sweep's second.
    tokio::time::sleep(Duration::from_secs(45)).await;
    s.push(&push, Mode::Plain).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "forgotten 65 s later");
}

#[tokio::test]
async fn a_rule_answer_over_the_passive_limit_goes_out_by_customer_service() {
    let sim = Simulator::builder().start().await.unwrap();
    let cfg = account_toml(&format!("secret = \"s\"\napi_base = \"{}\"", sim.base_url()));
    let (server, _) = start_on_platform(&cfg, Router::new()).await;
    sim.add_account(Account::new(APPID, "s", GH, TOKEN).with_url(format!("http://{}/wx", server.addr))).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let user = sim.user(APPID, USER);
    let long = "长".repeat(1000); // 3 000 bytes; the echo is 3 006
    let outcome = user.send_text(&long).await.unwrap();
    assert!(!matches!(outcome.verdict, Verdict::Invalid(_)), "{:?}", outcome.verdict);
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let shown = user.wait_for(Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= 2).await.unwrap();
    let parts: Vec<&str> = shown.iter().filter(|e| is_cs(e)).filter_map(|e| e.text()).collect();
    assert!(parts.iter().all(|p| p.len() <= 2048), "{:?}", parts.iter().map(|p| p.len()).collect::<Vec<_>>());
    assert_eq!(parts.concat().replace(char::is_whitespace, ""), format!("echo:{long}"));
}
