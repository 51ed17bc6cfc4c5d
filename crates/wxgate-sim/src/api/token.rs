//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token` (获取 Access token, 获取稳定版接口调用凭据).
//!
//! Classic: every call issues a new token; the previous one stays valid for the overlap (5 min) and is then
//! rejected with 40001. Stable: the same token until the last overlap-window before expiry, `force_refresh`
//! rotates it at once (≤ 20/day, ≥ 30 s apart, else the current token comes back). Both tokens are isolated.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::account::AccountKind;
use crate::answer::ApiError;
use crate::ids::random_id;
use crate::world::{AccountState, Shared, TokenRecord, World};

const DAY_MS: u64 = 86_400_000;

/// Checks appid, secret and IP allow-list; returns the account's state. A wrong secret is 40001 on the classic
/// endpoint and 40125 (`invalid appsecret`) on `stable_token`, as the platform answers them.
fn credentials<'w>(
    world: &'w mut World,
    appid: Option<&str>,
    secret: Option<&str>,
    ip: &str,
    stable: bool,
) -> Result<&'w mut AccountState, ApiError> {
    let acc = appid.and_then(|a| world.accounts.get_mut(a)).ok_or(ApiError::new(40013, "invalid appid"))?;
    if secret != Some(acc.account.secret.as_str()) {
        return Err(if stable {
            ApiError::new(40125, "invalid appsecret")
        } else {
            ApiError::new(40001, "invalid credential, access_token is invalid or not latest")
        });
    }
    if !acc.account.ip_allow_list.is_empty() && !acc.account.ip_allow_list.iter().any(|a| a == ip) {
        return Err(ApiError::new(40164, "invalid ip, not in whitelist"));
    }
    Ok(acc)
}

/// Issues a fresh token for `appid`.
fn issue(world: &mut World, shared: &Shared, appid: &str, now: u64) -> String {
    let token = random_id(128);
    let expires_ms = now + shared.settings.token_ttl.as_millis() as u64;
    world.tokens.insert(token.clone(), TokenRecord { appid: appid.to_owned(), expires_ms, valid_until_ms: None });
    world.counters.tokens_issued += 1;
    token
}

fn token_json(token: &str, expires_in_secs: u64) -> Value {
    json!({"access_token": token, "expires_in": expires_in_secs})
}

/// `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`.
pub(crate) async fn classic(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let outcome = classic_inner(&shared, &peer.ip().to_string(), &q);
    shared.answer(outcome)
}

fn classic_inner(shared: &Shared, ip: &str, q: &HashMap<String, String>) -> Result<Value, ApiError> {
    let now = shared.clock.now_ms();
    let mut world = shared.world();
    world.counters.token_requests += 1;
    if q.get("grant_type").map(String::as_str) != Some("client_credential") {
        return Err(ApiError::new(40002, "invalid grant_type"));
    }
    let settings = &shared.settings;
    let acc =
        credentials(&mut world, q.get("appid").map(String::as_str), q.get("secret").map(String::as_str), ip, false)?;
    let quota = match acc.account.kind {
        AccountKind::TestAccount => settings.test_account_token_daily_quota,
        _ => settings.token_daily_quota,
    };
    let day = now / DAY_MS;
    if acc.token_calls.0 != day {
        acc.token_calls = (day, 0);
    }
    if acc.token_calls.1 >= quota {
        return Err(ApiError::new(45009, "reach max api daily quota limit"));
    }
    acc.token_calls.1 += 1;
    let previous = acc.classic_current.take();
    let appid = acc.account.appid.clone();
    let token = issue(&mut world, shared, &appid, now);
    if let Some(old) = previous.and_then(|p| world.tokens.get_mut(&p)) {
        let until = now + settings.token_overlap.as_millis() as u64;
        old.valid_until_ms = Some(old.valid_until_ms.map_or(until, |t| t.min(until)));
    }
    if let Some(acc) = world.accounts.get_mut(&appid) {
        acc.classic_current = Some(token.clone());
    }
    Ok(token_json(&token, settings.token_ttl.as_secs()))
}

/// The JSON body of `stable_token`.
#[derive(Debug, serde::Deserialize)]
struct StableRequest {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

/// `POST /cgi-bin/stable_token` with a JSON body.
pub(crate) async fn stable(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: bytes::Bytes,
) -> Response {
    let outcome = stable_inner(&shared, &peer.ip().to_string(), &body);
    shared.answer(outcome)
}

fn stable_inner(shared: &Shared, ip: &str, body: &[u8]) -> Result<Value, ApiError> {
    let now = shared.clock.now_ms();
    let mut world = shared.world();
    world.counters.stable_token_requests += 1;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(44002, "empty post data"));
    }
    let req: StableRequest = serde_json::from_slice(body).map_err(|_| ApiError::new(47001, "data format error"))?;
    if req.grant_type.as_deref() != Some("client_credential") {
        return Err(ApiError::new(40002, "invalid grant_type"));
    }
    let settings = &shared.settings;
    let acc = credentials(&mut world, req.appid.as_deref(), req.secret.as_deref(), ip, true)?;
    let appid = acc.account.appid.clone();
    let current = acc.stable_current.clone();
    let lead = settings.token_overlap.as_millis() as u64;
    let current_expiry = current.as_ref().and_then(|t| world.tokens.get(t)).map(|r| r.expires_ms);
    let fresh_enough = |exp: u64| now + lead < exp;
    if req.force_refresh {
        let acc = world.accounts.get_mut(&appid).ok_or(ApiError::new(40013, "invalid appid"))?;
        let day = now / DAY_MS;
        if acc.stable_forced.0 != day {
            acc.stable_forced = (day, 0, acc.stable_forced.2);
        }
        let too_soon =
            acc.stable_forced.2.is_some_and(|last| now < last + settings.stable_force_min_gap.as_millis() as u64);
        if too_soon
            && let (Some(t), Some(exp)) = (&current, current_expiry)
            && now < exp
        {
            return Ok(token_json(t, (exp - now) / 1000));
        }
        if acc.stable_forced.1 >= settings.stable_force_daily_quota {
            return Err(ApiError::new(45009, "reach max api daily quota limit"));
        }
        acc.stable_forced.1 += 1;
        acc.stable_forced.2 = Some(now);
        if let Some(old) = current.as_ref().and_then(|t| world.tokens.get_mut(t)) {
            old.valid_until_ms = Some(now);
        }
    } else if let (Some(t), Some(exp)) = (&current, current_expiry)
        && fresh_enough(exp)
    {
        return Ok(token_json(t, (exp - now) / 1000));
    }
    let token = issue(&mut world, shared, &appid, now);
    if let Some(acc) = world.accounts.get_mut(&appid) {
        acc.stable_current = Some(token.clone());
    }
    Ok(token_json(&token, settings.token_ttl.as_secs()))
}
