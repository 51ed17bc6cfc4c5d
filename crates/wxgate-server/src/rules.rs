//! Config rules for people who do not write Rust: when a push matches, answer with a fixed reply.
//!
//! A rule is a [`Match`] (every condition it names must hold; a rule with none is a catch-all) and a reply. Text
//! in the reply may use `{content}`, `{openid}`, `{event_key}` and `{scene}`. A reply may name a local file
//! instead of a media id: it is uploaded as temporary media on first use and its media id reused while it lives.
//! Rules are compiled from the TOML by the config module.

use wxgate_proto::{Event, Inbound, InboundKind, ReplyBody};

use crate::matcher::Match;

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    when: Match,
    reply: ReplyBody,
    file: Option<MediaFile>,
}

/// A local media file a rule replies with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// What it is.
    pub kind: wxgate_client::MediaType,
    /// Where it is.
    pub path: std::path::PathBuf,
}

impl Rule {
    /// A rule answering `reply` when `when` holds; with `file`, the reply's media id is the file's once uploaded.
    pub(crate) fn new(when: Match, reply: ReplyBody, file: Option<MediaFile>) -> Rule {
        Rule { when, reply, file }
    }

    /// True when the push satisfies every condition.
    pub(crate) fn matches(&self, inbound: &Inbound) -> bool {
        self.when.holds(inbound)
    }

    /// The local file whose uploaded media id the reply needs, if any.
    pub(crate) fn file(&self) -> Option<&MediaFile> {
        self.file.as_ref()
    }

    /// The reply for this push, placeholders filled in.
    pub(crate) fn reply_for(&self, inbound: &Inbound) -> ReplyBody {
        match &self.reply {
            ReplyBody::Text { content } => ReplyBody::Text { content: fill(content, inbound) },
            other => other.clone(),
        }
    }
}

/// The reply with an uploaded file's media id filled in.
pub(crate) fn with_media_id(reply: ReplyBody, media_id: String) -> ReplyBody {
    match reply {
        ReplyBody::Image { .. } => ReplyBody::Image { media_id },
        ReplyBody::Voice { .. } => ReplyBody::Voice { media_id },
        ReplyBody::Video { title, description, .. } => ReplyBody::Video { media_id, title, description },
        other => other,
    }
}

/// Fills `{content}`, `{openid}`, `{event_key}` and `{scene}` in one pass; other braces stay as written.
fn fill(template: &str, inbound: &Inbound) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let (value, len) = if after.starts_with("{content}") {
            (inbound.text().unwrap_or_default(), 9)
        } else if after.starts_with("{openid}") {
            (inbound.from_user.as_str(), 8)
        } else if after.starts_with("{event_key}") {
            (inbound.event_key().unwrap_or_default(), 11)
        } else if after.starts_with("{scene}") {
            (scene(inbound), 7)
        } else {
            ("{", 1)
        };
        out.push_str(value);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn scene(inbound: &Inbound) -> &str {
    match &inbound.kind {
        InboundKind::Event(e @ (Event::Subscribe { .. } | Event::Scan { .. })) => e.qr_scene().unwrap_or_default(),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str) -> Inbound {
        let xml = format!(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
             <MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>1</MsgId></xml>"
        );
        Inbound::from_xml(xml.as_bytes()).unwrap()
    }

    fn rule(when: Match, template: &str) -> Rule {
        Rule::new(when, ReplyBody::text(template), None)
    }

    #[test]
    fn keyword_regex_and_template() {
        let r = rule(Match::Keyword("hi".into()), "hello {openid}");
        assert!(r.matches(&text(" hi ")));
        assert!(!r.matches(&text("hi there")));
        assert_eq!(r.reply_for(&text("hi")), ReplyBody::text("hello o1"));
        let r = rule(Match::Regex(regex::Regex::new("^order (\\d+)$").unwrap()), "echo: {content}");
        assert!(r.matches(&text("order 42")));
        assert_eq!(r.reply_for(&text("order 42")), ReplyBody::text("echo: order 42"));
        let r = rule(Match::Any, "{a} {openid}{ {content}}");
        assert_eq!(r.reply_for(&text("x")), ReplyBody::text("{a} o1{ x}"));
    }
}
