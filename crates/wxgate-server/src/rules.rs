//! Config rules for people who do not write Rust: when a push matches, answer with a fixed reply, or send fixed
//! customer-service messages.
//!
//! A rule is a [`Match`] (every condition it names must hold; a rule with none is a catch-all) and what to answer:
//! a reply of a passive type (`reply = {…}`), or customer-service messages sent in order (`send = [{…}, …]`, any
//! type, optionally as one agent). Text may use `{content}`, `{openid}`, `{event_key}` and `{scene}`. A reply or
//! message may name a local file instead of a media id: it is uploaded as temporary media on first use and its
//! media id reused while it lives. Rules are compiled from the TOML by the config module.

use wxgate_proto::kf::{KfBody, Text};
use wxgate_proto::{Event, Inbound, InboundKind, ReplyBody};

use crate::matcher::Match;

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    when: Match,
    action: Action,
    /// Why the rule never answers this account (it is for the other kind of account), if it does not.
    other_kind: Option<&'static str>,
}

/// What a rule answers.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// A reply of a passive type; with a file, the reply's media id is the file's once uploaded.
    Reply {
        /// The reply (text may hold placeholders).
        reply: ReplyBody,
        /// The file whose media id the reply takes.
        file: Option<MediaFile>,
    },
    /// Customer-service messages, in order.
    Send {
        /// The messages, each with the files to upload into it first.
        items: Vec<SendItem>,
        /// Sent as this agent, when given.
        kf_account: Option<String>,
    },
}

/// One customer-service message of a rule.
#[derive(Debug, Clone)]
pub(crate) struct SendItem {
    /// The message (text may hold placeholders; uploaded media ids are filled in).
    pub(crate) body: KfBody,
    /// Local files to upload, and which id of the message each fills.
    pub(crate) files: Vec<(MediaSlot, MediaFile)>,
}

/// Which media id of a message an uploaded file fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaSlot {
    /// The message's own media (`image`, `voice`, `video`).
    Media,
    /// Its cover or thumbnail (`video`, `music`, `miniprogrampage`).
    Thumb,
}

/// A local media file a rule replies with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// What it is uploaded as.
    pub kind: wxgate_client::MediaType,
    /// Where it is.
    pub path: std::path::PathBuf,
}

impl Rule {
    /// A rule answering with `action` when `when` holds.
    pub(crate) fn new(when: Match, action: Action) -> Rule {
        Rule { when, action, other_kind: None }
    }

    /// The rule is for the other kind of account (`only = …`): it is kept, so a push it matches is logged as
    /// skipped, but it never answers.
    pub(crate) fn for_other_kind(mut self, reason: &'static str) -> Rule {
        self.other_kind = Some(reason);
        self
    }

    /// The local files the rule replies with.
    pub(crate) fn files(&self) -> Vec<&MediaFile> {
        match &self.action {
            Action::Reply { file, .. } => file.iter().collect(),
            Action::Send { items, .. } => items.iter().flat_map(|i| i.files.iter().map(|(_, f)| f)).collect(),
        }
    }

    /// Why the rule never answers this account, if it does not.
    pub(crate) fn other_kind(&self) -> Option<&'static str> {
        self.other_kind
    }

    /// True when the push satisfies every condition.
    pub(crate) fn matches(&self, inbound: &Inbound) -> bool {
        self.when.holds(inbound)
    }

    /// What the rule answers this push, placeholders filled in.
    pub(crate) fn action_for(&self, inbound: &Inbound) -> Action {
        match &self.action {
            Action::Reply { reply, file } => {
                let reply = match reply {
                    ReplyBody::Text { content } => ReplyBody::Text { content: fill(content, inbound) },
                    other => other.clone(),
                };
                Action::Reply { reply, file: file.clone() }
            }
            Action::Send { items, kf_account } => {
                let items = items
                    .iter()
                    .map(|item| match &item.body {
                        KfBody::Text(Text { content }) => {
                            SendItem { body: KfBody::text(fill(content, inbound)), files: item.files.clone() }
                        }
                        _ => item.clone(),
                    })
                    .collect();
                Action::Send { items, kf_account: kf_account.clone() }
            }
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

/// Fills `slot` of a message with an uploaded file's media id.
pub(crate) fn fill_media(body: &mut KfBody, slot: MediaSlot, media_id: String) {
    match (slot, body) {
        (MediaSlot::Media, KfBody::Image(m) | KfBody::Voice(m)) => m.media_id = media_id,
        (MediaSlot::Media, KfBody::Video(v)) => v.media_id = media_id,
        (MediaSlot::Thumb, KfBody::Video(v)) => v.thumb_media_id = Some(media_id),
        (MediaSlot::Thumb, KfBody::Music(m)) => m.thumb_media_id = Some(media_id),
        (MediaSlot::Thumb, KfBody::MiniProgramPage(p)) => p.thumb_media_id = media_id,
        _ => {}
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
        Rule::new(when, Action::Reply { reply: ReplyBody::text(template), file: None })
    }

    fn reply_of(rule: &Rule, inbound: &Inbound) -> ReplyBody {
        match rule.action_for(inbound) {
            Action::Reply { reply, .. } => reply,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keyword_regex_and_template() {
        let r = rule(Match::Keyword("hi".into()), "hello {openid}");
        assert!(r.matches(&text(" hi ")));
        assert!(!r.matches(&text("hi there")));
        assert_eq!(reply_of(&r, &text("hi")), ReplyBody::text("hello o1"));
        let r = rule(Match::Regex(regex::Regex::new("^order (\\d+)$").unwrap()), "echo: {content}");
        assert!(r.matches(&text("order 42")));
        assert_eq!(reply_of(&r, &text("order 42")), ReplyBody::text("echo: order 42"));
        let r = rule(Match::Any, "{a} {openid}{ {content}}");
        assert_eq!(reply_of(&r, &text("x")), ReplyBody::text("{a} o1{ x}"));
    }

    #[test]
    fn messages_to_send_fill_their_text_and_media() {
        let items = vec![SendItem { body: KfBody::text("you said {content}"), files: Vec::new() }];
        let r = Rule::new(Match::Any, Action::Send { items, kf_account: Some("kf@gh".into()) });
        let Action::Send { items, kf_account } = r.action_for(&text("hi")) else { panic!() };
        assert_eq!((items[0].body.clone(), kf_account.as_deref()), (KfBody::text("you said hi"), Some("kf@gh")));
        let mut page = KfBody::MiniProgramPage(wxgate_proto::kf::MiniProgramPage {
            title: "t".into(),
            appid: None,
            pagepath: "p".into(),
            thumb_media_id: String::new(),
        });
        fill_media(&mut page, MediaSlot::Thumb, "m1".into());
        assert!(matches!(page, KfBody::MiniProgramPage(p) if p.thumb_media_id == "m1"));
    }
}
