//! A controllable clock: every rule with a time limit (token expiry, the 48-hour window, typing, media expiry)
//! reads the time from here, so tests can jump "48 hours later" without sleeping.
//!
//! The clock runs with the wall clock plus an offset; [`Clock::advance`] moves the offset forward. Timeouts of
//! real HTTP attempts still use tokio's timers, which are not affected.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Shared simulated time in Unix milliseconds. Cloning shares the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicU64>,
}

impl Clock {
    /// A clock that starts at the wall clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The simulated time in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        wall + self.offset_ms.load(Ordering::SeqCst)
    }

    /// The simulated time in Unix seconds (what `CreateTime` and `timestamp` carry).
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Moves simulated time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_time_and_is_shared() {
        let clock = Clock::new();
        let other = clock.clone();
        let before = clock.now_ms();
        other.advance(Duration::from_secs(48 * 3600));
        assert!(clock.now_ms() >= before + 48 * 3600 * 1000);
    }
}
