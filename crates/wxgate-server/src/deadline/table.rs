//! The in-flight table: one entry per logical message, shared by every attempt WeChat makes.
//!
//! The first attempt starts the work; later attempts find the entry and wait on the same result instead of
//! starting the work again. The result stays cached for the entry's lifetime, so an attempt that arrives after
//! the work finished gets the same answer at once. Whether the answer went out passively or was handed to the
//! outbox is decided under the entry's lock, so exactly one of the two happens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::answer::Outcome;

/// What became of an entry's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Not decided yet: an attempt may still answer passively.
    Open,
    /// The last attempt gave up waiting and answered `success`; the result goes to this late-delivery ticket.
    HandedOff(u64),
    /// The answer is going out in parts while the work still runs (see [`super::early`]); every attempt answers
    /// `success`, and the rest of the result goes to this ticket, queued after the parts already sent.
    Streaming(u64),
    /// Another replica ran the work and sends the answer through late delivery itself (see [`super::claims`]):
    /// every attempt here answers `success`, and nothing here completes a ticket.
    Elsewhere,
}

/// One logical message.
#[derive(Debug)]
pub(crate) struct Entry {
    attempts: AtomicU32,
    result_tx: watch::Sender<Option<Outcome>>,
    streaming_tx: watch::Sender<bool>,
    delivery: Mutex<Delivery>,
}

impl Entry {
    /// A fresh entry: no result, nothing handed off.
    pub(crate) fn new() -> Self {
        Entry {
            attempts: AtomicU32::new(0),
            result_tx: watch::channel(None).0,
            streaming_tx: watch::channel(false).0,
            delivery: Mutex::new(Delivery::Open),
        }
    }

    /// Publishes the result; returns the hand-off ticket when the answer must now go out late.
    pub(crate) fn complete(&self, outcome: Outcome) -> Option<u64> {
        let delivery = self.delivery.lock().expect("entry lock");
        self.result_tx.send_replace(Some(outcome));
        match *delivery {
            Delivery::HandedOff(ticket) | Delivery::Streaming(ticket) => Some(ticket),
            Delivery::Open | Delivery::Elsewhere => None,
        }
    }

    /// The result, if the work has finished.
    #[cfg(test)]
    pub(crate) fn result(&self) -> Option<Outcome> {
        self.result_tx.borrow().clone()
    }

    /// Waits for the result (forever; wrap it in a timeout).
    pub(crate) async fn wait(&self) -> Outcome {
        let mut rx = self.result_tx.subscribe();
        let r = rx.wait_for(Option::is_some).await.expect("sender lives in the entry");
        r.clone().expect("waited for Some")
    }

    /// Waits for what an attempt can answer passively: `Some(result)` when the work finishes, `None` as soon as
    /// the answer started going out in parts (then there is nothing to reply passively).
    pub(crate) async fn wait_passive(&self) -> Option<Outcome> {
        let mut streaming = self.streaming_tx.subscribe();
        tokio::select! {
            outcome = self.wait() => Some(outcome),
            _ = streaming.wait_for(|s| *s) => None,
        }
    }

    /// Hands the answer off for late delivery unless the result is already there; returns the result if it is.
    /// An answer already streaming stays with its parts: the push's job is the first part's, so `ticket` is that
    /// same job and there is nothing to change.
    pub(crate) fn hand_off(&self, ticket: u64) -> Result<(), Outcome> {
        let mut delivery = self.delivery.lock().expect("entry lock");
        if let Some(outcome) = self.result_tx.borrow().clone() {
            return Err(outcome);
        }
        if !matches!(*delivery, Delivery::Streaming(_) | Delivery::Elsewhere) {
            *delivery = Delivery::HandedOff(ticket);
        }
        Ok(())
    }

    /// Records that the answer is going out in parts and that the rest goes to `ticket`; wakes every waiting
    /// attempt (they answer `success`).
    pub(crate) fn stream(&self, ticket: u64) {
        *self.delivery.lock().expect("entry lock") = Delivery::Streaming(ticket);
        self.streaming_tx.send_replace(true);
    }

    /// Records that another replica delivers the answer; wakes every waiting attempt (they answer `success`).
    pub(crate) fn elsewhere(&self) {
        *self.delivery.lock().expect("entry lock") = Delivery::Elsewhere;
        self.streaming_tx.send_replace(true);
    }

    /// Hands off an answer that is ready but cannot go out passively (too long); false if already handed off.
    pub(crate) fn hand_off_ready(&self, ticket: u64) -> bool {
        let mut delivery = self.delivery.lock().expect("entry lock");
        if *delivery != Delivery::Open {
            return false;
        }
        *delivery = Delivery::HandedOff(ticket);
        true
    }

    /// Whether the answer was handed off.
    pub(crate) fn delivery(&self) -> Delivery {
        self.delivery.lock().expect("entry lock").clone()
    }
}

impl Default for Entry {
    fn default() -> Self {
        Entry::new()
    }
}

/// An attempt's view of its entry.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// The shared entry.
    pub(crate) entry: Arc<Entry>,
    /// 1 for the first attempt, 2 for the first retry, …
    pub(crate) attempt: u32,
}

impl Arrival {
    /// True for the attempt that must start the work.
    pub(crate) fn is_first(&self) -> bool {
        self.attempt == 1
    }
}

/// All entries, in two generations: an entry lives at least `ttl` and at most twice that, and expiry costs
/// nothing per request (a whole generation is dropped at once instead of scanning entries).
#[derive(Debug)]
pub(crate) struct InFlightTable {
    inner: Mutex<Generations>,
    ttl: Duration,
}

#[derive(Debug)]
struct Generations {
    current: HashMap<String, Arc<Entry>>,
    previous: HashMap<String, Arc<Entry>>,
    rotated: Instant,
}

impl InFlightTable {
    /// A table whose entries live at least `ttl` (long enough for every retry: WeChat's attempts span ~15 s).
    pub(crate) fn new(ttl: Duration) -> Self {
        let generations = Generations { current: HashMap::new(), previous: HashMap::new(), rotated: Instant::now() };
        InFlightTable { inner: Mutex::new(generations), ttl }
    }

    /// Registers an attempt for `key`.
    pub(crate) fn arrive(&self, key: &str) -> Arrival {
        let mut g = self.inner.lock().expect("table lock");
        g.rotate_if_due(self.ttl);
        let entry = match g.current.get(key) {
            Some(e) => e.clone(),
            None => {
                let e = g.previous.remove(key).unwrap_or_default();
                g.current.insert(key.to_owned(), e.clone());
                e
            }
        };
        drop(g);
        let attempt = entry.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        Arrival { entry, attempt }
    }

    /// Forgets what is due to be forgotten even when no request comes (called on a timer: an entry then lives at
    /// most twice its time to live however sparse the traffic).
    pub(crate) fn sweep(&self) {
        self.inner.lock().expect("table lock").rotate_if_due(self.ttl);
    }
}

impl Generations {
    /// Once the current generation is `ttl` old it becomes the previous one and the previous one is dropped.
    fn rotate_if_due(&mut self, ttl: Duration) {
        if self.rotated.elapsed() >= ttl {
            self.previous = std::mem::take(&mut self.current);
            self.rotated = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use wxgate_proto::ReplyBody;

    use crate::answer::Answer;

    #[tokio::test]
    async fn retries_join_and_results_are_cached() {
        let t = InFlightTable::new(Duration::from_secs(60));
        let first = t.arrive("k");
        assert!(first.is_first());
        let second = t.arrive("k");
        assert_eq!(second.attempt, 2);
        let waiter = tokio::spawn({
            let e = second.entry.clone();
            async move { e.wait().await }
        });
        assert_eq!(first.entry.complete(Some(Answer::Reply(ReplyBody::text("hi")))), None);
        assert_eq!(waiter.await.unwrap(), Some(Answer::Reply(ReplyBody::text("hi"))));
        assert_eq!(t.arrive("k").entry.result(), Some(Some(Answer::Reply(ReplyBody::text("hi")))));
        assert_eq!(t.arrive("other").attempt, 1);
    }

    #[test]
    fn hand_off_is_exclusive_with_a_finished_result() {
        let t = InFlightTable::new(Duration::from_secs(60));
        let a = t.arrive("k");
        assert_eq!(a.entry.hand_off(7), Ok(()));
        assert_eq!(a.entry.complete(None), Some(7));
        let b = t.arrive("j");
        b.entry.complete(Some(Answer::Reply(ReplyBody::text("x"))));
        assert_eq!(b.entry.hand_off(8), Err(Some(Answer::Reply(ReplyBody::text("x")))));
    }

    #[test]
    fn entries_expire_after_two_generations() {
        let t = InFlightTable::new(Duration::from_millis(50));
        assert!(t.arrive("k").is_first());
        std::thread::sleep(Duration::from_millis(60));
        // Rotated into the previous generation: still found (and moved back).
        assert_eq!(t.arrive("j").attempt, 1);
        assert_eq!(t.arrive("k").attempt, 2);
        std::thread::sleep(Duration::from_millis(60));
        t.arrive("x");
        std::thread::sleep(Duration::from_millis(60));
        t.arrive("y");
        assert!(t.arrive("k").is_first(), "two rotations without a visit forget the entry");
    }
}
