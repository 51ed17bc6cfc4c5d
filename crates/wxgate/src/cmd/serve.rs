//! `wxgate serve`: load the config, open the store, serve until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use wxgate_server::{Gateway, config};

/// Arguments of `wxgate serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (TOML). Without it: the embedded default plus `WXGATE_…` variables.
    #[arg(short, long, env = "WXGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = config::load(args.config.as_deref())?;
    let stores = super::store::open(&config).await?;
    let listen = config.listen();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen / WXGATE_LISTEN)"))?;
    tracing::info!(addr = %listener.local_addr()?, instance = %config.instance(), "wxgate listening");
    Gateway::builder(config).stores(stores).build()?.serve(listener, shutdown_signal()).await?;
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
