//! What probes and Prometheus ask of a running gateway: `/healthz` (the process answers), `/readyz` (it can take
//! work: not draining, the outbox worker running, the store answering — or, with a local spool, the replica
//! spooling while the shared store does not answer) and `/metrics` (the counters, with the outbox's gauges read
//! from the store at each scrape).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinHandle;
use wxgate_store::OutboxStore;

use crate::clock::Clock;
use crate::deadline::Running;
use crate::metrics::{self, StateLabel};
use crate::outbox::Spooled;

/// The reason `/readyz` gives when the store does not answer.
const STORE_DOWN: &str = "the store does not answer";

/// How long a probe or a scrape waits for the store.
const STORE_WAIT: Duration = Duration::from_secs(2);

/// The parts of a gateway that say whether it is ready.
#[derive(Debug)]
pub(crate) struct Health {
    /// Work running, and the draining flag.
    pub(crate) running: Arc<Running>,
    /// The outbox's store.
    pub(crate) store: Arc<dyn OutboxStore>,
    /// The local spool in front of a shared store, when there is one.
    pub(crate) spool: Option<Arc<Spooled>>,
    /// The outbox worker's task, once started.
    pub(crate) worker: Mutex<Option<JoinHandle<()>>>,
    pub(crate) clock: Clock,
}

impl Health {
    /// `GET /healthz`: the process is alive.
    pub(crate) fn alive() -> Response {
        text(StatusCode::OK, "ok")
    }

    /// `GET /readyz`: 200 `ready`, or 503 with the reason. A replica with a local spool stays ready while the
    /// shared store does not answer (its late answers are spooled, nothing is lost): 200 `ready (spooling: …)`.
    pub(crate) async fn ready(&self) -> Response {
        match self.check().await {
            Ok(()) => text(StatusCode::OK, "ready"),
            Err(reason) if self.spool.is_some() && reason.starts_with(STORE_DOWN) => {
                text(StatusCode::OK, &format!("ready (spooling: {reason})"))
            }
            Err(reason) => text(StatusCode::SERVICE_UNAVAILABLE, &reason),
        }
    }

    async fn check(&self) -> Result<(), String> {
        if self.running.is_draining() {
            return Err("draining".into());
        }
        match &*self.worker.lock().expect("health lock") {
            Some(worker) if !worker.is_finished() => {}
            Some(_) => return Err("the outbox worker stopped".into()),
            None => return Err("the outbox worker has not started".into()),
        }
        self.refresh().await.map_err(|e| format!("{STORE_DOWN}: {e}"))
    }

    /// Reads the outbox's gauges from the store.
    async fn refresh(&self) -> Result<(), String> {
        let counts = match tokio::time::timeout(STORE_WAIT, self.store.counts()).await {
            Ok(Ok(counts)) => counts,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err(format!("no answer within {} s", STORE_WAIT.as_secs())),
        };
        let m = metrics::get();
        for (state, n) in [
            ("awaiting", counts.awaiting),
            ("ready", counts.ready),
            ("sleeping", counts.sleeping),
            ("dead", counts.dead),
        ] {
            m.outbox_jobs.get_or_create(&StateLabel { state }).set(n as i64);
        }
        let age = counts.oldest_ready_accepted_at.map_or(0, |at| (self.clock.now_ms() - at).max(0));
        m.outbox_oldest_ready.set(age as f64 / 1000.0);
        Ok(())
    }

    /// `GET /metrics`: every metric in the Prometheus text format.
    pub(crate) async fn metrics(&self) -> Response {
        if let Err(e) = self.refresh().await {
            tracing::debug!(error = %e, "outbox gauges not refreshed");
        }
        let headers = [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")];
        (StatusCode::OK, headers, metrics::encode()).into_response()
    }
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body.to_owned()).into_response()
}
