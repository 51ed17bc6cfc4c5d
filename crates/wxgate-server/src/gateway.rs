//! Assembling the axum app from the resolved config and a router, and serving it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::config::ResolvedConfig;
use crate::router::Router;
use crate::webhook::{self, PathGroup, Shared};

/// The gateway: accounts from config plus the Rust handlers.
#[derive(Debug)]
pub struct Gateway {
    config: ResolvedConfig,
    router: Router,
}

impl Gateway {
    /// A gateway answering with config rules only.
    pub fn new(config: ResolvedConfig) -> Self {
        Gateway { config, router: Router::new() }
    }

    /// Adds Rust handlers (tried after the config rules).
    pub fn with_router(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    /// The resolved config.
    pub fn config(&self) -> &ResolvedConfig {
        &self.config
    }

    /// The axum app: every account path (GET verification, POST push) and `GET /healthz`. Mount it into your own
    /// app with `Router::merge`, or serve it with [`Gateway::serve`].
    pub fn into_axum(self) -> axum::Router {
        let shared = Arc::new(Shared {
            extensions: Arc::new(self.router.extensions()),
            router: self.router,
            timestamp_window: self.config.timestamp_window,
        });
        let mut by_path: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for account in &self.config.accounts {
            by_path.entry(account.path.clone()).or_default().push(account.clone());
        }
        let mut app = axum::Router::new().route("/healthz", get(|| async { "ok" }));
        for (path, accounts) in by_path {
            let group = Arc::new(PathGroup { accounts, shared: shared.clone() });
            app = app.route(&path, get(webhook::verify).post(webhook::push).with_state(group));
        }
        app.layer(DefaultBodyLimit::max(self.config.body_limit))
    }

    /// Serves on a bound listener until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.into_axum()).with_graceful_shutdown(shutdown).await
    }
}
