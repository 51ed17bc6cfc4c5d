//! Records every platform API call in the journal (path, request, answer, `errcode`), so the console's inspector
//! shows what the server asked of the platform and what it was told.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::world::Shared;

/// Request bodies larger than this (media uploads) are recorded by size only.
const SHOWN_BODY: usize = 16 << 10;
/// Answers are small JSON; a media download is recorded by size only.
const SHOWN_ANSWER: usize = 64 << 10;

/// The middleware: buffers the request and the answer (both already bounded), records them, passes them on.
pub(crate) async fn record(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/cgi-bin/") || req.uri().path().contains("token") {
        // Token calls carry the AppSecret; the console has no business showing it.
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let query = Query::<HashMap<String, String>>::try_from_uri(req.uri()).map(|q| q.0).unwrap_or_default();
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, 32 << 20).await else {
        return axum::response::IntoResponse::into_response(axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    };
    let shown_request = if body.len() <= SHOWN_BODY && std::str::from_utf8(&body).is_ok() {
        json!(String::from_utf8_lossy(&body))
    } else {
        json!(format!("<{} bytes>", body.len()))
    };
    let request_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, answer) = resp.into_parts();
    let Ok(answer) = to_bytes(answer, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let answer_json: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    let shown_answer = if answer.len() <= SHOWN_ANSWER && answer_json != Value::Null {
        answer_json.clone()
    } else {
        json!(format!("<{} bytes>", answer.len()))
    };
    let appid = appid_of(&shared, &query);
    let openid = request_json.get("touser").and_then(Value::as_str);
    let errcode = answer_json.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    let at_ms = shared.clock.now_ms();
    shared.journal.record(
        "api",
        appid.as_deref(),
        openid,
        json!({"path": path, "at_ms": at_ms, "request": shown_request, "answer": shown_answer, "errcode": errcode,
               "token_free": !query.contains_key("access_token")}),
    );
    Response::from_parts(parts, Body::from(answer))
}

/// The calling account: the access token's owner, or the `from_appid` of a token-free call.
fn appid_of(shared: &Shared, query: &HashMap<String, String>) -> Option<String> {
    let world = shared.world();
    if let Ok(caller) = shared.caller(&world, query) {
        return Some(caller.appid);
    }
    // A call the platform refused (an expired token, say) still names its account in the journal.
    query.get("access_token").and_then(|token| world.tokens.get(token)).map(|t| t.appid.clone())
}
