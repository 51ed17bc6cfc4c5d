//! Compiling a `[[accounts.rules]]` table into a [`Rule`]: its conditions into one [`Match`], its reply checked
//! against the platform's limits, its file (if any) checked to exist.

use regex::Regex;
use wxgate_client::MediaType;
use wxgate_proto::ReplyBody;

use super::raw::RuleConfig;
use crate::matcher::Match;
use crate::rules::{MediaFile, Rule};

/// A rule's mistake: (field, reason, fix).
pub(crate) type CompileError = (&'static str, String, String);

/// Compiles a rule.
pub(crate) fn compile(c: &RuleConfig) -> Result<Rule, CompileError> {
    let file = media_file(c)?;
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
    Ok(Rule::new(conditions(c)?, reply, file))
}

/// The rule's local file, if it names one (and only one, and no `reply` besides).
fn media_file(c: &RuleConfig) -> Result<Option<MediaFile>, CompileError> {
    let files = [
        ("image", &c.image, MediaType::Image),
        ("voice", &c.voice, MediaType::Voice),
        ("video", &c.video, MediaType::Video),
    ];
    let mut file = None;
    for (field, path, kind) in files {
        let Some(path) = path else { continue };
        if file.is_some() || c.reply.is_some() {
            return Err((field, "given with another reply".into(), "keep one of reply, image, voice, video".into()));
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
    Ok(file)
}

/// Every condition the rule names, as one [`Match`].
fn conditions(c: &RuleConfig) -> Result<Match, CompileError> {
    let regex = c
        .regex
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| ("regex", e.to_string(), "write a valid regular expression (Rust regex syntax)".to_owned()))?;
    let keywords: Vec<Match> =
        c.keywords.iter().chain(c.keyword.iter()).map(|k| Match::Keyword(k.trim().to_owned())).collect();
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
    let mut all = Vec::new();
    all.extend(msg_type.map(Match::MsgType));
    if !keywords.is_empty() {
        all.push(Match::AnyOf(keywords));
    }
    all.extend(regex.map(Match::Regex));
    all.extend(event.map(Match::Event));
    all.extend(event_key.map(Match::EventKey));
    Ok(Match::All(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let bad: RuleConfig = toml::from_str("regex = \"(\"\nreply = { type = \"text\", content = \"x\" }").unwrap();
        assert_eq!(compile(&bad).unwrap_err().0, "regex");
        let empty: RuleConfig = toml::from_str("keyword = \"a\"\nreply = { type = \"text\", content = \"\" }").unwrap();
        assert_eq!(compile(&empty).unwrap_err().0, "reply");
    }

    #[test]
    fn conditions_all_hold() {
        let rule: RuleConfig =
            toml::from_str("keywords = [\"a\", \" b \"]\nreply = { type = \"text\", content = \"x\" }").unwrap();
        let text = |t: &str| {
            let xml = format!(
                "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>\
                 <MsgType>text</MsgType><Content>{t}</Content><MsgId>1</MsgId></xml>"
            );
            wxgate_proto::Inbound::from_xml(xml.as_bytes()).unwrap()
        };
        let rule = compile(&rule).unwrap();
        assert!(rule.matches(&text("b")) && rule.matches(&text("a")) && !rule.matches(&text("c")));
        let click: RuleConfig =
            toml::from_str("menu_click = \"K\"\nreply = { type = \"text\", content = \"x\" }").unwrap();
        assert!(!compile(&click).unwrap().matches(&text("K")), "a menu click is an event, not a text");
    }
}
