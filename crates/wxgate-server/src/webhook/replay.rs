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
//! too, so a burst's memory is given back when no request follows it). A generation dropped because the current
//! one filled up lends its table to the next: under a load that fills generations one after the other, the tables
//! are emptied and reused rather than freed and grown again from nothing. The tables are keyed by the keyed hashes
//! themselves, as they are (hashing them again would spread nothing more). Replicas ask the
//! store they share instead, where the first replica to see a query records its body; their memory decides only
//! when the store cannot be asked.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
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
    current: Table,
    previous: Table,
    started: Instant,
}

/// Query hash → first body hash.
type Table = HashMap<u64, u64, BuildHasherDefault<AlreadyHashed>>;

/// The table's hasher: a key is a keyed hash already, uniform to anyone without the account's token, so it is its
/// own hash.
#[derive(Debug, Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys come here (through `write_u64`); any other bytes still make a hash.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Replays {
    /// Remembers for `window` (the timestamp window); replicas share `shared`.
    pub(crate) fn new(window: Duration, shared: Option<Arc<dyn ReplayGuard>>) -> Self {
        let local = Generations { current: Table::default(), previous: Table::default(), started: Instant::now() };
        Replays { local: Mutex::new(local), shared, window }
    }

    /// Refuses (401) a plaintext push, received at `now`, whose signed query came before with another body.
    pub(crate) async fn check(
        &self,
        account: &Account,
        s: &Signed<'_>,
        body: &[u8],
        now: Instant,
    ) -> Result<(), Reject> {
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
        let Some(shared) = &self.shared else { return local(self.local_first(query, body, false, now)) };
        let (key, value) = (format!("{}\u{1f}{query:016x}", account.name), format!("{body:016x}"));
        let ttl = self.window.as_millis() as u64;
        match tokio::time::timeout(SHARED_STATE_WAIT, shared.first_body(&key, &value, ttl)).await {
            Ok(Ok(true)) => {
                // Kept here too, for when the store cannot be asked.
                self.local_first(query, body, true, now);
                Ok(())
            }
            Ok(Ok(false)) => Err(replayed()),
            Ok(Err(e)) => {
                super::quiet_warn("cannot check the store for a replayed query; this process's memory decides", &e);
                local(self.local_first(query, body, false, now))
            }
            Err(_) => {
                super::quiet_warn(
                    "cannot check the store for a replayed query; this process's memory decides",
                    &"the store is slow",
                );
                local(self.local_first(query, body, false, now))
            }
        }
    }

    /// Forgets what is due to be forgotten even when no request comes (called on a timer: a query is then
    /// remembered at most twice the window however sparse the traffic).
    pub(crate) fn sweep(&self) {
        self.local.lock().expect("replays lock").rotate_if_due(Instant::now(), self.window, MAX_REMEMBERED);
    }

    /// This process's view: true for a new query or its first body again. `settled` records `body` as the first
    /// whatever was remembered (the shared store has decided).
    fn local_first(&self, query: u64, body: u64, settled: bool, now: Instant) -> bool {
        let mut g = self.local.lock().expect("replays lock");
        g.rotate_if_due(now, self.window, MAX_REMEMBERED);
        let Generations { current, previous, .. } = &mut *g;
        let first = match current.entry(query) {
            Entry::Occupied(mut seen) => {
                if settled {
                    seen.insert(body);
                }
                *seen.get()
            }
            Entry::Vacant(new) => {
                let first = match previous.get(&query) {
                    Some(&first) if !settled => first,
                    _ => body,
                };
                *new.insert(first)
            }
        };
        first == body
    }
}

impl Generations {
    /// Once the current generation is `window` old at `now`, or holds `max` queries, it becomes the previous one
    /// and the previous one is dropped: emptied to be the new current one when the current one filled up (a load
    /// is on and will fill it again), freed when the window passed.
    fn rotate_if_due(&mut self, now: Instant, window: Duration, max: usize) {
        let full = self.current.len() >= max;
        if full || now.saturating_duration_since(self.started) >= window {
            let next = if full {
                let mut spare = std::mem::take(&mut self.previous);
                spare.clear();
                spare
            } else {
                Table::default()
            };
            self.previous = std::mem::replace(&mut self.current, next);
            self.started = now;
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
        assert!(replays.local_first(1, 7, false, Instant::now()));
        assert!(!replays.local_first(1, 8, false, Instant::now()), "another body for the same query is a replay");
        tokio::time::advance(window / 2).await;
        replays.sweep();
        assert_eq!(held(&replays), (1, 0), "not due yet");
        tokio::time::advance(window / 2).await;
        replays.sweep();
        assert_eq!(held(&replays), (0, 1), "one window on: the previous generation");
        assert!(!replays.local_first(1, 8, false, Instant::now()), "still remembered within twice the window");
        tokio::time::advance(window).await;
        replays.sweep();
        tokio::time::advance(window).await;
        replays.sweep();
        assert_eq!(held(&replays), (0, 0), "two sweeps a window apart forget everything");
    }

    #[tokio::test(start_paused = true)]
    async fn a_generation_that_fills_up_lends_its_table_and_one_that_times_out_frees_it() {
        let window = Duration::from_secs(10);
        let now = Instant::now();
        let mut g = Generations { current: Table::default(), previous: Table::default(), started: now };
        let fill = |g: &mut Generations, from: u64| {
            for q in from..from + 100 {
                g.rotate_if_due(now, window, 100);
                g.current.insert(q, q);
            }
        };
        fill(&mut g, 0);
        fill(&mut g, 100);
        assert_eq!((g.current.len(), g.previous.len()), (100, 100));
        let grown = g.previous.capacity();
        g.rotate_if_due(now, window, 100);
        assert_eq!(g.current.len(), 0, "the filled generation rotated");
        assert_eq!(g.current.capacity(), grown, "the dropped generation's table is reused, emptied");
        assert_eq!(g.previous.get(&150), Some(&150), "the one that filled up is remembered");
        g.current.insert(1, 1);
        g.rotate_if_due(now + window, window, 100);
        assert_eq!(g.current.capacity(), 0, "a window on, the dropped generation's table is freed");
        assert_eq!(g.previous.len(), 1);
    }
}
