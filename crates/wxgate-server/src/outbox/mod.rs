//! The durable outbox of late answers, and the worker that delivers them through the customer-service API.
//!
//! [`Outbox`] is the [`LateDelivery`](crate::join::LateDelivery) sink of `customer_service` accounts: the last
//! attempt's push is written to the [`OutboxStore`](wxgate_store::OutboxStore) before `success` is answered, the answer is recorded when the
//! work finishes, and the [`Worker`] sends it — in order per user, with back-off on retryable errors, within the
//! user's window and quota, with the typing status while the work runs. Pushes whose answers were still being
//! worked out when their process died are worked again ([`Recovery`]).

mod auto;
mod deliver;
mod interactions;
mod platform;
mod recover;
mod send;
mod sink;
mod window;
mod worker;

pub use auto::AutoDelivery;
pub use deliver::{CONTINUE_HINT, PART_ROOM, pack};
pub use interactions::Interactions;
pub use platform::PlatformSender;
pub use recover::Recovery;
pub use send::{CustomerService, Retry, SendError, SendFut};
pub use sink::{Outbox, parts};
pub use window::{Window, Windows};
pub use worker::{WAITING, Worker, WorkerConfig};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
