//! Sends a (possibly long, Markdown) answer to a user as customer-service text messages.
//!
//! ```sh
//! WXGATE_APPID=wx… WXGATE_APPSECRET=… cargo run -p wxgate-client --example send_text -- OPENID "**Hi**"
//! ```
//! `WXGATE_API_BASE=http://127.0.0.1:PORT` points it at the simulator (`wxgate sim`).

use wxgate_client::{Client, ClientConfig, RetryClass};
use wxgate_proto::text::{markdown_to_text, split_trimmed};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(openid), Some(markdown)) = (args.next(), args.next()) else {
        eprintln!("usage: send_text OPENID MARKDOWN");
        std::process::exit(2);
    };
    let client = Client::new(ClientConfig::from_env()?)?;
    let text = markdown_to_text(&markdown);
    for part in split_trimmed(&text, wxgate_proto::reply::MAX_TEXT_BYTES) {
        if let Err(e) = client.send_text(&openid, part).await {
            match e.retry_class() {
                RetryClass::Permanent => eprintln!("not sent, and retrying will not help: {e}"),
                _ => eprintln!("not sent, try again later: {e}"),
            }
            std::process::exit(1);
        }
    }
    Ok(())
}
