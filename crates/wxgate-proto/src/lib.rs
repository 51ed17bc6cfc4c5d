//! The WeChat message-push protocol, without IO.
//!
//! Everything here is a pure function of its input, so every step of the callback path can be tested (and
//! benchmarked) without a socket:
//!
//! * [`tree`]: a loss-free field tree decoded from the XML (classic callback) or JSON (Cloud Hosting, Mini Program
//!   JSON mode) body, with a hardened XML reader (no DTD, no entities beyond the five predefined ones).
//! * [`inbound`]: the typed model of every ordinary message and event; unknown types and fields stay available raw.
//! * [`reply`]: passive replies, their limits, and their XML / JSON encodings (and decoding, for the simulator).
//! * [`crypto`]: URL `signature`, `msg_signature`, the AES-256-CBC frame with 32-byte PKCS#7 padding, and the
//!   encrypted envelopes in both directions.
//! * [`format`](mod@format): telling XML from JSON by the body, never by `Content-Type`.
//! * [`query`]: the signed query of a push or a URL verification.

pub mod crypto;
pub mod errcode;
pub mod error;
pub mod format;
pub mod inbound;
pub mod kf;
pub mod kf_reply;
pub mod query;
pub mod reply;
pub mod text;
pub mod tree;
pub mod write;
mod xml_chars;

pub use error::ProtoError;
pub use format::Format;
pub use inbound::{Event, Inbound, InboundKind};
pub use reply::{Article, Music, Reply, ReplyBody};
pub use tree::{Fields, Value};
