//! The listener: accepts connections and routes each request by path with a small table, on hyper directly.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;

use crate::webhook::{self, PathGroup};

/// How long in-flight requests may run after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves until `shutdown` resolves, then waits (up to [`DRAIN`]) for the requests in flight.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    paths: Arc<HashMap<String, Arc<PathGroup>>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
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
