//! Every customer-service message type, sent over real HTTP to the simulator, arrives with exactly the JSON body
//! WeChat documents for it (发送客服消息, Official Account and Mini Program types; compared as received, key order
//! included); plus `customservice.kf_account` and the typing commands.

mod common;

use bytes::Bytes;
use common::*;
use wxgate_client::MediaType;
use wxgate_proto::kf::*;
use wxgate_sim::{Interaction, Item};

async fn upload(c: &wxgate_client::Client, t: MediaType, name: &str, bytes: Vec<u8>) -> String {
    c.upload_media(t, name, Bytes::from(bytes), None).await.unwrap().media_id
}

#[tokio::test]
async fn every_official_account_type_has_its_exact_body() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oUserOpenId0000000000000001";
    user(&sim, APPID, u);
    let img = upload(&c, MediaType::Image, "a.jpg", jpeg(1)).await;
    let voice = upload(&c, MediaType::Voice, "v.amr", amr()).await;
    let video = upload(&c, MediaType::Video, "v.mp4", mp4()).await;
    let thumb = upload(&c, MediaType::Thumb, "t.jpg", jpeg(2)).await;
    let link = miniprogram_link("打开小程序", "http://www.qq.com", "wxmp", "pages/index/index");

    let cases: Vec<(KfMessage, String)> = vec![
        (
            KfMessage::new(u, KfBody::text("你好 world")),
            format!(r#"{{"touser":"{u}","msgtype":"text","text":{{"content":"你好 world"}}}}"#),
        ),
        (
            KfMessage::new(u, KfBody::text(link.clone())),
            format!(
                r#"{{"touser":"{u}","msgtype":"text","text":{{"content":"<a href=\"http://www.qq.com\" data-miniprogram-appid=\"wxmp\" data-miniprogram-path=\"pages/index/index\">打开小程序</a>"}}}}"#
            ),
        ),
        (
            KfMessage::new(u, KfBody::Image(MediaRef { media_id: img.clone() })),
            format!(r#"{{"touser":"{u}","msgtype":"image","image":{{"media_id":"{img}"}}}}"#),
        ),
        (
            KfMessage::new(u, KfBody::Voice(MediaRef { media_id: voice.clone() })),
            format!(r#"{{"touser":"{u}","msgtype":"voice","voice":{{"media_id":"{voice}"}}}}"#),
        ),
        (
            KfMessage::new(
                u,
                KfBody::Video(Video {
                    media_id: video.clone(),
                    thumb_media_id: Some(thumb.clone()),
                    title: Some("标题".into()),
                    description: Some("描述".into()),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"video","video":{{"media_id":"{video}","thumb_media_id":"{thumb}","title":"标题","description":"描述"}}}}"#
            ),
        ),
        (
            KfMessage::new(
                u,
                KfBody::Music(Music {
                    title: Some("歌".into()),
                    description: Some("d".into()),
                    musicurl: "http://m/a.mp3".into(),
                    hqmusicurl: "http://m/hq.mp3".into(),
                    thumb_media_id: Some(thumb.clone()),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"music","music":{{"title":"歌","description":"d","musicurl":"http://m/a.mp3","hqmusicurl":"http://m/hq.mp3","thumb_media_id":"{thumb}"}}}}"#
            ),
        ),
        (
            KfMessage::new(
                u,
                KfBody::News(News {
                    articles: vec![NewsArticle {
                        title: "Happy Day".into(),
                        description: Some("Is Really A Happy Day".into()),
                        url: "http://example.com/a".into(),
                        picurl: Some("http://example.com/p.jpg".into()),
                    }],
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"news","news":{{"articles":[{{"title":"Happy Day","description":"Is Really A Happy Day","url":"http://example.com/a","picurl":"http://example.com/p.jpg"}}]}}}}"#
            ),
        ),
        (
            KfMessage::new(u, KfBody::MpNews(MediaRef { media_id: "PERMANENT_MEDIA_ID".into() })),
            format!(r#"{{"touser":"{u}","msgtype":"mpnews","mpnews":{{"media_id":"PERMANENT_MEDIA_ID"}}}}"#),
        ),
        (
            KfMessage::new(u, KfBody::MpNewsArticle(MpNewsArticle { article_id: "ARTICLE_ID".into() })),
            format!(r#"{{"touser":"{u}","msgtype":"mpnewsarticle","mpnewsarticle":{{"article_id":"ARTICLE_ID"}}}}"#),
        ),
        (
            KfMessage::new(
                u,
                KfBody::MsgMenu(MsgMenu {
                    head_content: Some("您对本次服务是否满意？".into()),
                    list: vec![
                        MenuItem { id: "101".into(), content: "满意".into() },
                        MenuItem { id: "102".into(), content: "不满意".into() },
                    ],
                    tail_content: Some("欢迎再次光临".into()),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"msgmenu","msgmenu":{{"head_content":"您对本次服务是否满意？","list":[{{"id":"101","content":"满意"}},{{"id":"102","content":"不满意"}}],"tail_content":"欢迎再次光临"}}}}"#
            ),
        ),
        (
            KfMessage::new(u, KfBody::WxCard(WxCard { card_id: "123dsdajkasd231jhksad".into(), card_ext: None })),
            format!(r#"{{"touser":"{u}","msgtype":"wxcard","wxcard":{{"card_id":"123dsdajkasd231jhksad"}}}}"#),
        ),
        (
            KfMessage::new(
                u,
                KfBody::MiniProgramPage(MiniProgramPage {
                    title: "title".into(),
                    appid: Some("wxmpappid".into()),
                    pagepath: "pages/index/index?foo=bar".into(),
                    thumb_media_id: thumb.clone(),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"miniprogrampage","miniprogrampage":{{"title":"title","appid":"wxmpappid","pagepath":"pages/index/index?foo=bar","thumb_media_id":"{thumb}"}}}}"#
            ),
        ),
        (
            KfMessage::new(
                u,
                KfBody::Link(Link {
                    title: "Happy Day".into(),
                    description: "Is Really A Happy Day".into(),
                    url: "http://example.com".into(),
                    thumb_url: "http://example.com/t.jpg".into(),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"link","link":{{"title":"Happy Day","description":"Is Really A Happy Day","url":"http://example.com","thumb_url":"http://example.com/t.jpg"}}}}"#
            ),
        ),
        (
            KfMessage::new(u, KfBody::text("来自客服")).as_agent("alice@gh_0123456789ab"),
            format!(
                r#"{{"touser":"{u}","msgtype":"text","text":{{"content":"来自客服"}},"customservice":{{"kf_account":"alice@gh_0123456789ab"}}}}"#
            ),
        ),
    ];
    let n = cases.len();
    for (msg, expected) in &cases {
        // Each interaction allows 5 messages; interact before each send so the quota never interferes.
        sim.record_interaction(APPID, u, Interaction::Message).unwrap();
        c.send(msg).await.unwrap_or_else(|e| panic!("{} failed: {e}", msg.body.msg_type()));
        let got = received_bodies(&sim, APPID, u);
        assert_eq!(got.last().unwrap(), expected, "{}", msg.body.msg_type());
    }
    assert_eq!(received_bodies(&sim, APPID, u).len(), n);
    assert_eq!(sim.counters().custom_sent as usize, n);
}

#[tokio::test]
async fn mini_program_types_have_their_exact_bodies() {
    let sim = sim().await;
    let c = client_with(&sim, config(&sim, MP_APPID, "mp-secret"), None);
    let u = "oMiniProgramUser000000000001";
    user(&sim, MP_APPID, u);
    let thumb = upload(&c, MediaType::Image, "cover.jpg", jpeg(3)).await;
    let cases = vec![
        (
            KfMessage::new(
                u,
                KfBody::MiniProgramPage(MiniProgramPage {
                    title: "卡片".into(),
                    appid: None,
                    pagepath: "pages/a/a".into(),
                    thumb_media_id: thumb.clone(),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"miniprogrampage","miniprogrampage":{{"title":"卡片","pagepath":"pages/a/a","thumb_media_id":"{thumb}"}}}}"#
            ),
        ),
        (
            KfMessage::new(
                u,
                KfBody::Link(Link {
                    title: "t".into(),
                    description: "d".into(),
                    url: "https://e.com".into(),
                    thumb_url: "https://e.com/t.png".into(),
                }),
            ),
            format!(
                r#"{{"touser":"{u}","msgtype":"link","link":{{"title":"t","description":"d","url":"https://e.com","thumb_url":"https://e.com/t.png"}}}}"#
            ),
        ),
        (
            KfMessage::new(u, KfBody::Image(MediaRef { media_id: thumb.clone() })),
            format!(r#"{{"touser":"{u}","msgtype":"image","image":{{"media_id":"{thumb}"}}}}"#),
        ),
    ];
    for (msg, expected) in &cases {
        c.send(msg).await.unwrap();
        assert_eq!(received_bodies(&sim, MP_APPID, u).last().unwrap(), expected);
    }
    // A Mini Program cannot send voice: the platform's 40008 comes back typed.
    let err = c.send(&KfMessage::new(u, KfBody::Voice(MediaRef { media_id: thumb }))).await.unwrap_err();
    assert_eq!(err.errcode(), Some(wxgate_client::ErrCode::InvalidMessageType));
}

#[tokio::test]
async fn typing_and_cancel_reach_the_user() {
    let sim = sim().await;
    let c = client(&sim, None);
    let u = "oTypingUser00000000000000001";
    user(&sim, APPID, u);
    c.typing(u, TypingCommand::Typing).await.unwrap();
    let again = c.typing(u, TypingCommand::Typing).await.unwrap_err();
    assert_eq!(again.errcode(), Some(wxgate_client::ErrCode::TypingAlreadyActive));
    c.typing(u, TypingCommand::CancelTyping).await.unwrap();
    let shown: Vec<bool> = sim
        .transcript(APPID, u)
        .into_iter()
        .filter_map(|e| match e.item {
            Item::Typing { on } => Some(on),
            _ => None,
        })
        .collect();
    assert_eq!(shown, vec![true, false]);
}
