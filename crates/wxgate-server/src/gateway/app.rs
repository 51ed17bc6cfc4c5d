//! The assembled gateway: serving it on a listener, or mounting it into an axum app; either way with its
//! background work.

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::get;

use super::background::Background;
use super::listen;
use crate::config::Config;
use crate::webhook::{self, PathGroup};

/// The gateway: accounts from config, Rust handlers, stores and background work, ready to serve.
#[derive(Debug)]
pub struct Gateway {
    config: Config,
    paths: Arc<HashMap<String, Arc<PathGroup>>>,
    background: Background,
}

/// Why a gateway cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// An account's platform client cannot be created.
    #[error("platform client of account {account}: {source}")]
    Client {
        /// The account.
        account: String,
        /// Why.
        source: wxgate_client::ClientError,
    },
}

impl Gateway {
    /// Assembled by the builder.
    pub(super) fn new(config: Config, paths: HashMap<String, Arc<PathGroup>>, background: Background) -> Gateway {
        Gateway { config, paths: Arc::new(paths), background }
    }

    /// The resolved config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The axum app: every account path (GET verification, POST push) and `GET /healthz`. Mount it into your own
    /// app with `Router::merge`. The outbox worker and the recovery start now, on the current tokio runtime, and
    /// stop when the app (every clone of the router) is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn into_axum(self) -> axum::Router {
        self.background.spawn();
        let mut app = axum::Router::new().route("/healthz", get(|| async { "ok" }));
        for (path, group) in self.paths.iter() {
            app = app.route(path, get(webhook::verify_axum).post(webhook::push_axum).with_state(group.clone()));
        }
        app
    }

    /// Serves on a bound listener until `shutdown` resolves, then lets in-flight requests finish (up to 10 s) and
    /// stops the background work. The `[server]` limits apply; the process's soft open-file limit is raised to
    /// its hard limit, and `server.max_connections` fitted under it.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.background.spawn();
        listen::serve(listener, self.paths.clone(), self.config.limits, shutdown).await;
        if let Some(group) = self.paths.values().next() {
            let _ = group.shared.stop.send(true);
        }
        Ok(())
    }
}
