//! How the platform API answers: the `errcode` / `errmsg` shape (with a ` rid: …` suffix like the real
//! platform), the typical message of each errcode, and turning a handler's outcome into the response.
//!
//! Both the API handlers and the fault rules answer this way, so it lives below both of them.

use axum::response::{IntoResponse, Response};

use crate::ids::random_id;
use crate::world::Shared;

/// A platform error answer: `errcode` and the base `errmsg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: i64,
    pub msg: &'static str,
}

impl ApiError {
    pub const fn new(code: i64, msg: &'static str) -> Self {
        ApiError { code, msg }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.code, self.msg)
    }
}

/// The typical `errmsg` of an errcode (used by injected faults).
pub(crate) fn errmsg_for(code: i64) -> &'static str {
    match code {
        -1 => "system error",
        0 => "ok",
        40001 => "invalid credential, access_token is invalid or not latest",
        40003 => "invalid openid",
        40007 => "invalid media_id",
        40008 => "invalid message type",
        40013 => "invalid appid",
        40014 => "invalid access_token",
        41001 => "access_token missing",
        42001 => "access_token expired",
        45009 => "reach max api daily quota limit",
        45011 => "api minute-quota reach limit",
        45015 => "response out of time limit or subscription is canceled",
        45047 => "out of response count limit",
        48001 => "api unauthorized",
        _ => "error",
    }
}

/// The JSON answer for an error, with a fresh rid.
pub(crate) fn error_response(code: i64, msg: &str) -> Response {
    let rid = format!("{:08x}-{}", rand::random::<u32>(), random_id(8));
    axum::Json(serde_json::json!({"errcode": code, "errmsg": format!("{msg} rid: {rid}")})).into_response()
}

/// The success answer of write APIs.
pub(crate) fn ok() -> serde_json::Value {
    serde_json::json!({"errcode": 0, "errmsg": "ok"})
}

impl Shared {
    /// Turns a handler outcome into the answer, counting errors.
    pub(crate) fn answer(&self, outcome: Result<serde_json::Value, ApiError>) -> Response {
        match outcome {
            Ok(v) => axum::Json(v).into_response(),
            Err(e) => {
                self.world().counters.api_errors += 1;
                error_response(e.code, e.msg)
            }
        }
    }
}
