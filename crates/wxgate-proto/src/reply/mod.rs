//! Passive replies (被动回复用户消息): the model, the platform's limits, and the XML / JSON encodings.
//!
//! A reply that breaks a limit (empty text, text over [`MAX_TEXT_BYTES`], too many articles, a music reply without
//! its thumb) is refused by [`Reply::validate`] with a clear error: WeChat would otherwise show the user
//! 「该公众号暂时无法提供服务」.

mod decode;
mod encode;

use serde::{Deserialize, Serialize};

use crate::{Inbound, ProtoError};

/// Largest text content in UTF-8 bytes. WeChat documents no number; 2048 is the limit in common use, for
/// customer-service text as well.
pub const MAX_TEXT_BYTES: usize = 2048;
/// Most articles in a news reply to an event (a reply to one of six message kinds holds only one: see
/// [`Inbound::limits_news_to_one`]).
pub const MAX_NEWS_ARTICLES: usize = 8;

/// A passive reply addressed to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `ToUserName`: the user's openid (the inbound `FromUserName`).
    pub to_user: String,
    /// `FromUserName`: the account's original id (the inbound `ToUserName`).
    pub from_user: String,
    /// `CreateTime`, seconds.
    pub create_time: i64,
    /// What to send.
    pub body: ReplyBody,
}

/// The content of a passive reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplyBody {
    /// `text`.
    Text {
        /// `Content`; newlines and `<a href>` links are rendered.
        content: String,
    },
    /// `image`.
    Image {
        /// `MediaId` of uploaded material.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: String,
    },
    /// `video`.
    Video {
        /// `MediaId`.
        media_id: String,
        /// Optional `Title`.
        #[serde(default)]
        title: Option<String>,
        /// Optional `Description`.
        #[serde(default)]
        description: Option<String>,
    },
    /// `music`.
    Music(Music),
    /// `news`: one or more articles.
    News {
        /// The articles; the first is shown large.
        articles: Vec<Article>,
    },
    /// `transfer_customer_service`: hand the conversation to human agents.
    TransferCustomerService {
        /// A specific agent (`TransInfo/KfAccount`).
        #[serde(default)]
        kf_account: Option<String>,
    },
}

/// A music reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Music {
    /// `Title`.
    #[serde(default)]
    pub title: Option<String>,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `MusicUrl`.
    #[serde(default)]
    pub music_url: Option<String>,
    /// `HQMusicUrl`, preferred on Wi-Fi.
    #[serde(default)]
    pub hq_music_url: Option<String>,
    /// `ThumbMediaId`: required, a `thumb` media id.
    pub thumb_media_id: String,
}

/// One article of a news reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    #[serde(default)]
    pub description: String,
    /// `PicUrl` (JPG/PNG; 360×200 large, 200×200 small).
    #[serde(default)]
    pub pic_url: String,
    /// `Url` opened on tap.
    #[serde(default)]
    pub url: String,
}

impl ReplyBody {
    /// A text body.
    pub fn text(content: impl Into<String>) -> Self {
        ReplyBody::Text { content: content.into() }
    }

    /// The `MsgType` on the wire.
    pub fn msg_type(&self) -> &'static str {
        match self {
            ReplyBody::Text { .. } => "text",
            ReplyBody::Image { .. } => "image",
            ReplyBody::Voice { .. } => "voice",
            ReplyBody::Video { .. } => "video",
            ReplyBody::Music(_) => "music",
            ReplyBody::News { .. } => "news",
            ReplyBody::TransferCustomerService { .. } => "transfer_customer_service",
        }
    }

    /// Checks the platform limits; `max_articles` comes from [`Reply::max_articles_for`].
    pub fn validate(&self, max_articles: usize) -> Result<(), ProtoError> {
        let bad = |m: String| Err(ProtoError::InvalidReply(m));
        match self {
            ReplyBody::Text { content } if content.is_empty() => {
                bad("text reply is empty (answer `success` instead)".into())
            }
            ReplyBody::Text { content } if content.len() > MAX_TEXT_BYTES => bad(format!(
                "text reply is {} bytes, over the {MAX_TEXT_BYTES}-byte limit (split it and send the rest by customer service)",
                content.len()
            )),
            ReplyBody::Image { media_id } | ReplyBody::Voice { media_id } | ReplyBody::Video { media_id, .. }
                if media_id.is_empty() =>
            {
                bad(format!("{} reply needs a media_id", self.msg_type()))
            }
            ReplyBody::Music(m) if m.thumb_media_id.is_empty() => bad("music reply needs thumb_media_id".into()),
            ReplyBody::News { articles } if articles.is_empty() => bad("news reply has no article".into()),
            ReplyBody::News { articles } if articles.len() > max_articles => {
                bad(format!("news reply has {} articles; at most {max_articles} allowed here", articles.len()))
            }
            ReplyBody::News { articles } if articles.iter().any(|a| a.title.is_empty()) => {
                bad("news article without a title".into())
            }
            _ => Ok(()),
        }
    }
}

impl Reply {
    /// A reply to `inbound`: names swapped, `CreateTime` given.
    pub fn to(inbound: &Inbound, create_time: i64, body: ReplyBody) -> Reply {
        Reply { to_user: inbound.from_user.clone(), from_user: inbound.to_user.clone(), create_time, body }
    }

    /// The article limit for a news reply to this push: 1 after the six message kinds, 8 otherwise.
    pub fn max_articles_for(inbound: &Inbound) -> usize {
        if inbound.limits_news_to_one() { 1 } else { MAX_NEWS_ARTICLES }
    }

    /// Checks the body's limits.
    pub fn validate(&self, max_articles: usize) -> Result<(), ProtoError> {
        self.body.validate(max_articles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(ReplyBody::text("").validate(8).is_err());
        assert!(ReplyBody::text("a".repeat(MAX_TEXT_BYTES)).validate(8).is_ok());
        assert!(ReplyBody::text("a".repeat(MAX_TEXT_BYTES + 1)).validate(8).is_err());
        let two = ReplyBody::News { articles: vec![Article { title: "a".into(), ..Default::default() }; 2] };
        assert!(two.validate(1).is_err());
        assert!(two.validate(8).is_ok());
        assert!(ReplyBody::Music(Music::default()).validate(8).is_err());
        assert!(ReplyBody::Image { media_id: String::new() }.validate(8).is_err());
    }
}
