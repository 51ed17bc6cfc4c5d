//! `[server]` limits resolved: what a client may cost the gateway before it is cut off.
//!
//! Every push is small (a few KB) and every attempt ends within WeChat's 5 seconds, so anything much larger or
//! slower is not WeChat: a body over the cap is refused unread, a body or a request head that trickles in is cut
//! off, connections and bodies being read at once are capped, so no client can make the gateway hold unbounded
//! memory or file descriptors.

use std::time::Duration;

use super::error::{ConfigError, invalid};
use super::raw::ServerConfig;

/// What one client may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body in bytes.
    pub body: usize,
    /// How long a body may take to arrive.
    pub body_timeout: Duration,
    /// How long a request head may take, and a kept-alive connection may stay idle.
    pub header_timeout: Duration,
    /// Connections served at once.
    pub connections: usize,
    /// Bodies being read at once.
    pub body_reads: usize,
    /// How long the process drains after a shutdown signal.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        resolve(&ServerConfig::default()).expect("the defaults are valid")
    }
}

/// The limits of `[server]`, checked.
pub(crate) fn resolve(s: &ServerConfig) -> Result<Limits, ConfigError> {
    if s.body_limit < 1024 {
        return Err(invalid("server.body_limit", "under 1024 bytes", "use at least 1024 (default 65536)"));
    }
    for (key, ms) in [("server.body_timeout_ms", s.body_timeout_ms), ("server.header_timeout_ms", s.header_timeout_ms)]
    {
        if !(100..=600_000).contains(&ms) {
            return Err(invalid(
                key,
                format!("{ms} is out of range"),
                "use 100 to 600000 milliseconds (default 10000)",
            ));
        }
    }
    if s.max_connections < 16 {
        return Err(invalid("server.max_connections", "under 16", "use at least 16 (default 4096)"));
    }
    if s.drain_ms > 600_000 {
        return Err(invalid(
            "server.drain_ms",
            format!("{} is out of range", s.drain_ms),
            "use 0 to 600000 milliseconds (default 10000), below the orchestrator's grace period",
        ));
    }
    if s.max_body_reads == 0 {
        return Err(invalid("server.max_body_reads", "0", "use at least 1 (default 256)"));
    }
    Ok(Limits {
        body: s.body_limit,
        body_timeout: Duration::from_millis(s.body_timeout_ms),
        header_timeout: Duration::from_millis(s.header_timeout_ms),
        connections: s.max_connections,
        body_reads: s.max_body_reads,
        drain: Duration::from_millis(s.drain_ms),
    })
}
