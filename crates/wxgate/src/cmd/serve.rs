//! `wxgate serve`: load the config, build the app, listen until Ctrl-C.

use anyhow::Context as _;
use wxgate_server::{Gateway, config};

/// Arguments of `wxgate serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (TOML). Without it: the embedded default (examples/default.toml) plus `WXGATE_…` variables.
    #[arg(short, long, env = "WXGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = config::load(args.config.as_deref())?;
    for account in &config.accounts {
        if account.crypto.token() == "wxgate-demo-token" {
            tracing::warn!(account = %account.name, "using the public demo token: set your own (WXGATE_TOKEN) before going live");
        }
        tracing::info!(
            account = %account.name,
            path = %account.path,
            delivery = ?account.delivery,
            encryption = ?account.encryption,
            rules = account.rules.len(),
            "account ready"
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen / WXGATE_LISTEN)", config.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "wxgate listening");
    Gateway::new(config).serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
