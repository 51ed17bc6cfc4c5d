//! The ordinary message kinds a user sends (接收普通消息).

use crate::ProtoError;
use crate::tree::Fields;

/// A text message; also what a msgmenu tap or an unsupported sticker arrives as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// `Content` (may be empty).
    pub content: String,
    /// `bizmsgmenuid` when the user tapped a msgmenu option (a string: link-form ids may be non-numeric).
    pub biz_msg_menu_id: Option<String>,
    /// `MsgDataId`, when the message comes from an article.
    pub msg_data_id: Option<String>,
    /// `Idx`, the 1-based article index.
    pub idx: Option<String>,
}

impl Text {
    pub(crate) fn from_fields(f: &Fields) -> Self {
        Text {
            content: f.text("Content").unwrap_or_default().to_owned(),
            biz_msg_menu_id: f.string("bizmsgmenuid"),
            msg_data_id: f.string("MsgDataId"),
            idx: f.string("Idx"),
        }
    }
}

/// A voice message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// `MediaId` (8 kHz).
    pub media_id: String,
    /// `Format` (`amr`, `speex`, …).
    pub format: Option<String>,
    /// `Recognition`, the speech-to-text result; often absent or empty.
    pub recognition: Option<String>,
    /// `MediaId16K`, the 16 kHz version.
    pub media_id_16k: Option<String>,
}

impl Voice {
    pub(crate) fn from_fields(f: &Fields) -> Self {
        Voice {
            media_id: f.string("MediaId").unwrap_or_default(),
            format: f.string("Format"),
            recognition: f.string("Recognition"),
            media_id_16k: f.string("MediaId16K"),
        }
    }
}

/// A video or short video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Video {
    /// `MediaId`.
    pub media_id: String,
    /// `ThumbMediaId`.
    pub thumb_media_id: Option<String>,
}

impl Video {
    pub(crate) fn from_fields(f: &Fields) -> Self {
        Video { media_id: f.string("MediaId").unwrap_or_default(), thumb_media_id: f.string("ThumbMediaId") }
    }
}

/// A location the user sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// `Location_X`: latitude.
    pub latitude: f64,
    /// `Location_Y`: longitude.
    pub longitude: f64,
    /// `Scale`: map zoom.
    pub scale: Option<f64>,
    /// `Label`: address text.
    pub label: Option<String>,
}

impl Location {
    pub(crate) fn from_fields(f: &Fields) -> Result<Self, ProtoError> {
        Ok(Location {
            latitude: f.number("Location_X")?.unwrap_or_default(),
            longitude: f.number("Location_Y")?.unwrap_or_default(),
            scale: f.number("Scale")?,
            label: f.string("Label"),
        })
    }
}

/// A link the user shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Url`.
    pub url: String,
}

impl Link {
    pub(crate) fn from_fields(f: &Fields) -> Self {
        Link {
            title: f.string("Title").unwrap_or_default(),
            description: f.string("Description"),
            url: f.string("Url").unwrap_or_default(),
        }
    }
}

/// A Mini Program card sent into the customer-service session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniProgramPage {
    /// `Title`.
    pub title: String,
    /// `AppId` of the Mini Program.
    pub app_id: Option<String>,
    /// `PagePath`.
    pub page_path: Option<String>,
    /// `ThumbUrl`.
    pub thumb_url: Option<String>,
    /// `ThumbMediaId`.
    pub thumb_media_id: Option<String>,
}

impl MiniProgramPage {
    pub(crate) fn from_fields(f: &Fields) -> Self {
        MiniProgramPage {
            title: f.string("Title").unwrap_or_default(),
            app_id: f.string("AppId"),
            page_path: f.string("PagePath"),
            thumb_url: f.string("ThumbUrl"),
            thumb_media_id: f.string("ThumbMediaId"),
        }
    }
}
