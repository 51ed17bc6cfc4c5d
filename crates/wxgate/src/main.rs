//! The `wxgate` command line: `serve` runs the gateway; the other subcommands talk to the platform or run the
//! simulator. This is the only crate that uses `anyhow`: libraries return typed errors, the CLI reports them.

mod allocator;
mod cmd;

use clap::{Parser, Subcommand};

/// wxgate: a gateway for WeChat Official Account and Mini Program message push.
#[derive(Debug, Parser)]
#[command(name = "wxgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the webhook server.
    Serve(cmd::serve::Args),
    /// Check the config, credentials, store, platform, model and rule files before going live.
    Check(cmd::check::Args),
    /// Inspect and repair the outbox of late answers.
    Outbox(cmd::outbox::Args),
    /// Chat with your bot in the browser: the gateway and a simulated WeChat in one process.
    Dev(cmd::dev::Args),
    /// Run the simulated WeChat platform (push to your server, platform APIs, transcripts).
    Sim(cmd::sim::Args),
    /// Send a customer-service message of any type.
    Send(cmd::send::Args),
    /// Show or cancel the typing status for a user.
    Typing(cmd::typing::Args),
    /// Upload or download temporary media.
    Media(cmd::media::Args),
    /// Show the access token's source and expiry (the token itself only with --reveal).
    Token(cmd::token::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cmd::init_tracing();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().on_thread_park(allocator::on_park).build()?;
    runtime.block_on(async move {
        tokio::spawn(allocator::give_back());
        match cli.command {
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Check(args) => cmd::check::run(args).await,
            Command::Outbox(args) => cmd::outbox::run(args).await,
            Command::Dev(args) => cmd::dev::run(args).await,
            Command::Sim(args) => cmd::sim::run(args).await,
            Command::Send(args) => cmd::send::run(args).await,
            Command::Typing(args) => cmd::typing::run(args).await,
            Command::Media(args) => cmd::media::run(args).await,
            Command::Token(args) => cmd::token::run(args).await,
        }
    })
}
