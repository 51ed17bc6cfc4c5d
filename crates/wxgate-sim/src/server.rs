//! The HTTP listener: a hyper accept loop (so an injected fault can drop the connection) that hands the peer
//! address to handlers as `ConnectInfo` and runs fault rules before the axum router.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::faults::{self, Outcome};
use crate::world::Shared;

/// Serves `router` on `listener` until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, router: Router, shared: Arc<Shared>) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "simulator accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                let router = router.clone();
                let shared = shared.clone();
                async move {
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
                    let path = req.uri().path().to_owned();
                    let fault =
                        if path.starts_with("/cgi-bin/") { faults::apply(&shared, &path).await } else { Outcome::Pass };
                    match fault {
                        Outcome::Pass => {
                            let resp = router.oneshot(req.map(axum::body::Body::new)).await;
                            Ok(resp.unwrap_or_else(|never| match never {}))
                        }
                        Outcome::Respond(resp) => Ok(resp),
                        Outcome::Drop => Err(std::io::Error::other("injected dropped connection")),
                    }
                }
            });
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "simulator connection ended");
            }
        });
    }
}
