//! The chat console: a page that looks and behaves like a WeChat conversation on a phone, served by the
//! simulator itself, so a server can be tried in a browser with no account and no public URL.
//!
//! The page is plain HTML, CSS and JavaScript embedded in the binary (no build step, nothing fetched from the
//! network). It drives the simulator through the control API (`/sim/send`, …) and follows the journal
//! (`crate::journal`) over server-sent events, so replies, customer-service messages, typing and notices appear
//! as they happen. Routes:
//!
//! | method & path | what |
//! |---|---|
//! | `GET /` | the page (`console.css`, `console.js` beside it) |
//! | `GET /sim/console` | what the page needs to start: accounts, their users, menu buttons |
//! | `GET /sim/events?after=N` | the journal after `seq` N, then live (`text/event-stream`) |
//! | `POST /sim/users/{appid}/{openid}` | adds a follower |
//! | `GET /sim/transcript-file/{appid}/{openid}` | the conversation as a transcript file |
//! | `POST /sim/replay/{appid}/{openid}` | plays a transcript file as that user; answers the comparison |

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::replay::{self, TranscriptFile};
use crate::world::Shared;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn console_info(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let accounts = crate::control::accounts_json(&shared);
    Json(json!({"accounts": accounts, "menu": shared.world().menu, "notice": shared.settings.system_notice,
                "push_timeout_ms": shared.settings.push_timeout.as_millis() as u64}))
}

#[derive(Debug, Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

fn event_of(value: &Value) -> Result<Event, Infallible> {
    Ok(Event::default().id(value["seq"].to_string()).data(value.to_string()))
}

async fn events(
    State(shared): State<Arc<Shared>>,
    Query(after): Query<After>,
    headers: axum::http::HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // A browser reconnecting on its own says where it was in `Last-Event-ID`.
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let after = resumed.unwrap_or(after.after).max(after.after);
    let (past, rx) = shared.journal.subscribe(after);
    let last = past.last().and_then(|e| e["seq"].as_u64()).unwrap_or(after);
    let past = futures_util::stream::iter(past.into_iter().map(|v| event_of(&v)));
    let live = futures_util::stream::unfold((rx, last), |(mut rx, last)| async move {
        loop {
            match rx.recv().await {
                Ok(v) if v["seq"].as_u64().unwrap_or(0) > last => {
                    let seq = v["seq"].as_u64().unwrap_or(last);
                    return Some((event_of(&v), (rx, seq)));
                }
                Ok(_) => continue,
                // A slow page missed events: it reconnects with `Last-Event-ID` semantics via `after`.
                Err(RecvError::Lagged(_)) => {
                    return Some((Ok(Event::default().event("lagged").data(last.to_string())), (rx, last)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(futures_util::StreamExt::chain(past, live)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn add_user(State(shared): State<Arc<Shared>>, Path((appid, openid)): Path<(String, String)>) -> Response {
    if !plausible_openid(&openid) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "an openid is 1-64 letters, digits, - or _"})))
            .into_response();
    }
    let mut world = shared.world();
    let Some(acc) = world.accounts.get_mut(&appid) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": format!("unknown account {appid}")}))).into_response();
    };
    acc.users.entry(openid).or_insert_with(|| crate::world::UserState { following: true, ..Default::default() });
    Json(json!({"ok": true})).into_response()
}

/// What the console accepts as a new user's openid (real ones are 28 characters of this alphabet).
fn plausible_openid(openid: &str) -> bool {
    (1..=64).contains(&openid.len()) && openid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn transcript_file(State(shared): State<Arc<Shared>>, Path((appid, openid)): Path<(String, String)>) -> Response {
    let file = replay::save(&shared, &appid, &openid);
    let name = format!("attachment; filename=\"wxgate-{openid}.json\"");
    let body = serde_json::to_string_pretty(&file).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json".to_owned()), (header::CONTENT_DISPOSITION, name)], body).into_response()
}

async fn replay_file(
    State(shared): State<Arc<Shared>>,
    Path((appid, openid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let file = match std::str::from_utf8(&body)
        .map_err(|e| e.to_string())
        .and_then(|t| TranscriptFile::parse(t).map_err(|e| e.to_string()))
    {
        Ok(mut file) => {
            file.appid = appid;
            file
        }
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    };
    match replay::run(&shared, &file, &openid).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => (StatusCode::CONFLICT, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

/// The console's routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", PAGE) }))
        .route("/console.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/console.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .route("/sim/console", get(console_info))
        .route("/sim/events", get(events))
        .route("/sim/users/{appid}/{openid}", post(add_user))
        .route("/sim/transcript-file/{appid}/{openid}", get(transcript_file))
        .route("/sim/replay/{appid}/{openid}", post(replay_file))
        .with_state(shared)
}
