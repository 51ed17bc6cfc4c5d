//! Assembling the app from the resolved config and a router, and serving it.
//!
//! [`Gateway::serve`] drives hyper directly with a small path table: the callback path is the hot path of the
//! whole gateway, and a framework router in front of a handful of fixed paths costs a measurable share of it.
//! [`Gateway::into_axum`] exposes the same handlers as an axum router for people who mount wxgate into their own
//! app.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;

use wxgate_proto::ReplyBody;

use crate::config::{LateStrategy, ResolvedConfig};
use crate::join::{DropLate, ENTRY_TTL, InFlightTable, LateDelivery, ParkingLot};
use crate::router::Router;
use crate::webhook::{self, PathGroup, Shared};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// The gateway: accounts from config plus the Rust handlers.
#[derive(Debug)]
pub struct Gateway {
    config: ResolvedConfig,
    router: Router,
    late: Arc<dyn LateDelivery>,
}

impl Gateway {
    /// A gateway answering with config rules only.
    pub fn new(config: ResolvedConfig) -> Self {
        Gateway { config, router: Router::new(), late: Arc::new(DropLate::default()) }
    }

    /// Where answers that miss the last attempt go for `customer_service` accounts (the durable outbox).
    /// Without it they are logged and dropped. `passive_only` accounts always park them for the user's next message.
    pub fn with_late_delivery(mut self, late: Arc<dyn LateDelivery>) -> Self {
        self.late = late;
        self
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

    fn path_groups(self) -> HashMap<String, Arc<PathGroup>> {
        let late = self
            .config
            .accounts
            .iter()
            .filter(|a| a.strategy == LateStrategy::PassiveOnly)
            .map(|a| {
                let placeholder = a.placeholder.clone().map(ReplyBody::text);
                (a.name.clone(), Arc::new(ParkingLot::new(placeholder)) as Arc<dyn LateDelivery>)
            })
            .collect();
        let shared = Arc::new(Shared {
            table: InFlightTable::new(ENTRY_TTL),
            late,
            default_late: self.late,
            extensions: Arc::new(self.router.extensions()),
            router: self.router,
            timestamp_window: self.config.timestamp_window,
            body_limit: self.config.body_limit,
        });
        let mut by_path: HashMap<String, Vec<_>> = HashMap::new();
        for account in &self.config.accounts {
            by_path.entry(account.path.clone()).or_default().push(account.clone());
        }
        by_path
            .into_iter()
            .map(|(path, accounts)| (path, Arc::new(PathGroup { accounts, shared: shared.clone() })))
            .collect()
    }

    /// The axum app: every account path (GET verification, POST push) and `GET /healthz`. Mount it into your own
    /// app with `Router::merge`.
    pub fn into_axum(self) -> axum::Router {
        let mut app = axum::Router::new().route("/healthz", get(|| async { "ok" }));
        for (path, group) in self.path_groups() {
            app = app.route(&path, get(webhook::verify_axum).post(webhook::push_axum).with_state(group));
        }
        app
    }

    /// Serves on a bound listener until `shutdown` resolves, then lets in-flight requests finish (up to 10 s).
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let paths = Arc::new(self.path_groups());
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let paths = paths.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let paths = paths.clone();
                async move { Ok::<_, Infallible>(route(&paths, req).await) }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
            tracing::warn!("in-flight requests still running after the drain period");
        }
        Ok(())
    }
}

async fn route(paths: &HashMap<String, Arc<PathGroup>>, req: Request<Incoming>) -> Response {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == "/healthz" && parts.method == Method::GET {
        return "ok".into_response();
    }
    let Some(group) = paths.get(parts.uri.path()) else {
        return (StatusCode::NOT_FOUND, "no account on this path").into_response();
    };
    match parts.method {
        Method::GET => webhook::verify(group, &parts),
        Method::POST => webhook::push(group, &parts, body).await,
        _ => (StatusCode::METHOD_NOT_ALLOWED, "use GET (URL verification) or POST (push)").into_response(),
    }
}
