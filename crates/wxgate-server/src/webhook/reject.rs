//! Refusals: a 4xx (or 503) status with a short reason, logged without flooding the log, never a panic. A refused
//! connection is not kept alive: a client refused for what it sent gets no second chance on it.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    /// 400, 401, 408, 413 or 503.
    pub(crate) status: StatusCode,
    /// A short reason, sent as the body.
    pub(crate) reason: String,
}

impl Reject {
    /// 400: the body or query is malformed.
    pub(crate) fn bad_request(reason: impl Into<String>) -> Self {
        Reject { status: StatusCode::BAD_REQUEST, reason: reason.into() }
    }

    /// 401: signature, timestamp or source check failed.
    pub(crate) fn unauthorized(reason: impl Into<String>) -> Self {
        Reject { status: StatusCode::UNAUTHORIZED, reason: reason.into() }
    }
}

impl From<wxgate_proto::ProtoError> for Reject {
    fn from(e: wxgate_proto::ProtoError) -> Self {
        match e {
            wxgate_proto::ProtoError::SignatureMismatch => Reject::unauthorized("msg_signature mismatch"),
            e => Reject::bad_request(e.to_string()),
        }
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        super::quiet::refused(self.status.as_u16(), &self.reason);
        let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CONNECTION, "close")];
        (self.status, headers, self.reason).into_response()
    }
}
