//! The one clock of the server.
//!
//! Two kinds of time are read: wall time in Unix milliseconds, for what is stored or shared with other replicas
//! (outbox jobs and their leases, customer-service windows, the model's rate guard, push timestamps), and
//! tokio's monotonic [`Instant`] for deadlines inside one process. Every read goes through
//! [`Clock`], so a test can run the whole gateway on tokio's paused clock: [`Clock::following_tokio`] moves wall
//! time with it, and a handler that "takes 20 seconds" takes none.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Where "now" comes from. Copy it freely: every copy reads the same time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// `None`: the system's wall clock. `Some`: wall time at `origin`, moved on by tokio's clock since.
    origin: Option<(i64, Instant)>,
}

impl Clock {
    /// The system's wall clock (the default).
    pub fn system() -> Clock {
        Clock { origin: None }
    }

    /// Wall time that starts at the system's current time and then moves only with tokio's clock: paused,
    /// advanced and auto-advanced together with every timer (`#[tokio::test(start_paused = true)]`).
    pub fn following_tokio() -> Clock {
        Clock { origin: Some((system_ms(), Instant::now())) }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self.origin {
            None => system_ms(),
            Some((wall, at)) => wall + Instant::now().duration_since(at).as_millis() as i64,
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// The monotonic instant deadlines count from.
    pub fn instant(&self) -> Instant {
        Instant::now()
    }
}

fn system_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_clock_following_tokio_moves_with_paused_time() {
        let clock = Clock::following_tokio();
        let start = clock.now_ms();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(clock.now_ms() - start, 3_600_000);
        assert!((Clock::system().now_ms() - start).abs() < 60_000, "the system clock did not move an hour");
    }
}
