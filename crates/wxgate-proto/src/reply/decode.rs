//! Decoding a passive reply, as the platform does when it judges a developer's answer (used by the simulator
//! and by tests). Decoding does not check limits: call [`Reply::validate`] for that. An optional element that is
//! present but empty decodes to `Some("")`, so `decode(encode(reply)) == reply` for every reply.

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
                    title: opt(&v, "Title"),
                    description: opt(&v, "Description"),
                }
            }
            "music" => {
                let m = inner("Music");
                ReplyBody::Music(Music {
                    title: opt(&m, "Title"),
                    description: opt(&m, "Description"),
                    music_url: opt(&m, "MusicUrl"),
                    hq_music_url: opt(&m, "HQMusicUrl"),
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
                if let Some(count) = f.number::<usize>("ArticleCount")?.filter(|&n| n != articles.len()) {
                    return Err(ProtoError::InvalidReply(format!(
                        "ArticleCount {count} but {} articles",
                        articles.len()
                    )));
                }
                ReplyBody::News { articles }
            }
            "transfer_customer_service" => {
                ReplyBody::TransferCustomerService { kf_account: f.map("TransInfo").and_then(|t| opt(t, "KfAccount")) }
            }
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

/// An optional element: absent → `None`, present (even empty) → its text.
fn opt(f: &Fields, name: &str) -> Option<String> {
    f.text(name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_but_empty_optional_fields_survive_a_round_trip() {
        // Regression: `Some("")` titles, music URLs and KfAccount were encoded as empty elements and decoded as None.
        let bodies = [
            ReplyBody::Video { media_id: "m".into(), title: Some(String::new()), description: None },
            ReplyBody::Music(Music { title: Some(String::new()), thumb_media_id: "t".into(), ..Music::default() }),
            ReplyBody::TransferCustomerService { kf_account: Some(String::new()) },
        ];
        for body in bodies {
            let reply = Reply { to_user: "u".into(), from_user: "gh".into(), create_time: 1, body };
            assert_eq!(Reply::decode(reply.to_xml().as_bytes(), Format::Xml).unwrap(), reply);
            assert_eq!(Reply::decode(reply.to_json().as_bytes(), Format::Json).unwrap(), reply);
        }
    }
}
