//! Every judgement of an answer, and the retry / timeout behaviour against deliberately slow servers.

mod common;

use std::time::Duration;

use common::peer::{Answer, Peer, answer};
use common::*;
use wxgate_proto::{Article, Inbound, Reply, ReplyBody};
use wxgate_sim::{Account, Item, Settings, Simulator, UserAction, Verdict};

async fn judged(
    account: Account,
    action: UserAction,
    reply: impl Fn(&Inbound) -> Vec<u8> + Send + Sync + 'static,
) -> Verdict {
    let peer = Peer::start(move |seen, _| answer(200, reply(&inbound_of(&seen.body)))).await;
    let sim =
        Simulator::builder().settings(fast_settings()).account(account.with_url(&peer.url)).start().await.unwrap();
    let out = sim.user(APPID, USER).send(action).await.unwrap();
    assert_eq!(out.attempts, 1);
    out.verdict
}

fn text() -> UserAction {
    UserAction::Text("hi".into())
}

fn reply_xml(inbound: &Inbound, body: ReplyBody) -> Vec<u8> {
    Reply::to(inbound, 1, body).to_xml().into_bytes()
}

fn news(n: usize) -> ReplyBody {
    ReplyBody::News { articles: vec![Article { title: "t".into(), url: "http://u".into(), ..Default::default() }; n] }
}

fn invalid_because(v: &Verdict, part: &str) -> bool {
    matches!(v, Verdict::Invalid(r) if r.contains(part))
}

#[tokio::test]
async fn success_and_empty_show_nothing() {
    assert_eq!(judged(account(), text(), |_| b"success".to_vec()).await, Verdict::Nothing);
    assert_eq!(judged(account(), text(), |_| Vec::new()).await, Verdict::Nothing);
}

#[tokio::test]
async fn valid_xml_replies_of_each_kind() {
    let v = judged(account(), text(), |i| reply_xml(i, ReplyBody::Image { media_id: "m".into() })).await;
    assert!(matches!(v, Verdict::Reply(r) if r.body.msg_type() == "image"));
    let v = judged(account(), text(), |i| reply_xml(i, news(1))).await;
    assert!(matches!(v, Verdict::Reply(_)));
    // After an event, up to 8 articles.
    let v = judged(account(), UserAction::Click { key: "k".into() }, |i| reply_xml(i, news(8))).await;
    assert!(matches!(v, Verdict::Reply(_)), "{v:?}");
}

#[tokio::test]
async fn invalid_answers_show_the_notice() {
    let v = judged(account(), text(), |i| Reply::to(i, 1, ReplyBody::text("j")).to_json().into_bytes()).await;
    assert!(invalid_because(&v, "JSON answer"), "{v:?}");
    let v = judged(account(), text(), |_| b"<xml><ToUserName>broken".to_vec()).await;
    assert!(invalid_because(&v, "malformed"), "{v:?}");
    let v = judged(account(), text(), |_| b"hello there".to_vec()).await;
    assert!(invalid_because(&v, "neither"), "{v:?}");
    let v = judged(account(), text(), |i| reply_xml(i, news(2))).await;
    assert!(invalid_because(&v, "articles"), "{v:?}");
    let v = judged(account(), UserAction::Click { key: "k".into() }, |i| reply_xml(i, news(9))).await;
    assert!(invalid_because(&v, "articles"), "{v:?}");
    let v = judged(account(), text(), |i| reply_xml(i, ReplyBody::text(""))).await;
    assert!(invalid_because(&v, "empty"), "{v:?}");
    let v = judged(account(), text(), |i| reply_xml(i, ReplyBody::text("字".repeat(683)))).await;
    assert!(invalid_because(&v, "2048"), "{v:?}");
    let v = judged(account(), text(), |i| {
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>\
             <CreateTime>1</CreateTime><MsgType><![CDATA[sticker]]></MsgType></xml>",
            i.from_user
        )
        .into_bytes()
    })
    .await;
    assert!(invalid_because(&v, "unknown reply MsgType"), "{v:?}");
    let v = judged(account(), text(), |i| {
        let mut r = Reply::to(i, 1, ReplyBody::text("x"));
        r.to_user = "oSomeoneElse".into();
        r.to_xml().into_bytes()
    })
    .await;
    assert!(invalid_because(&v, "not to this user"), "{v:?}");
}

#[tokio::test]
async fn mini_program_may_only_transfer() {
    let mp = || account_of(wxgate_sim::AccountKind::MiniProgram);
    let v = judged(mp(), text(), |i| reply_xml(i, ReplyBody::text("no"))).await;
    assert!(invalid_because(&v, "Mini Programs"), "{v:?}");
    let v = judged(mp(), text(), |i| reply_xml(i, ReplyBody::TransferCustomerService { kf_account: None })).await;
    assert!(matches!(v, Verdict::Reply(_)));
}

/// A server that stalls the first `slow` attempts past the timeout, then answers.
async fn stalling(slow: usize) -> Peer {
    Peer::start(move |seen, i| -> Answer {
        if i < slow {
            return (STALL, 200, b"success".to_vec());
        }
        answer(200, text_reply_xml(&inbound_of(&seen.body), &format!("answered on attempt {}", i + 1)))
    })
    .await
}

#[tokio::test]
async fn retries_after_timeouts_with_fresh_nonce() {
    let peer = stalling(2).await;
    // 1 s per attempt: the first two stall past it, the third must answer within it even on a loaded machine.
    let settings = Settings { push_timeout: Duration::from_secs(1), ..stall_settings() };
    let sim = Simulator::builder().settings(settings).account(account().with_url(&peer.url)).start().await.unwrap();
    let out = sim.user(APPID, USER).send_text("slow").await.unwrap();
    assert_eq!(out.attempts, 3);
    assert_eq!(out.failures, ["timeout", "timeout"]);
    assert_eq!(out.reply_text(), Some("answered on attempt 3"));
    let seen = peer.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].body, seen[2].body, "retries carry the same body");
    let nonces: std::collections::HashSet<_> = seen.iter().map(|s| s.query["nonce"].clone()).collect();
    assert_eq!(nonces.len(), 3, "fresh nonce per attempt");
}

#[tokio::test]
async fn all_attempts_time_out_then_notice_and_reuse_signature_option() {
    let peer = stalling(usize::MAX).await;
    let settings = Settings {
        push_attempts: 2,
        fresh_signature_per_attempt: false,
        system_notice: "服务故障".into(),
        ..stall_settings()
    };
    let sim = Simulator::builder().settings(settings).account(account().with_url(&peer.url)).start().await.unwrap();
    let user = sim.user(APPID, USER);
    let out = user.send_text("slow").await.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(matches!(&out.verdict, Verdict::Invalid(r) if r.contains("2 attempts")));
    let last = user.transcript().pop().unwrap();
    assert!(matches!(last.item, Item::SystemNotice { ref text, .. } if text == "服务故障"));
    let seen = peer.seen();
    assert_eq!(seen[0].query["nonce"], seen[1].query["nonce"]);
    assert_eq!(sim.counters().system_notices, 1);
}

#[tokio::test]
async fn http_errors_and_refused_connections_are_retried() {
    let peer = Peer::start(|seen, i| match i {
        0 => answer(500, "oops"),
        1 => answer(404, ""),
        _ => answer(200, text_reply_xml(&inbound_of(&seen.body), "third time")),
    })
    .await;
    let sim =
        Simulator::builder().settings(fast_settings()).account(account().with_url(&peer.url)).start().await.unwrap();
    let out = sim.user(APPID, USER).send_text("x").await.unwrap();
    assert_eq!(out.failures, ["HTTP 500", "HTTP 404"]);
    assert_eq!(out.reply_text(), Some("third time"));

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/wx", l.local_addr().unwrap())
    };
    let sim = Simulator::builder().settings(fast_settings()).account(account().with_url(closed)).start().await.unwrap();
    let out = sim.user(APPID, USER).send_text("x").await.unwrap();
    assert_eq!(out.attempts, 3);
    assert!(out.failures.iter().all(|f| f.starts_with("connection error")), "{:?}", out.failures);
}
