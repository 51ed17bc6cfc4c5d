//! One module per subcommand.

pub mod check;
pub mod dev;
pub mod media;
pub mod outbox;
pub mod platform;
pub mod send;
pub mod serve;
pub mod sim;
pub mod store;
pub mod token;
pub mod typing;

/// Structured logs to stderr; `RUST_LOG` (default `info`) filters them.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
