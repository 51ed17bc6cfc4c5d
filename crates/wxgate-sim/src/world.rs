//! The simulator's mutable state behind one mutex: accounts with their users, issued tokens, the media store,
//! counters and fault rules. Held only for short, non-async critical sections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::account::Account;
use crate::clock::Clock;
use crate::counters::Counters;
use crate::faults::FaultRule;
use crate::journal::Journal;
use crate::settings::Settings;
use crate::transcript::{Entry, Item, Transcripts};
use crate::window::{Interaction, Window};

/// One user of one account, as the platform tracks them.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserState {
    /// False after an `unsubscribe` event (customer-service then answers 45015).
    pub following: bool,
    /// The open customer-service window, if any.
    pub window: Option<Window>,
    /// Last time the user interacted in any way (typing needs one within 30 s).
    pub last_interaction_ms: Option<u64>,
    /// While `Some(t)` and now < t, the user sees "typing".
    pub typing_until_ms: Option<u64>,
    /// What the user did, in the control API's JSON form (for saving the conversation).
    pub actions: Vec<serde_json::Value>,
}

/// The per-account token bookkeeping and users. (No `Debug`: it holds the current tokens.)
pub(crate) struct AccountState {
    pub account: Account,
    pub users: HashMap<String, UserState>,
    /// The newest `/cgi-bin/token` token.
    pub classic_current: Option<String>,
    /// The current stable token.
    pub stable_current: Option<String>,
    /// `(day, calls)` of `/cgi-bin/token`.
    pub token_calls: (u64, u32),
    /// `(day, forced refreshes, last forced ms)` of `stable_token`.
    pub stable_forced: (u64, u32, Option<u64>),
}

impl AccountState {
    pub fn new(account: Account) -> Self {
        AccountState {
            account,
            users: HashMap::new(),
            classic_current: None,
            stable_current: None,
            token_calls: (0, 0),
            stable_forced: (0, 0, None),
        }
    }
}

/// One issued access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub appid: String,
    pub expires_ms: u64,
    /// Superseded: valid only until this time (classic overlap; immediate for a forced stable refresh).
    pub valid_until_ms: Option<u64>,
}

/// A temporary media item.
#[derive(Debug, Clone)]
pub(crate) struct MediaItem {
    pub appid: String,
    pub media_type: String,
    pub bytes: bytes::Bytes,
    pub filename: String,
    pub content_type: String,
    pub created_ms: u64,
}

/// Everything mutable. `Debug` shows sizes only: the token map's keys are live access tokens.
#[derive(Default)]
pub(crate) struct World {
    pub accounts: HashMap<String, AccountState>,
    pub tokens: HashMap<String, TokenRecord>,
    pub media: HashMap<String, MediaItem>,
    pub counters: Counters,
    pub faults: Vec<FaultRule>,
    /// Decides whether rate-triggered faults fire (seeded by [`Settings::fault_seed`] when given).
    pub fault_rng: Option<rand::rngs::StdRng>,
    /// Menu buttons the console offers.
    pub menu: Vec<crate::menu::MenuButton>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("accounts", &self.accounts.len())
            .field("tokens", &self.tokens.len())
            .field("media", &self.media.len())
            .field("counters", &self.counters)
            .field("faults", &self.faults)
            .finish()
    }
}

/// State shared by the HTTP side, the push side and the library handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub clock: Clock,
    pub settings: Settings,
    pub transcripts: Transcripts,
    /// What crossed the wire and what users saw, for the console.
    pub journal: Journal,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn new(settings: Settings, clock: Clock, http: reqwest::Client) -> Arc<Self> {
        let world = World { fault_rng: settings.fault_seed.map(rand::SeedableRng::seed_from_u64), ..World::default() };
        Arc::new(Shared {
            world: Mutex::new(world),
            clock,
            settings,
            transcripts: Transcripts::default(),
            journal: Journal::default(),
            http,
        })
    }

    /// Locks the world (a poisoned lock is still usable: every critical section leaves it consistent).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a user interaction: opens/resets the window, remembers the time, follows/unfollows.
    pub fn record_interaction(&self, appid: &str, openid: &str, action: Interaction, unsubscribe: bool) {
        let now = self.clock.now_ms();
        let mut world = self.world();
        let Some(acc) = world.accounts.get_mut(appid) else { return };
        let mini = acc.account.kind.is_mini_program();
        let user =
            acc.users.entry(openid.to_owned()).or_insert_with(|| UserState { following: true, ..Default::default() });
        user.last_interaction_ms = Some(now);
        if unsubscribe {
            user.following = false;
            user.window = None;
            return;
        }
        user.following = true;
        if let Some(w) = Window::open(action, mini, now) {
            user.window = Some(w);
        }
    }

    /// Appends a line to a transcript at the current simulated time; returns its journal `seq`. Must not be
    /// called with the world locked.
    pub fn show(&self, appid: &str, openid: &str, item: Item) -> u64 {
        self.show_with(appid, openid, item, serde_json::json!({}))
    }

    /// [`Shared::show`] with extra journal fields (the action a `Sent` line came from).
    pub fn show_with(&self, appid: &str, openid: &str, item: Item, extra: serde_json::Value) -> u64 {
        let entry = Entry { at_ms: self.clock.now_ms(), item };
        let mut fields = serde_json::json!({"entry": &entry, "user": self.user_status(appid, openid)});
        if let (Some(obj), serde_json::Value::Object(extra)) = (fields.as_object_mut(), extra) {
            obj.extend(extra);
        }
        let seq = self.journal.record("line", Some(appid), Some(openid), fields);
        self.transcripts.push(appid, openid, entry);
        seq
    }

    /// Remembers an action of a user (created if new).
    pub fn remember_action(&self, appid: &str, openid: &str, action: serde_json::Value) {
        let mut world = self.world();
        if let Some(acc) = world.accounts.get_mut(appid) {
            let user = acc
                .users
                .entry(openid.to_owned())
                .or_insert_with(|| UserState { following: true, ..Default::default() });
            user.actions.push(action);
        }
    }

    /// The actions of a user so far.
    pub fn actions_of(&self, appid: &str, openid: &str) -> Vec<serde_json::Value> {
        let world = self.world();
        world.accounts.get(appid).and_then(|a| a.users.get(openid)).map(|u| u.actions.clone()).unwrap_or_default()
    }

    /// What the console shows of a user: following or not, and the customer-service window with its quota.
    pub fn user_status(&self, appid: &str, openid: &str) -> serde_json::Value {
        let now = self.clock.now_ms();
        let world = self.world();
        let user = world.accounts.get(appid).and_then(|a| a.users.get(openid));
        let window = user.and_then(|u| u.window).filter(|w| w.deadline_ms > now);
        serde_json::json!({
            "following": user.is_some_and(|u| u.following),
            "window": window.map(|w| serde_json::json!({"closes_in_ms": w.deadline_ms - now, "remaining": w.remaining})),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_tokens() {
        let shared = Shared::new(Settings::default(), Clock::new(), reqwest::Client::new());
        let token = crate::ids::random_id(128);
        let record = TokenRecord { appid: "wx1".into(), expires_ms: 1, valid_until_ms: None };
        shared.world().tokens.insert(token.clone(), record);
        assert!(!format!("{shared:?}").contains(&token));
    }
}
