//! The HTTP listener: a hyper accept loop (so an injected fault can drop the connection) that hands the peer
//! address to handlers as `ConnectInfo` and applies the fault rules before the axum router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::answer::{errmsg_for, error_response};
use crate::faults::{FaultKind, Trigger};
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
                        if path.starts_with("/cgi-bin/") { apply_faults(&shared, &path).await } else { Outcome::Pass };
                    match fault {
                        Outcome::Pass => {
                            let resp = router.oneshot(req.map(axum::body::Body::new)).await;
                            Ok(resp.unwrap_or_else(|never| match never {}))
                        }
                        Outcome::Respond(resp) => Ok(resp),
                        Outcome::Drop => Err(std::io::Error::other("injected dropped connection")),
                        Outcome::DropAfter => {
                            let _handled = router.oneshot(req.map(axum::body::Body::new)).await;
                            Err(std::io::Error::other("injected dropped connection, after the request was handled"))
                        }
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

/// What the server does with a request after the fault rules ran.
enum Outcome {
    /// Handle normally.
    Pass,
    /// Answer this instead.
    Respond(Response),
    /// Close the connection.
    Drop,
    /// Handle the request, then close the connection without the answer.
    DropAfter,
}

/// Applies the rules for `path`: latencies add up and the request goes on; the first terminal fault ends it.
async fn apply_faults(shared: &Shared, path: &str) -> Outcome {
    let mut delay = Duration::ZERO;
    let mut terminal = None;
    {
        let mut guard = shared.world();
        let world = &mut *guard;
        let mut fired = 0;
        for rule in world.faults.iter_mut().filter(|r| r.matches(path)) {
            if let FaultKind::Latency(d) = rule.kind {
                if rule.fire(world.fault_rng.as_mut()) {
                    delay += d;
                    fired += 1;
                }
            } else if terminal.is_none() && rule.fire(world.fault_rng.as_mut()) {
                terminal = Some(rule.kind.clone());
                fired += 1;
            }
        }
        world.faults.retain(|r| r.trigger != Trigger::Count(0));
        world.counters.faults_injected += fired;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match terminal {
        None | Some(FaultKind::Latency(_)) => Outcome::Pass,
        Some(FaultKind::Errcode(code)) => {
            shared.world().counters.api_errors += 1;
            Outcome::Respond(error_response(code, errmsg_for(code)))
        }
        Some(FaultKind::HttpStatus(s)) => Outcome::Respond(
            axum::http::StatusCode::from_u16(s).unwrap_or(axum::http::StatusCode::BAD_GATEWAY).into_response(),
        ),
        Some(FaultKind::Drop) => Outcome::Drop,
        Some(FaultKind::DropAfter) => Outcome::DropAfter,
    }
}
