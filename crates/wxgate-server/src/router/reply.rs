//! What a handler may return.

use wxgate_proto::ReplyBody;

/// A handler failure: logged with its message, answered `success` (the user never sees the platform's error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// Converts a handler's return value into an optional reply.
pub trait IntoReply {
    /// `Ok(None)` means "no reply" (`success`).
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError>;
}

impl IntoReply for () {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        Ok(None)
    }
}

impl IntoReply for ReplyBody {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        Ok(Some(self))
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        Ok((!self.is_empty()).then_some(ReplyBody::Text { content: self }))
    }
}

impl IntoReply for &'static str {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        self.to_owned().into_reply()
    }
}

impl<T: IntoReply> IntoReply for Option<T> {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        match self {
            Some(t) => t.into_reply(),
            None => Ok(None),
        }
    }
}

impl<T: IntoReply, E: std::fmt::Display> IntoReply for Result<T, E> {
    fn into_reply(self) -> Result<Option<ReplyBody>, HandlerError> {
        match self {
            Ok(t) => t.into_reply(),
            Err(e) => Err(HandlerError(e.to_string())),
        }
    }
}
