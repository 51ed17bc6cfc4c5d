//! `POST /cgi-bin/message/custom/send` (发送客服消息): account permission, msgtype per kind, body rules,
//! then the window and quota. An accepted message cancels typing and appears on the user's phone.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::Caller;
use super::custom_body::{Check, allowed};
use crate::account::AccountKind;
use crate::answer::{ApiError, ok};
use crate::ids::random_id;
use crate::transcript::Item;
use crate::window::{Window, WindowDenied};
use crate::world::Shared;

/// The handler.
pub(crate) async fn send(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: bytes::Bytes,
) -> Response {
    let outcome = send_inner(&shared, &q, &body);
    let token_free = matches!(outcome, Ok((_, Caller { token_free: true, .. })));
    let mut resp = shared.answer(outcome.map(|(v, _)| v));
    if token_free {
        resp.headers_mut().insert("x-openapi-seqid", random_id(16).parse().expect("ascii id"));
    }
    resp.into_response()
}

fn send_inner(shared: &Shared, q: &HashMap<String, String>, body: &[u8]) -> Result<(Value, Caller), ApiError> {
    let now = shared.clock.now_ms();
    let (appid, openid, msg_type, caller, json, was_typing) = {
        let mut world = shared.world();
        world.counters.custom_send_requests += 1;
        let caller = shared.caller(&world, q)?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(44002, "empty post data"));
        }
        if shared.settings.reject_unicode_escapes && has_refused_escape(body) {
            return Err(ApiError::new(
                40033,
                "invalid charset. please check your request, if include \\uxxxx will create fail!",
            ));
        }
        let json: Value = serde_json::from_slice(body).map_err(|_| ApiError::new(47001, "data format error"))?;
        let acc = world.accounts.get(&caller.appid).ok_or(ApiError::new(40013, "invalid appid"))?;
        let kind = acc.account.kind;
        if kind == AccountKind::UnverifiedSubscription {
            return Err(ApiError::new(48001, "api unauthorized"));
        }
        let msg_type =
            json.get("msgtype").and_then(Value::as_str).ok_or(ApiError::new(40008, "invalid message type"))?;
        if !allowed(kind, msg_type) {
            return Err(ApiError::new(40008, "invalid message type"));
        }
        let openid = json.get("touser").and_then(Value::as_str).ok_or(ApiError::new(40003, "invalid openid"))?;
        if !acc.users.contains_key(openid) {
            return Err(ApiError::new(40003, "invalid openid"));
        }
        let obj = json.get(msg_type).ok_or(ApiError::new(47001, "data format error"))?;
        let check = Check { world: &world, settings: &shared.settings, appid: &caller.appid, kind, now_ms: now };
        check.body(msg_type, obj)?;
        let (appid, openid, msg_type) = (caller.appid.clone(), openid.to_owned(), msg_type.to_owned());
        let user = world
            .accounts
            .get_mut(&appid)
            .and_then(|a| a.users.get_mut(&openid))
            .ok_or(ApiError::new(40003, "invalid openid"))?;
        if !user.following {
            return Err(ApiError::new(45015, "response out of time limit or subscription is canceled"));
        }
        Window::take(&mut user.window, now).map_err(|d| match d {
            WindowDenied::OutOfTime => ApiError::new(45015, "response out of time limit or subscription is canceled"),
            WindowDenied::OutOfCount => ApiError::new(45047, "out of response count limit"),
        })?;
        let was_typing = user.typing_until_ms.take().is_some_and(|t| now < t);
        world.counters.custom_sent += 1;
        (appid, openid, msg_type, caller, json, was_typing)
    };
    if was_typing {
        shared.show(&appid, &openid, Item::Typing { on: false });
    }
    let text = (msg_type == "text")
        .then(|| json.pointer("/text/content").and_then(Value::as_str).map(str::to_owned))
        .flatten();
    shared.show(&appid, &openid, Item::CustomerService { msg_type, text, body: json });
    Ok((ok(), caller))
}

/// True when the body has a `\uXXXX` escape the platform refuses (40033): of a non-ASCII character, or of a
/// control character (one XML 1.0 forbids, as a JSON writer escapes them).
fn has_refused_escape(body: &[u8]) -> bool {
    let mut i = 0;
    while i + 6 <= body.len() {
        if body[i] == b'\\' {
            if body[i + 1] == b'u'
                && let Some(code) =
                    std::str::from_utf8(&body[i + 2..i + 6]).ok().and_then(|h| u16::from_str_radix(h, 16).ok())
                && (code >= 0x80 || (code < 0x20 && !matches!(code, 0x09 | 0x0a | 0x0d)))
            {
                return true;
            }
            i += 2; // skip the escaped character, so `\\u00e9` (an escaped backslash) does not count
            continue;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_refused_escape;

    #[test]
    fn detects_unicode_escapes_of_non_ascii_and_control_characters() {
        assert!(has_refused_escape(br#"{"content":"\u4f60\u597d"}"#));
        assert!(has_refused_escape(br#"{"content":"bell\u0007"}"#));
        assert!(!has_refused_escape("{\"content\":\"你好\"}".as_bytes()));
        assert!(!has_refused_escape(br#"{"content":"tab\u0009"}"#));
        assert!(!has_refused_escape(br#"{"content":"\\u4f60"}"#));
    }
}
