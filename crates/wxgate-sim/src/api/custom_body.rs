//! Validation of a customer-service message body per `msgtype` and account kind: the types Official Accounts and
//! Mini Programs may send (发送客服消息) and the rules of each body.

use serde_json::Value;

use crate::account::AccountKind;
use crate::answer::ApiError;
use crate::settings::Settings;
use crate::world::World;

const FORMAT: ApiError = ApiError::new(47001, "data format error");
const BAD_TYPE: ApiError = ApiError::new(40008, "invalid message type");
const BAD_MEDIA: ApiError = ApiError::new(40007, "invalid media_id");

/// Message types an account kind may send.
pub(crate) fn allowed(kind: AccountKind, msg_type: &str) -> bool {
    const OA: &[&str] = &[
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
        "link",
    ];
    match kind {
        AccountKind::MiniProgram => matches!(msg_type, "text" | "image" | "link" | "miniprogrampage"),
        AccountKind::TestAccount => msg_type != "msgmenu" && OA.contains(&msg_type),
        _ => OA.contains(&msg_type),
    }
}

/// The context validation needs.
pub(crate) struct Check<'a> {
    pub world: &'a World,
    pub settings: &'a Settings,
    pub appid: &'a str,
    pub kind: AccountKind,
    pub now_ms: u64,
}

impl Check<'_> {
    /// A live media id of this account whose type is one of `types`.
    fn media(&self, id: Option<&Value>, types: &[&str]) -> Result<(), ApiError> {
        let id = id.and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or(FORMAT)?;
        let ttl = self.settings.media_ttl.as_millis() as u64;
        match self.world.media.get(id) {
            Some(m)
                if m.appid == self.appid
                    && self.now_ms < m.created_ms + ttl
                    && types.contains(&m.media_type.as_str()) =>
            {
                Ok(())
            }
            _ => Err(BAD_MEDIA),
        }
    }

    fn optional_media(&self, id: Option<&Value>, types: &[&str]) -> Result<(), ApiError> {
        match id {
            None => Ok(()),
            Some(_) => self.media(id, types),
        }
    }

    /// Validates `obj` (the value under the msgtype key).
    pub(crate) fn body(&self, msg_type: &str, obj: &Value) -> Result<(), ApiError> {
        let obj = obj.as_object().ok_or(FORMAT)?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        let need = |k: &str| text(k).filter(|s| !s.is_empty()).map(|_| ()).ok_or(FORMAT);
        const THUMB: &[&str] = &["thumb", "image"];
        match msg_type {
            "text" => {
                let content = text("content").ok_or(FORMAT)?;
                if content.is_empty() {
                    return Err(ApiError::new(44004, "empty content"));
                }
                if content.len() > self.settings.text_max_bytes {
                    return Err(ApiError::new(45002, "content size out of limit"));
                }
                Ok(())
            }
            "image" => self.media(obj.get("media_id"), &["image"]),
            "voice" => self.media(obj.get("media_id"), &["voice"]),
            "video" => {
                self.media(obj.get("media_id"), &["video"])?;
                self.optional_media(obj.get("thumb_media_id"), THUMB)
            }
            "music" => {
                need("musicurl").or_else(|_| need("hqmusicurl"))?;
                self.optional_media(obj.get("thumb_media_id"), THUMB)
            }
            "news" => {
                let articles = obj.get("articles").and_then(Value::as_array).ok_or(FORMAT)?;
                if articles.is_empty() {
                    return Err(FORMAT);
                }
                if articles.len() > self.settings.news_max_articles {
                    return Err(ApiError::new(45008, "article size out of limit"));
                }
                if articles.iter().any(|a| a.get("title").and_then(Value::as_str).is_none_or(str::is_empty)) {
                    return Err(FORMAT);
                }
                Ok(())
            }
            "mpnews" => need("media_id"),
            "mpnewsarticle" => need("article_id"),
            "wxcard" => need("card_id"),
            "msgmenu" => {
                let list = obj.get("list").and_then(Value::as_array).ok_or(FORMAT)?;
                let ok = !list.is_empty()
                    && list.iter().all(|i| {
                        i.get("id").and_then(Value::as_str).is_some_and(|s| !s.is_empty())
                            && i.get("content").and_then(Value::as_str).is_some()
                    });
                if ok { Ok(()) } else { Err(FORMAT) }
            }
            "link" => {
                need("title")?;
                need("url")
            }
            "miniprogrampage" => {
                need("title")?;
                need("pagepath")?;
                if !self.kind.is_mini_program() {
                    need("appid")?;
                }
                self.media(obj.get("thumb_media_id"), THUMB)
            }
            _ => Err(BAD_TYPE),
        }
    }
}
