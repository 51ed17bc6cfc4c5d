//! The ports: what the server needs from outside, as small traits with typed errors.
//!
//! - [`CustomerService`]: sends a customer-service message and the typing status (the platform client
//!   implements it; tests may record instead). Its errors carry a [`Retry`] class, so nothing guesses from a
//!   message whether to try again.
//! - [`MediaUploader`]: turns a rule's local file into a media id.
//! - [`LateDelivery`]: where an answer goes that is not ready by WeChat's last attempt (the durable outbox, or a
//!   parking lot for accounts that may not send customer-service messages).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wxgate_proto::ReplyBody;
use wxgate_proto::kf::KfMessage;

use crate::account::Caller;
use crate::answer::Outcome;
use crate::context::Context;
use crate::rules::MediaFile;

/// A boxed future, for the object-safe traits below.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Whether a failed send may succeed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after a back-off (network error, HTTP 5xx, errcode -1, rate limits).
    Later,
    /// Never (window closed 45015, quota 45047, no permission 48001, bad media 40007, …).
    Never,
}

/// A failed customer-service call.
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

/// Sends customer-service messages for an account.
pub trait CustomerService: Send + Sync + std::fmt::Debug {
    /// Sends one message (one of [`crate::messages`]) to its `touser`.
    fn send<'a>(&'a self, caller: Caller<'a>, message: &'a KfMessage) -> BoxFut<'a, Result<(), SendError>>;
    /// Shows (`true`) or cancels (`false`) the typing status to `openid`.
    fn typing<'a>(&'a self, caller: Caller<'a>, openid: &'a str, on: bool) -> BoxFut<'a, Result<(), SendError>>;
}

/// Why a rule's file has no media id.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The account has no platform client.
    #[error("account {0} has no platform client (set its secret, or delivery = \"cloud\")")]
    NoClient(String),
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The platform refused the upload.
    #[error(transparent)]
    Platform(#[from] wxgate_client::ClientError),
}

/// Turns a local file into a media id of an account.
pub trait MediaUploader: Send + Sync + std::fmt::Debug {
    /// Uploads (or finds in the cache) the file; returns its media id.
    fn media_id<'a>(&'a self, caller: Caller<'a>, file: &'a MediaFile) -> BoxFut<'a, Result<String, UploadError>>;
}

/// Why a late-delivery sink could not take a push.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The store refused or did not answer.
    #[error(transparent)]
    Store(#[from] wxgate_store::StoreError),
    /// This sink cannot do what was asked (e.g. send an answer in parts).
    #[error("{0}")]
    Unsupported(&'static str),
}

/// What the last attempt answers once the sink has accepted the push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Identifies the push to the sink.
    pub ticket: u64,
    /// A passive reply to send now (e.g. "still thinking…"), or `None` for `success`.
    pub placeholder: Option<ReplyBody>,
}

/// Where late answers go.
///
/// The last attempt first asks the sink to *accept* the push (a durable sink writes it here, before `success` is
/// answered, so a crash cannot lose it), then hands the work off; when the work finishes the sink gets the
/// result.
pub trait LateDelivery: Send + Sync + std::fmt::Debug {
    /// Takes responsibility for the push (durably, where the sink is durable).
    fn accept<'a>(&'a self, ctx: &'a Arc<Context>) -> BoxFut<'a, Result<Accepted, SinkError>>;
    /// The result of an accepted push.
    fn complete(&self, ticket: u64, ctx: Arc<Context>, outcome: Outcome) -> BoxFut<'_, ()>;
    /// The push was answered passively after all (its result arrived in the meantime): forget the ticket.
    fn cancel(&self, ticket: u64) -> BoxFut<'_, ()>;
    /// Whether an answer may go out in parts while its work still runs ([`Context::send_early`]); false by
    /// default.
    fn streams(&self) -> bool {
        false
    }
    /// Takes responsibility for part `n` (1, 2, …) of the push's answer, queued after the parts before it (part 0
    /// is the push itself, [`LateDelivery::accept`]). Only called when [`LateDelivery::streams`] is true.
    fn accept_part<'a>(&'a self, _ctx: &'a Arc<Context>, _n: u32) -> BoxFut<'a, Result<u64, SinkError>> {
        Box::pin(async { Err(SinkError::Unsupported("this delivery does not send answers in parts")) })
    }
    /// A passive reply owed to this user from earlier, taken (so it is given once); `None` by default.
    fn take_parked<'a>(&'a self, _account: &'a str, _openid: &'a str) -> BoxFut<'a, Option<ReplyBody>> {
        Box::pin(async { None })
    }
}
