//! Shared helpers for the simulator's integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use wxgate_sim::{Account, AccountKind, Simulator};

pub const APPID: &str = "wx0000000000000001";
pub const SECRET: &str = "sim-secret-0001";
pub const ORIGINAL_ID: &str = "gh_0000000000000001";
pub const TOKEN: &str = "wxgate-demo-token";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const USER: &str = "oUserOpenId0000000000000001";

pub fn account() -> Account {
    Account::new(APPID, SECRET, ORIGINAL_ID, TOKEN)
}

pub fn account_of(kind: AccountKind) -> Account {
    account().with_kind(kind)
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

pub async fn post_json(url: &str, body: &Value) -> Value {
    http().post(url).json(body).send().await.unwrap().json().await.unwrap()
}

pub fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

/// Fetches a classic token.
pub async fn token(sim: &Simulator) -> String {
    let v = get_json(&format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}",
        sim.base_url()
    ))
    .await;
    v["access_token"].as_str().unwrap_or_else(|| panic!("no token: {v}")).to_owned()
}

/// Sends a customer-service text with `token` to `user`.
pub async fn send_text(sim: &Simulator, token: &str, user: &str, content: &str) -> Value {
    let url = format!("{}/cgi-bin/message/custom/send?access_token={token}", sim.base_url());
    post_json(&url, &json!({"touser": user, "msgtype": "text", "text": {"content": content}})).await
}

pub mod peer;

use std::time::Duration;
use wxgate_proto::{Format, Inbound, Reply, ReplyBody};

/// Settings for push tests whose server answers at once: a per-attempt timeout short enough that a broken test
/// fails fast, long enough that a loaded machine does not turn a prompt answer into a timeout.
pub fn fast_settings() -> wxgate_sim::Settings {
    wxgate_sim::Settings { push_timeout: Duration::from_secs(2), ..wxgate_sim::Settings::default() }
}

/// Settings for the tests that make attempts time out on purpose: 300 ms per attempt.
pub fn stall_settings() -> wxgate_sim::Settings {
    wxgate_sim::Settings { push_timeout: Duration::from_millis(300), ..wxgate_sim::Settings::default() }
}

/// How long a stalling test server sleeps: far beyond [`stall_settings`]' timeout.
pub const STALL: Duration = Duration::from_secs(3);

/// Decodes a plaintext push body (XML or JSON) as the server would.
pub fn inbound_of(body: &[u8]) -> Inbound {
    Inbound::decode(body, Format::sniff(body).unwrap()).unwrap()
}

/// A text reply to `inbound` as XML.
pub fn text_reply_xml(inbound: &Inbound, content: &str) -> String {
    Reply::to(inbound, inbound.create_time, ReplyBody::text(content)).to_xml()
}
