//! From a passive reply to one customer-service message: an answer that missed WeChat's 5-second deadline goes
//! out later through the customer-service API instead.
//!
//! The two APIs differ in what one message may carry, so this is a conversion of one message only: a reply that
//! would take several messages — text over [`crate::reply::MAX_TEXT_BYTES`], news with several articles
//! (customer-service news carries one) — must be cut into its messages first (the server's answer shaping does
//! that). A `transfer_customer_service` reply has nothing to send, and music without any URL cannot be sent.

use crate::kf::{KfBody, MediaRef, Music, News, NewsArticle, Text, Video};
use crate::reply::{MAX_TEXT_BYTES, ReplyBody};

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The customer-service message that delivers `reply`, or `None` when it is not exactly one message: nothing
/// to send (an empty text, a transfer, music without a URL), or more than one (a text over the limit, several
/// articles).
pub fn kf_body(reply: &ReplyBody) -> Option<KfBody> {
    match reply {
        ReplyBody::Text { content } => {
            let content = content.trim();
            (!content.is_empty() && content.len() <= MAX_TEXT_BYTES)
                .then(|| KfBody::Text(Text { content: content.to_owned() }))
        }
        ReplyBody::Image { media_id } => Some(KfBody::Image(MediaRef { media_id: media_id.clone() })),
        ReplyBody::Voice { media_id } => Some(KfBody::Voice(MediaRef { media_id: media_id.clone() })),
        ReplyBody::Video { media_id, title, description } => Some(KfBody::Video(Video {
            media_id: media_id.clone(),
            thumb_media_id: None,
            title: title.clone(),
            description: description.clone(),
        })),
        ReplyBody::Music(m) => {
            let url = m.music_url.clone().filter(|u| !u.is_empty());
            let hq = m.hq_music_url.clone().filter(|u| !u.is_empty());
            let (musicurl, hqmusicurl) = (url.clone().or_else(|| hq.clone())?, hq.or(url)?);
            Some(KfBody::Music(Music {
                title: m.title.clone(),
                description: m.description.clone(),
                musicurl,
                hqmusicurl,
                thumb_media_id: non_empty(&m.thumb_media_id),
            }))
        }
        ReplyBody::News { articles } => match articles.as_slice() {
            [a] => Some(KfBody::News(News {
                articles: vec![NewsArticle {
                    title: a.title.clone(),
                    description: non_empty(&a.description),
                    url: a.url.clone(),
                    picurl: non_empty(&a.pic_url),
                }],
            })),
            _ => None,
        },
        ReplyBody::TransferCustomerService { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Article;

    #[test]
    fn one_reply_one_message() {
        assert_eq!(kf_body(&ReplyBody::text(" hi ")), Some(KfBody::Text(Text { content: "hi".into() })));
        let long = "一句话。".repeat(200); // 2400 bytes: two messages, not one
        assert_eq!(kf_body(&ReplyBody::text(long)), None);
        let article =
            |t: &str| Article { title: t.into(), description: String::new(), pic_url: String::new(), url: "u".into() };
        assert_eq!(
            kf_body(&ReplyBody::News { articles: vec![article("a")] }),
            Some(KfBody::News(News {
                articles: vec![NewsArticle { title: "a".into(), description: None, url: "u".into(), picurl: None }]
            }))
        );
        assert_eq!(kf_body(&ReplyBody::News { articles: vec![article("a"), article("b")] }), None);
    }

    #[test]
    fn nothing_to_send() {
        assert!(kf_body(&ReplyBody::TransferCustomerService { kf_account: None }).is_none());
        assert!(kf_body(&ReplyBody::text("   ")).is_none());
        let m = crate::reply::Music {
            title: None,
            description: None,
            music_url: None,
            hq_music_url: Some("hq".into()),
            thumb_media_id: "t".into(),
        };
        let Some(KfBody::Music(music)) = kf_body(&ReplyBody::Music(m.clone())) else { panic!() };
        assert_eq!((music.musicurl.as_str(), music.hqmusicurl.as_str()), ("hq", "hq"));
        let none = crate::reply::Music { hq_music_url: None, ..m };
        assert!(kf_body(&ReplyBody::Music(none)).is_none());
    }
}
