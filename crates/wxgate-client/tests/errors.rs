//! Typed errors and retries against the simulator: permanent platform refusals come back typed after one
//! request; `-1`, HTTP 5xx and dropped connections are retried with back-off up to the configured attempts.

mod common;

use common::*;
use wxgate_client::{ClientError, ErrCode, RetryClass};
use wxgate_sim::{Account, AccountKind, FaultKind, FaultRule, Interaction, Trigger};

const SEND: &str = "/cgi-bin/message/custom/send";

fn assert_permanent(err: &ClientError, code: ErrCode) {
    assert_eq!(err.errcode(), Some(code), "{err}");
    assert_eq!(err.retry_class(), RetryClass::Permanent);
    let text = err.to_string();
    assert!(text.contains(&code.code().to_string()) && text.contains(code.advice()), "{text}");
}

#[tokio::test]
async fn window_closed_is_45015() {
    let sim = sim().await;
    let c = client(&sim, None);
    sim.add_user(APPID, "oSilentUser00000000000000001").unwrap();
    let err = c.send_text("oSilentUser00000000000000001", "hi").await.unwrap_err();
    assert_permanent(&err, ErrCode::WindowClosed);
    assert_eq!(sim.counters().custom_send_requests, 1, "not retried");
}

#[tokio::test]
async fn the_sixth_message_is_45047() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oQuotaUser000000000000000001";
    user(&sim, APPID, u);
    for i in 0..5 {
        c.send_text(u, &format!("{i}")).await.unwrap();
    }
    let err = c.send_text(u, "sixth").await.unwrap_err();
    assert_permanent(&err, ErrCode::QuotaExhausted);
    assert_eq!(sim.counters().custom_send_requests, 6);
    // The user writes again: the quota is back.
    sim.record_interaction(APPID, u, Interaction::Message).unwrap();
    c.send_text(u, "sixth").await.unwrap();
}

#[tokio::test]
async fn text_over_2048_bytes_is_45002_and_split_text_goes_through() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oLongTextUser000000000000001";
    user(&sim, APPID, u);
    let long = "很长的回答。".repeat(120); // 18 bytes × 120 = 2160 bytes
    let err = c.send_text(u, &long).await.unwrap_err();
    assert_permanent(&err, ErrCode::ContentTooLong);
    let parts = wxgate_proto::text::split_trimmed(&long, 2048);
    assert_eq!(parts.len(), 2);
    for p in &parts {
        c.send_text(u, p).await.unwrap();
    }
    let texts: Vec<String> = sim.transcript(APPID, u).iter().filter_map(|e| e.text().map(str::to_owned)).collect();
    assert_eq!(texts.concat(), long);
}

#[tokio::test]
async fn an_unverified_subscription_account_gets_48001() {
    let sim = sim().await;
    let appid = "wx00000000000000aa";
    sim.add_account(
        Account::new(appid, "unverified-secret", "gh_aaaaaaaaaaaa", "t").with_kind(AccountKind::UnverifiedSubscription),
    )
    .unwrap();
    let c = client_with(&sim, config(&sim, appid, "unverified-secret"), None);
    user(&sim, appid, "oUnverifiedUser0000000000001");
    let err = c.send_text("oUnverifiedUser0000000000001", "hi").await.unwrap_err();
    assert_permanent(&err, ErrCode::ApiUnauthorized);
    let err = c.typing("oUnverifiedUser0000000000001", wxgate_proto::kf::TypingCommand::Typing).await.unwrap_err();
    assert_permanent(&err, ErrCode::ApiUnauthorized);
}

#[tokio::test]
async fn system_busy_is_retried_with_back_off() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oBusyUser0000000000000000001";
    user(&sim, APPID, u);
    sim.inject(FaultRule::new(SEND, FaultKind::Errcode(-1), Trigger::Count(2)));
    c.send_text(u, "eventually").await.unwrap();
    let n = sim.counters();
    assert_eq!((n.faults_injected, n.custom_sent), (2, 1), "two busy answers, then delivered once");
}

#[tokio::test]
async fn http_5xx_and_dropped_connections_are_retried() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oFlakyUser000000000000000001";
    user(&sim, APPID, u);
    sim.inject(FaultRule::new(SEND, FaultKind::HttpStatus(502), Trigger::Count(2)));
    c.send_text(u, "after 502").await.unwrap();
    sim.inject(FaultRule::new(SEND, FaultKind::Drop, Trigger::Count(1)));
    c.send_text(u, "after a drop").await.unwrap();
    let n = sim.counters();
    assert_eq!((n.faults_injected, n.custom_sent), (3, 2));
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts() {
    let sim = sim().await;
    let c = client(&sim, None); // 4 attempts
    let u = "oDownUser0000000000000000001";
    user(&sim, APPID, u);
    sim.inject(FaultRule::new(SEND, FaultKind::Errcode(-1), Trigger::Always));
    let err = c.send_text(u, "x").await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::SystemBusy));
    assert_eq!(err.retry_class(), RetryClass::Backoff, "still transient: the caller (outbox) may try later");
    assert_eq!(sim.counters().faults_injected, 4);

    sim.clear_faults();
    sim.inject(FaultRule::new(SEND, FaultKind::HttpStatus(503), Trigger::Always));
    let mut cfg = config(&sim, APPID, SECRET);
    cfg.retry.max_attempts = 2;
    let c2 = client_with(&sim, cfg, None);
    let err = c2.send_text(u, "x").await.unwrap_err();
    assert!(matches!(err, ClientError::HttpStatus(503)), "{err}");
    assert_eq!(sim.counters().faults_injected, 6);
}

#[tokio::test]
async fn a_token_endpoint_hiccup_is_retried_too() {
    let sim = sim().await;
    let c = client(&sim, None);
    sim.inject(FaultRule::new("/cgi-bin/stable_token", FaultKind::Errcode(-1), Trigger::Count(1)));
    let token = c.access_token().await.unwrap().unwrap();
    assert!(!token.token.is_empty());
    assert!(!format!("{token:?}").contains(&token.token), "Debug hides the token");
    assert_eq!(sim.counters().stable_token_requests, 1, "the busy answer came from the fault, then one real request");
}
