//! What a handler may return: nothing, a text, any passive-type reply, or customer-service messages to send.

use wxgate_proto::ReplyBody;
use wxgate_proto::kf::KfBody;

use crate::answer::{Answer, Messages, Outcome};

/// A handler failure: logged with its message, answered `success` (the user never sees the platform's error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// Converts a handler's return value into its answer.
pub trait IntoReply {
    /// `Ok(None)` means "no reply" (`success`).
    fn into_reply(self) -> Result<Outcome, HandlerError>;
}

impl IntoReply for () {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Ok(None)
    }
}

impl IntoReply for Answer {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Ok(Some(self))
    }
}

impl IntoReply for ReplyBody {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Ok(Some(Answer::Reply(self)))
    }
}

/// Customer-service messages, sent actively in order (for an Official Account too).
impl IntoReply for Messages {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Ok((!self.bodies.is_empty()).then_some(Answer::Send(self)))
    }
}

/// Customer-service messages, sent actively in order.
impl IntoReply for Vec<KfBody> {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Messages::new(self).into_reply()
    }
}

/// One customer-service message, sent actively.
impl IntoReply for KfBody {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Messages::new(vec![self]).into_reply()
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        Ok((!self.is_empty()).then_some(Answer::Reply(ReplyBody::Text { content: self })))
    }
}

impl IntoReply for &'static str {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        self.to_owned().into_reply()
    }
}

impl<T: IntoReply> IntoReply for Option<T> {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        match self {
            Some(t) => t.into_reply(),
            None => Ok(None),
        }
    }
}

impl<T: IntoReply, E: std::fmt::Display> IntoReply for Result<T, E> {
    fn into_reply(self) -> Result<Outcome, HandlerError> {
        match self {
            Ok(t) => t.into_reply(),
            Err(e) => Err(HandlerError(e.to_string())),
        }
    }
}
