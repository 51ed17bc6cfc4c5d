//! The wxgate webhook server.
//!
//! It receives WeChat pushes on the classic server URL (plain, compatible and safe mode, URL verification) and
//! through WeChat Cloud Hosting (JSON or XML), answers with config rules or Rust handlers inside the reply budget,
//! and encodes (and seals) the passive reply in the format and mode the push came in. Bad input is refused with a
//! 4xx and a short reason; handler failures are answered `success` so users never see the platform's error notice.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use wxgate_server::{Gateway, Router, config};
//!
//! let config = config::load(None)?; // embedded default + WXGATE_… environment
//! let router = Router::new().on_keyword("ping", || async { "pong" });
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! Gateway::new(config).with_router(router).serve(listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod account;
pub mod config;
pub mod context;
pub mod dispatch;
pub mod gateway;
pub mod join;
pub mod llm;
pub mod media;
pub mod outbox;
pub mod router;
pub mod rules;
pub mod webhook;

pub use account::Account;
pub use context::{CloudInfo, Context};
pub use gateway::Gateway;
pub use router::Router;
