//! Push side end to end against small test servers: signatures and encryption per mode, Cloud Hosting headers,
//! URL verification and the container probe, and the window a push opens.

mod common;

use std::time::Duration;

use common::peer::{Peer, answer};
use common::*;
use wxgate_proto::crypto::{EncryptedEnvelope, MessageCrypto, verify_url_signature};
use wxgate_proto::{Fields, Reply, ReplyBody, tree};
use wxgate_sim::{Account, DataFormat, Delivery, Item, Mode, Simulator, UserAction, Verdict};

fn crypto() -> MessageCrypto {
    MessageCrypto::new(TOKEN, Some(AES_KEY), APPID).unwrap()
}

async fn sim_for(account: Account) -> Simulator {
    Simulator::builder().settings(fast_settings()).account(account).start().await.unwrap()
}

#[tokio::test]
async fn plain_mode_signed_push_and_text_reply() {
    let peer = Peer::start(|seen, _| {
        let q = &seen.query;
        assert!(verify_url_signature(TOKEN, &q["timestamp"], &q["nonce"], &q["signature"]));
        assert!(!q.contains_key("encrypt_type") && !q.contains_key("msg_signature"));
        assert_eq!(seen.headers["content-type"], "text/xml");
        let inbound = inbound_of(&seen.body);
        assert_eq!(q["openid"], inbound.from_user);
        answer(200, text_reply_xml(&inbound, &format!("echo: {}", inbound.text().unwrap())))
    })
    .await;
    let sim = sim_for(account().with_url(&peer.url)).await;
    let user = sim.user(APPID, USER);
    let out = user.send_text("你好").await.unwrap();
    assert_eq!(out.attempts, 1);
    assert_eq!(out.reply_text(), Some("echo: 你好"));
    let t = user.transcript();
    assert_eq!(t.len(), 2);
    assert!(matches!(&t[0].item, Item::Sent { msg_type, fields } if msg_type == "text" && fields["Content"] == "你好"));
    assert_eq!(t[1].text(), Some("echo: 你好"));
    let nonce = &peer.seen()[0].query["nonce"];
    assert!((9..=10).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_digit()));
}

fn open_safe(seen: &common::peer::Seen) -> (Fields, Vec<u8>) {
    let q = &seen.query;
    assert_eq!(q["encrypt_type"], "aes");
    assert!(verify_url_signature(TOKEN, &q["timestamp"], &q["nonce"], &q["signature"]));
    let outer = tree::from_xml(&seen.body).unwrap();
    let env = EncryptedEnvelope {
        encrypt: outer.text("Encrypt").unwrap(),
        timestamp: &q["timestamp"],
        nonce: &q["nonce"],
        msg_signature: &q["msg_signature"],
    };
    let plain = crypto().open(env).unwrap();
    (outer, plain)
}

#[tokio::test]
async fn safe_mode_encrypted_push_and_encrypted_reply() {
    let peer = Peer::start(|seen, _| {
        let (outer, plain) = open_safe(seen);
        let names: Vec<_> = outer.iter().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(names, ["ToUserName", "Encrypt"]);
        let inbound = inbound_of(&plain);
        let reply = text_reply_xml(&inbound, "secret hello");
        let sealed = crypto().seal(reply.as_bytes(), "1700000000", "42").unwrap();
        answer(200, sealed.to_xml())
    })
    .await;
    let sim = sim_for(account().with_url(&peer.url).with_mode(Mode::Safe, Some(AES_KEY))).await;
    let out = sim.user(APPID, USER).send_text("hi").await.unwrap();
    assert_eq!(out.reply_text(), Some("secret hello"), "{:?}", out.verdict);
}

#[tokio::test]
async fn safe_mode_rejects_plaintext_and_bad_signature() {
    let peer = Peer::start(|seen, i| {
        let (_, plain) = open_safe(seen);
        let inbound = inbound_of(&plain);
        let reply = text_reply_xml(&inbound, "x");
        if i == 0 {
            return answer(200, reply);
        }
        let mut sealed = crypto().seal(reply.as_bytes(), "1700000000", "42").unwrap();
        sealed.msg_signature = "0".repeat(40);
        answer(200, sealed.to_xml())
    })
    .await;
    let sim = sim_for(account().with_url(&peer.url).with_mode(Mode::Safe, Some(AES_KEY))).await;
    let user = sim.user(APPID, USER);
    for expected in ["plaintext answer in safe mode", "encrypted answer rejected"] {
        let out = user.send_text("hi").await.unwrap();
        assert!(matches!(&out.verdict, Verdict::Invalid(r) if r.contains(expected)), "{:?}", out.verdict);
        assert_eq!(out.attempts, 1, "an invalid answer is not retried");
    }
    let notices = user.transcript().iter().filter(|e| matches!(e.item, Item::SystemNotice { .. })).count();
    assert_eq!(notices, 2);
    assert_eq!(user.transcript()[1].text(), Some("该公众号暂时无法提供服务，请稍后再试"));
}

#[tokio::test]
async fn compatible_mode_has_both_forms_and_accepts_either_reply() {
    let peer = Peer::start(|seen, i| {
        let (outer, plain) = open_safe(seen);
        let inbound = inbound_of(&plain);
        assert_eq!(outer.text("Content"), inbound.text(), "plaintext fields beside Encrypt");
        let reply = text_reply_xml(&inbound, &format!("reply {i}"));
        if i == 0 {
            answer(200, reply)
        } else {
            answer(200, crypto().seal(reply.as_bytes(), "1700000000", "7").unwrap().to_xml())
        }
    })
    .await;
    let sim = sim_for(account().with_url(&peer.url).with_mode(Mode::Compatible, Some(AES_KEY))).await;
    let user = sim.user(APPID, USER);
    assert_eq!(user.send_text("a").await.unwrap().reply_text(), Some("reply 0"));
    assert_eq!(user.send_text("b").await.unwrap().reply_text(), Some("reply 1"));
}

#[tokio::test]
async fn cloud_hosting_json_push_headers_no_signature() {
    let peer = Peer::start(|seen, _| {
        assert!(seen.query.is_empty(), "no signature on Cloud Hosting pushes");
        assert_eq!(seen.headers["x-wx-source"], "wx_message_push");
        assert_eq!(seen.headers["x-wx-openid"], USER);
        assert_eq!(seen.headers["x-wx-appid"], APPID);
        assert_eq!(seen.headers["x-wx-env"], "prod-1");
        assert!(seen.body.starts_with(b"{"));
        let inbound = inbound_of(&seen.body);
        let reply = Reply::to(&inbound, inbound.create_time, ReplyBody::text("json hi"));
        answer(200, reply.to_json())
    })
    .await;
    let delivery = Delivery::CloudHosting { url: peer.url.clone(), env: "prod-1".into(), owner_appid: None };
    let sim = sim_for(account().with_delivery(delivery).with_format(DataFormat::Json)).await;
    let out = sim.user(APPID, USER).send_text("hi").await.unwrap();
    assert_eq!(out.reply_text(), Some("json hi"), "{:?}", out.verdict);
}

#[tokio::test]
async fn cloud_hosting_resource_reuse_headers() {
    let peer = Peer::start(|seen, _| {
        assert_eq!(seen.headers["x-wx-appid"], "wxowner000000000");
        assert_eq!(seen.headers["x-wx-from-appid"], APPID);
        assert_eq!(seen.headers["x-wx-from-openid"], USER);
        assert!(!seen.headers.contains_key("x-wx-openid"));
        answer(200, "success")
    })
    .await;
    let delivery =
        Delivery::CloudHosting { url: peer.url.clone(), env: "e".into(), owner_appid: Some("wxowner000000000".into()) };
    let sim = sim_for(account().with_delivery(delivery).with_format(DataFormat::Json)).await;
    assert_eq!(sim.user(APPID, USER).send_text("x").await.unwrap().verdict, Verdict::Nothing);
    assert_eq!(peer.seen().len(), 1);
}

#[tokio::test]
async fn url_verification_and_probe() {
    let echo = Peer::start(|seen, _| {
        if seen.method == "GET" {
            let q = &seen.query;
            let ok = verify_url_signature(TOKEN, &q["timestamp"], &q["nonce"], &q["signature"]);
            return answer(if ok { 200 } else { 403 }, q["echostr"].clone());
        }
        assert_eq!(seen.body, br#"{"action":"CheckContainerPath"}"#);
        answer(200, "success")
    })
    .await;
    let sim = sim_for(account().with_url(&echo.url).with_format(DataFormat::Json)).await;
    assert!(sim.verify_url(APPID).await.unwrap().ok);
    assert!(sim.probe(APPID).await.unwrap().ok);

    let wrong = Peer::start(|seen, _| match seen.method.as_str() {
        "GET" => answer(200, format!("{}\n", seen.query["echostr"])),
        _ => answer(404, ""),
    })
    .await;
    let sim = sim_for(account().with_url(&wrong.url)).await;
    assert!(!sim.verify_url(APPID).await.unwrap().ok, "a trailing newline fails verification");
    let probe = sim.probe(APPID).await.unwrap();
    assert!(!probe.ok && probe.status == 404);
}

#[tokio::test]
async fn push_opens_window_for_customer_service_and_media_download() {
    let peer = Peer::start(|_, _| answer(200, "success")).await;
    let sim = sim_for(account().with_url(&peer.url)).await;
    let user = sim.user(APPID, USER);
    let t = token(&sim).await;
    assert_eq!(errcode(&send_text(&sim, &t, USER, "before").await), 40003);
    user.click("MENU_A").await.unwrap();
    for _ in 0..3 {
        assert_eq!(errcode(&send_text(&sim, &t, USER, "menu").await), 0);
    }
    assert_eq!(errcode(&send_text(&sim, &t, USER, "menu").await), 45047);
    let out = user.send(UserAction::Image).await.unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "after image").await), 0);
    let media_id = out.fields.text("MediaId").unwrap();
    let url = format!("{}/cgi-bin/media/get?access_token={t}&media_id={media_id}", sim.base_url());
    let resp = http().get(url).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    user.send(UserAction::Unsubscribe).await.unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "gone").await), 45015);
    let waited = user.wait_for(Duration::from_secs(5), |t| t.iter().any(|e| e.text() == Some("after image"))).await;
    assert!(waited.is_ok());
    let c = sim.counters();
    assert_eq!((c.pushes, c.push_attempts), (3, 3));
}

#[tokio::test]
async fn mini_program_json_safe_push_envelope() {
    let peer = Peer::start(|seen, _| {
        let outer = tree::from_json(&seen.body).unwrap();
        let names: Vec<_> = outer.iter().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(names, ["ToUserName", "Encrypt"]);
        let q = &seen.query;
        let env = EncryptedEnvelope {
            encrypt: outer.text("Encrypt").unwrap(),
            timestamp: &q["timestamp"],
            nonce: &q["nonce"],
            msg_signature: &q["msg_signature"],
        };
        let inbound = inbound_of(&crypto().open(env).unwrap());
        assert_eq!(inbound.event_name(), Some("user_enter_tempsession"));
        let transfer = Reply::to(&inbound, 1, ReplyBody::TransferCustomerService { kf_account: None });
        answer(200, crypto().seal(transfer.to_json().as_bytes(), "1", "2").unwrap().to_json())
    })
    .await;
    let account = account()
        .with_url(&peer.url)
        .with_mode(Mode::Safe, Some(AES_KEY))
        .with_format(DataFormat::Json)
        .with_kind(wxgate_sim::AccountKind::MiniProgram);
    let sim = sim_for(account).await;
    let out = sim.user(APPID, USER).send(UserAction::EnterSession { session_from: "btn".into() }).await.unwrap();
    assert!(matches!(out.verdict, Verdict::Reply(_)), "{:?}", out.verdict);
    // Entering the session opens a 2-message window on a Mini Program.
    let t = token(&sim).await;
    assert_eq!(errcode(&send_text(&sim, &t, USER, "1").await), 0);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "2").await), 0);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "3").await), 45047);
}

#[tokio::test]
async fn signed_timestamp_follows_the_wall_clock_plus_skew() {
    let peer = Peer::start(|_, _| answer(200, "success")).await;
    let settings = wxgate_sim::Settings { push_timestamp_skew_secs: -600, ..fast_settings() };
    let sim = Simulator::builder().settings(settings).account(account().with_url(&peer.url)).start().await.unwrap();
    sim.clock().advance(Duration::from_secs(48 * 3600));
    let out = sim.user(APPID, USER).send_text("x").await.unwrap();
    let create_time: u64 = out.fields.text("CreateTime").unwrap().parse().unwrap();
    let signed: u64 = peer.seen()[0].query["timestamp"].parse().unwrap();
    // CreateTime is simulated time (48 h ahead); the signed timestamp is wall time minus 10 minutes.
    assert!(create_time >= signed + 48 * 3600 + 600 - 60, "{create_time} vs {signed}");
    assert!(create_time <= signed + 48 * 3600 + 600 + 2, "{create_time} vs {signed}");
}
