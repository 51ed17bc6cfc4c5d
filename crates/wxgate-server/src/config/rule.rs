//! Compiling a `[[accounts.rules]]` table into a [`Rule`]: its conditions into one [`Match`], its reply (or the
//! messages it sends) checked against the platform's limits and against what the account may send, its files
//! checked to exist.

use regex::Regex;
use wxgate_client::MediaType;
use wxgate_proto::ReplyBody;
use wxgate_proto::kf::{
    KfBody, Link, MediaRef, MenuItem, MiniProgramPage, MpNewsArticle, MsgMenu, Music, News, NewsArticle, Text, Video,
    WxCard,
};

use super::raw::{RuleConfig, SendConfig};
use crate::account::AccountKind;
use crate::matcher::Match;
use crate::rules::{Action, MediaFile, MediaSlot, Rule, SendItem};

/// A rule's mistake: (field, reason, fix).
pub(crate) type CompileError = (String, String, String);

fn error(field: impl Into<String>, reason: impl Into<String>, fix: impl Into<String>) -> CompileError {
    (field.into(), reason.into(), fix.into())
}

/// Compiles a rule of an account of `kind`. A rule `only` for the other kind is checked as for that kind and
/// kept, skipped.
pub(crate) fn compile(c: &RuleConfig, kind: AccountKind) -> Result<Rule, CompileError> {
    match c.only {
        Some(only) if only != kind => {
            let reason = match only {
                AccountKind::OfficialAccount => "for Official Accounts only",
                AccountKind::MiniProgram => "for Mini Programs only",
            };
            Ok(compile_for(c, only)?.for_other_kind(reason))
        }
        _ => compile_for(c, kind),
    }
}

fn compile_for(c: &RuleConfig, kind: AccountKind) -> Result<Rule, CompileError> {
    let action = if c.send.is_empty() {
        reply(c, kind)?
    } else {
        if c.reply.is_some() || c.image.is_some() || c.voice.is_some() || c.video.is_some() {
            return Err(error("send", "given with another reply", "keep one of reply, image, voice, video, send"));
        }
        let items = c.send.iter().enumerate().map(|(k, m)| send_item(m, kind, k)).collect::<Result<_, _>>()?;
        Action::Send { items, kf_account: c.kf_account.clone() }
    };
    if c.kf_account.is_some() && c.send.is_empty() {
        return Err(error("kf_account", "without send", "use it with send = [ … ] (a passive reply has no agent)"));
    }
    Ok(Rule::new(conditions(c)?, action))
}

/// The passive-type reply of `reply` / `image` / `voice` / `video`.
fn reply(c: &RuleConfig, kind: AccountKind) -> Result<Action, CompileError> {
    let file = media_file(c)?;
    let reply = match (&file, c.reply.clone()) {
        (Some(f), _) => match f.kind {
            MediaType::Voice => ReplyBody::Voice { media_id: "(uploaded)".into() },
            MediaType::Video => ReplyBody::Video { media_id: "(uploaded)".into(), title: None, description: None },
            _ => ReplyBody::Image { media_id: "(uploaded)".into() },
        },
        (None, Some(reply)) => reply,
        (None, None) => {
            return Err(error(
                "reply",
                "missing",
                "add reply = { type = \"text\", content = \"…\" } (or image = \"path/to/file.png\", or send = [ … ])",
            ));
        }
    };
    // Placeholders make the final length unknown; check the template with them in place.
    reply
        .validate(wxgate_proto::reply::MAX_NEWS_ARTICLES)
        .map_err(|e| error("reply", e.to_string(), "see the reply types in the README config reference"))?;
    if kind.is_mini_program() {
        let sendable = match &reply {
            ReplyBody::Text { .. } | ReplyBody::Image { .. } | ReplyBody::TransferCustomerService { .. } => true,
            ReplyBody::News { articles } => articles.len() == 1,
            _ => false,
        };
        if !sendable {
            let field = if file.is_some() { f_name(&reply) } else { "reply".to_owned() };
            return Err(error(
                field,
                format!("a Mini Program cannot send a {} reply", describe(&reply)),
                "give a Mini Program text, image, news with one article (sent as a link) or \
                 transfer_customer_service, or send = [ … ] with text, image, link or miniprogrampage",
            ));
        }
    }
    Ok(Action::Reply { reply, file })
}

fn f_name(reply: &ReplyBody) -> String {
    reply.msg_type().to_owned()
}

fn describe(reply: &ReplyBody) -> String {
    match reply {
        ReplyBody::News { articles } => format!("news ({} articles)", articles.len()),
        other => other.msg_type().to_owned(),
    }
}

/// The rule's local file, if it names one (and only one, and no `reply` besides).
fn media_file(c: &RuleConfig) -> Result<Option<MediaFile>, CompileError> {
    let files = [
        ("image", &c.image, MediaType::Image),
        ("voice", &c.voice, MediaType::Voice),
        ("video", &c.video, MediaType::Video),
    ];
    let mut found = None;
    for (field, path, kind) in files {
        let Some(path) = path else { continue };
        if found.is_some() || c.reply.is_some() {
            return Err(error(field, "given with another reply", "keep one of reply, image, voice, video"));
        }
        found = Some(existing(field, path, kind)?);
    }
    Ok(found)
}

/// A file that exists, as a media file of `kind`.
fn existing(field: &str, path: &str, kind: MediaType) -> Result<MediaFile, CompileError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        error(
            field,
            format!("cannot read {path:?}: {e}"),
            "give the path of an existing file (relative to the working directory)",
        )
    })?;
    if !meta.is_file() {
        return Err(error(field, format!("{path:?} is not a file"), "give the path of a file"));
    }
    Ok(MediaFile { kind, path: path.into() })
}

/// Message `k` of `send`.
fn send_item(m: &SendConfig, kind: AccountKind, k: usize) -> Result<SendItem, CompileError> {
    let at = |field: &str| format!("send[{k}].{field}");
    let mut files = Vec::new();
    // A media id or a file (uploaded as `as_type`), exactly one of the two.
    let mut media =
        |id: &Option<String>, file: &Option<String>, slot, as_type, id_key: &str, file_key: &str| match (id, file) {
            (Some(id), None) => Ok(id.clone()),
            (None, Some(path)) => {
                files.push((slot, existing(&at(file_key), path, as_type)?));
                Ok(String::new())
            }
            (Some(_), Some(_)) => {
                Err(error(at(file_key), format!("given with {id_key}"), format!("keep {id_key} or {file_key}")))
            }
            (None, None) => {
                Err(error(at(id_key), "missing", format!("give {id_key} = \"…\" or {file_key} = \"path\"")))
            }
        };
    let body = match m {
        SendConfig::Text { content } if content.trim().is_empty() => {
            return Err(error(at("content"), "empty", "write the text to send"));
        }
        SendConfig::Text { content } => KfBody::Text(Text { content: content.clone() }),
        SendConfig::Image { media_id, file } => KfBody::Image(MediaRef {
            media_id: media(media_id, file, MediaSlot::Media, MediaType::Image, "media_id", "file")?,
        }),
        SendConfig::Voice { media_id, file } => KfBody::Voice(MediaRef {
            media_id: media(media_id, file, MediaSlot::Media, MediaType::Voice, "media_id", "file")?,
        }),
        SendConfig::Video { media_id, file, thumb_media_id, thumb_file, title, description } => {
            let media_id = media(media_id, file, MediaSlot::Media, MediaType::Video, "media_id", "file")?;
            let thumb_media_id = match (thumb_media_id, thumb_file) {
                (None, None) => None,
                (id, file) => {
                    Some(media(id, file, MediaSlot::Thumb, MediaType::Thumb, "thumb_media_id", "thumb_file")?)
                }
            };
            KfBody::Video(Video { media_id, thumb_media_id, title: title.clone(), description: description.clone() })
        }
        SendConfig::Music { title, description, music_url, hq_music_url, thumb_media_id, thumb_file } => {
            let thumb_media_id = match (thumb_media_id, thumb_file) {
                (None, None) => None,
                (id, file) => {
                    Some(media(id, file, MediaSlot::Thumb, MediaType::Thumb, "thumb_media_id", "thumb_file")?)
                }
            };
            KfBody::Music(Music {
                title: title.clone(),
                description: description.clone(),
                musicurl: music_url.clone(),
                hqmusicurl: hq_music_url.clone().unwrap_or_else(|| music_url.clone()),
                thumb_media_id,
            })
        }
        SendConfig::News { title, description, url, pic_url } => KfBody::News(News {
            articles: vec![NewsArticle {
                title: title.clone(),
                description: description.clone(),
                url: url.clone(),
                picurl: pic_url.clone(),
            }],
        }),
        SendConfig::Link { title, description, url, thumb_url } => KfBody::Link(Link {
            title: title.clone(),
            description: description.clone(),
            url: url.clone(),
            thumb_url: thumb_url.clone(),
        }),
        SendConfig::MiniProgramPage { title, appid, pagepath, thumb_media_id, thumb_file } => {
            match (kind, appid) {
                (AccountKind::MiniProgram, Some(_)) => {
                    return Err(error(
                        at("appid"),
                        "given for a Mini Program",
                        "drop appid: the card opens this Mini Program",
                    ));
                }
                (AccountKind::OfficialAccount, None) => {
                    return Err(error(
                        at("appid"),
                        "missing",
                        "give the appid of the Mini Program linked to this account",
                    ));
                }
                _ => {}
            }
            let thumb =
                media(thumb_media_id, thumb_file, MediaSlot::Thumb, MediaType::Image, "thumb_media_id", "thumb_file")?;
            KfBody::MiniProgramPage(MiniProgramPage {
                title: title.clone(),
                appid: appid.clone(),
                pagepath: pagepath.clone(),
                thumb_media_id: thumb,
            })
        }
        SendConfig::MsgMenu { head_content, list, tail_content } => KfBody::MsgMenu(MsgMenu {
            head_content: head_content.clone(),
            list: list.iter().map(|i| MenuItem { id: i.id.clone(), content: i.content.clone() }).collect(),
            tail_content: tail_content.clone(),
        }),
        SendConfig::WxCard { card_id } => KfBody::WxCard(WxCard { card_id: card_id.clone(), card_ext: None }),
        SendConfig::MpNews { media_id } => KfBody::MpNews(MediaRef { media_id: media_id.clone() }),
        SendConfig::MpNewsArticle { article_id } => {
            KfBody::MpNewsArticle(MpNewsArticle { article_id: article_id.clone() })
        }
    };
    if kind.is_mini_program()
        && !matches!(body, KfBody::Text(_) | KfBody::Image(_) | KfBody::Link(_) | KfBody::MiniProgramPage(_))
    {
        return Err(error(
            at("type"),
            format!("a Mini Program cannot send {}", body.msg_type()),
            "a Mini Program sends text, image, link or miniprogrampage",
        ));
    }
    Ok(SendItem { body, files })
}

/// Every condition the rule names, as one [`Match`].
fn conditions(c: &RuleConfig) -> Result<Match, CompileError> {
    let regex = c
        .regex
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| error("regex", e.to_string(), "write a valid regular expression (Rust regex syntax)"))?;
    let keywords: Vec<Match> =
        c.keywords.iter().chain(c.keyword.iter()).map(|k| Match::Keyword(k.trim().to_owned())).collect();
    let (mut event, mut event_key) = (c.event.clone(), c.event_key.clone());
    if let Some(key) = &c.menu_click {
        if event.as_deref().is_some_and(|e| e != "CLICK") {
            return Err(error("menu_click", "conflicts with event", "use either menu_click or event"));
        }
        event = Some("CLICK".into());
        event_key = Some(key.clone());
    }
    let msg_type = match (&c.msg_type, &event) {
        (Some(t), Some(_)) if t != "event" => {
            return Err(error("msg_type", format!("{t:?} with an event condition"), "drop msg_type"));
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

    const OA: AccountKind = AccountKind::OfficialAccount;
    const MP: AccountKind = AccountKind::MiniProgram;

    fn rule(toml_text: &str) -> RuleConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn errors_name_the_field() {
        let bad = rule("regex = \"(\"\nreply = { type = \"text\", content = \"x\" }");
        assert_eq!(compile(&bad, OA).unwrap_err().0, "regex");
        let empty = rule("keyword = \"a\"\nreply = { type = \"text\", content = \"\" }");
        assert_eq!(compile(&empty, OA).unwrap_err().0, "reply");
    }

    #[test]
    fn conditions_all_hold() {
        let text = |t: &str| {
            let xml = format!(
                "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>\
                 <MsgType>text</MsgType><Content>{t}</Content><MsgId>1</MsgId></xml>"
            );
            wxgate_proto::Inbound::from_xml(xml.as_bytes()).unwrap()
        };
        let r =
            compile(&rule("keywords = [\"a\", \" b \"]\nreply = { type = \"text\", content = \"x\" }"), OA).unwrap();
        assert!(r.matches(&text("b")) && r.matches(&text("a")) && !r.matches(&text("c")));
        let click = compile(&rule("menu_click = \"K\"\nreply = { type = \"text\", content = \"x\" }"), OA).unwrap();
        assert!(!click.matches(&text("K")), "a menu click is an event, not a text");
    }

    #[test]
    fn a_mini_program_is_refused_what_it_cannot_send() {
        let voice = rule("keyword = \"v\"\nreply = { type = \"voice\", media_id = \"m\" }");
        assert!(compile(&voice, OA).is_ok());
        let (field, reason, fix) = compile(&voice, MP).unwrap_err();
        assert_eq!(field, "reply");
        assert!(reason.contains("voice") && fix.contains("send"), "{reason} / {fix}");
        let music = rule(
            "keyword = \"m\"\nsend = [{ type = \"text\", content = \"a\" }, { type = \"music\", music_url = \"u\" }]",
        );
        assert_eq!(compile(&music, MP).unwrap_err().0, "send[1].type");
        let page = rule(
            "keyword = \"p\"\nsend = [{ type = \"miniprogrampage\", title = \"t\", appid = \"wx1\", pagepath = \"p\", thumb_media_id = \"m\" }]",
        );
        assert_eq!(compile(&page, MP).unwrap_err().0, "send[0].appid");
        assert!(compile(&page, OA).is_ok(), "an Official Account names the Mini Program it links to");
        let one = rule("keyword = \"n\"\nreply = { type = \"news\", articles = [{ title = \"t\", url = \"u\" }] }");
        assert!(compile(&one, MP).is_ok(), "one article goes as a link");
        let only_oa =
            rule("keyword = \"v\"\nonly = \"official_account\"\nreply = { type = \"voice\", media_id = \"m\" }");
        let skipped = compile(&only_oa, MP).expect("kept for a Mini Program, skipped");
        assert_eq!(skipped.other_kind(), Some("for Official Accounts only"));
        assert_eq!(compile(&only_oa, OA).unwrap().other_kind(), None);
    }

    #[test]
    fn send_lists_messages_with_media_ids_or_files() {
        let r = rule(
            "keyword = \"s\"\nkf_account = \"kf@gh\"\nsend = [{ type = \"text\", content = \"a\" }, \
             { type = \"link\", title = \"t\", url = \"https://example.com\" }, { type = \"image\", media_id = \"m\" }]",
        );
        assert!(compile(&r, OA).is_ok());
        let both = rule("keyword = \"s\"\nsend = [{ type = \"image\", media_id = \"m\", file = \"x.png\" }]");
        assert_eq!(compile(&both, OA).unwrap_err().0, "send[0].file");
        let none = rule("keyword = \"s\"\nsend = [{ type = \"image\" }]");
        assert_eq!(compile(&none, OA).unwrap_err().0, "send[0].media_id");
        let missing = rule("keyword = \"s\"\nsend = [{ type = \"image\", file = \"/no/such/file.png\" }]");
        assert_eq!(compile(&missing, OA).unwrap_err().0, "send[0].file");
        let unknown: Result<RuleConfig, _> = toml::from_str("send = [{ type = \"hologram\" }]");
        assert!(unknown.is_err(), "an unknown message type is a config error");
    }
}
