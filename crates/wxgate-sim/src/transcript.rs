//! What each user sent and what appeared on their phone, in order, with timestamps.
//!
//! Tests assert on transcripts; [`Transcripts::wait_for`] awaits a condition without polling loops in tests.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

use crate::error::SimError;

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Simulated Unix ms when it happened.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub item: Item,
}

/// What a transcript line shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// The user sent a message or triggered an event; the plaintext push body fields as JSON.
    Sent {
        /// `MsgType` (and `Event` for events).
        msg_type: String,
        /// All fields of the push, as JSON.
        fields: serde_json::Value,
    },
    /// A passive reply that reached the phone.
    PassiveReply {
        /// Reply `MsgType`.
        msg_type: String,
        /// Text content for text replies.
        text: Option<String>,
        /// The reply as JSON (XML field names).
        body: serde_json::Value,
    },
    /// A customer-service message that reached the phone.
    CustomerService {
        /// `msgtype`.
        msg_type: String,
        /// Text content for text messages.
        text: Option<String>,
        /// The request body as sent.
        body: serde_json::Value,
    },
    /// The system notice (server failed, timed out or answered garbage).
    SystemNotice {
        /// The notice text.
        text: String,
        /// Why the response was judged a failure.
        reason: String,
    },
    /// "对方正在输入…" shown (`true`) or cancelled (`false`).
    Typing {
        /// Typing on or off.
        on: bool,
    },
}

impl Entry {
    /// The visible text of a reply, customer-service text or notice; `None` for other lines.
    pub fn text(&self) -> Option<&str> {
        match &self.item {
            Item::PassiveReply { text, .. } | Item::CustomerService { text, .. } => text.as_deref(),
            Item::SystemNotice { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for lines the user received (everything but `Sent`).
    pub fn is_received(&self) -> bool {
        !matches!(self.item, Item::Sent { .. })
    }
}

/// One user's transcript.
pub type Transcript = Vec<Entry>;

/// All transcripts keyed by `(appid, openid)`, with change notification.
#[derive(Debug, Clone)]
pub struct Transcripts {
    inner: Arc<Mutex<HashMap<(String, String), Transcript>>>,
    version: Arc<watch::Sender<u64>>,
}

impl Default for Transcripts {
    fn default() -> Self {
        Transcripts { inner: Arc::default(), version: Arc::new(watch::channel(0).0) }
    }
}

impl Transcripts {
    /// Appends a line to a user's transcript and wakes waiters.
    pub fn push(&self, appid: &str, openid: &str, entry: Entry) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((appid.into(), openid.into()))
            .or_default()
            .push(entry);
        self.version.send_modify(|v| *v += 1);
    }

    /// A copy of a user's transcript (empty if the user never appeared).
    pub fn get(&self, appid: &str, openid: &str) -> Transcript {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(appid.to_owned(), openid.to_owned())).cloned().unwrap_or_default()
    }

    /// Waits until `cond` holds for the user's transcript, or `timeout` passes; returns the transcript.
    pub async fn wait_for(
        &self,
        appid: &str,
        openid: &str,
        timeout: Duration,
        cond: impl Fn(&Transcript) -> bool,
    ) -> Result<Transcript, SimError> {
        let mut rx = self.version.subscribe();
        let check = async {
            loop {
                let t = self.get(appid, openid);
                if cond(&t) {
                    return t;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, check).await.map_err(|_| SimError::WaitTimeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wait_for_wakes_on_push_and_times_out() {
        let t = Transcripts::default();
        let t2 = t.clone();
        let waiter = tokio::spawn(async move {
            t2.wait_for("wx1", "u1", Duration::from_secs(10), |t| t.iter().any(|e| e.text() == Some("hi"))).await
        });
        tokio::task::yield_now().await;
        let item =
            Item::CustomerService { msg_type: "text".into(), text: Some("hi".into()), body: serde_json::json!({}) };
        t.push("wx1", "u1", Entry { at_ms: 1, item });
        assert_eq!(waiter.await.unwrap().unwrap().len(), 1);
        let r = t.wait_for("wx1", "u2", Duration::from_millis(20), |t| !t.is_empty()).await;
        assert!(matches!(r, Err(SimError::WaitTimeout)));
    }
}
