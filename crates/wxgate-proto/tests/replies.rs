//! Passive replies (XML, and the JSON of Cloud Hosting): every reply type against exact golden bodies,
//! decode(encode(r)) == r in both formats, and every limit `validate` enforces.

use wxgate_proto::reply::{MAX_NEWS_ARTICLES, MAX_TEXT_BYTES};
use wxgate_proto::{Article, Format, Inbound, Music, ProtoError, Reply, ReplyBody};

const USER: &str = "oUserOpenId0000000000000001";
const OA: &str = "gh_0123456789ab";

fn reply(create_time: i64, body: ReplyBody) -> Reply {
    Reply { to_user: USER.into(), from_user: OA.into(), create_time, body }
}

/// The XML header every reply starts with.
fn head(create_time: i64, msg_type: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{USER}]]></ToUserName><FromUserName><![CDATA[{OA}]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
    )
}

fn json_head(create_time: i64, msg_type: &str) -> String {
    format!(r#"{{"ToUserName":"{USER}","FromUserName":"{OA}","CreateTime":{create_time},"MsgType":"{msg_type}""#)
}

/// Pretty-printed reply examples, one per type, with the indentation between tags removed.
fn compact(pretty: &str) -> String {
    pretty.lines().map(str::trim).collect()
}

fn article(i: usize) -> Article {
    Article {
        title: format!("第{i}条 & <新闻>"),
        description: format!("描述 {i} ]]> 结束"),
        pic_url: format!("https://example.com/pic/{i}.jpg"),
        url: format!("https://example.com/post/{i}?a=1&b=2"),
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/replies/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every reply of this file with its golden XML and JSON.
fn goldens() -> Vec<(&'static str, Reply, String, String)> {
    let music = Music {
        title: Some("晚安曲".into()),
        description: Some("轻音乐".into()),
        music_url: Some("https://example.com/a.mp3".into()),
        hq_music_url: Some("https://example.com/a-hq.mp3".into()),
        thumb_media_id: "ThumbMedia1".into(),
    };
    vec![
        (
            "text",
            reply(1700000001, ReplyBody::text("订单 42 已发货")),
            compact(
                "<xml>
                  <ToUserName><![CDATA[oUserOpenId0000000000000001]]></ToUserName>
                  <FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>
                  <CreateTime>1700000001</CreateTime>
                  <MsgType><![CDATA[text]]></MsgType>
                  <Content><![CDATA[订单 42 已发货]]></Content>
                </xml>",
            ),
            format!(r#"{},"Content":"订单 42 已发货"}}"#, json_head(1700000001, "text")),
        ),
        (
            "text with ]]> and newlines",
            reply(1700000001, ReplyBody::text("a]]>b\n<a href=\"https://x\">链接</a> & \"q\"")),
            format!(
                "{}<Content><![CDATA[a]]]]><![CDATA[>b\n<a href=\"https://x\">链接</a> & \"q\"]]></Content></xml>",
                head(1700000001, "text")
            ),
            format!(r#"{},"Content":"a]]>b\n<a href=\"https://x\">链接</a> & \"q\""}}"#, json_head(1700000001, "text")),
        ),
        (
            "image",
            reply(1700000001, ReplyBody::Image { media_id: "MEDIA_ID".into() }),
            format!("{}<Image><MediaId><![CDATA[MEDIA_ID]]></MediaId></Image></xml>", head(1700000001, "image")),
            format!(r#"{},"Image":{{"MediaId":"MEDIA_ID"}}}}"#, json_head(1700000001, "image")),
        ),
        (
            "voice",
            reply(1700000001, ReplyBody::Voice { media_id: "MEDIA_ID".into() }),
            format!("{}<Voice><MediaId><![CDATA[MEDIA_ID]]></MediaId></Voice></xml>", head(1700000001, "voice")),
            format!(r#"{},"Voice":{{"MediaId":"MEDIA_ID"}}}}"#, json_head(1700000001, "voice")),
        ),
        (
            "video with title",
            reply(
                1700000001,
                ReplyBody::Video {
                    media_id: "MEDIA_ID".into(),
                    title: Some("标题".into()),
                    description: Some("描述".into()),
                },
            ),
            format!(
                "{}<Video><MediaId><![CDATA[MEDIA_ID]]></MediaId><Title><![CDATA[标题]]></Title>\
                 <Description><![CDATA[描述]]></Description></Video></xml>",
                head(1700000001, "video")
            ),
            format!(
                r#"{},"Video":{{"MediaId":"MEDIA_ID","Title":"标题","Description":"描述"}}}}"#,
                json_head(1700000001, "video")
            ),
        ),
        (
            "video without title",
            reply(1700000001, ReplyBody::Video { media_id: "MEDIA_ID".into(), title: None, description: None }),
            format!("{}<Video><MediaId><![CDATA[MEDIA_ID]]></MediaId></Video></xml>", head(1700000001, "video")),
            format!(r#"{},"Video":{{"MediaId":"MEDIA_ID"}}}}"#, json_head(1700000001, "video")),
        ),
        (
            "music",
            reply(1700000001, ReplyBody::Music(music)),
            format!(
                "{}<Music><Title><![CDATA[晚安曲]]></Title><Description><![CDATA[轻音乐]]></Description>\
                 <MusicUrl><![CDATA[https://example.com/a.mp3]]></MusicUrl>\
                 <HQMusicUrl><![CDATA[https://example.com/a-hq.mp3]]></HQMusicUrl>\
                 <ThumbMediaId><![CDATA[ThumbMedia1]]></ThumbMediaId></Music></xml>",
                head(1700000001, "music")
            ),
            format!(
                r#"{},"Music":{{"Title":"晚安曲","Description":"轻音乐","MusicUrl":"https://example.com/a.mp3","HQMusicUrl":"https://example.com/a-hq.mp3","ThumbMediaId":"ThumbMedia1"}}}}"#,
                json_head(1700000001, "music")
            ),
        ),
        (
            "music with only the thumb",
            reply(1700000001, ReplyBody::Music(Music { thumb_media_id: "ThumbMedia1".into(), ..Music::default() })),
            format!(
                "{}<Music><ThumbMediaId><![CDATA[ThumbMedia1]]></ThumbMediaId></Music></xml>",
                head(1700000001, "music")
            ),
            format!(r#"{},"Music":{{"ThumbMediaId":"ThumbMedia1"}}}}"#, json_head(1700000001, "music")),
        ),
        (
            "news with 1 article",
            reply(
                1700000002,
                ReplyBody::News {
                    articles: vec![Article {
                        title: "本周精选".into(),
                        description: "点击查看详情".into(),
                        pic_url: "https://example.com/cover.jpg".into(),
                        url: "https://example.com/post/1".into(),
                    }],
                },
            ),
            compact(
                "<xml>
                  <ToUserName><![CDATA[oUserOpenId0000000000000001]]></ToUserName>
                  <FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>
                  <CreateTime>1700000002</CreateTime>
                  <MsgType><![CDATA[news]]></MsgType>
                  <ArticleCount>1</ArticleCount>
                  <Articles>
                    <item>
                      <Title><![CDATA[本周精选]]></Title>
                      <Description><![CDATA[点击查看详情]]></Description>
                      <PicUrl><![CDATA[https://example.com/cover.jpg]]></PicUrl>
                      <Url><![CDATA[https://example.com/post/1]]></Url>
                    </item>
                  </Articles>
                </xml>",
            ),
            format!(
                r#"{},"ArticleCount":1,"Articles":[{{"Title":"本周精选","Description":"点击查看详情","PicUrl":"https://example.com/cover.jpg","Url":"https://example.com/post/1"}}]}}"#,
                json_head(1700000002, "news")
            ),
        ),
        (
            "news with 8 articles",
            reply(1700000002, ReplyBody::News { articles: (1..=8).map(article).collect() }),
            fixture("news8.xml"),
            fixture("news8.json"),
        ),
        (
            "transfer to a given agent",
            reply(1700000003, ReplyBody::TransferCustomerService { kf_account: Some("alice@gh_demo".into()) }),
            compact(
                "<xml>
                  <ToUserName><![CDATA[oUserOpenId0000000000000001]]></ToUserName>
                  <FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>
                  <CreateTime>1700000003</CreateTime>
                  <MsgType><![CDATA[transfer_customer_service]]></MsgType>
                  <TransInfo><KfAccount><![CDATA[alice@gh_demo]]></KfAccount></TransInfo>
                </xml>",
            ),
            format!(
                r#"{},"TransInfo":{{"KfAccount":"alice@gh_demo"}}}}"#,
                json_head(1700000003, "transfer_customer_service")
            ),
        ),
        (
            "transfer to any agent",
            reply(1700000003, ReplyBody::TransferCustomerService { kf_account: None }),
            format!("{}</xml>", head(1700000003, "transfer_customer_service")),
            format!("{}}}", json_head(1700000003, "transfer_customer_service")),
        ),
    ]
}

#[test]
fn every_reply_encodes_to_its_golden_xml_and_json() {
    let all = goldens();
    assert_eq!(all.len(), 12);
    for (what, r, xml, json) in all {
        assert_eq!(r.to_xml(), xml, "{what}: XML");
        assert_eq!(r.to_json(), json, "{what}: JSON");
        // The goldens are what a plain XML / JSON reader sees, too.
        serde_json::from_str::<serde_json::Value>(&json).unwrap_or_else(|e| panic!("{what}: {e}"));
        wxgate_proto::tree::from_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

#[test]
fn decode_of_encode_is_identity() {
    for (what, r, xml, json) in goldens() {
        assert_eq!(Reply::decode(r.to_xml().as_bytes(), Format::Xml).unwrap(), r, "{what}: XML");
        assert_eq!(Reply::decode(r.to_json().as_bytes(), Format::Json).unwrap(), r, "{what}: JSON");
        assert_eq!(Reply::decode(xml.as_bytes(), Format::sniff(xml.as_bytes()).unwrap()).unwrap(), r, "{what}");
        assert_eq!(Reply::decode(json.as_bytes(), Format::sniff(json.as_bytes()).unwrap()).unwrap(), r, "{what}");
    }
}

#[test]
fn news_xml_wraps_each_article_in_item_and_json_does_not() {
    let r = reply(1, ReplyBody::News { articles: (1..=3).map(article).collect() });
    let xml = r.to_xml();
    assert_eq!(xml.matches("<item>").count(), 3);
    assert!(xml.contains("<ArticleCount>3</ArticleCount><Articles><item><Title>"));
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["ArticleCount"], 3);
    let articles = json["Articles"].as_array().expect("Articles is a JSON array");
    assert_eq!(articles.len(), 3);
    assert!(articles.iter().all(|a| a.get("item").is_none() && a["Title"].is_string()));
    assert!(!r.to_json().contains("item"));
}

#[test]
fn the_pretty_printed_doc_examples_decode_too() {
    let pretty = "<xml>\n  <ToUserName><![CDATA[oUserOpenId0000000000000001]]></ToUserName>\n  \
                  <FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>\n  <CreateTime>1700000003</CreateTime>\n  \
                  <MsgType><![CDATA[transfer_customer_service]]></MsgType>\n  \
                  <TransInfo>\n    <KfAccount><![CDATA[alice@gh_demo]]></KfAccount>\n  </TransInfo>\n</xml>\n";
    let r = Reply::decode(pretty.as_bytes(), Format::Xml).unwrap();
    assert_eq!(r.body, ReplyBody::TransferCustomerService { kf_account: Some("alice@gh_demo".into()) });
    // The JSON reply example of the Cloud Hosting message-push documentation (微信云托管 消息推送).
    let seed = r#"{"ToUserName":"oUserOpenId0000000000000001","FromUserName":"gh_0123456789ab","CreateTime":1700000001,
 "MsgType":"text","Content":"这是回复的消息"}"#;
    let r = Reply::decode(seed.as_bytes(), Format::Json).unwrap();
    assert_eq!(r, reply(1700000001, ReplyBody::text("这是回复的消息")));
}

#[test]
fn decoding_refuses_inconsistent_replies() {
    let bad_count = format!(
        "{}<ArticleCount>2</ArticleCount><Articles><item><Title><![CDATA[a]]></Title></item></Articles></xml>",
        head(1, "news")
    );
    assert!(matches!(Reply::decode(bad_count.as_bytes(), Format::Xml), Err(ProtoError::InvalidReply(_))));
    let unknown = format!("{}</xml>", head(1, "mpnews"));
    assert!(matches!(Reply::decode(unknown.as_bytes(), Format::Xml), Err(ProtoError::InvalidReply(_))));
    let no_type = r#"{"ToUserName":"u","FromUserName":"gh","CreateTime":1}"#;
    assert_eq!(Reply::decode(no_type.as_bytes(), Format::Json), Err(ProtoError::MissingField("MsgType")));
    let no_to = r#"{"FromUserName":"gh","CreateTime":1,"MsgType":"text","Content":"x"}"#;
    assert_eq!(Reply::decode(no_to.as_bytes(), Format::Json), Err(ProtoError::MissingField("ToUserName")));
}

fn invalid(body: ReplyBody, max_articles: usize) -> String {
    match body.validate(max_articles) {
        Err(ProtoError::InvalidReply(reason)) => reason,
        other => panic!("expected InvalidReply for {body:?}, got {other:?}"),
    }
}

fn inbound(name: &str) -> Inbound {
    let path = format!("{}/tests/fixtures/xml/{name}.xml", env!("CARGO_MANIFEST_DIR"));
    Inbound::from_xml(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn validate_enforces_every_limit() {
    // Text: empty, and the 2048-byte limit counted in UTF-8 bytes.
    assert!(invalid(ReplyBody::text(""), 8).contains("empty"));
    assert_eq!(MAX_TEXT_BYTES, 2048);
    assert!(ReplyBody::text("a".repeat(2048)).validate(1).is_ok());
    assert!(invalid(ReplyBody::text("a".repeat(2049)), 8).contains("2049 bytes"));
    assert!(ReplyBody::text("汉".repeat(682)).validate(1).is_ok()); // 2046 bytes
    assert!(invalid(ReplyBody::text("汉".repeat(683)), 8).contains("2049 bytes"));

    // Media ids.
    assert!(invalid(ReplyBody::Image { media_id: String::new() }, 8).contains("image"));
    assert!(invalid(ReplyBody::Voice { media_id: String::new() }, 8).contains("voice"));
    let video = ReplyBody::Video { media_id: String::new(), title: Some("t".into()), description: None };
    assert!(invalid(video, 8).contains("video"));
    assert!(invalid(ReplyBody::Music(Music { title: Some("t".into()), ..Music::default() }), 8).contains("thumb"));

    // News: none, too many for the push it answers, more than eight, an article without a title.
    let news = |n: usize| ReplyBody::News { articles: (1..=n).map(article).collect() };
    assert!(invalid(news(0), 8).contains("no article"));
    let after_text = Reply::max_articles_for(&inbound("text"));
    let after_event = Reply::max_articles_for(&inbound("event_click"));
    assert_eq!((after_text, after_event, MAX_NEWS_ARTICLES), (1, 8, 8));
    assert!(news(1).validate(after_text).is_ok());
    assert!(invalid(news(2), after_text).contains("at most 1"));
    assert!(news(8).validate(after_event).is_ok());
    assert!(invalid(news(9), after_event).contains("9 articles"));
    let untitled = ReplyBody::News { articles: vec![Article { title: String::new(), ..article(1) }] };
    assert!(invalid(untitled, 8).contains("title"));

    // Reply::validate delegates; Reply::to swaps the names.
    let text = inbound("text");
    let r = Reply::to(&text, 1700000001, news(2));
    assert_eq!((r.to_user.as_str(), r.from_user.as_str()), (text.from_user.as_str(), text.to_user.as_str()));
    assert!(r.validate(Reply::max_articles_for(&text)).is_err());
    for (what, r, _, _) in goldens() {
        assert!(r.validate(MAX_NEWS_ARTICLES).is_ok(), "{what}");
    }
}
