//! The durable outbox of late answers, and the worker that delivers them through the customer-service API.
//!
//! [`Outbox`] is the [`LateDelivery`](crate::ports::LateDelivery) sink of `customer_service` accounts: the last
//! attempt's push is written to the [`OutboxStore`](wxgate_store::OutboxStore) before `success` is answered, the
//! answer is recorded when the work finishes (as its customer-service messages, [`crate::answer::messages`]), and the
//! [`Worker`] sends it — in order per user, with back-off on retryable errors, within the user's window and quota
//! ([`Windows`]). Pushes whose answers were still being worked out when their process died are worked again
//! ([`Recovery`]). Replicas on a shared store spool late answers locally while it does not answer ([`Spooled`]).
//! [`AutoDelivery`] switches an `auto` account to passive-only on 48001.

mod auto;
mod interactions;
mod recover;
mod sink;
mod spool;
mod window;
mod worker;

pub(crate) use auto::AutoDelivery;
pub(crate) use interactions::Interactions;
pub(crate) use recover::{Recovery, RecoveryParts};
pub(crate) use sink::Outbox;
pub(crate) use spool::Spooled;
pub(crate) use window::Windows;
pub use worker::WorkerConfig;
pub(crate) use worker::{Worker, WorkerParts};
