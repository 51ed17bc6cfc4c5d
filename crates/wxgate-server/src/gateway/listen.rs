//! The listener: accepts connections and routes each request by path with a small table, on hyper directly.
//!
//! No client can hold more than its share: a request head (and a kept-alive connection's idle wait) has a
//! timeout, kept by one pass over the idle connections a few times per timeout (not a timer per request);
//! connections served at once are capped ([`Connections`]: a new one takes the place of the one idle
//! longest, and is closed at once only when all are busy, so the accept loop never stalls); the process's
//! open-file limit is raised to its hard limit and the cap fitted under it; and an accept that fails (out of file
//! descriptors) backs off instead of spinning.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use super::connections::{Connections, Slot};
use super::health::Health;
use crate::config::Limits;
use crate::webhook::{self, PathGroup};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;

/// How long at most a drain lets just-accepted connections start their first request before closing idle ones.
const FIRST_REQUEST_WAIT: Duration = Duration::from_secs(2);

/// How often, at most, the connections idle past the header timeout are closed (and at least four times per
/// timeout): a connection is closed between the timeout and the timeout plus this after it became idle.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// File descriptors kept free for what is not a client connection (the store, the platform, the model, logs).
const SPARE_FILES: u64 = 64;

/// Serves until `shutdown` resolves, then serves the connections already waiting to be accepted, stops
/// accepting and waits (up to `limits.drain`) for the requests in flight. Returns when the drain began.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    paths: Arc<HashMap<String, Arc<PathGroup>>>,
    health: Arc<Health>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::time::Instant {
    let connections = Connections::new(fit_to_open_files(limits.connections));
    // No timer for hyper: its header timeout would be a timer per request; the idle pass keeps that timeout.
    let http = http1::Builder::new();
    let idle_pass = tokio::spawn(close_idle(connections.clone(), limits.header_timeout));
    let graceful = GracefulShutdown::new();
    let serve_one = |stream: tokio::net::TcpStream| {
        let Some(slot) = connections.admit() else {
            // Every connection is busy with a request: close this one at once rather than stall the loop.
            webhook::quiet_warn("connection refused: every connection is busy", &"server.max_connections reached");
            return;
        };
        let _ = stream.set_nodelay(true);
        // What each request needs, in one allocation of this connection's own: a request clones one reference
        // that no other connection touches.
        let serving = Arc::new(Serving { paths: paths.clone(), health: health.clone(), slot });
        let watching = serving.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let serving = serving.clone();
            async move {
                serving.slot.busy();
                let response = route(&serving.paths, &serving.health, req).await;
                serving.slot.idle();
                Ok::<_, Infallible>(response)
            }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            tokio::select! {
                biased;
                ended = conn => if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                () = watching.slot.closing() => tracing::debug!("idle connection closed"),
            }
        });
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => serve_one(stream),
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    crate::webhook::quiet_warn("accept failed", &e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = &mut shutdown => break,
        }
    }
    let began = std::time::Instant::now();
    // Connections the kernel completed but nobody accepted yet would be reset when the listener closes: serve them.
    while let Some(Ok((stream, _))) = listener.accept().now_or_never() {
        serve_one(stream);
    }
    drop(listener);
    // A graceful shutdown closes at once a connection with no request in progress, even one whose request is
    // on its way: let the connections accepted a moment ago start theirs (a busy machine may take a while to
    // read them), but not let a client that connected and sends nothing hold the drain for long.
    let deadline = tokio::time::Instant::from_std(began + limits.drain);
    let first_requests = tokio::time::Instant::now() + FIRST_REQUEST_WAIT.min(limits.header_timeout);
    let _ = tokio::time::timeout_at(first_requests.min(deadline), connections.first_requests_started()).await;
    if tokio::time::timeout_at(deadline, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight at the end of the drain");
    }
    idle_pass.abort();
    began
}

/// Runs until aborted: closes the connections idle past `timeout` — no complete request head since they were
/// admitted or since their last answer — a few times per timeout.
async fn close_idle(connections: Arc<Connections>, timeout: Duration) {
    let mut tick = tokio::time::interval((timeout / 4).min(IDLE_CHECK));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        connections.close_idle(timeout);
    }
}

/// One connection's way to its answers: the paths, the health endpoints, and its place among the connections.
struct Serving {
    paths: Arc<HashMap<String, Arc<PathGroup>>>,
    health: Arc<Health>,
    slot: Slot,
}

/// Raises the soft open-file limit to the hard one and returns how many connections fit under it.
fn fit_to_open_files(wanted: usize) -> usize {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit; keeping server.max_connections");
            return wanted;
        }
    };
    let fits = files.saturating_sub(SPARE_FILES).max(16) as usize;
    if fits < wanted {
        tracing::warn!(
            open_files = files,
            max_connections = fits,
            "the open-file limit leaves room for fewer connections than server.max_connections"
        );
    }
    wanted.min(fits)
}

async fn route(paths: &HashMap<String, Arc<PathGroup>>, health: &Health, req: Request<Incoming>) -> Response {
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET {
        match parts.uri.path() {
            "/healthz" => return Health::alive(),
            "/readyz" => return health.ready().await,
            "/metrics" => return health.metrics().await,
            _ => {}
        }
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
