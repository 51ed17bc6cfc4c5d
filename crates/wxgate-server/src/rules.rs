//! Config-driven rules for people who do not write Rust: match a push, answer with a passive reply.
//!
//! A rule holds when every condition it names holds (a rule with none matches everything, a catch-all). Text in
//! the reply may use `{content}`, `{openid}`, `{event_key}` and `{scene}`.

use regex::Regex;
use wxgate_proto::{Event, Inbound, InboundKind, ReplyBody};

use crate::config::RuleConfig;

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    msg_type: Option<String>,
    keywords: Vec<String>,
    regex: Option<Regex>,
    event: Option<String>,
    event_key: Option<String>,
    reply: ReplyBody,
    /// A local file to upload for the reply's media id.
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

type CompileError = (&'static str, String, String);

impl Rule {
    /// Compiles a rule; the error is (field, reason, fix).
    pub fn compile(c: &RuleConfig) -> Result<Rule, CompileError> {
        use wxgate_client::MediaType;
        let files = [
            ("image", &c.image, MediaType::Image),
            ("voice", &c.voice, MediaType::Voice),
            ("video", &c.video, MediaType::Video),
        ];
        let mut file = None;
        for (field, path, kind) in files {
            let Some(path) = path else { continue };
            if file.is_some() || c.reply.is_some() {
                return Err((
                    field,
                    "given with another reply".into(),
                    "keep one of reply, image, voice, video".into(),
                ));
            }
            let meta = std::fs::metadata(path).map_err(|e| {
                (
                    field,
                    format!("cannot read {path:?}: {e}"),
                    "give the path of an existing file (relative to the working directory)".to_owned(),
                )
            })?;
            if !meta.is_file() {
                return Err((field, format!("{path:?} is not a file"), "give the path of a file".into()));
            }
            file = Some(MediaFile { kind, path: path.into() });
        }
        let reply = match (&file, c.reply.clone()) {
            (Some(f), _) => match f.kind {
                MediaType::Voice => ReplyBody::Voice { media_id: "(uploaded)".into() },
                MediaType::Video => ReplyBody::Video { media_id: "(uploaded)".into(), title: None, description: None },
                _ => ReplyBody::Image { media_id: "(uploaded)".into() },
            },
            (None, Some(reply)) => reply,
            (None, None) => {
                return Err((
                    "reply",
                    "missing".to_owned(),
                    "add reply = { type = \"text\", content = \"…\" } (or image = \"path/to/file.png\")".to_owned(),
                ));
            }
        };
        // Placeholders make the final length unknown; check the template with them in place.
        reply
            .validate(wxgate_proto::reply::MAX_NEWS_ARTICLES)
            .map_err(|e| ("reply", e.to_string(), "see the reply types in the README config reference".to_owned()))?;
        let regex =
            c.regex.as_deref().map(Regex::new).transpose().map_err(|e| {
                ("regex", e.to_string(), "write a valid regular expression (Rust regex syntax)".to_owned())
            })?;
        let mut keywords: Vec<String> = c.keywords.iter().map(|k| k.trim().to_owned()).collect();
        keywords.extend(c.keyword.iter().map(|k| k.trim().to_owned()));
        let (mut event, mut event_key) = (c.event.clone(), c.event_key.clone());
        if let Some(key) = &c.menu_click {
            if event.as_deref().is_some_and(|e| e != "CLICK") {
                return Err(("menu_click", "conflicts with event".into(), "use either menu_click or event".into()));
            }
            event = Some("CLICK".into());
            event_key = Some(key.clone());
        }
        let msg_type = match (&c.msg_type, &event) {
            (Some(t), Some(_)) if t != "event" => {
                return Err(("msg_type", format!("{t:?} with an event condition"), "drop msg_type".into()));
            }
            (None, Some(_)) => Some("event".to_owned()),
            (t, _) => t.clone(),
        };
        Ok(Rule { msg_type, keywords, regex, event, event_key, reply, file })
    }

    /// True when the push satisfies every condition.
    pub fn matches(&self, inbound: &Inbound) -> bool {
        if self.msg_type.as_deref().is_some_and(|t| t != inbound.msg_type) {
            return false;
        }
        if !self.keywords.is_empty() || self.regex.is_some() {
            let Some(text) = inbound.text() else { return false };
            if !self.keywords.is_empty() && !self.keywords.iter().any(|k| k == text.trim()) {
                return false;
            }
            if self.regex.as_ref().is_some_and(|r| !r.is_match(text)) {
                return false;
            }
        }
        if self.event.as_deref().is_some_and(|e| Some(e) != inbound.event_name()) {
            return false;
        }
        if self.event_key.as_deref().is_some_and(|k| Some(k) != inbound.event_key()) {
            return false;
        }
        true
    }

    /// The local file whose uploaded media id the reply needs, if any.
    pub fn file(&self) -> Option<&MediaFile> {
        self.file.as_ref()
    }

    /// The reply for this push, placeholders filled in.
    pub fn reply_for(&self, inbound: &Inbound) -> ReplyBody {
        match &self.reply {
            ReplyBody::Text { content } => ReplyBody::Text { content: fill(content, inbound) },
            other => other.clone(),
        }
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

    fn rule(toml_text: &str) -> Rule {
        Rule::compile(&toml::from_str(toml_text).unwrap()).unwrap()
    }

    #[test]
    fn keyword_regex_and_template() {
        let r = rule("keyword = \"hi\"\nreply = { type = \"text\", content = \"hello {openid}\" }");
        assert!(r.matches(&text(" hi ")));
        assert!(!r.matches(&text("hi there")));
        assert_eq!(r.reply_for(&text("hi")), ReplyBody::text("hello o1"));
        let r = rule("regex = \"^order (\\\\d+)$\"\nreply = { type = \"text\", content = \"echo: {content}\" }");
        assert!(r.matches(&text("order 42")));
        assert_eq!(r.reply_for(&text("order 42")), ReplyBody::text("echo: order 42"));
        let r = rule("reply = { type = \"text\", content = \"{a} {openid}{ {content}}\" }");
        assert_eq!(r.reply_for(&text("x")), ReplyBody::text("{a} o1{ x}"));
    }

    #[test]
    fn errors_name_the_field() {
        let bad: RuleConfig = toml::from_str("regex = \"(\"\nreply = { type = \"text\", content = \"x\" }").unwrap();
        assert_eq!(Rule::compile(&bad).unwrap_err().0, "regex");
        let empty: RuleConfig = toml::from_str("keyword = \"a\"\nreply = { type = \"text\", content = \"\" }").unwrap();
        assert_eq!(Rule::compile(&empty).unwrap_err().0, "reply");
    }
}
