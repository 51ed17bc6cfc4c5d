//! Access tokens against the simulator: single-flight inside a process, one token shared by two clients on one
//! SQLite store, refresh before expiry, and invalidate-refresh-replay on 40001 with compare-and-invalidate.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wxgate_client::{ClientError, ErrCode, TokenEndpoint, TokenSource};
use wxgate_sim::{FaultKind, FaultRule, Trigger};
use wxgate_store::TokenStore;
use wxgate_store::memory::MemoryStore;
use wxgate_store_sqlite::{Durability, SqliteStore};

const SEND: &str = "/cgi-bin/message/custom/send";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_sends_cause_one_token_request() {
    let sim = sim().await;
    let c = client(&sim, None);
    let users: Vec<String> = (0..20).map(|i| format!("oSingleFlightUser{i:011}")).collect();
    for u in &users {
        user(&sim, APPID, u);
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (c, u) = (c.clone(), users[i % users.len()].clone());
        tasks.push(tokio::spawn(async move { c.send_text(&u, &format!("message {i}")).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let n = sim.counters();
    assert_eq!(n.stable_token_requests + n.token_requests, 1, "one refresh for 100 callers");
    assert_eq!(n.custom_sent, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_on_one_sqlite_file_share_one_token() {
    let sim = sim().await;
    let dir = std::env::temp_dir().join(format!("wxgate-client-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tokens.sqlite");
    // Two store instances on one file: what two processes would have.
    let a = client(&sim, Some(Arc::new(SqliteStore::open(&path, Durability::Normal).unwrap())));
    let b = client(&sim, Some(Arc::new(SqliteStore::open(&path, Durability::Normal).unwrap())));
    let users: Vec<String> = (0..8).map(|i| format!("oSharedStoreUser{i:012}")).collect();
    for u in &users {
        user(&sim, APPID, u);
    }
    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        let u = u.clone();
        tasks.push(tokio::spawn(async move { c.send_text(&u, "hello").await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let n = sim.counters();
    assert_eq!(n.stable_token_requests + n.token_requests, 1, "the second client used the stored token");
    assert_eq!(n.custom_sent, 8);
    // A third instance (a restarted process) finds the token in the file.
    let c = client(&sim, Some(Arc::new(SqliteStore::open(&path, Durability::Normal).unwrap())));
    assert_eq!(c.access_token().await.unwrap().unwrap().source, TokenSource::Store);
    assert_eq!(sim.counters().stable_token_requests, 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    let sim = sim().await;
    let c = client(&sim, None);
    let first = c.access_token().await.unwrap().unwrap();
    assert_eq!(first.source, TokenSource::Platform);
    assert_eq!(c.access_token().await.unwrap().unwrap().source, TokenSource::Memory);
    let debug = format!("{c:?}");
    assert!(!debug.contains(&first.token) && !debug.contains(SECRET), "Debug shows neither token nor secret");
    // 7200 s life, 300 s margin: one second into the margin the client refreshes on its own.
    sim.clock().advance(Duration::from_secs(7200 - 300 + 1));
    let second = c.access_token().await.unwrap().unwrap();
    assert_eq!(second.source, TokenSource::Platform);
    assert_ne!(second.token, first.token, "the stable endpoint hands out the next token in its last 5 minutes");
    assert_eq!(sim.counters().stable_token_requests, 2);
}

/// Classic tokens: a third party fetches a token, so after the 5-minute overlap ours answers 40001. Two clients
/// share a store; the first to see 40001 invalidates and refreshes; the second's invalidation of the same old
/// token finds the newer one in the store and keeps it (compare-and-invalidate), so it refreshes from the store.
#[tokio::test]
async fn replay_after_40001_invalidates_only_the_token_used() {
    let sim = sim().await;
    let classic = || config(&sim, APPID, SECRET).token_endpoint(TokenEndpoint::Classic);
    let shared: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let x = client_with(&sim, classic(), Some(shared.clone()));
    let y = client_with(&sim, classic(), Some(shared.clone()));
    let u = "oReplayUser00000000000000001";
    user(&sim, APPID, u);
    x.send_text(u, "1").await.unwrap();
    y.send_text(u, "2").await.unwrap();
    assert_eq!(sim.counters().token_requests, 1, "y took x's token from the store");

    let other = client_with(&sim, classic(), None);
    other.access_token().await.unwrap();
    assert_eq!(sim.counters().token_requests, 2);
    sim.clock().advance(Duration::from_secs(6 * 60));

    sim.record_interaction(APPID, u, wxgate_sim::Interaction::Message).unwrap();
    x.send_text(u, "3").await.unwrap();
    assert_eq!(sim.counters().token_requests, 3, "x refreshed once");
    y.send_text(u, "4").await.unwrap();
    let n = sim.counters();
    assert_eq!(n.token_requests, 3, "y's invalidation did not throw away x's new token");
    assert_eq!(n.custom_send_requests, 6, "two first sends, two rejected and two replayed");
    assert_eq!(n.custom_sent, 4);
    let texts: Vec<String> = sim.transcript(APPID, u).iter().filter_map(|e| e.text().map(str::to_owned)).collect();
    assert_eq!(texts, ["1", "2", "3", "4"], "each message delivered exactly once");
}

#[tokio::test]
async fn an_injected_40001_is_replayed_once_with_a_rebuilt_request() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oInjectedUser000000000000001";
    user(&sim, APPID, u);
    c.send_text(u, "warm up").await.unwrap();
    sim.inject(FaultRule::new(SEND, FaultKind::Errcode(40001), Trigger::Count(1)));
    c.send_text(u, "after 40001").await.unwrap();
    // Injected faults answer before the send handler, so they count as faults, not as send requests.
    let n = sim.counters();
    assert_eq!((n.faults_injected, n.custom_send_requests), (1, 2), "rejected once, replayed once");
    assert_eq!(n.stable_token_requests, 2, "one refresh after the rejection");
    assert_eq!(received_bodies(&sim, APPID, u).len(), 2);

    // A token that keeps being rejected: one replay, then the typed error (no loop).
    sim.inject(FaultRule::new(SEND, FaultKind::Errcode(42001), Trigger::Always));
    let err = c.send_text(u, "never").await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::AccessTokenExpired));
    assert_eq!(sim.counters().faults_injected, 3, "exactly one replay");
}

#[tokio::test]
async fn a_wrong_secret_is_a_typed_refusal_without_retries() {
    let sim = sim().await;
    let c = client_with(&sim, config(&sim, APPID, "wrong-secret"), None);
    let err = c.send_text("oNobody", "x").await.unwrap_err();
    assert!(matches!(err, ClientError::TokenRefused { code: ErrCode::InvalidAppSecret, .. }), "{err}");
    assert!(!err.to_string().contains("wrong-secret"), "the secret never appears in errors");
    assert_eq!(sim.counters().stable_token_requests, 1);
    assert_eq!(sim.counters().custom_send_requests, 0);
}

/// Another process holds the refresh lease: this one waits and takes the token that process stores, without a
/// platform request of its own; a lease whose holder died runs out and this process refreshes itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_makes_others_wait_and_an_abandoned_one_expires() {
    let sim = sim().await;
    let store = Arc::new(MemoryStore::new());
    let a = client(&sim, Some(store.clone()));
    let key = a.token_manager().unwrap().store_key().to_owned();
    let now = sim.clock().now_ms();
    assert!(store.try_lease(&key, "other-process", now, 60_000).await.unwrap());
    let waiting = {
        let a = a.clone();
        tokio::spawn(async move { a.access_token().await })
    };
    // The "other process" fetches and stores the token.
    let b = client(&sim, None);
    let t = b.access_token().await.unwrap().unwrap();
    let stored =
        wxgate_store::StoredToken { token: t.token.clone(), expires_at_ms: t.expires_at_ms, obtained_at_ms: now };
    assert!(store.put_if_newer(&key, &stored).await.unwrap());
    store.release_lease(&key, "other-process").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(30), waiting).await.unwrap().unwrap().unwrap().unwrap();
    assert_eq!((got.token.as_str(), got.source), (t.token.as_str(), TokenSource::Store));
    assert_eq!(sim.counters().stable_token_requests, 1, "only the other process asked the platform");

    // A holder that died: its lease runs out, and the waiting process refreshes by itself.
    store.invalidate(&key, &t.token, sim.clock().now_ms()).await.unwrap();
    let c = client(&sim, Some(store.clone()));
    assert!(store.try_lease(&key, "dead-process", sim.clock().now_ms(), 1_000).await.unwrap());
    let waiting = tokio::spawn(async move { c.access_token().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    sim.clock().advance(Duration::from_secs(2));
    let got = tokio::time::timeout(Duration::from_secs(30), waiting).await.unwrap().unwrap().unwrap().unwrap();
    assert_eq!(got.source, TokenSource::Platform);
    assert_eq!(sim.counters().stable_token_requests, 2);
}
