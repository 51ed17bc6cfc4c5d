//! Replayed plaintext queries: a signed query may come back only with the body it first came with.
//!
//! In plaintext mode the signature covers the token, the timestamp and the nonce, not the body, so a query seen
//! once could be sent again within the timestamp window with another body. WeChat's retries repeat the body, so
//! the first body of each query is remembered for the window — as a keyed hash (SipHash-2-4 under a key derived
//! from the account's token, so nobody without the token can make another body hash alike) — and another body
//! is refused. Encrypted pushes need none of this: their signature covers the ciphertext.
//!
//! One process remembers in memory, in two generations of at most [`MAX_REMEMBERED`] queries each (a generation
//! is dropped after the window, or sooner when full, so memory stays bounded under any load; a timer drops them
//! too, so a burst's memory is given back when no request follows it). Replicas ask the
//! store they share instead, where the first replica to see a query records its body; their memory decides only
//! when the store cannot be asked.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use siphasher::sip::SipHasher24;
use tokio::time::Instant;
use wxgate_store::ReplayGuard;

use super::classic::Signed;
use super::reject::Reject;
use crate::account::Account;
use crate::deadline::SHARED_STATE_WAIT;

/// Queries remembered per generation.
const MAX_REMEMBERED: usize = 200_000;

/// The first bodies of recent plaintext queries.
#[derive(Debug)]
pub(crate) struct Replays {
    local: Mutex<Generations>,
    shared: Option<Arc<dyn ReplayGuard>>,
    window: Duration,
}

#[derive(Debug)]
struct Generations {
    current: HashMap<u64, u64>,
    previous: HashMap<u64, u64>,
    started: Instant,
}

impl Replays {
    /// Remembers for `window` (the timestamp window); replicas share `shared`.
    pub(crate) fn new(window: Duration, shared: Option<Arc<dyn ReplayGuard>>) -> Self {
        let local = Generations { current: HashMap::new(), previous: HashMap::new(), started: Instant::now() };
        Replays { local: Mutex::new(local), shared, window }
    }

    /// Refuses (401) a plaintext push whose signed query came before with another body.
    pub(crate) async fn check(&self, account: &Account, s: &Signed<'_>, body: &[u8]) -> Result<(), Reject> {
        let key = account.replay_key;
        let mut q = SipHasher24::new_with_key(&key);
        for part in [s.signature, s.timestamp, s.nonce] {
            q.write(part.as_bytes());
            q.write_u8(0xff);
        }
        let query = q.finish();
        let mut b = SipHasher24::new_with_key(&key);
        b.write(body);
        let body = b.finish();
        let replayed = || Reject::unauthorized("this signed query came before with another body (a replay)");
        let local = |first: bool| if first { Ok(()) } else { Err(replayed()) };
        let Some(shared) = &self.shared else { return local(self.local_first(query, body, false)) };
        let (key, value) = (format!("{}\u{1f}{query:016x}", account.name), format!("{body:016x}"));
        let ttl = self.window.as_millis() as u64;
        match tokio::time::timeout(SHARED_STATE_WAIT, shared.first_body(&key, &value, ttl)).await {
            Ok(Ok(true)) => {
                // Kept here too, for when the store cannot be asked.
                self.local_first(query, body, true);
                Ok(())
            }
            Ok(Ok(false)) => Err(replayed()),
            Ok(Err(e)) => {
                super::quiet_warn("cannot check the store for a replayed query; this process's memory decides", &e);
                local(self.local_first(query, body, false))
            }
            Err(_) => {
                super::quiet_warn(
                    "cannot check the store for a replayed query; this process's memory decides",
                    &"the store is slow",
                );
                local(self.local_first(query, body, false))
            }
        }
    }

    /// Forgets what is due to be forgotten even when no request comes (called on a timer: a query is then
    /// remembered at most twice the window however sparse the traffic).
    pub(crate) fn sweep(&self) {
        self.local.lock().expect("replays lock").rotate_if_due(self.window, MAX_REMEMBERED);
    }

    /// This process's view: true for a new query or its first body again. `settled` records `body` as the first
    /// whatever was remembered (the shared store has decided).
    fn local_first(&self, query: u64, body: u64, settled: bool) -> bool {
        let mut g = self.local.lock().expect("replays lock");
        g.rotate_if_due(self.window, MAX_REMEMBERED);
        let first = match g.current.get(&query).or_else(|| g.previous.get(&query)) {
            Some(first) if !settled => *first,
            _ => body,
        };
        g.current.insert(query, first);
        first == body
    }
}

impl Generations {
    /// Once the current generation is `window` old, or holds `max` queries, it becomes the previous one and the
    /// previous one is dropped.
    fn rotate_if_due(&mut self, window: Duration, max: usize) {
        if self.started.elapsed() >= window || self.current.len() >= max {
            self.previous = std::mem::take(&mut self.current);
            self.started = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(replays: &Replays) -> (usize, usize) {
        let g = replays.local.lock().unwrap();
        (g.current.len(), g.previous.len())
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_forgets_queries_when_no_request_comes() {
        let window = Duration::from_secs(10);
        let replays = Replays::new(window, None);
        assert!(replays.local_first(1, 7, false));
        assert!(!replays.local_first(1, 8, false), "another body for the same query is a replay");
        tokio::time::advance(window / 2).await;
        replays.sweep();
        assert_eq!(held(&replays), (1, 0), "not due yet");
        tokio::time::advance(window / 2).await;
        replays.sweep();
        assert_eq!(held(&replays), (0, 1), "one window on: the previous generation");
        assert!(!replays.local_first(1, 8, false), "still remembered within twice the window");
        tokio::time::advance(window).await;
        replays.sweep();
        tokio::time::advance(window).await;
        replays.sweep();
        assert_eq!(held(&replays), (0, 0), "two sweeps a window apart forget everything");
    }
}
