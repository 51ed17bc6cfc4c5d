//! Customer-service send and typing: window and quota, body rules, account kinds, typing rules, token-free mode.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use wxgate_sim::{AccountKind, Interaction, Item, Simulator};

async fn sim_of(kind: AccountKind) -> (Simulator, String) {
    let sim = Simulator::builder().account(account_of(kind)).start().await.unwrap();
    sim.add_user(APPID, USER).unwrap();
    let t = token(&sim).await;
    (sim, t)
}

async fn send(sim: &Simulator, token: &str, body: Value) -> i64 {
    let url = format!("{}/cgi-bin/message/custom/send?access_token={token}", sim.base_url());
    errcode(&post_json(&url, &body).await)
}

#[tokio::test]
async fn window_and_quota_after_user_message() {
    let (sim, t) = sim_of(AccountKind::VerifiedService).await;
    assert_eq!(errcode(&send_text(&sim, &t, USER, "before").await), 45015);
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    for i in 0..5 {
        assert_eq!(errcode(&send_text(&sim, &t, USER, &format!("m{i}")).await), 0);
    }
    assert_eq!(errcode(&send_text(&sim, &t, USER, "sixth").await), 45047);
    // A new message resets the quota; 48 h later the window is closed.
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "again").await), 0);
    sim.clock().advance(Duration::from_secs(48 * 3600));
    let t = token(&sim).await;
    assert_eq!(errcode(&send_text(&sim, &t, USER, "late").await), 45015);
    let texts: Vec<_> = sim.transcript(APPID, USER).iter().filter_map(|e| e.text().map(str::to_owned)).collect();
    assert_eq!(texts, ["m0", "m1", "m2", "m3", "m4", "again"]);
    assert!(matches!(sim.transcript(APPID, USER)[0].item, Item::CustomerService { .. }));
}

#[tokio::test]
async fn menu_click_window_is_three_within_a_minute() {
    let (sim, t) = sim_of(AccountKind::VerifiedService).await;
    sim.record_interaction(APPID, USER, Interaction::MenuClick).unwrap();
    for _ in 0..3 {
        assert_eq!(errcode(&send_text(&sim, &t, USER, "x").await), 0);
    }
    assert_eq!(errcode(&send_text(&sim, &t, USER, "x").await), 45047);
    sim.record_interaction(APPID, USER, Interaction::Subscribe).unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "x").await), 0);
    sim.clock().advance(Duration::from_secs(61));
    assert_eq!(errcode(&send_text(&sim, &t, USER, "x").await), 45015);
}

#[tokio::test]
async fn body_rules_per_msgtype() {
    let (sim, t) = sim_of(AccountKind::VerifiedService).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let long = "字".repeat(683); // 2049 bytes
    assert_eq!(errcode(&send_text(&sim, &t, USER, &long).await), 45002);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "").await), 44004);
    let article = json!({"title": "t", "description": "d", "url": "http://x", "picurl": "http://p"});
    let two = json!({"touser": USER, "msgtype": "news", "news": {"articles": [article, article]}});
    assert_eq!(send(&sim, &t, two).await, 45008);
    let img = json!({"touser": USER, "msgtype": "image", "image": {"media_id": "unknown"}});
    assert_eq!(send(&sim, &t, img).await, 40007);
    let bogus = json!({"touser": USER, "msgtype": "hologram", "hologram": {}});
    assert_eq!(send(&sim, &t, bogus).await, 40008);
    let stranger = json!({"touser": "oStranger", "msgtype": "text", "text": {"content": "x"}});
    assert_eq!(send(&sim, &t, stranger).await, 40003);
    let menu = json!({"touser": USER, "msgtype": "msgmenu", "msgmenu": {"head_content": "h",
        "list": [{"id": "101", "content": "满意"}], "tail_content": "t"}});
    assert_eq!(send(&sim, &t, menu).await, 0);
    let one = json!({"touser": USER, "msgtype": "news", "news": {"articles": [article]}});
    assert_eq!(send(&sim, &t, one).await, 0);
    let url = format!("{}/cgi-bin/message/custom/send?access_token={t}", sim.base_url());
    let raw = http().post(&url).body("not json").send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(errcode(&raw), 47001);
    assert_eq!(sim.counters().custom_sent, 2);
}

#[tokio::test]
async fn account_kinds_gate_sending() {
    let (sim, t) = sim_of(AccountKind::UnverifiedSubscription).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "x").await), 48001);

    let (sim, t) = sim_of(AccountKind::TestAccount).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let menu = json!({"touser": USER, "msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1", "content": "a"}]}});
    assert_eq!(send(&sim, &t, menu).await, 40008);

    let (sim, t) = sim_of(AccountKind::MiniProgram).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let voice = json!({"touser": USER, "msgtype": "voice", "voice": {"media_id": "x"}});
    assert_eq!(send(&sim, &t, voice).await, 40008);
    let link = json!({"touser": USER, "msgtype": "link", "link": {"title": "t", "description": "d", "url": "http://u",
        "thumb_url": "http://t"}});
    assert_eq!(send(&sim, &t, link).await, 0);
    // Mini Program: entering the session allows 2 within a minute; follow opens nothing.
    sim.record_interaction(APPID, USER, Interaction::EnterSession).unwrap();
    assert_eq!(errcode(&send_text(&sim, &t, USER, "1").await), 0);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "2").await), 0);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "3").await), 45047);
}

#[tokio::test]
async fn typing_rules() {
    let (sim, t) = sim_of(AccountKind::VerifiedService).await;
    let url = format!("{}/cgi-bin/message/custom/typing?access_token={t}", sim.base_url());
    let typing = json!({"touser": USER, "command": "Typing"});
    assert_eq!(errcode(&post_json(&url, &typing).await), 45080);
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    assert_eq!(errcode(&post_json(&url, &typing).await), 0);
    assert_eq!(errcode(&post_json(&url, &typing).await), 45081);
    assert_eq!(errcode(&post_json(&url, &json!({"touser": USER, "command": "Dance"})).await), 45072);
    // Sending a message cancels typing, so Typing may be sent again.
    assert_eq!(errcode(&send_text(&sim, &t, USER, "hi").await), 0);
    assert_eq!(errcode(&post_json(&url, &typing).await), 0);
    // Typing lasts 15 s.
    sim.clock().advance(Duration::from_secs(16));
    assert_eq!(errcode(&post_json(&url, &typing).await), 0);
    // More than 30 s after the interaction.
    sim.clock().advance(Duration::from_secs(15));
    assert_eq!(errcode(&post_json(&url, &typing).await), 45080);
    let kinds: Vec<_> = sim
        .transcript(APPID, USER)
        .iter()
        .map(|e| match &e.item {
            Item::Typing { on } => format!("typing:{on}"),
            Item::CustomerService { text, .. } => format!("cs:{}", text.clone().unwrap_or_default()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["typing:true", "typing:false", "cs:hi", "typing:true", "typing:true"]);
}

#[tokio::test]
async fn cloud_hosting_token_free_calls() {
    let other = "wx00000000000000ff";
    let sim = Simulator::builder()
        .account(account().with_token_free(true))
        .account(wxgate_sim::Account::new(other, "s2", "gh_ff", "t2").with_token_free(true))
        .start()
        .await
        .unwrap();
    for appid in [APPID, other] {
        sim.add_user(appid, USER).unwrap();
        sim.record_interaction(appid, USER, Interaction::Message).unwrap();
    }
    let body = json!({"touser": USER, "msgtype": "text", "text": {"content": "free"}});
    let resp = http().post(format!("{}/cgi-bin/message/custom/send", sim.base_url())).json(&body).send().await.unwrap();
    assert!(resp.headers().contains_key("x-openapi-seqid"));
    assert_eq!(errcode(&resp.json::<Value>().await.unwrap()), 0);
    let url = format!("{}/cgi-bin/message/custom/send?from_appid={other}", sim.base_url());
    assert_eq!(errcode(&post_json(&url, &body).await), 0);
    assert_eq!(sim.transcript(APPID, USER).len(), 1);
    assert_eq!(sim.transcript(other, USER).len(), 1);
}

#[tokio::test]
async fn unicode_escapes_are_rejected_with_40033() {
    let (sim, t) = sim_of(AccountKind::VerifiedService).await;
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    let url = format!("{}/cgi-bin/message/custom/send?access_token={t}", sim.base_url());
    let escaped = format!(r#"{{"touser":"{USER}","msgtype":"text","text":{{"content":"\u4f60\u597d"}}}}"#);
    let v: Value = http().post(&url).body(escaped).send().await.unwrap().json().await.unwrap();
    assert_eq!(errcode(&v), 40033);
    assert_eq!(errcode(&send_text(&sim, &t, USER, "你好").await), 0);
}
