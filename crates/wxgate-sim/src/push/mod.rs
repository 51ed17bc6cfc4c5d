//! The push side: the platform calling the developer server (URL verification, message push in every encryption
//! mode and data format, Cloud Hosting).
//!
//! [`action`] turns what a user does into push fields, [`sign`] builds the signed / encrypted request,
//! [`judge`] decides what the user sees from the answer, and `deliver` runs the attempts over HTTP.

pub mod action;
mod action_spec;
mod deliver;
pub mod judge;
pub mod sign;

pub use action::UserAction;
pub use deliver::{CheckOutcome, PushOutcome};
pub(crate) use deliver::{probe, push, verify_url};
pub use judge::Verdict;
