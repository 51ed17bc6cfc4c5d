//! What the outbox needs from the platform: sending a customer-service message and the typing status.
//!
//! The platform client implements [`CustomerService`]; errors carry a typed [`Retry`] class so the worker never
//! guesses from strings whether to try again.

use std::future::Future;
use std::pin::Pin;

use wxgate_proto::ReplyBody;

/// Whether a failed send may succeed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after a back-off (network error, HTTP 5xx, errcode -1, rate limits).
    Later,
    /// Never (window closed 45015, quota 45047, no permission 48001, bad media 40007, …).
    Never,
}

/// A failed send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The platform's errcode, when it answered one.
    pub code: Option<i64>,
    /// What went wrong.
    pub message: String,
    /// Whether to try again.
    pub retry: Retry,
}

/// A boxed future.
pub type SendFut<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Sends customer-service messages for an account.
pub trait CustomerService: Send + Sync + std::fmt::Debug {
    /// Sends one message to a user.
    fn send<'a>(&'a self, account: &'a str, openid: &'a str, message: &'a ReplyBody) -> SendFut<'a>;
    /// Shows (`true`) or cancels (`false`) the typing status.
    fn typing<'a>(&'a self, account: &'a str, openid: &'a str, on: bool) -> SendFut<'a>;
}
