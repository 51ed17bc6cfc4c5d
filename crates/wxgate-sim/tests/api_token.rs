//! Token endpoints: classic overlap, expiry, quota, credentials, IP allow-list, stable tokens.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use wxgate_sim::{AccountKind, Interaction, Settings, Simulator};

async fn sim_with(settings: Settings, account: wxgate_sim::Account) -> Simulator {
    let sim = Simulator::builder().settings(settings).account(account).start().await.unwrap();
    sim.add_user(APPID, USER).unwrap();
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    sim
}

#[tokio::test]
async fn classic_token_overlap_then_old_token_rejected() {
    let sim = sim_with(Settings::default(), account()).await;
    let first = token(&sim).await;
    assert!(first.len() >= 64);
    assert_eq!(errcode(&send_text(&sim, &first, USER, "a").await), 0);
    let second = token(&sim).await;
    assert_ne!(first, second);
    // Both valid during the 5-minute overlap.
    assert_eq!(errcode(&send_text(&sim, &first, USER, "b").await), 0);
    sim.clock().advance(Duration::from_secs(301));
    let v = send_text(&sim, &first, USER, "c").await;
    assert_eq!(errcode(&v), 40001, "{v}");
    assert!(v["errmsg"].as_str().unwrap().contains(" rid: "), "{v}");
    assert_eq!(errcode(&send_text(&sim, &second, USER, "d").await), 0);
    // Expiry.
    sim.clock().advance(Duration::from_secs(7200));
    assert_eq!(errcode(&send_text(&sim, &second, USER, "e").await), 42001);
    let c = sim.counters();
    assert_eq!((c.token_requests, c.tokens_issued, c.custom_sent), (2, 2, 3));
}

#[tokio::test]
async fn token_errors_missing_malformed_credentials() {
    let sim = sim_with(Settings::default(), account()).await;
    let base = sim.base_url();
    let bad_secret =
        get_json(&format!("{base}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret=nope")).await;
    assert_eq!(errcode(&bad_secret), 40001);
    let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": "nope"});
    assert_eq!(errcode(&post_json(&format!("{base}/cgi-bin/stable_token"), &body).await), 40125);
    let bad_appid = get_json(&format!("{base}/cgi-bin/token?grant_type=client_credential&appid=wxnope&secret=x")).await;
    assert_eq!(errcode(&bad_appid), 40013);
    let bad_grant = get_json(&format!("{base}/cgi-bin/token?grant_type=x&appid={APPID}&secret={SECRET}")).await;
    assert_eq!(errcode(&bad_grant), 40002);
    let missing = post_json(&format!("{base}/cgi-bin/message/custom/send"), &json!({})).await;
    assert_eq!(errcode(&missing), 41001);
    assert_eq!(errcode(&send_text(&sim, "bad token!", USER, "x").await), 40014);
    assert_eq!(errcode(&send_text(&sim, &"A".repeat(100), USER, "x").await), 40001);
}

#[tokio::test]
async fn ip_allow_list_and_daily_quota() {
    let sim = sim_with(Settings::default(), account().with_ip_allow_list(&["10.1.2.3"])).await;
    let url = format!("{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}", sim.base_url());
    assert_eq!(errcode(&get_json(&url).await), 40164);
    let allowed = sim_with(Settings::default(), account().with_ip_allow_list(&["127.0.0.1"])).await;
    token(&allowed).await;

    let settings = Settings { test_account_token_daily_quota: 2, ..Settings::default() };
    let sim = sim_with(settings, account_of(AccountKind::TestAccount)).await;
    token(&sim).await;
    token(&sim).await;
    let url = format!("{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}", sim.base_url());
    assert_eq!(errcode(&get_json(&url).await), 45009);
    sim.clock().advance(Duration::from_secs(86_400));
    token(&sim).await;
}

#[tokio::test]
async fn stable_token_same_until_renewal_and_force_refresh() {
    let sim = sim_with(Settings::default(), account()).await;
    let url = format!("{}/cgi-bin/stable_token", sim.base_url());
    let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET});
    let a = post_json(&url, &body).await;
    let b = post_json(&url, &body).await;
    assert_eq!(a["access_token"], b["access_token"]);
    let a_tok = a["access_token"].as_str().unwrap().to_owned();
    // Isolated from the classic token: a classic call does not touch it.
    token(&sim).await;
    assert_eq!(errcode(&send_text(&sim, &a_tok, USER, "x").await), 0);
    // In the last 5 minutes a normal call renews; the old one stays valid until its expiry.
    sim.clock().advance(Duration::from_secs(7200 - 200));
    let c = post_json(&url, &body).await;
    assert_ne!(c["access_token"], a["access_token"]);
    assert_eq!(errcode(&send_text(&sim, &a_tok, USER, "y").await), 0);
    // Forced refresh: new token, old invalid at once; a second force within 30 s returns the same.
    let force = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": true});
    let d = post_json(&url, &force).await;
    let c_tok = c["access_token"].as_str().unwrap();
    assert_ne!(d["access_token"], c["access_token"]);
    sim.record_interaction(APPID, USER, Interaction::Message).unwrap();
    assert_eq!(errcode(&send_text(&sim, c_tok, USER, "z").await), 40001);
    let e = post_json(&url, &force).await;
    assert_eq!(e["access_token"], d["access_token"]);
    let bad = post_json(&url, &json!({"grant_type": "client_credential", "appid": APPID, "secret": "no"})).await;
    assert_eq!(errcode(&bad), 40125, "stable_token names a wrong secret");
    assert_eq!(sim.counters().stable_token_requests, 6);
}

#[tokio::test]
async fn stable_force_refresh_daily_limit() {
    let settings = Settings { stable_force_daily_quota: 2, ..Settings::default() };
    let sim = sim_with(settings, account()).await;
    let url = format!("{}/cgi-bin/stable_token", sim.base_url());
    let force = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": true});
    for _ in 0..2 {
        assert!(post_json(&url, &force).await["access_token"].is_string());
        sim.clock().advance(Duration::from_secs(31));
    }
    assert_eq!(errcode(&post_json(&url, &force).await), 45009);
}
