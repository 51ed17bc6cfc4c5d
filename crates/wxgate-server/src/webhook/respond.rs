//! Turning an answer into the HTTP response: `success`, or the reply in the request's format, sealed when the
//! request was encrypted.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use wxgate_proto::{Format, Reply, ReplyBody};

use crate::clock::Clock;
use crate::context::Context;

/// The literal `success` answer.
pub(crate) fn success() -> Response {
    ok("text/plain; charset=utf-8", Body::from("success"))
}

/// A 200 response with this body and content type.
fn ok(content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
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
    ok(content_type, Body::from(doc))
}
