//! When a rule or a route applies: one set of conditions over a push, shared by config rules and the Rust router,
//! so `keyword = "hi"` in TOML and `.on_keyword("hi", …)` in Rust mean exactly the same thing.

use std::sync::Arc;

use regex::Regex;
use wxgate_proto::Inbound;

/// A condition on a push.
#[derive(Clone)]
pub enum Match {
    /// Every push.
    Any,
    /// `MsgType` equal to this (`text`, `image`, `event`, …).
    MsgType(String),
    /// A text (or recognised voice) equal to this keyword, both trimmed.
    Keyword(String),
    /// A text (or recognised voice) matching this expression.
    Regex(Regex),
    /// `Event` equal to this name, exactly as WeChat sends it (`subscribe`, `CLICK`, `SCAN`, …).
    Event(String),
    /// `EventKey` equal to this value (for a QR-code follow, the `qrscene_` prefix is part of it).
    EventKey(String),
    /// Every condition holds (none: always).
    All(Vec<Match>),
    /// At least one condition holds (none: never).
    AnyOf(Vec<Match>),
    /// Any predicate.
    Custom(Arc<dyn Fn(&Inbound) -> bool + Send + Sync>),
}

impl Match {
    /// A menu button click with this key: `Event` = `CLICK` and `EventKey` = `key`.
    pub fn click(key: &str) -> Match {
        Match::All(vec![Match::Event("CLICK".into()), Match::EventKey(key.into())])
    }

    /// True when the push satisfies the condition.
    pub fn holds(&self, inbound: &Inbound) -> bool {
        match self {
            Match::Any => true,
            Match::MsgType(t) => inbound.msg_type == *t,
            Match::Keyword(k) => inbound.text().is_some_and(|t| t.trim() == k.trim()),
            Match::Regex(r) => inbound.text().is_some_and(|t| r.is_match(t)),
            Match::Event(e) => inbound.event_name() == Some(e),
            Match::EventKey(k) => inbound.event_key() == Some(k),
            Match::All(all) => all.iter().all(|m| m.holds(inbound)),
            Match::AnyOf(any) => any.iter().any(|m| m.holds(inbound)),
            Match::Custom(f) => f(inbound),
        }
    }
}

impl std::fmt::Debug for Match {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Match::Any => write!(f, "Any"),
            Match::MsgType(t) => write!(f, "MsgType({t:?})"),
            Match::Keyword(k) => write!(f, "Keyword({k:?})"),
            Match::Regex(r) => write!(f, "Regex({:?})", r.as_str()),
            Match::Event(e) => write!(f, "Event({e:?})"),
            Match::EventKey(k) => write!(f, "EventKey({k:?})"),
            Match::All(all) => f.debug_tuple("All").field(all).finish(),
            Match::AnyOf(any) => f.debug_tuple("AnyOf").field(any).finish(),
            Match::Custom(_) => write!(f, "Custom(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(body: &str) -> Inbound {
        let xml = format!("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>{body}</xml>");
        Inbound::from_xml(xml.as_bytes()).unwrap()
    }

    #[test]
    fn conditions() {
        let text = push("<CreateTime>1</CreateTime><MsgType>text</MsgType><Content> hi </Content><MsgId>1</MsgId>");
        let click =
            push("<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey>");
        assert!(Match::Keyword("hi".into()).holds(&text));
        assert!(!Match::Keyword("hi".into()).holds(&click));
        assert!(Match::Regex(Regex::new("^ h").unwrap()).holds(&text));
        assert!(Match::click("K").holds(&click));
        assert!(!Match::click("L").holds(&click));
        assert!(Match::EventKey("K".into()).holds(&click));
        assert!(Match::All(vec![]).holds(&text));
        assert!(!Match::AnyOf(vec![]).holds(&text));
        let either = Match::AnyOf(vec![Match::Keyword("no".into()), Match::MsgType("text".into())]);
        assert!(either.holds(&text));
    }
}
