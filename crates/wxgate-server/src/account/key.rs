//! The dedup key of a push: what makes two HTTP requests the same logical message.
//!
//! WeChat retries a push it got no answer to with the same body, so the key comes from the body, never from the
//! query (whose `timestamp`/`nonce` may change per attempt). WeChat's own advice is `MsgId` for messages and
//! `FromUserName` + `CreateTime` for events; `MsgId` alone has been seen to collide across users, so the default
//! pairs it with the sender.

use serde::{Deserialize, Serialize};
use wxgate_proto::Inbound;

/// How pushes are told apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupMode {
    /// Messages by (FromUserName, MsgId); events by (FromUserName, CreateTime, Event, EventKey). Default.
    #[default]
    Sender,
    /// Messages by MsgId alone (the documented key; can merge different users' messages); events as above.
    MsgId,
    /// Every request is new work (retries run the handler again).
    Off,
}

/// The key of a push for an account, or `None` when it cannot be deduplicated.
pub(crate) fn dedup_key(account: &str, inbound: &Inbound, mode: DedupMode) -> Option<String> {
    if mode == DedupMode::Off {
        return None;
    }
    if let Some(name) = inbound.event_name() {
        let key = inbound.fields.text("EventKey").unwrap_or_default();
        return Some(format!(
            "{account}\u{1f}e\u{1f}{}\u{1f}{}\u{1f}{name}\u{1f}{key}",
            inbound.from_user, inbound.create_time
        ));
    }
    let msg_id = inbound.msg_id?;
    Some(match mode {
        DedupMode::MsgId => format!("{account}\u{1f}m\u{1f}{msg_id}"),
        _ => format!("{account}\u{1f}m\u{1f}{}\u{1f}{msg_id}", inbound.from_user),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(from: &str, body: &str) -> Inbound {
        let xml = format!("<xml><ToUserName>gh</ToUserName><FromUserName>{from}</FromUserName>{body}</xml>");
        Inbound::from_xml(xml.as_bytes()).unwrap()
    }

    #[test]
    fn keys() {
        let a = push("u1", "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>7</MsgId>");
        let b = push("u2", "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>7</MsgId>");
        assert_ne!(dedup_key("acc", &a, DedupMode::Sender), dedup_key("acc", &b, DedupMode::Sender));
        assert_eq!(dedup_key("acc", &a, DedupMode::MsgId), dedup_key("acc", &b, DedupMode::MsgId));
        assert_eq!(dedup_key("acc", &a, DedupMode::Off), None);
        let click =
            push("u1", "<CreateTime>5</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey>");
        let other =
            push("u1", "<CreateTime>5</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>L</EventKey>");
        assert!(dedup_key("acc", &click, DedupMode::Sender).is_some());
        assert_ne!(dedup_key("acc", &click, DedupMode::Sender), dedup_key("acc", &other, DedupMode::Sender));
        let no_id = push("u1", "<CreateTime>5</CreateTime><MsgType>hologram</MsgType>");
        assert_eq!(dedup_key("acc", &no_id, DedupMode::Sender), None);
    }
}
