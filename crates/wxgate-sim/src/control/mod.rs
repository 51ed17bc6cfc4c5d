//! The HTTP control API under `/sim/…`, so any server (not only wxgate, not only Rust) can be driven and
//! checked against the simulator with curl or a test script:
//!
//! | method & path | what |
//! |---|---|
//! | `GET /sim/accounts` | the accounts (no secrets) |
//! | `POST /sim/send/{appid}/{openid}` | the user does something (JSON action, e.g. `{"type":"text","content":"hi"}`); answers the push outcome |
//! | `GET /sim/transcript/{appid}/{openid}` | what the user sent and saw |
//! | `POST /sim/verify/{appid}` | URL verification GET against the account's server |
//! | `POST /sim/probe/{appid}` | Cloud Hosting `CheckContainerPath` probe |
//! | `GET /sim/counters` | request counters |
//! | `POST /sim/clock/advance` | `{"secs": N}` moves simulated time forward |
//! | `POST /sim/faults`, `DELETE /sim/faults` | add a fault rule / clear all |

mod spec;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::SimError;
use crate::push::{self, Verdict};
use crate::world::Shared;
use spec::FaultSpec;

fn failure(status: StatusCode, e: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": e.to_string()}))).into_response()
}

fn sim_failure(e: SimError) -> Response {
    let status = match e {
        SimError::UnknownAccount(_) => StatusCode::NOT_FOUND,
        SimError::NoDelivery(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    failure(status, e)
}

/// The accounts (no secrets) with their known users, sorted, as `GET /sim/accounts` and the console show them.
pub(crate) fn accounts_json(shared: &Shared) -> Value {
    let world = shared.world();
    let mut list: Vec<Value> = world
        .accounts
        .values()
        .map(|a| {
            let acc = &a.account;
            let mut users: Vec<&String> = a.users.keys().collect();
            users.sort();
            json!({"appid": acc.appid, "original_id": acc.original_id, "mode": acc.mode, "format": acc.format,
                   "kind": acc.kind, "delivery": acc.delivery, "token_free": acc.token_free, "users": users})
        })
        .collect();
    list.sort_by(|a, b| a["appid"].as_str().cmp(&b["appid"].as_str()));
    Value::Array(list)
}

async fn accounts(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(accounts_json(&shared))
}

async fn send(
    State(shared): State<Arc<Shared>>,
    Path((appid, openid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let action = match serde_json::from_slice(&body).map_err(|e| format!("bad action: {e}")) {
        Ok(value) => match push::UserAction::from_json(&value) {
            Ok(action) => action,
            Err(e) => return failure(StatusCode::BAD_REQUEST, e),
        },
        Err(e) => return failure(StatusCode::BAD_REQUEST, e),
    };
    match push::push(&shared, &appid, &openid, &action).await {
        Ok(out) => {
            let (verdict, detail) = match &out.verdict {
                Verdict::Nothing => ("nothing", Value::Null),
                Verdict::Reply(r) => ("reply", serde_json::from_str(&r.to_json()).unwrap_or(Value::Null)),
                Verdict::Invalid(reason) => ("invalid", Value::String(reason.clone())),
            };
            Json(json!({"attempts": out.attempts, "failures": out.failures, "verdict": verdict, "detail": detail,
                        "pushed": out.fields.to_json()}))
            .into_response()
        }
        Err(e) => sim_failure(e),
    }
}

async fn transcript(State(shared): State<Arc<Shared>>, Path((appid, openid)): Path<(String, String)>) -> Response {
    Json(shared.transcripts.get(&appid, &openid)).into_response()
}

async fn verify(State(shared): State<Arc<Shared>>, Path(appid): Path<String>) -> Response {
    match push::verify_url(&shared, &appid).await {
        Ok(out) => Json(out).into_response(),
        Err(e) => sim_failure(e),
    }
}

async fn probe(State(shared): State<Arc<Shared>>, Path(appid): Path<String>) -> Response {
    match push::probe(&shared, &appid).await {
        Ok(out) => Json(out).into_response(),
        Err(e) => sim_failure(e),
    }
}

async fn counters(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(serde_json::to_value(shared.world().counters).unwrap_or(Value::Null))
}

async fn advance(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    // Bytes, not `Json`: `curl -d` sends a form content type, and the control API should not care.
    let secs = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("secs").and_then(Value::as_u64));
    match secs {
        Some(secs) => {
            shared.clock.advance(Duration::from_secs(secs));
            Json(json!({"now_ms": shared.clock.now_ms()})).into_response()
        }
        None => failure(StatusCode::BAD_REQUEST, "expected {\"secs\": N}"),
    }
}

async fn add_fault(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let spec: FaultSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return failure(StatusCode::BAD_REQUEST, format!("bad fault: {e}")),
    };
    let rule = match spec.rule() {
        Ok(rule) => rule,
        Err(e) => return failure(StatusCode::BAD_REQUEST, e),
    };
    shared.world().faults.push(rule);
    Json(json!({"ok": true})).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.world().faults.clear();
    Json(json!({"ok": true}))
}

/// The control routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/sim/accounts", get(accounts))
        .route("/sim/send/{appid}/{openid}", post(send))
        .route("/sim/transcript/{appid}/{openid}", get(transcript))
        .route("/sim/verify/{appid}", post(verify))
        .route("/sim/probe/{appid}", post(probe))
        .route("/sim/counters", get(counters))
        .route("/sim/clock/advance", post(advance))
        .route("/sim/faults", post(add_fault).delete(clear_faults))
        .with_state(shared)
}
