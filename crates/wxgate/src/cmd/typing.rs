//! `wxgate typing --to OPENID [--cancel]`: show or hide "对方正在输入…" for a user.

use wxgate_client::TypingPath;
use wxgate_proto::kf::TypingCommand;

use super::platform::PlatformArgs;

/// Arguments of `wxgate typing`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Platform options.
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// The user's openid.
    #[arg(long)]
    pub to: String,
    /// Send `CancelTyping` instead of `Typing`.
    #[arg(long)]
    pub cancel: bool,
    /// Use the Mini Program path `/cgi-bin/message/custom/business/typing`.
    #[arg(long)]
    pub business: bool,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut cfg = args.platform.config()?;
    if args.business {
        cfg.typing_path = TypingPath::Business;
    }
    let client = args.platform.client_with(cfg).await?;
    let command = if args.cancel { TypingCommand::CancelTyping } else { TypingCommand::Typing };
    client.typing(&args.to, command).await?;
    println!("{command:?} sent to {}", args.to);
    Ok(())
}
