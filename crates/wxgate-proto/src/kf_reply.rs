//! From a passive reply to customer-service messages: the answer that missed WeChat's deadline goes out through
//! the customer-service API instead (DESIGN "the path of one message", step 8).
//!
//! The two APIs differ in limits, so one reply can become several messages: text longer than
//! [`crate::reply::MAX_TEXT_BYTES`] is split at the best boundaries ([`crate::text::split_trimmed`]), and news
//! with several articles becomes one message per article (customer-service news carries one article). A
//! `transfer_customer_service` reply has nothing to send, and music without any URL cannot be sent.

use crate::kf::{KfBody, MediaRef, Music, News, NewsArticle, Text, Video};
use crate::reply::{MAX_TEXT_BYTES, ReplyBody};

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The customer-service bodies that deliver `reply`, in order (empty when there is nothing to send).
pub fn kf_bodies(reply: &ReplyBody) -> Vec<KfBody> {
    match reply {
        ReplyBody::Text { content } => crate::text::split_trimmed(content, MAX_TEXT_BYTES)
            .into_iter()
            .map(|part| KfBody::Text(Text { content: part.to_owned() }))
            .collect(),
        ReplyBody::Image { media_id } => vec![KfBody::Image(MediaRef { media_id: media_id.clone() })],
        ReplyBody::Voice { media_id } => vec![KfBody::Voice(MediaRef { media_id: media_id.clone() })],
        ReplyBody::Video { media_id, title, description } => vec![KfBody::Video(Video {
            media_id: media_id.clone(),
            thumb_media_id: None,
            title: title.clone(),
            description: description.clone(),
        })],
        ReplyBody::Music(m) => {
            let url = m.music_url.clone().filter(|u| !u.is_empty());
            let hq = m.hq_music_url.clone().filter(|u| !u.is_empty());
            match (url.clone().or_else(|| hq.clone()), hq.or(url)) {
                (Some(musicurl), Some(hqmusicurl)) => vec![KfBody::Music(Music {
                    title: m.title.clone(),
                    description: m.description.clone(),
                    musicurl,
                    hqmusicurl,
                    thumb_media_id: non_empty(&m.thumb_media_id),
                })],
                _ => Vec::new(),
            }
        }
        ReplyBody::News { articles } => articles
            .iter()
            .map(|a| {
                KfBody::News(News {
                    articles: vec![NewsArticle {
                        title: a.title.clone(),
                        description: non_empty(&a.description),
                        url: a.url.clone(),
                        picurl: non_empty(&a.pic_url),
                    }],
                })
            })
            .collect(),
        ReplyBody::TransferCustomerService { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Article;

    #[test]
    fn long_text_and_several_articles_become_several_messages() {
        let long = "一句话。".repeat(200); // 2400 bytes
        let parts = kf_bodies(&ReplyBody::text(long.clone()));
        assert_eq!(parts.len(), 2);
        let joined: String = parts
            .iter()
            .map(|b| match b {
                KfBody::Text(t) => t.content.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(joined, long);
        let article =
            |t: &str| Article { title: t.into(), description: String::new(), pic_url: String::new(), url: "u".into() };
        let news = kf_bodies(&ReplyBody::News { articles: vec![article("a"), article("b")] });
        assert_eq!(news.len(), 2);
        assert_eq!(
            news[0],
            KfBody::News(News {
                articles: vec![NewsArticle { title: "a".into(), description: None, url: "u".into(), picurl: None }]
            })
        );
    }

    #[test]
    fn nothing_to_send() {
        assert!(kf_bodies(&ReplyBody::TransferCustomerService { kf_account: None }).is_empty());
        assert!(kf_bodies(&ReplyBody::text("   ")).is_empty());
        let m = crate::reply::Music {
            title: None,
            description: None,
            music_url: None,
            hq_music_url: Some("hq".into()),
            thumb_media_id: "t".into(),
        };
        let KfBody::Music(music) = &kf_bodies(&ReplyBody::Music(m.clone()))[0] else { panic!() };
        assert_eq!((music.musicurl.as_str(), music.hqmusicurl.as_str()), ("hq", "hq"));
        let none = crate::reply::Music { hq_music_url: None, ..m };
        assert!(kf_bodies(&ReplyBody::Music(none)).is_empty());
    }
}
