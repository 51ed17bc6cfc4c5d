//! Events (`MsgType` = `event`; 接收事件推送). Event names are compared exactly: WeChat mixes cases.
//!
//! The subscribe-message events carry their per-template entries in one of two places. As XML they sit in a
//! wrapper element named after the event (`<SubscribeMsgPopupEvent><List>…</List></SubscribeMsgPopupEvent>`); in
//! JSON push mode (Mini Programs, Cloud Hosting JSON) `List` is a top-level field, an object for one template and
//! an array for several. Both are read, so the user's accept / reject is never lost to the format.

use crate::ProtoError;
use crate::tree::{Fields, Value};

/// A typed event. Fields not modelled here are still in [`crate::Inbound::fields`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `subscribe`: a follow, plain (`event_key` empty) or through a parametric QR code (`qrscene_…` + `ticket`).
    Subscribe {
        /// `EventKey` (`qrscene_<scene>` for a QR follow).
        event_key: Option<String>,
        /// `Ticket` of the QR code.
        ticket: Option<String>,
    },
    /// `unsubscribe`.
    Unsubscribe,
    /// `SCAN`: a follower scanned a parametric QR code.
    Scan {
        /// The scene value, without prefix.
        event_key: String,
        /// `Ticket`.
        ticket: Option<String>,
    },
    /// `LOCATION`: reported position.
    Location {
        /// `Latitude`.
        latitude: f64,
        /// `Longitude`.
        longitude: f64,
        /// `Precision`.
        precision: Option<f64>,
    },
    /// `CLICK`: a click menu button.
    Click {
        /// The button key.
        event_key: String,
        /// `MenuId` of a personalised menu.
        menu_id: Option<String>,
    },
    /// `VIEW`: a menu button that opens a URL.
    View {
        /// The URL.
        url: String,
        /// `MenuId`.
        menu_id: Option<String>,
    },
    /// `view_miniprogram`: a menu button that opens a Mini Program page.
    ViewMiniProgram {
        /// The page path.
        page_path: String,
        /// `MenuId`.
        menu_id: Option<String>,
    },
    /// `scancode_push`.
    ScanCodePush(ScanCode),
    /// `scancode_waitmsg`.
    ScanCodeWaitMsg(ScanCode),
    /// `pic_sysphoto`.
    PicSysPhoto(PicInfo),
    /// `pic_photo_or_album`.
    PicPhotoOrAlbum(PicInfo),
    /// `pic_weixin`.
    PicWeixin(PicInfo),
    /// `location_select`.
    LocationSelect(SelectedLocation),
    /// `TEMPLATESENDJOBFINISH`.
    TemplateSendJobFinish {
        /// `Status` (`success`, `failed:user block`, `failed: system failed`).
        status: String,
    },
    /// `MASSSENDJOBFINISH`.
    MassSendJobFinish(MassSendJob),
    /// `PUBLISHJOBFINISH`.
    PublishJobFinish(PublishJob),
    /// `kf_create_session`.
    KfCreateSession {
        /// `KfAccount`.
        kf_account: String,
    },
    /// `kf_close_session`.
    KfCloseSession {
        /// `KfAccount`.
        kf_account: String,
    },
    /// `kf_switch_session`.
    KfSwitchSession(KfSwitch),
    /// `subscribe_msg_popup_event`.
    SubscribeMsgPopup(Vec<SubscribeMsg>),
    /// `subscribe_msg_change_event`.
    SubscribeMsgChange(Vec<SubscribeMsg>),
    /// `subscribe_msg_sent_event`.
    SubscribeMsgSent(Vec<SubscribeMsg>),
    /// `user_enter_tempsession` (Mini Program).
    UserEnterTempSession {
        /// `SessionFrom`.
        session_from: Option<String>,
    },
    /// `wxa_media_check` (Mini Program).
    MediaCheck(MediaCheck),
    /// Any other event; the name as sent.
    Unknown(String),
}

/// `ScanCodeInfo` of a scan menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCode {
    /// The menu key.
    pub event_key: String,
    /// `ScanType` (e.g. `qrcode`).
    pub scan_type: String,
    /// `ScanResult`.
    pub scan_result: String,
}

/// `SendPicsInfo` of a photo menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicInfo {
    /// The menu key.
    pub event_key: String,
    /// `Count`.
    pub count: u32,
    /// `PicMd5Sum` of each picture.
    pub md5_sums: Vec<String>,
}

/// `SendLocationInfo` of a location-select menu.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedLocation {
    /// The menu key.
    pub event_key: String,
    /// `Location_X`.
    pub latitude: f64,
    /// `Location_Y`.
    pub longitude: f64,
    /// `Scale`.
    pub scale: Option<f64>,
    /// `Label`.
    pub label: Option<String>,
    /// `Poiname`.
    pub poi_name: Option<String>,
}

/// A finished mass send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassSendJob {
    /// `Status` (`send success`, `send fail`, `err(num)`).
    pub status: String,
    /// `TotalCount`.
    pub total_count: Option<u64>,
    /// `FilterCount`.
    pub filter_count: Option<u64>,
    /// `SentCount`.
    pub sent_count: Option<u64>,
    /// `ErrorCount`.
    pub error_count: Option<u64>,
}

/// A finished publish job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishJob {
    /// `publish_id`.
    pub publish_id: Option<String>,
    /// `publish_status`.
    pub publish_status: Option<i64>,
    /// `article_id` (what `mpnewsarticle` needs).
    pub article_id: Option<String>,
}

/// A customer-service session transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfSwitch {
    /// `FromKfAccount`.
    pub from_kf_account: String,
    /// `ToKfAccount`.
    pub to_kf_account: String,
}

/// One entry of a subscribe-message event list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMsg {
    /// `TemplateId`.
    pub template_id: String,
    /// `SubscribeStatusString` (accept / reject), when present.
    pub status: Option<String>,
    /// `PopupScene`, when present.
    pub popup_scene: Option<String>,
    /// `MsgID`, for sent events.
    pub msg_id: Option<String>,
    /// `ErrorCode`, for sent events.
    pub error_code: Option<String>,
    /// `ErrorStatus`, for sent events.
    pub error_status: Option<String>,
}

/// The result of an asynchronous media check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaCheck {
    /// `isrisky` (1 = risky).
    pub is_risky: Option<String>,
    /// `extra_info_json`.
    pub extra_info_json: Option<String>,
    /// `trace_id`.
    pub trace_id: Option<String>,
    /// `status_code`.
    pub status_code: Option<String>,
}

impl Event {
    pub(crate) fn from_fields(f: &Fields) -> Result<Event, ProtoError> {
        let name = f.text("Event").ok_or(ProtoError::MissingField("Event"))?;
        let key = || f.text("EventKey").unwrap_or_default().to_owned();
        Ok(match name {
            "subscribe" => Event::Subscribe { event_key: f.string("EventKey"), ticket: f.string("Ticket") },
            "unsubscribe" => Event::Unsubscribe,
            "SCAN" => Event::Scan { event_key: key(), ticket: f.string("Ticket") },
            "LOCATION" => Event::Location {
                latitude: f.number("Latitude")?.unwrap_or_default(),
                longitude: f.number("Longitude")?.unwrap_or_default(),
                precision: f.number("Precision")?,
            },
            "CLICK" => Event::Click { event_key: key(), menu_id: f.string("MenuId") },
            "VIEW" => Event::View { url: key(), menu_id: f.string("MenuId") },
            "view_miniprogram" => Event::ViewMiniProgram { page_path: key(), menu_id: f.string("MenuId") },
            "scancode_push" => Event::ScanCodePush(ScanCode::from_fields(f)),
            "scancode_waitmsg" => Event::ScanCodeWaitMsg(ScanCode::from_fields(f)),
            "pic_sysphoto" => Event::PicSysPhoto(PicInfo::from_fields(f)?),
            "pic_photo_or_album" => Event::PicPhotoOrAlbum(PicInfo::from_fields(f)?),
            "pic_weixin" => Event::PicWeixin(PicInfo::from_fields(f)?),
            "location_select" => Event::LocationSelect(SelectedLocation::from_fields(f)?),
            "TEMPLATESENDJOBFINISH" => {
                Event::TemplateSendJobFinish { status: f.text("Status").unwrap_or_default().to_owned() }
            }
            "MASSSENDJOBFINISH" => Event::MassSendJobFinish(MassSendJob {
                status: f.text("Status").unwrap_or_default().to_owned(),
                total_count: f.number("TotalCount")?,
                filter_count: f.number("FilterCount")?,
                sent_count: f.number("SentCount")?,
                error_count: f.number("ErrorCount")?,
            }),
            "PUBLISHJOBFINISH" => {
                let info = f.map("PublishEventInfo").cloned().unwrap_or_default();
                Event::PublishJobFinish(PublishJob {
                    publish_id: info.string("publish_id"),
                    publish_status: info.number("publish_status")?,
                    article_id: info.string("article_id"),
                })
            }
            "kf_create_session" => Event::KfCreateSession { kf_account: f.string("KfAccount").unwrap_or_default() },
            "kf_close_session" => Event::KfCloseSession { kf_account: f.string("KfAccount").unwrap_or_default() },
            "kf_switch_session" => Event::KfSwitchSession(KfSwitch {
                from_kf_account: f.string("FromKfAccount").unwrap_or_default(),
                to_kf_account: f.string("ToKfAccount").unwrap_or_default(),
            }),
            "subscribe_msg_popup_event" => Event::SubscribeMsgPopup(SubscribeMsg::list(f, "SubscribeMsgPopupEvent")),
            "subscribe_msg_change_event" => Event::SubscribeMsgChange(SubscribeMsg::list(f, "SubscribeMsgChangeEvent")),
            "subscribe_msg_sent_event" => Event::SubscribeMsgSent(SubscribeMsg::list(f, "SubscribeMsgSentEvent")),
            "user_enter_tempsession" => Event::UserEnterTempSession { session_from: f.string("SessionFrom") },
            "wxa_media_check" => Event::MediaCheck(MediaCheck {
                is_risky: f.string("isrisky"),
                extra_info_json: f.string("extra_info_json"),
                trace_id: f.string("trace_id"),
                status_code: f.string("status_code"),
            }),
            other => Event::Unknown(other.to_owned()),
        })
    }

    /// The QR scene of a follow through a parametric QR code (`qrscene_` stripped), or of a `SCAN`.
    pub fn qr_scene(&self) -> Option<&str> {
        match self {
            Event::Subscribe { event_key: Some(k), .. } => k.strip_prefix("qrscene_"),
            Event::Scan { event_key, .. } => Some(event_key),
            _ => None,
        }
    }
}

impl ScanCode {
    fn from_fields(f: &Fields) -> Self {
        let info = f.map("ScanCodeInfo");
        ScanCode {
            event_key: f.text("EventKey").unwrap_or_default().to_owned(),
            scan_type: info.and_then(|i| i.string("ScanType")).unwrap_or_default(),
            scan_result: info.and_then(|i| i.string("ScanResult")).unwrap_or_default(),
        }
    }
}

impl PicInfo {
    fn from_fields(f: &Fields) -> Result<Self, ProtoError> {
        let info = f.map("SendPicsInfo").cloned().unwrap_or_default();
        let md5_sums = info
            .items("PicList")
            .into_iter()
            .filter_map(Value::as_map)
            .filter_map(|item| item.string("PicMd5Sum"))
            .collect();
        Ok(PicInfo {
            event_key: f.text("EventKey").unwrap_or_default().to_owned(),
            count: info.number("Count")?.unwrap_or_default(),
            md5_sums,
        })
    }
}

impl SelectedLocation {
    fn from_fields(f: &Fields) -> Result<Self, ProtoError> {
        let info = f.map("SendLocationInfo").cloned().unwrap_or_default();
        Ok(SelectedLocation {
            event_key: f.text("EventKey").unwrap_or_default().to_owned(),
            latitude: info.number("Location_X")?.unwrap_or_default(),
            longitude: info.number("Location_Y")?.unwrap_or_default(),
            scale: info.number("Scale")?,
            label: info.string("Label"),
            poi_name: info.string("Poiname"),
        })
    }
}

impl SubscribeMsg {
    /// The entries of a subscribe-message event: those under the `wrapper` element (its `List`s, or the entries
    /// themselves when the wrapper holds them directly, as a JSON array or object), else the top-level `List`.
    fn list(f: &Fields, wrapper: &str) -> Vec<SubscribeMsg> {
        let mut entries: Vec<&Fields> = Vec::new();
        for w in f.items(wrapper).into_iter().filter_map(Value::as_map) {
            if w.get("List").is_some() {
                entries.extend(w.items("List").into_iter().filter_map(Value::as_map));
            } else if w.get("TemplateId").is_some() {
                entries.push(w);
            }
        }
        if entries.is_empty() {
            entries.extend(f.items("List").into_iter().filter_map(Value::as_map));
        }
        entries
            .into_iter()
            .map(|m| SubscribeMsg {
                template_id: m.string("TemplateId").unwrap_or_default(),
                status: m.string("SubscribeStatusString"),
                popup_scene: m.string("PopupScene"),
                msg_id: m.string("MsgID"),
                error_code: m.string("ErrorCode"),
                error_status: m.string("ErrorStatus"),
            })
            .collect()
    }
}
