//! Answering WeChat users with a language model.
//!
//! * [`chat`]: a client for any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Ollama, vLLM, …), streaming
//!   when asked to, with typed errors.
//! * [`history`]: keeping a conversation within a budget of turns and approximate tokens.
//! * [`guard`]: per-user rate limit and daily cap.
//! * `fake` (with the `testing` feature): a deterministic OpenAI-compatible server on `127.0.0.1:0` for tests and
//!   demos (configurable delay, errors and streaming; it records what it was asked). The default build leaves it,
//!   and the HTTP server it needs, out.

pub mod chat;
pub mod config;
#[cfg(feature = "testing")]
pub mod fake;
pub mod guard;
pub mod history;

pub use chat::{ChatClient, ChatMessage, Completion, LlmError, Role, Usage};
pub use config::LlmConfig;
