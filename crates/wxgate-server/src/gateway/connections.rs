//! The connections served at once: at most a cap, and when it is reached a new connection takes the place of
//! the one that has waited longest without sending a request.
//!
//! A connection that is between requests — just opened, or kept alive after an answer — costs a file descriptor
//! and a little memory and does nothing for anyone. Refusing new connections once the cap is reached would let a
//! client holding idle ones shut everybody else out until their header timeout ends; closing the longest-idle
//! one instead keeps the server answering: to crowd a request out, a flood must close it in the moment between
//! its connection and its request head. Only when every connection is in the middle of a request is a new one
//! refused (closed at once, so the accept loop never waits).
//!
//! It also knows which connections have not sent their first request yet: a drain waits for them (briefly)
//! before closing idle connections, since a client that just connected has a request on its way.
//!
//! And it closes the connections idle longer than the header timeout ([`Connections::close_idle`]): a client that
//! sends its request head slowly, or keeps a connection open without a next request. The idle are already in the
//! order they became idle, so one pass a few times per timeout closes the overdue ones from the front, instead of
//! a timer per request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The connections being served, and which of them are idle.
#[derive(Debug)]
pub(super) struct Connections {
    cap: usize,
    state: Mutex<State>,
    /// Notified when the last connection still waiting for its first request starts it or ends.
    none_fresh: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Connections admitted and not yet ended.
    open: usize,
    /// Connections admitted that have not started their first request.
    fresh: usize,
    /// The next idle number: the smallest idle number has been idle longest.
    next: u64,
    /// The idle connections by idle number (so in the order they became idle), each with its way to be closed.
    idle: BTreeMap<u64, Idle>,
}

impl State {
    /// Files a connection as idle from now, newest of the idle (the clock is read under the lock, so the idle
    /// stay in the order of their times too); returns its idle number.
    fn become_idle(&mut self, close: Arc<Notify>) -> u64 {
        let number = self.next;
        self.next += 1;
        self.idle.insert(number, Idle { since: Instant::now(), close });
        number
    }
}

/// An idle connection: when it became idle, and its way to be closed.
#[derive(Debug)]
struct Idle {
    since: Instant,
    close: Arc<Notify>,
}

/// One admitted connection: tell it when a request starts and ends; dropping it frees its place.
#[derive(Debug)]
pub(super) struct Slot {
    connections: Arc<Connections>,
    /// Its idle number while idle.
    idle_since: AtomicU64,
    /// Notified when it must close to make room.
    close: Arc<Notify>,
    /// No request has started on it yet.
    fresh: AtomicBool,
}

impl Connections {
    /// Serves at most `cap` connections at once.
    pub(super) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Connections { cap, state: Mutex::new(State::default()), none_fresh: Notify::new() })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection (idle until its first request), making room by closing the connection idle
    /// longest if the cap is reached; `None` when every connection is busy with a request.
    pub(super) fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut s = self.lock();
        if s.open >= self.cap {
            // The one closed still counts until its task ends, a moment later.
            let (_, longest_idle) = s.idle.pop_first()?;
            longest_idle.close.notify_one();
        }
        s.open += 1;
        s.fresh += 1;
        let close = Arc::new(Notify::new());
        let idle_since = s.become_idle(close.clone());
        Some(Slot { connections: self.clone(), idle_since: AtomicU64::new(idle_since), close, fresh: true.into() })
    }

    /// Resolves once every connection admitted so far has started its first request or ended.
    pub(super) async fn first_requests_started(&self) {
        loop {
            let notified = self.none_fresh.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().fresh == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Closes the connections idle for `longer_than` or more — since they were admitted, or since their last
    /// answer — whether their next request head has begun to arrive or not.
    pub(super) fn close_idle(&self, longer_than: Duration) {
        let Some(due) = Instant::now().checked_sub(longer_than) else { return };
        let mut s = self.lock();
        while let Some(entry) = s.idle.first_entry() {
            if entry.get().since > due {
                break;
            }
            entry.remove().close.notify_one();
        }
    }

    /// Connections admitted and not yet ended.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().open
    }
}

impl Slot {
    /// A request head has arrived: no longer a candidate for closing.
    pub(super) fn busy(&self) {
        let mut s = self.connections.lock();
        s.idle.remove(&self.idle_since.load(Ordering::Relaxed));
        self.no_longer_fresh(&mut s);
    }

    fn no_longer_fresh(&self, s: &mut State) {
        if self.fresh.swap(false, Ordering::Relaxed) {
            s.fresh -= 1;
            if s.fresh == 0 {
                self.connections.none_fresh.notify_waiters();
            }
        }
    }

    /// The request is answered: idle again, newest of the idle.
    pub(super) fn idle(&self) {
        let mut s = self.connections.lock();
        let idle_since = s.become_idle(self.close.clone());
        self.idle_since.store(idle_since, Ordering::Relaxed);
    }

    /// Resolves when the connection must close: to make room for a new one, or idle too long.
    pub(super) async fn closing(&self) {
        self.close.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut s = self.connections.lock();
        s.idle.remove(&self.idle_since.load(Ordering::Relaxed));
        s.open -= 1;
        self.no_longer_fresh(&mut s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_idle_connection_makes_room_and_busy_ones_are_kept() {
        let conns = Connections::new(2);
        let a = conns.admit().expect("room");
        let b = conns.admit().expect("room");
        a.busy();
        a.idle(); // a answered a request: now idle more recently than b
        // Full: the third takes b's place (idle longest); b is told to close.
        let c = conns.admit().expect("b makes room");
        tokio::time::timeout(std::time::Duration::from_secs(1), b.closing()).await.expect("b is closed");
        drop(b);
        assert_eq!(conns.open(), 2);
        // Both busy: nobody to close, so a fourth is refused.
        a.busy();
        c.busy();
        assert!(conns.admit().is_none());
        c.idle();
        let d = conns.admit().expect("c makes room");
        drop((a, c, d));
        assert_eq!(conns.open(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_drain_waits_for_first_requests_not_for_idle_connections() {
        let conns = Connections::new(4);
        let kept_alive = conns.admit().expect("room");
        kept_alive.busy();
        kept_alive.idle();
        let (starts, ends) = (conns.admit().expect("room"), conns.admit().expect("room"));
        let waiting = tokio::spawn({
            let conns = conns.clone();
            async move { conns.first_requests_started().await }
        });
        tokio::task::yield_now().await;
        starts.busy();
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "one connection has not sent its first request yet");
        drop(ends);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiting).await.expect("no fresh one left").unwrap();
        // A kept-alive connection between requests does not hold a drain back.
        tokio::time::timeout(std::time::Duration::from_secs(1), conns.first_requests_started()).await.unwrap();
        drop((kept_alive, starts));
    }

    #[tokio::test(start_paused = true)]
    async fn connections_idle_past_the_timeout_are_closed_and_busy_ones_kept() {
        let timeout = std::time::Duration::from_secs(10);
        let conns = Connections::new(8);
        let (fresh, working, answered) =
            (conns.admit().expect("room"), conns.admit().expect("room"), conns.admit().expect("room"));
        working.busy();
        tokio::time::advance(timeout / 2).await;
        answered.busy();
        answered.idle();
        conns.close_idle(timeout);
        let closed = |slot: &Slot| {
            let closing = slot.closing();
            tokio::pin!(closing);
            futures_util::FutureExt::now_or_never(closing).is_some()
        };
        assert!(!closed(&fresh), "not idle long enough yet");
        tokio::time::advance(timeout / 2).await;
        conns.close_idle(timeout);
        assert!(closed(&fresh), "no request head within the timeout");
        assert!(!closed(&working), "a connection busy with a request is never closed for idleness");
        assert!(!closed(&answered), "idle since its answer, half a timeout ago");
        tokio::time::advance(timeout / 2).await;
        conns.close_idle(timeout);
        assert!(closed(&answered), "kept alive without a next request");
        drop((fresh, working, answered));
        assert_eq!(conns.open(), 0);
    }
}
