//! The platform API the developer server calls (PROTOCOL §6–§8): routes, the errcode answer shape and
//! access-token / Cloud Hosting authentication.
//!
//! Every answer is HTTP 200 with JSON; failures carry `errcode` and an `errmsg` with a ` rid: …` suffix like the
//! real platform.

mod auth;
mod custom;
mod custom_body;
mod media;
mod token;
mod typing;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::world::Shared;

pub(crate) use auth::Caller;

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
    let rid = format!("{:08x}-{}", rand::random::<u32>(), Shared::random_id(8));
    axum::Json(serde_json::json!({"errcode": code, "errmsg": format!("{msg} rid: {rid}")})).into_response()
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

/// The success answer of write APIs.
pub(crate) fn ok() -> serde_json::Value {
    serde_json::json!({"errcode": 0, "errmsg": "ok"})
}

/// All API routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/cgi-bin/token", get(token::classic))
        .route("/cgi-bin/stable_token", post(token::stable))
        .route("/cgi-bin/message/custom/send", post(custom::send))
        .route("/cgi-bin/message/custom/typing", post(typing::typing))
        .route("/cgi-bin/message/custom/business/typing", post(typing::typing))
        .route("/cgi-bin/media/upload", post(media::upload))
        .route("/cgi-bin/media/get", get(media::get))
        .route("/sim/media/{media_id}", get(media::raw))
        .layer(DefaultBodyLimit::max(32 << 20))
        .with_state(shared)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.code, self.msg)
    }
}
