//! Turning an answer into the HTTP response: `success`, or the reply in the request's format, sealed when the
//! request was encrypted.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use wxgate_proto::{Format, Reply, ReplyBody};

use crate::clock::Clock;
use crate::context::Context;

/// The literal `success` answer.
pub(crate) fn success() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "success").into_response()
}

/// Renders a reply for this push; `timestamp`/`nonce` are reused from the request for sealing.
pub(crate) fn reply(ctx: &Context, body: ReplyBody, timestamp: &str, nonce: &str, clock: Clock) -> Response {
    let reply = Reply::to(&ctx.inbound, clock.now_secs(), body);
    let plain = match ctx.format {
        Format::Xml => reply.to_xml(),
        Format::Json => reply.to_json(),
    };
    let doc = if ctx.encrypted {
        match ctx.account.crypto.seal(plain.as_bytes(), timestamp, nonce) {
            Ok(sealed) => match ctx.format {
                Format::Xml => sealed.to_xml(),
                Format::Json => sealed.to_json(),
            },
            Err(e) => {
                tracing::error!(account = %ctx.account.name, error = %e, "cannot seal reply, answering success");
                return success();
            }
        }
    } else {
        plain
    };
    let content_type = match ctx.format {
        Format::Xml => "application/xml; charset=utf-8",
        Format::Json => "application/json; charset=utf-8",
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], doc).into_response()
}
