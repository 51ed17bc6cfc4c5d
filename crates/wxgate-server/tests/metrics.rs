//! `/metrics` and `/readyz` after a scenario against the simulated platform: two answers given passively, one slow
//! answer sent by customer service, and one dead letter (the user's window closed before the answer was ready).
//! The counters, the histogram's count and the outbox's gauges must say exactly that. The registry is the
//! process's, so this file's scenario uses an account name of its own and reads only its series.

mod common;

use std::time::Duration;

use common::*;
use prometheus_parse::{Scrape, Value};
use wxgate_server::Router;
use wxgate_server::router::Text;
use wxgate_sim::{Account, AccountKind, Item, Simulator};

const ACCOUNT: &str = "metrics-acct";

/// The value of the sample `name` whose labels include every pair of `labels` (0 when there is none).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => panic!("{name} is not a summary"),
        })
        .sum()
}

async fn scrape(server: &TestServer) -> Scrape {
    let resp = reqwest::get(format!("http://{}/metrics", server.addr)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

#[tokio::test]
async fn the_metrics_count_what_happened() {
    let sim = Simulator::builder().start().await.unwrap();
    let router = Router::new().on_text(|Text(t): Text| async move {
        if t != "fast" {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        format!("answer to {t}")
    });
    let cfg = format!(
        "[[accounts]]\nname = \"{ACCOUNT}\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\nsecret = \"s\"\n\
         api_base = \"{}\"\ndeadline = {{ budget_ms = 300, attempts = 1, strategy = \"customer_service\" }}\n",
        sim.base_url()
    );
    let (server, _store) = start_on_platform(&cfg, router).await;
    let account =
        Account::new(APPID, "s", GH, TOKEN).with_kind(AccountKind::VerifiedService).with_url(server.url("/wx"));
    sim.add_account(account).unwrap();
    sim.add_user(APPID, USER).unwrap();
    let user = sim.user(APPID, USER);

    let ready = reqwest::get(format!("http://{}/readyz", server.addr)).await.unwrap();
    assert_eq!((ready.status().as_u16(), ready.text().await.unwrap()), (200, "ready".to_owned()));

    // Two fast answers, given passively.
    for _ in 0..2 {
        let outcome = user.send_text("fast").await.unwrap();
        assert!(matches!(outcome.verdict, wxgate_sim::Verdict::Reply(_)), "{:?}", outcome.verdict);
    }
    // A slow one: `success` now, the answer by customer service.
    user.send_text("slow").await.unwrap();
    let is_cs = |e: &wxgate_sim::Entry| matches!(e.item, Item::CustomerService { .. });
    user.wait_for(Duration::from_secs(20), |t| t.iter().any(is_cs)).await.unwrap();
    // A slow one whose user's window closes (two days pass on the platform) before the answer is ready.
    user.send_text("too late").await.unwrap();
    sim.clock().advance(Duration::from_secs(49 * 3600));
    let mut m = scrape(&server).await;
    for _ in 0..100 {
        if value(&m, "wxgate_dead_letters_total", &[("account", ACCOUNT)]) >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        m = scrape(&server).await;
    }

    let acct = ("account", ACCOUNT);
    let pushes = |outcome| {
        value(&m, "wxgate_pushes_total", &[acct, ("delivery", "classic"), ("mode", "plain"), ("outcome", outcome)])
    };
    assert_eq!(pushes("passive"), 2.0);
    assert_eq!(pushes("handed_off"), 2.0);
    assert_eq!(pushes("success"), 0.0);
    assert_eq!(value(&m, "wxgate_push_attempts_total", &[acct, ("attempt", "1")]), 4.0);
    assert_eq!(value(&m, "wxgate_retries_joined_total", &[acct]), 0.0);
    assert_eq!(value(&m, "wxgate_handler_runs_total", &[acct]), 4.0);
    assert_eq!(value(&m, "wxgate_answer_seconds", &[acct]), 4.0, "one observation per push");
    assert_eq!(value(&m, "wxgate_answers_total", &[acct, ("route", "passive")]), 2.0);
    assert_eq!(value(&m, "wxgate_answers_total", &[acct, ("route", "customer_service")]), 2.0);
    assert_eq!(value(&m, "wxgate_sends_total", &[acct, ("errcode", "0")]), 1.0, "one message reached the phone");
    assert_eq!(value(&m, "wxgate_dead_letters_total", &[acct]), 1.0);
    assert_eq!(value(&m, "wxgate_outbox_jobs", &[("state", "dead")]), 1.0);
    assert_eq!(value(&m, "wxgate_outbox_jobs", &[("state", "ready")]), 0.0);
    assert!(value(&m, "wxgate_typing_calls_total", &[acct]) >= 2.0, "typing shown for the slow answers");
    assert!(value(&m, "wxgate_store_op_seconds", &[("op", "accept")]) >= 2.0);
    // One token; a second if a call (typing) came after two days had passed on the platform.
    let refreshed = value(&m, "wxgate_token_refreshes_total", &[acct, ("source", "platform")]);
    assert!((1.0..=2.0).contains(&refreshed), "{refreshed}");
    let shown = sim.transcript(APPID, USER).iter().filter(|e| is_cs(e)).count();
    assert_eq!(shown, 1);
}

#[tokio::test]
async fn refusals_are_counted_by_status() {
    let server = start(&account_toml(""), Router::new()).await;
    let before = value(&scrape(&server).await, "wxgate_refusals_total", &[("status", "401")]);
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let url = server.url("/wx?signature=0&timestamp=1&nonce=1");
        assert_eq!(http.post(url).body("<xml/>").send().await.unwrap().status(), 401);
    }
    let after = value(&scrape(&server).await, "wxgate_refusals_total", &[("status", "401")]);
    assert!(after - before >= 3.0, "{before} → {after}");
}

/// Model calls are counted with their latency and the tokens the API reports, streamed or not (the fake model
/// counts a token per character: the answer `echo: hello (turn 1)` is 20).
#[tokio::test]
async fn model_calls_and_their_tokens_are_counted() {
    let model = wxgate_llm::fake::FakeModel::start().await.unwrap();
    for stream in [false, true] {
        let name = format!("metrics-model-{stream}");
        let cfg = format!(
            "[[accounts]]\nname = \"{name}\"\npath = \"/wx\"\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\n\
             [accounts.llm]\nbase_url = \"{}\"\nmodel = \"fake\"\nstream = {stream}\n",
            model.base_url()
        );
        let server = start(&cfg, Router::new()).await;
        let sent = server.push(&text_xml("hello", fresh_id()), Mode::Plain).await;
        assert!(sent.body.contains("echo: hello (turn 1)"), "{}", sent.body);
        let m = scrape(&server).await;
        let acct = ("account", name.as_str());
        assert_eq!(value(&m, "wxgate_model_calls_total", &[acct, ("outcome", "ok")]), 1.0);
        assert_eq!(value(&m, "wxgate_model_call_seconds", &[acct]), 1.0);
        assert_eq!(value(&m, "wxgate_model_tokens_total", &[acct, ("direction", "out")]), 20.0, "stream {stream}");
        assert!(value(&m, "wxgate_model_tokens_total", &[acct, ("direction", "in")]) >= 5.0, "stream {stream}");
    }
}
