//! Decoding a passive reply, as the platform does when it judges a developer's answer (used by the simulator
//! and by tests). Decoding does not check limits: call [`Reply::validate`] for that.

use super::{Article, Music, Reply, ReplyBody};
use crate::tree::{self, Fields, Value};
use crate::{Format, ProtoError};

impl Reply {
    /// Decodes a reply body of the given format.
    pub fn decode(body: &[u8], format: Format) -> Result<Reply, ProtoError> {
        Reply::from_fields(&tree::decode(body, format)?)
    }

    /// Builds a reply from decoded fields.
    pub fn from_fields(f: &Fields) -> Result<Reply, ProtoError> {
        let need = |name: &'static str| f.text(name).map(str::to_owned).ok_or(ProtoError::MissingField(name));
        let msg_type = need("MsgType")?;
        let inner = |wrapper: &str| f.map(wrapper).cloned().unwrap_or_default();
        let media_id = |wrapper: &str| inner(wrapper).text("MediaId").unwrap_or_default().to_owned();
        let body = match msg_type.as_str() {
            "text" => ReplyBody::Text { content: f.text("Content").unwrap_or_default().to_owned() },
            "image" => ReplyBody::Image { media_id: media_id("Image") },
            "voice" => ReplyBody::Voice { media_id: media_id("Voice") },
            "video" => {
                let v = inner("Video");
                ReplyBody::Video {
                    media_id: v.text("MediaId").unwrap_or_default().to_owned(),
                    title: v.string("Title"),
                    description: v.string("Description"),
                }
            }
            "music" => {
                let m = inner("Music");
                ReplyBody::Music(Music {
                    title: m.string("Title"),
                    description: m.string("Description"),
                    music_url: m.string("MusicUrl"),
                    hq_music_url: m.string("HQMusicUrl"),
                    thumb_media_id: m.text("ThumbMediaId").unwrap_or_default().to_owned(),
                })
            }
            "news" => {
                let articles: Vec<Article> = f
                    .items("Articles")
                    .into_iter()
                    .filter_map(Value::as_map)
                    .map(|a| Article {
                        title: a.text("Title").unwrap_or_default().to_owned(),
                        description: a.text("Description").unwrap_or_default().to_owned(),
                        pic_url: a.text("PicUrl").unwrap_or_default().to_owned(),
                        url: a.text("Url").unwrap_or_default().to_owned(),
                    })
                    .collect();
                if let Some(count) = f.number::<usize>("ArticleCount")?
                    && count != articles.len()
                {
                    return Err(ProtoError::InvalidReply(format!(
                        "ArticleCount {count} but {} articles",
                        articles.len()
                    )));
                }
                ReplyBody::News { articles }
            }
            "transfer_customer_service" => ReplyBody::TransferCustomerService {
                kf_account: f.map("TransInfo").and_then(|t| t.string("KfAccount")),
            },
            other => {
                return Err(ProtoError::InvalidReply(format!("unknown reply MsgType {other:?}")));
            }
        };
        Ok(Reply {
            to_user: need("ToUserName")?,
            from_user: need("FromUserName")?,
            create_time: f.number("CreateTime")?.unwrap_or(0),
            body,
        })
    }
}
