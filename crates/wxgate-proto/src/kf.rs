//! Customer-service message bodies (客服消息, for Official Accounts and Mini Programs) and the typing command
//! (客服输入状态), with their exact wire JSON.
//!
//! The wire shape is `{"touser": …, "msgtype": "<type>", "<type>": {…}, "customservice": {"kf_account": …}}`: the
//! object's key is the msgtype itself, which serde's enum representations cannot express, so [`KfMessage`]
//! serialises by hand (in that key order) and deserialises through a JSON value. Optional fields are left out
//! rather than sent empty. `serde_json` writes non-ASCII as raw UTF-8, as the platform requires (40033).

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A media reference (`image`, `voice`, `mpnews`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// A media id from a temporary upload (or permanent material for `mpnews`).
    pub media_id: String,
}

/// `text`: may contain `<a href>` links (see [`miniprogram_link`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// The text.
    pub content: String,
}

/// `video`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    /// Video media id.
    pub media_id: String,
    /// Thumbnail media id (in the OA doc, absent elsewhere: optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `music` (the OA-doc keys `musicurl` / `hqmusicurl`, not the Cloud Hosting seed's `music_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Music {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Music URL.
    pub musicurl: String,
    /// High-quality music URL (Wi-Fi).
    pub hqmusicurl: String,
    /// Thumbnail media id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<String>,
}

/// One `news` article (an external link card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsArticle {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where a tap goes.
    pub url: String,
    /// Picture URL (640×320 or 80×80 works best).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
}

/// `news`: currently one article per message (45008 beyond).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    /// The articles.
    pub articles: Vec<NewsArticle>,
}

/// `mpnewsarticle`: an article published through the freepublish APIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpNewsArticle {
    /// The published article id.
    pub article_id: String,
}

/// One `msgmenu` option; a tap pushes `bizmsgmenuid` = `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuItem {
    /// Option id.
    pub id: String,
    /// Option text.
    pub content: String,
}

/// `msgmenu`: clickable options (verified OA only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgMenu {
    /// Text above the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_content: Option<String>,
    /// The options.
    pub list: Vec<MenuItem>,
    /// Text below the options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail_content: Option<String>,
}

/// `wxcard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WxCard {
    /// Card id.
    pub card_id: String,
    /// Optional `card_ext` (a JSON string, passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_ext: Option<String>,
}

/// `miniprogrampage`: `appid` is required for an OA and must be absent for a Mini Program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniProgramPage {
    /// Card title.
    pub title: String,
    /// The Mini Program's appid (OA senders only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Page path, may carry a query.
    pub pagepath: String,
    /// Cover image media id.
    pub thumb_media_id: String,
}

/// `link` (Mini Programs; an OA treats it like one news article).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Where a tap goes.
    pub url: String,
    /// Thumbnail URL.
    pub thumb_url: String,
}

/// The typed body of a customer-service message: one variant per `msgtype`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KfBody {
    /// `text`.
    Text(Text),
    /// `image`.
    Image(MediaRef),
    /// `voice` (OA only).
    Voice(MediaRef),
    /// `video` (OA only).
    Video(Video),
    /// `music` (OA only).
    Music(Music),
    /// `news` (OA only).
    News(News),
    /// `mpnews` (OA only).
    MpNews(MediaRef),
    /// `mpnewsarticle` (OA only).
    MpNewsArticle(MpNewsArticle),
    /// `msgmenu` (verified OA only).
    MsgMenu(MsgMenu),
    /// `wxcard` (OA only).
    WxCard(WxCard),
    /// `miniprogrampage`.
    MiniProgramPage(MiniProgramPage),
    /// `link`.
    Link(Link),
}

impl KfBody {
    /// The `msgtype` string (and key of the object).
    pub fn msg_type(&self) -> &'static str {
        match self {
            KfBody::Text(_) => "text",
            KfBody::Image(_) => "image",
            KfBody::Voice(_) => "voice",
            KfBody::Video(_) => "video",
            KfBody::Music(_) => "music",
            KfBody::News(_) => "news",
            KfBody::MpNews(_) => "mpnews",
            KfBody::MpNewsArticle(_) => "mpnewsarticle",
            KfBody::MsgMenu(_) => "msgmenu",
            KfBody::WxCard(_) => "wxcard",
            KfBody::MiniProgramPage(_) => "miniprogrampage",
            KfBody::Link(_) => "link",
        }
    }

    /// A text body.
    pub fn text(content: impl Into<String>) -> KfBody {
        KfBody::Text(Text { content: content.into() })
    }

    fn payload(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            KfBody::Text(v) => serde_json::to_value(v),
            KfBody::Image(v) | KfBody::Voice(v) | KfBody::MpNews(v) => serde_json::to_value(v),
            KfBody::Video(v) => serde_json::to_value(v),
            KfBody::Music(v) => serde_json::to_value(v),
            KfBody::News(v) => serde_json::to_value(v),
            KfBody::MpNewsArticle(v) => serde_json::to_value(v),
            KfBody::MsgMenu(v) => serde_json::to_value(v),
            KfBody::WxCard(v) => serde_json::to_value(v),
            KfBody::MiniProgramPage(v) => serde_json::to_value(v),
            KfBody::Link(v) => serde_json::to_value(v),
        }
    }

    fn from_payload(msg_type: &str, v: serde_json::Value) -> Result<KfBody, serde_json::Error> {
        use serde_json::from_value as f;
        Ok(match msg_type {
            "text" => KfBody::Text(f(v)?),
            "image" => KfBody::Image(f(v)?),
            "voice" => KfBody::Voice(f(v)?),
            "video" => KfBody::Video(f(v)?),
            "music" => KfBody::Music(f(v)?),
            "news" => KfBody::News(f(v)?),
            "mpnews" => KfBody::MpNews(f(v)?),
            "mpnewsarticle" => KfBody::MpNewsArticle(f(v)?),
            "msgmenu" => KfBody::MsgMenu(f(v)?),
            "wxcard" => KfBody::WxCard(f(v)?),
            "miniprogrampage" => KfBody::MiniProgramPage(f(v)?),
            "link" => KfBody::Link(f(v)?),
            other => return Err(serde_json::Error::custom(format!("unknown msgtype {other:?}"))),
        })
    }
}

/// A body on its own is the message without its recipient: `{"msgtype": "text", "text": {…}}`.
impl Serialize for KfBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let payload = self.payload().map_err(serde::ser::Error::custom)?;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("msgtype", self.msg_type())?;
        map.serialize_entry(self.msg_type(), &payload)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for KfBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = serde_json::Map::deserialize(d)?;
        let msg_type = v.get("msgtype").and_then(|t| t.as_str()).ok_or_else(|| D::Error::missing_field("msgtype"))?;
        let msg_type = msg_type.to_owned();
        let payload = v.remove(&msg_type).ok_or_else(|| D::Error::custom(format!("missing object {msg_type:?}")))?;
        KfBody::from_payload(&msg_type, payload).map_err(D::Error::custom)
    }
}

/// `customservice`: send as this agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KfAccount {
    /// `agent@gh_xxx`.
    pub kf_account: String,
}

/// A complete customer-service message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfMessage {
    /// The recipient's openid.
    pub touser: String,
    /// What to send.
    pub body: KfBody,
    /// Send as this agent (optional).
    pub customservice: Option<KfAccount>,
}

impl KfMessage {
    /// A message to `touser`.
    pub fn new(touser: impl Into<String>, body: KfBody) -> KfMessage {
        KfMessage { touser: touser.into(), body, customservice: None }
    }

    /// Sends it as the agent `kf_account`.
    pub fn as_agent(mut self, kf_account: impl Into<String>) -> KfMessage {
        self.customservice = Some(KfAccount { kf_account: kf_account.into() });
        self
    }

    /// The request body bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("customer-service payloads always serialise")
    }
}

impl Serialize for KfMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut payload = self.body.payload().map_err(serde::ser::Error::custom)?;
        crate::write::json_clean(&mut payload);
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("touser", &self.touser)?;
        map.serialize_entry("msgtype", self.body.msg_type())?;
        map.serialize_entry(self.body.msg_type(), &payload)?;
        if let Some(cs) = &self.customservice {
            map.serialize_entry("customservice", cs)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for KfMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = serde_json::Map::deserialize(d)?;
        let touser = v.get("touser").and_then(|t| t.as_str()).ok_or_else(|| D::Error::missing_field("touser"))?;
        let touser = touser.to_owned();
        let customservice = match v.remove("customservice") {
            Some(cs) => Some(serde_json::from_value(cs).map_err(D::Error::custom)?),
            None => None,
        };
        // What is left is the body on its own: `msgtype` and its object.
        let body = KfBody::deserialize(serde_json::Value::Object(v)).map_err(D::Error::custom)?;
        Ok(KfMessage { touser, body, customservice })
    }
}

/// The typing command of `message/custom/typing` (客服输入状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypingCommand {
    /// Show "对方正在输入…" (15 s).
    Typing,
    /// Hide it.
    CancelTyping,
}

/// The typing request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingRequest {
    /// The user's openid.
    pub touser: String,
    /// What to show.
    pub command: TypingCommand,
}

fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A text link that opens a Mini Program page (falls back to `href` on clients older than 6.5.16):
/// `<a href="…" data-miniprogram-appid="…" data-miniprogram-path="…">label</a>`. Attribute values are escaped.
pub fn miniprogram_link(label: &str, href: &str, appid: &str, path: &str) -> String {
    format!(
        "<a href=\"{}\" data-miniprogram-appid=\"{}\" data-miniprogram-path=\"{}\">{label}</a>",
        escape_attr(href),
        escape_attr(appid),
        escape_attr(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgmenu_matches_the_protocol_example() {
        let m = KfMessage::new(
            "oUserOpenId0000000000000001",
            KfBody::MsgMenu(MsgMenu {
                head_content: Some("您对本次服务是否满意？".into()),
                list: vec![
                    MenuItem { id: "101".into(), content: "满意".into() },
                    MenuItem { id: "102".into(), content: "不满意".into() },
                ],
                tail_content: Some("欢迎再次光临".into()),
            }),
        );
        let json = String::from_utf8(m.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"touser":"oUserOpenId0000000000000001","msgtype":"msgmenu","msgmenu":{"head_content":"您对本次服务是否满意？","list":[{"id":"101","content":"满意"},{"id":"102","content":"不满意"}],"tail_content":"欢迎再次光临"}}"#
        );
        let back: KfMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn agent_and_unknown_type() {
        let m = KfMessage::new("o1", KfBody::text("hi")).as_agent("alice@gh_demo");
        let json = String::from_utf8(m.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"touser":"o1","msgtype":"text","text":{"content":"hi"},"customservice":{"kf_account":"alice@gh_demo"}}"#
        );
        assert!(serde_json::from_str::<KfMessage>(r#"{"touser":"o","msgtype":"nope","nope":{}}"#).is_err());
        assert!(serde_json::from_str::<KfMessage>(r#"{"touser":"o","msgtype":"text"}"#).is_err());
    }

    #[test]
    fn miniprogram_link_escapes() {
        let l = miniprogram_link("打开", "http://www.qq.com", "wx123", "pages/a?x=1&y=\"2\"");
        assert_eq!(
            l,
            "<a href=\"http://www.qq.com\" data-miniprogram-appid=\"wx123\" data-miniprogram-path=\"pages/a?x=1&amp;y=&quot;2&quot;\">打开</a>"
        );
    }

    #[test]
    fn typing_body() {
        let t = TypingRequest { touser: "o1".into(), command: TypingCommand::CancelTyping };
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"touser":"o1","command":"CancelTyping"}"#);
    }

    #[test]
    fn a_body_round_trips_without_its_recipient() {
        let body = KfBody::Link(Link {
            title: "标题".into(),
            description: "d".into(),
            url: "https://example.com".into(),
            thumb_url: "https://example.com/t.png".into(),
        });
        let json = serde_json::to_string(&body).unwrap();
        assert!(json.starts_with(r#"{"msgtype":"link","link":{"#), "{json}");
        assert_eq!(serde_json::from_str::<KfBody>(&json).unwrap(), body);
        assert!(serde_json::from_str::<KfBody>(r#"{"msgtype":"text"}"#).is_err());
    }
}
