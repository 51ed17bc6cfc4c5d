//! Fault injection on the API side: per endpoint path (or `*`), an errcode (including `-1`), an HTTP status,
//! added latency or a dropped connection, fired always, for the next N requests, or at a rate.

use std::time::Duration;

use axum::response::{IntoResponse, Response};

use crate::api::{errmsg_for, error_response};
use crate::world::Shared;

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer HTTP 200 with this errcode (e.g. `-1` system busy, `45009`, `40001`).
    Errcode(i64),
    /// Answer this HTTP status with an empty body (e.g. 502).
    HttpStatus(u16),
    /// Wait this long, then handle the request normally.
    Latency(Duration),
    /// Close the connection without an answer.
    Drop,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// On every matching request.
    Always,
    /// On the next `n` matching requests, then never.
    Count(u32),
    /// On each matching request with this probability (0.0–1.0).
    Rate(f64),
}

/// A fault rule: which endpoint, what, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Request path such as `/cgi-bin/message/custom/send`, or `*` for every API path.
    pub path: String,
    /// What happens.
    pub kind: FaultKind,
    /// When it happens.
    pub trigger: Trigger,
}

impl FaultRule {
    /// A rule for `path`.
    pub fn new(path: impl Into<String>, kind: FaultKind, trigger: Trigger) -> Self {
        FaultRule { path: path.into(), kind, trigger }
    }

    fn matches(&self, path: &str) -> bool {
        self.path == "*" || self.path == path
    }

    /// Decides whether the rule fires now, consuming a count.
    fn fire(&mut self) -> bool {
        match &mut self.trigger {
            Trigger::Always => true,
            Trigger::Count(0) => false,
            Trigger::Count(n) => {
                *n -= 1;
                true
            }
            Trigger::Rate(p) => rand::random::<f64>() < *p,
        }
    }
}

/// What the server does with a request after the fault rules ran.
pub(crate) enum Outcome {
    /// Handle normally.
    Pass,
    /// Answer this instead.
    Respond(Response),
    /// Close the connection.
    Drop,
}

/// Applies the rules for `path`: latencies add up and the request goes on; the first terminal fault ends it.
pub(crate) async fn apply(shared: &Shared, path: &str) -> Outcome {
    let mut delay = Duration::ZERO;
    let mut terminal = None;
    {
        let mut world = shared.world();
        let mut fired = 0;
        for rule in world.faults.iter_mut().filter(|r| r.matches(path)) {
            if let FaultKind::Latency(d) = rule.kind {
                if rule.fire() {
                    delay += d;
                    fired += 1;
                }
            } else if terminal.is_none() && rule.fire() {
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
    }
}
