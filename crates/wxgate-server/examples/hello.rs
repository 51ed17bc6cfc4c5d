//! A gateway with Rust handlers: `ping` → `pong`, a greeting for followers, and every other text quoted back.
//!
//! Run with `cargo run -p wxgate-server --example hello`; it uses the embedded default config (path `/wx`),
//! whose rules run first, plus any `WXGATE_…` variables.

use wxgate_server::router::{OpenId, Text};
use wxgate_server::{Gateway, Router, config};

async fn hello(Text(text): Text, OpenId(user): OpenId) -> String {
    format!("{user} said {text}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = config::load(None)?; // embedded default + WXGATE_… variables; Some(path) for a file
    let router = Router::new()
        .on_keyword("ping", || async { "pong" })
        .on_event("subscribe", || async { "welcome!" })
        .on_text(hello);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    Gateway::new(config).with_router(router).serve(listener, std::future::pending()).await?;
    Ok(())
}
