//! Answers sent actively for an Official Account: a rule's `send = [...]` delivers each customer-service message
//! in order instead of a passive reply; a card event in WeChat's pretty-printed XML reaches its rule.

mod common;

use std::time::Duration;

use common::*;
use wxgate_proto::{Format, Reply, ReplyBody};
use wxgate_server::Router;
use wxgate_sim::{Account, Item, Simulator, Verdict};

#[tokio::test]
async fn a_rule_sends_a_text_then_a_link_in_order() {
    let sim = Simulator::builder().start().await.unwrap();
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\nsecret = \"s\"\n\
         api_base = \"{}\"\n[[accounts.rules]]\nkeyword = \"新闻\"\nsend = [\n\
           {{ type = \"text\", content = \"今天的新闻，{{openid}}：\" }},\n\
           {{ type = \"link\", title = \"头条\", description = \"摘要\", url = \"https://example.com/1\", thumb_url = \"https://example.com/1.jpg\" }},\n]\n",
        sim.base_url()
    );
    let (server, _store) = start_on_platform(&cfg, Router::new()).await;
    sim.add_account(Account::new(APPID, "s", GH, TOKEN).with_url(format!("http://{}/wx", server.addr))).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let user = sim.user(APPID, USER);
    let outcome = user.send_text("新闻").await.unwrap();
    assert!(matches!(outcome.verdict, Verdict::Nothing), "answered success, not passively: {:?}", outcome.verdict);
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let shown = user.wait_for(Duration::from_secs(10), |t| t.iter().filter(|e| is_cs(e)).count() >= 2).await.unwrap();
    let sent: Vec<(String, serde_json::Value)> = shown
        .iter()
        .filter_map(|e| match &e.item {
            Item::CustomerService { msg_type, body, .. } => Some((msg_type.clone(), body.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(sent[0].0, "text");
    assert_eq!(sent[0].1["text"]["content"], format!("今天的新闻，{USER}："), "placeholders are filled");
    assert_eq!(sent[1].0, "link");
    assert_eq!(sent[1].1["link"]["url"], "https://example.com/1");
    assert_eq!(sent.len(), 2);
}

#[tokio::test]
async fn a_card_event_with_whitespace_around_cdata_reaches_its_rule() {
    let cfg = format!(
        "[[accounts]]\npath = \"/wx\"\ntoken = \"{TOKEN}\"\n[[accounts.rules]]\nevent = \"user_get_card\"\n\
         reply = {{ type = \"text\", content = \"卡券已领取：{{openid}}\" }}\n"
    );
    let s = start(&cfg, Router::new()).await;
    let card = std::fs::read_to_string(format!(
        "{}/../wxgate-proto/tests/fixtures/xml/event_user_get_card.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let sent = s.push(&card, Mode::Plain).await;
    let reply = Reply::decode(sent.body.as_bytes(), Format::Xml).expect("a passive reply");
    assert_eq!(reply.body, ReplyBody::text("卡券已领取：oZI8Fj040-be6rlDohc6gkoPOQTQ"));
    assert_eq!(reply.to_user, "oZI8Fj040-be6rlDohc6gkoPOQTQ", "the sender without the spaces around its CDATA");
}
