//! A faithful simulator of the WeChat platform, for tests and for trying a server locally.
//!
//! One [`Simulator`] listens on one address and plays both sides of the platform:
//!
//! * **API side** — the endpoints a developer server calls: `/cgi-bin/token`, `/cgi-bin/stable_token`,
//!   `/cgi-bin/message/custom/send`, `/cgi-bin/message/custom/typing`, `/cgi-bin/media/upload`,
//!   `/cgi-bin/media/get`, with the platform's rules (token overlap, quotas, the 48-hour window, typing, media
//!   limits) and injectable faults.
//! * **Push side** — simulated users send messages and trigger events; the simulator pushes them to the account's
//!   server signed and encrypted as WeChat does, retries on timeout, judges the answer and shows the user what
//!   WeChat would show.
//!
//! Time is a [`Clock`] the tests can move forward; what users saw is in their [`transcript::Transcript`].
//!
//! The same listener serves a chat console at `/`: a browser page that plays a user's phone, with an inspector of
//! everything that crossed the wire, and saves and replays conversations ([`replay`]).

pub mod account;
mod answer;
mod api;
pub mod clock;
pub mod config;
mod console;
mod control;
pub mod counters;
pub mod error;
pub mod faults;
mod ids;
mod journal;
mod menu;
pub mod push;
pub mod replay;
mod server;
pub mod settings;
pub mod transcript;
mod user;
pub mod window;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use account::{Account, AccountKind, DataFormat, Delivery, Mode};
pub use clock::Clock;
pub use config::SimConfig;
pub use counters::Counters;
pub use error::SimError;
pub use faults::{FaultKind, FaultRule, Trigger};
pub use menu::MenuButton;
pub use push::{CheckOutcome, PushOutcome, UserAction, Verdict};
pub use replay::{ReplayReport, TranscriptFile};
pub use settings::Settings;
pub use transcript::{Entry, Item, Transcript};
pub use user::User;
pub use window::Interaction;

use world::{AccountState, Shared, UserState};

/// Configures and starts a [`Simulator`].
#[derive(Debug, Default)]
pub struct SimulatorBuilder {
    settings: Settings,
    accounts: Vec<Account>,
    users: Vec<(String, String)>,
    clock: Option<Clock>,
    bind: Option<SocketAddr>,
}

impl SimulatorBuilder {
    /// Platform settings (timeouts, limits, quotas).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Adds an account.
    pub fn account(mut self, account: Account) -> Self {
        self.accounts.push(account);
        self
    }

    /// Uses this clock (shared with the test) instead of a fresh one.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Applies a parsed config file: settings, listen address, accounts and their users.
    pub fn config(mut self, config: SimConfig) -> Self {
        self.settings = config.settings();
        self.bind = Some(config.listen());
        for entry in config.accounts {
            for openid in &entry.users {
                self.users.push((entry.account.appid.clone(), openid.clone()));
            }
            self.accounts.push(entry.account);
        }
        self
    }

    /// Listens here instead of `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> Result<Simulator, SimError> {
        let http = reqwest::Client::builder().no_proxy().build().map_err(|e| SimError::Http(e.to_string()))?;
        let shared = Shared::new(self.settings, self.clock.unwrap_or_default(), http);
        let addr = self.bind.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut sim = Simulator { task: None, shared, addr };
        for account in self.accounts {
            sim.add_account(account)?;
        }
        for (appid, openid) in &self.users {
            sim.add_user(appid, openid)?;
        }
        let router = api::router(sim.shared.clone())
            .merge(control::router(sim.shared.clone()))
            .merge(console::router(sim.shared.clone()));
        let task = tokio::spawn(server::serve(listener, router, sim.shared.clone()));
        sim.task = Some(task);
        Ok(sim)
    }
}

/// A running simulator. Dropping it stops the listener.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Simulator {
    /// A builder with default settings and no accounts.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: use it as the API base URL instead of `https://api.weixin.qq.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulated clock (move it with [`Clock::advance`]).
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The platform settings in force.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.world().counters
    }

    /// Adds (or replaces) an account; fails if its crypto settings are unusable.
    pub fn add_account(&self, account: Account) -> Result<(), SimError> {
        if account.mode != Mode::Plain && account.encoding_aes_key.is_none() {
            return Err(SimError::MissingAesKey(account.appid));
        }
        wxgate_proto::crypto::MessageCrypto::new(&account.token, account.encoding_aes_key.as_deref(), &account.appid)?;
        let mut world = self.shared.world();
        world.accounts.insert(account.appid.clone(), AccountState::new(account));
        Ok(())
    }

    /// Points the account's pushes at `url` (as a developer does when changing the server URL in the console);
    /// its users, windows and tokens stay as they are.
    pub fn set_url(&self, appid: &str, url: impl Into<String>) -> Result<(), SimError> {
        let mut world = self.shared.world();
        let acc = world.accounts.get_mut(appid).ok_or_else(|| SimError::UnknownAccount(appid.to_owned()))?;
        let url = url.into();
        acc.account.delivery = Some(match acc.account.delivery.take() {
            Some(account::Delivery::CloudHosting { env, owner_appid, .. }) => {
                account::Delivery::CloudHosting { url, env, owner_appid }
            }
            _ => account::Delivery::Url { url },
        });
        Ok(())
    }

    /// Adds a follower of `appid` who has not interacted yet (customer-service answers 45015 until they do).
    pub fn add_user(&self, appid: &str, openid: &str) -> Result<(), SimError> {
        let mut world = self.shared.world();
        let acc = world.accounts.get_mut(appid).ok_or_else(|| SimError::UnknownAccount(appid.to_owned()))?;
        acc.users.entry(openid.to_owned()).or_insert_with(|| UserState { following: true, ..Default::default() });
        Ok(())
    }

    /// Records a user interaction without pushing anything (opens or resets the customer-service window).
    pub fn record_interaction(&self, appid: &str, openid: &str, action: Interaction) -> Result<(), SimError> {
        if !self.shared.world().accounts.contains_key(appid) {
            return Err(SimError::UnknownAccount(appid.to_owned()));
        }
        self.shared.record_interaction(appid, openid, action, false);
        Ok(())
    }

    /// A handle for user `openid` of account `appid` (the user is created on first use).
    pub fn user(&self, appid: &str, openid: &str) -> User {
        User { shared: self.shared.clone(), appid: appid.to_owned(), openid: openid.to_owned() }
    }

    /// Runs the URL verification GET against the account's server.
    pub async fn verify_url(&self, appid: &str) -> Result<CheckOutcome, SimError> {
        push::verify_url(&self.shared, appid).await
    }

    /// Runs the Cloud Hosting `CheckContainerPath` probe against the account's server.
    pub async fn probe(&self, appid: &str) -> Result<CheckOutcome, SimError> {
        push::probe(&self.shared, appid).await
    }

    /// The configured accounts (secrets stay inside; `Debug` redacts them).
    pub fn accounts(&self) -> Vec<Account> {
        let mut v: Vec<Account> = self.shared.world().accounts.values().map(|a| a.account.clone()).collect();
        v.sort_by(|a, b| a.appid.cmp(&b.appid));
        v
    }

    /// Adds a fault rule.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.world().faults.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.world().faults.clear();
    }

    /// A copy of what a user sent and saw so far.
    pub fn transcript(&self, appid: &str, openid: &str) -> Transcript {
        self.shared.transcripts.get(appid, openid)
    }

    /// The menu buttons the browser console offers (the server's `CLICK` keys).
    pub fn set_menu(&self, buttons: Vec<MenuButton>) {
        self.shared.world().menu = buttons;
    }

    /// The user's conversation so far as a transcript file.
    pub fn transcript_file(&self, appid: &str, openid: &str) -> TranscriptFile {
        replay::save(&self.shared, appid, openid)
    }

    /// Plays `file` against the server as user `openid` (best a new one, so the conversation starts afresh) and
    /// compares what the user sees with what the file says they saw.
    pub async fn replay(&self, file: &TranscriptFile, openid: &str) -> Result<ReplayReport, SimError> {
        replay::run(&self.shared, file, openid).await
    }

    /// Waits until `cond` holds for the user's transcript (or `timeout` passes) and returns it.
    pub async fn wait_for(
        &self,
        appid: &str,
        openid: &str,
        timeout: Duration,
        cond: impl Fn(&Transcript) -> bool,
    ) -> Result<Transcript, SimError> {
        self.shared.transcripts.wait_for(appid, openid, timeout, cond).await
    }
}
