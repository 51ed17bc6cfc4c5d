//! The wxgate webhook server.
//!
//! It receives WeChat pushes on the classic server URL (plain, compatible and safe mode, URL verification) and
//! through WeChat Cloud Hosting (JSON or XML), answers with config rules, Rust handlers or a language model inside
//! WeChat's 5-second limit, joins WeChat's retries to the work already running, and sends what misses the limit
//! through the customer-service API from a durable outbox. Bad input is refused with a 4xx and a short reason;
//! handler failures are answered `success` so users never see the platform's error notice.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use wxgate_server::{Gateway, Router, config};
//!
//! let config = config::load(Some("examples/hello.toml".as_ref()))?; // a file + WXGATE_… environment
//! let router = Router::new().on_keyword("ping", || async { "pong" });
//! let listener = tokio::net::TcpListener::bind(config.listen()).await?;
//! Gateway::builder(config).router(router).build()?.serve(listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! The modules form one-way layers, from the bottom: [`clock`], `metrics` → `meter`, `matcher` → `rules`,
//! [`account`] → `answer`, `context` → `ports` → [`router`], `llm`, `work` → `deadline`, `outbox`, `platform` →
//! `webhook`, [`config`] → `gateway`. No module imports one above it (`docs/architecture.md` walks one push
//! through them).

pub mod account;
mod answer;
pub mod clock;
pub mod config;
mod context;
mod deadline;
mod gateway;
mod llm;
mod matcher;
mod meter;
mod metrics;
mod outbox;
mod platform;
mod ports;
pub mod router;
mod rules;
mod webhook;
mod work;

pub use account::{Account, AccountKind, Caller};
pub use answer::{Answer, CONTINUE_HINT, Messages, Outcome, PART_ROOM, messages};
pub use clock::Clock;
pub use config::{Config, ConfigError};
pub use context::{CloudInfo, Context};
pub use gateway::{Gateway, GatewayBuilder, GatewayError, Stores};
pub use outbox::WorkerConfig;
pub use platform::PlatformSender;
pub use ports::{
    Accepted, BoxFut, CustomerService, LateDelivery, MediaUploader, Retry, SendError, SinkError, UploadError,
};
pub use router::{Match, Router};
pub use rules::MediaFile;
