//! Dead letters and the platform's rules, against the simulated platform through the real client: a closed
//! 48-hour window (45015), an account without customer-service permission (48001, and the `auto` fallback), and
//! answers beyond the quota waiting for the user's next message instead of meeting 45047.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wxgate_proto::ReplyBody;
use wxgate_proto::reply::Article;
use wxgate_server::Router;
use wxgate_server::router::Text;
use wxgate_sim::{Account, AccountKind, Item, Simulator};
use wxgate_store::{JobState, OutboxStore};

struct Setup {
    sim: Simulator,
    store: Arc<dyn OutboxStore>,
    _server: TestServer,
}

/// A gateway whose handler answers after `delay_ms` (late: the last attempt hands off at once), and a simulator
/// account of `kind` pushing to it.
async fn setup(kind: AccountKind, strategy: &str, delay_ms: u64) -> Setup {
    let sim = Simulator::builder().start().await.unwrap();
    let router = Router::new().on_text(move |Text(t): Text| async move {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        if t == "long" {
            return (0..7).map(|i| format!("段落{i}：{}", "长".repeat(600))).collect::<Vec<_>>().join("\n\n");
        }
        format!("answer to {t}")
    });
    // A menu button answered with five articles: five customer-service messages (one article each).
    let router = router.on_click("NEWS", move || async move {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let article = |i: usize| Article {
            title: format!("第{i}篇"),
            url: format!("https://example.com/{i}"),
            ..Article::default()
        };
        ReplyBody::News { articles: (1..=5).map(article).collect() }
    });
    let cfg = format!(
        "[[accounts]]\nname = \"acct\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\nsecret = \"s\"\n\
         api_base = \"{}\"\ndeadline = {{ budget_ms = 100, attempts = 1, strategy = \"{strategy}\" }}\n",
        sim.base_url()
    );
    let (server, store) = start_on_platform(&cfg, router).await;
    let account = Account::new(APPID, "s", GH, TOKEN).with_kind(kind).with_url(format!("http://{}/wx", server.addr));
    sim.add_account(account).unwrap();
    sim.add_user(APPID, USER).unwrap();
    Setup { sim, store, _server: server }
}

async fn dead(store: &Arc<dyn OutboxStore>) -> Vec<wxgate_store::Job> {
    for _ in 0..100 {
        let dead = store.list(JobState::Dead, 10).await.unwrap();
        if !dead.is_empty() {
            return dead;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn a_closed_window_is_a_dead_letter_with_45015() {
    let s = setup(AccountKind::VerifiedService, "customer_service", 1500).await;
    s.sim.user(APPID, USER).send_text("hello").await.unwrap();
    // Two days pass on the platform before the answer is ready.
    s.sim.clock().advance(Duration::from_secs(49 * 3600));
    let dead = dead(&s.store).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap_or("").starts_with("45015"), "{:?}", dead[0].last_error);
    let shown = s.sim.transcript(APPID, USER);
    assert!(!shown.iter().any(|e| matches!(e.item, Item::CustomerService { .. })), "nothing reached the phone");
}

#[tokio::test]
async fn no_permission_is_a_dead_letter_with_48001() {
    let s = setup(AccountKind::UnverifiedSubscription, "customer_service", 300).await;
    s.sim.user(APPID, USER).send_text("hello").await.unwrap();
    let dead = dead(&s.store).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].last_error.as_deref().unwrap_or("").starts_with("48001"), "{:?}", dead[0].last_error);
}

#[tokio::test]
async fn auto_falls_back_to_passive_on_48001() {
    let s = setup(AccountKind::UnverifiedSubscription, "auto", 300).await;
    let user = s.sim.user(APPID, USER);
    user.send_text("first").await.unwrap();
    for _ in 0..100 {
        if !s.store.list(JobState::Done, 10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let next = user.send_text("second").await.unwrap();
    assert_eq!(next.reply_text(), Some("answer to first"), "the refused answer comes with the next message");
    assert!(s.store.list(JobState::Dead, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn answers_beyond_the_quota_wait_for_the_next_message() {
    let s = setup(AccountKind::VerifiedService, "customer_service", 300).await;
    let user = s.sim.user(APPID, USER);
    // "long" is answered with seven parts' worth of text; one message allows five sends.
    user.send_text("long").await.unwrap();
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    let shown = user.wait_for(Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= 5).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cs: Vec<String> =
        user.transcript().iter().filter(|e| is_cs(e)).filter_map(|e| e.text().map(str::to_owned)).collect();
    assert_eq!(cs.len(), 5, "never past the quota: {}", shown.len());
    assert!(cs[4].ends_with(wxgate_server::CONTINUE_HINT));
    assert!(s.store.list(JobState::Dead, 10).await.unwrap().is_empty(), "the platform never answered 45047");
    // The next message reopens the window and the rest follows.
    user.send_text("next").await.unwrap();
    let all = user.wait_for(Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= 8).await.unwrap();
    let parts: Vec<String> = all.iter().filter(|e| is_cs(e)).filter_map(|e| e.text().map(str::to_owned)).collect();
    assert!(parts[5].starts_with("段落"), "the rest continues where it stopped: {}", &parts[5][..20]);
}

#[tokio::test]
async fn passive_only_gives_the_parked_answer_on_the_next_message() {
    let s = setup(AccountKind::UnverifiedSubscription, "passive_only", 300).await;
    let user = s.sim.user(APPID, USER);
    let first = user.send_text("question").await.unwrap();
    assert_eq!(first.reply_text(), Some("正在处理，请稍后发送任意消息获取结果"), "the placeholder");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let next = user.send_text("anything").await.unwrap();
    assert_eq!(next.reply_text(), Some("answer to question"));
    assert!(
        !user.transcript().iter().any(|e| matches!(e.item, Item::CustomerService { .. } | Item::SystemNotice { .. }))
    );
}

#[tokio::test]
async fn each_article_of_a_news_answer_counts_against_the_quota() {
    let s = setup(AccountKind::VerifiedService, "customer_service", 300).await;
    let user = s.sim.user(APPID, USER);
    // A menu click allows three sends within a minute; the answer has five articles.
    user.click("NEWS").await.unwrap();
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    user.wait_for(Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= 3).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(user.transcript().iter().filter(|e| is_cs(e)).count(), 3, "three articles, three sends");
    assert!(s.store.list(JobState::Dead, 10).await.unwrap().is_empty(), "the platform never answered 45047");
    assert_eq!(s.store.list(JobState::Sleeping, 10).await.unwrap().len(), 1, "the rest waits for the user");
    // The next message opens a new window: the last two articles follow, once each.
    user.send_text("next").await.unwrap();
    let all = user.wait_for(Duration::from_secs(15), |t| t.iter().filter(|e| is_cs(e)).count() >= 6).await.unwrap();
    let titles: Vec<String> = all
        .iter()
        .filter_map(|e| match &e.item {
            Item::CustomerService { msg_type, body, .. } if msg_type == "news" => {
                Some(body["news"]["articles"][0]["title"].as_str().unwrap_or_default().to_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(titles, ["第1篇", "第2篇", "第3篇", "第4篇", "第5篇"], "every article exactly once, in order");
}
