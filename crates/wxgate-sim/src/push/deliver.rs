//! Delivering one push: record what the user did, then up to N attempts, each with a fresh
//! timestamp and nonce (configurable) and a per-attempt timeout; the first HTTP 200 answer is judged, non-200
//! answers, errors and timeouts are retried; when every attempt failed the user sees the system notice.
//! Also the URL verification GET (接入验证) and the Cloud Hosting `CheckContainerPath` probe.

use std::sync::Arc;

use serde::Serialize;
use wxgate_proto::{Fields, Inbound, ReplyBody};

use super::action::UserAction;
use super::judge::{self, Context, Verdict};
use super::sign::{self, PushRequest, Stamp, random_nonce, random_prefix};
use crate::account::{Account, DataFormat, Delivery};
use crate::error::SimError;
use crate::ids::random_id;
use crate::transcript::Item;
use crate::world::{MediaItem, Shared};

/// What happened to one push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    /// HTTP attempts made.
    pub attempts: u32,
    /// Why each failed attempt failed (timeout, HTTP status, connection error).
    pub failures: Vec<String>,
    /// The verdict (all attempts failing gives `Invalid`).
    pub verdict: Verdict,
    /// The plaintext push fields.
    pub fields: Fields,
}

impl PushOutcome {
    /// The text of a passive text reply, if that is what arrived.
    pub fn reply_text(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Reply(r) => match &r.body {
                ReplyBody::Text { content } => Some(content),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The result of a URL verification or probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    /// True when the server passed.
    pub ok: bool,
    /// HTTP status (0 when no answer).
    pub status: u16,
    /// The answer body (lossy UTF-8) or the transport error.
    pub body: String,
}

fn account_of(shared: &Shared, appid: &str) -> Result<Account, SimError> {
    shared
        .world()
        .accounts
        .get(appid)
        .map(|a| a.account.clone())
        .ok_or_else(|| SimError::UnknownAccount(appid.to_owned()))
}

fn delivery_of(account: &Account) -> Result<Delivery, SimError> {
    account.delivery.clone().ok_or_else(|| SimError::NoDelivery(account.appid.clone()))
}

/// Stores a small file for a media message so the server can download it for 3 days.
fn register_user_media(shared: &Shared, appid: &str, action: &UserAction) -> String {
    let (media_type, filename, content_type) = match action {
        UserAction::Image => ("image", "user.jpg", "image/jpeg"),
        UserAction::Voice { .. } => ("voice", "user.amr", "audio/amr"),
        UserAction::Video | UserAction::ShortVideo => ("video", "user.mp4", "video/mp4"),
        _ => return String::new(),
    };
    let media_id = random_id(64);
    let item = MediaItem {
        appid: appid.to_owned(),
        media_type: media_type.to_owned(),
        bytes: bytes::Bytes::from_static(b"simulated user media"),
        filename: filename.to_owned(),
        content_type: content_type.to_owned(),
        created_ms: shared.clock.now_ms(),
    };
    shared.world().media.insert(media_id.clone(), item);
    media_id
}

/// Sends one request; `Ok((status, body))` or the transport failure.
async fn attempt(shared: &Shared, account: &Account, url: &str, req: &PushRequest) -> Result<(u16, Vec<u8>), String> {
    let cloud_json =
        matches!(account.delivery, Some(Delivery::CloudHosting { .. })) && account.format == DataFormat::Json;
    let content_type = if cloud_json { "application/json" } else { shared.settings.push_content_type.as_str() };
    let mut builder = shared
        .http
        .post(url)
        .query(&req.query)
        .header("content-type", content_type)
        .timeout(shared.settings.push_timeout)
        .body(req.body.clone());
    for (name, value) in &req.headers {
        builder = builder.header(*name, value);
    }
    let resp = builder.send().await.map_err(describe)?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(describe)?;
    Ok((status, body.to_vec()))
}

/// The `timestamp` to sign: wall-clock seconds plus the configured skew (the server checks it against its clock).
fn signed_timestamp(shared: &Shared) -> String {
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    (wall as i64 + shared.settings.push_timestamp_skew_secs).to_string()
}

fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connection error: could not connect".to_owned()
    } else {
        format!("connection error: {}", e.without_url())
    }
}

/// Pushes `action` of user `openid` to the account's server and shows the result on the user's phone.
pub(crate) async fn push(
    shared: &Arc<Shared>,
    appid: &str,
    openid: &str,
    action: &UserAction,
) -> Result<PushOutcome, SimError> {
    let account = account_of(shared, appid)?;
    let delivery = delivery_of(&account)?;
    let media_id = register_user_media(shared, appid, action);
    let fields = action.fields(&account.original_id, openid, shared.clock.now_secs(), &media_id);
    let inbound = Inbound::from_fields(fields.clone())?;
    let msg_type = match fields.text("Event") {
        Some(event) => format!("event:{event}"),
        None => action.msg_type().to_owned(),
    };
    shared.world().counters.pushes += 1;
    let action_json = action.to_json();
    let extra = serde_json::json!({"action": action_json.clone(), "plaintext": sign::encode(&fields, account.format)});
    shared.remember_action(appid, openid, action_json);
    let push_seq = shared.show_with(appid, openid, Item::Sent { msg_type, fields: fields.to_json() }, extra);
    shared.record_interaction(appid, openid, action.interaction(), matches!(action, UserAction::Unsubscribe));

    let settings = &shared.settings;
    let mut failures = Vec::new();
    let mut verdict = None;
    let mut stamp: Option<(String, String, [u8; 16])> = None;
    let mut attempts = 0;
    for _ in 0..settings.push_attempts.max(1) {
        if settings.fresh_signature_per_attempt || stamp.is_none() {
            stamp = Some((signed_timestamp(shared), random_nonce(), random_prefix()));
        }
        let (ts, nonce, prefix) = stamp.as_ref().expect("set above");
        let req = sign::build(&account, &fields, openid, Stamp { timestamp: ts, nonce, prefix })?;
        attempts += 1;
        shared.world().counters.push_attempts += 1;
        let started_ms = shared.clock.now_ms();
        let answer = attempt(shared, &account, delivery.url(), &req).await;
        let mut record = serde_json::json!({
            "push": push_seq, "attempt": attempts, "started_ms": started_ms, "ended_ms": shared.clock.now_ms(),
            "request": {"method": "POST", "url": delivery.url(), "query": req.query, "headers": req.headers,
                        "body": req.body},
        });
        match answer {
            Ok((200, body)) => {
                let ctx = Context {
                    account: &account,
                    openid,
                    inbound: &inbound,
                    max_articles: settings.passive_max_articles,
                };
                let judged = judge::judge(ctx, &body);
                record["response"] = serde_json::json!({"status": 200, "body": String::from_utf8_lossy(&body)});
                record["verdict"] = verdict_json(&judged);
                shared.journal.record("attempt", Some(appid), Some(openid), record);
                verdict = Some(judged);
                break;
            }
            Ok((status, body)) => {
                record["response"] = serde_json::json!({"status": status, "body": String::from_utf8_lossy(&body)});
                failures.push(format!("HTTP {status}"));
            }
            Err(e) => {
                record["error"] = serde_json::json!(e);
                failures.push(e);
            }
        }
        shared.journal.record("attempt", Some(appid), Some(openid), record);
    }
    tracing::debug!(appid, openid, attempts, ?failures, "push delivered");
    let verdict = verdict.unwrap_or_else(|| {
        Verdict::Invalid(format!("no valid answer in {attempts} attempts: {}", failures.join(", ")))
    });
    if !matches!(action, UserAction::Unsubscribe) {
        show_verdict(shared, &account, openid, &verdict);
    }
    Ok(PushOutcome { attempts, failures, verdict, fields })
}

/// How the console shows a verdict: `nothing` (`success` or empty), `reply` with the decrypted reply, or
/// `invalid` with the reason.
fn verdict_json(verdict: &Verdict) -> serde_json::Value {
    match verdict {
        Verdict::Nothing => serde_json::json!({"kind": "nothing"}),
        Verdict::Reply(r) => serde_json::json!({"kind": "reply", "xml": r.to_xml(),
            "reply": serde_json::from_str::<serde_json::Value>(&r.to_json()).unwrap_or_default()}),
        Verdict::Invalid(reason) => serde_json::json!({"kind": "invalid", "reason": reason}),
    }
}

fn show_verdict(shared: &Shared, account: &Account, openid: &str, verdict: &Verdict) {
    match verdict {
        Verdict::Nothing => {}
        Verdict::Reply(reply) => {
            let body = serde_json::from_str(&reply.to_json()).unwrap_or(serde_json::Value::Null);
            let text = match &reply.body {
                ReplyBody::Text { content } => Some(content.clone()),
                _ => None,
            };
            let item = Item::PassiveReply { msg_type: reply.body.msg_type().to_owned(), text, body };
            shared.show(&account.appid, openid, item);
        }
        Verdict::Invalid(reason) => {
            shared.world().counters.system_notices += 1;
            let settings = &shared.settings;
            let text =
                if account.kind.is_mini_program() { &settings.mini_program_notice } else { &settings.system_notice };
            shared.show(&account.appid, openid, Item::SystemNotice { text: text.clone(), reason: reason.clone() });
        }
    }
}

async fn check(shared: &Shared, request: reqwest::RequestBuilder, pass: impl Fn(u16, &str) -> bool) -> CheckOutcome {
    match request.timeout(shared.settings.push_timeout).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.bytes().await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            CheckOutcome { ok: pass(status, &body), status, body }
        }
        Err(e) => CheckOutcome { ok: false, status: 0, body: describe(e) },
    }
}

/// URL verification (接入验证): GET with `signature`, `timestamp`, `nonce`, `echostr`; passes iff HTTP 200 and the body
/// is exactly `echostr`.
pub(crate) async fn verify_url(shared: &Shared, appid: &str) -> Result<CheckOutcome, SimError> {
    let account = account_of(shared, appid)?;
    let delivery = delivery_of(&account)?;
    let echostr = (rand::random::<u64>() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000).to_string();
    let ts = signed_timestamp(shared);
    let query = sign::verify_query(&account.token, &ts, &random_nonce(), &echostr);
    let request = shared.http.get(delivery.url()).query(&query);
    Ok(check(shared, request, |status, body| status == 200 && body == echostr).await)
}

/// The Cloud Hosting path check: POST `{"action":"CheckContainerPath"}` (or the XML form); passes iff HTTP
/// 200 with `success` or an empty body.
pub(crate) async fn probe(shared: &Shared, appid: &str) -> Result<CheckOutcome, SimError> {
    let account = account_of(shared, appid)?;
    let delivery = delivery_of(&account)?;
    let (body, content_type) = match account.format {
        DataFormat::Json => (r#"{"action":"CheckContainerPath"}"#, "application/json"),
        DataFormat::Xml => ("<xml><action><![CDATA[CheckContainerPath]]></action></xml>", "text/xml"),
    };
    let mut request = shared.http.post(delivery.url()).header("content-type", content_type).body(body);
    if let Delivery::CloudHosting { env, .. } = &delivery {
        request = request
            .header("x-wx-source", sign::X_WX_SOURCE)
            .header("x-wx-env", env)
            .header("x-wx-appid", &account.appid);
    }
    Ok(check(shared, request, |status, body| status == 200 && (body.is_empty() || body == "success")).await)
}
