//! A handle for scripting one simulated user: send messages, trigger events, read and await their transcript.

use std::sync::Arc;
use std::time::Duration;

use crate::error::SimError;
use crate::push::{self, PushOutcome, UserAction};
use crate::transcript::Transcript;
use crate::world::Shared;

/// One user of one account. Cheap to clone.
#[derive(Debug, Clone)]
pub struct User {
    pub(crate) shared: Arc<Shared>,
    pub(crate) appid: String,
    pub(crate) openid: String,
}

impl User {
    /// The user's openid.
    pub fn openid(&self) -> &str {
        &self.openid
    }

    /// The account's appid.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// Performs `action`: pushes it to the account's server (with retries) and returns what happened once the
    /// answer was judged and shown.
    pub async fn send(&self, action: UserAction) -> Result<PushOutcome, SimError> {
        push::push(&self.shared, &self.appid, &self.openid, &action).await
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: &str) -> Result<PushOutcome, SimError> {
        self.send(UserAction::Text(text.to_owned())).await
    }

    /// Follows the account.
    pub async fn follow(&self) -> Result<PushOutcome, SimError> {
        self.send(UserAction::Subscribe { scene: None }).await
    }

    /// Clicks a menu button of type click.
    pub async fn click(&self, key: &str) -> Result<PushOutcome, SimError> {
        self.send(UserAction::Click { key: key.to_owned() }).await
    }

    /// What the user sent and saw so far.
    pub fn transcript(&self) -> Transcript {
        self.shared.transcripts.get(&self.appid, &self.openid)
    }

    /// Waits until `cond` holds for the transcript, or `timeout` passes.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        cond: impl Fn(&Transcript) -> bool,
    ) -> Result<Transcript, SimError> {
        self.shared.transcripts.wait_for(&self.appid, &self.openid, timeout, cond).await
    }
}
