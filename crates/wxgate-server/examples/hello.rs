//! A gateway with Rust handlers: `ping` → `pong`, a greeting for followers, and every other text quoted back.
//!
//! Run it with `cargo run -p wxgate-server --example hello`, then point a test account (or `wxgate sim`) at
//! `http://127.0.0.1:8080/wx` with the token below. The config is written out here and has no rules, so every
//! push reaches the handlers; `WXGATE_…` variables still override it (`WXGATE_TOKEN=…`).

use wxgate_server::router::{OpenId, Text};
use wxgate_server::{Gateway, Router, config};

/// One Official Account on `/wx`, plaintext or encrypted, answered by the handlers below.
pub const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:8080"

[[accounts]]
name = "hello"
path = "/wx"
appid = "wx0000000000000001"
token = "hello-token"
aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
"#;

async fn quote(Text(text): Text, OpenId(user): OpenId) -> String {
    format!("{user} said {text}")
}

/// The handlers, tried in order: a keyword, an event, then any text.
pub fn router() -> Router {
    Router::new().on_keyword("ping", || async { "pong" }).on_event("subscribe", || async { "welcome!" }).on_text(quote)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let config = config::load_str(CONFIG, "hello.rs", std::env::vars())?;
    let listener = tokio::net::TcpListener::bind(config.listen()).await?;
    println!("listening on http://{}/wx", listener.local_addr()?);
    Gateway::builder(config).router(router()).build()?.serve(listener, std::future::pending()).await?;
    Ok(())
}
