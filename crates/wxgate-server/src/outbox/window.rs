//! The customer-service window and quota, tracked per user from the pushes that open it.
//!
//! On an Official Account a user message opens a 48-hour window with 5 sends; a menu click, follow or QR scan
//! opens a 1-minute window with 3 sends. On a Mini Program a user message opens 5 sends within 48 hours, and
//! entering the customer-service session (`user_enter_tempsession`) 2 within a minute. Each new interaction
//! replaces the window and resets its count. The worker packs answers into
//! what is left and dead-letters jobs whose window has closed instead of spending an API call on 45015.
//!
//! One process keeps windows in memory. Replicas keep them in the store they share ([`Windows::new`]): the
//! replica sending an answer is often not the one that received the user's message, and the quota is the
//! user's. Then every push also wakes the user's waiting answers, since another replica may have put them to
//! sleep.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use wxgate_proto::{Event, Inbound, InboundKind};
use wxgate_store::WindowStore;

use crate::account::AccountKind;

/// A user's window: until when it is open, and how many sends remain (the form the store keeps too).
pub(crate) use wxgate_store::StoredWindow as Window;

/// Windows per (account, openid), and the users whose answers wait for their next message. In memory both are
/// keyed by account, then openid, so the lookup on every push borrows its keys instead of allocating them.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    map: Mutex<Users>,
    sleeping: Mutex<HashMap<String, HashSet<String>>>,
    shared: Option<Arc<dyn WindowStore>>,
}

/// The windows kept in memory, by account and openid, how many, and how many at most.
#[derive(Debug)]
struct Users {
    by_account: HashMap<String, HashMap<String, Window>>,
    count: usize,
    cap: usize,
}

impl Default for Users {
    fn default() -> Self {
        Users { by_account: HashMap::new(), count: 0, cap: MAX_WINDOWS }
    }
}

const HOUR_MS: i64 = 3_600_000;

/// Windows kept in memory at most: a closed window is forgotten by [`Windows::prune`], and beyond this many the
/// ones closest to closing go first (a user who writes again opens a new one).
const MAX_WINDOWS: usize = 1_000_000;

impl Windows {
    /// Windows kept in `shared`, the store of every replica, or in this process's memory (`None`).
    pub(crate) fn new(shared: Option<Arc<dyn WindowStore>>) -> Self {
        Windows { shared, ..Windows::default() }
    }

    async fn get(&self, account: &str, openid: &str) -> Option<Window> {
        match self.shared.as_ref() {
            Some(store) => match store.window(account, openid).await {
                Ok(w) => w,
                Err(e) => {
                    // Unknown lets the platform decide, as after a restart.
                    tracing::warn!(error = %e, "cannot read a customer-service window");
                    None
                }
            },
            None => self.map.lock().expect("windows lock").by_account.get(account)?.get(openid).copied(),
        }
    }

    async fn put(&self, account: &str, openid: &str, window: Window, now: i64) {
        if let Some(store) = self.shared.as_ref() {
            if let Err(e) = store.put_window(account, openid, window).await {
                tracing::warn!(error = %e, "cannot record a customer-service window");
            }
            return;
        }
        let mut map = self.map.lock().expect("windows lock");
        if let Some(w) = map.by_account.get_mut(account).and_then(|users| users.get_mut(openid)) {
            *w = window;
            return;
        }
        if map.count >= map.cap {
            map.evict(now);
        }
        map.by_account.entry(account.to_owned()).or_default().insert(openid.to_owned(), window);
        map.count += 1;
    }

    /// Forgets the windows closed by `now` (called on a timer).
    pub(crate) fn prune(&self, now: i64) {
        self.map.lock().expect("windows lock").retain(|w| w.until > now);
    }

    /// Records a push; returns the window it opened, if it opens one.
    pub(crate) async fn record(&self, account: &str, kind: AccountKind, inbound: &Inbound, now: i64) -> Option<Window> {
        let window = match &inbound.kind {
            InboundKind::Event(Event::UserEnterTempSession { .. }) if kind.is_mini_program() => {
                Window { until: now + 60_000, remaining: 2 }
            }
            InboundKind::Event(_) | InboundKind::Unknown if kind.is_mini_program() => return None,
            InboundKind::Event(Event::Subscribe { .. } | Event::Scan { .. } | Event::Click { .. })
            | InboundKind::Event(Event::ScanCodePush(_) | Event::ScanCodeWaitMsg(_)) => {
                Window { until: now + 60_000, remaining: 3 }
            }
            InboundKind::Event(_) | InboundKind::Unknown => return None,
            _ => Window { until: now + 48 * HOUR_MS, remaining: 5 },
        };
        self.put(account, &inbound.from_user, window, now).await;
        Some(window)
    }

    /// The user's window at `now`: `None` when no interaction is known (say, after a restart), else whether it
    /// is open.
    pub(crate) async fn state(&self, account: &str, openid: &str, now: i64) -> Option<Result<Window, Window>> {
        let w = self.get(account, openid).await?;
        Some(if w.until > now { Ok(w) } else { Err(w) })
    }

    /// The user's window, if still open at `now`.
    pub(crate) async fn open(&self, account: &str, openid: &str, now: i64) -> Option<Window> {
        self.get(account, openid).await.filter(|w| w.until > now && w.remaining > 0)
    }

    /// Counts one send against the user's window.
    pub(crate) async fn spend(&self, account: &str, openid: &str) {
        if let Some(store) = self.shared.as_ref() {
            if let Err(e) = store.spend(account, openid).await {
                tracing::warn!(error = %e, "cannot count a customer-service send");
            }
            return;
        }
        let mut map = self.map.lock().expect("windows lock");
        if let Some(w) = map.by_account.get_mut(account).and_then(|users| users.get_mut(openid)) {
            w.remaining = w.remaining.saturating_sub(1);
        }
    }

    /// The platform answered 45047 (quota used up): it counted more sends than this process did — a send whose
    /// answer was lost had gone through. The window has nothing left until the user's next message.
    pub(crate) async fn use_up(&self, account: &str, openid: &str, now: i64) {
        if let Some(w) = self.get(account, openid).await {
            self.put(account, openid, Window { until: w.until, remaining: 0 }, now).await;
        }
    }

    /// True when every push wakes its user's waiting answers anyway (shared windows): which users have answers
    /// asleep need not be known here.
    pub(crate) fn wakes_every_user(&self) -> bool {
        self.shared.is_some()
    }

    /// Notes that a user has an answer waiting for their next message.
    pub(crate) fn sleep(&self, account: &str, openid: &str) {
        self.sleeping.lock().expect("windows lock").entry(account.to_owned()).or_default().insert(openid.to_owned());
    }

    /// True (once) when the user had an answer waiting: the caller wakes their jobs. Always true with shared
    /// windows: another replica may have put the user's answers to sleep.
    pub(crate) fn take_sleeping(&self, account: &str, openid: &str) -> bool {
        let here =
            self.sleeping.lock().expect("windows lock").get_mut(account).is_some_and(|users| users.remove(openid));
        here || self.shared.as_ref().is_some()
    }
}

impl Users {
    /// Keeps the windows for which `keep` holds.
    fn retain(&mut self, keep: impl Fn(&Window) -> bool) {
        for users in self.by_account.values_mut() {
            users.retain(|_, w| keep(w));
        }
        self.by_account.retain(|_, users| !users.is_empty());
        self.count = self.by_account.values().map(HashMap::len).sum();
    }

    /// Makes room: the closed windows go, and if that is not enough, the sixteenth closing soonest.
    fn evict(&mut self, now: i64) {
        self.retain(|w| w.until > now);
        if self.count < self.cap {
            return;
        }
        let mut untils: Vec<i64> = self.by_account.values().flat_map(|u| u.values().map(|w| w.until)).collect();
        let cut = untils.len() / 16;
        let (_, threshold, _) = untils.select_nth_unstable(cut);
        let threshold = *threshold;
        self.retain(|w| w.until > threshold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_from(openid: &str) -> Inbound {
        let xml = format!(
            "<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>\
             <MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"
        );
        Inbound::from_xml(xml.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn closed_windows_are_forgotten_and_the_count_is_capped() {
        let windows = Windows::default();
        windows.map.lock().unwrap().cap = 64;
        let kind = AccountKind::OfficialAccount;
        // Each user writes a minute after the one before: all windows stay open, the earliest close first.
        const MINUTE: i64 = 60_000;
        for i in 0..200i64 {
            windows.record("a", kind, &text_from(&format!("o{i}")), i * MINUTE).await;
            assert!(windows.map.lock().unwrap().count <= 64);
        }
        let newest = 199 * MINUTE;
        assert!(windows.get("a", "o199").await.is_some(), "the newest is kept");
        assert!(windows.get("a", "o0").await.is_none(), "the one closing soonest went first");
        // Two days after the last message every window is closed, and pruning forgets them all.
        windows.prune(newest + 48 * HOUR_MS);
        let users = windows.map.lock().unwrap();
        assert_eq!((users.count, users.by_account.len()), (0, 0));
    }
}
