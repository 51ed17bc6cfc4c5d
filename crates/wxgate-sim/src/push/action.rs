//! What a simulated user does: send any ordinary message or trigger any event (接收普通消息, 接收事件推送). Each
//! action becomes the plaintext push fields and tells which customer-service window it opens.

use wxgate_proto::Fields;

use crate::window::Interaction;

/// One user action.
#[derive(Debug, Clone, PartialEq)]
pub enum UserAction {
    /// A text message.
    Text(String),
    /// A tap on a msgmenu option: a text message with `bizmsgmenuid`; counts as a menu click.
    MenuOption {
        /// The option id.
        id: String,
        /// The option text.
        content: String,
    },
    /// A picture (the simulator stores a small image so `media/get` works for 3 days).
    Image,
    /// A voice message, optionally with a speech recognition result.
    Voice {
        /// `Recognition`, if any.
        recognition: Option<String>,
    },
    /// A video.
    Video,
    /// A short video.
    ShortVideo,
    /// A location message.
    Location {
        /// Latitude (`Location_X`).
        x: f64,
        /// Longitude (`Location_Y`).
        y: f64,
        /// Zoom.
        scale: u32,
        /// Address text.
        label: String,
    },
    /// A link message.
    Link {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// URL.
        url: String,
    },
    /// Follow; `scene` for a parametric QR code (sent as `qrscene_` + scene with a `Ticket`).
    Subscribe {
        /// QR scene, if following by scanning.
        scene: Option<String>,
    },
    /// Unfollow.
    Unsubscribe,
    /// An already-following user scans a parametric QR code.
    Scan {
        /// The scene value.
        scene: String,
    },
    /// A menu button of type click.
    Click {
        /// Button key.
        key: String,
    },
    /// A menu button of type view.
    View {
        /// Target URL.
        url: String,
    },
    /// Menu scan: `scancode_push` (`wait_msg == false`) or `scancode_waitmsg`.
    ScanCode {
        /// Button key.
        key: String,
        /// Scan result.
        result: String,
        /// `scancode_waitmsg` instead of `scancode_push`.
        wait_msg: bool,
    },
    /// The `LOCATION` report event.
    ReportLocation {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// Precision.
        precision: f64,
    },
    /// Mini Program: the user enters the customer-service session.
    EnterSession {
        /// `SessionFrom`.
        session_from: String,
    },
    /// Any other event, with its extra fields.
    Event {
        /// `Event` name, exact case.
        event: String,
        /// Extra fields after `Event`.
        extra: Fields,
    },
}

fn random_msg_id() -> u64 {
    // Beyond 2^53, as real MsgIds are.
    (1u64 << 53) + rand::random::<u64>() % (1u64 << 62)
}

impl UserAction {
    /// The customer-service window this action opens, if any.
    pub fn interaction(&self) -> Interaction {
        match self {
            UserAction::MenuOption { .. } | UserAction::Click { .. } | UserAction::ScanCode { .. } => {
                Interaction::MenuClick
            }
            UserAction::Subscribe { scene: Some(_) } => Interaction::Scan,
            UserAction::Subscribe { scene: None } => Interaction::Subscribe,
            UserAction::Scan { .. } => Interaction::Scan,
            UserAction::EnterSession { .. } => Interaction::EnterSession,
            UserAction::Unsubscribe
            | UserAction::View { .. }
            | UserAction::ReportLocation { .. }
            | UserAction::Event { .. } => Interaction::Other,
            _ => Interaction::Message,
        }
    }

    /// True for ordinary messages (they carry `MsgId`).
    pub fn is_message(&self) -> bool {
        !matches!(self.msg_type(), "event")
    }

    /// The push `MsgType`.
    pub fn msg_type(&self) -> &'static str {
        match self {
            UserAction::Text(_) | UserAction::MenuOption { .. } => "text",
            UserAction::Image => "image",
            UserAction::Voice { .. } => "voice",
            UserAction::Video => "video",
            UserAction::ShortVideo => "shortvideo",
            UserAction::Location { .. } => "location",
            UserAction::Link { .. } => "link",
            _ => "event",
        }
    }

    /// The action in the control API's JSON form (`{"type":"text","content":"…"}`), as `POST /sim/send` takes it
    /// and transcript files keep it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            UserAction::Text(content) => json!({"type": "text", "content": content}),
            UserAction::MenuOption { id, content } => json!({"type": "menu_option", "id": id, "content": content}),
            UserAction::Image => json!({"type": "image"}),
            UserAction::Voice { recognition } => json!({"type": "voice", "recognition": recognition}),
            UserAction::Video => json!({"type": "video"}),
            UserAction::ShortVideo => json!({"type": "short_video"}),
            UserAction::Location { x, y, scale, label } => {
                json!({"type": "location", "x": x, "y": y, "scale": scale, "label": label})
            }
            UserAction::Link { title, description, url } => {
                json!({"type": "link", "title": title, "description": description, "url": url})
            }
            UserAction::Subscribe { scene } => json!({"type": "subscribe", "scene": scene}),
            UserAction::Unsubscribe => json!({"type": "unsubscribe"}),
            UserAction::Scan { scene } => json!({"type": "scan", "scene": scene}),
            UserAction::Click { key } => json!({"type": "click", "key": key}),
            UserAction::View { url } => json!({"type": "view", "url": url}),
            UserAction::ScanCode { key, result, wait_msg } => {
                json!({"type": "scan_code", "key": key, "result": result, "wait_msg": wait_msg})
            }
            UserAction::ReportLocation { latitude, longitude, precision } => json!({"type": "report_location",
                "latitude": latitude, "longitude": longitude, "precision": precision}),
            UserAction::EnterSession { session_from } => json!({"type": "enter_session", "session_from": session_from}),
            UserAction::Event { event, extra } => {
                let extra: serde_json::Map<String, serde_json::Value> =
                    extra.iter().filter_map(|(k, v)| Some((k.to_owned(), json!(v.as_text()?)))).collect();
                json!({"type": "event", "event": event, "extra": extra})
            }
        }
    }

    /// The plaintext push fields. `media_id` is used by media messages.
    pub fn fields(&self, original_id: &str, openid: &str, create_time: u64, media_id: &str) -> Fields {
        let mut f = Fields::new()
            .with_text("ToUserName", original_id)
            .with_text("FromUserName", openid)
            .with_text("CreateTime", create_time.to_string())
            .with_text("MsgType", self.msg_type());
        let event = |f: Fields, name: &str| f.with_text("Event", name);
        f = match self {
            UserAction::Text(content) => f.with_text("Content", content.as_str()),
            UserAction::MenuOption { content, .. } => f.with_text("Content", content.as_str()),
            UserAction::Image => {
                f.with_text("PicUrl", format!("http://mmbiz.qpic.cn/sim/{media_id}/0")).with_text("MediaId", media_id)
            }
            UserAction::Voice { recognition } => {
                let f = f.with_text("MediaId", media_id).with_text("Format", "amr");
                match recognition {
                    Some(r) => f.with_text("Recognition", r.as_str()),
                    None => f,
                }
            }
            UserAction::Video | UserAction::ShortVideo => {
                f.with_text("MediaId", media_id).with_text("ThumbMediaId", format!("{media_id}_thumb"))
            }
            UserAction::Location { x, y, scale, label } => f
                .with_text("Location_X", x.to_string())
                .with_text("Location_Y", y.to_string())
                .with_text("Scale", scale.to_string())
                .with_text("Label", label.as_str()),
            UserAction::Link { title, description, url } => f
                .with_text("Title", title.as_str())
                .with_text("Description", description.as_str())
                .with_text("Url", url.as_str()),
            UserAction::Subscribe { scene: None } => event(f, "subscribe").with_text("EventKey", ""),
            UserAction::Subscribe { scene: Some(s) } => event(f, "subscribe")
                .with_text("EventKey", format!("qrscene_{s}"))
                .with_text("Ticket", format!("gQSim{s}")),
            UserAction::Unsubscribe => event(f, "unsubscribe").with_text("EventKey", ""),
            UserAction::Scan { scene } => {
                event(f, "SCAN").with_text("EventKey", scene.as_str()).with_text("Ticket", format!("gQSim{scene}"))
            }
            UserAction::Click { key } => event(f, "CLICK").with_text("EventKey", key.as_str()),
            UserAction::View { url } => event(f, "VIEW").with_text("EventKey", url.as_str()),
            UserAction::ScanCode { key, result, wait_msg } => {
                let name = if *wait_msg { "scancode_waitmsg" } else { "scancode_push" };
                let info = Fields::new().with_text("ScanType", "qrcode").with_text("ScanResult", result.as_str());
                event(f, name).with_text("EventKey", key.as_str()).with_map("ScanCodeInfo", info)
            }
            UserAction::ReportLocation { latitude, longitude, precision } => event(f, "LOCATION")
                .with_text("Latitude", latitude.to_string())
                .with_text("Longitude", longitude.to_string())
                .with_text("Precision", precision.to_string()),
            UserAction::EnterSession { session_from } => {
                event(f, "user_enter_tempsession").with_text("SessionFrom", session_from.as_str())
            }
            UserAction::Event { event: name, extra } => {
                let mut f = event(f, name);
                for (k, v) in extra.iter() {
                    f.push(k.to_owned(), v.clone());
                }
                f
            }
        };
        if self.is_message() {
            f = f.with_text("MsgId", random_msg_id().to_string());
        }
        if let UserAction::MenuOption { id, .. } = self {
            f = f.with_text("bizmsgmenuid", id.as_str());
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wxgate_proto::{Inbound, InboundKind};

    #[test]
    fn fields_decode_as_inbound_and_windows() {
        let f = UserAction::Text("你好".into()).fields("gh_1", "o1", 1700000000, "");
        let inbound = Inbound::from_xml(wxgate_proto::write::fields_to_xml(&f).as_bytes()).unwrap();
        assert_eq!(inbound.text(), Some("你好"));
        assert!(inbound.msg_id.unwrap() > 1 << 53);
        let click = UserAction::Click { key: "K".into() };
        let inbound = Inbound::from_fields(click.fields("gh_1", "o1", 1, "")).unwrap();
        assert!(matches!(inbound.kind, InboundKind::Event(_)));
        assert_eq!(inbound.event_key(), Some("K"));
        assert_eq!(click.interaction(), Interaction::MenuClick);
        let tap = UserAction::MenuOption { id: "101".into(), content: "满意".into() };
        assert_eq!(tap.fields("gh", "o", 1, "").text("bizmsgmenuid"), Some("101"));
        assert_eq!(tap.interaction(), Interaction::MenuClick);
        assert_eq!(UserAction::Subscribe { scene: Some("7".into()) }.interaction(), Interaction::Scan);
    }
}
