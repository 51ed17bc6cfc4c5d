//! Answering with a language model: what rules and handlers leave unanswered goes to the account's model.
//!
//! The model runs as an ordinary handler inside the deadline machinery, so a fast answer goes out passively and a
//! slow one through the outbox (with the typing status while it thinks); an answer too long for one message is
//! split and sent as customer-service messages within the user's quota. A streamed long answer is sent part by
//! part as it is written ([`Cutter`], [`crate::Context::send_early`]), so its first message arrives long before
//! the model has finished.

mod cutter;
mod responder;

use cutter::Cutter;
pub(crate) use responder::LlmResponder;
