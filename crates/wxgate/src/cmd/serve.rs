//! `wxgate serve`: load the config, build the app, listen.

/// Arguments of `wxgate serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (TOML). Without it, the embedded default config plus `WXGATE_…` environment variables.
    #[arg(short, long, env = "WXGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl-C.
pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("serve is being wired up")
}
