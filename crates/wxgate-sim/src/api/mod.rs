//! The platform API the developer server calls: the routes of the access-token, customer-service (客服消息),
//! typing and temporary-media endpoints, with access-token / Cloud Hosting authentication.
//!
//! Every answer is HTTP 200 with JSON; failures carry `errcode` and an `errmsg` with a ` rid: …` suffix like the
//! real platform (see `crate::answer`).

mod auth;
mod custom;
mod custom_body;
mod media;
mod token;
mod typing;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::world::Shared;

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
        .layer(axum::middleware::from_fn_with_state(shared.clone(), wire::record))
        .layer(DefaultBodyLimit::max(32 << 20))
        .with_state(shared)
}
