//! `wxgate token [--reveal]`: obtain (or reuse) the access token and show where it came from and when it
//! expires. The token itself is printed only with `--reveal`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::platform::PlatformArgs;

/// Arguments of `wxgate token`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// Print the token itself (it grants API access: keep it out of logs and shared terminals).
    #[arg(long)]
    pub reveal: bool,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.platform.client().await?;
    let Some(info) = client.access_token().await? else {
        println!("Cloud Hosting open interface service: calls need no access token");
        return Ok(());
    };
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default();
    let left = info.expires_at_ms.saturating_sub(now_ms) / 1000;
    let source = match info.source {
        wxgate_client::TokenSource::Memory => "memory",
        wxgate_client::TokenSource::Store => "store (obtained earlier, shared)",
        wxgate_client::TokenSource::Platform => "platform (fetched now)",
    };
    println!("source:     {source}");
    println!("store:      {}", args.platform.store.display());
    println!("expires at: {} (unix seconds), in {}m{:02}s", info.expires_at_ms / 1000, left / 60, left % 60);
    if args.reveal {
        println!("token:      {}", info.token);
    } else {
        println!("token:      <{} chars; pass --reveal to print it>", info.token.len());
    }
    Ok(())
}
