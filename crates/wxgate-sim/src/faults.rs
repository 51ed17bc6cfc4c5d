//! Fault rules for the API side: per endpoint path (or `*`), an errcode (including `-1`), an HTTP status,
//! added latency, a dropped connection (before the request is handled), or a connection dropped after the request
//! was handled (the message was sent, the caller cannot know), fired always, for the next N requests, or at a rate.
//!
//! Only the rules live here (the simulator's state holds them); the server applies them to each request.

use std::time::Duration;

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer HTTP 200 with this errcode (e.g. `-1` system busy, `45009`, `40001`).
    Errcode(i64),
    /// Answer this HTTP status with an empty body (e.g. 502).
    HttpStatus(u16),
    /// Wait this long, then handle the request normally.
    Latency(Duration),
    /// Close the connection without an answer; the request is not handled.
    Drop,
    /// Handle the request (a message is shown and counted), then close the connection without the answer: the
    /// caller cannot tell this from [`FaultKind::Drop`].
    DropAfter,
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

    /// Whether the rule applies to a request for `path`.
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.path == "*" || self.path == path
    }

    /// Decides whether the rule fires now, consuming a count; a rate is drawn from `rng` when given.
    pub(crate) fn fire(&mut self, rng: Option<&mut rand::rngs::StdRng>) -> bool {
        match &mut self.trigger {
            Trigger::Always => true,
            Trigger::Count(0) => false,
            Trigger::Count(n) => {
                *n -= 1;
                true
            }
            Trigger::Rate(p) => match rng {
                Some(rng) => rand::Rng::random::<f64>(rng) < *p,
                None => rand::random::<f64>() < *p,
            },
        }
    }
}
