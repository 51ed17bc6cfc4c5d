//! `POST /cgi-bin/message/custom/typing` (and the Mini Program `business/typing` path), 客服输入状态:
//! needs an interaction within 30 s (45080), a Typing status lasts 15 s and cannot be re-sent while active
//! (45081), `command` must be `Typing` or `CancelTyping` (45072).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::Value;

use crate::account::AccountKind;
use crate::answer::{ApiError, ok};
use crate::transcript::Item;
use crate::world::Shared;

/// The handler.
pub(crate) async fn typing(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: bytes::Bytes,
) -> Response {
    let outcome = typing_inner(&shared, &q, &body);
    shared.answer(outcome)
}

fn typing_inner(shared: &Shared, q: &HashMap<String, String>, body: &[u8]) -> Result<Value, ApiError> {
    let now = shared.clock.now_ms();
    let mut world = shared.world();
    world.counters.typing_requests += 1;
    let caller = shared.caller(&world, q)?;
    let json: Value = serde_json::from_slice(body).map_err(|_| ApiError::new(47001, "data format error"))?;
    let acc = world.accounts.get_mut(&caller.appid).ok_or(ApiError::new(40013, "invalid appid"))?;
    if acc.account.kind == AccountKind::UnverifiedSubscription {
        return Err(ApiError::new(48001, "api unauthorized"));
    }
    let on = match json.get("command").and_then(Value::as_str) {
        Some("Typing") => true,
        Some("CancelTyping") => false,
        _ => return Err(ApiError::new(45072, "command invalid")),
    };
    let openid = json.get("touser").and_then(Value::as_str).ok_or(ApiError::new(40003, "invalid openid"))?;
    let user = acc.users.get_mut(openid).ok_or(ApiError::new(40003, "invalid openid"))?;
    let recent = shared.settings.typing_interaction.as_millis() as u64;
    if user.last_interaction_ms.is_none_or(|t| now >= t + recent) {
        return Err(ApiError::new(45080, "has not sent message to user in 30 seconds"));
    }
    let active = user.typing_until_ms.is_some_and(|t| now < t);
    if on {
        if active {
            return Err(ApiError::new(45081, "already in typing status"));
        }
        user.typing_until_ms = Some(now + shared.settings.typing_duration.as_millis() as u64);
    } else {
        user.typing_until_ms = None;
    }
    let openid = openid.to_owned();
    drop(world);
    if on || active {
        shared.show(&caller.appid, &openid, Item::Typing { on });
    }
    Ok(ok())
}
