//! Everything that crossed the wire and everything a user saw, as one numbered stream of JSON events, for the
//! browser console's live view and its inspector.
//!
//! Three kinds of event, each with `seq` (increasing), `type`, `appid` and `openid` (when known):
//!
//! * `line` — a transcript line (what the user sent or saw), with the user's window and quota after it;
//! * `attempt` — one HTTP attempt of a push: the request as sent (query, headers, body), the plaintext it
//!   carries, the server's answer (status and body, or why it failed) and when it started and ended;
//! * `api` — one call of the platform API by the server: path, request body, answer and `errcode`.
//!
//! The journal keeps the newest [`CAPACITY`] events (bounded memory however long the console runs); a subscriber
//! gets every event after the `seq` it last saw, then new ones as they happen.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Events kept for late subscribers.
pub(crate) const CAPACITY: usize = 20_000;

/// The event stream.
#[derive(Debug)]
pub(crate) struct Journal {
    inner: Mutex<Inner>,
    live: broadcast::Sender<Value>,
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    events: VecDeque<Value>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal { inner: Mutex::default(), live: broadcast::channel(1024).0 }
    }
}

impl Journal {
    /// Appends an event (`fields` must be a JSON object) and returns its `seq`.
    pub(crate) fn record(&self, kind: &str, appid: Option<&str>, openid: Option<&str>, fields: Value) -> u64 {
        let mut event = json!({"type": kind, "appid": appid, "openid": openid});
        if let (Some(obj), Value::Object(extra)) = (event.as_object_mut(), fields) {
            obj.extend(extra);
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.next_seq += 1;
        let seq = inner.next_seq;
        event["seq"] = json!(seq);
        if inner.events.len() == CAPACITY {
            inner.events.pop_front();
        }
        inner.events.push_back(event.clone());
        // Sent under the lock, so subscribers see events in `seq` order.
        let _ = self.live.send(event);
        seq
    }

    /// The kept events after `seq`, and a receiver of the events recorded from now on.
    pub(crate) fn subscribe(&self, after: u64) -> (Vec<Value>, broadcast::Receiver<Value>) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let past = inner.events.iter().filter(|e| e["seq"].as_u64().unwrap_or(0) > after).cloned().collect();
        (past, self.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_the_past_after_their_seq_then_live_events_in_order() {
        let j = Journal::default();
        for i in 0..3 {
            j.record("line", Some("wx1"), Some("u1"), json!({"i": i}));
        }
        let (past, mut rx) = j.subscribe(1);
        assert_eq!(past.iter().map(|e| e["seq"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 3]);
        j.record("api", Some("wx1"), None, json!({"path": "/x"}));
        let next = rx.try_recv().unwrap();
        assert_eq!(
            (next["seq"].as_u64(), next["type"].as_str(), next["path"].as_str()),
            (Some(4), Some("api"), Some("/x"))
        );
    }

    #[test]
    fn only_the_newest_events_are_kept() {
        let j = Journal::default();
        for _ in 0..CAPACITY + 5 {
            j.record("line", None, None, json!({}));
        }
        let (past, _) = j.subscribe(0);
        assert_eq!(past.len(), CAPACITY);
        assert_eq!(past[0]["seq"].as_u64(), Some(6));
    }
}
