//! The assembled gateway: serving it on a listener, or mounting it into an axum app; either way with its
//! background work.

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::get;

use super::background::Background;
use super::health::Health;
use super::listen;
use crate::config::Config;
use crate::webhook::{self, PathGroup};

/// The gateway: accounts from config, Rust handlers, stores and background work, ready to serve.
#[derive(Debug)]
pub struct Gateway {
    config: Config,
    paths: Arc<HashMap<String, Arc<PathGroup>>>,
    background: Background,
    health: Arc<Health>,
    /// This process's name on the outbox's leases.
    owner: String,
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
    pub(super) fn new(
        config: Config,
        paths: HashMap<String, Arc<PathGroup>>,
        background: Background,
        health: Arc<Health>,
        owner: String,
    ) -> Gateway {
        Gateway { config, paths: Arc::new(paths), background, health, owner }
    }

    /// The resolved config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The axum app: every account path (GET verification, POST push), `GET /healthz`, `GET /readyz` and
    /// `GET /metrics`. Mount it into your own app with `Router::merge`. The outbox worker and the recovery start
    /// now, on the current tokio runtime, and stop when the app (every clone of the router) is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn into_axum(self) -> axum::Router {
        let (_, worker) = self.background.spawn();
        *self.health.worker.lock().expect("health lock") = Some(worker);
        let (ready, metrics) = (self.health.clone(), self.health.clone());
        let mut app = axum::Router::new()
            .route("/healthz", get(|| async { Health::alive() }))
            .route("/readyz", get(move || async move { ready.ready().await }))
            .route("/metrics", get(move || async move { metrics.metrics().await }));
        for (path, group) in self.paths.iter() {
            app = app.route(path, get(webhook::verify_axum).post(webhook::push_axum).with_state(group.clone()));
        }
        app
    }

    /// Serves on a bound listener until `shutdown` resolves, then drains within `server.drain_ms`: `/readyz`
    /// turns 503 and no connection is accepted any more; attempts held for a WeChat retry are handed to late
    /// delivery at once; requests in flight finish; running handlers finish (their answers go to the outbox);
    /// the outbox worker finishes the sends in progress; and the leases on pushes still being worked out are
    /// released, so another replica (or this one, restarted) takes them over at once. `/metrics`, `/healthz` and
    /// `/readyz` are also served on `server.metrics_listen` when it is set, until the drain ends. The `[server]`
    /// limits apply; the process's soft open-file limit is raised to its hard limit, and
    /// `server.max_connections` fitted under it.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Gateway { config, paths, background, health, owner } = self;
        let (recovering, worker) = background.spawn();
        *health.worker.lock().expect("health lock") = Some(worker);
        let (probes_done, probes_stop) = tokio::sync::oneshot::channel::<()>();
        let probes = match config.metrics_listen() {
            Some(addr) => {
                let probes = tokio::net::TcpListener::bind(addr).await?;
                let (health, limits) = (health.clone(), config.limits);
                let stop = async move {
                    let _ = probes_stop.await;
                };
                Some(tokio::spawn(listen::serve(probes, Arc::new(HashMap::new()), health, limits, stop)))
            }
            None => None,
        };
        let running = health.running.clone();
        let signalled = async move {
            shutdown.await;
            running.drain();
            crate::metrics::get().draining.set(1);
            tracing::info!("draining: no new connections, held attempts handed to late delivery");
        };
        let began = listen::serve(listener, paths.clone(), health.clone(), config.limits, signalled).await;
        let deadline = began + config.limits.drain;
        if tokio::time::timeout_at(deadline.into(), health.running.idle()).await.is_err() {
            tracing::warn!(running = health.running.count(), "handlers still running at the end of the drain");
        }
        if let Some(group) = paths.values().next() {
            let _ = group.shared.stop.send(true);
        }
        let worker = health.worker.lock().expect("health lock").take();
        if let Some(worker) = worker
            && tokio::time::timeout_at(deadline.into(), worker).await.is_err()
        {
            tracing::warn!("a send was still in progress at the end of the drain; its lease will run out");
        }
        let _ = recovering.await;
        // Pushes still being worked out here are taken over by another process at once.
        match health.store.renew(&owner, 0).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "released the leases on pushes still being worked out"),
            Err(e) => tracing::warn!(error = %e, "cannot release the leases on pushes being worked out"),
        }
        let _ = probes_done.send(());
        if let Some(probes) = probes {
            let _ = probes.await;
        }
        tracing::info!(took_ms = began.elapsed().as_millis() as u64, "drained");
        Ok(())
    }
}
