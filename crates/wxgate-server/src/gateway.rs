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
use crate::llm::LlmResponder;
use crate::media::MediaUploader;
use crate::outbox::{AutoDelivery, CustomerService, Interactions, Outbox, Recovery, Windows, Worker, WorkerConfig};
use crate::router::Ctx;
use crate::router::Router;
use crate::webhook::{self, PathGroup, Shared};
use tokio::sync::Notify;
use wxgate_store::OutboxStore;
use wxgate_store::{AttemptCounter, ConversationStore, WindowStore};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// The gateway: accounts from config plus the Rust handlers.
#[derive(Debug)]
pub struct Gateway {
    config: ResolvedConfig,
    router: Router,
    late: Arc<dyn LateDelivery>,
    outbox: Option<OutboxParts>,
    auto: HashMap<String, Arc<AutoDelivery>>,
    conversations: Option<Arc<dyn ConversationStore>>,
    media: Option<Arc<dyn MediaUploader>>,
    attempts: Option<Arc<dyn AttemptCounter>>,
    windows: Option<Arc<dyn WindowStore>>,
}

/// Recovered pushes worked at once.
const RECOVERY_CONCURRENCY: usize = 16;

/// The outbox pieces started with the server.
#[derive(Debug, Clone)]
struct OutboxParts {
    store: Arc<dyn OutboxStore>,
    cs: Arc<dyn CustomerService>,
    sink: Outbox,
    worker: Worker,
    windows: Arc<Windows>,
    wake: Arc<Notify>,
}

impl Gateway {
    /// A gateway answering with config rules only.
    pub fn new(config: ResolvedConfig) -> Self {
        Gateway {
            config,
            router: Router::new(),
            late: Arc::new(DropLate::default()),
            outbox: None,
            auto: HashMap::new(),
            conversations: None,
            media: None,
            attempts: None,
            windows: None,
        }
    }

    /// Delivers late answers of `customer_service` accounts through the durable outbox: the worker (and, first,
    /// the recovery of pushes whose answers were awaited before a restart) runs with [`Gateway::serve`].
    pub fn with_outbox(
        mut self,
        store: Arc<dyn OutboxStore>,
        cs: Arc<dyn CustomerService>,
        config: WorkerConfig,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let windows = Arc::new(Windows::new());
        if let Some(shared) = &self.windows {
            windows.share(shared.clone());
        }
        let sink = Outbox::new(store.clone(), wake.clone(), &config.name, config.work_lease);
        let mut worker = Worker::new(store.clone(), cs.clone(), windows.clone(), wake.clone(), config);
        for a in self.config.accounts.iter().filter(|a| a.strategy == LateStrategy::Auto) {
            let auto = Arc::new(AutoDelivery::new(sink.clone(), a.placeholder.clone().map(ReplyBody::text)));
            worker = worker.with_auto(&a.name, auto.clone());
            self.auto.insert(a.name.clone(), auto);
        }
        self.late = Arc::new(sink.clone());
        self.outbox = Some(OutboxParts { store, cs, sink, worker, windows, wake });
        self
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

    /// Uploads the local files of rules such as `image = "logo.png"` (the platform client does).
    pub fn with_media(mut self, uploader: Arc<dyn MediaUploader>) -> Self {
        self.media = Some(uploader);
        self
    }

    /// Counts WeChat's attempts at each push in a store shared with the other replicas, so the last attempt
    /// hands the answer over even when a load balancer spreads one push's attempts over several replicas.
    /// Without it each process counts the attempts it receives (right for one process, or sticky routing).
    pub fn with_shared_attempts(mut self, counter: Arc<dyn AttemptCounter>) -> Self {
        self.attempts = Some(counter);
        self
    }

    /// Keeps users' customer-service windows and quotas in a store shared with the other replicas (the replica
    /// sending an answer is often not the one that received the message). Without it they live in memory.
    pub fn with_shared_windows(mut self, store: Arc<dyn WindowStore>) -> Self {
        if let Some(o) = &self.outbox {
            o.windows.share(store.clone());
        }
        self.windows = Some(store);
        self
    }

    /// Where model conversations are kept (default: in memory).
    pub fn with_conversations(mut self, store: Arc<dyn ConversationStore>) -> Self {
        self.conversations = Some(store);
        self
    }

    /// The router with the accounts' models behind every other route.
    fn full_router(&self) -> Router {
        if self.config.llm.is_empty() {
            return self.router.clone();
        }
        let store = self.conversations.clone().unwrap_or_else(|| Arc::new(wxgate_store::memory::MemoryStore::new()));
        let responders: Arc<HashMap<String, Arc<LlmResponder>>> = Arc::new(
            self.config
                .llm
                .iter()
                .map(|(name, cfg)| (name.clone(), Arc::new(LlmResponder::new(cfg.clone(), store.clone()))))
                .collect(),
        );
        self.router.clone().fallback(move |Ctx(ctx): Ctx| {
            let responders = responders.clone();
            async move {
                match responders.get(&ctx.account.name) {
                    Some(r) => r.answer(&ctx).await,
                    None => None,
                }
            }
        })
    }

    /// The resolved config.
    pub fn config(&self) -> &ResolvedConfig {
        &self.config
    }

    fn path_groups(&self, router: Router) -> HashMap<String, Arc<PathGroup>> {
        let mut late: HashMap<String, Arc<dyn LateDelivery>> = self
            .config
            .accounts
            .iter()
            .filter(|a| a.strategy == LateStrategy::PassiveOnly)
            .map(|a| {
                let placeholder = a.placeholder.clone().map(ReplyBody::text);
                (a.name.clone(), Arc::new(ParkingLot::new(placeholder)) as Arc<dyn LateDelivery>)
            })
            .collect();
        for (name, auto) in &self.auto {
            late.insert(name.clone(), auto.clone());
        }
        let shared = Arc::new(Shared {
            table: InFlightTable::new(ENTRY_TTL),
            late,
            default_late: self.late.clone(),
            interactions: self.outbox.as_ref().map(|o| Interactions {
                windows: o.windows.clone(),
                store: o.store.clone(),
                wake: o.wake.clone(),
            }),
            typing: self.outbox.as_ref().map(|o| o.cs.clone()),
            media: self.media.clone(),
            attempts: self.attempts.clone(),
            extensions: Arc::new(self.router.extensions()),
            router,
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
        for (path, group) in self.path_groups(self.full_router()) {
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
        // One router (and one model responder per account, with its per-user locks and guards) serves both the
        // webhook and the recovery of awaited answers.
        let router = self.full_router();
        let paths = Arc::new(self.path_groups(router.clone()));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        if let Some(o) = self.outbox.clone() {
            let accounts = self.config.accounts.iter().map(|a| (a.name.clone(), a.clone())).collect();
            let worker = o.worker.config();
            let recovery = Recovery {
                store: o.store.clone(),
                outbox: o.sink.clone(),
                accounts: Arc::new(accounts),
                extensions: Arc::new(router.extensions()),
                router: router.clone(),
                media: self.media.clone(),
                owner: worker.name.clone(),
                instance: format!("{}#", worker.instance),
                work_lease: worker.work_lease,
                permits: Arc::new(tokio::sync::Semaphore::new(RECOVERY_CONCURRENCY)),
            };
            let mut stop = stop_rx.clone();
            tokio::spawn(recovery.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }));
            let mut stop = stop_rx;
            tokio::spawn(o.worker.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }));
        }
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
        let _ = stop_tx.send(true);
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
