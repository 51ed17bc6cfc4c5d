//! `wxgate serve`: load the config, build the app, listen until Ctrl-C.

use std::sync::Arc;

use anyhow::Context as _;
use wxgate_client::Client;
use wxgate_server::config::LateStrategy;
use wxgate_server::outbox::{PlatformSender, WorkerConfig};
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
    let stores = super::store::open(&config).await?;
    let mut sender = PlatformSender::new();
    for account in &config.accounts {
        match account.client_config() {
            Some(client_config) => {
                let client = Client::builder(client_config)
                    .token_store(stores.tokens.clone())
                    .media_cache(stores.media.clone())
                    .build()
                    .with_context(|| format!("platform client of account {}", account.name))?;
                sender = sender.with_account(&account.name, Arc::new(client));
            }
            None if account.strategy != LateStrategy::PassiveOnly => tracing::warn!(
                account = %account.name,
                "no AppSecret: answers that miss the 5-second limit cannot be sent by customer service \
                 (set secret / WXGATE_APPSECRET, or deadline.strategy = \"passive_only\")"
            ),
            None => {}
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen / WXGATE_LISTEN)", config.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "wxgate listening");
    let sender = Arc::new(sender);
    let worker = WorkerConfig { work_lease: config.work_lease, ..WorkerConfig::for_instance(&config.instance) };
    tracing::info!(instance = %config.instance, "this replica");
    let mut gateway = Gateway::new(config)
        .with_outbox(stores.outbox, sender.clone(), worker)
        .with_media(sender)
        .with_conversations(stores.conversations);
    if let Some(attempts) = stores.attempts {
        gateway = gateway.with_shared_attempts(attempts);
    }
    if let Some(windows) = stores.windows {
        gateway = gateway.with_shared_windows(windows);
    }
    gateway.serve(listener, shutdown_signal()).await?;
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
