//! Shared set-up of the client's integration tests: a simulator on 127.0.0.1:0 with one Official Account (and
//! optionally more), clients pointed at it that read the simulator's clock, and small media files with real
//! magic bytes.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use wxgate_client::{Client, ClientConfig, RetryPolicy, Secret};
use wxgate_sim::{Account, AccountKind, Interaction, Simulator};
use wxgate_store::TokenStore;

pub const APPID: &str = "wx0123456789abcdef";
pub const SECRET: &str = "sim-app-secret-0001";
pub const MP_APPID: &str = "wxfedcba9876543210";

/// The client reads the simulator's clock, so moving it ages tokens and media on both sides.
#[derive(Debug)]
pub struct SimClock(pub wxgate_sim::Clock);

impl wxgate_client::Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }
}

/// A simulator with a verified service account `APPID` and a Mini Program `MP_APPID`.
pub async fn sim() -> Simulator {
    Simulator::builder()
        .account(Account::new(APPID, SECRET, "gh_0123456789ab", "push-token"))
        .account(Account::new(MP_APPID, "mp-secret", "gh_ba9876543210", "mp-token").with_kind(AccountKind::MiniProgram))
        .start()
        .await
        .expect("simulator starts")
}

/// Fast retries so back-off tests finish quickly (behaviour, not time, is asserted).
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(40) }
}

/// A config for `appid` against the simulator.
pub fn config(sim: &Simulator, appid: &str, secret: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(appid, Secret::new(secret)).api_base(sim.base_url());
    cfg.retry = fast_retry();
    cfg.token_poll = Duration::from_millis(10);
    cfg
}

/// A client of `APPID` with its own in-memory stores, or sharing `store`.
pub fn client(sim: &Simulator, store: Option<Arc<dyn TokenStore>>) -> Client {
    client_with(sim, config(sim, APPID, SECRET), store)
}

/// A client with this config reading the simulator's clock.
pub fn client_with(sim: &Simulator, cfg: ClientConfig, store: Option<Arc<dyn TokenStore>>) -> Client {
    let mut b = Client::builder(cfg).clock(Arc::new(SimClock(sim.clock().clone())));
    if let Some(s) = store {
        b = b.token_store(s);
    }
    b.build().expect("client builds")
}

/// A follower of `appid` who just sent a message (window open: 5 messages within 48 h).
pub fn user(sim: &Simulator, appid: &str, openid: &str) {
    sim.add_user(appid, openid).unwrap();
    sim.record_interaction(appid, openid, Interaction::Message).unwrap();
}

/// A tiny JPEG (magic bytes and a JFIF header are all the checks look at).
pub fn jpeg(tag: u8) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, tag];
    v.extend(std::iter::repeat_n(tag, 200));
    v.extend([0xFF, 0xD9]);
    v
}

/// A tiny AMR file.
pub fn amr() -> Vec<u8> {
    let mut v = b"#!AMR\n".to_vec();
    v.extend([0x3C; 64]);
    v
}

/// A tiny MP4 file.
pub fn mp4() -> Vec<u8> {
    let mut v = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2".to_vec();
    v.extend([0u8; 64]);
    v
}

/// The customer-service bodies the user received, as compact JSON strings in arrival order.
pub fn received_bodies(sim: &Simulator, appid: &str, openid: &str) -> Vec<String> {
    sim.transcript(appid, openid)
        .into_iter()
        .filter_map(|e| match e.item {
            wxgate_sim::Item::CustomerService { body, .. } => Some(serde_json::to_string(&body).unwrap()),
            _ => None,
        })
        .collect()
}
