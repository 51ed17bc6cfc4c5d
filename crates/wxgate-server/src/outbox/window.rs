//! The customer-service window and quota (PROTOCOL §6.6), tracked per user from the pushes that open it.
//!
//! A user message opens a 48-hour window with 5 sends; a menu click, follow or QR scan opens a 1-minute window
//! with 3 sends. Each new interaction replaces the window and resets its count. The worker packs answers into
//! what is left and dead-letters jobs whose window has closed instead of spending an API call on 45015.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use wxgate_proto::{Event, Inbound, InboundKind};

/// An open window: until when, and how many sends remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Unix ms when it closes.
    pub until: i64,
    /// Sends left.
    pub remaining: u32,
}

/// Windows per (account, openid), and the users whose answers wait for their next message. Both are keyed by
/// account, then openid, so the lookup on every push borrows its keys instead of allocating them.
#[derive(Debug, Default)]
pub struct Windows {
    map: Mutex<HashMap<String, HashMap<String, Window>>>,
    sleeping: Mutex<HashMap<String, HashSet<String>>>,
}

const HOUR_MS: i64 = 3_600_000;

impl Windows {
    /// No windows yet.
    pub fn new() -> Self {
        Windows::default()
    }

    fn get(&self, account: &str, openid: &str) -> Option<Window> {
        self.map.lock().expect("windows lock").get(account)?.get(openid).copied()
    }

    fn put(&self, account: &str, openid: &str, window: Window) {
        let mut map = self.map.lock().expect("windows lock");
        let users = match map.get_mut(account) {
            Some(users) => users,
            None => map.entry(account.to_owned()).or_default(),
        };
        match users.get_mut(openid) {
            Some(w) => *w = window,
            None => {
                users.insert(openid.to_owned(), window);
            }
        }
    }

    /// Records a push; returns the window it opened, if it opens one.
    pub fn record(&self, account: &str, inbound: &Inbound, now: i64) -> Option<Window> {
        let window = match &inbound.kind {
            InboundKind::Event(Event::Subscribe { .. } | Event::Scan { .. } | Event::Click { .. })
            | InboundKind::Event(Event::ScanCodePush(_) | Event::ScanCodeWaitMsg(_)) => {
                Window { until: now + 60_000, remaining: 3 }
            }
            InboundKind::Event(_) | InboundKind::Unknown => return None,
            _ => Window { until: now + 48 * HOUR_MS, remaining: 5 },
        };
        self.put(account, &inbound.from_user, window);
        Some(window)
    }

    /// The user's window at `now`: `None` when no interaction is known (say, after a restart), else whether it
    /// is open.
    pub fn state(&self, account: &str, openid: &str, now: i64) -> Option<Result<Window, Window>> {
        let w = self.get(account, openid)?;
        Some(if w.until > now { Ok(w) } else { Err(w) })
    }

    /// The user's window, if still open at `now`.
    pub fn open(&self, account: &str, openid: &str, now: i64) -> Option<Window> {
        self.get(account, openid).filter(|w| w.until > now && w.remaining > 0)
    }

    /// Counts one send against the user's window.
    pub fn spend(&self, account: &str, openid: &str) {
        let mut map = self.map.lock().expect("windows lock");
        if let Some(w) = map.get_mut(account).and_then(|users| users.get_mut(openid)) {
            w.remaining = w.remaining.saturating_sub(1);
        }
    }

    /// Notes that a user has an answer waiting for their next message.
    pub fn sleep(&self, account: &str, openid: &str) {
        self.sleeping.lock().expect("windows lock").entry(account.to_owned()).or_default().insert(openid.to_owned());
    }

    /// True (once) when the user had an answer waiting: the caller wakes their jobs.
    pub fn take_sleeping(&self, account: &str, openid: &str) -> bool {
        self.sleeping.lock().expect("windows lock").get_mut(account).is_some_and(|users| users.remove(openid))
    }

    /// Sets a window directly (restoring state, tests).
    pub fn set(&self, account: &str, openid: &str, window: Window) {
        self.put(account, openid, window);
    }
}
