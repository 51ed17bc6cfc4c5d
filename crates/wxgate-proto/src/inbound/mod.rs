//! The typed model of a push: every ordinary message and event, with the raw fields always at hand.
//!
//! Decoding never fails on something new: an unknown `MsgType` becomes [`InboundKind::Unknown`], an unknown event
//! [`Event::Unknown`], and every field (known or not) stays in [`Inbound::fields`]. Only a body that lacks the
//! fields every push carries (`ToUserName`, `FromUserName`, `MsgType`) or has a non-numeric number is an error.

mod event;
mod message;

pub use event::{
    Event, KfSwitch, MassSendJob, MediaCheck, PicInfo, PublishJob, ScanCode, SelectedLocation, SubscribeMsg,
};
pub use message::{Link, Location, MiniProgramPage, Text, Video, Voice};

use crate::tree::{self, Fields};
use crate::{Format, ProtoError};

/// One decoded push (message or event).
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// `ToUserName`: the account's original id (`gh_…`).
    pub to_user: String,
    /// `FromUserName`: the sender's openid.
    pub from_user: String,
    /// `CreateTime`, Unix seconds (0 when absent).
    pub create_time: i64,
    /// `MsgType` exactly as sent.
    pub msg_type: String,
    /// `MsgId` (ordinary messages) or `MsgID` (job events); full 64-bit.
    pub msg_id: Option<u64>,
    /// The typed content.
    pub kind: InboundKind,
    /// Every field as received, known or not.
    pub fields: Fields,
}

/// What a push carries.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundKind {
    /// `text`, including msgmenu taps (`bizmsgmenuid`).
    Text(Text),
    /// `image`.
    Image {
        /// `PicUrl`.
        pic_url: Option<String>,
        /// `MediaId`.
        media_id: String,
    },
    /// `voice`.
    Voice(Voice),
    /// `video`.
    Video(Video),
    /// `shortvideo`.
    ShortVideo(Video),
    /// `location`.
    Location(Location),
    /// `link`.
    Link(Link),
    /// `miniprogrampage` (Mini Program customer-service session).
    MiniProgramPage(MiniProgramPage),
    /// `event`.
    Event(Event),
    /// Any other `MsgType`; the fields are in [`Inbound::fields`].
    Unknown,
}

impl Inbound {
    /// Decodes a body of the given format.
    pub fn decode(body: &[u8], format: Format) -> Result<Inbound, ProtoError> {
        Inbound::from_fields(tree::decode(body, format)?)
    }

    /// Decodes an XML body.
    pub fn from_xml(body: &[u8]) -> Result<Inbound, ProtoError> {
        Inbound::from_fields(tree::from_xml(body)?)
    }

    /// Decodes a JSON body.
    pub fn from_json(body: &[u8]) -> Result<Inbound, ProtoError> {
        Inbound::from_fields(tree::from_json(body)?)
    }

    /// Builds the typed model from decoded fields.
    pub fn from_fields(fields: Fields) -> Result<Inbound, ProtoError> {
        let to_user = fields.text("ToUserName").ok_or(ProtoError::MissingField("ToUserName"))?.to_owned();
        let from_user = fields.text("FromUserName").ok_or(ProtoError::MissingField("FromUserName"))?.to_owned();
        let msg_type = fields.text("MsgType").ok_or(ProtoError::MissingField("MsgType"))?.to_owned();
        let create_time = fields.number::<i64>("CreateTime")?.unwrap_or(0);
        let msg_id = match fields.number::<u64>("MsgId")? {
            Some(id) => Some(id),
            None => fields.number::<u64>("MsgID")?,
        };
        let kind = match msg_type.as_str() {
            "text" => InboundKind::Text(Text::from_fields(&fields)),
            "image" => InboundKind::Image {
                pic_url: fields.string("PicUrl"),
                media_id: fields.string("MediaId").unwrap_or_default(),
            },
            "voice" => InboundKind::Voice(Voice::from_fields(&fields)),
            "video" => InboundKind::Video(Video::from_fields(&fields)),
            "shortvideo" => InboundKind::ShortVideo(Video::from_fields(&fields)),
            "location" => InboundKind::Location(Location::from_fields(&fields)?),
            "link" => InboundKind::Link(Link::from_fields(&fields)),
            "miniprogrampage" => InboundKind::MiniProgramPage(MiniProgramPage::from_fields(&fields)),
            "event" => InboundKind::Event(Event::from_fields(&fields)?),
            _ => InboundKind::Unknown,
        };
        Ok(Inbound { to_user, from_user, create_time, msg_type, msg_id, kind, fields })
    }

    /// The `Event` name for events, `None` for messages.
    pub fn event_name(&self) -> Option<&str> {
        match self.kind {
            InboundKind::Event(_) => self.fields.text("Event"),
            _ => None,
        }
    }

    /// The `EventKey` for events, if non-empty.
    pub fn event_key(&self) -> Option<&str> {
        match self.kind {
            InboundKind::Event(_) => self.fields.non_empty("EventKey"),
            _ => None,
        }
    }

    /// The text content of a text message.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            InboundKind::Text(t) => Some(&t.content),
            _ => None,
        }
    }

    /// True for the six message kinds after which a passive news reply may hold only one article
    /// (text, image, voice, video, news/link, location), as the passive-reply documentation says; after an event a
    /// news reply may hold up to 8.
    pub fn limits_news_to_one(&self) -> bool {
        matches!(
            self.kind,
            InboundKind::Text(_)
                | InboundKind::Image { .. }
                | InboundKind::Voice(_)
                | InboundKind::Video(_)
                | InboundKind::ShortVideo(_)
                | InboundKind::Link(_)
                | InboundKind::Location(_)
        )
    }

    /// The body re-encoded as WeChat XML (all fields, in order).
    pub fn to_xml(&self) -> String {
        crate::write::fields_to_xml(&self.fields)
    }

    /// The body re-encoded as Cloud Hosting JSON (all fields, in order).
    pub fn to_json(&self) -> String {
        crate::write::fields_to_json(&self.fields)
    }
}
